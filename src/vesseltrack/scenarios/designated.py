"""Designated identities: a few ships carry the identity of a vessel on OFAC's SDN list
(``data/designated.json``: name, IMO, and where the list has them MMSI, call sign, flag).

- one dark-voyage tanker (the first loading at Vostochny, else the first) becomes a designated
  tanker of the list, with its listed MMSI;
- about one ship in 20 of the fleet (3 of 60) is a designated cargo ship (general cargo, ro-ro)
  shuttling between the Russian ports of Peter the Great Gulf and Rajin, loading in Russia and
  discharging at Rajin; the first of them calls at Rajin with AIS off once (a dark voyage).

The cargo ships replace routine cargo ships of the fleet: which ones, their identities and
their new tracks come from ``default_rng([seed, 17, 1])`` and ``([seed, 17, 2])`` and their reports
from ``([seed, 17, 3])``, while the main generator still makes the draws of the replaced ships'
reports, so every other ship's rows stay the same.
"""

from __future__ import annotations

import numpy as np

from vesseltrack.scenarios._shared import _DAY, _HOUR, table
from vesseltrack.scenarios.identities import _call_sign, _new_mmsi
from vesseltrack.scenarios.lanes import _PORTS
from vesseltrack.scenarios.movement import MOORED, _dest, _port_call, _start_in_port, _Track

_TABLE = table("designated")
_RU_SIDE = ("VLADIVOSTOK", "VOSTOCHNY", "NAKHODKA", "ZARUBINO")
_DPRK_PORT = "RAJIN"


def _take_identity(v, entry: dict, rng: np.random.Generator, used: set[int]) -> None:
    """``v`` becomes the listed vessel ``entry`` (its MMSI when listed and free, else a new one of its flag)."""
    mmsi = entry["mmsi"]
    if mmsi is None or mmsi in used:
        mmsi = _new_mmsi(rng, entry["flag"], used)
    used.add(int(mmsi))
    v.mmsi, v.name, v.imo, v.flag = int(mmsi), entry["name"], int(entry["imo"]), entry["flag"]
    v.call_sign = entry["call_sign"] or _call_sign(rng, entry["flag"])
    v.designation = {"list": _TABLE["list"], "entry_id": int(entry["entry_id"]), "program": entry["program"]}


def _shuttle(v, rng: np.random.Generator, T: float, dark: bool) -> tuple[_Track, tuple[float, float] | None]:
    """Russia -> Rajin laden, back in ballast (or lightly loaded), until past the end of the data. With
    ``dark``, AIS is off for the first call at Rajin that fits well inside the data (returned)."""
    tr = _start_in_port(str(rng.choice(_RU_SIDE)), v, rng, -rng.uniform(0.5, 2.5) * _DAY, laden=False)
    tr.stay(rng.uniform(6, 30) * _HOUR, MOORED, 5)
    speed, silence = rng.uniform(10.5, 13.5), None
    while tr.now < T + _DAY:
        to_dprk = tr.port != _DPRK_PORT
        nxt = _DPRK_PORT if to_dprk else str(rng.choice(_RU_SIDE))
        span = v.laden - v.ballast
        tr.cargo(v.ballast + span * (rng.uniform(0.75, 1.0) if to_dprk else rng.uniform(0.0, 0.2)))
        tr.cur_dest = _dest(nxt, rng) if not (dark and to_dprk) else str(rng.choice(["RU VVO", "FOR ORDERS"]))
        tr.stay(rng.uniform(0.5, 2) * _HOUR, MOORED, 5)
        t_dep, hide = tr.now, dark and to_dprk and silence is None
        _port_call(tr, nxt, speed, rng.uniform(16, 60) * _HOUR, rng, anchor_p=0.0 if hide else 0.15)
        if hide and 0.1 * T < tr.t[-2] and tr.now < 0.7 * T:  # off half-way, on again a few hours out
            t_arr = tr.t[-2]
            silence = (t_dep + rng.uniform(0.35, 0.6) * (t_arr - t_dep), tr.now + rng.uniform(3, 6) * _HOUR)
    return tr, silence


def designate(ships: list, pending: list, seed: int, n_vessels: int, T: float, used: set[int]) -> None:
    """Give designated identities to a dark-voyage tanker and to a few routine cargo ships (which
    then shuttle to Rajin); adds the dark call of the first to ``pending``."""
    rng = np.random.default_rng([seed, 17, 1])
    trng = np.random.default_rng([seed, 17, 2])
    dark = [p for p in pending if p["type"] == "dark_voyage" and p.get("plan")]
    if dark and _TABLE["tankers"]:
        p = next((p for p in dark if p["plan"][0] == "VOSTOCHNY"), dark[0])
        _take_identity(ships[p["ship"]].v, _TABLE["tankers"][0], rng, used)
    cand = [i for i, s in enumerate(ships) if s.v.role == "normal" and s.v.kind == "cargo" and not s.silent
            and s.v.ais_class == "A"]
    k = min(len(_TABLE["cargo"]), int(round(n_vessels / 20)), len(cand) // 4)
    chosen = sorted(int(i) for i in rng.choice(cand, size=k, replace=False)) if k else []
    for j, si in enumerate(chosen):
        ship = ships[si]
        v = ship.v
        _take_identity(v, _TABLE["cargo"][j], rng, used)
        v.vessel_type, v.role = 70, "designated"
        v.length = float(round(rng.uniform(105, 145)))
        v.width = float(round(v.length / rng.uniform(5.6, 6.6)))
        design = 3.5 + v.length * 0.035
        v.ballast, v.laden = round(design * rng.uniform(0.55, 0.65), 1), round(design * rng.uniform(0.9, 0.96), 1)
        tr, silence = _shuttle(v, trng, T, dark=j == 0)
        ship.drawn_tr, ship.tr = ship.tr, tr
        if silence is not None:
            v.role = "dark"
            ship.silent.append(silence)
            _, lat, lon = _PORTS[_DPRK_PORT]
            pending.append({"type": "dark_voyage", "ship": si, "window": silence, "lat": lat, "lon": lon,
                            "port": _DPRK_PORT, "plan": None,
                            "what": "sailed from Russia with AIS off, called at RAJIN unseen, AIS on leaving"})
