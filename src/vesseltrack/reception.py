"""Reception, learnt from the data itself: how often ships in a grid cell fall silent for a given
time without anyone switching anything off.

A gap in AIS is not proof of hiding: coastal receivers reach ~40-60 nm and satellites pass every
few hours, so in poorly covered water long silences are normal. Reception is bursty (a satellite
pass hears a ship every minute for ten minutes, then nothing for hours), so a mean reporting rate
says little about silences. The map therefore keeps, for every grid cell (``cell_deg`` degrees,
default 0.5) and AIS class, the vessel-hours spent there and the durations of all silences that
started there, and judges a gap of T hours by how often ships there fall silent that long:

    rate(T) = (n_cell(silences >= T) + A * rate_fleet(T)) / (hours_cell + A)      per vessel-hour

with the gap itself left out, and A = 24 pseudo-hours of the fleet-wide rate as a prior (thin
cells borrow from the fleet). A gap gets the larger (more innocent) of the rates at its start and
end cells; ``silence_per_day_log10`` is log10 of that rate per ship-day: 0 = ships there go silent
this long about once a day, -3 = once in a thousand ship-days. Independent evidence comes from the
neighbours: ``others_heard`` counts reports of other vessels in the gap's start and end cells
during it (in the whole hours inside the gap). A natural outage in poorly covered water has a
common silence and few neighbours
heard; a tanker silent for 30 h where its neighbours were heard every few minutes has neither.

The map also keeps the mean reporting rate per cell and class (``reception_*_per_h``), for a human.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vesseltrack.geo import BLOCK_ROWS

DEFAULT_CELL_DEG = 0.5
DEFAULT_MAX_STEP_H = 24.0
DEFAULT_MIN_STEPS = 20
#: Silences shorter than this are reception jitter, not silences.
SILENCE_MIN_S = 3600
#: Weight of the fleet-wide prior, in pseudo vessel-hours.
PRIOR_HOURS = 24.0
#: log10 rates below this are clipped (they all mean "never happens" to a human).
RATE_FLOOR_LOG10 = -6.0


def cell_ids(lat: np.ndarray, lon: np.ndarray, cell_deg: float) -> np.ndarray:
    """Integer id of the grid cell of each point (-1 for NaN positions)."""
    nlon = int(round(360.0 / cell_deg))
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    nan = np.isnan(lat) | np.isnan(lon)
    if nan.any():
        out = np.full(len(lat), -1, dtype=np.int64)
        ok = ~nan
        out[ok] = cell_ids(lat[ok], lon[ok], cell_deg)
        return out
    # lat + 90 and lon + 180 are >= 0 for valid positions: truncation is floor; in blocks, in place
    out = np.empty(len(lat), dtype=np.int64)
    for s in range(0, len(lat), BLOCK_ROWS):
        o = out[s:s + BLOCK_ROWS]
        t = lat[s:s + BLOCK_ROWS] + 90.0
        t /= cell_deg
        o[:] = t
        o *= nlon
        np.add(lon[s:s + BLOCK_ROWS], 180.0, out=t)
        t /= cell_deg
        ix = t.astype(np.int64)
        np.clip(ix, 0, nlon - 1, out=ix)
        o += ix
    return out


def class_codes(ais_class: pd.Series) -> np.ndarray:
    """0 for class A (and unknown: most reports are class A), 1 for class B."""
    if isinstance(ais_class.dtype, pd.CategoricalDtype):  # compare the small category table, not every row
        is_b = np.asarray(ais_class.cat.categories == "B")
        codes = ais_class.cat.codes.to_numpy()
        return (
            np.where(codes >= 0, is_b[codes], False).astype(np.int64) if is_b.any() else np.zeros(len(codes), np.int64)
        )
    return (ais_class.astype(object) == "B").to_numpy(dtype=bool).astype(np.int64)


@dataclass
class ReceptionMap:
    cell_deg: float
    #: one row per (cell, ais_class): steps, hours, rate_per_h
    table: pd.DataFrame
    #: fleet-wide rate per class code (0 = A, 1 = B)
    fleet_rate: np.ndarray
    min_steps: int
    #: silences >= SILENCE_MIN_S: sorted keys (cell * 2 + class) << 32 | duration in seconds
    silence_keys: np.ndarray
    #: every silence's duration in seconds, sorted (the fleet-wide distribution)
    silence_all: np.ndarray
    #: vessel-hours observed in all cells
    fleet_hours: float
    #: reports heard per (cell, hour): sorted keys cell << 24 | hours since the epoch, and the
    #: running total of reports up to each key (with a leading 0)
    heard_keys: np.ndarray
    heard_cum: np.ndarray

    def heard_between(self, cell: np.ndarray, t0_ns: np.ndarray, t1_ns: np.ndarray) -> np.ndarray:
        """Reports heard in ``cell`` during the whole hours strictly inside (t0, t1)."""
        h0 = t0_ns // 3_600_000_000_000 + 1
        h1 = t1_ns // 3_600_000_000_000 - 1
        base = cell.astype(np.int64) << 24
        lo = np.searchsorted(self.heard_keys, base | np.maximum(h0, 0), side="left")
        hi = np.searchsorted(self.heard_keys, base | np.maximum(h1, 0), side="right")
        return np.where((h1 >= h0) & (cell >= 0), self.heard_cum[hi] - self.heard_cum[lo], 0)

    def silence_rate(self, cell: np.ndarray, cls: np.ndarray, dur_s: np.ndarray, self_count: np.ndarray) -> np.ndarray:
        """Silences of at least ``dur_s`` seconds per vessel-hour in (cell, class), with the prior.

        ``self_count`` (0/1) removes the gap being judged from the counts it is judged by.
        """
        dur = np.clip(np.asarray(dur_s, dtype=np.int64), SILENCE_MIN_S, (1 << 32) - 1)
        key = cell.astype(np.int64) * 2 + cls
        k = self.silence_keys
        ge_cell = np.searchsorted(k, (key << 32) + (1 << 32) - 1, side="right") - np.searchsorted(
            k, (key << 32) + dur, side="left"
        )
        ge_cell = np.maximum(ge_cell - self_count, 0)
        ge_all = len(self.silence_all) - np.searchsorted(self.silence_all, dur, side="left") - self_count
        rate_fleet = np.maximum(ge_all, 0) / max(self.fleet_hours, 1e-9)
        return (ge_cell + PRIOR_HOURS * rate_fleet) / (self.hours(cell, cls) + PRIOR_HOURS)

    def hours(self, cell: np.ndarray, cls: np.ndarray) -> np.ndarray:
        """Vessel-hours observed in each (cell, class) (0 where never seen)."""
        t = self.table
        if t.empty:
            return np.zeros(len(cell))
        tkey = t["cell"].to_numpy() * 2 + t["ais_class"].to_numpy()
        key = cell * 2 + cls
        pos = np.minimum(np.searchsorted(tkey, key), len(tkey) - 1)
        return np.where((tkey[pos] == key) & (cell >= 0), t["hours"].to_numpy()[pos], 0.0)

    def rate(self, cell: np.ndarray, cls: np.ndarray) -> np.ndarray:
        """Reports per hour expected in each (cell, class); fleet-wide rate where the cell is thin."""
        fallback = self.fleet_rate[cls]
        t = self.table
        if t.empty:
            return fallback
        tkey = t["cell"].to_numpy() * 2 + t["ais_class"].to_numpy()  # sorted: built by np.unique
        key = cell * 2 + cls
        pos = np.minimum(np.searchsorted(tkey, key), len(tkey) - 1)
        ok = (tkey[pos] == key) & (t["steps"].to_numpy()[pos] >= self.min_steps) & (cell >= 0)
        return np.where(ok, t["rate_per_h"].to_numpy()[pos], fallback)


@dataclass
class ReceptionPartial:
    """What one partition (whole vessels) contributes to the reception map, in integers, so that
    :func:`combine` gives the same map for any partitioning of the vessels (sums of integers do not
    depend on their order; sums of floats would)."""

    cell_deg: float
    max_step_h: float
    #: per (cell * 2 + class), sorted: steps counted, vessel-time spent and time spent staying (us)
    step_key: np.ndarray
    n_steps: np.ndarray
    hours_us: np.ndarray
    stay_us: np.ndarray
    #: silences >= SILENCE_MIN_S: (cell * 2 + class) << 32 | duration in seconds (unsorted)
    silence_keys: np.ndarray
    #: reports per (cell << 24 | hours since the epoch), sorted keys and their counts
    heard_key: np.ndarray
    heard_n: np.ndarray


def _sum_by_key(key: np.ndarray, values: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Distinct keys (sorted) and the int64 sums of each of ``values`` per key (exact)."""
    inv, uk = pd.factorize(key, sort=True)  # hash-based, then only the distinct keys are sorted
    out = []
    for v in values:
        acc = np.zeros(len(uk), dtype=np.int64)
        np.add.at(acc, inv, v.astype(np.int64))
        out.append(acc)
    return np.asarray(uk, dtype=np.int64), out


def partial(steps: pd.DataFrame, *, cell_deg: float = DEFAULT_CELL_DEG,
            max_step_h: float = DEFAULT_MAX_STEP_H) -> ReceptionPartial:
    """The reception partial aggregate of (mmsi, timestamp)-sorted positions with schema.STEPS
    columns (whole vessels: a partition of the fleet by vessel)."""
    cell = cell_ids(steps["lat"].to_numpy(), steps["lon"].to_numpy(), cell_deg)
    cls = class_codes(steps["ais_class"]).astype(np.int8)
    dt_s = steps["dt_s"].to_numpy()
    ts = steps["timestamp"].array.asi8
    max_us = int(round(max_step_h * 3.6e9))
    # every step is vessel time spent in the cell it starts from (capped: a long silence may be
    # spent elsewhere); the mean reporting rate counts only steps that stay in their cell. Per block
    # of rows (small scratch arrays): a vessel's consecutive steps mostly share a key, so runs of
    # equal keys are summed first and only the runs' keys are hashed below.
    step_keys, step_sums = [], []
    hour_keys, hour_counts = [], []
    for s in range(0, len(cell), BLOCK_ROWS):
        e = min(s + BLOCK_ROWS, len(cell))
        i = np.arange(max(s, 1), e)
        i = i[dt_s[i] > 0]  # the step into report i starts at report i - 1 (never a vessel's first)
        c0, c1 = cell[i - 1], cell[i]
        dt_us = (ts[i] - ts[i - 1]) // 1000
        counted = (c1 == c0) & (dt_us <= max_us)
        k, sums = _run_sums_int(c0 * 2 + cls[i - 1],
                                [counted.astype(np.int64), np.minimum(dt_us, max_us), np.where(counted, dt_us, 0)])
        step_keys.append(k)
        step_sums.append(sums)
        # reports per (cell, hour), for "others heard during a gap"
        cb = cell[s:e]
        hk = (cb << 24) | (ts[s:e] // 3_600_000_000_000)
        k, (n,) = _run_sums_int(hk[cb >= 0], [None])
        hour_keys.append(k)
        hour_counts.append(n)
    e64 = np.empty(0, np.int64)
    step_key, (n_steps, hours_us, stay_us) = _sum_by_key(
        np.concatenate(step_keys) if step_keys else e64,
        [np.concatenate([b[j] for b in step_sums]) if step_sums else e64 for j in range(3)],
    )
    heard_key, (heard_n,) = _sum_by_key(np.concatenate(hour_keys) if hour_keys else e64,
                                        [np.concatenate(hour_counts) if hour_counts else e64])
    # silences, attributed to the cell and class of the report they start from
    sil = np.flatnonzero(dt_s[1:] >= SILENCE_MIN_S) + 1
    start = sil - 1
    dur = np.minimum(dt_s[sil], (1 << 32) - 1).astype(np.int64)
    skeys = ((cell[start] * 2 + cls[start]) << 32) | dur
    return ReceptionPartial(cell_deg=cell_deg, max_step_h=max_step_h, step_key=step_key, n_steps=n_steps,
                            hours_us=hours_us, stay_us=stay_us, silence_keys=skeys, heard_key=heard_key,
                            heard_n=heard_n)


def _run_sums_int(key: np.ndarray, weights: list) -> tuple[np.ndarray, list[np.ndarray]]:
    """(key of each run of equal consecutive keys, per-run int64 sums of each weight array); a
    weight of None counts the rows of each run."""
    if len(key) == 0:
        return key, [np.zeros(0, np.int64) for _ in weights]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sums = [np.diff(np.r_[starts, len(key)]) if w is None else np.add.reduceat(w.astype(np.int64), starts)
            for w in weights]
    return key[starts], sums


def combine(parts: Sequence[ReceptionPartial], *, min_steps: int = DEFAULT_MIN_STEPS) -> ReceptionMap:
    """The reception map of the vessels of all ``parts`` (partials of disjoint sets of vessels):
    the same map whichever way the vessels were partitioned."""
    if not parts:
        raise ValueError("combine needs at least one reception partial")
    cell_deg = parts[0].cell_deg
    if any(p.cell_deg != cell_deg or p.max_step_h != parts[0].max_step_h for p in parts):
        raise ValueError("reception partials with different cell sizes or step caps cannot be combined")
    uk, (n_steps, hours_us, stay_us) = _sum_by_key(
        np.concatenate([p.step_key for p in parts]),
        [np.concatenate([getattr(p, c) for p in parts]) for c in ("n_steps", "hours_us", "stay_us")],
    )
    hours = hours_us / 3.6e9
    stay_hours = stay_us / 3.6e9
    table = pd.DataFrame({"cell": uk // 2, "ais_class": uk % 2, "steps": n_steps, "hours": hours,
                          "rate_per_h": np.divide(n_steps, stay_hours, out=np.zeros(len(uk)), where=stay_hours > 0)})
    fleet = np.zeros(2)
    for c in (0, 1):  # two classes, not a loop over data
        m = table["ais_class"].to_numpy() == c
        h = int(stay_us[m].sum(dtype=object)) / 3.6e9  # Python ints: no overflow, exact
        fleet[c] = int(n_steps[m].sum()) / h if h > 0 else 0.0
    if fleet[1] == 0:
        fleet[1] = fleet[0]
    skeys = np.sort(np.concatenate([p.silence_keys for p in parts]))
    heard_keys, (heard_n,) = _sum_by_key(np.concatenate([p.heard_key for p in parts]),
                                         [np.concatenate([p.heard_n for p in parts])])
    return ReceptionMap(cell_deg=cell_deg, table=table, fleet_rate=fleet, min_steps=min_steps,
                        silence_keys=skeys, silence_all=np.sort(skeys & ((1 << 32) - 1)),
                        fleet_hours=int(hours_us.sum(dtype=object)) / 3.6e9,
                        heard_keys=heard_keys, heard_cum=np.concatenate([[0], np.cumsum(heard_n)]).astype(np.int64))


def build_reception(steps: pd.DataFrame, *, cell_deg: float = DEFAULT_CELL_DEG, max_step_h: float = DEFAULT_MAX_STEP_H,
                    min_steps: int = DEFAULT_MIN_STEPS) -> ReceptionMap:
    """Reception map from (mmsi, timestamp)-sorted positions with schema.STEPS columns: the
    :func:`combine` of one :func:`partial` (an engine combines the partials of its partitions)."""
    return combine([partial(steps, cell_deg=cell_deg, max_step_h=max_step_h)], min_steps=min_steps)


def gap_reception(steps: pd.DataFrame, start_idx: np.ndarray, end_idx: np.ndarray, end_ns: np.ndarray,
                  rmap: ReceptionMap) -> dict[str, np.ndarray]:
    """Per gap: mean reporting rate at its start and end cells, how often ships there fall silent
    that long (log10 per ship-day), and reports of other vessels heard in those cells during it.

    ``end_idx`` -1 marks an open gap (its end cell is taken as its start cell); ``end_ns`` gives
    every gap's end time in ns.
    """
    lat = steps["lat"].to_numpy()
    lon = steps["lon"].to_numpy()
    cls_all = class_codes(steps["ais_class"])
    closed = end_idx >= 0
    e = np.where(closed, end_idx, start_idx)
    c0 = cell_ids(lat[start_idx], lon[start_idx], rmap.cell_deg)
    c1 = cell_ids(lat[e], lon[e], rmap.cell_deg)
    cls = cls_all[start_idx]
    mean0 = rmap.rate(c0, cls)
    mean1 = rmap.rate(c1, cls)
    ts = steps["timestamp"].array.asi8
    t0 = ts[start_idx]
    dur_s = (end_ns - t0) // 1_000_000_000
    is_step = closed.astype(np.int64)  # a closed gap is one of the silences counted at its start cell
    r0 = rmap.silence_rate(c0, cls, dur_s, is_step)
    r1 = rmap.silence_rate(c1, cls, dur_s, is_step * (c1 == c0))
    with np.errstate(divide="ignore"):
        per_day_log10 = np.maximum(np.log10(np.maximum(r0, r1) * 24.0), RATE_FLOOR_LOG10)

    # neighbours heard: reports in the gap's cells during it (from the fleet-wide map, so that a
    # subset of vessels gets the same answer); a vessel's own reports are never inside its own gap
    heard = rmap.heard_between(c0, t0, end_ns) + np.where(c1 != c0, rmap.heard_between(c1, t0, end_ns), 0)
    return {"reception_start_per_h": mean0, "reception_end_per_h": mean1, "silence_per_day_log10": per_day_log10,
            "others_heard": heard}
