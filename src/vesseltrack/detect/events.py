"""Building rows of schema.EVENTS from position indices, shared by every detector."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.geo import haversine_m

#: Code points of the hex digits, and the shifts that take a uint64's 16 nibbles, most significant first.
_HEX_DIGITS = np.array([ord(c) for c in "0123456789abcdef"], dtype=np.uint32)
_NIBBLE_SHIFTS = np.arange(60, -1, -4, dtype=np.uint64)


def content_ids(prefix: str, *cols: pd.Series | np.ndarray) -> np.ndarray:
    """Stable 16-hex-digit content hashes of the given columns, vectorised (siphash with a fixed key).

    The ids are ``prefix`` + ``"%016x" % hash`` as a numpy unicode array, spelt out digit by digit in
    numpy (numpy's string formatting calls Python once per value).
    """
    frame = pd.DataFrame({f"c{i}": np.asarray(c) for i, c in enumerate(cols)})
    h = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    if not len(h):
        return np.empty(0, dtype=object)
    # One UCS-4 code point per character; as wide as numpy's own prefix + digits (<U17 for one letter, and
    # for an empty prefix, whose trailing NUL reads back as nothing).
    chars = np.zeros((len(h), max(len(prefix), 1) + 16), dtype=np.uint32)
    chars[:, : len(prefix)] = [ord(c) for c in prefix]
    chars[:, len(prefix): len(prefix) + 16] = _HEX_DIGITS[(h[:, None] >> _NIBBLE_SHIFTS) & np.uint64(15)]
    return chars.view(np.dtype(("U", chars.shape[1]))).ravel()


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
        "start_time": _utc(t0),
        "end_time": _utc(t1),
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


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    """Nanoseconds since the epoch as UTC times; int64 ones read as datetimes as they are (to_datetime parses
    integers one by one through its object path)."""
    return pd.to_datetime(ns.view("M8[ns]") if ns.dtype == np.int64 else ns, utc=True)


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
