import numpy as np
import pandas as pd
import pytest
from conftest import make_positions, track

from vesseltrack.reception import build_reception, cell_ids, gap_reception
from vesseltrack.tracks import add_steps


def fleet():
    """A well-heard cell around (40.1, 130.1): 5 ships reporting every 10 min for 4 days.
    A poorly heard cell around (30.1, 150.1): 5 ships heard by satellite passes, silences of
    1-40 h (heavy-tailed). Then a dark ship silent 30 h in the busy cell, and a natural 30 h
    outage in the quiet one."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(5):
        rows += track(100000000 + i, "2024-01-01T00:00", 576, lat0=40.1 + 0.01 * i, lon0=130.1, dlon=0.0001)
        gaps_h = np.minimum(rng.pareto(1.2, 40) * 2 + 1, 40)
        t = pd.Timestamp("2024-01-01T00:00Z") + pd.to_timedelta(np.cumsum(gaps_h), unit="h")
        rows += [
            dict(mmsi=200000000 + i, t=str(x), lat=30.1 + 0.01 * i, lon=150.1 + 0.0005 * k) for k, x in enumerate(t)
        ]
    rows += track(300000001, "2024-01-01T00:00", 6, lat0=40.2, lon0=130.2, dlon=0.0) + track(
        300000001, "2024-01-02T07:00", 6, lat0=40.2, lon0=130.2, dlon=0.0
    )
    rows += track(300000002, "2024-01-01T00:00", 3, every_min=180, lat0=30.2, lon0=150.2, dlon=0.0) + track(
        300000002, "2024-01-02T12:00", 3, every_min=180, lat0=30.2, lon0=150.2, dlon=0.0
    )
    return add_steps(make_positions(rows, ais_class="A"), segment_gap_h=6)


def test_rates_are_learnt_per_cell():
    steps = fleet()
    rmap = build_reception(steps, min_steps=5)
    busy = rmap.rate(cell_ids(np.array([40.1]), np.array([130.1]), 0.5), np.array([0]))[0]
    assert busy == pytest.approx(6.0, rel=0.05)
    nowhere = rmap.rate(cell_ids(np.array([0.0]), np.array([0.0]), 0.5), np.array([0]))[0]
    assert nowhere == pytest.approx(rmap.fleet_rate[0])


def test_dark_ship_among_heard_neighbours_is_improbable_natural_outage_is_not():
    steps = fleet()
    rmap = build_reception(steps, min_steps=5)
    gap_end = np.flatnonzero(steps["dt_s"].to_numpy() > 6 * 3600)
    m = steps["mmsi"].to_numpy()[gap_end]
    got = gap_reception(steps, gap_end - 1, gap_end, steps["timestamp"].array.asi8[gap_end], rmap)
    dark, natural = int(np.flatnonzero(m == 300000001)[0]), int(np.flatnonzero(m == 300000002)[0])
    assert got["silence_per_day_log10"][dark] < -2.0      # no ship there was ever silent that long
    assert got["silence_per_day_log10"][natural] > -1.5   # long silences are common there
    assert got["others_heard"][dark] > 500 and got["others_heard"][natural] < 60


def test_silence_chance_leaves_the_gap_itself_out():
    steps = fleet()
    rmap = build_reception(steps, min_steps=5)
    c = cell_ids(np.array([40.2]), np.array([130.2]), 0.5)
    with_self = rmap.silence_rate(c, np.array([0]), np.array([30 * 3600]), np.array([0]))[0]
    without = rmap.silence_rate(c, np.array([0]), np.array([30 * 3600]), np.array([1]))[0]
    assert without < with_self


def test_cell_ids_match_floor_division_and_mark_nan():
    rng = np.random.default_rng(5)
    lat = np.r_[rng.uniform(-90, 90, 1_200_000), 90.0, -90.0, 12.5, np.nan, 3.0]  # more than one block
    lon = np.r_[rng.uniform(-180, 180, 1_200_000), 180.0, -180.0, -0.5, 3.0, np.nan]
    got = cell_ids(lat, lon, 0.5)
    iy, ix = np.floor((lat + 90) / 0.5), np.floor((lon + 180) / 0.5)
    ok = ~(np.isnan(lat) | np.isnan(lon))
    want = np.full(len(lat), -1)
    want[ok] = iy[ok].astype(np.int64) * 720 + np.clip(ix[ok].astype(np.int64), 0, 719)
    assert np.array_equal(got, want)
