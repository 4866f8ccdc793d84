"""Land and sea at coastal precision: vesseltrack.shore (Natural Earth 1:10m near coasts, the 0.1-degree
grid far from them)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import shared_ais
from vesseltrack import shore, zones
from vesseltrack.errors import ConfigError
from vesseltrack.geo import BLOCK_ROWS

NY_HARBOR = "tracktable_marinecadastre/NYHarbor_2020_06_30_first_hour.csv"


def d1(lat: float, lon: float) -> float:
    return float(shore.shore_distance_km(np.array([lat]), np.array([lon]))[0])


def exact_km(lat: float, lon: float) -> float:
    """Distance to the shipped coastline by shapely, in an equirectangular projection around the point."""
    land = shore.land_in_bbox(lon - 1.5, lat - 1.0, lon + 1.5, lat + 1.0)
    k = math.cos(math.radians(lat)) * math.pi * 6371.0088 / 180
    proj = shapely.transform(
        land.boundary, lambda xy: np.column_stack([(xy[:, 0] - lon) * k, (xy[:, 1] - lat) * math.pi * 6371.0088 / 180])
    )
    return float(shapely.distance(shapely.Point(0, 0), proj))


@pytest.mark.parametrize(("name", "lat", "lon", "lo", "hi"), [
    ("open Atlantic", 30.0, -40.0, 500, 1000),
    ("inland Paris", 48.86, 2.35, -1000, -100),
    ("New York Upper Bay", 40.66, -74.05, 1.0, 4.0),      # coarse grid: 0 km
    ("Manhattan, Central Park", 40.78, -73.97, -3.0, -0.5),
    ("Hudson off Midtown", 40.75, -74.01, 0.05, 1.5),    # coarse grid: -7.6 km (inland)
    ("Hudson off Washington Heights", 40.85, -73.95, 0.05, 1.5),  # coarse grid: -14 km
    ("Bosporus at Istanbul", 41.10, 29.06, 0.0, 1.0),      # coarse grid: -5 km
    ("lower Elbe off Brunsbuettel", 53.88, 9.15, 0.3, 3.0),  # coarse grid: -4 km
])
def test_known_places(name, lat, lon, lo, hi):
    assert lo < d1(lat, lon) < hi, name


@pytest.mark.xfail(strict=True, reason="Natural Earth 1:10m land counts these canals, lakes, rivers and basins as land")
@pytest.mark.parametrize(("name", "lat", "lon"), [
    ("Great Bitter Lake (Suez Canal)", 30.35, 32.38),
    ("Suez Canal at Ismailia", 30.58, 32.33),
    ("Golden Horn bay, Vladivostok", 43.11, 131.89),
    ("Elbe at Hamburg's Waltershof", 53.545, 9.92),
    ("Nieuwe Waterweg, Rotterdam", 51.955, 4.10),
])
def test_basins_natural_earth_does_not_resolve(name, lat, lon):
    assert d1(lat, lon) > 0, name


def test_golden_horn_is_at_the_coast_not_inland():
    """What the refinement does give there: within Natural Earth's ~1 km of the coastline."""
    assert -1.5 < d1(43.11, 131.89) < 0


def test_distance_matches_shapely_on_the_shipped_coastline():
    rng = np.random.default_rng(5)
    lat = rng.uniform(40.45, 40.9, 40)
    lon = rng.uniform(-74.2, -73.8, 40)
    d = shore.shore_distance_km(lat, lon)
    ex = np.array([exact_km(a, o) for a, o in zip(lat, lon)])
    # centre of the 1e-3 degree cell (<= 80 m), or of the 1e-4 cell near the coast (<= 8 m)
    assert np.all(np.abs(np.abs(d) - ex) < 0.1)


def test_nan_in_nan_out_and_on_land_false():
    lat = np.array([np.nan, 40.66, 40.78, 10.0])
    lon = np.array([0.0, -74.05, -73.97, np.nan])
    d = shore.shore_distance_km(lat, lon)
    assert np.isnan(d[0]) and np.isnan(d[3]) and d[1] > 0 and d[2] < 0
    assert shore.on_land(lat, lon).tolist() == [False, False, True, False]


def test_empty_and_mismatched_input():
    assert shore.shore_distance_km(np.array([]), np.array([])).shape == (0,)
    with pytest.raises(ConfigError, match="lat and lon differ in length: 2 and 1"):
        shore.shore_distance_km(np.array([1.0, 2.0]), np.array([1.0]))


def test_far_from_coasts_values_are_the_coarse_grid():
    rng = np.random.default_rng(3)
    lat = np.r_[rng.uniform(-90, 90, 300_000), 90.0, -90.0, 30.0, 48.86]
    lon = np.r_[rng.uniform(-180, 180, 300_000), 180.0, -180.0, -40.0, 2.35]
    km, res, north, west = shore._coarse()
    iy = np.clip(((north - lat) / res).astype(np.int64), 0, km.shape[0] - 1)
    ix = np.clip(((lon - west) / res).astype(np.int64), 0, km.shape[1] - 1)
    coarse = km[iy, ix].astype(float)
    near = shore._land().near[iy, ix]
    d = shore.shore_distance_km(lat, lon)
    assert np.array_equal(d[~near], coarse[~near])
    assert np.array_equal(shore.coarse_shore_distance_km(lat, lon), coarse)
    assert 0.03 < near.mean() < 0.15  # the refined band is a small part of the globe
    assert np.all(np.abs(d) <= 1000)


def test_where_the_sources_disagree_natural_earth_decides():
    """The coarse grid has the Caspian Sea as land (-870 km); Natural Earth has it as sea."""
    lat, lon = np.array([41.94, 42.5]), np.array([52.30, 50.5])
    assert np.all(shore.coarse_shore_distance_km(lat, lon) < -500)
    d = shore.shore_distance_km(lat, lon)
    assert np.all(d > 0) and np.all(d <= 1000)


def test_zones_delegates():
    lat, lon = np.array([40.66, 40.78, 30.0, np.nan]), np.array([-74.05, -73.97, -40.0, 1.0])
    np.testing.assert_array_equal(zones.shore_distance_km(lat, lon), shore.shore_distance_km(lat, lon))


def test_a_point_does_not_depend_on_the_others_nor_on_blocks():
    """Cells are cached within a call and across its blocks: the values must not change."""
    rng = np.random.default_rng(9)
    lat = rng.uniform(40.4, 40.95, 2000)
    lon = rng.uniform(-74.3, -73.7, 2000)
    alone = np.array([d1(a, o) for a, o in zip(lat[:50], lon[:50])])
    batch = shore.shore_distance_km(lat, lon)
    np.testing.assert_array_equal(batch[:50], alone)
    idx = rng.integers(0, len(lat), BLOCK_ROWS + 1000)  # over two blocks, cells met again in the second
    np.testing.assert_array_equal(shore.shore_distance_km(lat[idx], lon[idx]), batch[idx])


coastal = st.one_of(
    st.tuples(st.floats(40.3, 41.0), st.floats(-74.4, -73.6)),    # New York
    st.tuples(st.floats(33.5, 46.0), st.floats(126.0, 142.0)),    # Korea, Japan, Vladivostok
    st.tuples(st.floats(53.0, 60.0), st.floats(4.0, 12.0)),       # North Sea, Skagerrak
    st.tuples(st.floats(-89.9, 89.9), st.floats(-180.0, 180.0)),  # anywhere
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(coastal, st.just((math.nan, math.nan)), st.tuples(st.just(math.nan), st.floats(-180, 180))),
                min_size=1, max_size=30))
def test_sign_agrees_with_on_land_and_nan_in_nan_out(points):
    lat = np.array([p[0] for p in points])
    lon = np.array([p[1] for p in points])
    d = shore.shore_distance_km(lat, lon)
    land = shore.on_land(lat, lon)
    nan = np.isnan(lat) | np.isnan(lon)
    assert np.array_equal(np.isnan(d), nan)
    assert np.array_equal(land, d < 0)
    assert not land[nan].any()
    assert np.all(np.abs(d[~nan]) <= 1000)
    np.testing.assert_array_equal(shore.shore_distance_km(lat[::-1], lon[::-1]), d[::-1])


def test_land_in_bbox():
    g = shore.land_in_bbox(-74.3, 40.4, -73.7, 41.0)
    assert g.is_valid and g.geom_type in ("Polygon", "MultiPolygon")
    assert g.contains(shapely.Point(-73.97, 40.78)) and not g.contains(shapely.Point(-74.05, 40.66))
    minx, miny, maxx, maxy = g.bounds
    assert -74.3 <= minx and maxx <= -73.7 and 40.4 <= miny and maxy <= 41.0
    whole = shore.land_in_bbox(2.0, 48.0, 3.0, 49.0)  # a tile that is all land
    assert whole.area == pytest.approx(1.0)
    assert shore.land_in_bbox(-41, 29, -39, 31).is_empty
    with pytest.raises(ConfigError, match=r"bbox \(1, 0, 0, 1\) invalid; expected lon0 < lon1"):
        shore.land_in_bbox(1, 0, 0, 1)


def test_small_islands_the_coarse_grid_misses_are_land():
    """Natural Earth minor islands: Clipperton (the coarse grid puts it 960 km out at sea)."""
    assert shore.coarse_shore_distance_km(np.array([10.30]), np.array([-109.22]))[0] > 0
    assert shore.on_land(np.array([10.30]), np.array([-109.22]))[0]


@pytest.mark.realdata
def test_new_york_harbour_moving_ships_are_at_sea():
    df = pd.read_csv(shared_ais() / NY_HARBOR, usecols=["LAT", "LON", "SOG"])
    moving = df[df["SOG"] > 3]
    d = shore.shore_distance_km(moving["LAT"].to_numpy(float), moving["LON"].to_numpy(float))
    coarse = shore.coarse_shore_distance_km(moving["LAT"].to_numpy(float), moving["LON"].to_numpy(float))
    assert len(moving) > 1000
    assert (d >= 0).mean() > 0.93      # measured 0.957 (the rest: piers, basins and marinas under 2 km)
    assert (coarse >= 0).mean() < 0.6  # the 0.1-degree grid alone: 0.569
    assert d.min() > -2.5              # none is "inland" any more
