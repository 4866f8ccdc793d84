import numpy as np
import pandas as pd
import pytest

from conftest import make_positions, track
from vesseltrack import scenarios, schema, tracks, zones
from vesseltrack.detect.encounters import detect_encounters
from vesseltrack.detect.identity import (SPLIT_OFFSET, detect_spoofing, imo_valid, mid_table, split_identity_clashes,
                                         vessel_identity_flags)
from vesseltrack.tracks import add_steps


def steps_of(rows):
    return add_steps(make_positions(rows), segment_gap_h=6.0)


def test_jump_of_300_km_and_back_is_one_spoofing_event():
    rows = track(1, "2024-03-01T00:00", 60, lat0=38.0, lon0=131.0, dlon=0.005, every_min=2, vessel_type=80)
    for r in rows[20:30]:  # 10 reports 3 degrees (~333 km) north, then back
        r["lat"] += 3.0
    ev = detect_spoofing(steps_of(rows))
    schema.validate(ev, schema.EVENTS, name="spoofing")
    assert len(ev) == 1
    e = ev.iloc[0]
    assert e["event_type"] == "spoofing" and e["returned"] and e["n_positions"] == 10
    assert e["start_time"] == pd.Timestamp("2024-03-01T00:40Z") and e["end_time"] == pd.Timestamp("2024-03-01T00:58Z")
    assert e["max_implied_speed_kn"] > 1000 and e["jump_distance_m"] == pytest.approx(333_600, rel=0.01)
    assert e["spoofed_lat"] == pytest.approx(41.0) and e["spoofed_extent_km"] < 5


def test_gps_jitter_is_not_spoofing():
    t0 = pd.Timestamp("2024-03-01T00:00Z")
    rng = np.random.default_rng(0)
    rows = [dict(mmsi=1, t=str(t0 + pd.Timedelta(seconds=i)), lat=38.0 + (i % 2) * 0.00018, lon=131.0 + rng.normal(0, 1e-5))
            for i in range(200)]  # 20 m back and forth every second (~39 kn "implied")
    assert len(detect_spoofing(steps_of(rows))) == 0


def test_one_way_jump_is_a_feed_artefact_not_spoofing():
    rows = track(1, "2024-03-01T00:00", 10, every_min=1) + track(1, "2024-03-01T00:10", 10, lat0=45.0, every_min=1)
    ev = detect_spoofing(steps_of(rows))
    schema.validate(ev, schema.EVENTS, name="spoofing")
    assert len(ev) == 1 and ev["event_type"].iloc[0] == "feed_artefact" and ev["artefact"].iloc[0] == "one-way jump"
    assert not ev["returned"].iloc[0] and ev["n_positions"].iloc[0] == 0


def test_outlier_at_the_end_of_a_track_is_a_bad_fix():
    rows = track(1, "2024-03-01T00:00", 30, lat0=38.0, lon0=131.0, dlon=0.005, every_min=2, vessel_type=70)
    rows[-1]["lat"] += 1.5  # the last report 170 km off
    ev = detect_spoofing(steps_of(rows))
    assert list(ev["event_type"]) == ["feed_artefact"] and list(ev["artefact"]) == ["one-way jump"]


def test_restamp_burst_across_vessels_is_one_feed_artefact_per_vessel_not_spoofing():
    """A feed releases a backlog: within two minutes, six ships in one area each get one or two reports
    of where they were 30 minutes earlier, stamped now (they jump back, then forward again)."""
    rows = []
    for k in range(6):
        tr = track(100 + k, "2024-03-01T00:00", 90, lat0=55.0 + 0.05 * k, lon0=12.0, dlon=0.003, every_min=1, vessel_type=70)
        for j in (60, 61)[: 1 + k % 2]:  # the reports at minute 60(-61) carry positions of minute 30(-31)
            tr[j]["lat"], tr[j]["lon"] = tr[j - 30]["lat"], tr[j - 30]["lon"]
        rows += tr
    ev = detect_spoofing(steps_of(rows))
    assert (ev["event_type"] == "feed_artefact").all() and set(ev["artefact"]) == {"re-stamp burst"}
    assert ev["mmsi"].nunique() == 6


def test_a_lone_vessel_spoofed_during_a_burst_elsewhere_is_still_spoofing():
    rows = track(1, "2024-03-01T00:00", 60, lat0=38.0, lon0=131.0, dlon=0.005, every_min=2, vessel_type=80)
    for r in rows[20:30]:
        r["lat"] += 3.0
    for k in range(6):  # a burst 10 degrees away at the same time
        tr = track(100 + k, "2024-03-01T00:00", 60, lat0=48.0 + 0.05 * k, lon0=12.0, dlon=0.003, every_min=1, vessel_type=70)
        tr[40]["lat"], tr[40]["lon"] = tr[10]["lat"], tr[10]["lon"]
        rows += tr
    ev = detect_spoofing(steps_of(rows))
    assert list(ev.loc[ev["event_type"] == "spoofing", "mmsi"]) == [1]


def test_reports_stamped_minutes_off_on_the_own_track_are_time_jitter():
    # 15 kn east, a report every 10 s; two reports carry the positions of 5 minutes later (ahead on the track)
    t0 = pd.Timestamp("2024-03-01T00:00Z")
    step = 15 * 1852 / 3600 * 10 / (111_320 * np.cos(np.radians(38.0)))  # degrees of longitude per 10 s
    rows = [dict(mmsi=1, t=str(t0 + pd.Timedelta(seconds=10 * i)), lat=38.0, lon=131.0 + step * i, vessel_type=70, sog_kn=15.0)
            for i in range(120)]
    for i in (50, 51):
        rows[i]["lon"] = 131.0 + step * (i + 30)
    ev = detect_spoofing(steps_of(rows))
    assert list(ev["event_type"]) == ["feed_artefact"] and list(ev["artefact"]) == ["time jitter"]
    assert ev["n_positions"].iloc[0] == 2


def test_two_places_in_the_same_second_are_a_feed_artefact():
    rows = track(1, "2024-03-01T00:00", 30, lat0=38.0, lon0=131.0, dlon=0.002, every_min=1, vessel_type=70)
    rows.insert(15, dict(rows[15], lat=rows[15]["lat"] + 0.03))  # the same second, 3.3 km north
    ev = detect_spoofing(steps_of(rows))
    assert (ev["event_type"] == "feed_artefact").all() and "same-second positions" in set(ev["artefact"])
    assert not (ev["event_type"] == "spoofing").any()


def _clash_rows():
    # ship A sails east at 12 kn at 38N 131E; ship B at 36N 126E (~500 km away) sails north; one MMSI, alternate reports
    a = track(7, "2024-03-01T00:00", 40, lat0=38.0, lon0=131.0, dlon=0.025, every_min=6, vessel_type=70, vessel_name="A")
    b = track(7, "2024-03-01T00:03", 40, lat0=36.0, lon0=126.0, dlat=0.02, dlon=0.0, every_min=6, vessel_type=30, vessel_name="B")
    return a + b + track(8, "2024-03-01T00:00", 40, every_min=6)


def test_identity_clash_is_found_and_split_into_two_plausible_tracks():
    positions = make_positions(_clash_rows())
    split, ev = split_identity_clashes(positions)
    schema.validate(ev, schema.EVENTS, name="clashes")
    assert len(ev) == 1
    e = ev.iloc[0]
    assert e["event_type"] == "identity_clash" and e["mmsi"] == 7 and e["n_switches"] >= 70
    assert e["jump_distance_m"] > 400_000 and e["start_time"] == pd.Timestamp("2024-03-01T00:00Z")
    assert {round(e["start_lat"]), round(e["other_lat"])} == {36, 38}
    assert len(split) == len(positions)
    assert set(split["track_id"]) == {7, 8, 7 + SPLIT_OFFSET}
    # each sub-track is one ship only, and moves plausibly
    assert split.groupby("track_id")["vessel_name"].nunique(dropna=False).max() == 1
    sub = tracks.sort_positions(split.assign(mmsi=split.pop("track_id").astype("int32")))
    st = add_steps(sub, segment_gap_h=6.0)
    assert np.nanmax(st["implied_speed_kn"]) < 20
    assert len(detect_spoofing(st)) == 0
    # input untouched
    assert "track_id" not in positions


@pytest.mark.parametrize("km", [2, 5, 15, 40])
@pytest.mark.parametrize("second", ["moored", "sailing"])
def test_shared_mmsi_is_found_at_any_distance(km, second):
    """Two ships on one MMSI, reports interleaved all day: a moored ship and another moored or sailing
    at 10 kn ``km`` away. No single ship could be at both, whatever the separation."""
    a = track(7, "2024-03-01T00:00", 120, lat0=55.0, lon0=12.0, dlat=0, dlon=0, every_min=3, sog_kn=0.0,
              vessel_type=70, vessel_name="A")
    b = track(7, "2024-03-01T00:01:30", 120, lat0=55.0 + km / 111.2, lon0=12.0, dlat=0,
              dlon=0.0 if second == "moored" else 0.0087, every_min=3, sog_kn=0.0 if second == "moored" else 10.0,
              vessel_type=70, vessel_name="B")
    split, ev = split_identity_clashes(make_positions(a + b + track(8, "2024-03-01T00:00", 40, every_min=6)))
    assert len(ev) == 1 and ev["mmsi"].iloc[0] == 7 and ev["n_switches"].iloc[0] >= 200
    assert ev["jump_distance_m"].iloc[0] >= km * 900
    assert split.groupby("track_id")["vessel_name"].nunique(dropna=False).max() == 1
    assert set(split["track_id"]) == {7, 8, 7 + SPLIT_OFFSET}


def test_a_ship_moving_at_its_reported_speed_is_no_clash():
    rows = track(1, "2024-03-01T00:00", 200, lat0=55.0, lon0=12.0, dlon=0.01, every_min=3, sog_kn=12.0, vessel_type=70)
    split, ev = split_identity_clashes(make_positions(rows))
    assert len(ev) == 0


def test_no_clash_for_ordinary_or_spoofed_tracks():
    rows = track(1, "2024-03-01T00:00", 60, every_min=2, vessel_type=80)
    for r in rows[20:30]:
        r["lat"] += 3.0
    split, ev = split_identity_clashes(make_positions(rows + track(2, "2024-03-01", 50)))
    assert len(ev) == 0 and (split["track_id"] == split["mmsi"]).all()


def test_identity_flags():
    rows = (track(273000001, "2024-03-01", 5, imo=9074729, vessel_name="OK", call_sign="UBAA")
            + track(273000001, "2024-03-01T01:00", 3, imo=9074729, vessel_name="NEW NAME", call_sign="UBAA")
            + track(12345, "2024-03-01", 3, sog_kn=102.3)
            + track(999000001, "2024-03-01", 3, imo=9074728, sog_kn=51.2)        # MID 999 unallocated: not a ship station
            + track(211000001, "2024-03-01", 3, lat0=50.0, lon0=10.0)           # Germany, in Bavaria: on land
            + track(440000001, "2024-03-01", 6, lat0=35.0, lon0=129.0, dlon=0.0))  # lon > 90: cannot be swapped
    # a ship in the Weddell Sea at (-80, -35) with one report whose lat and lon were swapped: (-35, -80)
    swapped = dict(mmsi=431000001, t="2024-03-01T00:00", lat=-35.0, lon=-80.0)
    rows += [dict(mmsi=431000001, t=f"2024-03-01T0{i}:00", lat=-80.0 + 0.01 * i, lon=-35.0) for i in range(1, 6)] + [swapped]
    rows += track(730000001, "2024-03-01", 2)  # Colombia
    rows += track(299000001, "2024-03-01", 2)  # MID 299 not allocated
    f = vessel_identity_flags(make_positions(rows)).set_index("mmsi")
    assert f.loc[273000001, "n_names"] == 2 and f.loc[273000001, "n_imos"] == 1 and f.loc[273000001, "n_call_signs"] == 1
    assert not f.loc[273000001, "invalid_imo"] and f.loc[273000001, "flag_country"] == "RU"
    assert f.loc[12345, "invalid_mmsi"] and f.loc[12345, "placeholder_speed_reports"] == 3
    assert f.loc[999000001, "invalid_mmsi"] and f.loc[999000001, "invalid_imo"] and f.loc[999000001, "placeholder_speed_reports"] == 3
    assert f.loc[211000001, "on_land_reports"] == 3 and f.loc[211000001, "flag_country"] == "DE"
    assert f.loc[440000001, "swapped_latlon_reports"] == 0
    assert f.loc[431000001, "swapped_latlon_reports"] == 1
    assert f.loc[730000001, "flag_country"] == "CO" and not f.loc[730000001, "unallocated_mid"]
    assert f.loc[299000001, "unallocated_mid"] and f.loc[299000001, "flag_country"] is None


def test_imo_check_digit_and_mid_table():
    assert imo_valid(pd.array([9074729, 9074728, 1234567, None], dtype="Int32")).tolist() == [True, False, True, True]
    assert imo_valid(np.array([123.0])).tolist() == [False]
    m = mid_table()
    assert m["mid"].between(201, 775).all() and m["mid"].is_unique
    assert dict(zip(m["mid"], m["country_code"]))[445] == "KP"


def test_generated_scenario_truth_is_found():
    """sts, spoofing and identity_clash injected by the generator are found, with few false alarms."""
    sc = scenarios.generate(3, n_vessels=30, days=6)
    truth = sc.truth["anomalies"]
    split, clashes = split_identity_clashes(sc.positions)
    shared = {a["mmsi"] for a in truth if a["type"] == "identity_clash"}
    assert set(clashes["mmsi"]) == shared
    pos = tracks.sort_positions(split.assign(mmsi=split.pop("track_id").astype("int32")))
    steps = add_steps(pos, segment_gap_h=6.0)
    spoof = detect_spoofing(steps)
    want = {a["mmsi"] for a in truth if a["type"] == "spoofing"}
    assert want <= set(spoof["mmsi"]) and len(spoof) <= len(want) + 1
    enc = detect_encounters(steps, zones.build_gazetteer(), params="gfw")
    pairs = {tuple(sorted((a["mmsi"], a["other_mmsi"]))) for a in truth if a["type"] == "sts"}
    found = set(zip(enc["mmsi"], enc["other_mmsi"]))
    assert len(pairs & found) >= len(pairs) - 1 and len(enc) <= len(pairs) + 2


def test_placeholder_speeds_within_a_twentieth_of_a_knot():
    speeds = [51.16, 51.24, 51.14, 62.96, 63.06, 102.3, 50.0, 0.0]
    rows = [dict(mmsi=273000001, t=f"2024-03-01T0{i}:00", lat=42.0 + 0.01 * i, lon=133.0, sog_kn=v) for i, v in enumerate(speeds)]
    f = vessel_identity_flags(make_positions(rows)).set_index("mmsi")
    assert f.loc[273000001, "placeholder_speed_reports"] == 4  # 51.16, 51.24, 62.96 and 102.3
