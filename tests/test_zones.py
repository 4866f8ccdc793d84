import json

import numpy as np
import pytest

from vesseltrack import zones
from vesseltrack.errors import ConfigError


@pytest.fixture(scope="module")
def gaz():
    return zones.build_gazetteer()


def test_shipped_gazetteer_has_the_sensitive_ports(gaz):
    sens = set(gaz.names[gaz.sensitive])
    for p in [
        "VOSTOCHNY",
        "KOZMINO",
        "NAKHODKA",
        "VLADIVOSTOK",
        "SLAVYANKA",
        "RAJIN",
        "CHONGJIN",
        "HUNGNAM",
        "NAMPO",
        "SONGRIM",
    ]:
        assert p in sens
    assert len(gaz.zones) > 3000  # World Port Index too


def test_assign_zone_known_points(gaz):
    lat = np.array([42.745, 42.72, 40.0, 38.72, np.nan])
    lon = np.array([133.075, 133.03, 130.0, 125.39, np.nan])
    z = zones.assign_zone(lat, lon, gaz)
    assert list(gaz.names[z[:2]]) == ["VOSTOCHNY", "KOZMINO"]
    assert z[2] == -1 and gaz.names[z[3]] == "NAMPO" and z[4] == -1


def test_assign_zone_matches_brute_force(gaz):
    rng = np.random.default_rng(3)
    lat = np.concatenate([rng.uniform(40.3, 41.0, 3000), rng.uniform(38, 44, 3000)])
    lon = np.concatenate([rng.uniform(-74.4, -73.6, 3000), rng.uniform(124, 134, 3000)])
    got = zones.assign_zone(lat, lon, gaz)
    from vesseltrack.geo import haversine_m
    zl, zo, zr = gaz.zones["lat"].to_numpy(), gaz.zones["lon"].to_numpy(), gaz.zones["radius_m"].to_numpy()
    d = haversine_m(lat[:, None], lon[:, None], zl[None], zo[None])
    inside = d <= zr[None]
    d = np.where(inside, d, np.inf)
    want = np.where(inside.any(axis=1), d.argmin(axis=1), -1)
    # equirectangular vs haversine may differ only for points within centimetres of a circle's edge
    assert (got == want).mean() > 0.999


def test_user_geojson_polygon_and_point(tmp_path):
    f = tmp_path / "z.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "sts box"},
         "geometry": {"type": "Polygon", "coordinates": [[[124, 38], [125, 38], [125, 39], [124, 39], [124, 38]]]}},
        {"type": "Feature", "properties": {"name": "buoy", "radius_m": 2000, "sensitive": False},
         "geometry": {"type": "Point", "coordinates": [130.0, 40.0]}}]}))
    g = zones.build_gazetteer([f], replace=True)
    z = zones.assign_zone(np.array([38.5, 40.0, 40.05, 37.0]), np.array([124.5, 130.0, 130.0, 124.5]), g)
    assert list(z) == [0, 1, -1, -1]
    assert list(g.sensitive) == [True, False]


def test_bad_zone_files(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(
        ConfigError, match=r"bad.geojson: not valid JSON at line 1; expected a GeoJSON FeatureCollection"
    ):
        zones.build_gazetteer([bad])
    line = tmp_path / "line.geojson"
    line.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}]}))
    with pytest.raises(ConfigError, match="is a LineString; expected Point, Polygon or MultiPolygon"):
        zones.build_gazetteer([line])
    with pytest.raises(ConfigError, match="no zone files were given"):
        zones.build_gazetteer([], replace=True)


def test_nearest_sensitive(gaz):
    d, i = zones.nearest_sensitive(np.array([42.745, np.nan]), np.array([133.075, 0.0]), gaz)
    assert d[0] < 0.01 and gaz.names[i[0]] == "VOSTOCHNY"
    assert np.isnan(d[1]) and i[1] == -1


def test_shore_distance_known_places():
    lat = np.array([38.0, 42.5, 36.0, 40.0, 40.5, np.nan])
    lon = np.array([127.5, 134.0, -40.0, 130.5, -74.0, 0.0])
    d = zones.shore_distance_km(lat, lon)
    assert d[0] < -50            # central Korean peninsula: inland
    assert 20 < d[1] < 120       # off Vostochny, in the Sea of Japan
    assert d[2] > 500            # mid-Atlantic, far from the Azores
    assert d[3] > 100            # middle of the Sea of Japan
    assert -15 < d[4] < 15       # New York harbour, at the coast
    assert np.isnan(d[5])


def test_coarse_shore_distance_is_the_grid_cell_lookup():
    """Far from coasts (and as the first pass everywhere) distances are the shipped grid's cells: the
    coarse lookup equals the plain floor-division lookup (near coasts shore.py refines it)."""
    from vesseltrack import shore

    km, res, north, west = zones._shore_grid()
    rng = np.random.default_rng(3)
    lat = np.r_[rng.uniform(-90, 90, 1_200_000), 90.0, -90.0, north - res * 17]  # more than one block
    lon = np.r_[rng.uniform(-180, 180, 1_200_000), 180.0, -180.0, west + res * 5]
    iy = np.clip(((north - lat) / res).astype(np.int64), 0, km.shape[0] - 1)
    ix = np.clip(((lon - west) / res).astype(np.int64), 0, km.shape[1] - 1)
    assert np.array_equal(shore.coarse_shore_distance_km(lat, lon), km[iy, ix].astype(float))


def _fc(*feats) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(feats)})


def _point(props, coords=(130.0, 40.0)) -> dict:
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": list(coords)}}


_NAN_RADIUS = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"radius_m": NaN}, '
               '"geometry": {"type": "Point", "coordinates": [130, 40]}}]}')
_BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
_RADIUS = r"expected a number of metres above 0 and at most 500000 \(default 5000\); draw a Polygon for a larger area"


@pytest.mark.parametrize("text, message", [
    (_fc(_point({"radius_m": 1e30})), r"feature 1 \('z_1'\) has radius_m=1e\+30; " + _RADIUS),
    (_fc(_point({"radius_m": -5})), r"has radius_m=-5; " + _RADIUS),
    (_fc(_point({"radius_m": 0})), r"has radius_m=0; " + _RADIUS),
    (_NAN_RADIUS, r"has radius_m=nan; " + _RADIUS),
    (_fc(_point({"radius_m": "2000"})), r"has radius_m='2000'; " + _RADIUS),
    (_fc(_point({"name": "swapped"}, (40.0, 130.0))),
     r"feature 1 \('swapped'\) has coordinates from \(40.0, 130.0\) to \(40.0, 130.0\); expected \[longitude, "
     r"latitude\]"),
    (_fc(_point({}, ())), "has an empty geometry; expected coordinates"),
    (_fc({"type": "Feature", "properties": {}, "geometry": _BOWTIE}),
     r"is not a valid polygon \(Self-intersection\[0.5 0.5\]\); expected a polygon whose ring does not cross itself"),
    (_fc(_point({"sensitive": "false"})), "has sensitive='false'; expected true or false"),
    (_fc([1, 2]), "feature 1 \\(None\\) is a list; expected a Feature object"),
    (_fc({"type": "Feature", "properties": [1], "geometry": None}), "has properties of type list; expected an object"),
    (_fc({"type": "Feature", "properties": {}, "geometry": None}), "has no valid geometry"),
    (_fc({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[1]]}}),
     "has no valid geometry"),
    ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply to be GeoJSON"),
])
def test_bad_zone_geometry_and_properties_are_refused(tmp_path, text, message):
    f = tmp_path / "z.geojson"
    f.write_text(text)
    with pytest.raises(ConfigError, match=message):
        zones.build_gazetteer([f])


def test_a_zone_file_that_is_not_text_is_refused(tmp_path):
    f = tmp_path / "zones.geojson.gz"
    f.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe\x00\x01")
    with pytest.raises(ConfigError, match=r"zones.geojson.gz: not a text file \(byte 1 is not UTF-8\); expected"):
        zones.build_gazetteer([f])


def test_the_largest_point_zone_is_accepted(tmp_path):
    f = tmp_path / "big.geojson"
    f.write_text(_fc(_point({"radius_m": zones.MAX_ZONE_RADIUS_M, "sensitive": False}, (-180, -90))))
    g = zones.build_gazetteer([f], replace=True)
    assert g.zones["radius_m"].tolist() == [500_000.0] and list(g.sensitive) == [False]
