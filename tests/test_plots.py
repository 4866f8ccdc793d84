import matplotlib
import pytest

matplotlib.use("Agg")

from _investigate_data import DARK, small_result

from vesseltrack import plots


@pytest.fixture(scope="module")
def result():
    return small_result()


def test_timeline_draws_speed_draught_gaps_and_port_calls(result):
    fig = plots.timeline(result, DARK)
    ax_sog, ax_dr = fig.axes
    assert ax_sog.get_ylabel() == "speed (kn)" and ax_dr.get_ylabel() == "draught (m)"
    assert next(t.get_text() for t in ax_sog.texts) == "dark 40 h"
    assert [t.get_text() for t in ax_dr.texts] == ["VOSTOCHNY"]
    # draught goes 6 -> 10 m
    ys = ax_dr.lines[0].get_ydata()
    assert min(ys) == 6.0 and max(ys) == 10.0
    assert "(MMSI 273000009): 79 positions, 2 gaps, 1 port visits" in fig._suptitle.get_text()


def test_save_timeline_png(result, tmp_path):
    p = plots.save_timeline(result, DARK, tmp_path / "t.png")
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000


def test_timeline_of_a_vessel_without_events_or_draught():
    from conftest import make_positions, track

    from vesseltrack import pipeline

    quiet = pipeline.analyse(make_positions(track(412000001, "2024-03-01T00:00", 50)))
    fig = plots.timeline(quiet, 412000001)
    assert "412000001): 50 positions, 0 gaps, 0 port visits" in fig._suptitle.get_text()
