"""Transmission gaps: silences longer than a threshold between consecutive reports of a vessel.

Default threshold: 6 h, the shortest gap Global Fishing Watch publishes. Class A transponders
report every 2-10 s under way and terrestrial receivers reach ~40-60 nm, so at 12 kn a ship
crosses a coastal receiver's range in ~8 h; shorter silences are routinely reception holes, and
satellite passes leave gaps of 1-6 h. Gaps still open at the end of the data are events with
``is_closed = False`` (the end of the data is passed in, so a subset of vessels or a time window
gives the same answer as the whole).

Presets (:data:`PRESETS`, parameters in :class:`GapParams`):

- ``gfw`` (default): every gap over 6 h, as Global Fishing Watch publishes them (its 12-h
  threshold is a filter on ``duration_h``).
- ``welch2022``: Welch et al. (2022, Science Advances), "Hot spots of unseen fishing vessels":
  at least 12 h, starting more than 50 nm from shore, in a cell where the vessel's class is heard
  more than 10 times a day, with at least 14 reports in the 12 h before (so the vessel was
  clearly being heard before it went silent).
- ``nearshore``: gaps over 6 h that start within 50 nm of shore where reception is good
  (> 10 reports/day): near coast stations a silence is more suspicious, not less.

Every gap gets a ``gap_kind`` and a ``context`` (stopareas.py: ``at sea``, ``anchorage``,
``berth``, ``port``, or ``inland`` for a river or canal the coastline does not resolve; where it
started):

- ``stationary``: the vessel was lying still when it fell silent and when it was heard again, and
  it restarted within :data:`STATIONARY_M` of where it stopped: AIS switched off at a berth or at
  anchor (work boats and harbour craft do it every night). Never ``likely_dark``; benign unless it
  happened inside a sensitive port zone (``at_sensitive_port``: a tanker silent at the Vostochny
  berths is still worth a look).
- ``open``: still silent at the end of the data. The silence is censored: the data say only that
  it lasted at least this long, and the shorter the file the less that means (the reception map,
  which learns from closed silences, has never seen a long one in a short file). An open gap is
  ``likely_dark`` only on strong evidence: started at sea while under way, at least
  :data:`OPEN_MIN_H` long and at least half of the span of the data, with at least
  :data:`OPEN_MIN_OTHERS` reports of other ships heard in its area meanwhile, at least
  :data:`OPEN_MIN_PORT_KM` from a port, further from the edge of the data's extent than the ship
  could sail in the gap (in a regional extract a ship under way may simply have left the box: so
  in practice only world-wide data, or a ship in the middle of a large area, qualifies), and not
  one of several vessels that fell silent for good in the same area at about the same time (a
  feed outage).
- ``moving``: every other gap.

A closed, ``moving`` gap judged against a reception map is ``likely_dark`` when it is not in port
(``in_port``: both ends inside one port zone, or both ends in berths, anchorages or port zones
within :data:`WAITED_M` of each other, lying still when heard again: the ship waited there; or
heard again lying still in the learnt berth or anchorage where it last lay still before the gap:
a round trip from its home berth, switched off back there), no end lies at sea within
:data:`EDGE_KM` of the edge of the data's extent (``at_extent_edge``: a ship that leaves an
extract's box falls silent at its edge), it is a silence that ships in its area have less than once in ~30 ship-days
(reception.py), and it leaves at least 12 h unaccounted for beyond the straight run between its
ends (time for a detour).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vesseltrack import satellite, stopareas
from vesseltrack.detect import events as ev
from vesseltrack.detect.params import DEFAULT_GAP_H, PRESETS, WINDOW_H, GapParams  # noqa: F401 (PRESETS: re-exported)
from vesseltrack.detect.reach import reachable, typical_speed
from vesseltrack.geo import KN_PER_M_S, haversine_m
from vesseltrack.reception import ReceptionMap, gap_reception
from vesseltrack.tracks import search_seconds, vessel_starts
from vesseltrack.zones import Gazetteer, nearest_sensitive, nearest_zone_km, shore_distance_km

NM_KM = 1.852
#: ``likely_dark``: ships in the area fall silent this long less than once in 10**1.5 (~30) ship-days...
LIKELY_DARK_SILENCE_LOG10 = -1.5
#: ...and the gap leaves at least this many hours unaccounted for beyond the straight run.
LIKELY_DARK_SPARE_H = 12.0
#: A stationary gap restarts within this distance (m) of where it stopped: GPS scatter at a quay
#: is tens of metres, a ship at anchor swings around its anchor within a few hundred.
STATIONARY_M = 1000.0
#: An open (censored) gap is likely dark only if at least this long (h)...
OPEN_MIN_H = 24.0
#: ...covers at least this share of the data's span...
OPEN_MIN_SPAN_SHARE = 0.5
#: ...other ships were heard in its area this many times meanwhile...
OPEN_MIN_OTHERS = 100
#: ...it did not start within this distance (km) of a port zone centre (ships going in switch off),
#: and the edge of the data's extent is further than the ship could sail in the gap at its typical
#: speed (OPEN_DEFAULT_KN when unknown): in a regional extract a ship under way may simply have left.
OPEN_MIN_PORT_KM = 20.0
OPEN_DEFAULT_KN = 10.0
#: ...and fewer than this many other vessels fell silent for good within OPEN_TOGETHER_KM and
#: OPEN_TOGETHER_H of it (ships silent at once around one receiver: an outage of the feed, not hiding).
OPEN_TOGETHER = 2
OPEN_TOGETHER_H = 1.0
OPEN_TOGETHER_KM = 100.0
#: No gap with an end within this distance (km) of the edge of the data's extent is likely dark: a
#: ship that sails out of an extract's box falls silent at its edge.
EDGE_KM = 10.0
#: A gap between berths, anchorages or port zones at most this far apart (m), still when heard
#: again, is a wait there (ships shift berth or re-anchor), counted as ``in_port``.
WAITED_M = 10_000.0
GAP_KINDS = ("moving", "stationary", "open")


#: A gap end within this distance of a sensitive port names that port in the event's ``port``.
NEAR_PORT_KM = 300.0


def reports_within(steps: pd.DataFrame, idx: np.ndarray, hours: float, *, before: bool) -> np.ndarray:
    """Reports of the same vessel in the ``hours`` before (or after) each row ``idx``, that row included.

    Times are compared in whole seconds. A vectorised binary search inside each queried vessel's
    rows (sorted by time): work and memory grow with the number of queries, not of reports.
    """
    idx = np.asarray(idx, dtype=np.int64)
    if len(idx) == 0:
        return np.zeros(0, dtype=np.int64)
    mmsi = steps["mmsi"].to_numpy()
    ts = steps["timestamp"].array.asi8
    starts = np.flatnonzero(vessel_starts(mmsi))
    v = np.searchsorted(starts, idx, side="right") - 1
    sec = ts[idx] // 1_000_000_000
    h = int(hours * 3600)
    if before:  # first row of the vessel, up to idx, at most h seconds earlier
        first = search_seconds(ts, starts[v], idx, sec - h)
        return idx - first + 1
    ends = np.append(starts[1:], len(ts))[v]
    past = search_seconds(ts, idx, ends, sec + h, strict=True)  # first row more than h seconds later
    return past - idx


@dataclass(frozen=True)
class Fleet:
    """What gap detection learns from the whole fleet, for an engine that runs it on a partition of
    the vessels: the box holding all positions, the first and last timestamps (ns), and where and
    when every open gap of the fleet starts (:func:`open_gap_starts` of each partition, combined)."""

    box: tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max
    t_min: int
    t_max: int
    open_mmsi: np.ndarray
    open_lat: np.ndarray
    open_lon: np.ndarray
    open_t: np.ndarray


def extent(steps: pd.DataFrame) -> tuple[float, float, float, float, int, int]:
    """(lat_min, lat_max, lon_min, lon_max, t_min, t_max) of positions (a partition's part of :class:`Fleet`)."""
    lat = steps["lat"].to_numpy()
    lon = steps["lon"].to_numpy()
    ts = steps["timestamp"].array.asi8
    if len(ts) == 0:
        return (np.nan, np.nan, np.nan, np.nan, np.iinfo(np.int64).max, np.iinfo(np.int64).min)
    return (float(np.nanmin(lat)), float(np.nanmax(lat)), float(np.nanmin(lon)), float(np.nanmax(lon)),
            int(ts.min()), int(ts.max()))


def open_gap_starts(steps: pd.DataFrame, params: GapParams, end_ns: int) -> pd.DataFrame:
    """(mmsi, lat, lon, t_ns) of the last report of every vessel silent until ``end_ns`` for longer
    than the preset's shortest gap: where its open gap starts."""
    last = np.flatnonzero(np.append(vessel_starts(steps["mmsi"].to_numpy())[1:], True)) if len(steps) else np.zeros(
        0, dtype=np.int64)
    ts = steps["timestamp"].array.asi8
    last = last[(end_ns - ts[last]) > params.min_gap_h * 3600.0 * 1e9]
    return pd.DataFrame({"mmsi": steps["mmsi"].to_numpy()[last].astype(np.int64), "lat": steps["lat"].to_numpy()[last],
                         "lon": steps["lon"].to_numpy()[last], "t_ns": ts[last]})


def fleet_of(extents: list[tuple], open_starts: list[pd.DataFrame]) -> Fleet:
    """The :class:`Fleet` of partitions from their :func:`extent` and :func:`open_gap_starts`."""
    e = np.array([x[:4] for x in extents], dtype=float)
    o = pd.concat(open_starts, ignore_index=True) if open_starts else pd.DataFrame(
        {"mmsi": [], "lat": [], "lon": [], "t_ns": []})
    box = (float(np.fmin.reduce(e[:, 0])), float(np.fmax.reduce(e[:, 1])), float(np.fmin.reduce(e[:, 2])),
           float(np.fmax.reduce(e[:, 3])))  # NaN-ignoring (an empty partition's extent is NaN)
    return Fleet(box=box, t_min=min(int(x[4]) for x in extents), t_max=max(int(x[5]) for x in extents),
                 open_mmsi=o["mmsi"].to_numpy(np.int64), open_lat=o["lat"].to_numpy(float),
                 open_lon=o["lon"].to_numpy(float), open_t=o["t_ns"].to_numpy(np.int64))


def detect_gaps(
    steps: pd.DataFrame,
    gaz: Gazetteer,
    *,
    data_end: pd.Timestamp | None = None,
    zone: np.ndarray | None = None,
    reception: ReceptionMap | None = None,
    params: GapParams | None = None,
    stop_areas: stopareas.StopAreas | None = None,
    fleet: Fleet | None = None,
) -> pd.DataFrame:
    """Gap events from (mmsi, timestamp)-sorted positions with schema.STEPS columns.

    ``params`` (a :class:`GapParams`, e.g. ``PRESETS["welch2022"]``; default ``GapParams()``, every
    gap over ``DEFAULT_GAP_H``) sets the shortest gap and the preset's criteria; a reception
    criterion needs ``reception``.

    ``zone``: per-position zone index (zones.assign_zone); when given, ``in_port`` tells gaps that
    start and end inside the same port zone. ``reception``: the reception map (reception.py);
    when given, each gap is judged against how well its area is heard.
    ``data_end``: when the data ends (default: the last timestamp in ``steps``); a vessel silent
    from its last report until then for longer than ``params.min_gap_h`` gets an open gap.
    ``stop_areas``: learnt berths and anchorages (a round trip back to one is in port). Positions'
    ``context`` (schema.STEP_CONTEXT, added by the pipeline) says where a gap starts and ends;
    without that column, port zones (from ``zone``) are ``port`` and everything else ``at sea``.
    ``fleet``: when ``steps`` are some of the fleet's vessels (an engine's partition), the whole
    fleet's extent and open gaps (:class:`Fleet`), so that the gaps are those of the whole run
    (default: ``steps`` are the whole fleet).
    """
    params = params or GapParams()
    if len(steps) == 0:
        return ev.conform(pd.DataFrame())
    ts = steps["timestamp"].array.asi8
    if fleet is None:
        fleet = fleet_of([extent(steps)], [])
    end_ns = fleet.t_max if data_end is None else pd.Timestamp(data_end).value
    s_idx, e_idx = _gap_ends(steps, params.min_gap_h * 3600.0, end_ns)
    closed = e_idx >= 0
    e = np.where(closed, e_idx, s_idx)  # the first report after, or the last before for an open gap
    lat = steps["lat"].to_numpy()
    lon = steps["lon"].to_numpy()
    d0, d1, port = _gap_ports(lat, lon, s_idx, e, closed, gaz)
    where = _gap_places(steps, gaz, s_idx, e, closed, zone, stop_areas)
    out = ev.build(
        "gap",
        steps,
        s_idx,
        e_idx,
        end_time=np.full(len(s_idx), end_ns),
        ais_class=ev.text_at(steps["ais_class"], s_idx),
        start_shore_km=where.shore0,
        end_shore_km=np.where(closed, shore_distance_km(lat[e], lon[e]), np.nan),
        start_nearest_port_km=nearest_zone_km(lat[s_idx], lon[s_idx], gaz),
        end_nearest_port_km=np.where(closed, nearest_zone_km(lat[e], lon[e], gaz), np.nan),
        positions_before_12h=reports_within(steps, s_idx, WINDOW_H, before=True),
        positions_after_12h=np.where(closed, reports_within(steps, e, WINDOW_H, before=False), 0),
        port=port,
        is_closed=closed,
        in_port=where.in_port,
        start_sensitive_port_km=d0,
        end_sensitive_port_km=d1,
        **_changes_across(steps, s_idx, e, closed),
        n_positions=np.zeros(len(s_idx), dtype=np.int64),
        gap_kind=np.where(~closed, "open", np.where(where.stationary, "stationary", "moving")).astype(object),
        context=stopareas.context_names(where.ctx),
        at_sensitive_port=where.at_sensitive,
        **(
            gap_reception(steps, s_idx, e_idx, np.where(closed, ts[e], end_ns), reception)
            if reception is not None
            else {}
        ),
    )
    _add_edge_reach_speed(out, steps, gaz, s_idx, e, closed, where, fleet.box)
    if reception is not None:
        out["likely_dark"] = _likely_dark(out, steps, s_idx, closed, where, end_ns, fleet)
    for col, vals in satellite.gap_search(out).items():  # where to look in imagery (likely-dark gaps)
        out[col] = vals
    return out[_keep(out, params)].reset_index(drop=True)


def _gap_ports(lat: np.ndarray, lon: np.ndarray, s_idx: np.ndarray, e: np.ndarray, closed: np.ndarray,
               gaz: Gazetteer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(km from the start to the nearest sensitive port, km from the end (NaN for an open gap), the
    name of the nearer of the two ports when within NEAR_PORT_KM, else None) per gap."""
    d0, p0 = nearest_sensitive(lat[s_idx], lon[s_idx], gaz)
    d1, p1 = nearest_sensitive(np.where(closed, lat[e], np.nan), np.where(closed, lon[e], np.nan), gaz)
    near = np.where(np.nan_to_num(d1, nan=np.inf) < np.nan_to_num(d0, nan=np.inf), p1, p0)
    near_km = np.fmin(d0, d1)
    port = np.where((near >= 0) & (near_km <= NEAR_PORT_KM), gaz.names[np.maximum(near, 0)], None)  # type: ignore[call-overload]
    return d0, d1, port


def _changes_across(steps: pd.DataFrame, s_idx: np.ndarray, e: np.ndarray, closed: np.ndarray) -> dict[str, np.ndarray]:
    """The gap columns of what the vessel reported before and after the gap (draught, destination,
    name, call sign, IMO); after: missing for an open gap."""
    draught = steps["draught_m"].to_numpy(dtype=float)

    def after(col: str) -> np.ndarray:
        vals = ev.text_at(steps[col], e)
        vals[~closed] = None
        return vals

    return {
        "draught_before_m": draught[s_idx],
        "draught_after_m": np.where(closed, draught[e], np.nan),
        "destination_before": ev.text_at(steps["destination"], s_idx),
        "destination_after": after("destination"),
        "name_before": ev.text_at(steps["vessel_name"], s_idx),
        "name_after": after("vessel_name"),
        "call_sign_before": ev.text_at(steps["call_sign"], s_idx),
        "call_sign_after": after("call_sign"),
        "imo_before": steps["imo"].take(s_idx).to_numpy(),
        "imo_after": steps["imo"].take(e).where(closed).to_numpy(),
    }


def _gap_ends(steps: pd.DataFrame, thr_s: float, end_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """Per gap, the row of the last report before it and of the first after it (-1 for a gap still
    open at ``end_ns``): silences longer than ``thr_s`` seconds, closed ones first."""
    end_idx = np.flatnonzero(steps["dt_s"].to_numpy() > thr_s)
    # open gaps: from each vessel's last report to the end of the data
    last = np.flatnonzero(np.append(vessel_starts(steps["mmsi"].to_numpy())[1:], True))
    ts = steps["timestamp"].array.asi8
    open_last = last[(end_ns - ts[last]) > thr_s * 1e9]
    return np.concatenate([end_idx - 1, open_last]), np.concatenate([end_idx, np.full(len(open_last), -1)])


@dataclass(frozen=True)
class _Places:
    """Where each gap lies (see :func:`_gap_places`)."""

    in_port: np.ndarray        # True / False, or None without zones
    still: np.ndarray          # lying still at its start
    stationary: np.ndarray     # closed, lying still at both ends, a short way apart
    ctx: np.ndarray            # stopareas context code at its start (INLAND for at sea inland)
    ctx_end: np.ndarray        # and at its end (AT_SEA for an open gap)
    shore0: np.ndarray         # distance from shore at its start (km)
    at_sensitive: np.ndarray   # starts inside a sensitive port zone


def _gap_places(steps: pd.DataFrame, gaz: Gazetteer, s_idx: np.ndarray, e: np.ndarray, closed: np.ndarray,
                zone: np.ndarray | None, stop_areas: stopareas.StopAreas | None) -> _Places:
    """Whether each gap lies in port, lies still, and in which context it starts and ends."""
    if zone is None:
        in_port = np.full(len(s_idx), None, dtype=object)
    else:
        in_port = closed & (zone[s_idx] >= 0) & (zone[s_idx] == zone[e])
    still = stopareas.stopped(steps.iloc[s_idx])
    still_after = np.where(closed, stopareas.stopped(steps.iloc[e]), False)
    dist_m = steps["distance_m"].to_numpy()  # the step into e is the gap's own step
    stationary = closed & still & still_after & (np.nan_to_num(dist_m[e], nan=np.inf) <= STATIONARY_M)
    if "context" in steps:  # schema.STEP_CONTEXT, as the pipeline adds it
        ctx_all = steps["context"].to_numpy()
    else:  # without it: port zones, else at sea
        ctx_all = (
            np.where(zone >= 0, stopareas.PORT, stopareas.AT_SEA).astype(np.int8)
            if zone is not None
            else np.zeros(len(steps), np.int8)
        )
    ctx, ctx_end = ctx_all[s_idx].copy(), np.where(closed, ctx_all[e], stopareas.AT_SEA)
    shore0 = shore_distance_km(steps["lat"].to_numpy()[s_idx], steps["lon"].to_numpy()[s_idx])
    ctx[(ctx == stopareas.AT_SEA) & (shore0 < 0)] = stopareas.INLAND  # a river or canal the coastline does not resolve
    # in berths, anchorages or port zones at both ends, a short way apart, and lying still when heard
    # again (the last report before may be the arrival): it waited there
    waited = (closed & still_after & (ctx != stopareas.AT_SEA) & (ctx_end != stopareas.AT_SEA)
              & (np.nan_to_num(dist_m[e], nan=np.inf) <= WAITED_M))
    if stop_areas is not None:
        waited |= _back_home(steps, s_idx, e, closed & still_after & ~waited, stop_areas)
    if zone is not None:
        in_port = in_port | waited
    if zone is None:
        at_sensitive = np.zeros(len(s_idx), dtype=bool)
    else:
        zs = zone[s_idx]
        at_sensitive = (
            (zs >= 0) & gaz.sensitive[np.maximum(zs, 0)] if len(gaz.zones) else np.zeros(len(s_idx), dtype=bool)
        )
    return _Places(in_port, still, stationary, ctx, ctx_end, shore0, at_sensitive)


def _add_edge_reach_speed(out: pd.DataFrame, steps: pd.DataFrame, gaz: Gazetteer, s_idx: np.ndarray, e: np.ndarray,
                          closed: np.ndarray, where: _Places, box: tuple[float, float, float, float]) -> None:
    """Add to the gap rows ``out`` (in place): ``at_extent_edge``, the reach columns and ``implied_speed_kn``."""
    lat = steps["lat"].to_numpy()
    lon = steps["lon"].to_numpy()
    # a gap with an end at the edge of the data's extent may have been spent outside the covered box
    # (at sea: a ship heard again in a port, berth or anchorage at the edge came to a place in the box)
    sea0 = (where.ctx == stopareas.AT_SEA) | (where.ctx == stopareas.INLAND)
    sea1 = where.ctx_end == stopareas.AT_SEA
    out["at_extent_edge"] = pd.array(
        (sea0 & (_edge_km(lat[s_idx], lon[s_idx], box) < EDGE_KM))
        | (closed & sea1 & (_edge_km(lat[e], lon[e], box) < EDGE_KM)),
        dtype="boolean",
    )
    speed = typical_speed(steps, out["mmsi"].to_numpy())
    for col, vals in reachable(out, speed, gaz).items():
        out[col] = vals
    with np.errstate(divide="ignore", invalid="ignore"):
        out["implied_speed_kn"] = np.where(
            out["duration_h"] > 0, out["distance_m"] / (out["duration_h"] * 3600.0) * KN_PER_M_S, np.nan
        )


def _likely_dark(out: pd.DataFrame, steps: pd.DataFrame, s_idx: np.ndarray, closed: np.ndarray, where: _Places,
                 end_ns: int, fleet: Fleet) -> np.ndarray:
    """Per gap row of ``out`` (with the reception columns): a silence that local reception does not
    explain, closed with time for a detour, or open at sea on strong evidence."""
    lat = steps["lat"].to_numpy()
    lon = steps["lon"].to_numpy()
    ts = steps["timestamp"].array.asi8
    inside = ~out["at_extent_edge"].to_numpy(dtype=bool)
    closed_dark = (closed & ~where.stationary & ~out["in_port"].fillna(False).to_numpy(dtype=bool) & inside
                   & (out["silence_per_day_log10"].to_numpy(dtype=float) <= LIKELY_DARK_SILENCE_LOG10)
                   & (out["spare_h"].to_numpy(dtype=float) >= LIKELY_DARK_SPARE_H))
    span_h = (end_ns - fleet.t_min) / 3.6e12
    dur = out["duration_h"].to_numpy(dtype=float)
    # an open gap's ship could have sailed out of the data's extent unless the edge is further than its run
    run_km = np.nan_to_num(out["typical_speed_kn"].to_numpy(dtype=float), nan=OPEN_DEFAULT_KN) * NM_KM * dur
    stays_inside = _edge_km(lat[s_idx], lon[s_idx], fleet.box) >= np.maximum(run_km, EDGE_KM)
    open_dark = (~closed & ~where.still & (where.ctx == stopareas.AT_SEA) & stays_inside & (dur >= OPEN_MIN_H)
                 & (dur >= OPEN_MIN_SPAN_SHARE * span_h)
                 & (out["others_heard"].to_numpy(dtype=float, na_value=0.0) >= OPEN_MIN_OTHERS)
                 & (out["start_nearest_port_km"].to_numpy(dtype=float) >= OPEN_MIN_PORT_KM))
    # other open gaps nearby: this partition's, and the rest of the fleet's (other vessels)
    other = ~np.isin(fleet.open_mmsi, np.unique(steps["mmsi"].to_numpy()))
    together = _silent_together(np.r_[lat[s_idx], fleet.open_lat[other]], np.r_[lon[s_idx], fleet.open_lon[other]],
                                np.r_[ts[s_idx], fleet.open_t[other]], np.r_[~closed, np.ones(other.sum(), bool)],
                                np.r_[open_dark, np.zeros(other.sum(), bool)])[:len(s_idx)]
    open_dark &= together < OPEN_TOGETHER
    return closed_dark | open_dark


def _back_home(
    steps: pd.DataFrame, s_idx: np.ndarray, e: np.ndarray, cand: np.ndarray, areas: stopareas.StopAreas
) -> np.ndarray:
    """Per gap: heard again lying still in the learnt berth or anchorage where the vessel last lay
    still before the gap (a round trip from its home berth: a charter boat out beyond coverage and
    back in its slip, switched off there). Only gaps in ``cand`` are tested."""
    out = np.zeros(len(s_idx), dtype=bool)
    c = np.flatnonzero(cand)
    if len(c) == 0 or len(areas) == 0:
        return out
    a_end = areas.lookup(steps["lat"].to_numpy()[e[c]], steps["lon"].to_numpy()[e[c]])
    c, a_end = c[a_end >= 0], a_end[a_end >= 0]
    if len(c) == 0:
        return out
    still = stopareas.stopped(steps)
    last = np.maximum.accumulate(np.where(still, np.arange(len(still)), -1))[s_idx[c]]
    starts = np.flatnonzero(vessel_starts(steps["mmsi"].to_numpy()))
    mine = last >= starts[np.searchsorted(starts, s_idx[c], side="right") - 1]  # the same vessel's stop
    li = np.maximum(last, 0)
    a_home = areas.lookup(steps["lat"].to_numpy()[li], steps["lon"].to_numpy()[li])
    out[c] = mine & (a_home == a_end)
    return out


def _edge_km(qlat: np.ndarray, qlon: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """Distance (km) from each query point to the nearest edge of ``box`` (lat_min, lat_max,
    lon_min, lon_max: the box holding all positions)."""
    if len(qlat) == 0:
        return np.zeros(0)
    la0, la1, lo0, lo1 = box
    km_lat = np.fmin(qlat - la0, la1 - qlat) * 111.2
    km_lon = np.fmin(qlon - lo0, lo1 - qlon) * 111.2 * np.cos(np.radians(qlat))
    return np.fmin(km_lat, km_lon)


def _silent_together(lat: np.ndarray, lon: np.ndarray, t_ns: np.ndarray, is_open: np.ndarray,
                     query: np.ndarray | None = None) -> np.ndarray:
    """For each gap in ``query`` (default: every open gap), how many other open gaps started within
    OPEN_TOGETHER_H and OPEN_TOGETHER_KM of it (0 elsewhere). Candidates come from a time-sorted
    window, so work grows with the queries times the open gaps in their hour, not with all pairs."""
    out = np.zeros(len(lat), dtype=np.int64)
    o = np.flatnonzero(is_open)
    q = np.flatnonzero(is_open if query is None else query)
    if len(o) < 2 or len(q) == 0:
        return out
    order = o[np.argsort(t_ns[o], kind="stable")]
    t = t_ns[order]
    w = int(OPEN_TOGETHER_H * 3.6e12)
    lo = np.searchsorted(t, t_ns[q] - w, side="left")
    hi = np.searchsorted(t, t_ns[q] + w, side="right")
    n = hi - lo
    i = np.repeat(np.arange(len(q)), n)
    j = order[np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + lo[i]]
    near = (q[i] != j) & (haversine_m(lat[q[i]], lon[q[i]], lat[j], lon[j]) <= OPEN_TOGETHER_KM * 1000.0)
    out[q] = np.bincount(i[near], minlength=len(q))
    return out


def _keep(gaps: pd.DataFrame, p: GapParams) -> np.ndarray:
    keep = np.ones(len(gaps), dtype=bool)
    shore = gaps["start_shore_km"].to_numpy(dtype=float)
    if p.min_start_shore_nm is not None:
        keep &= shore > p.min_start_shore_nm * NM_KM
    if p.max_start_shore_nm is not None:
        keep &= shore <= p.max_start_shore_nm * NM_KM
    if p.min_reception_per_day is not None:
        rate = gaps["reception_start_per_h"].to_numpy(dtype=float, na_value=np.nan)
        keep &= rate * 24.0 > p.min_reception_per_day
    if p.min_positions_before is not None:
        keep &= gaps["positions_before_12h"].to_numpy(dtype=float, na_value=0) >= p.min_positions_before
    return keep
