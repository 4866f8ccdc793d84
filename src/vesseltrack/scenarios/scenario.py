"""generate(): the fleet, step by step (anomalies first, then routine traffic, then nuisances), its
reports, the positions frame and the truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.errors import ConfigError
from vesseltrack.scenarios._shared import _DAY, _HOUR
from vesseltrack.scenarios.anomalies import (
    _DARK_PLANS,
    _DARK_STS_AREAS,
    _EAST_SEA_PORTS,
    _STS_AREAS,
    _dark_sts,
    _dark_voyage,
    _sts_pair,
)
from vesseltrack.scenarios.behaviours import (
    _FERRIES,
    _TUG_BASES,
    _ferry,
    _fishing,
    _merchant,
    _tug,
)
from vesseltrack.scenarios.cargo import _hull, crew_reports
from vesseltrack.scenarios.coverage import REGIONS
from vesseltrack.scenarios.designated import designate
from vesseltrack.scenarios.emission import _apply_spoof, _emit, _satellite_passes
from vesseltrack.scenarios.identities import _DARK_FLAGS, _FLAGS_BY_KIND, _make_vessel
from vesseltrack.scenarios.lanes import _PORT_COUNTRY, _PORTS
from vesseltrack.scenarios.movement import MOORED, _Ship
from vesseltrack.scenarios.nuisances import _nuisance_fleet
from vesseltrack.scenarios.truth import _iso, _nuisance_truth, _truth


@dataclass
class Scenario:
    """A generated scenario: positions (schema.POSITIONS, sorted by mmsi, timestamp) and its truth."""

    positions: pd.DataFrame
    truth: dict = field(default_factory=dict)


@dataclass
class _Fleet:
    """The main fleet being built from one generator, and its anomalies pending resolution against the
    data (times in seconds, ships as indices into ``ships``)."""

    rng: np.random.Generator
    T: float
    used: set[int] = field(default_factory=set)
    ships: list[_Ship] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)

    @property
    def t_end(self) -> float:
        return self.T + _DAY


def _fleet_counts(n: int) -> dict[str, int]:
    shares = {"tanker": 0.26, "fishing": 0.2, "passenger": 0.08, "tug": 0.07}
    out = {k: int(np.floor(s * n)) for k, s in shares.items()}
    out["passenger"] = min(out["passenger"], len(_FERRIES))
    out["cargo"] = n - sum(out.values())
    return out


def _check_params(n_vessels, days, counts, region) -> int:
    if region not in REGIONS:
        raise ConfigError(f"region {region!r} unknown; expected one of {sorted(REGIONS)}")
    for k, c in counts.items():
        if int(c) != c or c < 0:
            raise ConfigError(f"{k}={c!r} invalid; expected a non-negative integer")
    n_special = (
        counts["n_dark"]
        + 2 * counts["n_sts"]
        + 2 * counts["n_dark_sts"]
        + counts["n_spoof"]
        + 2 * counts["n_shared_mmsi"]
    )
    if n_vessels < n_special:
        raise ConfigError(
            f"n_vessels={n_vessels} is smaller than the {n_special} ships the anomalies need; raise n_vessels"
        )
    if n_special and days < 4:
        raise ConfigError(
            f"days={days} too short for the injected anomalies; expected at least 4 (or set the anomaly counts to 0)"
        )
    if days <= 0:
        raise ConfigError(f"days={days} invalid; expected a positive number")
    return n_special


def generate(seed: int = 0, *, n_vessels: int = 60, days: float = 10.0, start: str = "2024-03-01T00:00:00Z",
             n_dark: int = 4, n_sts: int = 2, n_dark_sts: int = 1, n_spoof: int = 1, n_shared_mmsi: int = 1,
             region: str = "sea_of_japan", nuisances: bool = True) -> Scenario:
    """Generate a scenario with known truth.

    ``n_vessels`` counts ships (the two ships sharing an MMSI count twice). ``n_sts`` two-sided
    ship-to-ship transfers use two ships each, ``n_dark_sts`` one-sided ones two ships each (the
    partner's dark voyage is also listed as a ``dark_voyage``). Same seed, same result.

    ``nuisances`` adds everyday harbour life on top of those ``n_vessels`` ships (harbour craft,
    a marina, a ferry terminal, work vessels, ships at anchor, censored ends, a high-speed craft;
    about 35 more vessels for 60 ships, scaled with ``n_vessels``), listed in ``truth["nuisances"]``.
    They draw from their own generators, so the other vessels' rows are the same either way, and
    ``nuisances=False`` gives exactly what the generator gave before they existed. For a short
    extract whose silences run into the end of the data, e.g. ``days=0.7``, set the anomaly counts
    to 0.
    """
    counts = {
        "n_dark": n_dark,
        "n_sts": n_sts,
        "n_dark_sts": n_dark_sts,
        "n_spoof": n_spoof,
        "n_shared_mmsi": n_shared_mmsi,
    }
    n_special = _check_params(n_vessels, days, counts, region)
    T = float(days) * _DAY
    start_ts = pd.Timestamp(start)
    start_ts = start_ts.tz_localize("UTC") if start_ts.tzinfo is None else start_ts.tz_convert("UTC")
    start_ns = int(start_ts.value)
    fleet = _Fleet(np.random.default_rng(seed), T)
    _add_dark_voyages(fleet, n_dark, days)
    _add_sts_pairs(fleet, n_sts)
    _add_dark_sts_pairs(fleet, n_dark_sts)
    _add_spoofers(fleet, n_spoof)
    _add_shared_mmsi(fleet, n_shared_mmsi)
    _add_routine_traffic(fleet, n_vessels - n_special)
    designate(fleet.ships, fleet.pending, seed, n_vessels, T, fleet.used)
    _crews(fleet, seed)
    passes = _satellite_passes(fleet.rng, T)
    spoof_truth = _emit_fleet(fleet, passes, region, seed)

    params = {"n_vessels": n_vessels, "days": float(days), "start": _iso(0, start_ns), "n_dark": n_dark,
              "n_sts": n_sts, "n_dark_sts": n_dark_sts, "n_spoof": n_spoof, "n_shared_mmsi": n_shared_mmsi}
    ships, nuisance_truth = fleet.ships, None
    if nuisances:  # added after everything else, from their own generators: the rest is unchanged
        extra, nuisance_truth = _nuisances(seed, n_vessels, T, start_ns, fleet.used, passes, region)
        ships = ships + extra
        params["nuisances"] = True

    positions = _frame(ships, start_ns)
    truth = _truth(seed, ships, fleet.pending, spoof_truth, positions, start_ns, T, params, region)
    if nuisance_truth is not None:
        truth["nuisances"] = nuisance_truth
    schema.validate(positions, schema.POSITIONS, name="simulated positions")
    return Scenario(positions=positions, truth=truth)


# --- the steps of generate(), in drawing order -------------------------------------------------------
def _add_dark_voyages(fleet: _Fleet, n_dark: int, days: float) -> None:
    """Tankers that load in Russia and deliver to North Korea with AIS off; each tries the plans in
    turn from its own until one ends half a day before the end of the data."""
    rng, T = fleet.rng, fleet.T
    for k in range(n_dark):
        v = _make_vessel(rng, "tanker", str(rng.choice(_DARK_FLAGS)), fleet.used, role="dark")
        v.sat_p = max(v.sat_p, 0.7)
        for j in range(len(_DARK_PLANS)):
            plan = _DARK_PLANS[(k + j) % len(_DARK_PLANS)]
            out = _dark_voyage(v, rng, T, plan, rng.uniform(10.5, 13.5))
            if out is not None and out[1][1] < T - 0.5 * _DAY:
                break
        else:
            raise ConfigError(f"days={days} too short to fit a dark voyage; expected at least 4")
        tr, (t_off, t_on), port = out
        fleet.ships.append(_Ship(v, tr, silent=[(t_off, t_on)]))
        pl, po = _PORTS[port][1:]
        fleet.pending.append({"type": "dark_voyage", "ship": len(fleet.ships) - 1, "window": (t_off, t_on), "lat": pl,
                              "lon": po, "port": port, "plan": plan})


def _add_sts_pairs(fleet: _Fleet, n_sts: int) -> None:
    rng, used = fleet.rng, fleet.used
    for k in range(n_sts):
        area = str(rng.choice(_STS_AREAS[:2] if k == 0 else _STS_AREAS))  # the first within coastal coverage
        va = _make_vessel(rng, "tanker", str(rng.choice(["RU", "PA", "HK"])), used, role="sts")
        vb = _make_vessel(rng, "tanker", str(rng.choice(["PA", "LR", "SL", "PW", "MH"])), used, role="sts")
        for v in (va, vb):
            v.sat_p = max(v.sat_p, 0.75)
        (tra, trb), (m0, m1), mid = _sts_pair(va, vb, rng, fleet.T, area)
        fleet.ships += [_Ship(va, tra), _Ship(vb, trb)]
        fleet.pending.append({"type": "sts", "ship": len(fleet.ships) - 2, "other": len(fleet.ships) - 1,
                              "window": (m0, m1), "lat": mid[0], "lon": mid[1], "area": area})


def _add_dark_sts_pairs(fleet: _Fleet, n_dark_sts: int) -> None:
    rng, used, ships = fleet.rng, fleet.used, fleet.ships
    for _ in range(n_dark_sts):
        area = str(rng.choice(_DARK_STS_AREAS))
        va = _make_vessel(rng, "tanker", str(rng.choice(["PA", "SL", "TG", "MN"])), used, role="dark_sts")
        vb = _make_vessel(rng, "tanker", str(rng.choice(_DARK_FLAGS)), used, role="dark_sts_partner")
        va.sat_p = max(va.sat_p, 0.8)
        tra, trb, (m0, m1), (t_off, t_on), mid = _dark_sts(va, vb, rng, fleet.T, area)
        ships += [_Ship(va, tra), _Ship(vb, trb, silent=[(t_off, t_on)])]
        fleet.pending.append({"type": "dark_sts", "ship": len(ships) - 2, "other": len(ships) - 1, "window": (m0, m1),
                              "lat": mid[0], "lon": mid[1], "area": area})
        fleet.pending.append({"type": "dark_voyage", "ship": len(ships) - 1, "other": len(ships) - 2,
                              "window": (t_off, t_on), "lat": mid[0], "lon": mid[1], "port": None, "area": area})


def _add_spoofers(fleet: _Fleet, n_spoof: int) -> None:
    """Merchant ships whose reports are spoofed later, in _emit_fleet."""
    rng = fleet.rng
    for _ in range(n_spoof):
        v = _make_vessel(
            rng,
            str(rng.choice(["cargo", "tanker"])),
            str(rng.choice(["PA", "KR", "CN", "RU"])),
            fleet.used,
            role="spoof",
        )
        fleet.ships.append(_Ship(v, _merchant(v, rng, fleet.t_end)))
        fleet.pending.append({"type": "spoofing", "ship": len(fleet.ships) - 1})


def _add_shared_mmsi(fleet: _Fleet, n_shared_mmsi: int) -> None:
    """A cargo ship in the East Sea and a Chinese fishing boat in the Yellow Sea on one MMSI."""
    rng, used = fleet.rng, fleet.used
    for _ in range(n_shared_mmsi):
        v1 = _make_vessel(rng, "cargo", str(rng.choice(["PA", "KR", "RU"])), used, role="shared_mmsi")
        v2 = _make_vessel(rng, "fishing", "CN", used, role="shared_mmsi")
        used.discard(v2.mmsi)
        v2.mmsi, v2.ais_class, v2.heading_na, v2.sat_p = v1.mmsi, "A", False, 0.7
        fleet.ships += [_Ship(v1, _merchant(v1, rng, fleet.t_end, ports_only=_EAST_SEA_PORTS)),
                        _Ship(v2, _fishing(v2, rng, fleet.t_end, grounds=("YS1", "YS2", "YS3")))]
        fleet.pending.append({"type": "identity_clash", "ship": len(fleet.ships) - 2, "other": len(fleet.ships) - 1})


def _add_routine_traffic(fleet: _Fleet, n: int) -> None:
    """Tankers, cargo ships, fishing boats, ferries and tugs; some merchant ships with a weak
    transponder, some that switch AIS off in port (benign look-alikes)."""
    rng, used, t_end = fleet.rng, fleet.used, fleet.t_end
    counts = _fleet_counts(n)
    ferry_i = tug_i = n_merchant = 0
    n_switch_off = max(2, n // 10)
    for kind in ("tanker", "cargo", "fishing", "passenger", "tug"):
        for _ in range(counts[kind]):
            if kind == "passenger":
                route = _FERRIES[ferry_i % len(_FERRIES)]
                ferry_i += 1
                v = _make_vessel(rng, kind, _PORT_COUNTRY[route[0]], used)
                tr = _ferry(v, rng, t_end, route)
            elif kind == "tug":
                base = _TUG_BASES[tug_i % len(_TUG_BASES)]
                tug_i += 1
                v = _make_vessel(rng, kind, _PORT_COUNTRY[base], used)
                tr = _tug(v, rng, t_end, base)
            else:
                flags, p = _FLAGS_BY_KIND[kind]
                v = _make_vessel(rng, kind, str(rng.choice(flags, p=p)), used)
                tr = _fishing(v, rng, t_end) if kind == "fishing" else _merchant(v, rng, t_end)
            ship = _Ship(v, tr)
            if kind in ("tanker", "cargo") and rng.random() < 0.12:
                v.sat_p = float(rng.uniform(0.15, 0.3))  # benign: a weak transponder, rarely heard offshore
            if kind in ("tanker", "cargo") and n_switch_off > 0 and n_merchant % 3 == 1:
                n_switch_off -= _switch_off_in_port(ship, fleet.T)
            n_merchant += kind in ("tanker", "cargo")
            fleet.ships.append(ship)


def _switch_off_in_port(ship: _Ship, T: float) -> int:
    """Benign look-alike: AIS off during the ship's first stay of over a day moored within the data
    (from 3 h after arrival to 3 h before departure). Returns 1 when there was such a stay."""
    a = ship.tr.arrays()
    long_stays = np.flatnonzero(
        (a["kind"] == MOORED) & (np.diff(a["t"]) > 24 * _HOUR) & (a["t"][:-1] > 0) & (a["t"][1:] < T)
    )
    if not len(long_stays):
        return 0
    s = int(long_stays[0])
    ship.off_in_port.append((a["t"][s] + 3 * _HOUR, a["t"][s + 1] - 3 * _HOUR))
    ship.silent.append(ship.off_in_port[-1])
    return 1


def _crews(fleet: _Fleet, seed: int) -> None:
    """Merchant ships' crew habits and hulls, from ``default_rng([seed, 17])``, and their reported
    draughts, each ship from its own ``default_rng([seed, 17, 4, i])`` (i: its index in the fleet)."""
    rng = np.random.default_rng([seed, 17])
    merchants = [(i, s) for i, s in enumerate(fleet.ships) if s.v.kind in ("tanker", "cargo")]
    for _, ship in merchants:
        _hull(rng, ship.v)
    for i, ship in merchants:
        crew_reports(ship.v, ship.tr, np.random.default_rng([seed, 17, 4, i]))


def _emit_fleet(fleet: _Fleet, passes, region: str, seed: int) -> dict:
    """Every ship's reports, and the spoofers' spoofed stretches (returns their truth by ship index).
    A designated ship's replaced track still takes its draws from the main generator (discarded);
    its own reports come from ``default_rng([seed, 17, 3])``."""
    spoof_truth = {}
    drng = np.random.default_rng([seed, 17, 3])
    for si, ship in enumerate(fleet.ships):
        if ship.drawn_tr is not None:
            _emit(ship.v, ship.drawn_tr, fleet.rng, region, passes, fleet.T, [])
            ship.rep = _emit(ship.v, ship.tr, drng, region, passes, fleet.T, ship.silent)
        else:
            ship.rep = _emit(ship.v, ship.tr, fleet.rng, region, passes, fleet.T, ship.silent)
        if ship.v.role == "spoof":
            res = _apply_spoof(ship.rep, fleet.rng, fleet.T)
            if res is None:
                raise ConfigError(f"seed {seed}: no stretch of coastal reports long enough to spoof; try another seed")
            spoof_truth[si] = res
    return spoof_truth


def _nuisances(
    seed: int, n_vessels: int, T: float, start_ns: int, used: set[int], passes, region: str
) -> tuple[list, list]:
    """The nuisance vessels with their reports inside the region (from ``default_rng([seed, 7, 1])``),
    and truth["nuisances"]."""
    extra, pend = _nuisance_fleet(seed, n_vessels, T, start_ns, used)
    nrng = np.random.default_rng([seed, 7, 1])
    lat0, lat1, lon0, lon1 = REGIONS[region]
    for ship in extra:
        rep = _emit(ship.v, ship.tr, nrng, region, passes, T, ship.silent)
        inside = (rep["lat"] > lat0) & (rep["lat"] < lat1) & (rep["lon"] > lon0) & (rep["lon"] < lon1)
        ship.rep = {k: x[inside] for k, x in rep.items()}
    return extra, _nuisance_truth(extra, pend, start_ns, T)


def _frame(ships: list[_Ship], start_ns: int) -> pd.DataFrame:
    """The reports of all ships as a schema.POSITIONS frame, sorted by (mmsi, timestamp)."""
    reps = cast("list[dict]", [s.rep for s in ships])  # every ship has been emitted by now
    lens = np.array([len(r["t"]) for r in reps])
    owner = np.repeat(np.arange(len(ships)), lens)
    def cat(k):
        return np.concatenate([r[k] for r in reps]) if reps else np.array([])
    t = cat("t").astype(np.int64)
    mmsi = np.array([s.v.mmsi for s in ships], dtype=np.int32)[owner]
    order = np.lexsort((t, mmsi))

    def static(attr, dtype=object):
        return np.array([getattr(s.v, attr) for s in ships], dtype=dtype)[owner][order]

    ts = pd.to_datetime(start_ns + t[order] * 1_000_000_000, utc=True).astype(schema.UTC_NS)
    dest = cat("dest")[order]
    imo = pd.array(
        np.array([np.nan if s.v.imo is None else s.v.imo for s in ships])[owner][order], dtype="Float64"
    ).astype("Int32")
    return pd.DataFrame({
        "mmsi": mmsi[order],
        "timestamp": ts,
        "lat": cat("lat")[order].astype(np.float64),
        "lon": cat("lon")[order].astype(np.float64),
        "sog_kn": cat("sog")[order].astype(np.float32),
        "cog_deg": cat("cog")[order].astype(np.float32),
        "heading_deg": cat("heading")[order].astype(np.float32),
        "nav_status": pd.array(cat("status")[order], dtype="Float64").astype("Int8"),
        "draught_m": cat("draught")[order].astype(np.float32),
        "imo": imo,
        "vessel_name": pd.Categorical(static("name")),
        "call_sign": pd.Categorical(static("call_sign")),
        "vessel_type": pd.array(static("vessel_type", float), dtype="Float64").astype("Int16"),
        "destination": pd.Categorical(dest),
        "length_m": static("length", np.float32),
        "width_m": static("width", np.float32),
        "ais_class": pd.Categorical(static("ais_class")),
    })
