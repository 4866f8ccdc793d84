"""Port visits: stays inside a gazetteer zone (port circle or user polygon).

A visit is a run of consecutive reports of one vessel inside the same zone that either lasts at
least ``min_visit_h`` or includes a report at under ``stop_kn`` (a ship that stopped, even if
reported once). Runs of the same vessel in the same zone less than ``merge_h`` apart are merged, so
a ship swinging at anchor across the zone edge makes one visit, not several.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from vesseltrack.detect import events as ev
from vesseltrack.detect.params import DEFAULT_MIN_VISIT_H
from vesseltrack.tracks import vessel_starts
from vesseltrack.zones import Gazetteer

DEFAULT_STOP_KN = 1.0
DEFAULT_MERGE_H = 2.0


class VisitRuns(NamedTuple):
    """Port visits as runs of rows in (mmsi, timestamp)-sorted positions, in row order."""

    start_idx: np.ndarray  # row of the first position in the zone
    end_idx: np.ndarray  # row of the last position in the zone
    zone: np.ndarray  # gazetteer zone index (int32)


def visit_runs(
    steps: pd.DataFrame,
    zone: np.ndarray,
    *,
    min_visit_h: float = DEFAULT_MIN_VISIT_H,
    stop_kn: float = DEFAULT_STOP_KN,
    merge_h: float = DEFAULT_MERGE_H,
) -> VisitRuns:
    """(start_idx, end_idx, zone) of port visits in (mmsi, timestamp)-sorted positions, in row order."""
    n = len(zone)
    if n == 0:
        e = np.empty(0, np.int64)
        return VisitRuns(e, e, e.astype(np.int32))
    mmsi = steps["mmsi"].to_numpy()
    change = vessel_starts(mmsi)
    change[1:] |= zone[1:] != zone[:-1]
    rs = np.flatnonzero(change)  # every run of constant (vessel, zone), in zone or not
    re = np.append(rs[1:] - 1, n - 1)
    sog = steps["sog_kn"].to_numpy(dtype=float)
    min_sog = np.minimum.reduceat(np.where(np.isnan(sog), np.inf, sog), rs)
    rz = zone[rs]
    keep = rz >= 0
    rs, re, rz, min_sog = rs[keep], re[keep], rz[keep], min_sog[keep]
    if rs.size == 0:
        return VisitRuns(rs, re, rz)
    ts = steps["timestamp"].array.asi8
    dur_h = (ts[re] - ts[rs]) / 3.6e12
    ok = (dur_h >= min_visit_h) | (min_sog < stop_kn)
    rs, re, rz = rs[ok], re[ok], rz[ok]
    if rs.size == 0:
        return VisitRuns(rs, re, rz)
    # merge runs of one vessel in one zone that are less than merge_h apart
    same = np.zeros(rs.size, dtype=bool)
    same[1:] = (mmsi[rs[1:]] == mmsi[rs[:-1]]) & (rz[1:] == rz[:-1]) & ((ts[rs[1:]] - ts[re[:-1]]) <= merge_h * 3.6e12)
    grp_start = np.flatnonzero(~same)
    grp_end = np.append(grp_start[1:] - 1, rs.size - 1)
    return VisitRuns(rs[grp_start], re[grp_end], rz[grp_start])


def detect_port_visits(steps: pd.DataFrame, zone: np.ndarray, gaz: Gazetteer, **params) -> pd.DataFrame:
    """Port-visit events. ``zone``: per-position zone index from zones.assign_zone (-1 none)."""
    return port_visit_events(steps, visit_runs(steps, zone, **params), gaz)


def port_visit_events(
    steps: pd.DataFrame, runs: VisitRuns, gaz: Gazetteer
) -> pd.DataFrame:
    """Port-visit events from the (start_idx, end_idx, zone) runs of :func:`visit_runs`."""
    rs, re, rz = runs
    if rs.size == 0:
        return ev.conform(pd.DataFrame())
    draught = steps["draught_m"].to_numpy(dtype=float)
    z = gaz.zones
    return ev.build(
        "port_visit", steps, rs, re,
        port=gaz.names[rz],
        port_country=z["country"].to_numpy(dtype=object)[rz],
        port_sensitive=gaz.sensitive[rz],
        draught_before_m=draught[rs],
        draught_after_m=draught[re],
        n_positions=(re - rs + 1),
    )
