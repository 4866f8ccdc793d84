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
    assert sorted(p.name for p in files) == ["rejects.csv", "summary.json"]
    assert (tmp_path / "out" / "rejects.csv").read_text() == "file,row,reason,detail\na.csv,3,invalid_mmsi,'=1+1\n"
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == {"a": "2024-01-01T00:00:00Z", "b": 1}
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
