"""The Dask engine: the stages of vesseltrack.stages scheduled on a Dask cluster, partition by
partition (a partition holds whole vessels: those of some vessel buckets, store.bucket_of), in
two passes so that no process holds every position (:func:`detect`).

Task graph, for partitions 0..n-1 and encounter time slots 0..m-1 (a task per partition or slot
unless marked):

    pass 1   positions of p -> stages.scan -> partials -----------> combine_fleet (one task)
                                     |-> last reports -----------> fleet_gaps_of (one task)
                                     '-> samples of slot s ------> slot_pairs_and_stats (per slot)
                                                                         -> encounter_events (one task)
    pass 2   positions of p -> stages.detect_partition(fleet aggregates, fleet gaps, encounters)
             -> events, voyages, digest -> gathered -> pipeline.conclude in the client
    pass 3   (keep="shown") the tracks of the vessels maps and case files draw

The client gathers only events, voyages and digests (stages.Digest), and scores them
(pipeline.conclude: the forest is small, a row per voyage or gap), so the result is the local
engine's ``Result``. Positions come from a pandas table (split into ``partitions`` by vessel
bucket) or a partitioned store (its buckets grouped into tasks of a few million positions, read on
the workers: :func:`bucket_groups`). Scoring itself is not spread over the workers: it runs on
the gathered voyage and gap tables.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vesseltrack import stages, stopareas, store, zones
from vesseltrack.config import Config
from vesseltrack.detect import encounters, identity
from vesseltrack.errors import ConfigError

Progress = Callable[[str], None]

#: Seconds to wait for a scheduler given by address (``--scheduler``) before giving up with a ConfigError.
CONNECT_TIMEOUT_S = 30


def _say(progress: Progress | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def require_dask() -> None:
    """A ConfigError naming the extra when dask or distributed is not installed."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as err:
        raise ConfigError(
            f"the dask engine needs dask and distributed, which are not installed ({err}); expected the dask extra; "
            "install it with pip install 'vesseltrack[dask]' or use --engine local"
        ) from err


def split(positions: pd.DataFrame, n_partitions: int) -> list[pd.DataFrame]:
    """``positions`` as ``n_partitions`` tables by vessel bucket (store.bucket_of of the MMSI): every
    vessel whole in one, rows in their original order."""
    if n_partitions < 1:
        raise ConfigError(
            f"partitions={n_partitions} is out of range; expected at least 1; fix the number of partitions"
        )
    b = store.bucket_of(positions["mmsi"].to_numpy(), n_partitions)
    order = np.argsort(b, kind="stable")
    bounds = np.searchsorted(b[order], np.arange(n_partitions + 1))
    return [positions.take(order[bounds[i]:bounds[i + 1]]).reset_index(drop=True) for i in range(n_partitions)]


@dataclass
class Cluster:
    """A Dask client, and the cluster this engine started for it (None when given a scheduler)."""

    client: Any
    cluster: Any = None

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def connect(workers: int | None = None, scheduler: str | None = None, *, processes: bool = True) -> Cluster:
    """A client of the scheduler at ``scheduler`` (e.g. tcp://host:8786), or of a new LocalCluster of
    ``workers`` single-threaded workers (default: the CPU count)."""
    require_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            return Cluster(Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s"))
        except (OSError, ValueError) as err:  # unreachable or timed out (OSError); a malformed address (ValueError)
            raise ConfigError(
                f"cannot reach the Dask scheduler {scheduler!r} within {CONNECT_TIMEOUT_S} s ({err}); expected a "
                "running scheduler's address such as tcp://host:8786; start one with 'dask scheduler' (and workers "
                "with 'dask worker ADDRESS'), fix --scheduler, or drop it to start a local cluster"
            ) from err
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers {workers} is out of range; expected at least 1 worker; fix --workers")
    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes, dashboard_address=":0")
    return Cluster(Client(cluster), cluster)


#: Positions one task of a store run reads at most, unless a single bucket holds more: buckets are
#: grouped up to this size, so that a task's fixed costs are paid per few million positions, not
#: per bucket, while its memory stays bounded (a worker peaked at 2.5 GB with tasks of about 4M at 100M).
TASK_ROWS = 4_000_000


def bucket_groups(manifest: dict, n_min: int, max_rows: int = TASK_ROWS) -> list[list[int]]:
    """The store's buckets that hold positions, grouped into tasks: consecutive buckets in number
    order, in a multiple of ``n_min`` groups (one per worker, so that every worker has as much to
    do), as few as keep a group near ``max_rows`` positions (a bucket is never cut, so a group may
    pass it by part of a bucket); every bucket alone when there would be fewer than two buckets
    a group (groups of one or two buckets would be unequal).
    A bucket goes to the group its middle row falls in when the positions are cut into equal
    shares. Results do not depend on the grouping (the stages give the same output for any
    partitioning of the vessels)."""
    n_buckets = int(manifest["n_buckets"])
    held = manifest.get("buckets") or {}
    keys = [(b, store.bucket_key(b, n_buckets)) for b in range(n_buckets)]
    rows = [(b, int(held[k]["rows"])) for b, k in keys if k in held]
    n_min = max(1, n_min)
    total = sum(r for _, r in rows)
    n_groups = n_min * -(-total // (n_min * max(1, max_rows)))  # ceil: a multiple of n_min
    if 2 * n_groups > len(rows):  # buckets too coarse to share out evenly: each alone
        return [[b] for b, _ in rows]
    r = np.array([x for _, x in rows], dtype=np.float64)
    middle = np.cumsum(r) - r / 2
    group = np.minimum((middle * n_groups / total).astype(np.int64), n_groups - 1)
    return [[rows[i][0] for i in np.flatnonzero(group == g)] for g in np.unique(group)]


#: Bytes a partition's held tracks take per position (positions, steps, zones, identity flags),
#: with room to spare: what :func:`holds` assumes.
HELD_BYTES_PER_POSITION = 400


def holds(client: Any, n_positions: int) -> bool:
    """Whether the cluster's workers can hold every partition's tracks between the two passes of
    :func:`detect` (``n_positions`` x :data:`HELD_BYTES_PER_POSITION` within half their memory
    limit), so that the second pass need not read and track them again."""
    workers = client.scheduler_info().get("workers", {}).values()
    limit = sum(int(w.get("memory_limit") or 0) for w in workers)
    return 0 < n_positions * HELD_BYTES_PER_POSITION <= limit // 2


def _n_workers(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def _positions(src: Any, load: Callable[..., pd.DataFrame] | None, mmsi: np.ndarray | None = None) -> pd.DataFrame:
    """A partition's positions (``src`` itself, or what ``load`` makes of it on the worker); only
    those of ``mmsi`` when given."""
    if load is not None:
        return load(src) if mmsi is None else load(src, mmsi=mmsi)
    return src if mmsi is None else src[np.isin(src["mmsi"].to_numpy(), mmsi)].reset_index(drop=True)


def _scan(src: Any, load: Callable[..., pd.DataFrame] | None, config: Config, gaz: zones.Gazetteer,
          hold: bool) -> stages.Scan:
    return stages.scan(_positions(src, load), config, gaz, hold=hold)


def _detect(src: Any, load: Callable[..., pd.DataFrame] | None, config: Config, gaz: zones.Gazetteer,
            agg: stages.FleetAggregates, fleet: Any, enc: pd.DataFrame, keep_positions: bool,
            screen: bool) -> stages.Detected:
    return stages.detect_partition(_positions(src, load), config, gaz, agg, fleet, enc,
                                   keep_positions=keep_positions, screen=screen)


def _tracks_of(src: Any, load: Callable[..., pd.DataFrame] | None, ids: np.ndarray, config: Config,
               gaz: zones.Gazetteer) -> pd.DataFrame:
    return stages.tracks_of(_positions(src, load, np.unique(ids % identity.SPLIT_OFFSET)), ids, config, gaz)


def _counted(futures: list, progress: Progress | None, what: str) -> None:
    """Wait for ``futures``, saying how many are done."""
    from distributed import as_completed

    for done, _ in enumerate(as_completed(futures), 1):
        _say(progress, f"dask: {done}/{len(futures)} partitions {what}")


def detect(client: Any, sources: Sequence[Any], config: Config, gaz: zones.Gazetteer, *,
           load: Callable[..., pd.DataFrame] | None = None, known: stopareas.StopAreas | None = None,
           keep_positions: bool = True, screen: bool = False, hold: bool = False,
           progress: Progress | None = None) -> stages.Detected:
    """stages.Detected of the vessels of ``sources`` (one per partition: positions tables, or
    whatever ``load`` turns into one on a worker, e.g. a group of store buckets), scheduled on
    ``client`` in two passes over the partitions, so that no process holds more than a partition's
    positions at a time (plus encounter samples):

    1. :func:`stages.scan` per partition: tracks, partial aggregates, last reports, encounter
       samples by time slot; the fleet aggregates are combined from them, and each time slot's
       samples from every partition meet in one task (:func:`stages.slot_pairs`), whose close
       pairs make the encounter events (:func:`stages.encounter_events`, one task).
    2. :func:`stages.detect_partition` per partition: tracks again, every vessel-local detector,
       voyages and features, and the partition's :class:`stages.Digest`.

    Only events, voyages and digests come back (and every position when ``keep_positions``);
    ``screen``: with the vessels seen, for a watchlist. ``hold``: the first pass keeps each
    partition's tracks on its worker for the second (:func:`stages.detect_held`) instead of the
    second reading and tracking it again: faster, for data the cluster's memory holds
    (:func:`holds`)."""
    if load is None and any(isinstance(x, pd.DataFrame) for x in sources):
        sources = client.scatter(list(sources))
    gaz_f = client.scatter(gaz, broadcast=True)  # once to every worker, not once per task
    scans = client.map(_scan, list(sources), load=load, config=config, gaz=gaz_f, hold=hold, pure=False)
    slot_keys = client.map(stages.scan_slots, scans, pure=False)
    _counted(slot_keys, progress, "scanned")
    held = client.gather(slot_keys)
    agg = client.submit(stages.combine_fleet, client.map(stages.scan_partials, scans, pure=False), gaz_f, known,
                        pure=False)
    fleet = client.submit(stages.fleet_gaps_of, agg, client.map(stages.scan_lasts, scans, pure=False), config,
                          pure=False)
    areas = client.submit(stages.fleet_areas, agg, pure=False)
    pairs: list = []
    pieces: list = []
    for slot in sorted(set().union(*held)):  # each time slot's samples, from every partition that has some
        pieces = [client.submit(stages.slot_samples, sc, slot, pure=False) for sc, h in zip(scans, held) if slot in h]
        pairs.append(client.submit(stages.slot_pairs_and_stats, pieces, config, pure=False))
    found = client.submit(stages.encounter_events, pairs, config, gaz_f, areas, pure=False)
    enc = client.submit(stages.encounter_events_of, found, pure=False)
    if hold:
        det = client.map(stages.detect_held, scans, config=config, gaz=gaz_f, agg=agg, fleet=fleet, enc=enc,
                         keep_positions=keep_positions, screen=screen, pure=False)
    else:
        det = client.map(_detect, list(sources), load=load, config=config, gaz=gaz_f, agg=agg, fleet=fleet,
                         enc=enc, keep_positions=keep_positions, screen=screen, pure=False)
    del scans, pairs, pieces  # released on the workers once the tasks that need them are done
    crowds = client.submit(stages.encounter_stats_of, found, pure=False).result().get("crowds")
    if crowds is not None and len(crowds):  # packed beyond any real meeting: said, not counted as encounters
        _say(progress, f"encounters: {encounters.crowd_summary(crowds)}")
    _counted(det, progress, "detected")
    merged = stages.merge(client.gather(det))
    dg = merged.fleet(screen=screen)
    _say(progress, f"tracks: {dg.n_positions:,} positions of {len(dg.vessel_ids):,} vessels; "
                   f"{len(merged.stop_areas):,} stop areas; {len(merged.events):,} events")
    return merged


def tracks_of(client: Any, sources: Sequence[Any], ids: np.ndarray, config: Config, gaz: zones.Gazetteer, *,
              load: Callable[..., pd.DataFrame] | None = None) -> pd.DataFrame:
    """The tracks (what the local engine's Result.positions holds) of track ids ``ids``, read from
    the partitions ``sources`` (see :func:`detect`): a third, light pass."""
    ids = np.unique(np.asarray(ids, dtype=np.int64))
    parts = client.gather(client.map(_tracks_of, list(sources), load=load, ids=ids, config=config, gaz=gaz,
                                     pure=False))
    parts = [p for p in parts if len(p)] or parts[:1]
    pos = pd.concat(parts, ignore_index=True)
    return pos.take(np.argsort(pos["mmsi"].to_numpy(), kind="stable")).reset_index(drop=True)


def shown_vessels(result: Any) -> np.ndarray:
    """Track ids whose positions the map and case files draw: vessels with alerts, then those
    maps.vessels_to_show picks."""
    from vesseltrack import investigate, maps

    shown = maps.vessels_to_show(result, maps.DEFAULT_MAX_VESSELS)
    alerted = result.alerts["mmsi"].to_numpy(dtype=np.int64)
    return np.union1d(alerted, investigate.vessel_ids(result) if shown is None else shown)


def analyse(positions: pd.DataFrame, config: Config | None = None, *, client: Any,
            partitions: int | None = None, gazetteer: zones.Gazetteer | None = None, model: Any = None,
            stop_areas: stopareas.StopAreas | None = None, listed: pd.DataFrame | None = None,
            progress: Progress | None = None):
    """pipeline.analyse on Dask: ``positions`` split into ``partitions`` by vessel bucket (default one per
    worker: every partition has a fixed cost, see stages.py), detected on ``client``'s cluster, scored
    here. The same Result."""
    from vesseltrack import pipeline

    config = config or Config()
    gaz = gazetteer or zones.build_gazetteer(config.zone_files, replace=config.replace_ports)
    if stop_areas is None and config.stop_areas_file:
        stop_areas = stopareas.load(config.stop_areas_file)
    if listed is None and config.watchlist_files:
        from vesseltrack import watchlist

        listed = watchlist.read_watchlists(list(config.watchlist_files))
    n = partitions or _n_workers(client)
    parts = [p for p in split(positions, n) if len(p)] or [positions]  # results do not depend on the partitioning
    d = detect(client, parts, config, gaz, known=stop_areas, screen=listed is not None, progress=progress)
    return pipeline.conclude(d, config, model=model, progress=progress, listed=listed)


#: What :func:`run` keeps of the positions: every one, those of the vessels the map and case
#: files draw (:func:`shown_vessels`), or none (the counts, vessels and time span are kept).
KEEP = ("all", "shown", "none")


def run(inputs: Sequence[str | Path] | str | Path, config: Config, *, workers: int | None = None,
        scheduler: str | None = None, partitions: int | None = None, client: Any = None,
        keep: str = "all", hold: bool | None = None, progress: Progress | None = None):
    """pipeline.run on Dask: the same Result as the local engine. ``inputs``: files (read here,
    then split by vessel bucket into ``partitions``, default one per worker) or one store directory
    (buckets grouped by :func:`bucket_groups`, read on the workers: no process holds every position
    unless ``keep`` is "all", see :data:`KEEP`; ``hold``: see :func:`detect`, default :func:`holds`).
    ``client``: an existing distributed Client
    (default: connect to ``scheduler``, else start a LocalCluster of ``workers``)."""
    from vesseltrack import pipeline, watchlist
    from vesseltrack.model_io import load_model

    require_dask()
    if keep not in KEEP:
        raise ConfigError(f"keep={keep!r} is unknown; expected one of {list(KEEP)}; fix keep")
    gaz = zones.build_gazetteer(config.zone_files, replace=config.replace_ports)  # fail fast on bad zone files
    model = load_model(config.model_path) if config.model_path else None
    known = stopareas.load(config.stop_areas_file) if config.stop_areas_file else None
    listed = watchlist.read_watchlists(list(config.watchlist_files)) if config.watchlist_files else None
    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    from_store = len(paths) == 1 and store.is_store(paths[0])
    own = None
    if client is None:
        own = connect(workers, scheduler)
        client = own.client
    try:
        link = getattr(client, "dashboard_link", None)
        _say(progress, f"dask: {_n_workers(client)} workers" + (f", dashboard {link}" if link else ""))
        load: Callable[..., pd.DataFrame] | None = None
        if from_store:
            root = paths[0]
            manifest = store.read_manifest(root)

            def load(group: list[int], mmsi: np.ndarray | None = None) -> pd.DataFrame:
                return store.read_buckets(root, group, manifest, mmsi=mmsi)

            sources: list[Any] = bucket_groups(manifest, partitions or _n_workers(client)) or [[0]]
            rejects = store.read_rejects(root, manifest)
            rows = manifest["rows"]  # the row accounting of its inputs (store.load gives the same)
            n_positions = sum(int(b["rows"]) for b in (manifest.get("buckets") or {}).values())
        else:
            positions, got, paths = pipeline._ingest(paths, config, progress)
            rejects, rows = got.rejects, got.counts
            n_positions = len(positions)
            n = partitions or _n_workers(client)
            sources = [p for p in split(positions, n) if len(p)] or [positions]
            del positions
            sources = client.scatter(sources)
        hold = holds(client, n_positions) if hold is None else hold
        d = detect(client, sources, config, gaz, load=load, known=known, keep_positions=keep == "all",
                   screen=listed is not None, hold=hold, progress=progress)
        result = pipeline.conclude(d, config, model=model, progress=progress, listed=listed)
        if keep == "shown":
            ids = shown_vessels(result)
            _say(progress, f"dask: reading the tracks of {len(ids):,} vessels for maps and case files")
            if not len(ids):
                pass
            elif from_store:  # only the bucket groups that hold them
                want = set(store.bucket_of(ids % identity.SPLIT_OFFSET, int(manifest["n_buckets"])).tolist())
                sources = [g for g in sources if want & set(g)] or sources[:1]
            if len(ids):
                result.positions = tracks_of(client, sources, ids, config, gaz, load=load)
    finally:
        if own is not None:
            own.close()
    result.rejects = rejects
    result.summary["rows"] = rows
    result.summary["inputs"] = [str(p) for p in paths]
    return result
