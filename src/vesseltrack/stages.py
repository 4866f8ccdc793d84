"""The detection stages, cut where a stage needs the whole fleet: what every engine schedules.

The local engine runs them once over the whole table (one partition); the Dask engine
(:mod:`vesseltrack.engines.dask`) runs the vessel-local ones once per partition of the vessels
(a vessel's reports all in one partition, :func:`vesseltrack.store.bucket_of`) and combines the
fleet-wide ones from partial aggregates:

1. :func:`tracks_stage` (per partition): sort, identity flags, steps, identity-clash split (track
   ids: an MMSI, or MMSI + identity.SPLIT_OFFSET for the second ship of a clashing MMSI; within
   the MMSI's partition), zones. :func:`partials`: the partition's stop-area and reception partial
   aggregates and its extent.
2. :func:`combine_fleet`: the fleet's stop areas (stopareas.combine_partials, then combined with
   known ones), reception map (reception.combine) and extent; identical for any partitioning.
3. :func:`last_reports` (per partition) -> :func:`fleet_gaps_of`: where every open gap of the
   fleet starts (gap detection counts open gaps of other vessels nearby).
4. :func:`encounters_stage`: encounters (pairs of vessels cross partitions). Scaled out in three
   steps (encounters.py): :func:`encounter_slots` per partition (each vessel's resampled samples,
   with every look-up the events need, cut into time slots of :data:`SLOT_H` hours),
   :func:`slot_pairs_and_stats` per time slot (the close pairs among every partition's samples of
   that slot: pairs are only sought at one grid time), :func:`encounter_events` once (runs and
   episodes of the pairs, merged across slot boundaries).
5. :func:`vessel_stage` (per partition): context, port visits, gaps, loitering (given the
   encounters), spoofing, voyages and voyage features.
6. :func:`merge`: the partitions' results as one :class:`Detected`, in the order one partition
   gives, with the :class:`Digest` of their positions (what scoring, cargo and the watchlist need
   of them) when the engine does not gather the positions themselves.

An engine that does not hold every partition at once (the Dask engine) runs two passes: :func:`scan`
(1 without identity flags and zones, the partials, last reports and encounter samples), then,
after 2-4, :func:`detect_partition` (1 again, 5 and the digest).

Every partition pays the stages' fixed costs again (each detector conforms its events table to
schema.EVENTS, tenths of a second per call whatever its length), so partitions should be large:
one per worker for a table in memory, a few million positions for a store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vesseltrack import cargo, features, reception, stopareas, tracks, watchlist, zones
from vesseltrack.config import Config
from vesseltrack.detect import encounters, identity, loitering
from vesseltrack.detect import events as ev
from vesseltrack.detect import gaps as gaps_mod
from vesseltrack.detect.gaps import GapParams, detect_gaps
from vesseltrack.detect.ports import port_visit_events, visit_runs
from vesseltrack.voyages import build_voyages, voyage_of

Progress = Callable[[str], None]

@dataclass
class Digest:
    """What the conclusion (model reference, summary, cargo, watchlist) needs of the positions, and
    no more: a few rows per vessel, so that an engine need not gather every position."""

    n_positions: int
    vessel_ids: np.ndarray       # track ids (int64), ascending
    particulars: pd.DataFrame    # cargo.vessel_particulars
    draughts: pd.DataFrame       # cargo.draught_changes, in (mmsi, time) order
    years: list[int]             # years of the positions, ascending
    t_min: int | None            # first time (ns), None without positions
    t_max: int | None            # last time (ns), None without positions
    seen: pd.DataFrame | None    # watchlist.vessels_seen; None when not screened


def digest(positions: pd.DataFrame, *, screen: bool = True) -> Digest:
    """The :class:`Digest` of (track id, timestamp)-sorted positions; ``screen``: with the vessels
    seen (for a watchlist)."""
    ts = positions["timestamp"].array.asi8
    mmsi = positions["mmsi"].to_numpy()
    years = _years(ts)
    return Digest(len(positions), mmsi[tracks.vessel_starts(mmsi)].astype(np.int64) if len(mmsi) else
                  np.empty(0, dtype=np.int64), cargo.vessel_particulars(positions), cargo.draught_changes(positions),
                  [int(y) for y in years], int(ts.min()) if len(ts) else None, int(ts.max()) if len(ts) else None,
                  watchlist.vessels_seen(positions) if screen else None)


def _years(ts: np.ndarray) -> np.ndarray:
    """The calendar years (UTC) of times ``ts`` (int64 ns), ascending: a search among year starts,
    not a calendar conversion per position."""
    if len(ts) == 0:
        return np.empty(0, dtype=np.int64)
    y0, y1 = pd.Timestamp(int(ts.min())).year, pd.Timestamp(int(ts.max())).year
    starts = np.array([pd.Timestamp(f"{y}-01-01").value for y in range(y0, y1 + 1)], dtype=np.int64)
    held = np.bincount(np.searchsorted(starts, ts, side="right") - 1, minlength=len(starts)) > 0
    return np.arange(y0, y1 + 1)[held]


def combine_digests(parts: Sequence[Digest]) -> Digest:
    """The :class:`Digest` of partitions of whole vessels: what :func:`digest` gives for all of them."""
    if len(parts) == 1:
        return parts[0]

    def by_mmsi(frames: list[pd.DataFrame]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)] or frames[:1]
        df = pd.concat(frames, ignore_index=True)
        return df.take(np.argsort(df["mmsi"].to_numpy(), kind="stable")).reset_index(drop=True)

    ids = np.sort(np.concatenate([p.vessel_ids for p in parts]))
    starts = [p.t_min for p in parts if p.t_min is not None]
    ends = [p.t_max for p in parts if p.t_max is not None]
    seen = None if any(p.seen is None for p in parts) else by_mmsi([p.seen for p in parts if p.seen is not None])
    return Digest(sum(p.n_positions for p in parts), ids, by_mmsi([p.particulars for p in parts]),
                  by_mmsi([p.draughts for p in parts]), sorted(set().union(*[p.years for p in parts])),
                  min(starts) if starts else None, max(ends) if ends else None, seen)


@dataclass
class Detected:
    """What the detection stages produce, before scoring. ``positions``: every position, or, when
    ``partial`` (an engine asked to keep less), those of some vessels only, ``digest`` then
    describing the whole fleet."""

    positions: pd.DataFrame
    events: pd.DataFrame
    voyages: pd.DataFrame      # identity + feature columns
    gaz: zones.Gazetteer
    gap_params: GapParams
    stop_areas: stopareas.StopAreas = field(default_factory=stopareas.empty)
    digest: Digest | None = None
    partial: bool = False      # positions of some vessels only: ``digest`` describes them all

    def fleet(self, *, screen: bool = False) -> Digest:
        """The :class:`Digest` of every position (from ``positions`` unless ``partial``), with the
        vessels seen when ``screen``."""
        if self.digest is None or (screen and self.digest.seen is None):
            if self.partial:
                raise ValueError("a partial detection's digest must come with it (with the vessels seen to screen)")
            if self.digest is None:
                self.digest = digest(self.positions, screen=screen)
            else:
                self.digest.seen = watchlist.vessels_seen(self.positions)
        return self.digest


@dataclass
class Tracks:
    """A partition after :func:`tracks_stage`: positions sorted by (track id, timestamp)."""

    positions: pd.DataFrame
    steps: pd.DataFrame
    zone: np.ndarray
    flags: pd.DataFrame
    clashes: pd.DataFrame


@dataclass
class Partials:
    """A partition's contribution to the fleet-wide aggregates."""

    stop: pd.DataFrame
    reception: reception.ReceptionPartial
    extent: tuple


@dataclass
class FleetAggregates:
    """The fleet-wide aggregates every partition's vessel stage needs (broadcast)."""

    areas: stopareas.StopAreas
    reception: reception.ReceptionMap
    extents: list[tuple]


def n_vessels(positions: pd.DataFrame) -> int:
    """Vessels in a table sorted by (mmsi, timestamp): runs, not a hash."""
    return int(tracks.vessel_starts(positions["mmsi"].to_numpy()).sum())


def _say(progress: Progress | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def tracks_stage(positions: pd.DataFrame, config: Config, gaz: zones.Gazetteer) -> Tracks:
    """Sort, identity flags, steps, identity-clash split and zones of whole vessels."""
    positions = tracks.sort_positions(positions)
    flags = identity.vessel_identity_flags(positions, gaz)
    positions, steps, clashes = track_steps(positions, config)
    zone = zones.assign_zone(steps["lat"].to_numpy(), steps["lon"].to_numpy(), gaz)
    return Tracks(positions, steps, zone, flags, clashes)


def track_steps(positions: pd.DataFrame, config: Config) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(positions, steps, identity clashes) of (mmsi, timestamp)-sorted positions of whole vessels,
    an MMSI shared by two ships split into two tracks."""
    gap_params = config.gap_params
    steps = tracks.add_steps(positions, segment_gap_h=gap_params.min_gap_h)
    split, clashes = identity.split_identity_clashes(positions, steps=steps)
    if len(clashes):  # tracks change only when an MMSI was split: then sort and step again
        positions = tracks.sort_positions(split.assign(mmsi=split.pop("track_id").astype("int32")))
        steps = tracks.add_steps(positions, segment_gap_h=gap_params.min_gap_h)
    return positions, steps, clashes


def partials(t: Tracks) -> Partials:
    """The stop-area and reception partial aggregates and the extent of a partition."""
    return partials_of(t.steps)


def partials_of(steps: pd.DataFrame) -> Partials:
    """:func:`partials` of a partition's steps."""
    return Partials(stopareas.learn_partial(steps), reception.partial(steps), gaps_mod.extent(steps))


def combine_fleet(parts: Sequence[Partials], gaz: zones.Gazetteer,
                  known: stopareas.StopAreas | None = None) -> FleetAggregates:
    """Stop areas (learnt, then combined with ``known`` ones) and the reception map of the fleet."""
    areas = stopareas.combine_partials([p.stop for p in parts], gaz)
    if known is not None:
        areas = stopareas.combine(areas, known)
    return FleetAggregates(areas, reception.combine([p.reception for p in parts]), [p.extent for p in parts])


def fleet_areas(agg: FleetAggregates) -> stopareas.StopAreas:
    """The fleet's stop areas."""
    return agg.areas


def data_end(agg: FleetAggregates) -> int:
    """The last timestamp (ns) of the fleet."""
    return max(int(e[5]) for e in agg.extents)


def fleet_gaps(agg: FleetAggregates, starts: Sequence[pd.DataFrame]) -> gaps_mod.Fleet:
    """What gap detection needs of the whole fleet."""
    return gaps_mod.fleet_of(agg.extents, list(starts))


def encounters_stage(parts: Sequence[pd.DataFrame], config: Config, gaz: zones.Gazetteer,
                     areas: stopareas.StopAreas, stats: dict | None = None) -> pd.DataFrame:
    """Encounter events of the vessels of all ``parts`` (partitions' steps), detected on them
    together in (track id, timestamp) order, as one partition would give them (engines that do
    not hold every partition at once use :func:`encounter_slots`, :func:`slot_pairs` and
    :func:`encounter_events` instead, the same three steps).
    ``stats`` (a dict) receives detect_encounters' statistics, among them the crowds left out."""
    if len(parts) == 1:
        steps = parts[0]
    else:
        steps = pd.concat(list(parts), ignore_index=True)
        order = np.argsort(steps["mmsi"].to_numpy(), kind="stable")  # each vessel's rows stay in time order
        steps = steps.take(order).reset_index(drop=True)
    return encounters.detect_encounters(steps, gaz, params=config.encounter_preset, stop_areas=areas, stats=stats)


def _involving(enc: pd.DataFrame, mmsi: np.ndarray) -> pd.DataFrame:
    """Encounter events with either vessel in ``mmsi`` (all of them when ``mmsi`` is None)."""
    if len(enc) == 0:
        return enc
    m = np.unique(mmsi)
    keep = np.isin(enc["mmsi"].to_numpy(), m) | np.isin(enc["other_mmsi"].to_numpy(), m)
    return enc if keep.all() else enc[keep].reset_index(drop=True)


def vessel_stage(t: Tracks, agg: FleetAggregates, fleet: gaps_mod.Fleet, enc: pd.DataFrame, config: Config,
                 gaz: zones.Gazetteer, progress: Progress | None = None) -> Detected:
    """Context, port visits, gaps, loitering, spoofing, voyages and voyage features of a partition,
    given the fleet-wide aggregates and the fleet's encounter events (those of the partition's
    vessels are kept: an encounter belongs to its smaller MMSI, and counts for both vessels)."""
    areas = agg.areas
    steps = t.steps.copy(deep=False)  # the partition's steps stay as they are (an engine may hold them)
    zone = t.zone
    steps["context"], area = stopareas.position_context(steps["lat"].to_numpy(), steps["lon"].to_numpy(), zone, areas)
    vzone, vgaz = stopareas.visit_zones(zone, area, gaz, areas)  # port calls at learnt berths too
    del area
    runs = visit_runs(steps, vzone, min_visit_h=config.min_visit_h)
    del vzone
    visits = port_visit_events(steps, runs, vgaz)
    visits["context"] = np.where(visits["port"].isin(gaz.names), "port", "berth").astype(object)
    gap_params = config.gap_params
    gaps = detect_gaps(steps, gaz, zone=zone, reception=agg.reception, params=gap_params, stop_areas=areas,
                       fleet=fleet)
    mmsi = steps["mmsi"].to_numpy()
    mine = _involving(enc, mmsi)
    loit = loitering.detect_loitering(steps, gaz, encounters=mine, stop_areas=areas)
    spoof = identity.detect_spoofing(steps)
    own_enc = mine[np.isin(mine["mmsi"].to_numpy(), np.unique(mmsi))] if len(mine) else mine
    _say(progress, f"detect: {len(gaps):,} gaps, {len(visits):,} port visits, {len(own_enc):,} encounters, "
                   f"{len(loit):,} loitering, {len(spoof):,} spoofing, {len(t.clashes):,} identity clashes")

    voy = build_voyages(steps, runs.start_idx, runs.zone, vgaz)
    # features see every encounter of the partition's vessels (either side), in events order
    seen = ev.concat([gaps, visits, mine, loit, spoof, t.clashes])
    seen["voyage_id"] = voyage_of(seen, voy.table)
    flags = t.flags
    feats = features.voyage_features(steps, voy, seen, set(gaz.names[gaz.sensitive]), flags)
    voyages = pd.concat([voy.table.assign(population=features.voyage_population(steps, voy)), feats], axis=1)
    voyages["identity_issues"] = features.identity_issues(voyages["mmsi"].to_numpy(), flags)
    voyages["identity_changes_detail"] = features.identity_changes_detail(voyages["mmsi"].to_numpy(), flags)  # reasons
    if len(own_enc) == len(mine):
        events = seen
    else:  # other partitions' encounters are theirs to report
        events = seen[~((seen["event_type"] == "encounter").to_numpy() & ~np.isin(seen["mmsi"].to_numpy(),
                                                                                   np.unique(mmsi)))]
        events = events.reset_index(drop=True)
    return Detected(t.positions, events, voyages, gaz, gap_params, areas)


def merge(parts: Sequence[Detected]) -> Detected:
    """The partitions' results as one :class:`Detected`: positions and voyages in (track id,
    timestamp) order, events in their deterministic order (events.concat)."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]

    def by_mmsi(frames: list[pd.DataFrame]) -> pd.DataFrame:
        frames = [f for f in frames if len(f)] or frames[:1]
        df = pd.concat(frames, ignore_index=True)
        return df.take(np.argsort(df["mmsi"].to_numpy(), kind="stable")).reset_index(drop=True)

    events = ev.concat([p.events for p in parts])
    digests = [p.digest for p in parts]
    dg = combine_digests([x for x in digests if x is not None]) if all(x is not None for x in digests) else None
    return Detected(by_mmsi([p.positions for p in parts]), events, by_mmsi([p.voyages for p in parts]), first.gaz,
                    first.gap_params, first.stop_areas, dg, any(p.partial for p in parts))


#: Hours of grid times in one encounter time slot: the encounter samples of one slot, from every
#: partition, meet in one task (pairs are only ever sought at one grid time).
SLOT_H = 6.0


@dataclass
class Scan:
    """A partition after the first pass of an engine that does not hold every position at once:
    its share of the fleet-wide aggregates, the last report of each of its vessels, and its
    encounter samples by time slot (the only part of size, left where the pass ran)."""

    partials: Partials
    lasts: pd.DataFrame
    samples: dict[int, encounters.EncounterSamples]
    tracks: Tracks | None = None  # held for the second pass (when the cluster's memory holds every partition)


def scan(positions: pd.DataFrame, config: Config, gaz: zones.Gazetteer | None = None, *,
         hold: bool = False) -> Scan:
    """First pass over a partition of whole vessels: its tracks' steps, then what needs the whole
    fleet. ``hold``: keep the partition's whole :func:`tracks_stage` (``gaz`` needed) for
    :func:`detect_held`, instead of reading and tracking it again in :func:`detect_partition`;
    else the steps only (no identity flags, no zones)."""
    held = None
    if hold:
        if gaz is None:
            raise ValueError("scan(hold=True) needs the gazetteer of tracks_stage")
        held = tracks_stage(positions, config, gaz)
        steps = held.steps
    else:
        _, steps, _ = track_steps(tracks.sort_positions(positions), config)
    del positions
    return Scan(partials_of(steps), last_reports(steps), encounter_slots(steps, config), held)


def scan_partials(sc: Scan) -> Partials:
    return sc.partials


def scan_lasts(sc: Scan) -> pd.DataFrame:
    return sc.lasts


def scan_slots(sc: Scan) -> list[int]:
    """The encounter time slots the partition has samples in."""
    return sorted(sc.samples)


def slot_samples(sc: Scan, slot: int) -> encounters.EncounterSamples:
    """The partition's encounter samples of one time slot."""
    return sc.samples[slot]


def last_reports(steps: pd.DataFrame) -> pd.DataFrame:
    """(mmsi, timestamp, lat, lon) of the last report of each vessel: where an open gap may start."""
    last = np.flatnonzero(np.append(tracks.vessel_starts(steps["mmsi"].to_numpy())[1:], True)) if len(steps) else \
        np.zeros(0, dtype=np.int64)
    return steps[["mmsi", "timestamp", "lat", "lon"]].take(last).reset_index(drop=True)


def fleet_gaps_of(agg: FleetAggregates, lasts: Sequence[pd.DataFrame], config: Config) -> gaps_mod.Fleet:
    """:func:`fleet_gaps` from the partitions' :func:`last_reports` (each vessel's last report is
    where its open gap starts, if it has one)."""
    frames = [x for x in lasts if len(x)] or list(lasts[:1])
    last = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        {"mmsi": pd.Series(dtype="int64"), "timestamp": pd.Series(dtype="datetime64[ns, UTC]"),
         "lat": pd.Series(dtype=float), "lon": pd.Series(dtype=float)})
    return fleet_gaps(agg, [gaps_mod.open_gap_starts(last, config.gap_params, data_end(agg))])


def slot_bins(config: Config) -> int:
    """Grid times per encounter time slot (:data:`SLOT_H` hours)."""
    p = encounters.ENCOUNTER_PRESETS[config.encounter_preset]
    return max(1, round(SLOT_H * 60 / p.bin_min))


def encounter_slots(steps: pd.DataFrame, config: Config) -> dict[int, encounters.EncounterSamples]:
    """The partition's encounter samples (encounters.encounter_samples), by time slot of
    :data:`SLOT_H` hours."""
    samples = encounters.encounter_samples(steps, config.encounter_preset)
    return encounters.split_slots(samples, slot_bins(config))


def slot_pairs(pieces: Sequence[encounters.EncounterSamples], config: Config,
               stats: dict | None = None) -> pd.DataFrame:
    """Close pairs of samples in one time slot (encounters.close_pair_rows: those that may be part
    of an encounter), from every partition's samples of that slot."""
    samples = pieces[0] if len(pieces) == 1 else encounters.concat_samples(list(pieces))
    return encounters.close_pair_rows(samples, config.encounter_preset, stats=stats)


def slot_pairs_and_stats(pieces: Sequence[encounters.EncounterSamples],
                         config: Config) -> tuple[pd.DataFrame, dict]:
    """:func:`slot_pairs` with its statistics (encounters.merge_stats combines those of the slots)."""
    stats: dict = {}
    return slot_pairs(pieces, config, stats), stats


@dataclass
class Encounters:
    """The fleet's encounter events, and the statistics of the search (crowds among them)."""

    events: pd.DataFrame
    stats: dict


def encounter_events(pairs: Sequence[tuple[pd.DataFrame, dict]], config: Config, gaz: zones.Gazetteer,
                     areas: stopareas.StopAreas) -> Encounters:
    """The fleet's encounter events from every time slot's :func:`slot_pairs_and_stats`
    (encounters.encounter_events), with the slots' statistics combined (encounters.merge_stats)."""
    frames = [r for r, _ in pairs if len(r)] or [r for r, _ in pairs[:1]]
    if frames:
        rows = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    else:  # no samples at all
        rows = pd.DataFrame({c: pd.Series(dtype=d) for c, d in encounters.ROW_COLUMNS.items()})
    stats = encounters.merge_stats([st for _, st in pairs])
    return Encounters(encounters.encounter_events(rows, gaz, config.encounter_preset, stop_areas=areas), stats)


def encounter_events_of(found: Encounters) -> pd.DataFrame:
    return found.events


def encounter_stats_of(found: Encounters) -> dict:
    return found.stats


def detect_partition(positions: pd.DataFrame, config: Config, gaz: zones.Gazetteer, agg: FleetAggregates,
                     fleet: gaps_mod.Fleet, enc: pd.DataFrame, *, keep_positions: bool = True,
                     screen: bool = False) -> Detected:
    """Second pass over a partition of whole vessels (after :func:`scan` of every partition): tracks
    again, then :func:`vessel_stage`, with the partition's :class:`Digest`; without its positions
    unless ``keep_positions``."""
    t = tracks_stage(positions, config, gaz)
    del positions
    return _detect_tracks(t, config, gaz, agg, fleet, enc, keep_positions, screen)


def detect_held(sc: Scan, config: Config, gaz: zones.Gazetteer, agg: FleetAggregates, fleet: gaps_mod.Fleet,
                enc: pd.DataFrame, *, keep_positions: bool = True, screen: bool = False) -> Detected:
    """:func:`detect_partition` of a partition whose tracks :func:`scan` held (``hold=True``)."""
    if sc.tracks is None:
        raise ValueError("detect_held needs a scan made with hold=True")
    return _detect_tracks(sc.tracks, config, gaz, agg, fleet, enc, keep_positions, screen)


def _detect_tracks(t: Tracks, config: Config, gaz: zones.Gazetteer, agg: FleetAggregates, fleet: gaps_mod.Fleet,
                   enc: pd.DataFrame, keep_positions: bool, screen: bool) -> Detected:
    d = vessel_stage(t, agg, fleet, enc, config, gaz)
    d.digest = digest(t.positions, screen=screen)
    if not keep_positions:  # an empty copy: a slice would keep the partition's positions alive
        d.positions, d.partial = t.positions.iloc[:0].copy(deep=True), True
    return d


def tracks_of(positions: pd.DataFrame, ids: np.ndarray, config: Config, gaz: zones.Gazetteer) -> pd.DataFrame:
    """The positions :func:`tracks_stage` gives for the track ids ``ids`` (an MMSI, or one ship of a
    split MMSI), from a partition holding those vessels whole (and possibly others)."""
    ids = np.asarray(ids, dtype=np.int64)
    mmsi = np.unique(ids % identity.SPLIT_OFFSET)  # the MMSI of each track
    mine = positions[np.isin(positions["mmsi"].to_numpy(), mmsi)].reset_index(drop=True)
    t = tracks_stage(mine, config, gaz)
    return t.positions[np.isin(t.positions["mmsi"].to_numpy(), ids)].reset_index(drop=True)


def detect_local(positions: pd.DataFrame, config: Config, gaz: zones.Gazetteer, progress: Progress | None = None,
                 known: stopareas.StopAreas | None = None) -> Detected:
    """Every stage over the whole table: one partition."""
    t = tracks_stage(positions, config, gaz)
    del positions
    n_clash = len(t.clashes)
    _say(progress, f"tracks: {len(t.positions):,} positions of {n_vessels(t.positions):,} vessels"
                   + (f" ({n_clash} MMSIs shared by two ships, split)" if n_clash else ""))
    agg = combine_fleet([partials(t)], gaz, known)
    _say(progress, f"context: {len(agg.areas):,} stop areas (berths, anchorages, marinas)")
    fleet = fleet_gaps_of(agg, [last_reports(t.steps)], config)
    enc_stats: dict = {}
    enc = encounters_stage([t.steps], config, gaz, agg.areas, stats=enc_stats)
    if len(enc_stats["crowds"]):  # packed beyond any real meeting: said, not counted as encounters
        _say(progress, f"encounters: {encounters.crowd_summary(enc_stats['crowds'])}")
    return vessel_stage(t, agg, fleet, enc, config, gaz, progress)
