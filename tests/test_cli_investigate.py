import json

import pytest
from _investigate_data import DARK, hostile_rows
from conftest import write_marinecadastre

from vesseltrack.cli import build_parser, main


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    return write_marinecadastre(hostile_rows(), tmp_path_factory.mktemp("in") / "fleet.csv")


def test_score_with_map_and_geo_exact_output(fleet, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["score", str(fleet), "--out", str(out), "--quiet", "--map", "--geo", "--case-files", "3"]) == 0
    cap = capsys.readouterr()
    assert cap.err == ""
    assert cap.out == (
        "read 8,479 rows: 8,479 kept, 0 rejected, 0 duplicates\n"
        "21 vessels, 21 voyages, 7 gap, 1 port_visit\n"
        f"1 cargo operation, 1 trip ({out / 'flows.csv'})\n"
        "dprk_refined: 1 trip, 44,600-55,200 bbl, 9-11% of the 2024 cap so far\n"
        f"1 alert written to {out / 'alerts.csv'}\n"
        f"map written to {out / 'map.html'}\n"
        f"GeoJSON and GeoParquet written to {out}: events.geojson, tracks.geojson, events.parquet, tracks.parquet\n"
        f"1 case file written to {out / 'cases'}\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "alerts.csv",
        "cargo.csv",
        "cases",
        "events.csv",
        "events.geojson",
        "events.parquet",
        "flows.csv",
        "map.html",
        "rejects.csv",
        "schema.json",
        "stop_areas.csv",
        "summary.json",
        "tracks.geojson",
        "tracks.parquet",
        "vessels.csv",
        "voyages.csv",
    ]
    assert [p.name for p in (out / "cases").iterdir()] == [f"alert_001_{DARK}.html"]
    case = (out / "cases" / f"alert_001_{DARK}.html").read_text()
    assert "&lt;script&gt;alert(1)" in case and "<script>alert(1)" not in case.split("srcdoc=")[0]
    assert len(json.loads((out / "events.geojson").read_text())["features"]) == 8
    assert "<script>alert(1)" not in (out / "map.html").read_text()


def test_score_without_flags_writes_no_map(fleet, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["score", str(fleet), "--out", str(out), "--quiet"]) == 0
    assert "map" not in capsys.readouterr().out
    assert not (out / "map.html").exists() and not (out / "events.geojson").exists()
    assert not (out / "cases").exists()


def test_inspect_exact_output(fleet, tmp_path, capsys):
    out = tmp_path / "case"
    assert main(["inspect", str(DARK), str(fleet), "--out", str(out), "--quiet"]) == 0
    cap = capsys.readouterr()
    assert cap.err == ""
    assert cap.out == (f"{DARK} <script>alert(1)</script>: 79 positions, 2 gaps, 1 other events, 1 alert; "
                       f"wrote {out / f'{DARK}_timeline.png'}, {out / f'{DARK}_map.html'} and "
                       f"{out / f'{DARK}_case.html'}\n")
    assert sorted(p.name for p in out.iterdir()) == [f"{DARK}_case.html", f"{DARK}_map.html", f"{DARK}_timeline.png"]
    assert "Alert #1</b>" in (out / f"{DARK}_case.html").read_text()
    assert (out / f"{DARK}_timeline.png").read_bytes()[:4] == b"\x89PNG"


def test_inspect_unknown_vessel_one_line_exit_2(fleet, tmp_path, capsys):
    assert main(["inspect", "123456789", str(fleet), "--out", str(tmp_path / "c"), "--quiet"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err == (
        "vesseltrack: error: MMSI 123456789 is not in the results; expected one of the 21 vessels, "
        "e.g. [273000009, 412000100, 412000101, 412000102, 412000103]; check the number or the input files\n"
    )
    assert not (tmp_path / "c").exists()


def test_terminal_control_characters_in_names_are_neutralised():
    from vesseltrack.cli import _printable

    assert _printable("EVIL\x1b[2J\x07 SHIP") == "EVIL?[2J? SHIP"


def test_new_options_have_help_with_examples():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    score = {a.dest: a for a in sub.choices["score"]._actions}
    assert "e.g. --map" in score["map"].help and "e.g. --geo" in score["geo"].help
    assert "e.g. --case-files 5" in score["case_files"].help
    inspect = sub.choices["inspect"]
    assert "vesseltrack inspect 354898436 data/samples/sea_of_japan.csv.gz --out results/" in inspect.epilog
    mine = {a.dest: a for a in inspect._actions}
    assert "e.g. 354898436" in mine["mmsi"].help and "e.g. --out case_files/" in mine["out"].help
