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


def _conform_column_by_column(df, spec):
    """The plain definition of conform (each column cast on its own, then one frame): the oracle for the fast one."""
    n = len(df)
    cols = {}
    for col in spec:
        s = df[col.name] if col.name in df.columns else pd.Series([None] * n, dtype=object)
        cols[col.name] = schema._cast(s, col).reset_index(drop=True)
    return pd.DataFrame(cols)


def _raw_rows(spec, n=4):
    """Rows for every column of ``spec`` as a reader or detector hands them over (uncast; missing values mixed)."""
    rng = np.random.default_rng(7)
    gap = np.arange(n) % 3 == 1  # rows where nullable columns are missing
    cols = {}
    for c in spec:
        if c.dtype in ("str", "category"):
            v = np.array([f"v{i}" for i in range(n)], dtype=object)
            v[gap & c.nullable] = np.nan if c.dtype == "str" else None
        elif c.dtype == schema.UTC_NS:
            v = np.array([f"2024-03-0{1 + i % 9}T0{i % 10}:00:00Z" for i in range(n)], dtype=object)
        elif c.dtype == "boolean":
            v = np.array([bool(i % 2) for i in range(n)], dtype=object)
            v[gap & c.nullable] = None
        else:
            lo = 0 if c.min is None else c.min
            v = (lo + rng.integers(1, 9, n)).astype("float64")
            if c.nullable:
                v[gap] = np.nan
        cols[c.name] = v
    return pd.DataFrame(cols, index=np.arange(10, 10 + n))


def _assert_identical(got, want):
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    for name in got.columns:  # the same Python objects for missing text (None, not NaN) and the same tz object
        assert [type(v) for v in got[name].tolist()] == [type(v) for v in want[name].tolist()], name
        if isinstance(got[name].dtype, pd.DatetimeTZDtype):
            assert got[name].dtype.tz is want[name].dtype.tz, name


@pytest.mark.parametrize("name", list(schema.SPECS))
def test_conform_gives_what_casting_column_by_column_gives(name):
    spec = schema.SPECS[name]
    raw = _raw_rows(spec)
    _assert_identical(schema.conform(raw, spec), _conform_column_by_column(raw, spec))
    typed = schema.conform(raw, spec)  # already conformed, on another index: casts are no-ops
    shifted = typed.set_axis(np.arange(100, 100 + len(typed)))
    _assert_identical(schema.conform(shifted, spec), typed)
    nullable = [c.name for c in spec if c.nullable]
    partial = raw.drop(columns=nullable[::2]).assign(extra=1)  # missing columns filled, extra dropped
    _assert_identical(schema.conform(partial, spec, fill_missing=True), _conform_column_by_column(partial, spec))
    for empty_input in (pd.DataFrame(), raw.iloc[:0], typed.iloc[:0]):
        _assert_identical(schema.conform(empty_input, spec, fill_missing=True),
                          _conform_column_by_column(empty_input, spec))
    _assert_identical(schema.conform(pd.DataFrame(), spec, fill_missing=True), schema.empty(spec))


def test_conform_and_empty_hand_out_frames_of_their_own():
    typed = schema.conform(_raw_rows(schema.EVENTS), schema.EVENTS)
    before = typed.copy()
    out = schema.conform(typed, schema.EVENTS)
    out.loc[0, "score"] = 0.5
    out.loc[0, "event_id"] = "changed"
    out.loc[0, "start_time"] = pd.Timestamp("2000-01-01", tz="UTC")
    _assert_identical(typed, before)  # the input is untouched by changes to the output
    first = schema.empty(schema.EVENTS)
    first["extra"] = pd.Series([], dtype="float64")
    again = schema.conform(pd.DataFrame(), schema.EVENTS, fill_missing=True)
    again["more"] = pd.Series([], dtype="float64")
    assert list(schema.empty(schema.EVENTS).columns) == schema.names(schema.EVENTS)


def test_conform_keeps_categories_of_an_empty_categorical_column():
    spec = (schema.Column("ais_class", "category"),)
    df = pd.DataFrame({"ais_class": pd.Categorical([], categories=["A", "B"])})
    out = schema.conform(df, spec)
    assert list(out["ais_class"].cat.categories) == ["A", "B"]
    _assert_identical(out, _conform_column_by_column(df, spec))
