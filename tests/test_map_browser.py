"""Render map.html in headless Chromium (offline, Leaflet inlined) and check it draws.

Skipped when Chromium or a local copy of Leaflet is missing. CI installs Chromium with apt-get.
"""

import shutil
import subprocess

import numpy as np
import pytest
from _investigate_data import DARK, small_result

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


def screenshot(html, tmp_path, name="shot"):
    png = tmp_path / f"{name}.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / (name + '-profile')}", f"--screenshot={png}", "--window-size=1200,800",
           "--virtual-time-budget=3000", html.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0 and png.exists(), proc.stderr[-2000:]
    from PIL import Image

    return np.asarray(Image.open(png).convert("RGB"), dtype=float)


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
    background = near(img, maps.SEA_COLOUR, 1.0, tol=4)
    assert 0.5 * img.size / 3 < background < 0.98 * img.size / 3  # mostly sea, but not blank
    track_pixels = {c: near(img, c, 0.85) + near(img, c, 0.9) for c in maps.PALETTE[:5]}
    assert all(n > 150 for n in track_pixels.values()), track_pixels  # each of the first vessels' tracks shows
    assert near(img, maps.ALERT_COLOUR, 1.0, tol=40) > 50  # the alert ring and sensitive ports


def test_one_vessel_map_draws(result, tmp_path):
    html = maps.write_map(result, tmp_path / "one.html", mmsi=DARK, offline=True)
    img = screenshot(html, tmp_path, "one")
    assert near(img, maps.PALETTE[0], 0.85) + near(img, maps.PALETTE[0], 0.9) > 300
