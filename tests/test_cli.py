import json
import re
import subprocess
import sys

import pytest

from vesseltrack.cli import build_parser, main


@pytest.fixture(scope="module")
def fleet(fleet_csv):
    return fleet_csv


def test_score_exact_output(fleet, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["score", str(fleet), "--out", str(out), "--quiet"]) == 0
    cap = capsys.readouterr()
    assert cap.err == ""
    assert cap.out == (
        "read 8,479 rows: 8,479 kept, 0 rejected, 0 duplicates\n"
        "21 vessels, 21 voyages, 7 gap, 1 port_visit\n"
        f"1 cargo operation, 1 trip ({out / 'flows.csv'})\n"
        "dprk_refined: 1 trip, 44,600-55,200 bbl, 9-11% of the 2024 cap so far\n"
        f"1 alert written to {out / 'alerts.csv'}\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",  # the data dictionary of the files written (and schema.json)
        "alerts.csv",
        "cargo.csv",
        "events.csv",
        "flows.csv",
        "rejects.csv",
        "schema.json",
        "stop_areas.csv",
        "summary.json",
        "vessels.csv",
        "voyages.csv",
    ]


def test_progress_goes_to_stderr(fleet, tmp_path, capsys):
    assert main(["score", str(fleet), "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith("vesseltrack [") for line in err)
    assert any("gaps" in line for line in err)


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "{f}: file is empty (0 bytes); expected a header and data rows; check the export"),
        (
            "x,y,z\n1,2,3\n",
            "{f}: cannot recognise the layout: columns for ['mmsi', 'timestamp'] not found; received columns ['x', 'y', 'z']; pass --column-map FILE.json",  # noqa: E501
        ),
        ("MMSI,BaseDateTime,LAT,LON\n12,2024-01-01T00:00:00,1,2\n", "{f}: all 1 rows rejected (invalid_mmsi: 1)"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, content, message):
    f = tmp_path / "in.csv"
    f.write_text(content)
    out = tmp_path / "res"
    assert main(["score", str(f), "--out", str(out), "--quiet"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err.startswith("vesseltrack: error: " + message.format(f=f))
    assert cap.err.count("\n") == 1
    assert not out.exists()


def test_missing_file_and_bad_column_map(tmp_path, capsys, fleet):
    assert main(["score", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert (
        capsys.readouterr().err
        == f"vesseltrack: error: {tmp_path / 'nope.csv'}: file not found; expected an existing CSV, Parquet or NMEA file; check the path\n"  # noqa: E501
    )
    cm = tmp_path / "map.json"
    cm.write_text("[1, 2]")
    assert main(["score", str(fleet), "--column-map", str(cm), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"vesseltrack: error: --column-map {cm}: expected a JSON object mapping canonical names to your columns; "
        'received a list; write it as {"mmsi": "ship_id", ...}\n'
    )
    assert not (tmp_path / "r").exists()


def test_every_option_is_documented_with_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, cmd in sub.choices.items():
        assert cmd.description and "examples:" in (cmd.epilog or ""), name
        for action in cmd._actions:
            if action.dest != "help":
                assert action.help and len(action.help) > 15, (name, action.dest)


def test_console_script_help_runs():
    proc = subprocess.run([sys.executable, "-m", "vesseltrack.cli", "score", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "vesseltrack score data/samples/sea_of_japan.csv.gz --out results/" in proc.stdout


def test_missing_extra_fails_before_any_work(fleet, tmp_path, capsys, monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "folium" else real(name, *a))
    assert main(["score", str(fleet), "--out", str(tmp_path / "r"), "--map", "--quiet"]) == 2
    assert capsys.readouterr().err == (
        "vesseltrack: error: --map needs folium, which is not installed; expected the maps extra; "
        "install it with pip install 'vesseltrack[maps]' or drop --map\n"
    )
    assert not (tmp_path / "r").exists()


def test_help_imports_no_heavy_library():
    """--help answers at once: building the parser imports neither pandas nor scikit-learn nor matplotlib."""
    code = ("import sys; from vesseltrack import cli; cli.build_parser().format_help(); "
            "print(' '.join(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(proc.stdout.split())
    assert "vesseltrack.cli" in loaded
    for heavy in (
        "sklearn",
        "matplotlib",
        "pandas.plotting",
        "pandas",
        "scipy",
        "pyarrow",
        "geopandas",
        "shapely",
        "folium",
    ):
        assert heavy not in loaded, heavy
    proc = subprocess.run([sys.executable, "-m", "vesseltrack", "score", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "--gap-preset" in proc.stdout


def test_choices_and_defaults_come_from_config_and_presets():
    from dataclasses import fields

    from vesseltrack.config import Config
    from vesseltrack.detect.params import ENCOUNTER_PRESETS, PRESETS

    score = build_parser()._subparsers._group_actions[0].choices["score"]
    acts = {a.dest: a for a in score._actions}
    defaults = {f.name: f.default for f in fields(Config)}
    assert acts["gap_preset"].choices == list(PRESETS) and acts["encounter_preset"].choices == list(ENCOUNTER_PRESETS)
    for dest, field in [("gap_preset", "gap_preset"), ("gap_hours", "gap_h"), ("encounter_preset", "encounter_preset"),
                        ("min_visit_hours", "min_visit_h"), ("seed", "random_state"), ("chunk_rows", "chunk_rows"),
                        ("top", "top"), ("min_score", "min_score")]:
        assert acts[dest].default == defaults[field], dest
    assert "(default: 100;" in acts["top"].help and "(default: 0.6;" in acts["min_score"].help
    assert acts["gap_preset"].help.startswith(
        "which silences are gaps: gfw = every gap over 6 h (default); welch2022 = over 12 h, "
        "starting over 50 nm from shore where reception is good and the ship was heard 14+ "
        "times in the 12 h before; nearshore = over 6 h within 50 nm of shore where reception is good"
    )
    assert "ballinger2024 = within 500 m for 2+ h, both under 1 kn (e.g." in acts["encounter_preset"].help


def test_bad_chunk_rows_one_line(fleet, tmp_path, capsys):
    assert main(["score", str(fleet), "--out", str(tmp_path / "r"), "--chunk-rows", "0", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == ("vesseltrack: error: chunk_rows=0 is invalid; expected a positive whole number of rows per chunk; "
                   "pass e.g. --chunk-rows 1000000 (chunk_rows=1_000_000), lower to bound memory\n")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("seed", ["-1", str(2**40)])
def test_a_seed_out_of_range_is_one_line(fleet, tmp_path, capsys, seed):
    assert main(["score", str(fleet), "--out", str(tmp_path / "r"), "--quiet", f"--seed={seed}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "random_state" in err and "--seed" in err and "Traceback" not in err


def test_ctrl_c_is_one_line_and_exit_130(fleet, tmp_path, capsys, monkeypatch):
    from vesseltrack import pipeline

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run", interrupted)
    assert main(["score", str(fleet), "--out", str(tmp_path / "r"), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err.startswith("vesseltrack: interrupted") and err.count("\n") == 1
    assert not (tmp_path / "r").exists()


def _no_analysis(monkeypatch):
    """Make any data reading fail the test: the options must be refused before it."""
    from vesseltrack import pipeline

    def read(*a, **k):
        raise AssertionError("data was read before --out was checked")

    monkeypatch.setattr(pipeline, "run", read)


@pytest.mark.parametrize("command", ["score", "inspect"])
def test_an_out_that_is_a_file_fails_before_any_data_is_read(fleet, tmp_path, capsys, monkeypatch, command):
    _no_analysis(monkeypatch)
    f = tmp_path / "f.txt"
    f.write_text("x")
    mmsi = ["273000009"] if command == "inspect" else []
    assert main([command, *mmsi, str(fleet), "--out", str(f), "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"vesseltrack: error: --out {f}: exists and is not a folder; expected a folder to write results into; "
        "choose another path\n"
    )
    assert main([command, *mmsi, str(fleet), "--out", str(f / "res"), "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"vesseltrack: error: --out {f / 'res'}: {f} is a file; expected a path through folders; choose another path\n"
    )
    assert f.read_text() == "x"


def test_score_refuses_a_folder_of_other_files_before_any_data_is_read(fleet, tmp_path, capsys, monkeypatch):
    _no_analysis(monkeypatch)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "thesis.tex").write_text("years of work")
    assert main(["score", str(fleet), "--out", str(tmp_path / "docs"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"vesseltrack: error: --out {tmp_path / 'docs'}: a folder holding 1 entry (e.g. thesis.tex) and no vesseltrack "
        "summary.json, so not a results folder; expected a new or empty folder or an earlier results folder, since "
        "--out is replaced as a whole; choose another path\n"
    )
    assert [p.name for p in (tmp_path / "docs").iterdir()] == ["thesis.tex"]


@pytest.mark.skipif(sys.platform == "win32" or __import__("os").geteuid() == 0, reason="root writes anywhere")
@pytest.mark.parametrize("command", ["score", "inspect"])
def test_a_read_only_out_is_one_line(fleet, tmp_path, capsys, monkeypatch, command):
    _no_analysis(monkeypatch)
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    mmsi = ["273000009"] if command == "inspect" else []
    try:
        assert main([command, *mmsi, str(fleet), "--out", str(out), "--quiet"]) == 2
    finally:
        out.chmod(0o755)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the folder is read-only (permission denied)" in err


def test_a_rerun_replaces_the_whole_results_folder(fleet, tmp_path, capsys):
    from vesseltrack import outdir

    out = tmp_path / "res"
    assert main(["score", str(fleet), "--out", str(out), "--quiet", "--map", "--case-files", "1"]) == 0
    assert (out / "map.html").is_file() and len(list((out / "cases").iterdir())) == 1
    assert outdir.verify(out) == []
    assert main(["score", str(fleet), "--out", str(out), "--quiet"]) == 0  # without --map: no old map kept
    assert not (out / "map.html").exists() and not (out / "cases").exists()
    assert outdir.verify(out) == [] and [p.name for p in tmp_path.iterdir()] == ["res"]
    (out / "map.html").mkdir()  # a folder where the map goes: the new folder replaces it
    assert main(["score", str(fleet), "--out", str(out), "--quiet", "--map"]) == 0
    assert (out / "map.html").is_file() and outdir.verify(out) == []
    assert capsys.readouterr().out.endswith(f"map written to {out / 'map.html'}\n")


def test_ctrl_c_while_writing_leaves_the_previous_results(fleet, tmp_path, capsys, monkeypatch):
    from vesseltrack import export

    out = tmp_path / "res"
    assert main(["score", str(fleet), "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    write_tables = export.write_tables

    def interrupted(folder, tables):
        write_tables(folder, tables)
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "write_tables", interrupted)
    capsys.readouterr()
    assert main(["score", str(fleet), "--out", str(out), "--quiet", "--top", "0"]) == 130
    assert capsys.readouterr().err == "vesseltrack: interrupted; --out is left as it was before this run\n"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # the staging folder is gone


def test_inspect_with_a_folder_where_its_map_goes_is_one_line(fleet, tmp_path, capsys):
    out = tmp_path / "case"
    (out / "273000009_map.html").mkdir(parents=True)
    assert main(["inspect", "273000009", str(fleet), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"vesseltrack: error: --out {out}: cannot write {out / '273000009_map.html'} (Is a directory); expected a "
        "folder where the vessel's files can be written; remove what is in the way or choose another --out\n"
    )


def test_a_write_error_while_staging_is_one_line_and_leaves_out_as_it_was(fleet, tmp_path, capsys, monkeypatch):
    from vesseltrack import export

    out = tmp_path / "res"
    assert main(["score", str(fleet), "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def disk_full(folder, tables):
        raise OSError(28, "No space left on device", str(folder / "events.csv"))

    monkeypatch.setattr(export, "write_tables", disk_full)
    capsys.readouterr()
    assert main(["score", str(fleet), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"vesseltrack: error: --out {out}: cannot write the results (No space left on device: ")
    assert err.count("\n") == 1 and "free some space or choose another path" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before and [p.name for p in tmp_path.iterdir()] == ["res"]
def test_ingest_exact_output(fleet, tmp_path, capsys):
    from vesseltrack import store

    s = tmp_path / "store"
    assert main(["ingest", str(fleet), "--store", str(s), "--quiet"]) == 0
    cap = capsys.readouterr()
    m = store.read_manifest(s)
    n_buckets, size = len(m["buckets"]), m["totals"]["bytes"]
    assert cap.err == ""
    assert cap.out == (
        "added 1 file: read 8,479 rows: 8,479 kept, 0 rejected, 0 duplicates\n"
        f"store {s}: 8,479 positions of 21 vessels from 1 input in {n_buckets} of 64 buckets ({size:,} bytes)\n"
    )
    assert main(["ingest", str(fleet), "--store", str(s), "--quiet"]) == 0
    assert capsys.readouterr().out == (
        f"{fleet}: already in the store (sha256 {store.sha256_of(fleet)[:12]}...), skipped\n"
        f"store {s}: 8,479 positions of 21 vessels from 1 input in {n_buckets} of 64 buckets ({size:,} bytes)\n"
    )
    assert main(["ingest", str(fleet), "--store", str(s), "--buckets", "16", "--quiet"]) == 2
    assert capsys.readouterr().err == (
        "vesseltrack: error: --buckets 16 differs from the store's 64 buckets; expected the store's own; "
        "drop --buckets, or ingest into a new store\n"
    )
    assert main(["score", str(s), "--out", str(tmp_path / "res"), "--quiet"]) == 0
    assert capsys.readouterr().out.startswith(
        "read 8,479 rows: 8,479 kept, 0 rejected, 0 duplicates\n21 vessels, 21 voyages, 7 gap, 1 port_visit\n")


def test_ingest_help_states_the_default_buckets():
    from vesseltrack.store import DEFAULT_BUCKETS

    ingest = build_parser()._subparsers._group_actions[0].choices["ingest"]
    acts = {a.dest: a for a in ingest._actions}
    assert f"(default: {DEFAULT_BUCKETS};" in acts["buckets"].help
    assert {"column_map", "assume_time", "any_vessel_id", "chunk_rows", "quiet"} <= set(acts)
@pytest.mark.parametrize("argv, command", [
    ([], ""),
    (["frob"], ""),
    (["score"], " score"),
    (["score", "a.csv", "--out", "r", "--top", "abc"], " score"),
    (["score", "a.csv", "--out", "r", "--gap-preset", "nope"], " score"),
    (["score", "a.csv", "--out", "r", "--bogus", "1"], " score"),
    (["evaluate", "results"], " evaluate"),
])
def test_argparse_errors_are_one_line_exit_2(capsys, argv, command):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.count("\n") == 1, cap.err
    assert cap.err.startswith("vesseltrack: error: ") and cap.err.endswith(f"; see vesseltrack{command} --help\n")
    assert "usage:" not in cap.err


@pytest.mark.parametrize("column_map, message", [
    ({"mmsi": "id", "lat": "y", "lon": "y", "timestamp": "t"},
     r"column map reads several fields from one column \('y' for \['lat', 'lon'\]\); expected each source column once"),
    ({"mmsi": "id", "timestamp": "t", "timestamp_unit": "fortnight"},
     r"timestamp_unit 'fortnight' is not supported; expected one of \['s', 'ms', 'us', 'ns'\]"),
    ({"mmsi": "id", "timestamp": "t", "timestamp_format": "dd/mm/yyyy"},
     r"timestamp_format 'dd/mm/yyyy' is neither a strptime format nor a known form"),
    ({"mmsi": "id", "speed": "sog"}, r"column map names unknown columns \['speed'\]"),
    ({"mmsi": 7}, r"column map values must be non-empty strings .* received \{'mmsi': 7\}"),
])
def test_column_map_is_checked_before_any_data_is_read(tmp_path, capsys, column_map, message):
    cm = tmp_path / "map.json"
    cm.write_text(json.dumps(column_map))
    # the input does not exist: the map's error comes first, so it was checked before any reading
    argv = ["score", str(tmp_path / "absent.csv"), "--column-map", str(cm), "--out", str(tmp_path / "r"), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("vesseltrack: error: ") and err.count("\n") == 1 and re.search(message, err), err
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("option, content, message", [
    ("--zones", b"\x1f\x8b\x08\x00\xff", r"z.bin: not a text file \(byte 1 is not UTF-8\); expected a GeoJSON"),
    ("--zones", b"{not json", r"z.bin: not valid JSON at line 1"),
    ("--zones", json.dumps({"type": "Feature", "properties": {"radius_m": 1e30},
                            "geometry": {"type": "Point", "coordinates": [130, 40]}}).encode(),
     r"z.bin: feature 1 \('z_1'\) has radius_m=1e\+30; expected a number of metres above 0 and at most 500000"),
    ("--column-map", b"\xff\xfe{}", r"--column-map .*z.bin: not a text file"),
    ("--stop-areas", b"a,b\n1,2\n", r"z.bin: not a stop-areas file"),
    ("--watchlist", b"", r"z.bin: the watchlist is empty"),
])
def test_option_files_are_checked_before_any_data_is_read(tmp_path, capsys, option, content, message):
    f = tmp_path / "z.bin"
    f.write_bytes(content)
    argv = ["score", str(tmp_path / "absent.csv"), option, str(f), "--out", str(tmp_path / "r"), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("vesseltrack: error: ") and err.count("\n") == 1 and re.search(message, err), err
    assert not (tmp_path / "r").exists()


def test_quiet_silences_data_warnings_which_stay_in_summary(fleet, tmp_path, capsys):
    scaled = tmp_path / "scaled.csv"  # speed in a column whose name carries a scale: a data warning
    header, rest = fleet.read_text().split("\n", 1)
    scaled.write_text(header.replace("SOG", "SPEED_KNOTSx10") + "\n" + rest)
    assert main(["score", str(scaled), "--out", str(tmp_path / "q"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    summary = json.loads((tmp_path / "q" / "summary.json").read_text())
    warned = summary["rows"]["files"][0]["warnings"]
    assert warned and any("SPEED_KNOTSx10" in w for w in warned)
    assert main(["score", str(scaled), "--out", str(tmp_path / "v")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("vesseltrack: warning: ")] == [
        f"vesseltrack: warning: {w}" for w in warned]


def test_library_warnings_never_reach_the_user(tmp_path):
    """A RuntimeWarning or FutureWarning raised inside a command (numpy, pandas, scikit-learn) is not
    printed, with or without --quiet: the CLI speaks in its own one-line messages."""
    code = (
        "import sys, warnings\n"
        "from vesseltrack import cli, evaluate\n"
        "def noisy(results, truth):\n"
        "    warnings.warn('invalid value encountered in divide', RuntimeWarning)\n"
        "    warnings.warn('a pandas default will change', FutureWarning)\n"
        "    return {'ok': 1}\n"
        "evaluate.evaluate = noisy\n"
        "sys.exit(cli.main(['evaluate', 'results', '--truth', 'truth.json']))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == "" and json.loads(run.stdout) == {"ok": 1}


@pytest.mark.parametrize("alerts, message", [
    (None, r"alerts.csv: cannot read results \(No such file or directory\)"),
    (b"", r"alerts.csv: the file is empty"),
    (b"mmsi\n1\n", r"alerts.csv: columns \['score'\] missing"),
    (b"mmsi,score\nabc,1\n", r"alerts.csv: column 'mmsi' has 1 value\(s\) that are not whole numbers"),
    (b"\x00\x01\x02\xff\xfe", r"alerts.csv: (not a readable CSV|columns \[)"),
])
def test_evaluate_on_broken_results_is_one_line_exit_2(tmp_path, capsys, alerts, message):
    res = tmp_path / "res"
    res.mkdir()
    if alerts is not None:
        (res / "alerts.csv").write_bytes(alerts)
    (res / "events.csv").write_text("event_type,mmsi,start_time,end_time,duration_h\n")
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps({"format": "vesseltrack-truth/1", "anomalies": [], "vessels": []}))
    assert main(["evaluate", str(res), "--truth", str(truth)]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and cap.err.startswith("vesseltrack: error: ") and cap.err.count("\n") == 1
    assert re.search(message, cap.err), cap.err
