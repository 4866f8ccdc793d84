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


@pytest.fixture(scope="module")
def page(result):
    return maps.map_html(maps.make_map(result), offline=False)


def test_ship_strings_are_escaped(page):
    assert HOSTILE not in page and "<script>alert" not in page
    # HTML-escaped, then embedded as a JSON string literal (< and & as \u003c, \u0026): shown as text
    assert r"\u0026lt;script\u0026gt;alert(1)\u0026lt;/script\u0026gt;" in page
    # the second name holds a JS template-literal payload and a backtick: only ever inside a
    # double-quoted JSON string passed to bindPopup/bindTooltip, never in a template literal
    assert HOSTILE2 not in page
    lines = [ln for ln in page.splitlines() if "${alert(2)}" in ln]
    assert lines and all(
        re.fullmatch(r'\s*\w+\.bind(Popup|Tooltip)\("[^"\n]*\$\{alert\(2\)\}`[^"\n]*", \{[^}]*\}\);', ln)
        for ln in lines
    )
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
    assert page.count('"dashArray": "8 6"') == closed_gaps == 6
    # one polyline per vessel (21), the dark tanker's in two pieces
    assert page.count('"weight": 2.5') == 21
    # sensitive ports near the data, and those a gap could have reached, with a red circle each
    for port in ("VOSTOCHNY", "KOZMINO", "NAKHODKA"):
        assert f"sensitive port {port}" in page
    assert page.count('"radius": 10') == len(result.alerts) == 1  # alert ring
    assert "visit to sensitive port VOSTOCHNY" in page  # port-visit reason in its popup
    assert page.count("AIS off until the end of the data") == 1  # the open gap, where it went silent
    for layer in ("tracks", "gaps (AIS silent)", "sensitive ports", "alerts"):
        assert f'"{layer}"' in page


def test_one_vessel_map(result):
    page = maps.map_html(maps.make_map(result, mmsi=DARK), offline=False)
    assert page.count('"weight": 2.5') == 1 and page.count('"dashArray": "8 6"') == 1
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
    assert page.count('"weight": 2.5') == 3 and "showing 3 of 21 vessels" in page
