"""Render map.html in headless Chromium (offline, Leaflet inlined) and check it draws, as a person sees it.

Screenshots are classified by pixel colour: land, sea, track and alert colours where they are
expected (the map's own projection, read back from the page, says where a place is drawn). A second
run opens every popup and tooltip and checks that no ship or port name ran as markup or script.

Skipped when Chromium or a local copy of Leaflet is missing. CI installs Chromium with apt-get.
"""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from _investigate_data import DARK, small_result
from conftest import make_positions, stay, track

from vesseltrack import maps

CHROMIUM = next(
    (
        p
        for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
        if p and shutil.os.path.exists(p)
    ),
    None,
)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")


def _hex(c: str) -> np.ndarray:
    return np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _chromium(tmp_path, name: str, *args: str) -> subprocess.CompletedProcess:
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / (name + '-profile')}", "--window-size=1200,800",
           "--virtual-time-budget=5000", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def screenshot(html, tmp_path, name="shot"):
    png = tmp_path / f"{name}.png"
    proc = _chromium(tmp_path, name, f"--screenshot={png}", html.as_uri())
    assert png.exists(), proc.stderr[-2000:]
    from PIL import Image

    return np.asarray(Image.open(png).convert("RGB"), dtype=float)


def run_in_page(html, tmp_path, name: str, js: str) -> dict:
    """Run ``js`` (a function body given the Leaflet map as ``map``, returning a JSON-able value)
    in a copy of the page once it has settled; its result, read back from the DOM."""
    page = html.read_text(encoding="utf-8")
    probe = ("<script>setTimeout(function () { var map = Object.values(window).find(v => v instanceof L.Map); "
             f"var out = (function (map) {{ {js} }})(map); "
             "document.body.setAttribute('data-probe', JSON.stringify(out)); }, 1500);</script>")
    copy = tmp_path / f"{name}.html"
    copy.write_text(page.replace("</html>", probe + "</html>"), encoding="utf-8")
    dom = _chromium(tmp_path, name, "--dump-dom", copy.as_uri()).stdout
    import html as html_mod

    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, dom[-2000:]
    return {"value": json.loads(html_mod.unescape(found.group(1))), "dom": dom}


def pixels_at(html, tmp_path, places: dict[str, tuple[float, float]]) -> dict[str, tuple[int, int]]:
    """Where the map draws each (lat, lon) of ``places``, in screen pixels (x, y)."""
    js = ("var out = {}; for (const [k, p] of Object.entries(" + json.dumps(places) + ")) "
          "{ var c = map.latLngToContainerPoint(p); out[k] = [Math.round(c.x), Math.round(c.y)]; } return out;")
    return {k: tuple(v) for k, v in run_in_page(html, tmp_path, "probe", js)["value"].items()}


def colour_at(img: np.ndarray, xy: tuple[int, int], r: int = 3) -> np.ndarray:
    """Median colour of the (2r+1)^2 patch at ``xy`` (thin lines crossing it do not change it)."""
    x, y = xy
    return np.median(img[y - r:y + r + 1, x - r:x + r + 1].reshape(-1, 3), axis=0)


def is_colour(c: np.ndarray, colour: str, tol: float = 10.0) -> bool:
    return bool(np.abs(c - _hex(colour)).max() < tol)


def near(img: np.ndarray, colour: str, alpha: float, tol: float = 30.0) -> int:
    """Pixels within ``tol`` of ``colour`` drawn at opacity ``alpha`` over the sea background."""
    target = alpha * _hex(colour) + (1 - alpha) * _hex(maps.SEA_COLOUR)
    return int((np.abs(img - target).max(axis=2) < tol).sum())


@pytest.fixture(scope="module")
def result():
    if maps.local_leaflet() is None:
        pytest.skip("no local Leaflet to inline (pip install django-js-lib-leaflet)")
    return small_result()


def test_fleet_map_draws_tracks_gaps_and_alerts(result, tmp_path):
    html = maps.write_map(result, tmp_path / "map.html", offline=True)
    img = screenshot(html, tmp_path)
    assert img.shape == (800, 1200, 3)
    n = img.size / 3
    sea, land = near(img, maps.SEA_COLOUR, 1.0, tol=4), near(img, maps.LAND_COLOUR, 1.0, tol=4)
    assert sea > 0.4 * n and land > 0.1 * n and sea + land < 0.98 * n, (sea / n, land / n)  # coasts, and not blank
    track_pixels = {c: near(img, c, 0.85) + near(img, c, 0.9) for c in maps.PALETTE[:5]}
    assert all(n > 150 for n in track_pixels.values()), track_pixels  # each of the first vessels' tracks shows
    assert near(img, maps.ALERT_COLOUR, 1.0, tol=40) > 50  # the alert ring and sensitive ports


def test_one_vessel_map_draws(result, tmp_path):
    html = maps.write_map(result, tmp_path / "one.html", mmsi=DARK, offline=True)
    img = screenshot(html, tmp_path, "one")
    assert near(img, maps.PALETTE[0], 0.85) + near(img, maps.PALETTE[0], 0.9) > 300


def _land_and_sea_points(lat0, lat1, lon0, lon1, step):
    """Grid points at least 15 km inland ('land') or 15 km out to sea ('sea'), by the shipped coastline."""
    from vesseltrack import shore

    lat, lon = (g.ravel() for g in np.meshgrid(np.arange(lat0, lat1, step), np.arange(lon0, lon1, step)))
    d = shore.shore_distance_km(lat, lon)
    return ({f"l{i}": (float(lat[i]), float(lon[i])) for i in np.flatnonzero(d < -15)},
            {f"s{i}": (float(lat[i]), float(lon[i])) for i in np.flatnonzero(d > 15)})


def test_land_and_sea_where_they_are(result, tmp_path):
    html = maps.write_map(result, tmp_path / "map.html", offline=True)
    img = screenshot(html, tmp_path)
    land, sea = _land_and_sea_points(36.25, 46.0, 127.25, 140.0, 0.5)
    sea = {k: (la, lo) for k, (la, lo) in sea.items() if not (37.7 < la < 40.3 and 130.7 < lo < 135.5)}  # the fleet
    at = pixels_at(html, tmp_path, {**land, **sea})
    on_screen = {k: xy for k, xy in at.items() if 10 <= xy[0] < 800 and 80 <= xy[1] < 740}  # not under the controls
    seen = {k: colour_at(img, xy) for k, xy in on_screen.items()}
    land_ok = [is_colour(c, maps.LAND_COLOUR) for k, c in seen.items() if k in land]
    sea_ok = [is_colour(c, maps.SEA_COLOUR) for k, c in seen.items() if k in sea]
    assert len(land_ok) >= 20 and len(sea_ok) >= 50
    bad = [(k, {**land, **sea}[k], on_screen[k], c) for k, c in seen.items()
           if not is_colour(c, maps.LAND_COLOUR if k in land else maps.SEA_COLOUR)]
    assert np.mean(land_ok) > 0.9 and np.mean(sea_ok) > 0.9, bad


def test_sea_of_japan_coasts_show(tmp_path):
    """A fleet spread like the bundled sample: Russia, Korea, China and Japan are drawn as land."""
    from vesseltrack import pipeline

    rows = track(412000001, "2024-03-01T00:00", 430, lat0=33.6, lon0=119.7, dlon=0.05, vessel_name="EAST")
    rows += stay(412000002, "2024-03-01T00:00", 6, 43.4, 135.0, vessel_name="NORTH")
    html = maps.write_map(pipeline.analyse(make_positions(rows)), tmp_path / "soj.html", offline=True)
    img = screenshot(html, tmp_path, "soj")
    places = {"Russia": (43.3, 133.5), "North Korea": (40.5, 127.0), "South Korea": (36.5, 128.0),
              "China": (42.0, 124.5), "Japan": (36.0, 138.5), "sea": (40.0, 134.0)}
    at = pixels_at(html, tmp_path, places)
    for k, xy in at.items():
        assert 0 <= xy[0] < 1200 and 0 <= xy[1] < 800, (k, xy)
        assert is_colour(colour_at(img, xy), maps.SEA_COLOUR if k == "sea" else maps.LAND_COLOUR), (k, xy)
    assert near(img, maps.PALETTE[0], 0.85) + near(img, maps.PALETTE[1], 0.85) > 300  # the track, over land and sea


HOSTILE_IMG = "<img src=x onerror=\"document.title='PWNED'\">"


def test_nothing_from_the_data_runs(result, tmp_path):
    """Open every popup and tooltip: ship, port and stop-area names show as text, none runs."""
    from test_maps import hostile_gazetteer, with_stop_areas

    r = with_stop_areas(result, name=HOSTILE_IMG)
    pos = r.positions.astype({"vessel_name": object})
    pos.loc[pos["mmsi"] == 412000103, "vessel_name"] = HOSTILE_IMG
    r.positions = pos
    html = maps.write_map(r, tmp_path / "map.html", offline=True, gazetteer=hostile_gazetteer())
    js = ("L.Popup.prototype.options.autoClose = false; L.Popup.prototype.options.closeOnClick = false; var n = 0;"
          "map.eachLayer(function (l) { if (l.getPopup && l.getPopup()) { l.openPopup(); n++; } "
          "if (l.getTooltip && l.getTooltip()) { l.openTooltip(); n++; } });"
          "return {n: n, title: document.title, popups: document.querySelectorAll('.leaflet-popup').length,"
          " tooltips: document.querySelectorAll('.leaflet-tooltip').length,"
          " markup: document.querySelectorAll('.leaflet-popup img, .leaflet-tooltip img, .leaflet-popup script,"
          " .leaflet-tooltip script, .leaflet-popup b b').length};")
    got = run_in_page(html, tmp_path, "xss", js)
    v = got["value"]
    assert v["title"] == "vesseltrack map" and v["markup"] == 0, v
    assert v["popups"] > 20 and v["tooltips"] > 20, v
    dom = got["dom"]
    assert "PWNED" not in dom.split("<body")[0]  # the title is untouched
    assert dom.count("&lt;img src=x onerror=") >= 3  # vessel, stop area and port names shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "${alert(2)}`&lt;/b&gt;" in dom
