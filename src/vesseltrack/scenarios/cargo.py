"""Cargo operations: the true tonnage moved, and the draught the crew enters in AIS.

Every merchant ship of the main fleet has a true (physical) draught that changes at each cargo
operation (``_Track.cargo``) and a reported (AIS) draught that follows its crew's habit:

- ``prompt`` (~60 %): updated when the draught changes (on sailing, after a transfer), to 0.1 m;
- ``late`` (~20 %): updated 2-24 h after the operation, or only at the next port;
- ``rough`` (~10 %): updated within 3 h to a round figure (to 0.5 m), or, when laden, to a fixed
  "laden" figure slightly off the truth;
- ``never`` (~10 %): a static draught that is never changed.

Where a scripted anomaly has its crew not update after an unseen delivery (``crew_skips``), that
operation is reported as a ``late`` crew does, at the next port (``never`` crews still never do).

The true tonnage of an operation is the displacement change ``|d1 - d0| * Cwp * LWL * B * 1.025``
(t, sea water 1.025 t/m3), with the ship's waterplane coefficient ``Cwp`` and waterline length
``LWL`` drawn per ship. Crews, ``Cwp`` and ``LWL`` come from ``default_rng([seed, 17])``, the
crews' delays and figures from ``default_rng([seed, 17, 4, i])`` for the fleet's ship ``i``, so the
main generator's draws, tracks and report times are unchanged.
"""

from __future__ import annotations

import numpy as np

from vesseltrack.scenarios._shared import _HOUR
from vesseltrack.scenarios.movement import MOORED, _Track

CREW_HABITS: tuple[str, ...] = ("prompt", "late", "rough", "never")
_CREW_P = (0.6, 0.2, 0.1, 0.1)
SEA_WATER_T_M3 = 1.025


def _hull(rng: np.random.Generator, v) -> None:
    """The crew habit, waterplane coefficient and waterline length of a merchant ship. Cwp from
    the usual ranges (tankers ~0.80-0.90, general cargo / ro-ro ~0.72-0.85), lower for small ships."""
    v.crew = str(rng.choice(CREW_HABITS, p=_CREW_P))
    big = v.length >= 150
    lo, hi = ((0.82, 0.90) if big else (0.78, 0.87)) if v.kind == "tanker" else ((0.75, 0.85) if big else (0.72, 0.82))
    v.cwp = round(float(rng.uniform(lo, hi)), 3)
    v.lwl = round(float(v.length * rng.uniform(0.93, 0.98)), 1)


def true_tonnes(before_m: float, after_m: float, cwp: float, lwl_m: float, width_m: float) -> float:
    """Displacement change (t) between two true draughts: |d1 - d0| * Cwp * LWL * B * 1.025."""
    return abs(after_m - before_m) * cwp * lwl_m * width_m * SEA_WATER_T_M3


def op_window(a: dict, op: dict) -> tuple[float, float]:
    """An operation's window: the STS meeting, or the moored stay around the time the draught changed."""
    if op["window"] is not None:
        return float(op["window"][0]), float(op["window"][1])
    t, kind = a["t"], a["kind"]
    k = int(np.searchsorted(t, op["t"], side="left"))
    s = k
    while s > 0 and kind[s - 1] == MOORED:
        s -= 1
    e = k
    while e < len(kind) and kind[e] == MOORED:
        e += 1
    return float(t[s]), float(t[e])


def _next_port_arrival(a: dict, after: float) -> float | None:
    """Start of the first moored stay that begins after ``after`` (arrival at the next berth)."""
    t, kind = a["t"], a["kind"]
    starts = np.flatnonzero((kind == MOORED) & (np.r_[-1, kind[:-1]] != MOORED) & (t[:-1] > after))
    return float(t[starts[0]]) if len(starts) else None


def _rough(x: float) -> float:
    return float(np.round(x * 2.0) / 2.0)


def crew_reports(v, tr: _Track, rng: np.random.Generator) -> None:
    """``tr.reported``: the draught the crew enters, from the track's cargo operations and the crew
    habit. Each operation draws the same numbers whatever the habit (stable streams)."""
    a = tr.arrays()
    true0 = float(a["draught"][0]) if len(a["draught"]) else tr.cur_draught
    static = round(v.laden * float(rng.uniform(0.97, 1.04)), 1) if rng.random() < 0.5 else round(true0, 1)
    fixed_laden = round(v.laden + float(rng.choice([-1, 1])) * float(rng.uniform(0.2, 0.6)), 1)
    first = {"never": static, "rough": _rough(true0)}.get(v.crew, round(true0, 1))
    times, values = [float(a["t"][0])], [first]
    for op in tr.ops:
        u_late, u_delay, u_rough = rng.random(), rng.uniform(2, 24), rng.uniform(0, 3)
        if v.crew == "never":
            continue
        habit = "late" if op["crew_skips"] else v.crew
        if habit == "prompt":
            when, val = op["t"], round(op["after"], 1)
        elif habit == "late":
            w1 = op_window(a, op)[1]
            when = w1 + u_delay * _HOUR if u_late < 0.5 and not op["crew_skips"] else _next_port_arrival(a, w1)
            val = round(op["after"], 1)
        else:  # rough
            when = op["t"] + u_rough * _HOUR
            val = fixed_laden if op["after"] >= v.laden - 0.05 and op["after"] > op["before"] else _rough(op["after"])
        if when is not None:
            times.append(float(when))
            values.append(val)
    t_arr, d_arr = np.array(times), np.array(values)
    # an update overtaken by a later one (a late crew and a short call) is never entered
    keep = np.r_[t_arr[:-1] < np.minimum.accumulate(t_arr[::-1])[::-1][1:], True]
    order = np.argsort(t_arr[keep], kind="stable")
    tr.reported = (t_arr[keep][order], d_arr[keep][order])
