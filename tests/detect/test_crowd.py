"""A crowd in one spot (a packed anchorage, or one spoofer sending many MMSIs) is not a crowd of
ship-to-ship meetings: the encounter stage leaves it out, reports it, and its memory stays bounded."""

import resource
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from _crowd import crowd_positions, write_crowd
from conftest import stay, steps_of

from vesseltrack.detect.encounters import EncounterParams, close_pairs, crowd_summary, detect_encounters, resample
from vesseltrack.errors import ConfigError

# open sea between Korea and Japan, > 100 km from any port
LAT, LON = 38.0, 131.0


def crowd_rows(n: int, lat: float = LAT, lon: float = LON, *, hours: float = 3.0, first_mmsi: int = 300000001,
               step_deg: float = 0.0001) -> list[dict]:
    """``n`` ships stopped on a square lattice ``step_deg`` apart (11 m: 49 ships within 100 m)."""
    side = int(np.ceil(np.sqrt(n)))
    return [row for i in range(n) for row in stay(first_mmsi + i, "2024-03-01T00:00", hours,
                                                   lat + (i // side) * step_deg, lon + (i % side) * step_deg)]


def test_a_crowd_in_one_spot_makes_no_encounter_and_is_reported(gaz):
    pair = stay(273000001, "2024-03-01T00:00", 3, LAT + 0.3, LON, every_min=10) + stay(
        440000002, "2024-03-01T00:05", 3, LAT + 0.302, LON, every_min=10)
    stats: dict = {}
    ev = detect_encounters(steps_of(crowd_rows(40) + pair), gaz, params="gfw", stats=stats)
    # the two ships 33 km away still meet; the 40 packed ships make no 780 meetings
    assert ev[["mmsi", "other_mmsi"]].values.tolist() == [[273000001, 440000002]]
    crowds = stats["crowds"]
    assert len(crowds) >= 19  # every grid time of the 3 hours
    assert crowds["vessels"].max() > EncounterParams().max_crowd
    assert (crowds["lat"].between(LAT - 0.01, LAT + 0.01) & crowds["lon"].between(LON - 0.01, LON + 0.01)).all()
    assert stats["crowded_samples"] >= 40 * 19
    text = crowd_summary(crowds)
    assert "crowded cells" in text and "38.0" in text and "131.0" in text
    assert crowd_summary(crowds.iloc[:0]) == ""


def test_a_meeting_of_a_few_is_not_a_crowd_and_the_limit_can_be_lifted(gaz):
    few = steps_of(crowd_rows(6))
    assert len(detect_encounters(few, gaz, params="gfw")) == 15  # 6 ships alongside: every pair meets
    many = steps_of(crowd_rows(30))
    assert len(detect_encounters(many, gaz, params="gfw")) == 0
    assert len(detect_encounters(many, gaz, params=EncounterParams(max_crowd=None))) == 30 * 29 // 2


def test_max_crowd_must_allow_a_pair():
    with pytest.raises(ConfigError, match="max_crowd"):
        EncounterParams(max_crowd=1)


@pytest.mark.parametrize("lat, lon", [(LAT, LON), (89.999, 20.0), (-30.0, 179.9999), (LAT, LON + 0.0045)])
def test_crowd_is_left_out_everywhere_on_the_globe(lat, lon):
    """Band search (mid-latitude, at a cell edge), 3-D cells (at the pole), the antimeridian."""
    s = resample(steps_of(crowd_rows(60, lat, lon, hours=1.0)))
    cp = close_pairs(s, 500.0, max_crowd=25)
    assert len(cp["a"]) == 0
    assert cp["crowded"] == len(s.k)
    assert (cp["crowds"]["vessels"] > 25).all() and len(cp["crowds"]["k"]) >= 7
    assert len(close_pairs(s, 500.0)["a"]) == len(s.k) // 60 * 60 * 59 // 2  # no limit: every pair


@pytest.mark.parametrize("piece_pairs", [1, 7, 100, 5000])
def test_candidate_pieces_do_not_change_the_pairs(piece_pairs):
    rng = np.random.default_rng(3)
    rows = [r for i in range(40) for r in stay(1000 + i, "2024-03-01T00:00", 1.0, LAT + rng.uniform(0, 0.02),
                                               LON + rng.uniform(0, 0.02), every_min=10)]
    s = resample(steps_of(rows))
    whole = close_pairs(s, 500.0)
    cut = close_pairs(s, 500.0, piece_pairs=piece_pairs)
    assert whole["n_candidates"] == cut["n_candidates"] and len(whole["a"]) > 50
    key = sorted(zip(whole["a"].tolist(), whole["b"].tolist(), whole["sep"].tolist()))
    assert sorted(zip(cut["a"].tolist(), cut["b"].tolist(), cut["sep"].tolist())) == key


def test_the_crowd_generator_is_fixed_and_packed():
    a, b = crowd_positions(20), crowd_positions(20)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 20 * 144 and a["MMSI"].nunique() == 20
    dy = (a["LAT"] - a["LAT"].mean()) * 111_195
    dx = (a["LON"] - a["LON"].mean()) * 111_195 * np.cos(np.radians(a["LAT"].mean()))
    assert np.hypot(dx, dy).max() < 100


def test_score_of_2000_ships_in_one_spot_stays_under_2_gb(tmp_path):
    """The whole ``vesseltrack score`` (a child process) over 2,000 MMSIs within 100 m of each other,
    every 10 minutes for a day: peak memory under 2 GB (it was 17 GB at 1,000 ships), and results
    that say crowd, not two million meetings."""
    src = write_crowd(tmp_path / "crowd.csv", 2000)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "vesseltrack", "score", str(src), "--out", str(out)],
                         capture_output=True, text=True)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert run.returncode == 0, run.stderr
    assert peak_mb < 2048, f"peak RSS {peak_mb:.0f} MB"
    events = pd.read_csv(out / "events.csv", usecols=["event_type"])
    assert (events["event_type"] == "encounter").sum() == 0
    assert "crowded cells" in run.stderr
    voyages = pd.read_csv(out / "voyages.csv", usecols=["mmsi"])
    assert voyages["mmsi"].nunique() == 2000
