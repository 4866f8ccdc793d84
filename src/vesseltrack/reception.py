"""Reception, learnt from the data itself: how often a ship in a grid cell is heard.

A gap in AIS is not proof of hiding: coastal receivers reach ~40-60 nm and satellites pass every
few hours, so in poorly covered water long silences are normal. For every grid cell (``cell_deg``
degrees, default 0.5) and AIS class the map holds the empirical reporting rate, reports per hour
of vessel time, estimated from every vessel's consecutive reports that start and end in the cell
(steps longer than ``max_step_h`` are left out: a ship may have left and come back). Cells with
fewer than ``min_steps`` steps fall back to the class's fleet-wide rate.

For a gap of ``T`` hours starting in a cell heard at rate r0 and ending in one heard at r1, the
chance of hearing nothing for that long from a transmitting ship, under a Poisson model of
receptions, is ``exp(-(r0 + r1) / 2 * T)``; its log10 is ``p_silence_log10`` (0 = unremarkable,
-10 = one chance in ten billion). Independent evidence comes from the neighbours: ``others_heard``
counts reports of other vessels in the gap's start and end cells during the gap. A natural outage
in poorly covered water has a likely silence and few neighbours heard; a tanker silent for 30 h
where its neighbours were heard every few minutes has neither.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_CELL_DEG = 0.5
DEFAULT_MAX_STEP_H = 24.0
DEFAULT_MIN_STEPS = 20
#: log10 probabilities below this are clipped (they are all "impossible" for a human).
P_FLOOR_LOG10 = -30.0


def cell_ids(lat: np.ndarray, lon: np.ndarray, cell_deg: float) -> np.ndarray:
    """Integer id of the grid cell of each point (-1 for NaN positions)."""
    nlon = int(round(360.0 / cell_deg))
    iy = np.floor((np.asarray(lat, dtype=float) + 90.0) / cell_deg)
    ix = np.floor((np.asarray(lon, dtype=float) + 180.0) / cell_deg)
    ok = ~(np.isnan(iy) | np.isnan(ix))
    out = np.full(len(iy), -1, dtype=np.int64)
    out[ok] = iy[ok].astype(np.int64) * nlon + np.clip(ix[ok].astype(np.int64), 0, nlon - 1)
    return out


def class_codes(ais_class: pd.Series) -> np.ndarray:
    """0 for class A (and unknown: most reports are class A), 1 for class B."""
    return (ais_class.astype(object) == "B").to_numpy(dtype=bool).astype(np.int64)


@dataclass
class ReceptionMap:
    cell_deg: float
    #: one row per (cell, ais_class): steps, hours, rate_per_h
    table: pd.DataFrame
    #: fleet-wide rate per class code (0 = A, 1 = B)
    fleet_rate: np.ndarray
    min_steps: int

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


def build_reception(steps: pd.DataFrame, *, cell_deg: float = DEFAULT_CELL_DEG, max_step_h: float = DEFAULT_MAX_STEP_H,
                    min_steps: int = DEFAULT_MIN_STEPS) -> ReceptionMap:
    """Reception map from (mmsi, timestamp)-sorted positions with schema.STEPS columns."""
    cell = cell_ids(steps["lat"].to_numpy(), steps["lon"].to_numpy(), cell_deg)
    cls = class_codes(steps["ais_class"])
    dt_h = steps["dt_s"].to_numpy() / 3600.0
    ok = np.zeros(len(cell), dtype=bool)
    if len(cell) > 1:
        ok[1:] = (cell[1:] == cell[:-1]) & (dt_h[1:] > 0) & (dt_h[1:] <= max_step_h)
    key = cell[ok] * 2 + cls[ok]
    uk, inv = np.unique(key, return_inverse=True)
    n_steps = np.bincount(inv, minlength=len(uk))
    hours = np.bincount(inv, weights=dt_h[ok], minlength=len(uk))
    table = pd.DataFrame({"cell": uk // 2, "ais_class": uk % 2, "steps": n_steps, "hours": hours,
                          "rate_per_h": np.divide(n_steps, hours, out=np.zeros(len(uk)), where=hours > 0)})
    fleet = np.zeros(2)
    for c in (0, 1):  # two classes, not a loop over data
        m = table["ais_class"].to_numpy() == c
        h = table["hours"].to_numpy()[m].sum()
        fleet[c] = table["steps"].to_numpy()[m].sum() / h if h > 0 else 0.0
    if fleet[1] == 0:
        fleet[1] = fleet[0]
    return ReceptionMap(cell_deg=cell_deg, table=table, fleet_rate=fleet, min_steps=min_steps)


def gap_reception(steps: pd.DataFrame, start_idx: np.ndarray, end_idx: np.ndarray, end_ns: np.ndarray,
                  rmap: ReceptionMap) -> dict[str, np.ndarray]:
    """Per gap: reception rate at its start and end cells, log10 chance of the silence, and
    reports of other vessels heard in those cells during it.

    ``end_idx`` -1 marks an open gap (its end cell is taken as its start cell); ``end_ns`` gives
    every gap's end time in ns.
    """
    n = len(start_idx)
    lat = steps["lat"].to_numpy()
    lon = steps["lon"].to_numpy()
    cls_all = class_codes(steps["ais_class"])
    closed = end_idx >= 0
    e = np.where(closed, end_idx, start_idx)
    c0 = cell_ids(lat[start_idx], lon[start_idx], rmap.cell_deg)
    c1 = cell_ids(lat[e], lon[e], rmap.cell_deg)
    cls = cls_all[start_idx]
    r0 = rmap.rate(c0, cls)
    r1 = rmap.rate(c1, cls)
    ts = steps["timestamp"].array.asi8
    t0 = ts[start_idx]
    dur_h = (end_ns - t0) / 3.6e12
    log10p = np.maximum(-(r0 + r1) / 2.0 * dur_h / np.log(10.0), P_FLOOR_LOG10)

    # neighbours heard: reports in the gap's cells strictly inside (t0, t1); a vessel's own reports
    # are never inside its own gap, so every report counted is another vessel's
    heard = np.zeros(n, dtype=np.int64)
    if n:
        all_cells = cell_ids(lat, lon, rmap.cell_deg)
        wanted = np.unique(np.concatenate([c0, c1]))
        sel = np.flatnonzero(np.isin(all_cells, wanted))
        origin = ts.min() // 1_000_000_000 if len(ts) else 0

        def key(cells, t_ns):
            return np.searchsorted(wanted, cells).astype(np.int64) << 32 | (t_ns // 1_000_000_000 - origin)

        keys = np.sort(key(all_cells[sel], ts[sel]))
        for cells, use in ((c0, np.ones(n, dtype=bool)), (c1, c1 != c0)):  # don't count one cell twice
            cnt = np.searchsorted(keys, key(cells, end_ns), side="left") - np.searchsorted(keys, key(cells, t0), side="right")
            heard += np.where(use, np.maximum(cnt, 0), 0)
    return {"reception_start_per_h": r0, "reception_end_per_h": r1, "p_silence_log10": log10p, "others_heard": heard}
