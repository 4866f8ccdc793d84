import numpy as np
import pandas as pd
import pytest

import vesseltrack
from vesseltrack import schema
from vesseltrack.errors import SchemaError


@pytest.mark.parametrize("name", list(schema.SPECS))
def test_empty_frames_match_their_spec(name):
    spec = schema.SPECS[name]
    schema.validate(schema.empty(spec), spec, name=name)
    assert len(set(schema.names(spec))) == len(spec), "duplicate column names"


def test_units_live_in_names():
    for spec in schema.SPECS.values():
        for c in spec:
            if c.unit in ("m", "km", "h", "kn", "deg", "s") and not c.name.endswith(("lat", "lon")):
                assert c.name.endswith(("_" + c.unit, "_hours")), c.name


def test_validate_checks_both_directions_dtypes_nulls_and_ranges():
    df = schema.empty(schema.REJECTS)
    with pytest.raises(SchemaError, match=r"columns \['detail'\] missing"):
        schema.validate(df.drop(columns="detail"), schema.REJECTS, name="rejects")
    with pytest.raises(SchemaError, match=r"unexpected columns \['extra'\]"):
        schema.validate(df.assign(extra=1), schema.REJECTS, name="rejects")
    schema.validate(df.assign(extra=1), schema.REJECTS, extra_ok=True)
    bad = pd.DataFrame({"file": ["a"], "row": np.array([0], dtype="int64"), "reason": ["x"], "detail": [None]})
    with pytest.raises(SchemaError, match=r"column 'row' has 1 values outside \[1, inf\]"):
        schema.validate(bad, schema.REJECTS)
    with pytest.raises(SchemaError, match="column 'row' has dtype float64; expected int64"):
        schema.validate(bad.assign(row=1.0), schema.REJECTS)
    with pytest.raises(SchemaError, match="column 'file' has 1 missing values"):
        schema.validate(bad.assign(row=np.array([1], dtype="int64"), file=[None]), schema.REJECTS)


def test_public_api():
    for name in vesseltrack.__all__:
        assert hasattr(vesseltrack, name), name
    assert issubclass(vesseltrack.InputError, vesseltrack.VesselTrackError)


def test_conform_casts_to_the_spec_and_refuses_missing_columns():
    import pandas as pd
    import pytest

    from vesseltrack import schema
    from vesseltrack.errors import SchemaError

    spec = (schema.Column("name", "str"), schema.Column("n", "Int32"), schema.Column("t", schema.UTC_NS),
            schema.Column("ok", "boolean"))
    df = pd.DataFrame(
        {"extra": [1, 2], "n": [1.0, None], "name": ["a", None], "t": ["2024-01-01T00:00Z"] * 2, "ok": [True, None]},
        index=[5, 7],
    )
    out = schema.conform(df, spec)
    assert list(out.columns) == ["name", "n", "t", "ok"] and list(out.index) == [0, 1]
    assert (
        out["name"].tolist() == ["a", None]
        and str(out["n"].dtype) == "Int32"
        and out["n"].isna().tolist() == [False, True]
    )
    assert str(out["t"].dtype) == schema.UTC_NS and str(out["ok"].dtype) == "boolean"
    with pytest.raises(SchemaError, match=r"columns \['ok'\] missing"):
        schema.conform(df.drop(columns="ok"), spec)
    filled = schema.conform(df.drop(columns="ok"), spec, fill_missing=True)
    assert filled["ok"].isna().all() and str(filled["ok"].dtype) == "boolean"


def test_to_utc_ns_turns_times_nanoseconds_cannot_hold_into_nat():
    import pandas as pd

    from vesseltrack import schema

    s = pd.to_datetime(pd.Series(["2024-03-01T00:00:00", "9999-12-31T00:00:00", None, "1600-01-01T00:00:00"]),
                       format="ISO8601", utc=True, errors="coerce")
    out = schema.to_utc_ns(s)
    assert str(out.dtype) == schema.UTC_NS
    assert out.isna().tolist() == [False, True, True, True]
    assert out.iloc[0] == pd.Timestamp("2024-03-01T00:00:00Z")
