import numpy as np
import pandas as pd
import pytest
from conftest import make_positions, stay, track

from vesseltrack import zones
from vesseltrack.detect import events as ev
from vesseltrack.detect.gaps import detect_gaps
from vesseltrack.detect.ports import port_visit_events, visit_runs
from vesseltrack.features import voyage_features
from vesseltrack.tracks import add_steps
from vesseltrack.voyages import build_voyages, voyage_of


@pytest.fixture(scope="module")
def built():
    gaz = zones.build_gazetteer()
    m = 273000009
    rows = (
        stay(
            m, "2024-03-01T00:00", 6, 42.745, 133.075, draught_m=6.0, vessel_type=81, vessel_name="T"
        )  # Vostochny, ballast
        + track(
            m,
            "2024-03-01T06:10",
            12,
            lat0=42.70,
            lon0=133.2,
            dlat=-0.02,
            dlon=0.0,
            draught_m=10.0,
            vessel_type=81,
            vessel_name="T",
        )
        # 40 h dark, then back into Nakhodka laden
        + stay(m, "2024-03-03T10:00", 3, 42.80, 132.885, draught_m=10.0, vessel_type=81, vessel_name="T")
        + track(5, "2024-03-01T00:00", 400, vessel_type=70)
    )  # ends after the tanker: no open gaps
    steps = add_steps(make_positions(rows), segment_gap_h=6)
    zone = zones.assign_zone(steps["lat"].to_numpy(), steps["lon"].to_numpy(), gaz)
    runs = visit_runs(steps, zone)
    voy = build_voyages(steps, runs.start_idx, runs.zone, gaz)
    events = ev.concat([detect_gaps(steps, gaz, zone=zone), port_visit_events(steps, runs, gaz)])
    events["voyage_id"] = voyage_of(events, voy.table)
    feats = voyage_features(steps, voy, events, set(gaz.names[gaz.sensitive]))
    return steps, voy, events, feats


def test_voyages_cut_at_port_visits(built):
    _steps, voy, _events, _feats = built
    t = voy.table
    tanker = t[t["mmsi"] == 273000009]
    assert tanker["ports"].tolist() == ["VOSTOCHNY -> NAKHODKA", "NAKHODKA -> (data end)"]
    assert tanker["end_time"].iloc[0] == pd.Timestamp("2024-03-03T10:00Z")  # arrival, not last report before the gap
    assert t[t["mmsi"] == 5]["ports"].tolist() == ["(data start) -> (data end)"]
    # voyage codes are contiguous and cover every position
    assert (np.diff(voy.code) >= 0).all() and voy.code[-1] == len(t) - 1
    assert t["voyage_id"].is_unique


def test_events_belong_to_their_voyage(built):
    _, voy, events, _ = built
    gap = events[(events["event_type"] == "gap") & (events["mmsi"] == 273000009)].iloc[0]
    first_voyage = voy.table[voy.table["mmsi"] == 273000009]["voyage_id"].iloc[0]
    assert gap["voyage_id"] == first_voyage


def test_voyage_features_known_answers(built):
    _, voy, _, feats = built
    i = voy.table.index[voy.table["mmsi"] == 273000009][0]
    f = feats.loc[i]
    assert f["n_gaps"] == 1 and f["dark_hours"] == pytest.approx(f["longest_gap_h"])
    assert f["longest_gap_h"] == pytest.approx(
        (pd.Timestamp("2024-03-03T10:00") - pd.Timestamp("2024-03-01T08:00")).total_seconds() / 3600
    )
    assert f["sensitive_port_calls"] == 2 and f["is_tanker"] == 1
    assert f["draught_change_m"] == pytest.approx(4.0)
    assert f["gap_near_sensitive_km"] < 60
    assert 0 <= f["dark_fraction"] <= 1
    cargo = feats.loc[voy.table.index[voy.table["mmsi"] == 5][0]]
    assert cargo["n_gaps"] == 0 and cargo["gap_near_sensitive_km"] == 1000 and cargo["is_tanker"] == 0
