"""Encounters (ship-to-ship meetings): two vessels close together, slowly, for hours.

Method, fleet-wide and vectorised:

1. **Align tracks in time.** Each vessel's track is resampled onto a common grid (``bin_min``,
   default 10 min) by linear interpolation between consecutive reports, but only across silences
   of at most ``max_interp_gap_h`` (1 h): a ship is never invented where it was not heard. The one
   exception, ``max_stationary_gap_h`` (6 h), is a silence between two reports that imply under
   ``stationary_kn`` (1 kn): a ship found where it was left, typically drifting offshore where only
   satellite passes hear it (set it to None to disable). A report at the edge of a track piece also
   covers the grid points within half a bin of it. So two ships reported minutes apart, at
   irregular times, are still seen together.
2. **Band sweep per grid time.** Samples are sorted by (grid time, latitude band ``max_distance_m``
   high, longitude); a pair within the distance lies in one band or two adjacent ones, within a
   longitude window set by the band's pole-most latitude, so each sample is joined with the
   samples after it in its band and in the next band within that window: three ``searchsorted``
   over all samples (:func:`_band_candidates`; points near the antimeridian are repeated 360 deg
   west). Within reach of a pole, where the window would span the globe, a 3-D grid over the unit
   sphere is used instead (:func:`_cell_candidates`). Never all pairs. Work is split by grid time
   into chunks of whole bins; since pairs are found bin by bin, no meeting can be lost at a chunk
   or day boundary. Candidates are made and reduced to close pairs ``PIECE_PAIRS`` at a time.
   **Crowds:** at a grid time, a cell of about ``max_distance_m`` square (a band, and a longitude
   bucket one band window wide; a 3-D cell near the poles) holding more than ``max_crowd`` (25)
   vessels is a crowd, a packed anchorage or one transmitter sending many MMSIs, not hundreds of
   meetings: the samples in it and in the cells touching it take part in no pair at that grid time
   (a vessel in the crowd for part of a meeting keeps the bins outside it). Crowded cells are
   reported (``stats["crowds"]``, :func:`crowd_summary`). So the pairs kept grow with the vessels
   times the local density below the limit, never with the square of a crowd.
3. **Exact distance**, then runs of consecutive bins per pair (holes up to ``bridge_h`` bridged),
   runs shorter than ``min_duration_h`` dropped, runs of one pair less than ``merge_gap_h`` apart
   merged, and the preset's speed and port criteria applied.

**Scaling out.** :func:`detect_encounters` is three steps that never need all positions in one
place: :func:`encounter_samples` on each partition of whole vessels (the samples, each with the
static data, draughts and report counts the events will show: no positions needed later),
:func:`close_pair_rows` on each time slot (:func:`split_slots`: all samples of some grid times,
from every partition, joined with :func:`concat_samples` in any order) and
:func:`encounter_events` once over all slots' rows. Any cut gives the same events, byte for byte,
and the same stats once merged (:func:`merge_stats`). Report times are compared in whole seconds
since the Unix epoch, so nothing depends on which other vessels share a partition.

One event per pair-episode: ``mmsi`` is the smaller MMSI, ``other_mmsi`` the larger. Start/end
positions are ``mmsi``'s interpolated positions; static data (``imo``, ``vessel_name``,
``vessel_type``) are ``mmsi``'s, ``other_vessel_*`` the other's. To attribute encounters to both
vessels (voyage features), use :func:`both_ways`, which adds the mirrored rows.

Presets (:data:`ENCOUNTER_PRESETS`, parameters in :class:`EncounterParams`):

- ``gfw``: Global Fishing Watch's encounters (Miller et al. 2018, Frontiers in Marine Science;
  GFW encounter events): within 500 m for at least 2 h, median speed under 2 kn, encounters less
  than 4 h apart merged, none whose median position is within 10 km of a port (anchorages).
- ``ballinger2024``: within 500 m for at least 2 h with both vessels under 1 kn all along (the
  slow-drift signature of STS transfers).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vesseltrack import satellite, stopareas
from vesseltrack.detect import events as ev
from vesseltrack.detect.params import ENCOUNTER_PRESETS, EncounterParams
from vesseltrack.errors import ConfigError
from vesseltrack.geo import BLOCK_ROWS, EARTH_RADIUS_M, haversine_m
from vesseltrack.stopareas import StopAreas
from vesseltrack.tracks import range_rows, search_seconds
from vesseltrack.zones import Gazetteer, assign_zone, nearest_sensitive, nearest_zone_km, shore_distance_km

#: An encounter within this distance of a sensitive port names that port in ``port``.
NEAR_PORT_KM = 300.0
#: draught_after: the latest draught reported up to this long after the end (updates lag).
DRAUGHT_AFTER_H = 12.0


_R = EARTH_RADIUS_M
_NS_H = 3_600_000_000_000


def _wrap180(x: np.ndarray) -> np.ndarray:
    """``(x + 180) % 360 - 180``, bit for bit; for longitudes and their differences (|x| < 540)
    without the float modulo, which is several times dearer than two masked adds."""
    y = np.add(x, 180.0)
    if len(y) and -360.0 <= y.min() and y.max() < 720.0:  # (False with NaN: the general path)
        np.subtract(y, 360.0, out=y, where=y >= 360.0)  # exact (Sterbenz), as fmod is
        np.add(y, 360.0, out=y, where=y < 0.0)  # what np.mod does for a negative remainder
    else:
        np.mod(y, 360.0, out=y)
    y -= 180.0
    return y


@dataclass
class Samples:
    """Tracks resampled on the common grid: one row per (vessel, grid time) where it is known."""

    k: np.ndarray      # grid index (timestamp // bin)
    src: np.ndarray    # row of the report the sample comes from (the one before it)
    mmsi: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    speed: np.ndarray  # knots: interpolated SOG, else implied speed of the step


def resample(steps: pd.DataFrame, *, bin_min: float = 10.0, max_interp_gap_h: float = 1.0,
             max_stationary_gap_h: float | None = None, stationary_kn: float = 1.0) -> Samples:
    """Resample (mmsi, timestamp)-sorted positions with STEPS columns onto a ``bin_min`` grid.

    Linear interpolation within silences of at most ``max_interp_gap_h`` (or of at most
    ``max_stationary_gap_h`` when the step implies under ``stationary_kn``); a report at the edge of
    a track piece holds its position for half a bin either side. At most one sample per vessel and
    grid time.
    """
    n = len(steps)
    mmsi = steps["mmsi"].to_numpy()
    ts = steps["timestamp"].array.asi8
    b = int(round(bin_min * 60e9))
    implied = steps["implied_speed_kn"].to_numpy()
    valid_next = _interpolable_steps(mmsi, ts, implied, max_interp_gap_h, max_stationary_gap_h, stationary_kn)
    valid_prev = np.zeros(n, dtype=bool)
    valid_prev[1:] = valid_next[:-1]
    k, src = _grid_samples(ts, valid_prev, valid_next, b)
    # from here on only the reports that give samples (a fraction of all when reports are denser
    # than the grid), and the next report of each
    vn = valid_next[src]
    j = np.minimum(src + 1, max(n - 1, 0))
    sog = steps["sog_kn"].to_numpy()
    rs_src = _report_speed(src, sog, implied, valid_prev, valid_next)
    rs_j = _report_speed(j, sog, implied, valid_prev, valid_next)
    frac = _step_fraction(ts, src, j, k * b, vn)
    la, lo_ = _interpolate_position(steps["lat"].to_numpy(), steps["lon"].to_numpy(), src, j, frac, vn)
    sp = np.where(vn, rs_src * (1 - frac) + rs_j * frac, rs_src)
    sp = np.where(np.isnan(sp) & vn, implied[j], sp)
    return Samples(k=k, src=src, mmsi=mmsi[src], lat=la, lon=lo_, speed=sp)


def _interpolable_steps(mmsi: np.ndarray, ts: np.ndarray, implied: np.ndarray, max_interp_gap_h: float,
                        max_stationary_gap_h: float | None, stationary_kn: float) -> np.ndarray:
    """Per report: whether the step to the next report (same vessel) may be interpolated (see
    :func:`resample`); computed per block of reports (small scratch arrays)."""
    n = len(ts)
    valid_next = np.zeros(n, dtype=bool)
    for s in range(0, max(n - 1, 0), BLOCK_ROWS):
        e = min(s + BLOCK_ROWS, n - 1)
        dtn = ts[s + 1:e + 1] - ts[s:e]
        ok_dt = dtn <= max_interp_gap_h * _NS_H
        if max_stationary_gap_h is not None:
            ok_dt |= (dtn <= max_stationary_gap_h * _NS_H) & (implied[s + 1:e + 1] < stationary_kn)
        valid_next[s:e] = (mmsi[s + 1:e + 1] == mmsi[s:e]) & ok_dt
    return valid_next


def _grid_samples(ts: np.ndarray, valid_prev: np.ndarray, valid_next: np.ndarray,
                  b: int) -> tuple[np.ndarray, np.ndarray]:
    """(grid index, source report) of every sample: each report covers the grid times [lo, hi) up to
    the next report, or half a bin at the edge of a track piece; found per block of reports, only
    the reports that cover a grid time kept."""
    n = len(ts)
    half = b // 2
    rows_l, k_lo_l, count_l = [], [], []
    for s in range(0, n, BLOCK_ROWS):
        e = min(s + BLOCK_ROWS, n)
        t = ts[s:e]
        dtn = np.zeros(e - s, dtype=np.int64)
        np.subtract(ts[s + 1:e + 1], ts[s:min(e, n - 1)], out=dtn[:min(e, n - 1) - s])  # 0 for the last report
        k_lo = -(-(t - np.where(valid_prev[s:e], 0, half)) // b)
        count = -(-(t + np.where(valid_next[s:e], dtn, half)) // b)
        count -= k_lo
        r = np.flatnonzero(count > 0)
        rows_l.append(r + s)
        k_lo_l.append(k_lo[r])
        count_l.append(count[r])
    rows = np.concatenate(rows_l) if rows_l else np.empty(0, np.int64)
    k_lo = np.concatenate(k_lo_l) if k_lo_l else np.empty(0, np.int64)
    count = np.concatenate(count_l) if count_l else np.empty(0, np.int64)
    r_src = np.repeat(np.arange(len(rows)), count)
    first = np.cumsum(count) - count
    k = k_lo[r_src] + (np.arange(len(r_src)) - first[r_src])
    del first, k_lo
    return k, rows[r_src]


def _report_speed(i: np.ndarray, sog: np.ndarray, implied: np.ndarray, valid_prev: np.ndarray,
                  valid_next: np.ndarray) -> np.ndarray:
    """Speed of report i: SOG, else the implied speed of a step into / out of it within the bound."""
    n = len(sog)
    out = sog[i].astype(float)
    miss = np.flatnonzero(np.isnan(out))
    if len(miss):
        im = i[miss]
        spd_in = np.where(valid_prev[im], implied[im], np.nan)
        spd_out = np.where(valid_next[im], implied[np.minimum(im + 1, n - 1)], np.nan)
        out[miss] = np.where(np.isnan(spd_in), spd_out, spd_in)
    return out


def _step_fraction(ts: np.ndarray, src: np.ndarray, j: np.ndarray, num: np.ndarray, vn: np.ndarray) -> np.ndarray:
    """Where each sample time ``num`` (ns, consumed) lies between report src and report j, in [0, 1];
    0 where the step is not interpolated (``vn`` False). In place: one temporary per sample."""
    t_src = ts[src]
    d = ts[j]
    d -= t_src  # time to the next report (0 for the last report)
    d[d <= 0] = 1
    num -= t_src
    del t_src
    frac = num / d
    del num, d
    frac[~vn] = 0.0
    np.clip(frac, 0.0, 1.0, out=frac)
    return frac


def _interpolate_position(lat: np.ndarray, lon: np.ndarray, src: np.ndarray, j: np.ndarray, frac: np.ndarray,
                          vn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) at ``frac`` of the way from report src to report j (src's where ``vn`` is False),
    longitudes across the antimeridian the short way. In place: one temporary per sample."""
    la = lat[j]
    lat_s = lat[src]
    la -= lat_s
    la *= frac
    la *= vn
    la += lat_s  # lat_s + frac * (lat_j - lat_s) * vn
    del lat_s
    lon_s = lon[src]
    lo_ = _wrap180(lon[j] - lon_s)
    lo_ *= frac
    lo_ *= vn
    lo_ += lon_s
    del lon_s
    return la, _wrap180(lo_)


def _xyz_cells(lat: np.ndarray, lon: np.ndarray, cell_m: float) -> tuple[np.ndarray, int]:
    """Cell code of each point in a 3-D grid of ``cell_m`` over the sphere, and the grid width S."""
    rl, ro = np.radians(lat), np.radians(lon)
    c = np.cos(rl)
    half = int(np.ceil(_R / cell_m)) + 1
    S = 2 * half + 1
    cx = np.floor(_R * c * np.cos(ro) / cell_m).astype(np.int64) + half
    cy = np.floor(_R * c * np.sin(ro) / cell_m).astype(np.int64) + half
    cz = np.floor(_R * np.sin(rl) / cell_m).astype(np.int64) + half
    return (cx * S + cy) * S + cz, S


def _cross(a_start, a_len, b_start, b_len) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (a_start[r] + i, b_start[r] + j), i < a_len[r], j < b_len[r], for every r."""
    c = a_len * b_len
    r = np.repeat(np.arange(len(c)), c)
    j = np.arange(len(r)) - (np.cumsum(c) - c)[r]
    bl = b_len[r]
    return a_start[r] + j // bl, b_start[r] + j % bl


def _pairs_within(start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (i, j), start[r] <= i < j < start[r] + length[r], for every run r (only the
    pairs wanted: no i >= j generated and thrown away)."""
    many = length > 1  # most cells hold one sample: no pairs, skip them before any repeat
    start, length = start[many], length[many]
    # each element i is paired with the (run end - i - 1) elements after it in its run
    run_end = np.repeat(start + length, length)
    i, _ = range_rows(start, length)
    c = run_end - i - 1
    b, _ = range_rows(i + 1, c)
    return np.repeat(i, c), b


def _ranges(start: np.ndarray, stop: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (owner[r], j) for every j in [start[r], stop[r]), for every r."""
    length = np.maximum(stop - start, 0)
    some = length > 0
    start, length, owner = start[some], length[some], owner[some]
    a = np.repeat(owner, length)
    b = np.repeat(start - (np.cumsum(length) - length), length) + np.arange(len(a))
    return a, b


#: Candidate pairs materialised at a time by the band search (bounds memory; results do not depend on it).
PIECE_PAIRS = 4_000_000


def _no_crowds() -> dict[str, np.ndarray]:
    """An empty crowd record (see :class:`_Search`)."""
    return {"k": np.empty(0, np.int64), "lat": np.empty(0), "lon": np.empty(0), "vessels": np.empty(0, np.int64)}


@dataclass
class _Search:
    """What a candidate search found: the samples left out as members of a crowd, one record per
    crowded cell (grid index ``k``, position of one member, number of ``vessels``), and the
    candidate pairs in pieces of bounded size (an iterator of (i, j) index arrays)."""

    crowded: np.ndarray
    crowds: dict[str, np.ndarray]
    pieces: Iterator[tuple[np.ndarray, np.ndarray]]


#: Quantum of the longitude keys of the band search (degrees): 1e-6 deg is 0.11 m at the equator.
_LON_Q = 1e6
#: Bits of the band search key left for the quantised longitude (which spans 540 deg with the copies).
_LON_BITS = 30


def _band_candidates(k: np.ndarray, lat: np.ndarray, lon: np.ndarray, d: float, *, max_crowd: int | None = None,
                     piece_pairs: int = PIECE_PAIRS) -> _Search | None:
    """Index pairs (i, j), each unordered pair once, of samples at the same grid time that may be
    within ``d`` metres: a superset of the pairs within ``d`` (of the samples not in a crowd); None
    where this search does not apply (within reach of a pole, or too many grid times for the key).

    Latitude bands ``d`` high: a pair within ``d`` lies in one band or two adjacent ones. Along a
    band, two points at most ``d`` apart differ in longitude by at most
    ``2 asin(d / (2 R cos(phi)))``, phi the pole-most latitude of the band(s) (the chord between
    the two points is at least that of their parallel circles). Samples are sorted by (grid time,
    band, longitude); each is paired with those after it in its band within that window and with
    those of the next band within it on either side: three ``searchsorted`` in all. Points near
    the antimeridian are repeated 360 deg west so that windows need not wrap.
    """
    h = d / _R  # band height, radians
    band = np.floor(np.radians(lat) / h).astype(np.int64)
    b0 = int(band.min())
    nb = int(band.max()) - b0 + 2
    k0 = int(k.min())
    if (int(k.max()) - k0 + 1) * nb >= 1 << (62 - _LON_BITS):
        return None
    edge = np.minimum(np.abs(np.arange(b0, b0 + nb + 2) * h), np.pi / 2)  # |latitude| of band edges
    pole = np.maximum(edge[:-1], edge[1:])  # pole-most latitude of each band
    with np.errstate(divide="ignore"):
        def window(phi):  # degrees, with a margin for rounding
            return np.degrees(2 * np.arcsin(np.minimum(1.0, d / (2 * _R * np.cos(phi))))) * (1 + 1e-9) + 1e-9
        same = window(pole[:-1])  # band b alone
        adj = window(np.maximum(pole[:-1], pole[1:]))  # bands b and b + 1
    w_max = float(adj.max())
    if w_max > 90.0:
        return None
    n = len(k)
    copies = np.flatnonzero(lon >= 180.0 - w_max)
    row = np.concatenate([np.arange(n), copies])
    x = np.concatenate([lon, lon[copies] - 360.0])
    bb = band[row] - b0
    g = (k[row] - k0) * nb + bb
    key = (g << _LON_BITS) + np.floor((x + 360.0) * _LON_Q).astype(np.int64)
    del x, g
    o = np.argsort(key, kind="stable")
    key = key[o]
    row, bb = row[o], bb[o]
    copy = o >= n
    del o
    wq_same = np.ceil(same * _LON_Q).astype(np.int64) + 1  # per band
    crowded = np.zeros(n, dtype=bool)
    crowds = _no_crowds()
    g = key >> _LON_BITS
    if max_crowd is not None and np.diff(np.r_[np.flatnonzero(np.r_[True, g[1:] != g[:-1]]), len(g)]).max(
            initial=0) > max_crowd:  # (else no band at any grid time holds a crowd: no cells to count)
        # cells of about d x d: the band, and a longitude bucket one same-band window wide
        cell_x = (key & ((1 << _LON_BITS) - 1)) // wq_same[bb]
        start = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (cell_x[1:] != cell_x[:-1])])
        length = np.diff(np.r_[start, len(key)])
        big = length > max_crowd
        if big.any():
            # the crowded cells and those touching them (a crowd does not stop at a cell edge)
            ckey = (g << 31) + cell_x + 1
            near = np.unique(_touching_cells(g[start[big]], cell_x[start[big]], bb[start[big]], wq_same))
            at = np.minimum(np.searchsorted(near, ckey), len(near) - 1)
            crowded[row[near[at] == ckey]] = True
            del ckey, near, at
            # a crowd once, not again as its copies west of the antimeridian
            own = np.add.reduceat((~copy).astype(np.int64), start)[big] > 0
            rec = start[big][own]
            first = row[rec]
            crowds = {"k": g[rec] // nb + k0, "lat": lat[first], "lon": lon[first], "vessels": length[big][own]}
            keep = ~crowded[row]  # every copy of a crowded sample too
            key, row, bb, copy = key[keep], row[keep], bb[keep], copy[keep]
        del cell_x, start, length, big
    del g
    pos = np.arange(len(key))
    hi_s = np.searchsorted(key, key + wq_same[bb], side="right")
    wq = np.ceil(adj[bb] * _LON_Q).astype(np.int64) + 1
    nxt = key + (1 << _LON_BITS)
    lo = np.searchsorted(key, nxt - wq, side="left")
    hi = np.searchsorted(key, nxt + wq, side="right")
    del nxt, wq, key, bb

    def pieces():
        # candidates of consecutive samples, at most about piece_pairs at a time (one sample's
        # candidates are never split); hi_s > pos and hi >= lo
        if int(hi_s.sum()) - int(pos.sum()) - len(pos) + int(hi.sum()) - int(lo.sum()) <= piece_pairs:
            cut = np.array([0, len(pos)])
        else:
            count = hi_s - pos - 1 + hi - lo
            tag = (np.cumsum(count) - count) // max(piece_pairs, 1)
            cut = np.r_[np.flatnonzero(np.r_[True, tag[1:] != tag[:-1]]), len(pos)]
            del count, tag
        for p0, p1 in itertools.pairwise(cut):
            ps = pos[p0:p1]
            ia, ib = _ranges(ps + 1, hi_s[p0:p1], ps)
            ja, jb = _ranges(lo[p0:p1], hi[p0:p1], ps)
            a, b = np.concatenate([ia, ja]), np.concatenate([ib, jb])
            del ia, ib, ja, jb
            keep = ~(copy[a] & copy[b])  # two copies: the same pair as their originals
            yield row[a[keep]], row[b[keep]]

    return _Search(crowded, crowds, pieces())


def _touching_cells(g: np.ndarray, x: np.ndarray, band: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Keys ``(g << 31) + x' + 1`` of the band-search cells (g, x) and of those touching them: x - 1 ..
    x + 1 in band g, and in the bands g - 1 and g + 1 the buckets overlapping x's, widened by one
    (``width``: bucket width of each band, in longitude quanta)."""
    keys = [(g << 31) + x + dx + 1 for dx in (-1, 0, 1)]
    w = width[band]
    for dg in (-1, 1):
        w2 = width[np.clip(band + dg, 0, len(width) - 1)]  # (a band beyond the edge holds no samples)
        lo = (x * w) // w2 - 1
        hi = ((x + 1) * w - 1) // w2 + 1
        cells, _ = range_rows(lo, hi - lo + 1)
        keys.append(((np.repeat(g, hi - lo + 1) + dg) << 31) + cells + 1)
    return np.concatenate(keys)


def _cell_candidates(k: np.ndarray, lat: np.ndarray, lon: np.ndarray, d: float, *,
                     max_crowd: int | None = None) -> _Search:
    """Index pairs (i, j) of samples at the same grid time in the same or touching cells of a 3-D
    grid ``d`` wide over the sphere (chord <= arc, so a superset of the pairs within ``d``); used
    where the band search does not apply. Same-cell pairs once; 13 of the 26 neighbour offsets.
    A cell holding more than ``max_crowd`` samples is a crowd: its samples are left out."""
    code, S = _xyz_cells(lat, lon, d)
    S3 = S ** 3
    offs = [dx * S * S + dy * S + dz for dx in (-1, 0, 1) for dy in (-1, 0, 1) for dz in (-1, 0, 1)
            if (dx, dy, dz) > (0, 0, 0)]
    key = (k - k.min()) * S3 + code
    del code
    o = np.argsort(key, kind="stable")
    sk = key[o]
    del key
    rs = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    rl = np.diff(np.r_[rs, len(sk)])
    uk = sk[rs]
    del sk
    crowded = np.zeros(len(k), dtype=bool)
    crowds = _no_crowds()
    if max_crowd is not None and (rl > max_crowd).any():
        big = rl > max_crowd
        first = o[rs[big]]
        crowds = {"k": k[first], "lat": lat[first], "lon": lon[first], "vessels": rl[big]}
        # the crowded cells and those touching them (a crowd does not stop at a cell edge)
        near = np.unique(np.concatenate([uk[big]] + [uk[big] + off for off in offs] + [uk[big] - off for off in offs]))
        out = np.isin(uk, near)
        member, _ = range_rows(rs[out], rl[out])
        crowded[o[member]] = True
        rs, rl, uk = rs[~out], rl[~out], uk[~out]
    ia, ib = _pairs_within(rs, rl)
    pa, pb = [ia], [ib]
    for off in offs:
        q = uk + off
        pos = np.searchsorted(uk, q)
        np.minimum(pos, len(uk) - 1, out=pos)
        hit = uk[pos] == q
        ia, ib = _cross(rs[hit], rl[hit], rs[pos[hit]], rl[pos[hit]])
        pa.append(ia)
        pb.append(ib)
    return _Search(crowded, crowds, iter([(o[np.concatenate(pa)], o[np.concatenate(pb)])]))


def close_pairs(s: Samples, max_distance_m: float, *, chunk_samples: int = 4_000_000,
                max_crowd: int | None = None, piece_pairs: int = PIECE_PAIRS) -> dict[str, Any]:
    """(sample a, sample b, separation) of every pair of vessels within ``max_distance_m`` at a grid
    time, with mmsi[a] < mmsi[b]; also ``n_candidates`` (pairs whose exact distance was computed).

    ``max_crowd``: at a grid time, a cell of about ``max_distance_m`` square holding more vessels
    than this is a crowd (an anchorage packed beyond any real one, or one transmitter sending many
    MMSIs): its samples take part in no pair at that grid time. ``crowds`` lists such cells (grid
    index ``k``, ``lat``/``lon`` of one member, ``vessels``) and ``crowded`` counts the samples
    left out. Candidates are examined ``piece_pairs`` at a time, so memory stays bounded by the
    pairs kept, whatever the density.
    """
    n = len(s.k)
    empty = np.empty(0, dtype=np.int64)
    if n == 0:
        return {"a": empty, "b": empty, "sep": np.empty(0), "n_candidates": 0, "crowds": _no_crowds(),
                "crowded": 0}
    d = float(max_distance_m)
    # grid times per chunk: within both searches' key ranges (band keys: all bands of the globe)
    S = 2 * (int(np.ceil(_R / d)) + 1) + 1
    bands = int(np.pi * _R / d) + 3
    max_bins = max(1, min((1 << 62) // S ** 3 - 2, (1 << (62 - _LON_BITS)) // bands - 1))
    if n <= chunk_samples and int(s.k.max()) - int(s.k.min()) < max_bins:
        by_k, bounds = None, np.array([0, n])  # one chunk: no need to order by grid time
    else:
        by_k = np.argsort(s.k, kind="stable")
        ks = s.k[by_k]
        k0 = ks[0]
        # chunk boundaries: at bin starts, whenever the sample budget or the key range is exceeded
        bin_start = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
        tag = (bin_start // chunk_samples) * (1 << 40) + (ks[bin_start] - k0) // max_bins
        cut = bin_start[np.r_[True, tag[1:] != tag[:-1]]]
        bounds = np.r_[cut, n]
    out_a, out_b, out_sep = [], [], []
    crowd_parts: list[dict[str, np.ndarray]] = []
    n_cand = n_crowded = 0
    for c0, c1 in itertools.pairwise(bounds):  # a few chunks of whole grid times, not per vessel
        idx = None if by_k is None else by_k[c0:c1]
        kk, la, lo = (s.k, s.lat, s.lon) if idx is None else (s.k[idx], s.lat[idx], s.lon[idx])
        found = _band_candidates(kk, la, lo, d, max_crowd=max_crowd, piece_pairs=piece_pairs)
        if found is None:  # within reach of a pole
            found = _cell_candidates(kk, la, lo, d, max_crowd=max_crowd)
        del kk, la, lo
        n_crowded += int(found.crowded.sum())
        crowd_parts.append(found.crowds)
        for ca, cb in found.pieces:  # bounded pieces of candidates, each reduced to its close pairs at once
            a, b_ = (ca, cb) if idx is None else (idx[ca], idx[cb])
            del ca, cb
            diff = s.mmsi[a] != s.mmsi[b_]
            a, b_ = a[diff], b_[diff]
            n_cand += len(a)
            sep = haversine_m(s.lat[a], s.lon[a], s.lat[b_], s.lon[b_])
            ok = sep <= d
            a, b_, sep = a[ok], b_[ok], sep[ok]
            swap = s.mmsi[a] > s.mmsi[b_]
            out_a.append(np.where(swap, b_, a))
            out_b.append(np.where(swap, a, b_))
            out_sep.append(sep)
    crowds = {c: np.concatenate([part[c] for part in crowd_parts]) for c in ("k", "lat", "lon", "vessels")}
    o = np.lexsort((crowds["lon"], crowds["lat"], crowds["k"]))  # the same order whatever the chunks
    return {
        "a": np.concatenate(out_a) if out_a else empty,
        "b": np.concatenate(out_b) if out_b else empty,
        "sep": np.concatenate(out_sep) if out_sep else np.empty(0),
        "n_candidates": n_cand,
        "crowds": {c: v[o] for c, v in crowds.items()},
        "crowded": n_crowded,
    }


def _draught_near(steps: pd.DataFrame, mmsi_q: np.ndarray, t_q: np.ndarray) -> np.ndarray:
    """The vessel's latest non-missing draught reported at or before t_q (NaN if none).

    Times are compared in whole seconds since the Unix epoch (``ts // 1e9``): a fixed base, so the
    answer for a vessel does not depend on which other rows are in the table. A vectorised binary
    search inside each queried vessel's rows: no full-table keys.
    """
    mmsi = steps["mmsi"].to_numpy()
    n = len(mmsi)
    if n == 0 or len(mmsi_q) == 0:
        return np.full(len(mmsi_q), np.nan)
    ts = steps["timestamp"].array.asi8
    lo_v = np.searchsorted(mmsi, mmsi_q, side="left")
    hi_v = np.searchsorted(mmsi, mmsi_q, side="right")
    # last row of the vessel at or before t_q
    p = search_seconds(ts, lo_v, hi_v, np.asarray(t_q) // 1_000_000_000, base=0, strict=True) - 1
    dr = steps["draught_m"].to_numpy()
    with_draught = np.concatenate(
        [s + np.flatnonzero(~np.isnan(dr[s : s + BLOCK_ROWS])) for s in range(0, n, BLOCK_ROWS)]
    )
    j = np.searchsorted(with_draught, p, side="right") - 1  # latest row with a draught at or before p
    row = with_draught[np.maximum(j, 0)] if len(with_draught) else np.zeros(len(p), dtype=np.int64)
    ok = (hi_v > lo_v) & (p >= lo_v) & (j >= 0) & (row >= lo_v)
    return np.where(ok, dr[row].astype(float), np.nan)


def _runs(pair: np.ndarray, k: np.ndarray, max_step: np.ndarray | int) -> np.ndarray:
    """Run id of rows sorted by (pair, k): a new run where the pair changes or k jumps > max_step."""
    new = np.ones(len(pair), dtype=bool)
    if len(pair) > 1:
        new[1:] = (pair[1:] != pair[:-1]) | (np.diff(k) > max_step)
    return np.cumsum(new) - 1


def detect_encounters(steps: pd.DataFrame, gaz: Gazetteer, *, params: EncounterParams | str = "gfw",
                      stats: dict | None = None, stop_areas: StopAreas | None = None) -> pd.DataFrame:
    """Encounter events from (mmsi, timestamp)-sorted positions with schema.STEPS columns.

    ``params``: an :class:`EncounterParams` or a preset name from :data:`ENCOUNTER_PRESETS`.
    ``stats``: when a dict is given, it receives counts (samples, candidate_pairs, close_pairs,
    crowded_samples) and ``crowds``, the cells where more than ``max_crowd`` vessels were packed at
    one grid time (:func:`crowd_table`; their samples make no encounter, see :func:`close_pairs`).
    One row per pair-episode, ``mmsi`` < ``other_mmsi`` (see :func:`both_ways`).
    ``stop_areas``: learnt berths, marinas and anchorages (stopareas.py) that give each encounter its
    ``context`` and decide ``sts_candidate`` (:func:`sts_candidates`).

    The three steps of a scaled-out run, here over one partition and one time slot:
    :func:`encounter_samples` (per partition of whole vessels), :func:`close_pair_rows` (per time
    slot, see :func:`split_slots`) and :func:`encounter_events` (once, over all the slots' rows).
    """
    p = _encounter_params(params)
    rows = close_pair_rows(encounter_samples(steps, p), p, stats=stats)
    return encounter_events(rows, gaz, p, stop_areas=stop_areas)


# --- scale-out: per partition, per time slot, final -------------------------------------------------

#: Columns and dtypes of :attr:`EncounterSamples.table`, one row per sample (vessel, grid time).
#: ``imo``/``vessel_type``/``name_code`` are the report's at the sample (the one it comes from);
#: ``draught_before_m``/``draught_after_m`` the vessel's latest non-missing draught at or before the
#: grid time / DRAUGHT_AFTER_H later; ``n_before``/``n_upto`` the vessel's reports before / at or
#: before the grid time (times in whole seconds since the epoch), so that a vessel's reports from
#: grid time t0 to t1 are ``n_upto(t1) - n_before(t0)``. ``imo`` and ``vessel_type`` keep the dtype
#: of the positions' columns (schema.POSITIONS: Int32, Int16), ``draught_*`` that of ``draught_m``
#: (float32): exact copies of what the events show.
SAMPLE_COLUMNS: dict[str, str] = {
    "k": "int64", "mmsi": "int64", "lat": "float64", "lon": "float64", "speed": "float64",
    "imo": "Int32", "vessel_type": "Int16", "name_code": "int32",
    "draught_before_m": "float32", "draught_after_m": "float32", "n_before": "int32", "n_upto": "int32",
}

#: Columns and dtypes of :func:`close_pair_rows`: one row per close pair of samples at grid time
#: ``k``, vessel ``a`` the smaller MMSI; ``sep`` their distance (m); the samples' values as in
#: :data:`SAMPLE_COLUMNS` (only those the events need), names as categoricals of text (the
#: rows of several slots, joined, may hold them as text: either will do).
ROW_COLUMNS: dict[str, str] = {
    "k": "int64", "mmsi_a": "int64", "mmsi_b": "int64", "sep": "float64",
    "speed_a": "float64", "speed_b": "float64", "lat_a": "float64", "lon_a": "float64",
    "imo_a": "Int32", "vessel_type_a": "Int16", "vessel_type_b": "Int16",
    "vessel_name_a": "category", "vessel_name_b": "category",
    "draught_before_m_a": "float32", "draught_before_m_b": "float32",
    "draught_after_m_a": "float32", "draught_after_m_b": "float32",
    "n_before_a": "int32", "n_before_b": "int32", "n_upto_a": "int32", "n_upto_b": "int32",
}


@dataclass
class EncounterSamples:
    """The samples of some vessels on the common grid (:data:`SAMPLE_COLUMNS`), and the vessel
    names their ``name_code`` indexes (-1: no name). Everything the later steps need: no positions."""

    table: pd.DataFrame
    names: np.ndarray  # object array of str

    def __len__(self) -> int:
        return len(self.table)


def encounter_samples(steps: pd.DataFrame, params: EncounterParams | str = "gfw") -> EncounterSamples:
    """The samples (:data:`SAMPLE_COLUMNS`) of the vessels in (mmsi, timestamp)-sorted positions with
    schema.STEPS columns: :func:`resample`, and at each sample the lookups the events make. Run on
    any partition holding whole vessels: the samples of a vessel do not depend on the others."""
    p = _encounter_params(params)
    s = resample(steps, bin_min=p.bin_min, max_interp_gap_h=p.max_interp_gap_h,
                 max_stationary_gap_h=p.max_stationary_gap_h, stationary_kn=p.stationary_kn)
    src = s.src
    mmsi = steps["mmsi"].to_numpy()
    ts = steps["timestamp"].array.asi8
    b_ns = int(round(p.bin_min * 60e9))
    vessel_start = np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]]) if len(mmsi) else np.empty(0, np.int64)
    v = np.searchsorted(vessel_start, src, side="right") - 1  # vessel of each sample
    lo, hi = vessel_start[v], np.r_[vessel_start[1:], len(mmsi)][v]
    q_sec = s.k * b_ns // 1_000_000_000  # the sample's time in whole seconds since the epoch
    before, upto = _report_counts(ts, src, lo, hi, q_sec)
    draught = _DraughtChanges(steps, vessel_start)
    codes, uniques = pd.factorize(steps["vessel_name"].take(src))
    table = pd.DataFrame({
        "k": s.k.astype(np.int64, copy=False), "mmsi": s.mmsi.astype(np.int64), "lat": s.lat, "lon": s.lon,
        "speed": s.speed.astype(np.float64, copy=False),
        "imo": steps["imo"].array.take(src), "vessel_type": steps["vessel_type"].array.take(src),
        "name_code": codes.astype(np.int32),
        "draught_before_m": draught.up_to_row(upto - 1, lo),
        "draught_after_m": draught.at(v, (s.k * b_ns + int(DRAUGHT_AFTER_H * _NS_H)) // 1_000_000_000),
        "n_before": (before - lo).astype(np.int32), "n_upto": (upto - lo).astype(np.int32),
    }, copy=False)  # (fresh arrays: no copy into blocks)
    return EncounterSamples(table, ev.text_at(pd.Series(uniques), np.arange(len(uniques))))


def _report_counts(ts: np.ndarray, src: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   q_sec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per sample, the first row of its vessel (rows [lo, hi)) at or after the time ``q_sec``, and
    the first row after it (hi when there is none), comparing ``ts // 1e9`` with ``q_sec`` (whole
    seconds since the epoch, as :func:`_draught_near` and :func:`_reports_between`). Each answer is
    almost always the sample's report ``src`` or the next one, which is checked first; a binary
    search (:func:`search_seconds`) runs only for the others (several reports within one second)."""
    if len(src) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    last = len(ts) - 1
    t, t_next, t_prev = ts[src], ts[np.minimum(src + 1, last)], ts[np.maximum(src - 1, 0)]
    at_end, at_start = src + 1 == hi, src == lo
    out = []
    for strict in (False, True):
        # ts // 1e9 >= q_sec (> when strict) <=> ts >= q_sec * 1e9 (+ 1e9): no division per row
        edge = (q_sec + 1 if strict else q_sec) * 1_000_000_000
        step = t < edge  # row src is before the query: the answer is src + 1, if row src + 1 is past it
        j = src + step
        bad = np.flatnonzero(np.where(step, ~at_end & (t_next < edge), ~at_start & (t_prev >= edge)))
        if len(bad):
            j[bad] = search_seconds(ts, lo[bad], hi[bad], q_sec[bad], strict=strict)
        out.append(j)
    return out[0], out[1]


#: Keys (vessel, second) must stay below this to be searched in one ``searchsorted``.
_KEY_LIMIT = 1 << 62


class _DraughtChanges:
    """The reports where a vessel's draught changes (its first draught, then every different one, and
    a few repeats): the latest non-missing draught at or before a time is that of the latest change
    at or before it."""

    def __init__(self, steps: pd.DataFrame, vessel_start: np.ndarray) -> None:
        dr = steps["draught_m"].to_numpy()
        # a report with a draught, first of its vessel or with other bits than the report before (a
        # missing draught there too: a few repeats, harmless; bit for bit: -0.0 is not 0.0)
        change = ~np.isnan(dr)
        bits = dr.view(f"u{dr.itemsize}")
        change[1:] &= bits[1:] != bits[:-1]
        change[vessel_start] = ~np.isnan(dr[vessel_start])
        self.row = np.flatnonzero(change)
        self.vessel = np.searchsorted(vessel_start, self.row, side="right") - 1
        self.sec = steps["timestamp"].array.asi8[self.row] // 1_000_000_000
        self.draught = dr[self.row]
        self.n_vessels = len(vessel_start)

    def up_to_row(self, p: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """Draught at row p (the latest at or before it) of the vessel whose rows start at lo, NaN
        if none (p < lo: no row of the vessel)."""
        j = np.searchsorted(self.row, p, side="right") - 1
        ok = (j >= 0) & (self.row[np.maximum(j, 0)] >= lo) if len(self.row) else np.zeros(len(p), dtype=bool)
        return np.where(ok, self.draught[np.maximum(j, 0)] if len(self.row) else np.nan,
                        np.nan).astype(self.draught.dtype, copy=False)

    def at(self, v: np.ndarray, q_sec: np.ndarray) -> np.ndarray:
        """Draught of vessel v at or before ``q_sec`` (whole seconds since the epoch), NaN if none."""
        if len(self.row) == 0 or len(v) == 0:
            return np.full(len(v), np.nan, dtype=self.draught.dtype)
        s0 = min(int(self.sec.min()), int(q_sec.min()))
        span = max(int(self.sec.max()), int(q_sec.max())) - s0 + 1
        if self.n_vessels * span < _KEY_LIMIT:
            j = np.searchsorted(self.vessel * span + (self.sec - s0), v * span + (q_sec - s0), side="right") - 1
        else:  # a binary search inside each vessel's changes
            lo_c = np.searchsorted(self.vessel, v, side="left")
            j = search_seconds(self.sec * 1_000_000_000, lo_c, np.searchsorted(self.vessel, v, side="right"), q_sec,
                               strict=True) - 1
        ok = (j >= 0) & (self.vessel[np.maximum(j, 0)] == v)
        return np.where(ok, self.draught[np.maximum(j, 0)], np.nan).astype(self.draught.dtype, copy=False)


def slot_of(k: np.ndarray, slot_bins: int) -> np.ndarray:
    """The time slot of each grid index: slots of ``slot_bins`` consecutive grid times (e.g. 144
    bins of 10 min: one UTC day per slot), numbered from the epoch."""
    if slot_bins < 1:
        raise ConfigError(f"slot_bins must be a whole number of grid times >= 1; received {slot_bins!r}; "
                          f"pass e.g. 144 (one day of 10-minute bins)")
    return np.asarray(k, dtype=np.int64) // int(slot_bins)


def split_slots(samples: EncounterSamples, slot_bins: int) -> dict[int, EncounterSamples]:
    """``samples`` cut into time slots (:func:`slot_of`), ascending, each with the rows of its grid
    times (in their order) and only the names those rows use. Cut every partition's samples with the
    same ``slot_bins`` and join each slot's pieces (:func:`concat_samples`): a slot then holds all
    samples of its grid times, what :func:`close_pair_rows` needs."""
    slot = slot_of(samples.table["k"].to_numpy(), slot_bins)
    o = np.argsort(slot, kind="stable")
    cut = np.flatnonzero(np.r_[True, slot[o][1:] != slot[o][:-1]]) if len(o) else np.empty(0, np.int64)
    return {int(slot[o[c0]]): _subset(samples, o[c0:c1]) for c0, c1 in zip(cut, np.r_[cut[1:], len(o)])}


def _subset(samples: EncounterSamples, idx: np.ndarray) -> EncounterSamples:
    """The samples at rows ``idx``, their names recoded to those used."""
    t = samples.table.take(idx).reset_index(drop=True)
    code = t["name_code"].to_numpy()
    used = np.unique(code[code >= 0])
    t["name_code"] = np.where(code >= 0, np.searchsorted(used, code), -1).astype(np.int32)
    return EncounterSamples(t, samples.names[used])


def concat_samples(parts: list[EncounterSamples]) -> EncounterSamples:
    """Samples of several partitions (or slot pieces) as one, their name codes recoded to index the
    joined names (each name once). Any order: :func:`close_pair_rows` does not depend on it."""
    if not parts:
        raise ValueError("concat_samples needs at least one EncounterSamples; received none")
    offset = np.cumsum([0] + [len(x.names) for x in parts[:-1]])
    tables = []
    for x, off in zip(parts, offset):
        t = x.table.copy(deep=False)
        code = t["name_code"].to_numpy()
        t["name_code"] = np.where(code >= 0, code + off, -1).astype(np.int32)
        tables.append(t)
    # one code per distinct name (a vessel name in several partitions, once)
    recode, names = pd.factorize(pd.Index(np.concatenate([x.names for x in parts]), dtype=object))
    table = pd.concat(tables, ignore_index=True)
    code = table["name_code"].to_numpy()
    table["name_code"] = np.where(code >= 0, recode[np.maximum(code, 0)] if len(recode) else -1, -1).astype(np.int32)
    return EncounterSamples(table, np.asarray(names, dtype=object))


def close_pair_rows(samples: EncounterSamples, params: EncounterParams | str = "gfw",
                    stats: dict | None = None) -> pd.DataFrame:
    """The close pairs (:func:`close_pairs`, then the ``max_speed_kn`` filter) among ``samples``, as
    :data:`ROW_COLUMNS` rows in (mmsi_a, mmsi_b, k) order: all :func:`encounter_events` needs. Run
    per time slot: ``samples`` must hold every sample of a range of consecutive grid times (of any
    partitions, joined in any order), as :func:`split_slots` cuts them; no other slot may hold a
    grid time between this one's first and last. Runs of close pairs too short to be an encounter
    that no other slot can extend (more than ``bridge_h`` from both ends of the slot) are left out:
    the rows of a slot are few, whatever the number of close pairs.

    ``stats``: as :func:`detect_encounters` fills it, for these samples; combine the stats of
    several slots with :func:`merge_stats`.
    """
    p = _encounter_params(params)
    t = samples.table
    k, mmsi = t["k"].to_numpy(), t["mmsi"].to_numpy()
    # the search breaks ties by sample order within a grid time: make that the MMSI order, as a
    # single partition's (mmsi, k)-ordered samples have it, so that pieces joined in any order agree
    o = None if _mmsi_ordered_within_k(k, mmsi) else np.lexsort((mmsi, k))
    lat, lon, speed = t["lat"].to_numpy(), t["lon"].to_numpy(), t["speed"].to_numpy()
    s = Samples(k=k, src=np.empty(0, np.int64), mmsi=mmsi, lat=lat, lon=lon, speed=speed) if o is None else Samples(
        k=k[o], src=o, mmsi=mmsi[o], lat=lat[o], lon=lon[o], speed=speed[o])  # (close_pairs needs no src)
    cp = close_pairs(s, p.max_distance_m, chunk_samples=p.chunk_samples, max_crowd=p.max_crowd)
    if stats is not None:
        stats.update(samples=len(s.k), candidate_pairs=int(cp["n_candidates"]), close_pairs=len(cp["a"]),
                     crowded_samples=int(cp["crowded"]), crowds=crowd_table(cp["crowds"], p.bin_min))
    a, b, sep = cp["a"], cp["b"], cp["sep"]
    if p.max_speed_kn is not None:
        ok = (s.speed[a] < p.max_speed_kn) & (s.speed[b] < p.max_speed_kn)
        a, b, sep = a[ok], b[ok], sep[ok]
    if o is not None:
        a, b = o[a], o[b]  # rows of the table
    ka, ma, mb = k[a], mmsi[a], mmsi[b]
    by_pair = _pair_order(ma, mb, ka)
    if by_pair is not None:
        ka, ma, mb = ka[by_pair], ma[by_pair], mb[by_pair]
    keep = None
    if len(a):
        # a run shorter than min_duration_h more than a bridge away from both ends of the slot can
        # join no row of another slot (their grid times are all beyond the ends): it is left out
        _, run_first, run_last, long = _run_spans(ma, mb, ka, p)
        step = _bridge_bins(p)
        keep_run = long | (ka[run_first] - k.min() <= step) | (k.max() - ka[run_last] <= step)
        if not keep_run.all():
            keep = np.flatnonzero(np.repeat(keep_run, run_last - run_first + 1))
            ka, ma, mb = ka[keep], ma[keep], mb[keep]
    sel = by_pair if keep is None else keep if by_pair is None else by_pair[keep]
    if sel is not None:
        a, b, sep = a[sel], b[sel], sep[sel]
    names = pd.CategoricalDtype(pd.Index(samples.names, dtype=object))  # (codes: no text copied per row)
    code = t["name_code"].to_numpy()
    rows = {"k": ka, "mmsi_a": ma, "mmsi_b": mb, "sep": sep, "speed_a": speed[a], "speed_b": speed[b],
            "lat_a": lat[a], "lon_a": lon[a], "imo_a": t["imo"].array.take(a),
            "vessel_type_a": t["vessel_type"].array.take(a), "vessel_type_b": t["vessel_type"].array.take(b),
            "vessel_name_a": pd.Categorical.from_codes(code[a], dtype=names),
            "vessel_name_b": pd.Categorical.from_codes(code[b], dtype=names)}
    for col in ("draught_before_m", "draught_after_m", "n_before", "n_upto"):
        v = t[col].to_numpy()
        rows[f"{col}_a"], rows[f"{col}_b"] = v[a], v[b]
    return pd.DataFrame(rows, copy=False)  # (fresh arrays: no copy into blocks)


def _mmsi_ordered_within_k(k: np.ndarray, mmsi: np.ndarray) -> bool:
    """Whether the samples of each grid time come in increasing MMSI order: sorted by (mmsi, k), as
    :func:`resample` gives them, or by (k, mmsi)."""
    dk, dm = np.diff(k), np.diff(mmsi)
    return bool(((dm > 0) | ((dm == 0) & (dk > 0))).all() or ((dk > 0) | ((dk == 0) & (dm > 0))).all())


def merge_stats(parts: list[dict]) -> dict:
    """The stats of several :func:`close_pair_rows` calls (time slots) as one call over all their
    samples gives them: counts summed, crowds in (time, lat, lon) order. Exact for ``samples``,
    ``close_pairs``, ``crowded_samples`` and ``crowds`` (slots hold whole grid times, and the search
    works grid time by grid time). ``candidate_pairs`` counts the pairs whose distance was computed:
    the search may examine a different superset of the close pairs when cut differently (a slot
    holding a sample within about a kilometre of a pole uses the 3-D cell search throughout)."""
    out: dict[str, Any] = {c: sum(int(x.get(c, 0)) for x in parts)
                           for c in ("samples", "candidate_pairs", "close_pairs", "crowded_samples")}
    tables = [x["crowds"] for x in parts if "crowds" in x]
    if tables:
        crowds = pd.concat(tables, ignore_index=True)
        o = np.lexsort((crowds["lon"].to_numpy(), crowds["lat"].to_numpy(), crowds["time"].array.asi8))
        out["crowds"] = crowds.take(o).reset_index(drop=True)
    return out


def encounter_events(rows: pd.DataFrame, gaz: Gazetteer, params: EncounterParams | str = "gfw",
                     stop_areas: StopAreas | None = None) -> pd.DataFrame:
    """Encounter events (as :func:`detect_encounters`) from the :func:`close_pair_rows` of every time
    slot, concatenated in any order: runs, episodes, the event table, context and STS columns."""
    p = _encounter_params(params)
    if len(rows) == 0:
        return ev.conform(pd.DataFrame())
    pr = _long_runs(rows, p)
    if len(pr.row) == 0:
        return ev.conform(pd.DataFrame())
    eps = _episodes(rows, pr, p, gaz)
    if len(eps.first) == 0:
        return ev.conform(pd.DataFrame())
    out = _encounter_table(rows, gaz, pr, eps, p.bin_min)
    ctx = stopareas.event_context(eps.mlat, eps.mlon, assign_zone(eps.mlat, eps.mlon, gaz),
                                  stop_areas or stopareas.empty())
    out["context"] = stopareas.context_names(ctx)
    out["sts_candidate"] = sts_candidates(ctx, out["vessel_type"], out["other_vessel_type"])
    for col, vals in satellite.sts_search(out, eps.mlat, eps.mlon, ctx == stopareas.AT_SEA).items():
        out[col] = vals  # where to look in imagery: STS candidates at sea
    return ev.conform(out)


def crowd_table(crowds: dict[str, np.ndarray], bin_min: float) -> pd.DataFrame:
    """The crowded cells found by :func:`close_pairs` as a table: ``time`` (the grid time, UTC),
    ``lat``/``lon`` (one member's position) and ``vessels``, in time order."""
    b_ns = int(round(bin_min * 60e9))
    return pd.DataFrame({"time": pd.to_datetime(crowds["k"] * b_ns, utc=True), "lat": crowds["lat"],
                         "lon": crowds["lon"], "vessels": crowds["vessels"].astype(np.int64)})


def crowd_summary(crowds: pd.DataFrame) -> str:
    """One line on the crowds of :func:`crowd_table` (empty when there are none): how many cells,
    over which times, and the largest crowd with its place."""
    if len(crowds) == 0:
        return ""
    top = crowds.iloc[int(np.argmax(crowds["vessels"].to_numpy()))]
    return (f"{len(crowds):,} crowded cells (more vessels packed within the encounter distance than any real "
            f"meeting, from {crowds['time'].min():%Y-%m-%d %H:%M} to {crowds['time'].max():%Y-%m-%d %H:%M} UTC; "
            f"largest {int(top['vessels']):,} vessels at {top['lat']:.4f}, {top['lon']:.4f} at "
            f"{top['time']:%Y-%m-%d %H:%M}): no encounters counted there")


def _encounter_params(params: EncounterParams | str) -> EncounterParams:
    """``params`` itself, or the preset of that name (a ConfigError naming the presets if unknown)."""
    if isinstance(params, str):
        if params not in ENCOUNTER_PRESETS:
            raise ConfigError(
                f"encounter preset {params!r} is unknown; expected one of {sorted(ENCOUNTER_PRESETS)}; pick one of those"  # noqa: E501
            )
        params = ENCOUNTER_PRESETS[params]
    return params


@dataclass
class _PairRows:
    """Close pairs of samples sorted by (pair, k): ``row`` in the :func:`close_pair_rows` table, grid
    time ``k``; ``pair`` numbers the vessel pairs."""

    row: np.ndarray
    sep: np.ndarray
    mmsi_a: np.ndarray
    mmsi_b: np.ndarray
    k: np.ndarray
    pair: np.ndarray


def _bridge_bins(p: EncounterParams) -> int:
    """Largest jump of grid index within one run: holes up to ``bridge_h`` are bridged."""
    return 1 + int(np.floor(p.bridge_h / (p.bin_min / 60.0) + 1e-9))


def _pair_order(mmsi_a: np.ndarray, mmsi_b: np.ndarray, k: np.ndarray) -> np.ndarray | None:
    """The order of close pairs by (mmsi_a, mmsi_b, k), None when they are in it already (one
    sample per vessel and grid time: no ties)."""
    if len(k) < 2:
        return None
    da, db, dk = np.diff(mmsi_a), np.diff(mmsi_b), np.diff(k)
    if ((da > 0) | ((da == 0) & ((db > 0) | ((db == 0) & (dk > 0))))).all():
        return None
    return np.lexsort((k, mmsi_b, mmsi_a))


def _run_spans(mmsi_a: np.ndarray, mmsi_b: np.ndarray, k: np.ndarray,
               p: EncounterParams) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For close pairs in (mmsi_a, mmsi_b, k) order: the vessel pair number of each, and the first
    and last row of each run of consecutive bins (holes up to ``bridge_h`` bridged) with whether
    it lasts at least ``min_duration_h``."""
    pair = np.cumsum(np.r_[True, (mmsi_a[1:] != mmsi_a[:-1]) | (mmsi_b[1:] != mmsi_b[:-1])]) - 1
    run = _runs(pair, k, _bridge_bins(p))
    run_first = np.flatnonzero(np.r_[True, run[1:] != run[:-1]])
    run_last = np.r_[run_first[1:], len(run)] - 1
    long = (k[run_last] - k[run_first]) * (p.bin_min / 60.0) >= p.min_duration_h - 1e-9
    return pair, run_first, run_last, long


def _long_runs(rows: pd.DataFrame, p: EncounterParams) -> _PairRows:
    """The close pairs of samples sorted by (pair, grid time), only those in runs of consecutive bins
    (holes up to ``bridge_h`` bridged) lasting at least ``min_duration_h``."""
    row_mmsi_a, row_mmsi_b = rows["mmsi_a"].to_numpy(np.int64), rows["mmsi_b"].to_numpy(np.int64)
    k, sep = rows["k"].to_numpy(np.int64), rows["sep"].to_numpy()
    o = _pair_order(row_mmsi_a, row_mmsi_b, k)  # (None for the rows of one slot: in that order already)
    if o is not None:
        sep, row_mmsi_a, row_mmsi_b, k = sep[o], row_mmsi_a[o], row_mmsi_b[o], k[o]
    pair, run_first, run_last, long = _run_spans(row_mmsi_a, row_mmsi_b, k, p)
    keep_row = np.repeat(long, run_last - run_first + 1)
    row = np.flatnonzero(keep_row) if o is None else o[keep_row]
    return _PairRows(row=row, sep=sep[keep_row], mmsi_a=row_mmsi_a[keep_row], mmsi_b=row_mmsi_b[keep_row],
                     k=k[keep_row], pair=pair[keep_row])


@dataclass
class _Episodes:
    """Encounter episodes kept: first and last row (in :class:`_PairRows`) and medians over each."""

    first: np.ndarray
    last: np.ndarray
    med_speed: np.ndarray  # the larger of the two vessels' median speeds
    mlat: np.ndarray       # median position of ``mmsi``
    mlon: np.ndarray
    port_km: np.ndarray    # from the median position to the nearest port zone
    med_sep: np.ndarray


def _episodes(rows: pd.DataFrame, pr: _PairRows, p: EncounterParams, gaz: Gazetteer) -> _Episodes:
    """Runs of one pair less than ``merge_gap_h`` apart merged into episodes, with their medians;
    only the episodes that meet the preset's median speed and port distance criteria."""
    # merge runs of one pair less than merge_gap_h apart: a jump of k no bigger than merge bins + 1
    merge_bins = int(np.ceil(p.merge_gap_h / (p.bin_min / 60.0) - 1e-9))  # gap < merge_gap_h <=> k jump < merge_bins
    epi = _runs(pr.pair, pr.k, max(merge_bins - 1, _bridge_bins(p)))
    r = pr.row
    g = pd.DataFrame({"epi": epi, "sep": pr.sep, "sa": rows["speed_a"].to_numpy()[r],
                      "sb": rows["speed_b"].to_numpy()[r], "lat": rows["lat_a"].to_numpy()[r],
                      "lon": rows["lon_a"].to_numpy()[r]})
    med = g.groupby("epi", sort=True).median()
    ep_first = np.flatnonzero(np.r_[True, epi[1:] != epi[:-1]])  # first and last row of each episode
    ep_last = np.r_[ep_first[1:], len(epi)] - 1
    med_speed = np.fmax(med["sa"].to_numpy(), med["sb"].to_numpy())
    mlat, mlon = med["lat"].to_numpy(), med["lon"].to_numpy()
    port_km = nearest_zone_km(mlat, mlon, gaz)
    keep = np.ones(len(ep_first), dtype=bool)
    if p.max_median_speed_kn is not None:
        keep &= med_speed < p.max_median_speed_kn
    if p.min_port_km is not None:
        keep &= port_km > p.min_port_km
    return _Episodes(first=ep_first[keep], last=ep_last[keep], med_speed=med_speed[keep], mlat=mlat[keep],
                     mlon=mlon[keep], port_km=port_km[keep], med_sep=med["sep"].to_numpy()[keep])


def _encounter_table(rows: pd.DataFrame, gaz: Gazetteer, pr: _PairRows, eps: _Episodes,
                     bin_min: float) -> pd.DataFrame:
    """One encounter event row per episode (all columns but ``context`` and ``sts_candidate``)."""
    ep_first, ep_last = eps.first, eps.last
    mlat, mlon = eps.mlat, eps.mlon
    r0, r1 = pr.row[ep_first], pr.row[ep_last]  # rows of the first and last close pair of each episode

    def at(col: str, r: np.ndarray) -> np.ndarray:
        return rows[col].to_numpy()[r]

    b_ns = int(round(bin_min * 60e9))
    t0, t1 = pr.k[ep_first] * b_ns, pr.k[ep_last] * b_ns
    mmsi_a, mmsi_b = pr.mmsi_a[ep_first], pr.mmsi_b[ep_first]
    d_s, p_s = nearest_sensitive(mlat, mlon, gaz)
    port = np.where((p_s >= 0) & (d_s <= NEAR_PORT_KM), gaz.names[np.maximum(p_s, 0)], None)
    lat0, lon0, lat1, lon1 = at("lat_a", r0), at("lon_a", r0), at("lat_a", r1), at("lon_a", r1)
    # reports from t0 to t1 of each vessel: those up to t1 less those before t0
    n_pos = ((at("n_upto_a", r1).astype(np.int64) - at("n_before_a", r0))
             + (at("n_upto_b", r1).astype(np.int64) - at("n_before_b", r0)))
    return pd.DataFrame({
        "event_id": ev.content_ids("E", np.full(len(ep_first), "encounter"), mmsi_a, mmsi_b, t0),
        "event_type": "encounter",
        "mmsi": mmsi_a.astype(np.int32),
        "other_mmsi": mmsi_b,
        "start_time": pd.to_datetime(t0, utc=True),
        "end_time": pd.to_datetime(t1, utc=True),
        "start_lat": lat0, "start_lon": lon0, "end_lat": lat1, "end_lon": lon1,
        "duration_h": (t1 - t0) / _NS_H,
        "distance_m": haversine_m(lat0, lon0, lat1, lon1),
        "port": port,
        "imo": rows["imo_a"].take(r0).to_numpy(),
        "vessel_name": ev.text_at(rows["vessel_name_a"], r0),
        "vessel_type": rows["vessel_type_a"].take(r0).to_numpy(),
        "median_separation_m": eps.med_sep,
        "median_speed_kn": eps.med_speed,
        "other_vessel_name": ev.text_at(rows["vessel_name_b"], r0),
        "other_vessel_type": rows["vessel_type_b"].take(r0).to_numpy(),
        "draught_before_m": at("draught_before_m_a", r0).astype(np.float64),
        "draught_after_m": at("draught_after_m_a", r1).astype(np.float64),
        "other_draught_before_m": at("draught_before_m_b", r0).astype(np.float64),
        "other_draught_after_m": at("draught_after_m_b", r1).astype(np.float64),
        "shore_km": shore_distance_km(mlat, mlon),
        "nearest_port_km": eps.port_km,
        "n_positions": n_pos,
    })


def sts_candidates(ctx: np.ndarray, type_a: pd.Series, type_b: pd.Series) -> np.ndarray:
    """Which encounters could be ship-to-ship transfers: every one at sea; at an anchorage (STS hubs
    are anchorages) one between a tanker and a tanker or a vessel of a type bunker barges use
    (other, 90-99, or unknown); none moored at a berth or marina, inside a port zone, or inland (a
    canal convoy, a river)."""
    a = pd.Series(type_a).to_numpy(dtype=float, na_value=np.nan)
    b = pd.Series(type_b).to_numpy(dtype=float, na_value=np.nan)

    def tanker(t):
        return (t >= 80) & (t <= 89)

    def bunker_like(t):
        return tanker(t) | np.isnan(t) | (t >= 90)

    anchorage_pair = (tanker(a) & bunker_like(b)) | (tanker(b) & bunker_like(a))
    return (ctx == stopareas.AT_SEA) | ((ctx == stopareas.ANCHORAGE) & anchorage_pair)


def _reports_between(steps: pd.DataFrame, mmsi_q: np.ndarray, t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
    """Reports of vessel mmsi_q with t0 <= timestamp <= t1 (compared in whole seconds since the Unix
    epoch, a fixed base: see :func:`_draught_near`), by a vectorised binary search inside the
    vessel's rows."""
    mmsi = steps["mmsi"].to_numpy()
    ts = steps["timestamp"].array.asi8
    if len(ts) == 0 or len(mmsi_q) == 0:
        return np.zeros(len(mmsi_q), dtype=np.int64)
    lo_v = np.searchsorted(mmsi, mmsi_q, side="left")
    hi_v = np.searchsorted(mmsi, mmsi_q, side="right")
    first = search_seconds(ts, lo_v, hi_v, np.asarray(t0) // 1_000_000_000)
    past = search_seconds(ts, lo_v, hi_v, np.asarray(t1) // 1_000_000_000, strict=True)
    return past - first


_MIRROR = (("mmsi", "other_mmsi"), ("vessel_name", "other_vessel_name"), ("vessel_type", "other_vessel_type"),
           ("draught_before_m", "other_draught_before_m"), ("draught_after_m", "other_draught_after_m"))


def both_ways(events: pd.DataFrame) -> pd.DataFrame:
    """Encounter events plus their mirror (mmsi and other_mmsi swapped, with their static data), so
    that grouping by ``mmsi`` finds every encounter of a vessel. Mirrored rows keep the event_id
    (one encounter, two rows) and carry the other vessel's IMO as missing; positions stay those of
    the smaller MMSI (they are within the encounter distance of the other's)."""
    enc = events[events["event_type"] == "encounter"]
    m = enc.copy()
    for x, y in _MIRROR:
        m[x], m[y] = enc[y].to_numpy(), enc[x].to_numpy()
    m["imo"] = pd.array([pd.NA] * len(m), dtype="Int32")
    return ev.conform(pd.concat([enc, m], ignore_index=True))
