"""The command line: thin commands over the library.

Each command parses its options, calls the library and prints a short report. Any VesselTrackError
becomes one line on stderr (``vesseltrack: error: ...``) and exit code 2; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

from vesseltrack.config import Config, read_json_file
from vesseltrack.detect.params import ENCOUNTER_PRESETS, PRESETS, WINDOW_H, EncounterParams, GapParams
from vesseltrack.engines import ENGINES
from vesseltrack.errors import ConfigError, InputError, VesselTrackError
from vesseltrack.products import PRODUCTS

# Only light modules at the top: the commands import the library (pandas, scikit-learn, ...) when
# they run, so that --help answers at once. Choices and defaults come from Config and the preset
# tables, never typed here.

#: Config's defaults, by field name.
DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Config)}

SCORE_HELP = """\
Score AIS files: read positions, detect gaps and port visits, build port-to-port voyages, score
them with an isolation forest and write ranked alerts with their reasons.

Inputs may be CSV (MarineCadastre, Danish aisdk, NARI, exactEarth-style and other layouts
recognised by their column names, or any layout with --column-map), Parquet, or gzip/zip of these;
the format is read from the content, not the extension.

Alerts rank merchant ships (cargo, tankers, untyped class A ships of seagoing size) whose voyages
carry a detector finding; --all-vessels ranks every vessel. Berths, marinas and anchorages are
learnt from the data (where several ships lie still) so that ships moored side by side or silent
at their berth are not taken for transfers or dark voyages.

Cargo is estimated wherever a ship's reported draught changes across a port visit, a ship-to-ship
encounter or a gap (tonnes and, for tankers, barrels of --product, as low-central-high ranges);
trips are summed per month and route against the UN caps on oil to North Korea. --watchlist screens
every vessel against sanctions lists; a match by IMO or MMSI is a finding.

Writes into --out: alerts.csv (ranked, most anomalous first), events.csv, voyages.csv,
rejects.csv (input rows not used, with the reason), stop_areas.csv (the berths, marinas and
anchorages learnt; give it to a later run with --stop-areas), vessels.csv (each ship's
dimensions and draught record), cargo.csv (cargo operations and their trips), flows.csv (trips per
month and route), watchlist_matches.csv (with --watchlist), README.md and schema.json (what every
column means, with its unit) and summary.json (row accounting, parameters, cap status);
--case-files N adds cases/: one self-contained HTML page per top alert, to attach to a report.
--out is replaced as a whole by each run (written beside it, then swapped in): a killed run
leaves the previous results, and a folder holding files vesseltrack did not write is refused.

--engine local (the default) runs in this process: the fastest on one machine for data that fits
in memory. --engine dask gives the same files on a Dask cluster, for a store (vesseltrack ingest
--store) larger than memory or a cluster of machines: --workers N starts a local one, --scheduler
ADDRESS joins a running one (needs pip install 'vesseltrack[dask]').
"""

SCORE_EXAMPLES = """\
examples:
  vesseltrack score data/samples/sea_of_japan.csv.gz --out results/
  vesseltrack score jan.csv feb.parquet --out results/ --gap-hours 12 --top 50
  vesseltrack score export.csv --column-map columns.json --out results/
      (columns.json: {"mmsi": "ship_id", "timestamp": "time_utc", "lat": "y", "lon": "x"})
  vesseltrack score tracks.csv --zones my_ports.geojson --out results/
  vesseltrack score data/samples/sea_of_japan.csv.gz --out results/ --map --geo
      (also map.html, events/tracks .geojson and .parquet; see one ship with 'vesseltrack inspect')
  vesseltrack score day.csv --out today/ --stop-areas last_month/stop_areas.csv
      (berths and anchorages learnt from a month of data serve a one-day file)
  vesseltrack score data/samples/sea_of_japan.csv.gz --out results/ --watchlist data/samples/ofac_sdn_excerpt.csv
      (watchlist_matches.csv; alerts cite the list: "IMO 9358010 is on OFAC SDN (RUSSIA-EO14024) as MAIA-1")
  vesseltrack score data/samples/sea_of_japan.csv.gz --out results/ --case-files 5
      (results/cases/alert_1_<mmsi>.html ...: identity, timeline, map, reasons with their figures, cargo)
  vesseltrack score ais-store/ --out results/ --engine dask --workers 2
      (a store from 'vesseltrack ingest --store', on a local Dask cluster of 2 worker processes)
  vesseltrack score s3://bucket/ais-store/ --out results/ --engine dask --scheduler tcp://host:8786
"""


def _progress(quiet: bool):
    if quiet:
        return None
    t0 = time.monotonic()

    def say(msg: str) -> None:
        print(f"vesseltrack [{time.monotonic() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    return say


def _warn(summary: dict, quiet: bool) -> None:
    """Print what ingest noticed and could not fix, unless ``quiet``: scripts that pass --quiet read
    the same warnings in summary.json (``rows.files[].warnings``), so stderr stays empty for them."""
    if quiet:
        return
    for f in summary.get("rows", {}).get("files", []):
        for w in f.get("warnings", ()):
            print(f"vesseltrack: warning: {_printable(w)}", file=sys.stderr)


def _load_column_map(path: str | None) -> dict | None:
    if path is None:
        return None
    example = '{"mmsi": "ship_id", "timestamp": "time"}'
    m = read_json_file(path, name=f"--column-map {path}", kind="a column map",
                       expected=f"a JSON object like {example}", fix="fix the file", fix_binary="pass the JSON file")
    if not isinstance(m, dict):
        raise ConfigError(
            f'--column-map {path}: expected a JSON object mapping canonical names to your columns; received a {type(m).__name__}; write it as {{"mmsi": "ship_id", ...}}'  # noqa: E501
        )
    return m


def _config(args: argparse.Namespace, **extra) -> Config:
    return Config(
        gap_preset=args.gap_preset,
        gap_h=args.gap_hours,
        encounter_preset=args.encounter_preset,
        min_visit_h=args.min_visit_hours,
        zone_files=tuple(args.zones),
        replace_ports=args.replace_ports,
        column_map=_load_column_map(args.column_map),
        assume_time=args.assume_time,
        strict_mmsi=False if args.any_vessel_id else None,
        chunk_rows=args.chunk_rows,
        random_state=args.seed,
        stop_areas_file=args.stop_areas,
        product=args.product,
        watchlist_files=tuple(args.watchlist),
        **extra,
    )


def cmd_train(args: argparse.Namespace) -> int:
    from vesseltrack import pipeline

    model = pipeline.train(args.inputs, _config(args), progress=_progress(args.quiet))
    model.save(args.model)
    ref = model.reference
    print(
        f"learnt from {ref['vessels']:,} vessels, {ref['voyages']:,} voyages, {ref['gaps']:,} gaps; model written to {args.model}"  # noqa: E501
    )
    return 0


def _require_extras(args: argparse.Namespace) -> None:
    from importlib.util import find_spec

    need = {"--map": ["folium"], "--geo": ["geopandas"], "--case-files": ["folium", "matplotlib"],
            "inspect": ["folium", "matplotlib"]}
    for flag, modules in need.items():
        if getattr(args, flag[2:].replace("-", "_"), False) or (flag == "inspect" and args.command == "inspect"):
            missing = [m for m in modules if find_spec(m) is None]
            if missing:
                fix = "" if flag == "inspect" else f" or drop {flag}"
                raise ConfigError(
                    f"{flag} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not installed; expected the maps extra; "  # noqa: E501
                    f"install it with pip install 'vesseltrack[maps]'{fix}"
                )


def cmd_score(args: argparse.Namespace) -> int:
    config = _config(args, min_score=args.min_score, top=args.top, model_path=args.model, all_vessels=args.all_vessels)
    _require_extras(args)  # before any work: a missing extra must not leave results half-written
    from vesseltrack import export, pipeline
    from vesseltrack.outdir import ResultsFolder

    results = ResultsFolder(args.out)  # a bad --out fails before any data is read; cleans up killed runs
    keep = "all" if args.geo else "shown" if args.map or args.case_files else "none"  # what the outputs draw
    result = pipeline.run(args.inputs, config, progress=_progress(args.quiet), engine=args.engine,
                          workers=args.workers, scheduler=args.scheduler, keep=keep)
    _warn(result.summary, args.quiet)
    geo: list[Path] = []
    cases: list[Path] = []
    try:
        with results as stage:  # the whole folder is staged, then replaces --out at once
            export.write_tables(stage, result.tables())
            if args.map:
                from vesseltrack import maps

                maps.write_map(result, stage / "map.html", tiles=args.tiles, tiles_attribution=args.tiles_attribution)
            if args.geo:
                from vesseltrack import geoexport

                geo = geoexport.write_geo(result, stage)
            if args.case_files:
                from vesseltrack import casefile

                cases = casefile.write_case_files(result, stage / "cases", args.case_files)
            export.commit(results, result.summary)
    except OSError as err:  # e.g. the disk is full: --out is left as it was
        raise InputError(
            f"--out {args.out}: cannot write the results ({err.strerror}: {err.filename}); expected room to write them beside --out, which is left as it was; free some space or choose another path"  # noqa: E501
        ) from err
    out = Path(args.out)
    rows = result.summary["rows"]
    non_vessel = (
        f", {rows['rows_non_vessel']:,} from stations that are not ships" if rows.get("rows_non_vessel") else ""
    )
    print(f"read {rows['rows_read']:,} rows: {rows['rows_kept']:,} kept, {rows['rows_rejected']:,} rejected, "
          f"{rows['rows_duplicate']:,} duplicates{non_vessel}")
    ev = result.summary["events"]
    print(", ".join([f"{result.summary['vessels']:,} vessels", f"{result.summary['voyages']:,} voyages",
                     *(f"{n:,} {t}" for t, n in ev.items() if n)]))
    cargo = result.summary["cargo"]
    n_ops, n_trips = cargo["operations"], cargo["trips"]
    print(f"{n_ops:,} cargo operation{'' if n_ops == 1 else 's'}, {n_trips:,} trip{'' if n_trips == 1 else 's'} "
          f"({out / 'flows.csv'})")
    for cap in cargo["caps"]:
        if cap["trips"] or cap["capacity_bound_trips"]:
            print(f"{cap['cap']}: {cap['text']}")
    if "watchlist" in result.summary:
        w = result.summary["watchlist"]["matches"]
        print(f"watchlist: {w['strong']:,} strong, {w['name']:,} name-only and {w['weak']:,} weak matches "
              f"({out / 'watchlist_matches.csv'})")
    n = len(result.alerts)
    print(f"{n:,} alert{'' if n == 1 else 's'} written to {out / 'alerts.csv'}")
    if args.map:
        print(f"map written to {out / 'map.html'}")
    if args.geo:
        print(f"GeoJSON and GeoParquet written to {out}: {', '.join(p.name for p in geo)}")
    if args.case_files:
        print(f"{len(cases):,} case file{'' if len(cases) == 1 else 's'} written to {out / 'cases'}")
    return 0


def _add_tiles_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--tiles",
        metavar="URL",
        help="online base map under the map's offline land layer, as a tile URL template (fetched when the map is opened; e.g. --tiles 'https://tile.openstreetmap.org/{z}/{x}/{y}.png')",  # noqa: E501
    )
    p.add_argument(
        "--tiles-attribution",
        metavar="TEXT",
        help="credit shown for --tiles, as its provider asks (HTML; OpenStreetMap's is filled in; e.g. --tiles-attribution '(c) Esri')",  # noqa: E501
    )


INSPECT_HELP = """\
Inspect one vessel: run the same analysis as 'score' on the files, then write that vessel's
timeline (speed and draught over time, AIS gaps shaded, port calls marked) as a PNG and a map of
its track, gaps, events and alerts as a self-contained HTML file (no tiles: it works offline).

Writes into --out: MMSI_timeline.png, MMSI_map.html and MMSI_case.html, the case file: one
self-contained page with the vessel's best-ranked alert and its reasons, identity and history,
timeline, map, events, cargo estimate, watchlist matches and the run's parameters.
"""

INSPECT_EXAMPLES = """\
examples:
  vesseltrack inspect 354898436 data/samples/sea_of_japan.csv.gz --out results/
  vesseltrack inspect 273000009 jan.csv feb.csv --out case_files/ --gap-hours 12
"""


def _printable(text: str) -> str:
    """Ship-provided text made safe for a terminal (no control characters or escape sequences)."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def cmd_inspect(args: argparse.Namespace) -> int:
    _require_extras(args)
    from vesseltrack import casefile, investigate, maps, pipeline, plots
    from vesseltrack.outdir import writable_folder

    config = _config(args)
    writable_folder(args.out)  # a file or a read-only folder fails before any data is read
    result = pipeline.run(args.inputs, config, progress=_progress(args.quiet))
    _warn(result.summary, args.quiet)
    track = investigate.vessel_track(result, args.mmsi)
    events = investigate.vessel_events(result, args.mmsi)
    out = Path(args.out)
    alert = casefile.pick_alert(result, args.mmsi)
    focus = None if alert is None else (alert["start_time"], alert["end_time"])
    try:
        png = plots.save_timeline(result, args.mmsi, out / f"{args.mmsi}_timeline.png", focus=focus)
        html_path = maps.write_map(result, out / f"{args.mmsi}_map.html", mmsi=args.mmsi, tiles=args.tiles,
                                   tiles_attribution=args.tiles_attribution)
        case = casefile.write_case_file(result, args.mmsi, out / f"{args.mmsi}_case.html")
    except OSError as err:  # e.g. a folder where a file goes
        raise InputError(
            f"--out {out}: cannot write {err.filename2 or err.filename or 'a file'} ({err.strerror}); expected a folder where the vessel's files can be written; remove what is in the way or choose another --out"  # noqa: E501
        ) from err
    names = track["vessel_name"].astype(object).dropna()
    name = _printable(str(names.iloc[-1])) if len(names) else "(no name)"
    n_gap = int((events["event_type"] == "gap").sum())
    n_alert = int((result.alerts["mmsi"] == args.mmsi).sum())
    print(
        f"{args.mmsi} {name}: {len(track):,} positions, {n_gap:,} gap{'' if n_gap == 1 else 's'}, "
        f"{len(events) - n_gap:,} other events, {n_alert:,} alert{'' if n_alert == 1 else 's'}; wrote {png}, {html_path} and {case}"  # noqa: E501
    )
    return 0


TRAIN_HELP = """\
Learn what normal traffic looks like from reference AIS files: the same detection as 'score',
then isolation forests fitted on the reference voyages and gaps, saved with skops (never pickle)
with their feature names and the package version. 'score --model' then ranks new data against
that reference instead of against itself.
"""

TRAIN_EXAMPLES = """\
examples:
  vesseltrack train last_year/*.csv --model normal.skops
  vesseltrack score this_week.csv --model normal.skops --out results/
"""

EVALUATE_HELP = """\
Evaluate a results folder against a scenario's known truth (truth.json written by the scenario
generator): recall of gap events over injected dark voyages; per anomaly type, the recall and
precision of the events meant to catch it (gaps and likely_dark gaps for dark voyages, encounters
for STS, possible_dark_sts loitering for dark STS, spoofing, identity clashes); and the vessel
ranking's average precision, precision@k and the ranks of the dark vessels, next to a naive
baseline (every gap over 6 h, vessels ranked by their longest gap) and a rules-only baseline
(untuned points per kind of event). Prints JSON.
"""

EVALUATE_EXAMPLES = """\
examples:
  vesseltrack score data/samples/sea_of_japan.csv.gz --out results/
  vesseltrack evaluate results/ --truth data/samples/sea_of_japan.truth.json
"""


def cmd_evaluate(args: argparse.Namespace) -> int:
    from vesseltrack.evaluate import evaluate  # checks the truth file and the results CSVs: InputError

    report = evaluate(args.results, args.truth)
    print(json.dumps(report, indent=2, sort_keys=True))
    return 0


def _gap_preset_text(p: GapParams) -> str:
    """What a gap preset keeps, in words, from its parameters (e.g. "every gap over 6 h")."""
    text = f"over {p.min_gap_h:g} h"
    if p.min_start_shore_nm is not None:
        text += f", starting over {p.min_start_shore_nm:g} nm from shore"
    if p.max_start_shore_nm is not None:
        text += f" within {p.max_start_shore_nm:g} nm of shore"
    if p.min_reception_per_day is not None:
        text += " where reception is good"
    if p.min_positions_before is not None:
        text += f" and the ship was heard {p.min_positions_before}+ times in the {WINDOW_H:g} h before"
    return text if text != f"over {p.min_gap_h:g} h" else f"every gap {text}"


def _encounter_preset_text(p: EncounterParams) -> str:
    """What an encounter preset keeps, in words, from its parameters."""
    text = f"within {p.max_distance_m:g} m for {p.min_duration_h:g}+ h"
    if p.max_median_speed_kn is not None:
        text += f", median speed under {p.max_median_speed_kn:g} kn"
    if p.max_speed_kn is not None:
        text += f", both under {p.max_speed_kn:g} kn"
    if p.merge_gap_h > 0:
        text += f", merged when under {p.merge_gap_h:g} h apart"
    if p.min_port_km is not None:
        text += f", none within {p.min_port_km:g} km of a port"
    return text


def _presets_help(presets: dict, describe, default: str) -> str:
    """Each preset as ``name = what it keeps``, the default one marked, separated by semicolons."""
    return "; ".join(f"{name} = {describe(p)}{' (default)' if name == default else ''}" for name, p in presets.items())


INGEST_HELP = """\
Ingest AIS files into a store: a Hive-partitioned Parquet dataset of clean positions (every format
'score' reads, with the same options), partitioned by vessel bucket (a stable hash of the MMSI) and
sorted by (mmsi, timestamp) inside each file, with the rejects and the exact row accounting kept
beside it and a manifest.json (inputs with their sha256, counts). Adding files later merges them in
(exact duplicates across all inputs are dropped, as 'score' does); a file already in the store (same
sha256) is skipped. 'score', 'train' and 'inspect' read the store as their only input.

Writes into --store: positions/bucket=BB/part-GGGGG.parquet, rejects/part-KKKKK.parquet and
manifest.json. The positions are a plain Parquet dataset: DuckDB, Polars and pandas read them.
"""

INGEST_EXAMPLES = """\
examples:
  vesseltrack ingest data/samples/sea_of_japan.csv.gz --store ais-store/
  vesseltrack ingest day-*.nmea.gz more.csv --store ais-store/ --jobs 2
  vesseltrack score ais-store/ --out results/
"""


def cmd_ingest(args: argparse.Namespace) -> int:
    from vesseltrack import store
    from vesseltrack.ingest.layouts import check_column_map

    column_map = _load_column_map(args.column_map)
    if column_map is not None:
        check_column_map(column_map)  # before any data is read, as score does
    report = store.ingest(args.inputs, args.store, n_buckets=args.buckets, column_map=column_map,
                          assume_time=args.assume_time, strict_mmsi=False if args.any_vessel_id else None,
                          chunk_rows=args.chunk_rows, jobs=args.jobs, progress=_progress(args.quiet))
    for path, digest in report.already:
        print(f"{path}: already in the store (sha256 {digest[:12]}...), skipped")
    if report.added:
        _warn({"rows": {"files": [f for i in report.manifest["inputs"] if i["path"] in report.added
                                  for f in i["files"]]}}, args.quiet)
        r = report.added_rows
        non_vessel = f", {r['rows_non_vessel']:,} from stations that are not ships" if r["rows_non_vessel"] else ""
        n = len(report.added)
        print(f"added {n:,} file{'' if n == 1 else 's'}: read {r['rows_read']:,} rows: {r['rows_kept']:,} kept, "
              f"{r['rows_rejected']:,} rejected, {r['rows_duplicate']:,} duplicates{non_vessel}")
    if report.manifest:
        t = report.manifest["totals"]
        print(f"store {args.store}: {t['positions']:,} positions of {t['vessels']:,} vessels from {t['inputs']:,} "
              f"input{'' if t['inputs'] == 1 else 's'} in {len(report.manifest['buckets']):,} of "
              f"{report.manifest['n_buckets']:,} buckets ({t['bytes']:,} bytes)")
    return 0


class _Version(argparse.Action):
    """--version, looked up only when asked for (importlib.metadata is slow to import)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from vesseltrack import __version__

        print(f"vesseltrack {__version__}")
        parser.exit()


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, like every other error of the CLI:
    ``vesseltrack: error: <what argparse says>; see vesseltrack <command> --help``, exit code 2
    (argparse's own convention). The usage text it would print is one --help away."""

    def error(self, message: str) -> NoReturn:
        msg = " ".join(message.split())
        self.exit(2, f"vesseltrack: error: {msg}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="vesseltrack", description="Find ships hiding what they do at sea, from AIS.")
    p.add_argument("--version", action=_Version, help="show program's version number and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    common = _Parser(add_help=False)
    common.add_argument(
        "inputs",
        nargs="+",
        metavar="FILE",
        help="AIS files: CSV, Parquet or NMEA, optionally gzip/zip (e.g. day1.csv day2.parquet)",
    )
    common.add_argument(
        "--column-map",
        metavar="JSON",
        help='JSON file mapping canonical columns to yours, for unrecognised layouts (e.g. {"mmsi": "ship_id", "timestamp": "time_utc", "lat": "y", "lon": "x"})',  # noqa: E501
    )
    common.add_argument(
        "--zones",
        action="append",
        default=[],
        metavar="GEOJSON",
        help="extra ports/areas of interest: GeoJSON Points (radius_m property) or Polygons; repeatable (e.g. --zones sts_areas.geojson)",  # noqa: E501
    )
    common.add_argument(
        "--replace-ports",
        action="store_true",
        help="use only the --zones files, not the shipped port gazetteer (e.g. --zones mine.geojson --replace-ports)",
    )
    d = DEFAULTS
    common.add_argument(
        "--gap-preset",
        default=d["gap_preset"],
        choices=list(PRESETS),
        help=f"which silences are gaps: {_presets_help(PRESETS, _gap_preset_text, d['gap_preset'])} (e.g. --gap-preset welch2022)",  # noqa: E501
    )
    common.add_argument(
        "--gap-hours",
        type=float,
        default=d["gap_h"],
        metavar="H",
        help="override the preset's minimum silence, in hours (e.g. --gap-hours 12)",
    )
    common.add_argument(
        "--encounter-preset",
        default=d["encounter_preset"],
        choices=list(ENCOUNTER_PRESETS),
        help=f"ship-to-ship encounters: {_presets_help(ENCOUNTER_PRESETS, _encounter_preset_text, d['encounter_preset'])} "  # noqa: E501
        "(e.g. --encounter-preset ballinger2024)",
    )
    common.add_argument(
        "--min-visit-hours",
        type=float,
        default=d["min_visit_h"],
        metavar="H",
        help=f"stay in a port zone that counts as a visit when the ship does not stop (default: {d['min_visit_h']:g}; e.g. --min-visit-hours 3)",  # noqa: E501
    )
    common.add_argument(
        "--seed",
        type=int,
        default=d["random_state"],
        help=f"random seed of the isolation forest (default: {d['random_state']}; e.g. --seed 7)",
    )
    common.add_argument(
        "--assume-time",
        metavar="ISO",
        help="start time for NMEA sentences that carry no time and have no stream clock ($xxZDA/$xxRMC, type 4/11): "
        "line 1 at that time, later lines 1 ms a line after it (e.g. --assume-time 2024-01-01T00:00:00Z)",
    )
    common.add_argument(
        "--any-vessel-id",
        action="store_true",
        help="accept any positive integer as a vessel id instead of requiring 9-digit MMSIs (anonymised data)",
    )
    common.add_argument(
        "--chunk-rows",
        type=int,
        default=d["chunk_rows"],
        metavar="N",
        help=f"rows read per chunk; lower it to bound memory on huge files (default: {d['chunk_rows']})",
    )
    common.add_argument(
        "--stop-areas",
        metavar="CSV",
        help="berths, marinas and anchorages learnt by an earlier run (its stop_areas.csv), added to those learnt from these files (e.g. --stop-areas month/stop_areas.csv)",  # noqa: E501
    )
    common.add_argument(
        "--product",
        choices=sorted(PRODUCTS),
        default=d["product"],
        help=f"what tankers carry, for barrels and caps (default: {d['product']}; e.g. --product crude)",
    )
    common.add_argument(
        "--watchlist",
        action="append",
        default=[],
        metavar="CSV",
        help="screen every vessel against a sanctions list: OFAC's SDN.CSV, an OpenSanctions maritime CSV or a plain "
        "CSV (imo,mmsi,name,list,note); repeatable; never downloaded: pass your current file "
        "(e.g. --watchlist sdn.csv)",
    )
    common.add_argument("--quiet", action="store_true", help="no progress messages on stderr (e.g. in scripts)")

    s = sub.add_parser(
        "score",
        parents=[common],
        help="score AIS files and write ranked alerts",
        description=SCORE_HELP,
        epilog=SCORE_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder for the results, created if needed and replaced as a whole by each run (a killed run leaves the "
        "previous results; a folder holding files vesseltrack did not write is refused) (e.g. --out results/)",
    )
    s.add_argument(
        "--model",
        metavar="SKOPS",
        help="score against a reference model from 'vesseltrack train' instead of against the batch itself (e.g. --model normal.skops)",  # noqa: E501
    )
    s.add_argument(
        "--top",
        type=int,
        default=d["top"],
        metavar="N",
        help=f"at most N alerts besides tanker voyages at sensitive ports, which are always listed (default: {d['top']}; e.g. --top 20)",  # noqa: E501
    )
    s.add_argument(
        "--min-score",
        type=float,
        default=d["min_score"],
        metavar="S",
        help=f"lowest score (0..1) that makes an alert (default: {d['min_score']:g}; e.g. --min-score 0.7)",
    )
    s.add_argument(
        "--all-vessels",
        action="store_true",
        help="rank every vessel in alerts.csv, not only merchant ships (pleasure craft, harbour craft, fishing, passenger, high-speed craft, SAR); events.csv always has everyone",  # noqa: E501
    )
    s.add_argument(
        "--map",
        action="store_true",
        help="also write map.html: tracks, gaps, sensitive ports, events and alerts, viewable offline (e.g. --map)",
    )
    _add_tiles_args(s)
    s.add_argument(
        "--geo",
        action="store_true",
        help="also write events/tracks as GeoJSON and GeoParquet for QGIS or kepler.gl (e.g. --geo)",
    )
    s.add_argument(
        "--case-files",
        type=int,
        default=0,
        metavar="N",
        help="also write a case file (one self-contained HTML page: reasons, identity, timeline, map, cargo, "
        "watchlist, parameters) for each of the top N alerts into --out/cases/ (e.g. --case-files 5)",
    )
    s.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where to run: local (this process, the default) or dask (a Dask cluster, same results; needs the dask "
        "extra: pip install 'vesseltrack[dask]') (e.g. --engine dask --workers 2)",
    )
    s.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="with --engine dask: start a local Dask cluster of N single-threaded workers (default: the CPU count; "
        "e.g. --workers 2)",
    )
    s.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --engine dask: run on the Dask scheduler at ADDRESS instead of a local cluster "
        "(e.g. --scheduler tcp://host:8786)",
    )
    s.set_defaults(func=cmd_score)

    mm = _Parser(add_help=False)
    mm.add_argument("mmsi", type=int, metavar="MMSI", help="the vessel to inspect, as its MMSI (e.g. 354898436)")
    i = sub.add_parser(
        "inspect",
        parents=[mm, common],
        help="timeline plot and map of one vessel",
        description=INSPECT_HELP,
        epilog=INSPECT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    i.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder for the timeline PNG and the map, created if needed (e.g. --out case_files/)",
    )
    _add_tiles_args(i)
    i.set_defaults(func=cmd_inspect)

    t = sub.add_parser(
        "train",
        parents=[common],
        help="learn normal traffic from reference files into a model",
        description=TRAIN_HELP,
        epilog=TRAIN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument(
        "--model",
        required=True,
        metavar="SKOPS",
        help="where to write the model (skops format, never pickle; e.g. --model normal.skops)",
    )
    t.set_defaults(func=cmd_train)

    g = sub.add_parser("ingest", help="read AIS files into a partitioned Parquet store", description=INGEST_HELP,
                       epilog=INGEST_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("inputs", nargs="+", metavar="FILE",
                   help="AIS files: CSV, Parquet or NMEA, optionally gzip/zip (e.g. day1.nmea.gz day2.csv)")
    g.add_argument("--store", required=True, metavar="DIR",
                   help="the store folder, created if needed; files are added to an existing store "
                   "(e.g. --store ais-store/)")
    g.add_argument("--buckets", type=int, metavar="N",
                   help="vessel buckets (partitions) of a new store (default: 64; e.g. --buckets 16)")
    g.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="files read (and buckets merged) in parallel, in worker processes (default: 1; e.g. --jobs 2)")
    for action in common._actions:  # the reading options of score, spelt the same
        if action.dest in ("column_map", "assume_time", "any_vessel_id", "chunk_rows", "quiet"):
            g._add_action(action)
    g.set_defaults(func=cmd_ingest)

    e = sub.add_parser("evaluate", help="measure results against a scenario's known truth", description=EVALUATE_HELP,
                       epilog=EVALUATE_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("results", metavar="RESULTS", help="folder written by 'vesseltrack score --out' (e.g. results/)")
    e.add_argument(
        "--truth",
        required=True,
        metavar="JSON",
        help="truth file of the scenario (e.g. data/samples/sea_of_japan.truth.json)",
    )
    e.set_defaults(func=cmd_evaluate)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # argparse would blame the top-level parser: point at the command's --help instead
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    from vesseltrack.allocator import retain_freed_memory

    retain_freed_memory()
    try:
        with warnings.catch_warnings():
            # Python warnings of the libraries (RuntimeWarning, FutureWarning, pandas, scikit-learn)
            # are not for the user, in any mode: what the data deserves a word about is reported as
            # "vesseltrack: warning: ..." and in summary.json.
            warnings.simplefilter("ignore")
            return args.func(args)
    except VesselTrackError as err:
        msg = " ".join(str(err).split())
        print(f"vesseltrack: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: one line and the shell's convention, not a traceback
        print("vesseltrack: interrupted; --out is left as it was before this run", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
