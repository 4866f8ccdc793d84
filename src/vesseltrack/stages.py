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
3. :func:`open_gaps` (per partition) -> :func:`fleet_gaps`: where every open gap of the fleet
   starts (gap detection counts open gaps of other vessels nearby).
4. :func:`encounters_stage` (one task): encounters on the partitions' encounter columns together
   (pairs of vessels cross partitions). TODO(#16): regroup resampled samples by time slot and
   spatial cell with a halo (as GFW's pipe-encounters) so that this step scales out too.
5. :func:`vessel_stage` (per partition): context, port visits, gaps, loitering (given the
   encounters), spoofing, voyages and voyage features.
6. :func:`merge`: the partitions' results as one :class:`Detected`, in the order one partition gives.

Every partition pays the stages' fixed costs again (each detector conforms its events table to
schema.EVENTS, tenths of a second per call whatever its length), so partitions should be large:
one per worker for a table in memory, one per store bucket (millions of positions) for a store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vesseltrack import features, reception, stopareas, tracks, zones
from vesseltrack.config import Config
from vesseltrack.detect import encounters, identity, loitering
from vesseltrack.detect import events as ev
from vesseltrack.detect import gaps as gaps_mod
from vesseltrack.detect.gaps import GapParams, detect_gaps
from vesseltrack.detect.ports import port_visit_events, visit_runs
from vesseltrack.voyages import build_voyages, voyage_of

Progress = Callable[[str], None]

#: The position columns encounter detection reads (detect/encounters.py): what a partition sends
#: to the encounter task.
ENCOUNTER_COLUMNS = ("mmsi", "timestamp", "lat", "lon", "sog_kn", "implied_speed_kn", "imo", "vessel_name",
                     "vessel_type", "draught_m")


@dataclass
class Detected:
    """What the detection stages produce, before scoring."""

    positions: pd.DataFrame
    events: pd.DataFrame
    voyages: pd.DataFrame      # identity + feature columns
    gaz: zones.Gazetteer
    gap_params: GapParams
    stop_areas: stopareas.StopAreas = field(default_factory=stopareas.empty)


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
    gap_params = config.gap_params
    steps = tracks.add_steps(positions, segment_gap_h=gap_params.min_gap_h)
    split, clashes = identity.split_identity_clashes(positions, steps=steps)
    if len(clashes):  # tracks change only when an MMSI was split: then sort and step again
        positions = tracks.sort_positions(split.assign(mmsi=split.pop("track_id").astype("int32")))
        steps = tracks.add_steps(positions, segment_gap_h=gap_params.min_gap_h)
    del split
    zone = zones.assign_zone(steps["lat"].to_numpy(), steps["lon"].to_numpy(), gaz)
    return Tracks(positions, steps, zone, flags, clashes)


def partials(t: Tracks) -> Partials:
    """The stop-area and reception partial aggregates and the extent of a partition."""
    return Partials(stopareas.learn_partial(t.steps), reception.partial(t.steps), gaps_mod.extent(t.steps))


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


def open_gaps(t: Tracks, config: Config, end_ns: int) -> pd.DataFrame:
    """Where the partition's open gaps start (gaps.open_gap_starts)."""
    return gaps_mod.open_gap_starts(t.steps, config.gap_params, end_ns)


def fleet_gaps(agg: FleetAggregates, starts: Sequence[pd.DataFrame]) -> gaps_mod.Fleet:
    """What gap detection needs of the whole fleet."""
    return gaps_mod.fleet_of(agg.extents, list(starts))


def encounter_columns(t: Tracks) -> pd.DataFrame:
    """The partition's columns for the encounter task."""
    return t.steps[list(ENCOUNTER_COLUMNS)]


def encounters_stage(parts: Sequence[pd.DataFrame], config: Config, gaz: zones.Gazetteer,
                     areas: stopareas.StopAreas, stats: dict | None = None) -> pd.DataFrame:
    """Encounter events of the vessels of all ``parts`` (:func:`encounter_columns` of the partitions),
    detected on them together in (track id, timestamp) order, as one partition would give them.
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
    return Detected(by_mmsi([p.positions for p in parts]), events, by_mmsi([p.voyages for p in parts]), first.gaz,
                    first.gap_params, first.stop_areas)


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
    fleet = fleet_gaps(agg, [open_gaps(t, config, data_end(agg))])
    enc_stats: dict = {}
    enc = encounters_stage([t.steps], config, gaz, agg.areas, stats=enc_stats)
    if len(enc_stats["crowds"]):  # packed beyond any real meeting: said, not counted as encounters
        _say(progress, f"encounters: {encounters.crowd_summary(enc_stats['crowds'])}")
    return vessel_stage(t, agg, fleet, enc, config, gaz, progress)
