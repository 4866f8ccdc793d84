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


@pytest.fixture(scope="module")
def sim_steps():
    from vesseltrack import scenarios, tracks

    pos = scenarios.generate(3, n_vessels=30, days=6).positions
    return add_steps(tracks.sort_positions(pos), segment_gap_h=6.0)


@pytest.mark.parametrize("n_parts", [2, 3, 7])
def test_partials_of_any_partitioning_combine_to_the_whole_tables_map(sim_steps, n_parts):
    """reception.partial per partition of the vessels, then combine: exactly build_reception's map."""
    from vesseltrack import reception
    from vesseltrack.store import bucket_of

    whole = build_reception(sim_steps)
    b = bucket_of(sim_steps["mmsi"].to_numpy(), n_parts)
    parts = [reception.partial(sim_steps[b == i].reset_index(drop=True)) for i in range(n_parts)]
    got = reception.combine(parts[::-1])
    assert len(whole.table) > 0 and len(whole.silence_keys) > 0
    assert got.table.equals(whole.table)
    assert got.fleet_hours == whole.fleet_hours
    for name in ("fleet_rate", "silence_keys", "silence_all", "heard_keys", "heard_cum"):
        assert np.array_equal(getattr(got, name), getattr(whole, name)), name


def test_combine_needs_partials_of_one_grid():
    from vesseltrack import reception

    steps = add_steps(make_positions(track(1, "2024-01-01", 30)), segment_gap_h=6.0)
    with pytest.raises(ValueError, match="at least one"):
        reception.combine([])
    with pytest.raises(ValueError, match="different cell sizes"):
        reception.combine([reception.partial(steps), reception.partial(steps, cell_deg=1.0)])
