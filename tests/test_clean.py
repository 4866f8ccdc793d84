"""clean.clean and clean.drop_duplicates: rejects by reason, sentinels, contract, idempotence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vesseltrack import schema
from vesseltrack.clean import clean, drop_duplicates
from vesseltrack.tracks import sort_positions

T0 = pd.Timestamp("2024-01-01T00:00:00Z")


def chunk(**cols) -> pd.DataFrame:
    """A reader-style chunk: defaults for the required columns, overridden by ``cols``."""
    n = len(next(iter(cols.values()))) if cols else 1
    base = {
        "mmsi": np.full(n, 244_000_000.0),
        "timestamp": pd.Series(pd.date_range(T0, periods=n, freq="min")),
        "lat": np.full(n, 52.0),
        "lon": np.full(n, 4.0),
    }
    base.update(cols)
    frame = pd.DataFrame(base)
    frame["source_row"] = np.arange(1, n + 1, dtype=np.int64)
    return frame


def test_output_matches_both_specs():
    pos, rej = clean(chunk(mmsi=[244_000_000.0, 1.0]), file="f.csv")
    schema.validate(pos, schema.POSITIONS)
    schema.validate(rej, schema.REJECTS)
    assert list(pos.columns) == schema.names(schema.POSITIONS)


@pytest.mark.parametrize(
    ("cols", "reason", "detail"),
    [
        (dict(mmsi=[np.nan]), "missing_mmsi", "mmsi=missing"),
        (dict(mmsi=[12345.0]), "invalid_mmsi", "mmsi=12345"),
        (dict(mmsi=[1_000_000_000.0]), "invalid_mmsi", "mmsi=1000000000"),
        (dict(mmsi=[244_000_000.5]), "invalid_mmsi", "mmsi=244000000.5"),
        (dict(timestamp=pd.Series([pd.NaT], dtype=schema.UTC_NS)), "bad_timestamp", "timestamp=missing"),
        (dict(lat=[np.nan]), "missing_position", "lat=missing lon=4"),
        (dict(lat=[91.0], lon=[181.0]), "missing_position", "lat=91 lon=181"),
        (dict(lon=[181.0]), "missing_position", "lon=181"),
        (dict(lat=[-95.5]), "lat_out_of_range", "lat=-95.5"),
        (dict(lon=[200.25]), "lon_out_of_range", "lon=200.25"),
    ],
)
def test_each_reject_reason(cols, reason, detail):
    pos, rej = clean(chunk(**cols), file="f.csv")
    assert len(pos) == 0
    assert rej["reason"].tolist() == [reason]
    assert detail in rej["detail"].iloc[0]
    assert rej["file"].tolist() == ["f.csv"] and rej["row"].tolist() == [1]
    assert reason in schema.REJECT_REASONS


def test_precedence_one_reason_per_row():
    frame = chunk(mmsi=[np.nan, 5.0, 244_000_000.0], lat=[95.0, 95.0, 95.0], lon=[200.0, 200.0, 200.0],
                  timestamp=pd.Series([pd.NaT, pd.NaT, T0], dtype=schema.UTC_NS))
    _, rej = clean(frame, file="f")
    assert rej["reason"].tolist() == ["missing_mmsi", "invalid_mmsi", "lat_out_of_range"]


def test_mmsi_as_text_shows_raw_value_and_timestamp_raw_is_used():
    frame = chunk(mmsi=pd.Series(["244000000", "abc", " ", None], dtype="str"),
                  timestamp=pd.Series([T0, T0, T0, T0]))
    frame["timestamp_raw"] = pd.Series([None] * 4, dtype="str")
    pos, rej = clean(frame, file="f")
    assert pos["mmsi"].tolist() == [244_000_000]
    assert rej["reason"].tolist() == ["invalid_mmsi", "missing_mmsi", "missing_mmsi"]
    assert rej["detail"].iloc[0] == "mmsi=abc"
    bad = chunk(timestamp=pd.Series([pd.NaT], dtype=schema.UTC_NS))
    bad["timestamp_raw"] = pd.Series(["yesterday"], dtype="str")
    _, rej = clean(bad, file="f")
    assert rej["detail"].tolist() == ["timestamp=yesterday"]


def test_strict_and_anonymised_ids():
    frame = chunk(mmsi=[7.0, 244_000_000.0, 0.0, -3.0])
    pos, rej = clean(frame, file="f", strict_mmsi=True)
    assert pos["mmsi"].tolist() == [244_000_000] and len(rej) == 3
    pos, rej = clean(frame, file="f", strict_mmsi=False)
    assert pos["mmsi"].tolist() == [7, 244_000_000]
    assert rej["reason"].tolist() == ["invalid_mmsi", "invalid_mmsi"]


def test_sentinels_become_missing():
    n = 4
    frame = chunk(
        mmsi=np.full(n, 244_000_000.0),
        sog_kn=[102.3, 103.0, 12.5, -1.0],
        cog_deg=[360.0, 400.0, -60.6, 359.9],
        heading_deg=[511.0, 360.0, 0.0, 359.0],
        draught_m=[0.0, 7.5, 30.0, np.nan],
        nav_status=[15.0, 0.0, 14.0, np.nan],
        vessel_type=[0.0, 80.0, 100.0, 70.0],
        imo=[0.0, 9_307_839.0, np.nan, 12_345_678.0],
        length_m=[0.0, 200.0, np.nan, 5000.0],
    )
    pos, rej = clean(frame, file="f")
    assert len(rej) == 0
    schema.validate(pos, schema.POSITIONS)
    assert np.isnan(pos["sog_kn"].to_numpy()[[0, 1, 3]]).all() and pos["sog_kn"].iloc[2] == np.float32(12.5)
    cog = pos["cog_deg"].to_numpy()
    assert np.isnan(cog[:2]).all() and cog[2] == pytest.approx(299.4, abs=1e-4) and cog[3] == np.float32(359.9)
    assert np.isnan(pos["heading_deg"].to_numpy()[:2]).all()
    assert pos["draught_m"].isna().tolist() == [True, False, True, True]
    assert pos["nav_status"].tolist()[1:3] == [0, 14] and pos["nav_status"].isna().tolist() == [
        True,
        False,
        False,
        True,
    ]
    assert pos["vessel_type"].isna().tolist() == [True, False, True, False]
    assert pos["imo"].isna().tolist() == [True, False, True, True]
    assert pos["length_m"].isna().tolist() == [True, False, True, True]


def test_text_columns_stripped_and_missing():
    frame = chunk(
        mmsi=np.full(4, 244_000_000.0),
        vessel_name=pd.Series(["  EVER GIVEN@@@", "None", "", "null"], dtype="str"),
        ais_class=pd.Series(["Class A", "B", None, "Class B"], dtype="category"),
    )
    pos, _ = clean(frame, file="f")
    assert pos["vessel_name"].tolist()[0] == "EVER GIVEN"
    assert pos["vessel_name"].isna().tolist() == [False, True, True, True]
    assert pos["ais_class"].tolist()[:2] == ["A", "B"] and pos["ais_class"].tolist()[3] == "B"
    assert isinstance(pos["vessel_name"].dtype, pd.CategoricalDtype)


def test_does_not_mutate_input():
    frame = chunk(mmsi=[1.0, 244_000_000.0], cog_deg=[-10.0, 360.0])
    before = frame.copy(deep=True)
    clean(frame, file="f")
    pd.testing.assert_frame_equal(frame, before)


def test_other_dtypes_accepted():
    frame = pd.DataFrame({
        "mmsi": pd.array([244_000_000, None], dtype="Int64"),
        "timestamp": ["2024-01-01T00:00:00", "2024-01-01T01:00:00+01:00"],
        "lat": ["52.5", "x"], "lon": [4, 5],
    })
    pos, rej = clean(frame, file="f")
    assert pos["timestamp"].tolist() == [pd.Timestamp("2024-01-01T00:00:00Z")]
    assert rej["reason"].tolist() == ["missing_mmsi"] and rej["row"].tolist() == [2]


def test_empty_chunk():
    pos, rej = clean(chunk(mmsi=np.empty(0)), file="f")
    schema.validate(pos, schema.POSITIONS)
    assert len(pos) == 0 and len(rej) == 0


# --- duplicates ---


def test_drop_duplicates_keeps_first_and_only_exact_copies():
    frame = chunk(mmsi=np.full(5, 244_000_000.0),
                  timestamp=pd.Series([T0, T0, T0, T0 + pd.Timedelta("1min"), T0 + pd.Timedelta("1min")]),
                  sog_kn=[1.0, 2.0, 1.0, np.nan, np.nan])
    pos, _ = clean(frame, file="f")
    out, n = drop_duplicates(sort_positions(pos))
    assert n == 2
    assert out["sog_kn"].tolist()[:2] == [1.0, 2.0] and len(out) == 3
    assert isinstance(out.index, pd.RangeIndex)
    same, zero = drop_duplicates(out)
    assert zero == 0 and same is out


# --- properties ---

values = st.one_of(st.floats(allow_nan=True, allow_infinity=False, width=32), st.sampled_from([91.0, 181.0, 511.0]))


@st.composite
def chunks(draw):
    n = draw(st.integers(1, 25))
    mmsi = draw(st.lists(st.sampled_from([244_000_000.0, 366_999_618.0, 5.0, np.nan]), min_size=n, max_size=n))
    secs = draw(st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=n, max_size=n))
    ts = pd.Series([pd.NaT if s is None else T0 + pd.Timedelta(seconds=s) for s in secs], dtype=schema.UTC_NS)
    lat = draw(st.lists(st.one_of(st.floats(-100, 100), st.just(91.0), st.just(np.nan)), min_size=n, max_size=n))
    lon = draw(st.lists(st.one_of(st.floats(-200, 200), st.just(181.0)), min_size=n, max_size=n))
    sog = draw(st.lists(values, min_size=n, max_size=n))
    cog = draw(st.lists(st.floats(-400, 400), min_size=n, max_size=n))
    name = draw(st.lists(st.sampled_from(["A@@", " B ", "", None, "C"]), min_size=n, max_size=n))
    status = draw(st.lists(st.sampled_from([0.0, 5.0, 15.0, np.nan, 99.0]), min_size=n, max_size=n))
    return chunk(mmsi=mmsi, timestamp=ts, lat=lat, lon=lon, sog_kn=sog, cog_deg=cog, nav_status=status,
                 vessel_name=pd.Series(name, dtype="str"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks())
def test_clean_is_idempotent_and_counts_add_up(frame):
    pos, rej = clean(frame, file="f")
    assert len(pos) + len(rej) == len(frame)
    schema.validate(pos, schema.POSITIONS)
    schema.validate(rej, schema.REJECTS)
    again, rej2 = clean(pos, file="f")
    assert len(rej2) == 0
    pd.testing.assert_frame_equal(again, pos)


def test_clean_chunk_filters_and_orders_in_one_gather():
    from vesseltrack.clean import clean_chunk

    frame = chunk(mmsi=[366_999_618.0, 1.0, 244_000_000.0, 244_000_000.0],
                  timestamp=pd.Series([T0, T0, T0 + pd.Timedelta("1min"), T0]))
    pos, rej = clean_chunk(frame, file="f", sort=lambda m, t: np.lexsort((t, m)))
    assert pos["mmsi"].tolist() == [244_000_000, 244_000_000, 366_999_618]
    assert pos["timestamp"].tolist() == [T0, T0 + pd.Timedelta("1min"), T0]
    assert rej["row"].tolist() == [2]
    plain, _ = clean(frame, file="f")
    assert plain["mmsi"].tolist() == [366_999_618, 244_000_000, 244_000_000]
