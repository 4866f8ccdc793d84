"""Tracks: order positions by vessel and time once, then per-step kinematics, fleet-wide.

Everything here is vectorised over the whole table: vessel boundaries are a boolean mask over the
sorted arrays, never a groupby-apply or a Python loop per vessel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vesseltrack.geo import BLOCK_ROWS, KN_PER_M_S, step_distances_m


def ts_ns(series: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (int64 view, no copy) of a UTC-aware timestamp column."""
    return series.array.asi8


def utc_from_ns(ns: np.ndarray):
    """The UTC timestamp array (datetime64[ns, UTC]) over int64 nanoseconds, without a copy."""
    return pd.array(ns.view("M8[ns]"), copy=False).view(pd.DatetimeTZDtype(tz="UTC"))


def is_sorted(mmsi: np.ndarray, ts: np.ndarray) -> bool:
    """True when (mmsi, ts) is non-decreasing; checked in blocks (a short first block, so that
    unsorted input fails fast) to keep temporaries small."""
    n = len(mmsi)
    lo = 0
    size = 4096
    while lo < n - 1:
        hi = min(lo + size + 1, n)
        m0, m1 = mmsi[lo:hi - 1], mmsi[lo + 1:hi]
        if (m1 < m0).any() or (ts[lo + 1:hi][m1 == m0] < ts[lo:hi - 1][m1 == m0]).any():
            return False
        lo = hi - 1
        size = BLOCK_ROWS
    return True


def vessel_codes(mmsi: np.ndarray) -> np.ndarray:
    """Each row's vessel as its rank among the distinct MMSIs (uint16 for up to 65,536 vessels, else
    uint32): found by hashing (O(n)), only the distinct values are sorted."""
    codes, uniq = pd.factorize(mmsi)  # in order of appearance; ranked below (cheaper than sort=True)
    rank = np.empty(len(uniq), dtype=np.uint16 if len(uniq) <= 2**16 else np.uint32)
    rank[np.argsort(uniq)] = np.arange(len(uniq))
    return rank.take(codes)


def sort_order(mmsi: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
    """Stable permutation that sorts by (mmsi, timestamp as int64 ns); None when already sorted.

    Exploits the order files usually have: when each vessel's reports come in time order (a
    time-ordered file or chunk of one), a stable radix sort by dense vessel code
    (:func:`vessel_codes`, linear) is already the answer, which one O(n) pass verifies.
    Otherwise rows are first sorted by time (timsort uses existing runs), then stably by vessel.
    The permutation is the same either way (a stable sort has one answer).
    """
    if is_sorted(mmsi, ts):
        return None
    codes = vessel_codes(mmsi)
    order = np.argsort(codes, kind="stable")
    if is_sorted(mmsi.take(order), ts.take(order)):
        return order
    by_time = np.argsort(ts, kind="stable")
    return by_time[np.argsort(codes.take(by_time), kind="stable")]


def sort_positions(positions: pd.DataFrame) -> pd.DataFrame:
    """Return positions sorted by (mmsi, timestamp), stable, with a fresh RangeIndex.

    Never mutates the input; returns it unchanged (same object) when it is already sorted.
    """
    order = sort_order(positions["mmsi"].to_numpy(), ts_ns(positions["timestamp"]))
    if order is None:
        if isinstance(positions.index, pd.RangeIndex) and positions.index.start == 0 and positions.index.step == 1:
            return positions
        return positions.reset_index(drop=True)
    return positions.take(order).reset_index(drop=True)


def vessel_starts(mmsi: np.ndarray) -> np.ndarray:
    """Boolean mask: True at the first row of each vessel in (mmsi, timestamp)-sorted arrays."""
    first = np.empty(len(mmsi), dtype=bool)
    if len(mmsi):
        first[0] = True
        np.not_equal(mmsi[1:], mmsi[:-1], out=first[1:])
    return first


def add_steps(positions: pd.DataFrame, *, segment_gap_h: float) -> pd.DataFrame:
    """Append schema.STEPS columns to (mmsi, timestamp)-sorted positions.

    ``segment_id`` increases at each new vessel and after each silence longer than ``segment_gap_h``.
    Returns a new frame; the input is not modified.
    """
    mmsi = positions["mmsi"].to_numpy()
    ts = ts_ns(positions["timestamp"])
    lat = positions["lat"].to_numpy()
    lon = positions["lon"].to_numpy()
    n = len(positions)
    first = vessel_starts(mmsi)
    dt_s = np.empty(n)
    dist = np.empty(n)
    if n:
        np.subtract(ts[1:], ts[:-1], out=dt_s[1:], casting="unsafe")
        dt_s[1:] *= 1e-9
        step_distances_m(lat, lon, out=dist[1:])
    dt_s[first] = np.nan
    dist[first] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = dist / dt_s
        speed *= KN_PER_M_S
    speed[~(dt_s > 0)] = np.nan
    new_seg = dt_s > segment_gap_h * 3600.0
    new_seg |= first
    seg_start = np.flatnonzero(new_seg)  # (segments are few: ids by run, not a cumulative sum)
    segment_id = np.repeat(np.arange(len(seg_start), dtype=np.int64), np.diff(np.r_[seg_start, n]))
    # a new frame over the same column arrays (copy-on-write: the input is never modified)
    cols: dict[str, Any] = {c: positions[c] for c in positions.columns}
    cols.update(dt_s=dt_s, distance_m=dist, implied_speed_kn=speed, segment_id=segment_id)
    return pd.DataFrame(cols, copy=False)


def range_rows(start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows start[k] .. start[k] + length[k] - 1 of every range k, concatenated (vectorised), and
    each range's offset in that result."""
    off = np.cumsum(length) - length
    return np.repeat(start, length) + (np.arange(int(length.sum())) - np.repeat(off, length)), off


def search_seconds(ts: np.ndarray, lo: np.ndarray, hi: np.ndarray, target_s: np.ndarray, *, base: int = 0,
                   strict: bool = False) -> np.ndarray:
    """Per query, the first row j in [lo, hi) with (ts[j] - base) // 1e9 >= target_s (> when
    ``strict``), hi when there is none; ``ts`` (int64 ns) must be sorted within each range, as a
    vessel's rows are. A binary search run for all queries together (log2 of the longest range
    passes over the queries): work and memory grow with the queries, not with the table.
    """
    lo, hi = np.array(lo, dtype=np.int64), np.array(hi, dtype=np.int64)
    active = lo < hi
    while active.any():
        mid = (lo + hi) // 2
        s = (ts[np.where(active, mid, 0)] - base) // 1_000_000_000
        right = active & ((s <= target_s) if strict else (s < target_s))
        lo = np.where(right, mid + 1, lo)
        hi = np.where(active & ~right, mid, hi)
        active = lo < hi
    return lo
