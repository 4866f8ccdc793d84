"""Reasons name the single cause that fired with its own figure; sums across events or causes say so."""

import numpy as np
import pandas as pd

from vesseltrack import explain, features, schema

T0 = pd.Timestamp("2024-03-01T00:00Z").as_unit("ns")


def voyage(**kw):
    v = pd.DataFrame({c.name: [0.0] for c in schema.VOYAGE_FEATURES})
    v["voyage_id"] = "V1"
    v["start_time"] = pd.Series([T0]).astype(schema.UTC_NS)
    v["mmsi"] = np.int32(273000001)
    for k, x in kw.items():
        v[k] = x
    return v


def events(rows):
    df = pd.DataFrame(rows)
    df["voyage_id"] = df.get("voyage_id", "V1")
    df["event_id"] = [f"E{i}" for i in range(len(df))]
    df["end_time"] = df["start_time"] + pd.to_timedelta(df["duration_h"], unit="h")
    for c in ("start_lat", "start_lon"):
        df[c] = 40.0
    return schema.conform(df, schema.EVENTS, fill_missing=True)


def phrase(name, v, ev):
    story = explain.VoyageStory(v, explain.longest_gap_per_voyage(ev, v["voyage_id"]), pd.Series([""]), ev)
    f = next(f for f in features.VOYAGE_MODEL if f.name == name)
    return f.phrase(story).iloc[0]


def enc(other, name, h, at, **kw):
    return {"event_type": "encounter", "mmsi": 273000001, "other_mmsi": other, "other_vessel_name": name,
            "start_time": T0 + pd.Timedelta(hours=at), "duration_h": h, "sts_candidate": True, **kw}


def test_one_encounter_names_its_partner_and_its_own_hours():
    ev = events([enc(636975621, "ORIENT JADE", 8.667, 5, draught_before_m=10.6, draught_after_m=6.4,
                     other_draught_before_m=3.7, other_draught_after_m=6.7)])
    v = voyage(encounter_hours=8.667, encounter_draught_change_m=4.2)
    assert phrase("log_encounter_hours", v, ev) == (
        "alongside ORIENT JADE (MMSI 636975621) for 9 h away from berths and ports (ship-to-ship)")
    assert phrase("encounter_draught_change_m", v, ev) == (
        "own draught 10.6 m -> 6.4 m across the ship-to-ship encounter with ORIENT JADE (MMSI 636975621)")


def test_several_encounters_are_summed_explicitly_and_the_longest_is_named():
    ev = events([enc(636975621, "ORIENT JADE", 3.0, 5), enc(538594421, "GRAND PEARL", 6.0, 20,
                                                             other_draught_before_m=4.8, other_draught_after_m=8.1),
                 enc(636975621, "ORIENT JADE", 2.0, 40), enc(538594422, "MOORED", 9.0, 60, sts_candidate=False)])
    v = voyage(encounter_hours=11.0, encounter_draught_change_m=3.3)
    said = phrase("log_encounter_hours", v, ev)
    assert said == ("3 ship-to-ship encounters with 2 ships, 11 h in all; "
                    "the longest 6 h alongside GRAND PEARL (MMSI 538594421)")
    assert phrase("encounter_draught_change_m", v, ev) == (
        "draught of GRAND PEARL (MMSI 538594421) 4.8 m -> 8.1 m across its ship-to-ship encounter with this ship")


def test_identity_phrases_name_each_cause_with_its_figure():
    v = voyage(invalid_identity=1, identity_changes=3)
    v["identity_issues"] = "unallocated MID 000; 3 reports more than 5 km inland"
    v["identity_changes_detail"] = "3 different names, 2 different call signs"
    ev = events([{"event_type": "loitering", "mmsi": 273000001, "start_time": T0, "duration_h": 1.0}])
    assert phrase("invalid_identity", v, ev) == "invalid identity: unallocated MID 000, 3 reports more than 5 km inland"
    assert phrase("identity_changes", v, ev) == "broadcast 3 different names, 2 different call signs"
    v = v.drop(columns="identity_changes_detail")
    assert phrase("identity_changes", v, ev) == "3 extra names, IMO numbers and call signs broadcast, in all"


def gap(h, at, dark, **kw):
    return {"event_type": "gap", "mmsi": 273000001, "start_time": T0 + pd.Timedelta(hours=at), "duration_h": h,
            "gap_kind": "moving", "at_extent_edge": False, "likely_dark": dark, "in_port": False,
            "start_sensitive_port_km": 152.4, "end_sensitive_port_km": 260.8, "port": "WONSAN", **kw}


def test_dark_hours_over_several_gaps_say_so_and_the_gap_told_is_a_dark_one():
    ev = events([gap(30.0, 0, True, reachable_ports="WONSAN 61 h; HUNGNAM 57 h; KIMCHAEK 53 h",
                     draught_before_m=10.6, draught_after_m=6.4),
                 gap(40.0, 50, False), gap(20.0, 100, True)])
    v = voyage(likely_dark_hours=50.0, is_tanker=1, n_gaps=3, dark_hours=90.0)
    said = phrase("log_tanker_likely_dark_hours", v, ev)
    assert said == ("tanker with 50 h dark that local reception does not explain (2 gaps, summed): the longest, "
                    "30 h AIS gap starting 152 km from sensitive port WONSAN, could have reached WONSAN "
                    "(61 h to stay), HUNGNAM (57 h) or KIMCHAEK (53 h), draught 10.6 m -> 6.4 m across the 30 h gap")
    # the longest gap of all (40 h, not likely dark) and the sum of every gap, said as a sum
    assert phrase("log_longest_gap_h", v, ev) == (
        "40 h AIS gap starting 152 km from sensitive port WONSAN; 3 AIS gaps, 90 h silent in all")


def test_loitering_sums_say_so():
    lo = {"event_type": "loitering", "mmsi": 273000001, "context": "at sea", "possible_dark_sts": True}
    ev = events([{**lo, "start_time": T0, "duration_h": 5.0}, {**lo, "start_time": T0 + pd.Timedelta(hours=9),
                                                               "duration_h": 7.0}])
    v = voyage(loitering_hours=12.0, dark_sts_hours=12.0, spoofing_events=1)
    assert phrase("log_loitering_hours", v, ev) == "loitering 12 h at sea in 2 episodes (summed)"
    assert phrase("log_dark_sts_hours", v, ev) == (
        "stopped 12 h at sea with no partner visible (possible dark STS), 2 episodes summed")
    assert phrase("spoofing_events", v, ev) == "1 spoofed position jump away and back"


def test_a_fact_is_said_once_even_inside_a_longer_phrase():
    tops = [["a", "b", "c"]]
    phrases = {"a": pd.Series(["tanker with 9 h dark: 9 h AIS gap, draught 1 m -> 2 m"]),
               "b": pd.Series(["9 h AIS gap; 2 AIS gaps, 12 h silent in all"]), "c": pd.Series(["9 h AIS gap"])}
    assert explain._join(tops, phrases, 1).tolist() == [
        "tanker with 9 h dark: 9 h AIS gap, draught 1 m -> 2 m; 2 AIS gaps, 12 h silent in all"]
    assert np.array_equal(explain._join([[]], phrases, 1), np.array([""], dtype=object))
