import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from _investigate_data import DARK, small_result

from vesseltrack import plots


@pytest.fixture(scope="module")
def result():
    return small_result()


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_timeline_draws_speed_draught_rate_gaps_and_port_calls(result):
    fig = plots.timeline(result, DARK)
    ax_sog, ax_dr, ax_n = fig.axes[:3]
    assert ax_sog.get_ylabel() == "speed (kn)" and ax_dr.get_ylabel() == "draught (m)"
    assert ax_n.get_ylabel() == "reports\nper hour"
    # the closed gap is labelled with its length, the open one as open to the end of the data
    assert "dark 40 h\ncould reach KOZMINO, VOSTOCHNY, NAKHODKA" in _texts(ax_sog)
    assert "open: silent 19 h+ to data end" in _texts(ax_sog)
    assert "VOSTOCHNY" in _texts(ax_dr)
    # draught goes 6 -> 10 m, drawn from every report that carried one and held to the data end
    ys = ax_dr.lines[0].get_ydata()
    assert min(ys) == 6.0 and max(ys) == 10.0
    assert "6 → 10 m" in _texts(ax_dr)
    assert "(MMSI 273000009): 79 positions, 2 gaps, 1 port visits" in fig._suptitle.get_text()
    # the open gap is hatched up to the data end, which is inside the x-range
    hatched = [p for p in ax_sog.patches if p.get_hatch()]
    assert len(hatched) == 1
    end = matplotlib.dates.date2num(result.positions["timestamp"].max().tz_localize(None))
    assert ax_sog.get_xlim()[1] >= end
    assert hatched[0].get_x() + hatched[0].get_width() == pytest.approx(end)


def test_reports_per_hour_counts_every_hour_of_the_data(result):
    from vesseltrack import investigate

    track = investigate.vessel_track(result, DARK)
    t = result.positions["timestamp"]
    _, c, unit = plots.reports_per_hour(track, t.min(), t.max())
    assert unit == "hour" and c.sum() == len(track)
    assert (c == 0).sum() >= 40  # the hours of the gaps are there, at zero


def test_impossible_jumps_are_visible_on_a_log_axis():
    from conftest import make_positions, track

    from vesseltrack import investigate, pipeline

    rows = track(412000001, "2024-03-01T00:00", 60, dlon=0.001, sog_kn=1.0)
    rows[30] = {**rows[30], "lat": rows[30]["lat"] + 1.4}  # 84 nm away and back in 10 minutes: ~506 kn
    res = pipeline.analyse(make_positions(rows))
    fig = plots.timeline(res, 412000001)
    ax = fig.axes[0]
    imp = investigate.vessel_track(res, 412000001)["implied_speed_kn"].max()
    assert imp > 400
    assert ax.get_yscale() == "symlog" and ax.get_ylim()[1] > imp  # the jump is inside the axis
    assert any(t.startswith(f"jump {imp:,.0f} kn") for t in _texts(ax))
    assert "impossible jumps" in fig._suptitle.get_text()


def test_speed_scale_stays_linear_without_jumps():
    sog = np.array([0.1, 11.0, 12.5])
    normal, top, log = plots.speed_scale(sog, np.array([np.nan, 11.2, 12.0]), np.zeros(3, dtype=bool))
    assert not log and top == normal and 12 < normal < 13


def test_ship_text_is_not_mathtext():
    from conftest import make_positions, track

    from vesseltrack import pipeline

    res = pipeline.analyse(make_positions(track(412000001, "2024-03-01T00:00", 50, vessel_name="$\\frac{1}{0}$ X")))
    fig = plots.timeline(res, 412000001)
    assert fig._suptitle.get_text().startswith("$\\frac{1}{0}$ X") and not fig._suptitle.get_parse_math()
    plots.timeline_png(res, 412000001)  # renders (mathtext would fail or typeset it)


def test_png_is_deterministic(result, tmp_path):
    p = plots.save_timeline(result, DARK, tmp_path / "t.png")
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000
    assert plots.timeline_png(result, DARK, dpi=110) == p.read_bytes()
    assert b"Software" not in p.read_bytes()


def test_timeline_of_a_vessel_without_events_or_draught():
    from conftest import make_positions, track

    from vesseltrack import pipeline

    quiet = pipeline.analyse(make_positions(track(412000001, "2024-03-01T00:00", 50)))
    fig = plots.timeline(quiet, 412000001)
    assert "412000001): 50 positions, 0 gaps, 0 port visits" in fig._suptitle.get_text()
    assert "no draught reported" in _texts(fig.axes[1])


@pytest.mark.parametrize("name", ["$\\alpha$ STAR", "A$B$C", "$", "50% OFF_#1 & {x}^2 \\"])
def test_ship_names_with_dollars_or_tex_render_as_plain_text_even_with_usetex(name):
    """Mathtext ($...$, unbalanced $) and TeX specials in a name draw as broadcast; a user's
    ``text.usetex: True`` (which would hand the name to LaTeX) changes nothing."""
    from conftest import make_positions, track
    from matplotlib.text import Text

    from vesseltrack import pipeline

    rows = track(412000001, "2024-03-01T00:00", 40, vessel_name=name, skip=(20, 30))
    res = pipeline.analyse(make_positions(rows))
    fig = plots.timeline(res, 412000001)
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert any(t.get_text().startswith(f"{name} (MMSI 412000001)") for t in texts)
    assert not any(t.get_parse_math() or t.get_usetex() for t in texts if name in t.get_text())
    png = plots.timeline_png(res, 412000001)
    with matplotlib.rc_context({"text.usetex": True}):
        assert plots.timeline_png(res, 412000001) == png
