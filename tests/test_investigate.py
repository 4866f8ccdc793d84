import numpy as np
import pandas as pd
import pytest
from _investigate_data import DARK, HOSTILE, small_result

from vesseltrack import investigate, schema
from vesseltrack.errors import ConfigError


@pytest.fixture(scope="module")
def result():
    return small_result()


def test_vessel_track_is_one_vessel_in_time_order_split_at_the_gap(result):
    t = investigate.vessel_track(result, DARK)
    assert (t["mmsi"] == DARK).all() and t["timestamp"].is_monotonic_increasing
    assert len(t) == int((result.positions["mmsi"] == DARK).sum())
    # stay + track, then 40 h of silence, then the second track: two segments, 0 and 1
    assert t["segment_id"].tolist() == [0] * (37 + 12) + [1] * 30


def test_segment_ids_restart_for_each_vessel(result):
    steps = investigate.track_segments(result)
    first = steps.groupby("mmsi")["segment_id"].min()
    assert (first == 0).all()
    assert steps.groupby("mmsi")["segment_id"].max().loc[412000100] == 1  # the cargo with a gap


def test_vessel_events_and_unknown_mmsi(result):
    ev = investigate.vessel_events(result, DARK)
    assert ev["event_type"].tolist() == ["port_visit", "gap", "gap"]
    assert ev["start_time"].is_monotonic_increasing
    with pytest.raises(
        ConfigError,
        match=r"MMSI 123 is not in the results; expected one of the 21 vessels, e.g. \[273000009, 412000100",
    ):
        investigate.vessel_events(result, 123)


def test_geodataframes_contract(result):
    before = result.positions.copy()
    g = investigate.to_geodataframes(result)
    ev, tr = g["events"], g["tracks"]
    assert list(ev.columns) == [*schema.names(schema.EVENTS), "geometry"]
    assert ev.crs.to_epsg() == 4326 and tr.crs.to_epsg() == 4326
    closed_gap = (ev["event_type"] == "gap") & ev["end_lat"].notna()
    assert (ev.geom_type[closed_gap] == "LineString").all()
    assert (ev.geom_type[~closed_gap] == "Point").all()
    # lon/lat order: x is the longitude
    np.testing.assert_allclose(ev.geometry[~closed_gap].x, ev.loc[~closed_gap, "start_lon"])
    assert list(tr.columns) == [*list(investigate.TRACK_COLUMNS), "geometry"]
    assert (tr.geom_type == "LineString").all()
    assert len(tr) == 21 + 1 + 5  # one piece per vessel, plus one after each gap
    assert tr["n_positions"].sum() == len(result.positions)
    one = tr[tr["mmsi"] == DARK].iloc[1]
    assert one["n_positions"] == 30 and one.geometry.coords[0] == pytest.approx((133.0, 42.3))
    pd.testing.assert_frame_equal(result.positions, before)  # the Result is not changed


def test_one_position_segment_is_a_degenerate_linestring():
    steps = pd.DataFrame(
        {
            "mmsi": np.array([1, 1, 2], dtype="int32"),
            "segment_id": [0, 1, 0],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"], utc=True),
            "lat": [1.0, 2.0, 3.0],
            "lon": [10.0, 20.0, 30.0],
            "vessel_name": pd.Categorical(["A", "B", None]),
            "vessel_type": pd.array([80, 80, None], dtype="Int16"),
        }
    )
    lines = investigate.segment_lines(steps)
    assert [list(g.coords) for g in lines["geometry"]] == [
        [(10.0, 1.0), (10.0, 1.0)],
        [(20.0, 2.0), (20.0, 2.0)],
        [(30.0, 3.0), (30.0, 3.0)],
    ]
    assert lines["vessel_name"].tolist() == ["A", "B", None]


def test_movingpandas_trajectories(result):
    pytest.importorskip("movingpandas")
    tc = investigate.to_movingpandas(result, DARK)
    assert len(tc) == 2
    assert sorted(t.id for t in tc.trajectories) == [f"{DARK}_0", f"{DARK}_1"]


def test_movingpandas_missing_is_a_clear_error(result, monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name == "movingpandas":
            raise ImportError("no")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    with pytest.raises(
        ConfigError, match=r"movingpandas is not installed; .* pip install 'vesseltrack\[movingpandas\]'"
    ):
        investigate.to_movingpandas(result)


def test_summary_html_escapes_ship_names(result):
    h = investigate.ResultView(result)._repr_html_()
    assert HOSTILE not in h and "&lt;script&gt;alert(1)&lt;/script&gt;" in h
    assert "<b>21</b> vessels" in h
