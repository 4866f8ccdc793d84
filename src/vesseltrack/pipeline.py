"""The pipeline: the module that knows the order of the stages (ingest fuses the first three).

    ingest -> clean -> sort/dedupe -> identity split -> steps -> zones -> port visits, gaps,
           encounters, loitering, spoofing -> voyages -> features -> scoring + reasons -> alerts
           -> (export, by the caller)

:func:`run` takes files; :func:`analyse` takes an already-ingested positions table (notebooks,
scenario evaluation). Both return a :class:`Result` of DataFrames that match schema specs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import vesseltrack
from vesseltrack import alerts as alerts_mod
from vesseltrack import cargo, explain, features, ingest, schema, stages, stopareas, store, watchlist, zones
from vesseltrack.config import Config
from vesseltrack.engines import ENGINES
from vesseltrack.errors import ConfigError
from vesseltrack.model_io import ScoringModel, load_model
from vesseltrack.scoring import MIN_ROWS, apply_scorer, fit_scorer, noisy_or
from vesseltrack.stages import Detected

__all__ = ["Config", "Detected", "Progress", "Result", "analyse", "conclude", "detect", "fit_model", "run", "train"]

Progress = Callable[[str], None]


@dataclass
class Result:
    positions: pd.DataFrame
    rejects: pd.DataFrame
    events: pd.DataFrame
    voyages: pd.DataFrame
    alerts: pd.DataFrame
    stop_areas: pd.DataFrame = field(default_factory=lambda: schema.empty(schema.STOP_AREAS))
    summary: dict = field(default_factory=dict)
    vessels: pd.DataFrame = field(default_factory=lambda: schema.empty(schema.PARTICULARS))
    cargo: pd.DataFrame = field(default_factory=lambda: schema.empty(schema.CARGO))
    flows: pd.DataFrame = field(default_factory=lambda: schema.empty(schema.FLOWS))
    watchlist_matches: pd.DataFrame | None = None  #: None when no watchlist was given
    #: None when ``positions`` holds every position; else (an engine asked to keep only some vessels'
    #: positions, see :func:`run`) the whole fleet's counts, vessels and time span
    fleet: stages.Digest | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables written to disk, by file stem."""
        out = {"alerts": self.alerts, "events": self.events, "voyages": self.voyages, "rejects": self.rejects,
               "stop_areas": self.stop_areas, "vessels": self.vessels, "cargo": self.cargo, "flows": self.flows}
        if self.watchlist_matches is not None:
            out["watchlist_matches"] = self.watchlist_matches
        return out


def _say(progress: Progress | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _ingest(inputs, config: Config, progress: Progress | None):
    paths = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    if not paths:
        raise ConfigError(
            "no input files given; expected one or more CSV, Parquet or NMEA files; name them on the command line"
        )
    stores = [p for p in paths if store.is_store(p)]
    if stores:  # a store (vesseltrack ingest --store): read as ingested, with its row accounting
        if len(paths) > 1:
            raise ConfigError(
                f"{stores[0]} is a store and {len(paths) - 1} other input(s) were given; expected a store alone; "
                f"add the files to the store with 'vesseltrack ingest FILES --store {stores[0]}' and score the store"
            )
        got = store.load(paths[0], progress=progress)
        return got.positions, got, paths
    got = ingest.load(paths, column_map=config.column_map, assume_time=config.assume_time,
                      strict_mmsi=config.strict_mmsi, chunk_rows=config.chunk_rows, progress=progress)
    return got.positions, got, paths


def run(
    inputs: Sequence[str | Path] | str | Path, config: Config | None = None, *, progress: Progress | None = None,
    engine: str = "local", workers: int | None = None, scheduler: str | None = None, keep: str = "all",
) -> Result:
    """Read AIS files and analyse them: the whole batch-scoring job.

    ``engine``: ``local`` (this process) or ``dask`` (engines/dask_engine.py: a LocalCluster of
    ``workers`` single-threaded workers, or the Dask scheduler at ``scheduler``); same results.
    ``keep`` (dask engine): which positions the Result holds (dask_engine.KEEP: "all"; "shown", those
    the map and case files draw; "none"), so that no process need hold them all; the local engine
    always keeps them all.
    """
    config = config or Config()
    if engine not in ENGINES:
        raise ConfigError(
            f"engine {engine!r} is unknown; expected one of {list(ENGINES)}; pick one with --engine"
        )
    if engine == "local" and (workers is not None or scheduler):
        raise ConfigError(
            f"--workers and --scheduler are options of the dask engine; received them with engine {engine!r}; "
            "add --engine dask or drop them"
        )
    if engine == "dask":
        from vesseltrack.engines import dask_engine

        return dask_engine.run(inputs, config, workers=workers, scheduler=scheduler, keep=keep, progress=progress)
    gaz = zones.build_gazetteer(config.zone_files, replace=config.replace_ports)  # fail fast on bad zone files
    model = load_model(config.model_path) if config.model_path else None
    known = stopareas.load(config.stop_areas_file) if config.stop_areas_file else None  # fail fast on a bad file
    listed = watchlist.read_watchlists(list(config.watchlist_files)) if config.watchlist_files else None  # fail fast
    positions, got, paths = _ingest(inputs, config, progress)
    result = analyse(positions, config, gazetteer=gaz, model=model, progress=progress, stop_areas=known,
                     listed=listed)
    result.rejects = got.rejects
    result.summary["rows"] = got.counts
    result.summary["inputs"] = [str(p) for p in paths]
    return result


def detect(positions: pd.DataFrame, config: Config, gaz: zones.Gazetteer, progress: Progress | None = None,
           stop_areas: stopareas.StopAreas | None = None) -> Detected:
    """Identity split, tracks, zones and context, every detector, voyages and voyage features
    (stages.py: the stage functions every engine schedules, here over one partition).

    ``stop_areas``: known berths and anchorages (default: read from ``config.stop_areas_file`` when
    set), combined with those learnt from ``positions``.
    """
    if stop_areas is None and config.stop_areas_file:
        stop_areas = stopareas.load(config.stop_areas_file)
    return stages.detect_local(positions, config, gaz, progress, known=stop_areas)


def fit_model(d: Detected, config: Config) -> ScoringModel:
    """Scorers for voyages and gaps learnt from ``d`` (None for a table too small to learn from)."""
    gaps = d.events[d.events["event_type"] == "gap"]
    kw = {"random_state": config.random_state, "n_estimators": config.n_estimators}
    return ScoringModel(
        voyage=fit_scorer(
            features.voyage_matrix(d.voyages),
            one_sided=features.VOYAGE_ONE_SIDED,
            evidence=features.VOYAGE_EVIDENCE,
            **kw,
        ),
        gap=fit_scorer(
            features.gap_matrix(gaps), one_sided=features.GAP_ONE_SIDED, evidence=features.GAP_EVIDENCE, **kw
        ),
        vesseltrack_version=vesseltrack.__version__,
        reference={"voyages": len(d.voyages), "gaps": len(gaps), "vessels": len(d.fleet().vessel_ids)},
    )


def train(
    inputs: Sequence[str | Path] | str | Path, config: Config | None = None, *, progress: Progress | None = None
) -> ScoringModel:
    """Learn what normal traffic looks like from reference files: a model for ``score --model``."""
    config = config or Config()
    gaz = zones.build_gazetteer(config.zone_files, replace=config.replace_ports)  # fail fast on bad zone files
    known = stopareas.load(config.stop_areas_file) if config.stop_areas_file else None  # fail fast on a bad file
    positions, _, _ = _ingest(inputs, config, progress)
    model = fit_model(detect(positions, config, gaz, progress, stop_areas=known), config)
    if model.voyage is None:
        raise ConfigError(
            f"the reference data gives {model.reference['voyages']} voyages; expected at least {MIN_ROWS} to learn from; train on more traffic"  # noqa: E501
        )
    return model


def analyse(positions: pd.DataFrame, config: Config | None = None, *, gazetteer: zones.Gazetteer | None = None,
            model: ScoringModel | None = None, progress: Progress | None = None,
            stop_areas: stopareas.StopAreas | None = None, listed: pd.DataFrame | None = None) -> Result:
    """Detect, build voyages, score and select alerts for a canonical positions table; estimate
    cargo and flows; screen vessels against the watchlist entries ``listed`` (watchlist.read_watchlists;
    default: read from ``config.watchlist_files`` when set).

    Without ``model`` the batch is scored against itself; with one, against its reference traffic.
    """
    config = config or Config()
    gaz = gazetteer or zones.build_gazetteer(config.zone_files, replace=config.replace_ports)
    return conclude(detect(positions, config, gaz, progress, stop_areas=stop_areas), config, model=model,
                    progress=progress, listed=listed)


def conclude(d: Detected, config: Config, *, model: ScoringModel | None = None, progress: Progress | None = None,
             listed: pd.DataFrame | None = None) -> Result:
    """Score what :func:`detect` (or an engine) found, select alerts, estimate cargo and flows and
    screen the watchlist: the rest of :func:`analyse`."""
    gaz = d.gaz
    model = model or fit_model(d, config)
    events, voyages = d.events, d.voyages
    sensitive_names = set(gaz.names[gaz.sensitive])

    vscore, vcontrib = apply_scorer(model.voyage, features.voyage_matrix(voyages))
    voyages["score"] = vscore
    voyages["reasons"] = np.where(  # type: ignore[call-overload]
        np.isnan(vscore), None, explain.voyage_reasons(voyages, vcontrib, events, sensitive_names)
    )
    voyages["contributions"] = np.where(np.isnan(vscore), None, explain.contributions_text(vcontrib))  # type: ignore[call-overload]
    if listed is None and config.watchlist_files:
        listed = watchlist.read_watchlists(list(config.watchlist_files))
    fleet = d.fleet(screen=listed is not None)
    matches = None
    if listed is not None and fleet.seen is not None:  # fleet() gives the vessels seen when asked to screen
        matches = schema.conform(watchlist.screen(fleet.seen, listed), schema.WATCHLIST_MATCHES)
        voyages = _apply_watchlist(voyages, matches)
    voyages = schema.conform(voyages, schema.VOYAGES, fill_missing=True)

    is_gap = (events["event_type"] == "gap").to_numpy()
    if is_gap.any():
        g = events[is_gap]
        gscore, gcontrib = apply_scorer(model.gap, features.gap_matrix(g))
        events.loc[is_gap, "score"] = gscore
        events.loc[is_gap, "reasons"] = explain.gap_reasons(g.reset_index(drop=True), gcontrib.reset_index(drop=True))
    pv = (events["event_type"] == "port_visit").to_numpy()
    events.loc[pv, "reasons"] = explain.port_visit_reasons(events[pv])
    events = schema.conform(events, schema.EVENTS)
    _say(progress, f"score: {len(voyages):,} voyages, {len(events):,} events")

    alerts = alerts_mod.select_alerts(
        voyages, events, min_score=config.min_score, top=config.top, all_vessels=config.all_vessels
    )
    vessels, cargo_ops, flows, caps = cargo.estimate(
        fleet.particulars, fleet.draughts, events, gaz, config.product, years=fleet.years,
        data_end=None if fleet.t_max is None else pd.Timestamp(fleet.t_max, tz="UTC"))
    _say(progress, f"cargo: {len(cargo_ops):,} cargo operations, {int(flows['trips'].sum()):,} trips")
    summary = {
        "vesseltrack_version": vesseltrack.__version__,
        "parameters": {**{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
                       "gap": asdict(d.gap_params)},
        "model": {"scored_against": "reference model" if config.model_path else "this batch",
                  "trained_with_version": model.vesseltrack_version, **model.reference},
        "vessels": len(fleet.vessel_ids),
        "positions": fleet.n_positions,
        "voyages": len(voyages),
        "events": {t: int((events["event_type"] == t).sum()) for t in schema.EVENT_TYPES},
        "alerts": len(alerts),
        "gazetteer": gaz.describe(),
        "stop_areas": d.stop_areas.describe(),
        "populations": {k: int(v) for k, v in voyages["population"].value_counts().sort_index().items()},
        "cargo": {"operations": len(cargo_ops), "trips": int(flows["trips"].sum()),
                  "parameters": cargo.parameters(config.product), "caps": caps},
    }
    if listed is not None and matches is not None:
        summary["watchlist"] = {"entries": len(listed), "matches": {
            s: int((matches["strength"] == s).sum()) for s in ("strong", "name", "weak")}}
    return Result(positions=d.positions, rejects=schema.empty(schema.REJECTS), events=events, voyages=voyages,
                  alerts=alerts, stop_areas=d.stop_areas.table(), summary=summary, vessels=vessels, cargo=cargo_ops,
                  flows=flows, watchlist_matches=matches, fleet=fleet if d.partial else None)


def _apply_watchlist(voyages: pd.DataFrame, matches: pd.DataFrame) -> pd.DataFrame:
    """Voyages of vessels with a strong watchlist match: the match is a finding (``watchlist_match``
    names it) and raises the score like the other definitional findings, by the noisy-OR of
    scoring.py with :data:`features.FINDING_WEIGHT` (a voyage too small a batch to score counts as
    ordinary, 0.5, before it)."""
    phrase = watchlist.reasons_by_track(matches)
    hit = voyages["mmsi"].map(phrase)
    has = hit.notna().to_numpy()
    voyages = voyages.assign(watchlist_match=hit.where(hit.notna(), None))
    if has.any():
        s = voyages["score"].to_numpy(dtype=float)
        s = np.where(has, noisy_or(np.where(np.isnan(s), 0.5, s), 1.0 - features.FINDING_WEIGHT), s)
        voyages["score"] = s
        reasons = voyages["reasons"].astype(object)
        other = reasons.notna().to_numpy() & (reasons.fillna("") != "").to_numpy()
        voyages["reasons"] = np.where(has, np.where(other, hit + "; " + reasons.fillna(""), hit), reasons)
    return voyages

