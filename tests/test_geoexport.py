import json

import geopandas as gpd
import pytest
from _investigate_data import DARK, HOSTILE, small_result

from vesseltrack import geoexport, schema


@pytest.fixture(scope="module")
def result():
    return small_result()


@pytest.fixture(scope="module")
def files(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("geo")
    return out, geoexport.write_geo(result, out)


def test_writes_four_files(files):
    out, written = files
    assert [p.name for p in written] == ["events.geojson", "tracks.geojson", "events.parquet", "tracks.parquet"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)  # no temporary files left


def test_events_geojson_rfc7946_contract(files, result):
    doc = json.loads((files[0] / "events.geojson").read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    feats = doc["features"]
    assert len(feats) == len(result.events)
    for f in feats:
        assert f["type"] == "Feature"
        assert list(f["properties"]) == schema.names(schema.EVENTS)
        p, g = f["properties"], f["geometry"]
        if p["event_type"] == "gap" and p["end_lat"] is not None:
            assert g["type"] == "LineString"
            assert g["coordinates"] == [[p["start_lon"], p["start_lat"]], [p["end_lon"], p["end_lat"]]]
        else:
            assert g["type"] == "Point" and g["coordinates"] == [p["start_lon"], p["start_lat"]]
    gap = next(
        f["properties"] for f in feats if f["properties"]["mmsi"] == DARK and f["properties"]["event_type"] == "gap"
    )
    assert gap["vessel_name"] == HOSTILE  # stored as broadcast: JSON is data, escaped where displayed
    assert gap["start_time"].endswith("Z") and gap["is_closed"] is True
    src = result.events.set_index("event_id").loc[gap["event_id"]]
    assert gap["reachable_ports"] == src["reachable_ports"] and "VOSTOCHNY" in gap["reachable_ports"]
    assert gap["spare_h"] == round(float(src["spare_h"]), 3)


def test_tracks_geojson(files, result):
    doc = json.loads((files[0] / "tracks.geojson").read_text(encoding="utf-8"))
    assert {f["geometry"]["type"] for f in doc["features"]} == {"LineString"}
    assert sum(f["properties"]["n_positions"] for f in doc["features"]) == len(result.positions)
    for f in doc["features"]:
        lon, lat = f["geometry"]["coordinates"][0]
        assert 125 < lon < 140 and 35 < lat < 45


def test_geojson_is_deterministic_and_independent_of_row_order(result):
    shuffled = type(result)(**{**result.__dict__, "events": result.events.sample(frac=1, random_state=1)})
    assert geoexport.events_geojson(result) == geoexport.events_geojson(shuffled)
    assert geoexport.tracks_geojson(result) == geoexport.tracks_geojson(result)


def test_geoparquet_round_trip(files, result):
    out = files[0]
    ev = gpd.read_parquet(out / "events.parquet")
    assert list(ev.columns) == [*schema.names(schema.EVENTS), "geometry"]
    assert ev.crs.to_epsg() == 4326 and len(ev) == len(result.events)
    assert set(ev.geom_type) == {"Point", "LineString"}
    assert str(ev["start_time"].dtype) == schema.UTC_NS
    tr = gpd.read_parquet(out / "tracks.parquet")
    assert set(tr.geom_type) == {"LineString"} and tr["n_positions"].sum() == len(result.positions)
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_schema(out / "events.parquet").metadata[b"geo"])
    assert meta["primary_column"] == "geometry"


def test_a_run_without_events_exports_empty_layers(tmp_path):
    from conftest import make_positions, track

    from vesseltrack import pipeline

    quiet = pipeline.analyse(make_positions(track(412000001, "2024-03-01T00:00", 50)))
    assert json.loads(geoexport.events_geojson(quiet)) == {"type": "FeatureCollection", "features": []}
    geoexport.write_geo(quiet, tmp_path)
    assert len(gpd.read_parquet(tmp_path / "events.parquet")) == 0
    assert len(gpd.read_parquet(tmp_path / "tracks.parquet")) == 1
