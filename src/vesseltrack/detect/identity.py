"""Spoofing, identity clashes and invalid identities.

- :func:`split_identity_clashes`: one MMSI broadcast by two ships at once, at any separation. Within
  an MMSI, each step between consecutive reports that no ship could sail (longer than ``min_jump_km``
  and faster than the type's credible speed, or far faster than both reports' own speed over
  ground) is a switch from one ship to the other; an MMSI with at least ``min_switches``
  switches is a clash. Its reports get sub-track labels by the parity of the switches so far, then
  two vectorised refinement passes reassign each report to the sub-track it is plausibly
  reachable from (the lower implied speed from that sub-track's previous report). At most two
  ships per MMSI are separated. Run it first: the other detectors then see plausible tracks.
- :func:`detect_spoofing`: impossible movement for the vessel's type between consecutive reports
  (steps under ``min_dt_s`` are timed as ``min_dt_s`` and steps under ``min_step_m`` are ignored,
  so GPS jitter never counts), paired into jump-away-and-back episodes.
- :func:`vessel_identity_flags`: one row per MMSI of flags for the scorer (invalid MMSI,
  unallocated MID, IMO check digit, several names / IMOs / call signs, placeholder speeds, swapped
  lat/lon, positions well inland).
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd

from vesseltrack import tracks
from vesseltrack.detect import events as ev
from vesseltrack.geo import BLOCK_ROWS, KN_PER_M_S, haversine_m
from vesseltrack.tracks import range_rows, search_seconds, vessel_starts
from vesseltrack.shore import coarse_shore_distance_km
from vesseltrack.zones import Gazetteer, build_gazetteer, nearest_zone_km, shore_distance_km

#: Fastest credible speed (knots) by AIS type code range (inclusive); other types: DEFAULT_MAX_KN.
MAX_SPEED_KN_BY_TYPE: dict[tuple[int, int], float] = {
    (30, 39): 50.0,   # fishing, towing, dredging, military, sailing, pleasure
    (40, 49): 80.0,   # high-speed craft
    (50, 59): 50.0,   # pilot, SAR, tugs, port tenders
    (60, 69): 60.0,   # passenger (fast ferries)
    (70, 79): 50.0,   # cargo
    (80, 89): 50.0,   # tanker
}
DEFAULT_MAX_KN = 60.0
#: Steps shorter than this are timed as this long (GPS jitter over seconds is not speed).
MIN_DT_S = 30.0
#: Steps shorter than this are never impossible.
MIN_STEP_M = 1000.0
#: Identity clash (one MMSI, two ships): a switch is a step longer than MIN_JUMP_KM that no ship could
#: sail: faster than the type's credible speed (:data:`MAX_SPEED_KN_BY_TYPE`), or, when both reports
#: give a speed over ground, faster than CLAIMED_SPEED_FACTOR x the higher of them + CLAIMED_SPEED_SLACK_KN
#: (two moored ships 5 km apart alternating every 10 minutes "sail" 16 kn while both say 0 kn). The
#: idea of GFW's segmenter (gpsdio-segment: a report joins the track it is reachable from at
#: credible speed, noise 500 m), at any separation; MIN_SWITCHES makes it a sustained pattern.
MIN_JUMP_KM = 1.0
CLAIMED_SPEED_FACTOR = 2.0
CLAIMED_SPEED_SLACK_KN = 8.0
MIN_SWITCHES = 6
#: Offset of synthetic ids given to the second ship of a clashing MMSI: ``mmsi + SPLIT_OFFSET``.
#: Out of the 9-digit range, so it never collides with a real MMSI (fits int32).
SPLIT_OFFSET = 1_000_000_000
#: Placeholder speeds sent by faulty transponders (102.3 is "not available", NaN after ingest).
PLACEHOLDER_SPEEDS_KN = (51.2, 63.0, 102.3)
ON_LAND_KM = -5.0
#: Reports the coarse 0.1-degree grid puts this close to the coast or inland (km) are checked at
#: coastal precision; further out the grid decides. A report 5 km inland lies at most ~8 km from its
#: cell's centre, so the grid puts it at sea by a few km at most: on 2M random points, 27 of the
#: 32,399 that the fine test puts 5 km or more inland had a grid value of 4 km or more (where the
#: two land sources disagree), and refining only below 4 km is 9x cheaper on the benchmark traffic.
LAND_DOUBT_KM = 4.0
#: Reports within this distance of a port centre are never counted as on land (coarse land grid).
INLAND_PORT_KM = 50.0


def max_speed_kn(vessel_type: pd.Series | np.ndarray, by_type: dict | None = None, default: float = DEFAULT_MAX_KN) -> np.ndarray:
    """Fastest credible speed for each AIS type code (NaN / unknown -> ``default``)."""
    vt = pd.Series(vessel_type).to_numpy(dtype=float, na_value=np.nan)
    out = np.full(len(vt), default)
    for (lo, hi), kn in (by_type or MAX_SPEED_KN_BY_TYPE).items():
        out[(vt >= lo) & (vt <= hi)] = kn
    return out


def _eff_speed(steps: pd.DataFrame, min_dt_s: float) -> tuple[np.ndarray, np.ndarray]:
    dist = steps["distance_m"].to_numpy(dtype=float)
    dt = steps["dt_s"].to_numpy(dtype=float)
    return dist, dist / np.fmax(dt, min_dt_s) * KN_PER_M_S


#: Feed artefacts, not spoofing: impossible steps of at least FEED_BURST_VESSELS distinct vessels within
#: FEED_BURST_WINDOW_S of each other in one FEED_BURST_CELL_DEG cell are a re-stamp burst (a feed or
#: receiver releasing a backlog under new times, or GNSS interference over an area); an excursion whose
#: positions lie within ON_TRACK_M of the vessel's own track is time jitter (a report stamped a few
#: minutes off, ahead or behind on its track); two reports under a second apart at different places come from
#: the feed, not the ship; a jump that never comes back is a bad fix or a one-way jump.
FEED_BURST_VESSELS = 4
FEED_BURST_WINDOW_S = 180.0
FEED_BURST_CELL_DEG = 1.0
ON_TRACK_M = 500.0
#: The own track an excursion is compared with: the line through the vessel's reports this long before
#: the excursion and after its return (or its first / last report).
TRACK_BASELINE_S = 600
ARTEFACTS = ("re-stamp burst", "same-second positions", "time jitter", "one-way jump")


def _burst_size(mmsi: np.ndarray, ts: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """For each impossible step (its reached report's mmsi, time, position): distinct vessels with an
    impossible step in the same cell within one window either side."""
    cell = (np.floor(lat / FEED_BURST_CELL_DEG) * 1000 + np.floor(lon / FEED_BURST_CELL_DEG)).astype(np.int64)
    tbin = ts // int(FEED_BURST_WINDOW_S * 1e9)
    spread = pd.DataFrame({"cell": np.tile(cell, 3), "bin": np.r_[tbin - 1, tbin, tbin + 1], "mmsi": np.tile(mmsi, 3)})
    vessels = spread.drop_duplicates().groupby(["cell", "bin"]).size()
    return vessels.reindex(pd.MultiIndex.from_arrays([cell, tbin])).to_numpy(dtype=np.int64)


def _on_track(lat: np.ndarray, lon: np.ndarray, before: np.ndarray, after: np.ndarray, rows: np.ndarray,
              episode: np.ndarray) -> np.ndarray:
    """Per episode: every false position (``rows``, grouped by ``episode``) lies within ON_TRACK_M of the
    line through the own track's reports ``before`` and ``after`` (:data:`TRACK_BASELINE_S`), no further
    along it than 3 times their distance, which is at least ON_TRACK_M (a ship lying still has no track)."""
    b, a = before[episode], after[episode]
    k = np.cos(np.radians(lat[b])) * 111_320.0
    ax, ay = (lon[a] - lon[b]) * k, (lat[a] - lat[b]) * 110_540.0
    px, py = (lon[rows] - lon[b]) * k, (lat[rows] - lat[b]) * 110_540.0
    seg2 = ax * ax + ay * ay
    moved = seg2 >= ON_TRACK_M ** 2
    t = np.where(moved, (px * ax + py * ay) / np.where(moved, seg2, 1.0), 0.0)
    cross = np.hypot(px - t * ax, py - t * ay)
    near = moved & (cross <= ON_TRACK_M) & (t >= -1.0) & (t <= 3.0)
    return np.bincount(episode, weights=~near, minlength=int(episode.max(initial=-1)) + 1) == 0


def _impossible_steps(steps: pd.DataFrame, limit: np.ndarray, min_step_m: float, min_dt_s: float):
    """(impossible step rows, artefact code per row: -1 none, 0 burst, 1 same second)."""
    mmsi = steps["mmsi"].to_numpy()
    dist, spd = _eff_speed(steps, min_dt_s)
    imp = np.flatnonzero(~vessel_starts(mmsi) & (dist >= min_step_m) & (spd > limit))
    code = np.full(len(imp), -1, dtype=np.int8)
    if len(imp):
        burst = _burst_size(mmsi[imp], steps["timestamp"].array.asi8[imp], steps["lat"].to_numpy(dtype=float)[imp],
                            steps["lon"].to_numpy(dtype=float)[imp])
        code[steps["dt_s"].to_numpy(dtype=float)[imp] < 1.0] = 1  # under a second: no ship, the feed (or assumed times)
        code[burst >= FEED_BURST_VESSELS] = 0
    return imp, code, dist, spd


def detect_spoofing(steps: pd.DataFrame, *, max_speed_kn_by_type: dict | None = None, default_max_kn: float = DEFAULT_MAX_KN,
                    min_step_m: float = MIN_STEP_M, min_dt_s: float = MIN_DT_S, min_positions: int = 2) -> pd.DataFrame:
    """Spoofing and feed-artefact events from (mmsi, timestamp)-sorted positions with schema.STEPS columns.

    A step is impossible when it is at least ``min_step_m`` long and faster than the vessel type
    can sail (``max_speed_kn_by_type``, timed as at least ``min_dt_s``). Impossible steps that are
    feed artefacts (a burst of many vessels, two places in one second: see :data:`FEED_BURST_VESSELS`)
    are ``feed_artefact`` events. The others of one vessel are paired in order (1st with 2nd, 3rd with
    4th, ...): when the report after the second is plausibly reachable from the report before the
    first, the reports between are one episode of false positions; ``spoofing`` when at least
    ``min_positions`` of them lie off the vessel's own track (start/end = first/last false report,
    ``returned`` True), else ``feed_artefact`` "time jitter". An impossible step that finds no return
    is a ``feed_artefact`` "one-way jump" (a bad fix; start/end = the reports either side).
    """
    if len(steps) == 0:
        return ev.conform(pd.DataFrame())
    mmsi = steps["mmsi"].to_numpy()
    ts = steps["timestamp"].array.asi8
    lat = steps["lat"].to_numpy(dtype=float)
    lon = steps["lon"].to_numpy(dtype=float)
    limit = max_speed_kn(steps["vessel_type"], max_speed_kn_by_type, default_max_kn)
    imp_all, code, dist, spd = _impossible_steps(steps, limit, min_step_m, min_dt_s)
    feed = imp_all[code >= 0]
    imp = imp_all[code < 0]
    p, r = imp[:-1], imp[1:]
    same = mmsi[p] == mmsi[r]
    back_m = haversine_m(lat[p - 1], lon[p - 1], lat[r], lon[r])
    back_kn = back_m / np.fmax((ts[r] - ts[p - 1]) / 1e9, min_dt_s) * KN_PER_M_S
    ok = same & ((back_m < min_step_m) | (back_kn <= limit[r]))
    # in a chain of consecutive acceptable pairs, take every other one (a step ends one episode only)
    run_start = np.r_[True, ~ok[:-1]] & ok
    pos_in_run = np.arange(len(ok)) - np.maximum.accumulate(np.where(run_start, np.arange(len(ok)), 0))
    take = ok & (pos_in_run % 2 == 0)
    used = np.zeros(len(imp), dtype=bool)
    used[:-1] |= take
    used[1:] |= take
    ps, pe, rr = p[take], r[take] - 1, r[take]
    npos = pe - ps + 1
    keep = npos >= min_positions
    ps, pe, rr, npos = ps[keep], pe[keep], rr[keep], npos[keep]
    # false positions: mean and extent per episode (ranges ps..pe, gathered then reduced)
    rows, _ = range_rows(ps, npos)
    episode = np.repeat(np.arange(len(ps)), npos)
    if len(ps):
        vstart = np.flatnonzero(vessel_starts(mmsi))
        lo = vstart[np.searchsorted(vstart, ps, side="right") - 1]
        hi = np.r_[vstart[1:], len(mmsi)][np.searchsorted(vstart, ps, side="right") - 1]
        before = np.minimum(search_seconds(ts, lo, ps, ts[ps - 1] // 1_000_000_000 - TRACK_BASELINE_S), ps - 1)
        after = np.maximum(search_seconds(ts, rr, hi, ts[rr] // 1_000_000_000 + TRACK_BASELINE_S) - 1, rr)
        jitter = _on_track(lat, lon, before, after, rows, episode)
    else:
        jitter = np.zeros(0, dtype=bool)
    spoof = _episodes(steps, lat, lon, ps[~jitter], pe[~jitter], rr[~jitter], dist, spd)
    one = imp[~used]
    artefact = np.r_[code[code >= 0], np.full(int(jitter.sum()), 2), np.full(len(one), 3)].astype(np.int64)
    s_idx = np.r_[feed - 1, ps[jitter], one - 1]
    e_idx = np.r_[feed, pe[jitter], one]
    feed_events = ev.build(
        "feed_artefact", steps, s_idx, e_idx,
        artefact=np.array(ARTEFACTS, dtype=object)[artefact],
        max_implied_speed_kn=np.r_[spd[feed], spd[ps[jitter]], spd[one]],
        jump_distance_m=np.r_[dist[feed], dist[ps[jitter]], dist[one]],
        returned=np.r_[np.zeros(len(feed), dtype=bool), np.ones(int(jitter.sum()), dtype=bool), np.zeros(len(one), dtype=bool)],
        n_positions=np.r_[np.zeros(len(feed), dtype=np.int64), npos[jitter], np.zeros(len(one), dtype=np.int64)],
    )
    return ev.concat([spoof, feed_events])


def _episodes(steps: pd.DataFrame, lat: np.ndarray, lon: np.ndarray, ps: np.ndarray, pe: np.ndarray, rr: np.ndarray,
              dist: np.ndarray, spd: np.ndarray) -> pd.DataFrame:
    """``spoofing`` events of the false-position runs ps..pe (rr: the step back)."""
    npos = pe - ps + 1
    rows, off = range_rows(ps, npos)
    if len(ps):
        mlat = np.add.reduceat(lat[rows], off) / npos
        mlon = np.add.reduceat(lon[rows], off) / npos
        dev = haversine_m(lat[rows], lon[rows], np.repeat(mlat, npos), np.repeat(mlon, npos))
        extent = np.maximum.reduceat(dev, off) / 1000.0
    else:
        mlat = mlon = extent = np.empty(0)
    return ev.build(
        "spoofing", steps, ps, pe,
        max_implied_speed_kn=np.fmax(spd[ps], spd[rr]),
        jump_distance_m=dist[ps],
        spoofed_lat=mlat, spoofed_lon=mlon, spoofed_extent_km=extent,
        returned=np.ones(len(ps), dtype=bool),
        n_positions=npos,
    )


def _ffill_idx(mask: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Index of the latest row <= i where mask holds, within the vessel (-1 when none)."""
    n = len(mask)
    idx = np.maximum.accumulate(np.where(mask, np.arange(n), -1))
    vstart = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    return np.where(idx >= vstart, idx, -1)


def _impossible_switches(pos: pd.DataFrame, steps: pd.DataFrame, min_jump_km: float, min_dt_s: float) -> np.ndarray:
    """Rows (of sorted positions) reached by a step no ship could sail: see :data:`MIN_JUMP_KM`."""
    dist = steps["distance_m"].to_numpy(dtype=float)
    jumps = np.flatnonzero(dist >= min_jump_km * 1000.0)  # NaN at a vessel's first report: never
    if not len(jumps):
        return jumps
    kn = dist[jumps] / np.fmax(steps["dt_s"].to_numpy(dtype=float)[jumps], min_dt_s) * KN_PER_M_S
    limit = max_speed_kn(pos["vessel_type"].to_numpy()[jumps] if "vessel_type" in pos else np.full(len(jumps), np.nan))
    sog = pos["sog_kn"].to_numpy(dtype=float) if "sog_kn" in pos else np.full(len(pos), np.nan)
    return jumps[kn > _allowed_kn(limit, sog[jumps - 1], sog[jumps])]


def _allowed_kn(limit: np.ndarray, sog_from: np.ndarray, sog_to: np.ndarray) -> np.ndarray:
    """The fastest a step between two reports can credibly be: the type's ``limit``, or less when both
    reports give a speed over ground (CLAIMED_SPEED_FACTOR x the higher + CLAIMED_SPEED_SLACK_KN)."""
    claimed = np.fmax(sog_from, sog_to) * CLAIMED_SPEED_FACTOR + CLAIMED_SPEED_SLACK_KN
    return np.where(np.isfinite(sog_from) & np.isfinite(sog_to), np.fmin(limit, claimed), limit)


def _refine_labels(label: np.ndarray, flagged: np.ndarray, first: np.ndarray, ts: np.ndarray, lat: np.ndarray,
                   lon: np.ndarray, sog: np.ndarray, limit: np.ndarray, min_dt_s: float) -> np.ndarray:
    """Two vectorised passes: each report of a flagged MMSI joins the sub-track (0 or 1) it is the more
    plausibly reachable from (implied speed / the speed that step allows); a report neither could reach
    keeps its parity label."""
    n = len(label)
    for _ in range(2):  # refinement: join the sub-track this report is plausibly reachable from
        prev = np.r_[-1, np.arange(n - 1)]
        prev_first = np.r_[True, first[1:]]
        excess = []  # implied speed from each sub-track's latest report / the speed that step allows
        for lab in (0, 1):
            j = _ffill_idx(label == lab, first)
            j = np.where(prev_first, -1, j[np.maximum(prev, 0)])  # strictly before this report
            jj = np.maximum(j, 0)
            d = haversine_m(lat[jj], lon[jj], lat, lon)
            v = d / np.fmax((ts - ts[jj]) / 1e9, min_dt_s) * KN_PER_M_S
            excess.append(np.where(j >= 0, v / _allowed_kn(limit, sog[jj], sog), np.inf))
        new = np.where(excess[1] < excess[0], 1, 0).astype(np.int8)
        neither = np.fmin(excess[0], excess[1]) > 1.0  # no plausible sub-track: keep the parity
        label = np.where(flagged & ~neither, new, label)
        label[~flagged] = 0
    return label


def split_identity_clashes(positions: pd.DataFrame, *, min_jump_km: float = MIN_JUMP_KM,
                           min_switches: int = MIN_SWITCHES, min_dt_s: float = MIN_DT_S,
                           steps: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(positions, events): positions sorted by (mmsi, timestamp) with an added int64 ``track_id``,
    and one ``identity_clash`` event per MMSI broadcast by two ships at once.

    ``track_id`` is the MMSI for every report, except those of the second ship of a clashing MMSI,
    which get ``mmsi + SPLIT_OFFSET`` (a synthetic id outside the 9-digit range). To run the other
    detectors on separated tracks: ``positions.assign(mmsi=positions.pop("track_id").astype("int32"))``
    then ``tracks.sort_positions`` (note: schema.POSITIONS' mmsi range must then allow the offset).

    The event: start/end = the first and last report around a switch (the time both ships were
    heard), start position = the first ship's, ``other_lat/other_lon`` = the second ship's first
    position, ``jump_distance_m`` = median distance of the switches, ``n_switches``.
    Vectorised over all reports; only the reports of flagged MMSIs are relabelled. ``steps``: the
    same positions, sorted, with schema.STEPS columns (any segment gap), when the caller has them.
    """
    pos = tracks.sort_positions(positions)
    steps = steps if steps is not None else tracks.add_steps(pos, segment_gap_h=1e9)
    n = len(pos)
    mmsi = pos["mmsi"].to_numpy()
    track_id = mmsi.astype(np.int64)

    def with_track_id(track_id: np.ndarray) -> pd.DataFrame:  # a new frame over the same columns
        return pd.DataFrame({**{c: pos[c] for c in pos.columns}, "track_id": track_id}, copy=False)

    if n == 0:
        return with_track_id(track_id), ev.conform(pd.DataFrame())
    first = vessel_starts(mmsi)
    starts = np.flatnonzero(first)
    # switches: jumps (few; the distance test first) no ship could sail
    dist = steps["distance_m"].to_numpy(dtype=float)
    sw_all = _impossible_switches(pos, steps, min_jump_km, min_dt_s)
    n_sw = np.bincount(np.searchsorted(starts, sw_all, side="right") - 1, minlength=len(starts))
    if not (n_sw >= min_switches).any():
        return with_track_id(track_id), ev.conform(pd.DataFrame())
    switch = np.zeros(n, dtype=bool)
    switch[sw_all] = True
    code = np.cumsum(first) - 1
    flagged = n_sw[code] >= min_switches
    ts = pos["timestamp"].array.asi8
    lat = pos["lat"].to_numpy(dtype=float)
    lon = pos["lon"].to_numpy(dtype=float)
    # parity of switches so far within the vessel
    limit = max_speed_kn(pos["vessel_type"]) if "vessel_type" in pos else np.full(n, DEFAULT_MAX_KN)
    cs = np.cumsum(switch)
    vstart = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    label = ((cs - cs[vstart]) % 2).astype(np.int8)
    sog = pos["sog_kn"].to_numpy(dtype=float) if "sog_kn" in pos else np.full(n, np.nan)
    label = _refine_labels(label, flagged, first, ts, lat, lon, sog, limit, min_dt_s)
    out = with_track_id(np.where(label == 1, track_id + SPLIT_OFFSET, track_id))
    # events: one per flagged MMSI with both sub-tracks present
    sw_rows = np.flatnonzero(switch & flagged)
    c = code[sw_rows]
    g0 = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    g1 = np.r_[g0[1:], len(c)] - 1
    s_idx = sw_rows[g0] - 1
    e_idx = sw_rows[g1]
    n_switch = (g1 - g0 + 1).astype(np.int64)
    med_jump = pd.Series(dist[sw_rows]).groupby(np.repeat(np.arange(len(g0)), n_switch)).median().to_numpy()
    # the first ship = the label of the start report; the other's first report after it
    lab_s = label[s_idx]
    other_first = _next_with_label(label, code, s_idx, 1 - lab_s)
    has_other = other_first >= 0
    of = np.maximum(other_first, 0)
    s_idx, e_idx, n_switch, med_jump, of = s_idx[has_other], e_idx[has_other], n_switch[has_other], med_jump[has_other], of[has_other]
    events = ev.build(
        "identity_clash", pos, s_idx, e_idx,
        other_lat=lat[of], other_lon=lon[of],
        jump_distance_m=med_jump,
        n_switches=n_switch,
        n_positions=e_idx - s_idx + 1,
    )
    return out, events


def _next_with_label(label: np.ndarray, code: np.ndarray, start: np.ndarray, want: np.ndarray) -> np.ndarray:
    """For each start row, the first row at or after it of the same vessel with label == want (-1 none)."""
    res = np.full(len(start), -1, dtype=np.int64)
    for lab in (0, 1):
        rows = np.flatnonzero(label == lab)
        sel = want == lab
        k = np.searchsorted(rows, start[sel])
        kk = np.minimum(k, max(len(rows) - 1, 0))
        ok = (k < len(rows)) & (code[rows[kk]] == code[start[sel]]) if len(rows) else np.zeros(sel.sum(), dtype=bool)
        res[sel] = np.where(ok, rows[kk] if len(rows) else -1, -1)
    return res


# --- identity flags ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def mid_table() -> pd.DataFrame:
    """The shipped MID -> flag table (``data/mid.csv``; abridged, see its first line)."""
    with files("vesseltrack").joinpath("data/mid.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, comment="#", dtype={"mid": np.int64, "country_code": str, "country": str}, keep_default_na=False)


def _wrap(dlon: np.ndarray) -> np.ndarray:
    return (dlon + 180.0) % 360.0 - 180.0


def imo_valid(imo: np.ndarray | pd.Series) -> np.ndarray:
    """True where a 7-digit IMO number's check digit is right (NaN / <NA> -> True: nothing to check).

    The check digit is the last digit of 7*d1 + 6*d2 + 5*d3 + 4*d4 + 3*d5 + 2*d6.
    """
    v = pd.Series(imo).to_numpy(dtype=float, na_value=np.nan)
    ok = np.isnan(v)
    x = np.nan_to_num(v).astype(np.int64)
    digits = np.stack([x // 10 ** p % 10 for p in (6, 5, 4, 3, 2, 1)])
    check = (digits * np.array([7, 6, 5, 4, 3, 2])[:, None]).sum(axis=0) % 10
    return ok | ((x >= 1_000_000) & (x <= 9_999_999) & (check == x % 10))


FLAG_COLUMNS = ("mmsi", "invalid_mmsi", "unallocated_mid", "flag_country", "invalid_imo", "n_names", "n_imos",
                "n_call_signs", "placeholder_speed_reports", "on_land_reports", "swapped_latlon_reports", "n_positions")


def _placeholder_rows(sog32: np.ndarray) -> np.ndarray:
    """Rows reporting a placeholder speed (:data:`PLACEHOLDER_SPEEDS_KN`): a cheap float32 test over all
    reports, the exact one on the few candidates."""
    rows = np.flatnonzero(sog32 > np.float32(min(PLACEHOLDER_SPEEDS_KN) - 0.1))
    sog = sog32[rows].astype(float)
    hit = np.zeros(len(rows), dtype=bool)
    for v in PLACEHOLDER_SPEEDS_KN:  # three values, not a loop over data
        hit |= np.abs(sog - v) < 0.05
    return rows[hit]


def _inland_rows(lat: np.ndarray, lon: np.ndarray, gaz: Gazetteer | None, inland_port_km: float) -> np.ndarray:
    """Rows well inland (:data:`ON_LAND_KM`) and further than ``inland_port_km`` from any port: the coarse
    grid first (cheap), the coastal refinement only where it is in doubt."""
    rows = np.flatnonzero(coarse_shore_distance_km(lat, lon) < LAND_DOUBT_KM)
    rows = rows[shore_distance_km(lat[rows], lon[rows]) < ON_LAND_KM]
    if len(rows) and inland_port_km > 0:
        gaz = gaz if gaz is not None else build_gazetteer()
        rows = rows[nearest_zone_km(lat[rows], lon[rows], gaz) > inland_port_km]
    return rows


def _swapped_rows(lat: np.ndarray, lon: np.ndarray, code: np.ndarray, first: np.ndarray, n_pos: np.ndarray,
                  swap_far_km: float, swap_near_km: float) -> np.ndarray:
    """Rows far from their vessel's median position but near it once lat and lon are swapped back.

    The median is taken over 64 reports spread evenly through each vessel's track (an nv x 64 sort,
    not a sort of every report): robust as long as fewer than half the reports are swapped. A cheap
    box test first (swapped back within ~2 degrees of the median), in blocks of rows; exact distances
    on the few candidates."""
    sample = first[:, None] + (np.arange(64)[None, :] * n_pos[:, None]) // 64
    vlat = np.median(lat[sample], axis=1)
    vlon = np.median(lon[sample], axis=1)
    box = 2.0 * max(swap_near_km / 100.0, 1.0)
    cand = np.concatenate([
        s + np.flatnonzero((np.abs(lon[s:s + BLOCK_ROWS]) <= 90)
                           & (np.abs(lon[s:s + BLOCK_ROWS] - vlat[code[s:s + BLOCK_ROWS]]) <= box))
        for s in range(0, len(lon), BLOCK_ROWS)])  # usually few rows pass this
    mlat, mlon = vlat[code[cand]], vlon[code[cand]]
    cand = cand[np.abs(_wrap(lat[cand] - mlon))
                <= box / np.maximum(np.cos(np.radians(np.minimum(np.abs(mlat), 89.0))), 0.01)]
    mlat, mlon = vlat[code[cand]], vlon[code[cand]]
    return cand[(haversine_m(lat[cand], lon[cand], mlat, mlon) > swap_far_km * 1000.0)
                & (haversine_m(lon[cand], lat[cand], mlat, mlon) < swap_near_km * 1000.0)]


def vessel_identity_flags(positions: pd.DataFrame, gaz: Gazetteer | None = None, *, swap_far_km: float = 500.0,
                          swap_near_km: float = 100.0, inland_port_km: float = INLAND_PORT_KM) -> pd.DataFrame:
    """One row per MMSI: identity and data-quality flags for the scorer (no rows are rejected).

    - ``invalid_mmsi``: not a 9-digit ship-station number 200000000..799999999 (anonymised data
      has no real MMSIs: expect this everywhere there);
    - ``unallocated_mid``: a ship-station MMSI whose MID (first three digits) is not in the MID
      table; ``flag_country``: the ISO code of its MID (None when unknown);
    - ``invalid_imo``: some reported IMO fails its check digit; ``n_names``, ``n_imos``,
      ``n_call_signs``: distinct values broadcast (identity changes over time);
    - ``placeholder_speed_reports``: reports with SOG 51.2, 63 or 102.3 kn;
    - ``on_land_reports``: reports more than 5 km inland on the shipped 0.1-degree land grid and more
      than ``inland_port_km`` from any port centre of ``gaz`` (default: the shipped gazetteer). The
      grid is too coarse for harbours, estuaries and canals (New York harbour, Chesapeake Bay and
      the Suez Canal are "land" on it), where ports are near; ``inland_port_km=0`` drops that guard;
    - ``swapped_latlon_reports``: reports more than ``swap_far_km`` from the vessel's median
      position that, with lat and lon swapped, land within ``swap_near_km`` of it.
    """
    if len(positions) == 0:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in FLAG_COLUMNS})
    positions = tracks.sort_positions(positions)  # no copy when already sorted (the pipeline's case)
    mmsi = positions["mmsi"].to_numpy()
    starts = tracks.vessel_starts(mmsi)
    code = np.cumsum(starts) - 1  # dense vessel code, rows grouped by vessel
    nv = int(code[-1]) + 1
    first = np.flatnonzero(starts)
    lat = positions["lat"].to_numpy(dtype=float)
    lon = positions["lon"].to_numpy(dtype=float)
    ph_rows = _placeholder_rows(positions["sog_kn"].to_numpy(dtype=np.float32))
    land_rows = _inland_rows(lat, lon, gaz, inland_port_km)
    n_pos = np.bincount(code, minlength=nv)
    swapped_rows = _swapped_rows(lat, lon, code, first, n_pos, swap_far_km, swap_near_km)

    def distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vessel code, value) of each distinct non-missing (-1) value per vessel. Rows are grouped
        by vessel and values rarely change, so only rows where the value or the vessel changes can
        bring a new pair: those few are hashed, not every report."""
        change = starts.copy()
        np.not_equal(values[1:], values[:-1], out=change[1:])
        change[1:] |= starts[1:]
        rows = np.flatnonzero(change)
        v = values[rows].astype(np.int64)
        ok = v >= 0
        stride = int(v.max()) + 1 if ok.any() else 1
        pairs = pd.unique(code[rows[ok]] * stride + v[ok])
        return pairs // stride, pairs % stride

    def text_codes(col: pd.Series) -> np.ndarray:
        return (col.cat.codes if isinstance(col.dtype, pd.CategoricalDtype) else pd.Series(pd.factorize(col)[0])).to_numpy()

    imo_vessel, imo_value = distinct(positions["imo"].to_numpy(dtype=np.int64, na_value=-1))
    n_imos = np.bincount(imo_vessel, minlength=nv)
    invalid_imo = np.bincount(imo_vessel[~imo_valid(imo_value)], minlength=nv) > 0
    n_names = np.bincount(distinct(text_codes(positions["vessel_name"]))[0], minlength=nv)
    n_cs = np.bincount(distinct(text_codes(positions["call_sign"]))[0], minlength=nv)
    res = pd.DataFrame({
        "mmsi": mmsi[first].astype(np.int64), "invalid_imo": invalid_imo, "n_names": n_names, "n_imos": n_imos, "n_call_signs": n_cs,
        "placeholder_speed_reports": np.bincount(code[ph_rows], minlength=nv),
        "on_land_reports": np.bincount(code[land_rows], minlength=nv),
        "swapped_latlon_reports": np.bincount(code[swapped_rows], minlength=nv),
        "n_positions": n_pos,
    })
    m = res["mmsi"].to_numpy()
    ship = (m >= 200_000_000) & (m <= 799_999_999)
    mids = mid_table()
    mid = m // 1_000_000
    known = np.isin(mid, mids["mid"].to_numpy())
    cc = pd.Series(mids["country_code"].to_numpy(), index=mids["mid"].to_numpy())
    res.insert(1, "invalid_mmsi", ~ship)
    res.insert(2, "unallocated_mid", ship & ~known)
    no_flag = np.array(None, dtype=object)
    res.insert(3, "flag_country", pd.Series(np.where(ship & known, cc.reindex(mid).to_numpy(dtype=object), no_flag), dtype=object))
    for c in ("n_names", "n_imos", "n_call_signs", "placeholder_speed_reports", "on_land_reports", "swapped_latlon_reports", "n_positions"):
        res[c] = res[c].astype(np.int64)
    res["mmsi"] = res["mmsi"].astype(np.int32)
    return res[list(FLAG_COLUMNS)]
