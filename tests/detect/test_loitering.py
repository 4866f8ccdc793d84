import pandas as pd
from conftest import stay, steps_of, track

from vesseltrack import schema
from vesseltrack.detect.encounters import detect_encounters
from vesseltrack.detect.loitering import detect_loitering

LAT, LON = 38.0, 131.0  # open sea, > 100 km from ports and shore


def test_tanker_stopped_at_sea_is_loitering_and_possible_dark_sts(gaz):
    rows = (
        track(
            1, "2024-03-01T00:00", 12, lat0=LAT, lon0=LON - 0.24, dlon=0.02, draught_m=6.0, vessel_type=80, sog_kn=12.0
        )
        + stay(1, "2024-03-01T02:10", 5, LAT, LON, every_min=30, draught_m=6.0, vessel_type=80)
        + track(
            1, "2024-03-01T07:30", 12, lat0=LAT, lon0=LON + 0.02, dlon=0.02, draught_m=11.0, vessel_type=80, sog_kn=12.0
        )
    )
    ev = detect_loitering(steps_of(rows), gaz)
    schema.validate(ev, schema.EVENTS, name="loitering")
    assert len(ev) == 1
    e = ev.iloc[0]
    assert e["event_type"] == "loitering" and e["possible_dark_sts"]
    assert e["start_time"] == pd.Timestamp("2024-03-01T02:10Z") and e["duration_h"] >= 5
    assert (e["draught_before_m"], e["draught_after_m"]) == (6.0, 11.0)
    assert e["mean_speed_kn"] < 0.1 and e["shore_km"] > 10 and e["nearest_port_km"] > 10 and e["n_positions"] == 11


def test_short_stop_sailing_and_port_stays_are_not_loitering(gaz):
    port = gaz.zones.iloc[0]
    rows = (stay(1, "2024-03-01T00:00", 3, LAT, LON)                          # too short
            + track(2, "2024-03-01T00:00", 60, lat0=LAT, lon0=LON, sog_kn=11.0)  # sailing
            + stay(3, "2024-03-01T00:00", 12, float(port["lat"]), float(port["lon"])))  # in port
    assert len(detect_loitering(steps_of(rows), gaz)) == 0


def test_fishing_vessel_loiters_but_is_not_flagged(gaz):
    ev = detect_loitering(steps_of(stay(1, "2024-03-01T00:00", 6, LAT, LON, vessel_type=30)), gaz)
    assert len(ev) == 1 and not ev["possible_dark_sts"].iloc[0] and ev["vessel_type"].iloc[0] == 30


def test_visible_partner_means_no_dark_sts_flag(gaz):
    rows = stay(1, "2024-03-01T00:00", 6, LAT, LON, vessel_type=80) + stay(
        2, "2024-03-01T00:05", 6, LAT + 0.002, LON, vessel_type=80
    )
    steps = steps_of(rows)
    enc = detect_encounters(steps, gaz)
    assert len(enc) == 1
    alone = detect_loitering(steps, gaz)
    seen = detect_loitering(steps, gaz, encounters=enc)
    assert alone["possible_dark_sts"].all() and len(seen) == 2 and not seen["possible_dark_sts"].any()


def test_long_silence_breaks_a_run(gaz):
    rows = stay(1, "2024-03-01T00:00", 3, LAT, LON) + stay(1, "2024-03-01T10:00", 3, LAT, LON)
    assert len(detect_loitering(steps_of(rows), gaz)) == 0
    assert len(detect_loitering(steps_of(rows), gaz, max_silence_h=8)) == 1


def test_tanker_waiting_at_an_anchorage_the_data_knows_is_not_possible_dark_sts(gaz):
    from vesseltrack import stopareas

    # the tanker of the test above, but three other ships lay at anchor within a few hundred metres
    # during the data: an anchorage learnt from the data, not a lonely stop at sea
    rows = (track(1, "2024-03-01T00:00", 12, lat0=LAT, lon0=LON - 0.24, dlon=0.02, vessel_type=80, sog_kn=12.0)
            + stay(1, "2024-03-01T02:10", 5, LAT, LON, every_min=30, vessel_type=80)
            + track(1, "2024-03-01T07:30", 12, lat0=LAT, lon0=LON + 0.02, dlon=0.02, vessel_type=80, sog_kn=12.0))
    for i in range(3):
        rows += stay(
            440000011 + i,
            f"2024-03-0{2 + i}T00:00",
            10,
            LAT + 0.003 * (i + 1),
            LON,
            every_min=30,
            vessel_type=70,
            nav_status=1,
        )
    steps = steps_of(rows)
    areas = stopareas.learn(steps)
    ev = detect_loitering(steps, gaz, stop_areas=areas)
    e = ev[ev["mmsi"] == 1].iloc[0]
    assert e["context"] == "anchorage" and not e["possible_dark_sts"]
    assert (detect_loitering(steps, gaz)["context"] == "at sea").all()  # without the learnt areas: at sea
