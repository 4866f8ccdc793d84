"""Voyages: each vessel's track cut at the start of every port visit.

A voyage begins with a port visit (or with the vessel's first report) and runs until the next visit
begins (or the vessel's data ends): it holds the stay in its start port and the passage to the next.
``end_time`` is the arrival at the next port when there is one, so a silence before arrival belongs
to the voyage it interrupts. Voyage codes are contiguous over the sorted positions, so every
per-voyage figure is a ``reduceat`` over the position arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vesseltrack.detect.events import content_ids, text_at
from vesseltrack.tracks import vessel_starts
from vesseltrack.zones import Gazetteer


@dataclass
class Voyages:
    table: pd.DataFrame        # identity columns of schema.VOYAGES (no features yet)
    code: np.ndarray           # per position: row of ``table`` it belongs to
    first: np.ndarray          # per voyage: index of its first position
    last: np.ndarray           # per voyage: index of its last position


def build_voyages(steps: pd.DataFrame, visit_start: np.ndarray, visit_zone: np.ndarray, gaz: Gazetteer) -> Voyages:
    """Cut (mmsi, timestamp)-sorted positions into voyages at the given visit-start rows."""
    n = len(steps)
    mmsi = steps["mmsi"].to_numpy()
    vstart = vessel_starts(mmsi)
    boundary = vstart.copy()
    boundary[visit_start] = True
    first = np.flatnonzero(boundary)
    last = np.append(first[1:] - 1, n - 1) if n else first
    code = np.cumsum(boundary) - 1
    zone_at = np.full(n, -1, dtype=np.int64)
    zone_at[visit_start] = visit_zone
    names = gaz.names
    start_zone = zone_at[first]
    nxt = last + 1
    has_next = (nxt < n)
    has_next[has_next] = ~vstart[nxt[has_next]]
    end_zone = np.full(len(first), -1, dtype=np.int64)
    end_zone[has_next] = zone_at[nxt[has_next]]
    start_port = np.where(start_zone >= 0, names[np.maximum(start_zone, 0)], None)  # type: ignore[call-overload]
    end_port = np.where(end_zone >= 0, names[np.maximum(end_zone, 0)], None)  # type: ignore[call-overload]
    ts = steps["timestamp"].array.asi8
    t0 = ts[first]
    t1 = np.where(has_next, ts[np.minimum(nxt, n - 1)], ts[last])
    ports = (pd.Series(start_port, dtype=object).fillna("(data start)") + " -> "
             + pd.Series(end_port, dtype=object).fillna("(data end)"))
    table = pd.DataFrame({
        "voyage_id": content_ids("V", mmsi[first], t0),
        "mmsi": mmsi[first],
        "imo": steps["imo"].take(first).to_numpy(),
        "vessel_name": text_at(steps["vessel_name"], first),
        "vessel_type": steps["vessel_type"].take(first).to_numpy(),
        "start_time": pd.to_datetime(t0, utc=True),
        "end_time": pd.to_datetime(t1, utc=True),
        "start_port": start_port,
        "end_port": end_port,
        "ports": ports.to_numpy(dtype=object),
    })
    return Voyages(table, code, first, last)


def voyage_of(events: pd.DataFrame, voyages: pd.DataFrame) -> np.ndarray:
    """voyage_id of each event: the vessel's last voyage starting at or before the event's start."""
    if events.empty or voyages.empty:
        return np.full(len(events), None, dtype=object)
    left = events[["mmsi", "start_time"]].reset_index().sort_values("start_time", kind="stable")
    right = voyages[["mmsi", "start_time", "voyage_id"]].sort_values("start_time", kind="stable")
    m = pd.merge_asof(left, right, on="start_time", by="mmsi", direction="backward")
    out = np.full(len(events), None, dtype=object)
    vid = m["voyage_id"].to_numpy(dtype=object)
    out[m["index"].to_numpy()] = np.where(pd.isna(vid), None, vid)  # type: ignore[call-overload]
    return out
