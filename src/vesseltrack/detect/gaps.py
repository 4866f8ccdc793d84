"""Transmission gaps: silences longer than a threshold between consecutive reports of a vessel.

Default threshold: 6 h, the shortest gap Global Fishing Watch publishes. Class A transponders
report every 2-10 s under way and terrestrial receivers reach ~40-60 nm, so at 12 kn a ship
crosses a coastal receiver's range in ~8 h; shorter silences are routinely reception holes, and
satellite passes leave gaps of 1-6 h. Gaps still open at the end of the data are events with
``is_closed = False`` (the end of the data is passed in, so a subset of vessels or a time window
gives the same answer as the whole).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.detect import events as ev
from vesseltrack.geo import KN_PER_M_S
from vesseltrack.tracks import vessel_starts
from vesseltrack.detect.reach import reachable, typical_speed
from vesseltrack.reception import ReceptionMap, gap_reception
from vesseltrack.zones import Gazetteer, nearest_sensitive

DEFAULT_GAP_H = 6.0
#: A gap end within this distance of a sensitive port names that port in the event's ``port``.
NEAR_PORT_KM = 300.0


def detect_gaps(steps: pd.DataFrame, gaz: Gazetteer, *, min_gap_h: float = DEFAULT_GAP_H,
                data_end: pd.Timestamp | None = None, zone: np.ndarray | None = None,
                reception: ReceptionMap | None = None) -> pd.DataFrame:
    """Gap events from (mmsi, timestamp)-sorted positions with schema.STEPS columns.

    ``zone``: per-position zone index (zones.assign_zone); when given, ``in_port`` tells gaps that
    start and end inside the same port zone. ``reception``: the reception map (reception.py);
    when given, each gap is judged against how well its area is heard.
    ``data_end``: when the data ends (default: the last timestamp in ``steps``); a vessel silent
    from its last report until then for longer than ``min_gap_h`` gets an open gap.
    """
    n = len(steps)
    if n == 0:
        return ev.conform(pd.DataFrame())
    thr_s = min_gap_h * 3600.0
    dt = steps["dt_s"].to_numpy()
    end_idx = np.flatnonzero(dt > thr_s)
    start_idx = end_idx - 1
    # open gaps: from each vessel's last report to the end of the data
    mmsi = steps["mmsi"].to_numpy()
    last = np.flatnonzero(np.append(vessel_starts(mmsi)[1:], True))
    ts = steps["timestamp"].array.asi8
    end_ns = ts.max() if data_end is None else pd.Timestamp(data_end).value
    open_last = last[(end_ns - ts[last]) > thr_s * 1e9]
    s_idx = np.concatenate([start_idx, open_last])
    e_idx = np.concatenate([end_idx, np.full(len(open_last), -1)])
    closed = e_idx >= 0
    e = np.where(closed, e_idx, s_idx)

    lat = steps["lat"].to_numpy()
    lon = steps["lon"].to_numpy()
    d0, p0 = nearest_sensitive(lat[s_idx], lon[s_idx], gaz)
    d1, p1 = nearest_sensitive(np.where(closed, lat[e], np.nan), np.where(closed, lon[e], np.nan), gaz)
    near = np.where(np.nan_to_num(d1, nan=np.inf) < np.nan_to_num(d0, nan=np.inf), p1, p0)
    near_km = np.fmin(d0, d1)
    port = np.where((near >= 0) & (near_km <= NEAR_PORT_KM), gaz.names[np.maximum(near, 0)], None)
    draught = steps["draught_m"].to_numpy(dtype=float)

    def after(col: str) -> np.ndarray:
        vals = ev.text_at(steps[col], e)
        vals[~closed] = None
        return vals

    if zone is None:
        in_port = np.full(len(s_idx), None, dtype=object)
    else:
        in_port = closed & (zone[s_idx] >= 0) & (zone[s_idx] == zone[e])
    out = ev.build(
        "gap", steps, s_idx, e_idx, end_time=np.full(len(s_idx), end_ns),
        port=port,
        is_closed=closed,
        in_port=in_port,
        start_port_distance_km=d0,
        end_port_distance_km=d1,
        draught_before_m=draught[s_idx],
        draught_after_m=np.where(closed, draught[e], np.nan),
        destination_before=ev.text_at(steps["destination"], s_idx),
        destination_after=after("destination"),
        name_before=ev.text_at(steps["vessel_name"], s_idx),
        name_after=after("vessel_name"),
        call_sign_before=ev.text_at(steps["call_sign"], s_idx),
        call_sign_after=after("call_sign"),
        imo_before=steps["imo"].take(s_idx).to_numpy(),
        imo_after=steps["imo"].take(e).where(closed).to_numpy(),
        n_positions=np.zeros(len(s_idx), dtype=np.int64),
        **(gap_reception(steps, s_idx, e_idx, np.where(closed, ts[e], end_ns), reception) if reception is not None else {}),
    )
    speed = typical_speed(steps).reindex(out["mmsi"].to_numpy()).to_numpy()
    for col, vals in reachable(out, speed, gaz).items():
        out[col] = vals
    with np.errstate(divide="ignore", invalid="ignore"):
        out["implied_speed_kn"] = np.where(out["duration_h"] > 0, out["distance_m"] / (out["duration_h"] * 3600.0) * KN_PER_M_S, np.nan)
    return out
