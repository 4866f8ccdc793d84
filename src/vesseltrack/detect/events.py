"""Building rows of schema.EVENTS from position indices, shared by every detector."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.geo import haversine_m


def content_ids(prefix: str, *cols: pd.Series | np.ndarray) -> np.ndarray:
    """Stable 16-hex-digit content hashes of the given columns, vectorised (siphash with a fixed key)."""
    frame = pd.DataFrame({f"c{i}": np.asarray(c) for i, c in enumerate(cols)})
    h = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return np.char.add(prefix, np.char.mod("%016x", h)) if len(h) else np.empty(0, dtype=object)


def text_at(series: pd.Series, idx: np.ndarray) -> np.ndarray:
    """Values of a text/categorical column at row positions, as an object array (None for missing)."""
    vals = series.take(idx)
    out = np.array(vals.astype(object), dtype=object)
    out[np.asarray(pd.isna(vals))] = None
    return out


def build(event_type: str, positions: pd.DataFrame, start_idx: np.ndarray, end_idx: np.ndarray | None,
          *, end_time: np.ndarray | None = None, **typed) -> pd.DataFrame:
    """EVENTS rows for events spanning positions[start_idx] .. positions[end_idx].

    ``end_idx`` entries of -1 (or ``end_idx`` None) mean "no end position" (an open gap); then
    ``end_time`` (int64 ns) gives the end time. Type-specific columns come as keyword arrays.
    Static vessel data is taken from the start position.
    """
    n = len(start_idx)
    ts = positions["timestamp"].array.asi8
    lat = positions["lat"].to_numpy()
    lon = positions["lon"].to_numpy()
    if end_idx is None:
        end_idx = np.full(n, -1, dtype=np.int64)
    has_end = end_idx >= 0
    e = np.where(has_end, end_idx, start_idx)
    t0 = ts[start_idx]
    t1 = np.where(has_end, ts[e], end_time if end_time is not None else ts[e])
    elat = np.where(has_end, lat[e], np.nan)
    elon = np.where(has_end, lon[e], np.nan)
    mmsi = positions["mmsi"].to_numpy()[start_idx]
    out = {
        "event_id": content_ids(
            event_type[0].upper(), np.full(n, event_type), mmsi, t0, lat[start_idx], lon[start_idx]
        ),
        "event_type": np.full(n, event_type, dtype=object),
        "mmsi": mmsi,
        "start_time": pd.to_datetime(t0, utc=True),
        "end_time": pd.to_datetime(t1, utc=True),
        "start_lat": lat[start_idx],
        "start_lon": lon[start_idx],
        "end_lat": elat,
        "end_lon": elon,
        "duration_h": (t1 - t0) / 3.6e12,
        "distance_m": haversine_m(lat[start_idx], lon[start_idx], elat, elon),
        "imo": positions["imo"].take(start_idx).to_numpy(),
        "vessel_name": text_at(positions["vessel_name"], start_idx),
        "vessel_type": positions["vessel_type"].take(start_idx).to_numpy(),
        **typed,
    }
    return conform(pd.DataFrame(out))


def conform(events: pd.DataFrame) -> pd.DataFrame:
    """An EVENTS table from a detector's rows: the columns it did not fill are added as missing."""
    return schema.conform(events, schema.EVENTS, fill_missing=True)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """All events in one EVENTS table, in a deterministic order (mmsi, start_time, type, id)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return conform(pd.DataFrame())
    ev = pd.concat(frames, ignore_index=True)
    return ev.sort_values(["mmsi", "start_time", "event_type", "event_id"], kind="stable").reset_index(drop=True)
