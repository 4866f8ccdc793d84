import hashlib
import json

import pandas as pd
import pytest

from vesseltrack import schema
from vesseltrack.errors import InputError
from vesseltrack.export import escape_text, write_outputs


def test_escape_text_neutralises_formulas_only():
    s = pd.Series(["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "NORMAL", None, "A=B"], dtype=object)
    out = escape_text(s).tolist()
    assert out[:5] == ["'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "'\tx"]
    assert out[5:] == ["NORMAL", None, "A=B"]


def test_write_outputs_is_atomic_and_exact(tmp_path):
    rej = pd.DataFrame({"file": ["a.csv"], "row": [3], "reason": ["invalid_mmsi"], "detail": ["=1+1"]})
    rej["row"] = rej["row"].astype("int64")
    files = write_outputs(tmp_path / "out", {"rejects": rej}, {"b": 1, "a": pd.Timestamp("2024-01-01T00:00Z")})
    assert sorted(p.name for p in files) == ["README.md", "rejects.csv", "schema.json", "summary.json"]
    assert (tmp_path / "out" / "rejects.csv").read_text() == "file,row,reason,detail\na.csv,3,invalid_mmsi,'=1+1\n"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    outputs = summary.pop("outputs")  # written last: the hash of every other file
    assert summary == {"a": "2024-01-01T00:00:00Z", "b": 1}
    assert outputs["format"] == "vesseltrack-results/1"
    assert outputs["sha256"] == {
        name: hashlib.sha256((tmp_path / "out" / name).read_bytes()).hexdigest()
        for name in ("README.md", "rejects.csv", "schema.json")
    }
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def test_write_outputs_refuses_a_file_as_out(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(InputError, match="exists and is not a folder"):
        write_outputs(f, {}, {})


def test_every_spec_writes_its_columns_in_order(tmp_path):
    tables = {name: schema.empty(spec) for name, spec in schema.SPECS.items() if name != "positions"}
    write_outputs(tmp_path, tables, {})
    for name, spec in schema.SPECS.items():
        if name != "positions":
            assert (tmp_path / f"{name}.csv").read_text().strip() == ",".join(schema.names(spec))


def test_the_data_dictionary_documents_every_column_written(tmp_path):
    tables = {name: schema.empty(schema.SPECS[name]) for name in ("events", "voyages", "alerts")}
    write_outputs(tmp_path / "a", tables, {})
    doc = json.loads((tmp_path / "a" / "schema.json").read_text())
    readme = (tmp_path / "a" / "README.md").read_text()
    written = sorted(p.name for p in (tmp_path / "a").glob("*.csv"))
    assert sorted(doc["files"]) == written == ["alerts.csv", "events.csv", "voyages.csv"]  # only the files written
    for fname in written:
        header = (tmp_path / "a" / fname).read_text().splitlines()[0].split(",")
        cols = doc["files"][fname]["columns"]
        assert [c["name"] for c in cols] == header
        assert all(set(c) == {"name", "dtype", "unit", "description", "nullable", "min", "max"} for c in cols)
        assert f"## {fname}" in readme and all(f"| `{h}` |" in readme for h in header)
    by_name = {c["name"]: c for c in doc["files"]["events.csv"]["columns"]}
    assert by_name["duration_h"]["unit"] == "h" and by_name["start_lat"]["unit"] == "deg"
    assert by_name["start_lat"]["min"] == -90 and by_name["start_lat"]["max"] == 90
    assert "SENSITIVE" in by_name["start_sensitive_port_km"]["description"]
    assert "| `duration_h` | float64 | h |" in readme and "| -90 .. 90 |" in readme
    for c in doc["files"]["events.csv"]["columns"]:  # every column means something, units where it has one
        assert c["description"] or c["name"] in ("start_time", "end_time", "start_lat", "start_lon", "duration_h",
                                                 "imo", "vessel_name", "vessel_type", "mmsi")
    write_outputs(tmp_path / "b", tables, {})
    for f in ("schema.json", "README.md"):  # deterministic
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
    assert not list(tmp_path.glob(".*tmp*"))


def test_escape_text_full_width_and_after_a_semicolon():
    s = pd.Series(["\uff1dcmd|' /C calc'!A0", "\uff0b1", "A;=1+1", "A; =1", "PORT;B", "ok;-5", None], dtype=object)
    assert escape_text(s).tolist() == ["'\uff1dcmd|' /C calc'!A0", "'\uff0b1", "A;'=1+1", "A; =1", "PORT;B",
                                       "ok;'-5", None]
