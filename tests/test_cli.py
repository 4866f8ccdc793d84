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
        f"1 alert written to {out / 'alerts.csv'}\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["alerts.csv", "events.csv", "rejects.csv", "stop_areas.csv", "summary.json", "voyages.csv"]



def test_progress_goes_to_stderr(fleet, tmp_path, capsys):
    assert main(["score", str(fleet), "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith("vesseltrack [") for line in err)
    assert any("gaps" in line for line in err)


@pytest.mark.parametrize("content, message", [
    ("", "{f}: file is empty (0 bytes); expected a header and data rows; check the export"),
    ("x,y,z\n1,2,3\n", "{f}: cannot recognise the layout: columns for ['mmsi', 'timestamp'] not found; received columns ['x', 'y', 'z']; pass --column-map FILE.json"),
    ("MMSI,BaseDateTime,LAT,LON\n12,2024-01-01T00:00:00,1,2\n", "{f}: all 1 rows rejected (invalid_mmsi: 1)"),
])
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
    assert capsys.readouterr().err == f"vesseltrack: error: {tmp_path / 'nope.csv'}: file not found; expected an existing CSV, Parquet or NMEA file; check the path\n"
    cm = tmp_path / "map.json"
    cm.write_text("[1, 2]")
    assert main(["score", str(fleet), "--column-map", str(cm), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    assert capsys.readouterr().err == (f"vesseltrack: error: --column-map {cm}: expected a JSON object mapping canonical names to your columns; "
                                       "received a list; write it as {\"mmsi\": \"ship_id\", ...}\n")
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
    assert capsys.readouterr().err == ("vesseltrack: error: --map needs folium, which is not installed; expected the maps extra; "
                                       "install it with pip install 'vesseltrack[maps]' or drop --map\n")
    assert not (tmp_path / "r").exists()
