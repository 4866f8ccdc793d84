import numpy as np
import pandas as pd
import pytest
from conftest import make_positions, stay, track

from vesseltrack import schema, zones
from vesseltrack.detect.ports import detect_port_visits, visit_runs
from vesseltrack.tracks import add_steps


def run(rows, gaz, **kw):
    steps = add_steps(make_positions(rows), segment_gap_h=6)
    zone = zones.assign_zone(steps["lat"].to_numpy(), steps["lon"].to_numpy(), gaz)
    return steps, zone, detect_port_visits(steps, zone, gaz, **kw)


def test_visit_known_answer(gaz):
    rows = stay(1, "2024-03-01T00:00", 5, 42.745, 133.075, draught_m=6.0) + track(
        1, "2024-03-01T05:10", 12, lat0=42.70, lon0=133.2, dlat=-0.02, dlon=0.0, sog_kn=12.0, draught_m=10.0
    )
    _, _, ev = run(rows, gaz)
    schema.validate(ev, schema.EVENTS, name="visits")
    assert len(ev) == 1
    v = ev.iloc[0]
    assert v["port"] == "VOSTOCHNY" and v["port_country"] == "RU" and v["port_sensitive"]
    assert v["duration_h"] == pytest.approx(5.0) and v["n_positions"] == 31
    assert v["start_time"] == pd.Timestamp("2024-03-01T00:00Z")


def test_transit_through_a_port_zone_is_not_a_visit(gaz):
    # 12 kn through the Vostochny circle in ~30 min, never stopping
    rows = track(2, "2024-03-01T00:00", 12, lat0=42.70, lon0=133.075, dlat=0.01, dlon=0.0, every_min=5, sog_kn=12.0)
    _, zone, ev = run(rows, gaz)
    assert (zone >= 0).any() and ev.empty


def test_runs_split_by_edge_jitter_are_merged(gaz):
    inside = stay(3, "2024-03-01T00:00", 2, 42.745, 133.075)
    outside = [dict(mmsi=3, t="2024-03-01T02:30", lat=42.745, lon=133.2, sog_kn=0.5)]  # ~10 km east: outside
    back = stay(3, "2024-03-01T03:00", 2, 42.745, 133.075)
    _, _, ev = run(inside + outside + back, gaz)
    assert len(ev) == 1 and ev["duration_h"].iloc[0] == pytest.approx(5.0)
    _, _, ev = run(inside + outside + back, gaz, merge_h=0.1)
    assert len(ev) == 2


def test_visit_runs_empty():
    rs, re, rz = visit_runs(pd.DataFrame({"mmsi": np.array([], np.int32)}), np.array([], np.int32))
    assert rs.size == re.size == rz.size == 0
