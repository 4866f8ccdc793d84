import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.alerts import FINDING_FEATURES, select_alerts
from vesseltrack.detect.events import conform


def tables():
    t = pd.Timestamp("2024-03-01T00:00Z")
    voyages = pd.DataFrame({
        "voyage_id": ["V1", "V2", "V3", "V4"], "mmsi": np.array([1, 2, 3, 4], dtype="int32"),
        "imo": pd.array([None] * 4, dtype="Int32"), "vessel_name": ["A", "B", "C", "D"],
        "vessel_type": pd.array([80, 70, 70, 81], dtype="Int16"),
        "start_time": [t] * 4, "end_time": [t + pd.Timedelta(hours=5)] * 4, "ports": ["X -> Y"] * 4,
        "score": [0.9, 0.5, 0.55, 0.3], "reasons": ["r1", "r2", "r3", "r4"],
        "is_tanker": [1, 0, 0, 1], "sensitive_port_calls": [0, 0, 0, 1],
        "population": ["tanker", "cargo", "cargo", "tanker"],
        # every listed voyage needs a finding: V1-V3 were alongside another ship at sea
        "encounter_hours": [3.0, 3.0, 3.0, 0.0],
        **{c: [0.0] * 4 for c in FINDING_FEATURES if c not in ("sensitive_port_calls", "encounter_hours")},
    })
    events = conform(pd.DataFrame({
        "event_id": ["G1", "G2"], "event_type": ["gap", "gap"], "mmsi": np.array([1, 2], dtype="int32"),
        "start_time": [t, t], "end_time": [t, t], "start_lat": [0.0, 0.0], "start_lon": [0.0, 0.0],
        "duration_h": [10.0, 10.0], "score": [0.95, 0.8], "voyage_id": ["V1", "V2"], "reasons": ["g1", "g2"],
        "likely_dark": [True, True],
    }))
    return voyages, events


def test_policy_ranks_voyages_events_and_forced_tankers():
    a = select_alerts(*tables(), min_score=0.6, top=10)
    schema.validate(a, schema.ALERTS, name="alerts")
    # V1 listed (0.9) so its gap G1 is not repeated, but G1 (0.95) outscores it: V1's alert takes
    # G1's score and leads with its reasons; G2 stands out although its voyage does not;
    # V4 is a tanker voyage at a sensitive port: always listed, last, with its own score
    assert a["ref_id"].tolist() == ["V1", "G2", "V4"]
    assert a["rank"].tolist() == [1, 2, 3] and a["score"].tolist() == [0.95, 0.8, 0.3]
    assert a["reasons"].tolist() == ["g1; r1", "g2", "r4"]


def test_a_listed_voyage_keeps_its_own_score_when_its_events_score_lower():
    voyages, events = tables()
    events["score"] = [0.7, 0.8]
    a = select_alerts(voyages, events, min_score=0.6, top=10)
    assert a["ref_id"].tolist() == ["V1", "G2", "V4"] and a["score"].tolist() == [0.9, 0.8, 0.3]
    assert a["reasons"].tolist() == ["r1", "g2", "r4"]


def test_only_events_that_could_stand_alone_raise_their_voyage():
    voyages, events = tables()
    events["likely_dark"] = pd.array([False, True], dtype="boolean")  # G1 (0.95) is explained by reception
    a = select_alerts(voyages, events, min_score=0.6, top=10)
    assert a["ref_id"].tolist() == ["V1", "G2", "V4"] and a["score"].tolist() == [0.9, 0.8, 0.3]
    # a forced tanker voyage below the threshold is raised by its likely-dark gap too
    voyages.loc[3, "score"] = 0.3
    extra = conform(
        pd.DataFrame(
            {
                "event_id": ["G4"],
                "event_type": ["gap"],
                "mmsi": np.array([4], dtype="int32"),
                "start_time": [voyages["start_time"][0]],
                "end_time": [voyages["start_time"][0]],
                "start_lat": [0.0],
                "start_lon": [0.0],
                "duration_h": [30.0],
                "score": [0.65],
                "voyage_id": ["V4"],
                "reasons": ["g4"],
                "likely_dark": [True],
            }
        )
    )
    a = select_alerts(voyages, pd.concat([events, extra], ignore_index=True), min_score=0.6, top=10)
    assert a["ref_id"].tolist() == ["V1", "G2", "V4"] and a["score"].tolist() == [0.9, 0.8, 0.65]
    assert a["reasons"].tolist()[2] == "g4; r4"


def test_gaps_explained_by_reception_are_not_alerts_on_their_own():
    voyages, events = tables()
    events["likely_dark"] = pd.array([True, False], dtype="boolean")
    assert select_alerts(voyages, events, min_score=0.6, top=10)["ref_id"].tolist() == ["V1", "V4"]


def test_top_cuts_but_keeps_forced_rows():
    a = select_alerts(*tables(), min_score=0.0, top=1)
    assert a["ref_id"].tolist() == ["V1", "V4"]


def test_likely_dark_gaps_are_always_listed_with_their_score():
    voyages, events = tables()
    events["score"] = [0.95, 0.4]  # G2's voyage V2 is not listed and G2 scores low, but it is likely dark
    a = select_alerts(voyages, events, min_score=0.6, top=10)
    assert a["ref_id"].tolist() == ["V1", "G2", "V4"] and a["score"].tolist() == [0.95, 0.4, 0.3]


def test_cargo_moved_across_a_gap_at_sea_lets_it_stand_alone_and_raise_its_voyage():
    voyages, events = tables()
    events["likely_dark"] = pd.array([False, False], dtype="boolean")  # both explained by reception...
    events["draught_before_m"] = [9.0, 11.4]
    events["draught_after_m"] = [9.5, 7.3]  # ...but G2's ship discharged 4 m of draught while unseen
    events["in_port"] = pd.array([False, False], dtype="boolean")
    a = select_alerts(voyages, events, min_score=0.6, top=10)
    assert a["ref_id"].tolist() == ["V1", "G2", "V4"] and a["score"].tolist() == [0.9, 0.8, 0.3]
    # a listed voyage takes that gap's score; half a metre (G1) is not a cargo operation
    voyages.loc[1, "score"] = 0.65
    events["score"] = [0.99, 0.8]
    a = select_alerts(voyages, events, min_score=0.6, top=10)
    assert a["ref_id"].tolist() == ["V1", "V2", "V4"] and a["score"].tolist() == [0.9, 0.8, 0.3]
    assert a["reasons"].tolist()[1] == "g2; r2"
    # the same change across a gap in port is what ports are for
    events["in_port"] = pd.array([False, True], dtype="boolean")
    a = select_alerts(voyages, events, min_score=0.6, top=10)
    assert a["score"].tolist() == [0.9, 0.65, 0.3]


def test_only_merchant_ships_are_ranked_unless_all_vessels():
    voyages, events = tables()
    voyages["population"] = ["pleasure", "cargo", "harbour craft", "tanker"]
    a = select_alerts(voyages, events, min_score=0.5, top=10)
    # V1 (a yacht, with its likely-dark gap G1) and V3 (a tug) are not ranked; V2 (cargo) and V4 are
    assert set(a["ref_id"]) == {"V2", "V4"}
    everyone = select_alerts(voyages, events, min_score=0.5, top=10, all_vessels=True)
    assert {"V1", "V3"} <= set(everyone["ref_id"])


def test_a_voyage_without_a_finding_is_not_listed_whatever_its_forest_score():
    voyages, events = tables()
    voyages["encounter_hours"] = 0.0
    events = events.iloc[:0]
    a = select_alerts(voyages, events, min_score=0.5, top=10)
    # V1 scores 0.9 on the forest alone: not an alert; V4 (tanker at a sensitive port) is forced
    assert a["ref_id"].tolist() == ["V4"]
