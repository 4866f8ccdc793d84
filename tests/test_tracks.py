import numpy as np
import pandas as pd
import pytest
from conftest import make_positions
from hypothesis import given, settings
from hypothesis import strategies as st

from vesseltrack import schema
from vesseltrack.tracks import add_steps, sort_order, sort_positions, vessel_starts


def test_sort_positions_orders_by_vessel_then_time_and_keeps_input():
    df = make_positions(
        [
            dict(mmsi=2, t="2024-01-01T01:00", lat=1, lon=1),
            dict(mmsi=1, t="2024-01-01T02:00", lat=1, lon=1),
            dict(mmsi=1, t="2024-01-01T00:00", lat=1, lon=1),
        ]
    )
    shuffled = df.iloc[[2, 0, 1]].reset_index(drop=True)
    before = shuffled.copy()
    out = sort_positions(shuffled)
    assert out["mmsi"].tolist() == [1, 1, 2]
    assert out["timestamp"].is_monotonic_increasing is False  # vessel 2 starts earlier than vessel 1 ends
    assert out["timestamp"].iloc[0] < out["timestamp"].iloc[1]
    pd.testing.assert_frame_equal(shuffled, before)  # input untouched


def test_sort_order_is_none_when_already_sorted():
    assert sort_order(np.array([1, 1, 2]), np.array([0, 5, 1])) is None


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 10**6)), min_size=0, max_size=60))
@settings(max_examples=60, deadline=None)
def test_sort_order_matches_lexsort(pairs):
    mmsi = np.array([p[0] for p in pairs], dtype=np.int32)
    ts = np.array([p[1] for p in pairs], dtype=np.int64)
    order = sort_order(mmsi, ts)
    order = np.arange(len(mmsi)) if order is None else order
    expected = np.lexsort((ts, mmsi))
    assert (mmsi[order] == mmsi[expected]).all() and (ts[order] == ts[expected]).all()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([3, 1, 2, 700_000_000]), st.integers(0, 5)), min_size=0, max_size=40))
def test_sort_order_is_the_stable_sort_by_vessel_and_time(pairs):
    """The one sort of ingest chunks and tracks (radix by vessel, verified; else by time first)."""
    mmsi = np.array([p[0] for p in pairs], dtype=np.int32)
    ts = np.array([p[1] for p in pairs], dtype=np.int64)
    for t in (ts, np.sort(ts)):
        got, expected = sort_order(mmsi, t), np.lexsort((t, mmsi))  # lexsort is stable
        if got is None:
            assert (expected == np.arange(len(pairs))).all()
        else:
            assert (got == expected).all()


def test_add_steps_known_answer():
    df = make_positions(
        [
            dict(mmsi=1, t="2024-01-01T00:00", lat=0, lon=0),
            dict(mmsi=1, t="2024-01-01T01:00", lat=0, lon=1),
            dict(mmsi=1, t="2024-01-01T09:00", lat=0, lon=1),
            dict(mmsi=2, t="2024-01-01T00:00", lat=0, lon=0),
        ]
    )
    out = add_steps(df, segment_gap_h=6)
    schema.validate(out, schema.POSITIONS + schema.STEPS, name="steps")
    assert np.isnan(out["dt_s"].iloc[0]) and np.isnan(out["dt_s"].iloc[3])
    assert out["dt_s"].iloc[1] == 3600
    assert abs(out["distance_m"].iloc[1] - 111_195) < 10  # one degree of longitude at the equator
    assert abs(out["implied_speed_kn"].iloc[1] - 111_195 / 1852) < 0.01
    assert out["segment_id"].tolist() == [0, 0, 1, 2]


def test_vessel_starts():
    assert vessel_starts(np.array([1, 1, 2, 3, 3])).tolist() == [True, False, True, True, False]
    assert vessel_starts(np.array([], dtype=np.int32)).tolist() == []


def test_step_distances_match_haversine_across_chunks():
    from vesseltrack.geo import haversine_m, step_distances_m
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-80, 80, 1001), rng.uniform(-180, 180, 1001)
    want = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    for chunk in (1, 7, 1000, 5000):
        np.testing.assert_allclose(step_distances_m(lat, lon, chunk=chunk), want, rtol=1e-12, atol=1e-6)
        into = np.full(len(lat), -1.0)
        assert step_distances_m(lat, lon, chunk=chunk, out=into[1:]) is not None and into[0] == -1.0
        np.testing.assert_array_equal(into[1:], step_distances_m(lat, lon, chunk=chunk))
    with pytest.raises(ValueError, match="out must be float64 of length 2"):
        step_distances_m(np.zeros(3), np.zeros(3), out=np.empty(3))
    assert step_distances_m(lat[:1], lon[:1]).size == 0 and step_distances_m(lat[:0], lon[:0]).size == 0


def test_is_sorted_across_blocks():
    from vesseltrack.geo import BLOCK_ROWS
    from vesseltrack.tracks import is_sorted

    n = BLOCK_ROWS + 10
    mmsi = np.repeat(np.array([1, 2], dtype=np.int32), [BLOCK_ROWS - 5, 15])
    ts = np.r_[np.arange(BLOCK_ROWS - 5), np.arange(15)].astype(np.int64)
    assert is_sorted(mmsi, ts)
    ts_bad = ts.copy()
    ts_bad[BLOCK_ROWS + 1] = -1  # a step back in time inside vessel 2, in the second block
    assert not is_sorted(mmsi, ts_bad)
    assert not is_sorted(mmsi[::-1], ts[::-1]) and is_sorted(mmsi[:0], ts[:0]) and len(mmsi) == n


def test_search_seconds_matches_a_linear_scan():
    from vesseltrack.tracks import search_seconds

    rng = np.random.default_rng(2)
    ts = np.sort(rng.integers(0, 50, 200)) * 1_000_000_000 + rng.integers(0, 10**9, 200)
    ts.sort()
    lo = rng.integers(0, 200, 500)
    hi = np.minimum(lo + rng.integers(0, 60, 500), 200)
    target = rng.integers(-5, 55, 500)
    base = int(rng.integers(0, 10**9))
    for strict in (False, True):
        got = search_seconds(ts, lo, hi, target, base=base, strict=strict)
        s = (ts - base) // 1_000_000_000
        want = [
            next((j for j in range(a, b) if (s[j] > t if strict else s[j] >= t)), b) for a, b, t in zip(lo, hi, target)
        ]
        assert got.tolist() == want
