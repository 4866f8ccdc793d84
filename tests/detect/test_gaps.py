import numpy as np
import pandas as pd
import pytest
from conftest import stay, steps_of, track
from hypothesis import given, settings
from hypothesis import strategies as st

from vesseltrack import schema, zones
from vesseltrack.detect.gaps import GapParams, detect_gaps


def test_gap_known_answer_with_changes_across_it(gaz):
    rows = stay(
        273000001,
        "2024-03-01T00:00",
        2,
        42.745,
        133.075,
        draught_m=6.1,
        vessel_name="OLD",
        destination="VOSTOCHNY",
        vessel_type=80,
    ) + track(
        273000001,
        "2024-03-02T10:00",
        6,
        lat0=42.5,
        lon0=133.2,
        draught_m=9.8,
        vessel_name="NEW",
        destination="NAMPO",
        vessel_type=80,
    )
    ev = detect_gaps(steps_of(rows), gaz)
    schema.validate(ev, schema.EVENTS, name="gaps")
    assert len(ev) == 1
    g = ev.iloc[0]
    assert g["event_type"] == "gap" and g["is_closed"]
    assert g["start_time"] == pd.Timestamp("2024-03-01T02:00Z") and g["end_time"] == pd.Timestamp("2024-03-02T10:00Z")
    assert g["duration_h"] == pytest.approx(32.0)
    assert g["port"] == "VOSTOCHNY" and g["start_sensitive_port_km"] < 0.1
    assert (g["draught_before_m"], g["draught_after_m"]) == pytest.approx((6.1, 9.8))
    assert (g["name_before"], g["name_after"], g["destination_before"], g["destination_after"]) == (
        "OLD",
        "NEW",
        "VOSTOCHNY",
        "NAMPO",
    )
    assert g["implied_speed_kn"] == pytest.approx(g["distance_m"] / 1852 / 32.0)


def test_open_gap_at_end_of_data(gaz):
    rows = track(1, "2024-01-01T00:00", 10) + track(2, "2024-01-01T00:00", 100)
    ev = detect_gaps(steps_of(rows), gaz)
    assert len(ev) == 1 and ev["mmsi"].iloc[0] == 1 and not ev["is_closed"].iloc[0]
    assert np.isnan(ev["end_lat"].iloc[0]) and ev["end_time"].iloc[0] == pd.Timestamp("2024-01-01T16:30Z")
    # an explicit data end (a time window larger than the data) opens a gap for vessel 2 too
    ev2 = detect_gaps(steps_of(rows), gaz, data_end=pd.Timestamp("2024-01-02T12:00Z"))
    assert sorted(ev2["mmsi"]) == [1, 2]


def test_event_ids_are_content_hashes(gaz):
    rows = track(1, "2024-01-01T00:00", 20, skip=(5, 50)) + track(2, "2024-01-01T00:00", 60)
    a = detect_gaps(steps_of(rows), gaz)
    b = detect_gaps(steps_of(list(reversed(rows))), gaz)
    assert a["event_id"].tolist() == b["event_id"].tolist()
    assert a["event_id"].str.match(r"^G[0-9a-f]{16}$").all()


@given(st.lists(st.integers(0, 40 * 60), min_size=2, max_size=40, unique=True), st.floats(0.5, 12))
@settings(max_examples=50, deadline=None)
def test_no_gap_shorter_than_threshold_and_all_longer_found(gaz, minutes, thr):
    g = gaz
    t0 = pd.Timestamp("2024-01-01T00:00Z")
    rows = [dict(mmsi=5, t=str(t0 + pd.Timedelta(minutes=m)), lat=10.0, lon=10.0 + m / 1000) for m in minutes]
    steps = steps_of(rows, gap_h=thr)
    ev = detect_gaps(steps, g, params=GapParams(min_gap_h=thr))
    closed = ev[ev["is_closed"]]
    assert (closed["duration_h"] > thr).all()
    m = np.sort(np.array(minutes))
    assert len(closed) == int((np.diff(m) / 60 > thr).sum())


def test_reports_within_windows():
    from vesseltrack.detect.gaps import reports_within
    rows = track(1, "2024-01-01T00:00", 100, every_min=30) + track(2, "2024-01-01T00:00", 5)
    steps = steps_of(rows)
    idx = np.array([0, 30, 99, 100])
    assert reports_within(steps, idx, 12, before=True).tolist() == [1, 25, 25, 1]
    assert reports_within(steps, idx, 12, before=False).tolist() == [25, 25, 1, 5]


def test_presets_filter_gaps(gaz):
    from vesseltrack.detect.gaps import PRESETS
    from vesseltrack.reception import build_reception

    # open sea far from shore (~40.0N 134.5E): heard every 10 min, then 20 h silence; 5 h silence;
    # near shore: 20 h silence
    far = track(1, "2024-01-01T00:00", 150, lat0=40.0, lon0=134.5, dlon=0.001, skip=(80, 200))
    far += track(1, "2024-01-02T13:00", 30, lat0=40.0, lon0=134.6, dlon=0.001)
    short = track(2, "2024-01-01T00:00", 250, lat0=40.1, lon0=134.5, dlon=0.0005, skip=(60, 90))
    near = track(3, "2024-01-01T00:00", 150, lat0=42.7, lon0=133.1, dlon=0.0001, skip=(80, 200))
    near += track(3, "2024-01-02T13:00", 30, lat0=42.7, lon0=133.1, dlon=0.0001)
    steps = steps_of(far + short + near)
    rmap = build_reception(steps, min_steps=5)
    got = {
        name: sorted(detect_gaps(steps, gaz, reception=rmap, params=p)["mmsi"].tolist()) for name, p in PRESETS.items()
    }
    assert got == {"gfw": [1, 3], "welch2022": [1], "nearshore": [3]}
    g = detect_gaps(steps, gaz, reception=rmap)
    row = g[g["mmsi"] == 1].iloc[0]
    assert row["start_shore_km"] > 92.6 and row["positions_before_12h"] == 73 and row["positions_after_12h"] == 30


@given(st.sets(st.integers(0, 7), max_size=8))
@settings(max_examples=15, deadline=None)
def test_any_vessel_partition_gives_the_same_events(gaz, part):
    """Stage functions hold no global state: scheduled by vessel partition (as a Dask engine would,
    with the data end and the reception map computed once for all), they give the same events."""
    from vesseltrack.detect.ports import detect_port_visits
    from vesseltrack.reception import build_reception
    rows = []
    for i in range(8):
        rows += track(273000000 + i, "2024-03-01T00:00", 120, lat0=42.6 + 0.02 * i, lon0=133.0, dlon=0.002,
                      skip=(30 + i, 70 + 2 * i) if i % 2 else None)
        rows += stay(273000000 + i, "2024-03-02T06:00", 3, 42.745, 133.075)
    steps = steps_of(rows)
    rmap = build_reception(steps)
    end = steps["timestamp"].max()
    whole_g = detect_gaps(steps, gaz, reception=rmap, data_end=end)
    zone = zones.assign_zone(steps["lat"].to_numpy(), steps["lon"].to_numpy(), gaz)
    whole_v = detect_port_visits(steps, zone, gaz)
    inside = steps["mmsi"].isin([273000000 + i for i in part]).to_numpy()
    parts_g, parts_v = [], []
    for mask in (inside, ~inside):
        sub = steps[mask].reset_index(drop=True)
        parts_g.append(detect_gaps(sub, gaz, reception=rmap, data_end=end))
        parts_v.append(detect_port_visits(sub, zone[mask], gaz))
    from vesseltrack.detect.events import concat
    pd.testing.assert_frame_equal(concat(parts_g), concat([whole_g]))
    pd.testing.assert_frame_equal(concat(parts_v), concat([whole_v]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 3]), st.integers(0, 40 * 3600)), min_size=1, max_size=60),
       st.sampled_from([0.5, 6.0, 12.0]), st.booleans())
def test_reports_within_matches_a_brute_force_count(pairs, hours, before):
    from vesseltrack.detect.gaps import reports_within

    pairs = sorted(pairs)
    steps = pd.DataFrame({"mmsi": np.array([p[0] for p in pairs], dtype=np.int32),
                          "timestamp": pd.to_datetime([p[1] * 10**9 + 123 for p in pairs], utc=True)})
    sec = np.array([p[1] for p in pairs])
    mm = steps["mmsi"].to_numpy()
    h = int(hours * 3600)
    idx = np.arange(len(pairs))
    if before:
        want = [int(((mm == mm[i]) & (sec >= sec[i] - h) & (np.arange(len(mm)) <= i)).sum()) for i in idx]
    else:
        want = [int(((mm == mm[i]) & (sec <= sec[i] + h) & (np.arange(len(mm)) >= i)).sum()) for i in idx]
    assert reports_within(steps, idx, hours, before=before).tolist() == want


def _kinds(rows, gaz, **kw):
    from vesseltrack.reception import build_reception

    steps = steps_of(rows)
    return detect_gaps(steps, gaz, reception=build_reception(steps), **kw)


def test_berth_shutdown_is_a_stationary_gap_never_likely_dark(gaz):
    # a work boat moored at (35.2, 129.5) switches off for 40 h and restarts 20 m away, still moored
    rows = (stay(440000001, "2024-03-01T00:00", 3, 35.2, 129.5, nav_status=5)
            + stay(440000001, "2024-03-02T19:00", 3, 35.2002, 129.5, nav_status=5)
            + track(440000002, "2024-03-01T00:00", 400, lat0=35.0, lon0=129.6, every_min=10.0, dlon=0.0001, sog_kn=1.0))
    g = _kinds(rows, gaz)
    g = g[g["mmsi"] == 440000001].iloc[0]
    assert g["gap_kind"] == "stationary" and not g["likely_dark"]


def test_moving_gap_and_open_gap_kinds(gaz):
    rows = (track(1, "2024-01-01T00:00", 40, skip=(10, 30), sog_kn=12.0)   # silent 3 h 20 min mid-voyage: moving
            + track(2, "2024-01-01T00:00", 10, sog_kn=12.0)                 # never heard again: open
            + track(3, "2024-01-01T00:00", 60, sog_kn=12.0))
    g = _kinds(rows, gaz, params=GapParams(min_gap_h=2.0)).sort_values(["mmsi", "start_time"])
    assert g["gap_kind"].tolist() == ["moving", "open", "open"]  # vessel 1's end runs into the data end too
    assert g["mmsi"].tolist() == [1, 1, 2] and (g["context"] == "at sea").all()


def test_open_gaps_of_many_ships_at_once_are_an_outage_not_dark(gaz):
    # five ships under way at sea fall silent within minutes of each other, for good, while a sixth
    # ship keeps reporting in the area for three more days
    rows = []
    for i in range(5):
        rows += track(300000001 + i, "2024-03-01T00:00", 30, lat0=38.0 + 0.05 * i, lon0=134.0, every_min=2, sog_kn=12.0)
    rows += track(300000010, "2024-03-01T00:00", 450, lat0=38.1, lon0=134.05, every_min=10, dlon=0.0005, sog_kn=3.0)
    rows += stay(300000011, "2024-03-01T00:00", 74, 39.5, 135.5)  # widens the data's extent
    g = _kinds(rows, gaz)
    silent = g[g["mmsi"] < 300000010]
    assert (silent["gap_kind"] == "open").all() and not silent["likely_dark"].any()


def test_round_trip_from_a_home_berth_is_in_port(gaz):
    from vesseltrack import stopareas

    # a boat lies at a marina berth (three neighbours lie still there too), sails out at 12 kn,
    # falls silent offshore and is heard again 40 h later lying still in its own berth
    berth = (36.83, -75.97)
    rows = stay(367000001, "2024-06-04T00:00", 6, *berth, nav_status=5)
    rows += track(367000001, "2024-06-04T06:10", 12, lat0=berth[0], lon0=berth[1] + 0.01, dlon=0.01, sog_kn=12.0)
    rows += stay(367000001, "2024-06-06T00:00", 4, *berth, nav_status=5)
    for i in range(3):
        rows += stay(
            367000010 + i, "2024-06-04T00:00", 60, berth[0] + 0.0003 * (i + 1), berth[1], every_min=60, nav_status=5
        )
    steps = steps_of(rows)
    areas = stopareas.learn(steps)
    assert len(areas) == 1
    zone = zones.assign_zone(steps["lat"].to_numpy(), steps["lon"].to_numpy(), gaz)
    g = detect_gaps(steps, gaz, zone=zone, stop_areas=areas)
    g = g[g["mmsi"] == 367000001].iloc[0]
    assert g["gap_kind"] == "moving" and g["in_port"]
    # without the learnt berth the same gap is not in port
    alone = detect_gaps(steps, gaz, zone=zone)
    assert not alone[alone["mmsi"] == 367000001]["in_port"].iloc[0]


@given(
    st.lists(
        st.tuples(st.floats(-60, 60), st.floats(-170, 170), st.integers(0, 6 * 3600), st.booleans(), st.booleans()),
        min_size=1,
        max_size=40,
    )
)
@settings(max_examples=60, deadline=None)
def test_silent_together_counts_like_brute_force(gaps):
    from vesseltrack.detect import gaps as g
    from vesseltrack.geo import haversine_m

    lat, lon, t_s, is_open, query = (np.array(x) for x in zip(*gaps))
    t = t_s.astype(np.int64) * 1_000_000_000
    got = g._silent_together(lat, lon, t, is_open, query & is_open)
    want = np.zeros(len(lat), dtype=np.int64)
    for i in np.flatnonzero(query & is_open):
        others = is_open & (np.arange(len(lat)) != i) & (np.abs(t - t[i]) <= g.OPEN_TOGETHER_H * 3.6e12)
        want[i] = int((others & (haversine_m(lat[i], lon[i], lat, lon) <= g.OPEN_TOGETHER_KM * 1000)).sum())
    assert got.tolist() == want.tolist()
