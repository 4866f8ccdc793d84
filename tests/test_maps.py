import json
import re

import numpy as np
import pandas as pd
import pytest
from _investigate_data import DARK, HOSTILE, HOSTILE2, small_result

from vesseltrack import maps
from vesseltrack.errors import ConfigError


@pytest.fixture(scope="module")
def result():
    return small_result()


def tracks_of(page: str) -> list:
    """The tracks drawn: [colour, popup, tooltip, points per piece] per vessel, from the page's data."""
    lines = [ln for ln in page.splitlines() if "L.polyline(lines" in ln]
    if not lines:
        return []
    assert len(lines) == 1
    return json.loads(re.search(r"for \(const t of (\[.*\])\) \{ var lines", lines[0]).group(1))


def track_points(page: str) -> np.ndarray:
    """All the track points drawn, (lat, lon) degrees."""
    import base64

    blob = re.search(r'atob\("([A-Za-z0-9+/=]*)"\)', page).group(1)
    return np.frombuffer(base64.b64decode(blob), dtype="<i4").reshape(-1, 2) / 1e5


@pytest.fixture(scope="module")
def page(result):
    return maps.map_html(maps.make_map(result), offline=False)


def test_ship_strings_are_escaped(page):
    assert HOSTILE not in page and "<script>alert" not in page
    # HTML-escaped, then embedded as a JSON string literal (< and & as \u003c, \u0026): shown as text
    assert r"\u0026lt;script\u0026gt;alert(1)\u0026lt;/script\u0026gt;" in page
    # the second name holds a JS template-literal payload and a backtick: only ever inside a
    # double-quoted JSON string literal (passed to bindPopup/bindTooltip), never in a template literal
    assert HOSTILE2 not in page
    lines = [ln for ln in page.splitlines() if "${alert(2)}" in ln]
    assert lines
    for ln in lines:
        outside = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', ln)  # the line without its JSON string literals
        assert "${" not in outside and "`" not in outside, outside[:300]
    assert "$(`" not in page  # folium's Popup (template literals + jQuery) is not used


def test_only_leaflet_is_referenced_and_no_tiles(page):
    urls = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert urls == [maps.LEAFLET_JS_URL, maps.LEAFLET_CSS_URL]
    assert "tileLayer" not in page and "jquery" not in page.lower()


def test_offline_page_inlines_leaflet(result, tmp_path):
    if maps.local_leaflet() is None:
        pytest.skip("no local Leaflet (pip install django-js-lib-leaflet)")
    p = maps.write_map(result, tmp_path / "map.html")
    text = p.read_text(encoding="utf-8")
    assert "<script src=" not in text and "<link rel=\"stylesheet\"" not in text
    assert "L.map(" in text and ".leaflet-container" in text
    assert sorted(x.name for x in tmp_path.iterdir()) == ["map.html"]


def test_offline_required_without_leaflet_is_a_clear_error(result, monkeypatch):
    monkeypatch.setattr(maps, "local_leaflet", lambda: None)
    with pytest.raises(
        ConfigError, match=r"no local copy of Leaflet found for an offline map; .*apt-get install libjs-leaflet"
    ):
        maps.map_html(maps.make_map(result), offline=True)


def test_layers_tracks_gaps_ports_events_alerts(result, page):
    closed_gaps = int(((result.events["event_type"] == "gap") & result.events["end_lat"].notna()).sum())
    assert page.count('"dashArray":"8 6"') == closed_gaps == 6
    # one polyline per vessel (21), the dark tanker's in two pieces
    tracks = tracks_of(page)
    assert len(tracks) == 21 and sorted(len(t[3]) for t in tracks)[-1] == 2
    pts = track_points(page)
    assert len(pts) == sum(sum(t[3]) for t in tracks)
    assert np.isin(np.round(pts[:, 0], 5), np.round(result.positions["lat"].to_numpy(), 5)).all()
    # sensitive ports near the data, and those a gap could have reached, with a red circle each
    for port in ("VOSTOCHNY", "KOZMINO", "NAKHODKA"):
        assert f"sensitive port {port}" in page
    assert page.count('"radius":10') == len(result.alerts) == 1  # alert ring
    assert "visit to sensitive port VOSTOCHNY" in page  # port-visit reason in its popup
    assert page.count("AIS off until the end of the data") == 1  # the open gap, where it went silent
    for layer in ("tracks", "gaps (AIS silent)", "sensitive ports", "alerts"):
        assert f'"{layer}"' in page


def test_one_vessel_map(result):
    page = maps.map_html(maps.make_map(result, mmsi=DARK), offline=False)
    assert len(tracks_of(page)) == 1 and page.count('"dashArray":"8 6"') == 1
    assert "CARGO 1" not in page


def test_tiles_are_opt_in(result):
    page = maps.map_html(maps.make_map(result, tiles="OpenStreetMap"), offline=False)
    assert "tile.openstreetmap.org" in page


def test_downsample_keeps_segment_ends_and_bounds_points():
    n = 1000
    steps = pd.DataFrame(
        {
            "mmsi": np.repeat([1, 2], n),
            "segment_id": np.r_[np.zeros(600), np.ones(400), np.zeros(n)].astype(int),
            "lat": np.arange(2 * n, dtype=float),
            "lon": 0.0,
        }
    )
    ds = maps.downsample(steps, 100)
    assert len(ds[ds["mmsi"] == 2]) <= 101 + 1
    kept = set(ds.index)
    assert {0, 599, 600, 999, 1000, 1999} <= kept


def test_reachable_port_names():
    col = pd.Series(["WONSAN 61 h; HUNGNAM 57 h", None, "NAMPO 3.5 h"])
    assert maps.reachable_port_names(col) == {"WONSAN", "HUNGNAM", "NAMPO"}


def test_impossible_jumps_are_not_drawn():
    df = pd.DataFrame({"mmsi": [1, 1, 1], "segment_id": [0, 0, 0], "implied_speed_kn": [np.nan, 10.0, 900.0],
                       "distance_m": [np.nan, 1000.0, 300_000.0]})
    assert maps._split_jumps(df)["segment_id"].tolist() == [1, 1, 2]


def test_big_fleets_are_cut_to_the_vessels_that_matter(result):
    assert maps.vessels_to_show(result, 100) is None
    shown = maps.vessels_to_show(result, 3)
    assert shown[0] == DARK and len(shown) == 3  # the alerted vessel first, then the best-scoring gaps
    page = maps.map_html(maps.make_map(result, max_vessels=3), offline=False)
    assert len(tracks_of(page)) == 3 and "showing 3 of 21 vessels" in page


# --- land, stop areas, port zones, tiles, determinism ------------------------------------------

HOSTILE3 = "<img src=x onerror=\"document.title='PWNED'\">"


def with_stop_areas(result, name=HOSTILE3):
    """``result`` with two learnt stop areas near Vostochny: a two-cell berth and an anchorage."""
    import dataclasses

    from vesseltrack import schema

    rows = [dict(format="vesseltrack-stop-areas/1", cell_m=500.0, row=0, col=0, lat=42.7453, lon=133.0752, area=0,
                 kind="berth", name=name, n_vessels=3),
            dict(format="vesseltrack-stop-areas/1", cell_m=500.0, row=0, col=1, lat=42.7453, lon=133.0813, area=0,
                 kind="berth", name=name, n_vessels=3),
            dict(format="vesseltrack-stop-areas/1", cell_m=500.0, row=1, col=0, lat=42.60, lon=133.20, area=1,
                 kind="anchorage", name=None, n_vessels=2)]
    sa = pd.DataFrame(rows)
    spec = schema.names(schema.STOP_AREAS)
    cols = [c for c in spec if c in sa] + [c for c in sa if c not in spec]
    return dataclasses.replace(result, stop_areas=sa[cols])


def hostile_gazetteer():
    from vesseltrack import zones

    z = zones.build_gazetteer().zones
    extra = pd.DataFrame([dict(port=HOSTILE3, country="XX", lat=42.0, lon=132.5, radius_m=3000.0, sensitive=False)])
    return zones.Gazetteer(pd.concat([z, extra], ignore_index=True))


def _land_js(page: str) -> str:
    lines = [ln for ln in page.splitlines() if '"pane":"vt_land"' in ln]
    assert len(lines) == 1
    return lines[0]


def test_land_is_drawn_under_the_tracks_clipped_to_the_data(result, page):
    js = _land_js(page)
    assert '"type":"MultiPolygon"' in js and '"interactive":false' in js
    lon = np.array([float(x) for x in re.findall(r"\[(-?\d+\.?\d*),-?\d+\.?\d*\]", js)])
    lat = np.array([float(x) for x in re.findall(r"\[-?\d+\.?\d*,(-?\d+\.?\d*)\]", js)])
    fit = re.search(r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", page)
    s, w, n, e = (float(x) for x in fit.groups())
    box = maps.land.land_box([[s, w], [n, e]])
    assert len(lon) > 200 and box[0] - 1e-6 <= lon.min() and lon.max() <= box[2] + 1e-6
    assert box[1] - 1e-6 <= lat.min() and lat.max() <= box[3] + 1e-6
    assert len(js) < 300_000  # a sea's worth of coast, simplified
    assert 'createPane("vt_land").style.zIndex = 350' in page  # under the overlay pane (400) of the tracks
    assert '"land (Natural Earth, ~1 km precise)"' in page


def test_land_of_the_sea_of_japan_and_of_a_harbour():
    import shapely

    # the bundled sample's extent: Russia, Korea, China and Japan, at 1:10m
    geom, tol = maps.land.land_geometry(maps.land.land_box([[33.5, 127.5], [46.0, 141.5]]))
    for lat, lon in ((44.0, 134.0), (36.5, 128.0), (42.0, 125.0), (36.0, 138.5)):
        assert geom.contains(shapely.Point(lon, lat)), (lat, lon)
    assert not geom.contains(shapely.Point(135.0, 40.0))  # the sea
    assert 0.002 < tol < 0.03 and maps.land.decimals_for(tol) == 3
    # New York harbour keeps the 1:10m detail: Manhattan and Staten Island land, the Upper Bay water
    geom, tol = maps.land.land_geometry(maps.land.land_box([[40.45, -74.25], [40.85, -73.8]]))
    assert geom.contains(shapely.Point(-73.97, 40.78)) and geom.contains(shapely.Point(-74.15, 40.58))
    assert not geom.contains(shapely.Point(-74.045, 40.665)) and maps.land.decimals_for(tol) == 5


def test_wide_maps_use_the_compact_1_to_50m_land():
    import time

    import shapely

    t = time.perf_counter()
    geom, _ = maps.land.land_geometry((-180.0, -85.0, 180.0, 85.0))
    assert time.perf_counter() - t < 10
    assert geom.contains(shapely.Point(20.0, 5.0)) and not geom.contains(shapely.Point(-30.0, 0.0))
    assert shapely.get_num_coordinates(geom) < 60_000


def test_stop_areas_and_port_zones_have_their_own_layers_escaped(result):
    page = maps.map_html(maps.make_map(with_stop_areas(result), gazetteer=hostile_gazetteer()), offline=False)
    assert "stop areas: " in page and '"port zones"' in page
    sa = [ln for ln in page.splitlines() if "L.rectangle" in ln]
    assert len(sa) == 1 and sa[0].count("[42.7453,133.") == 2 and "anchorage (1 cells, 2 vessels)" in sa[0]
    pz = [ln for ln in page.splitlines() if "L.circle([p[0], p[1]]" in ln]
    assert len(pz) == 1 and re.search(r"port [A-Z ]+ \(RU\)", pz[0])
    assert HOSTILE3 not in page and "<img" not in page and "onerror=\\\"" not in page
    assert (r"berth \u0026lt;img src=x onerror=\u0026quot;document.title=\u0026#x27;PWNED\u0026#x27;\u0026quot;"
            r"\u0026gt;") in page
    assert r"port \u0026lt;img src=x" in page


def test_same_result_same_bytes(result):
    a = maps.map_html(maps.make_map(with_stop_areas(result)), offline=False)
    b = maps.map_html(maps.make_map(with_stop_areas(result)), offline=False)
    assert a == b and not re.search(r"[0-9a-f]{32}", a)
    assert re.search(r"var map_\d = L.map\(", a)


def test_tile_url_with_attribution(result):
    url = "https://tiles.example.org/{z}/{x}/{y}.png"
    with pytest.raises(ConfigError, match=r"no attribution; .*--tiles-attribution"):
        maps.make_map(result, tiles=url)
    page = maps.map_html(maps.make_map(result, tiles=url, tiles_attribution="&copy; Example"), offline=False)
    assert f'L.tileLayer(\n                "{url}"' in page and r'"attribution": "\u0026copy; Example"' in page
    # the land layer is still there, switched off under the tiles
    land_group = re.search(r"\}\)\((feature_group_\d+)\);", _land_js(page)).group(1)
    assert f"var {land_group} = L.featureGroup(" in page and f"{land_group}.addTo(" not in page
    plain = maps.map_html(maps.make_map(result), offline=False)
    assert re.search(r"\}\)\((feature_group_\d+)\);", _land_js(plain)).group(1) + ".addTo(" in plain
    osm = maps.map_html(maps.make_map(result, tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"), offline=False)
    assert r"OpenStreetMap\u003c/a\u003e contributors" in osm


def test_cli_passes_tiles(monkeypatch, tmp_path):
    from vesseltrack import cli

    args = cli.build_parser().parse_args(["score", "x.csv", "--out", str(tmp_path), "--map", "--tiles",
                                          "https://t/{z}/{x}/{y}.png", "--tiles-attribution", "T"])
    assert args.tiles == "https://t/{z}/{x}/{y}.png" and args.tiles_attribution == "T"
    args = cli.build_parser().parse_args(["inspect", "1", "x.csv", "--out", str(tmp_path)])
    assert args.tiles is None and args.tiles_attribution is None
