import numpy as np
import pandas as pd
import pytest
from conftest import stay, steps_of, track
from hypothesis import given, settings
from hypothesis import strategies as st

from vesseltrack import schema
from vesseltrack.detect.encounters import (
    ENCOUNTER_PRESETS,
    EncounterParams,
    both_ways,
    close_pairs,
    detect_encounters,
    resample,
)
from vesseltrack.errors import ConfigError

# open sea between Korea and Japan, > 100 km from any port
LAT, LON = 38.0, 131.0


def alongside(start="2024-03-01T00:00", hours=3.0, sep_deg=0.002, lat=LAT, lon=LON, a=273000001, b=440000002, **kw):
    """Two ships stopped side by side, reported at different, sparse times (every 20 and 25 min)."""
    t_b = pd.Timestamp(start, tz="UTC") + pd.Timedelta(minutes=7)
    return (stay(a, start, hours, lat, lon, every_min=20, **kw)
            + stay(b, t_b.strftime("%Y-%m-%dT%H:%M"), hours, lat + sep_deg, lon, every_min=25, **kw))


def test_two_ships_alongside_sparse_irregular_reports_make_one_encounter(gaz):
    rows = alongside(draught_m=9.0, vessel_type=80) + stay(
        440000002, "2024-03-01T06:00", 1, LAT + 0.002, LON, draught_m=12.0, vessel_type=80, vessel_name="TAKER"
    )
    steps = steps_of(rows)
    before = steps.copy()
    ev = detect_encounters(steps, gaz, params="gfw")
    pd.testing.assert_frame_equal(steps, before)  # input untouched
    schema.validate(ev, schema.EVENTS, name="encounters")
    assert len(ev) == 1
    e = ev.iloc[0]
    assert (e["event_type"], e["mmsi"], e["other_mmsi"]) == ("encounter", 273000001, 440000002)
    assert e["duration_h"] >= 2.5
    assert e["start_time"] >= pd.Timestamp("2024-03-01T00:00Z") and e["end_time"] <= pd.Timestamp("2024-03-01T03:10Z")
    assert e["median_separation_m"] == pytest.approx(222.4, abs=1)
    assert e["median_speed_kn"] == 0.0
    assert (e["other_draught_before_m"], e["other_draught_after_m"]) == (9.0, 12.0)
    assert e["other_vessel_type"] == 80 and e["shore_km"] > 10 and e["nearest_port_km"] > 100
    assert e["event_id"].startswith("E")


def test_two_km_apart_is_no_encounter(gaz):
    assert len(detect_encounters(steps_of(alongside(sep_deg=0.018)), gaz, params="gfw")) == 0


def test_encounter_spanning_midnight_is_one_event(gaz):
    ev = detect_encounters(steps_of(alongside("2024-03-01T23:00", hours=2.5)), gaz, params="gfw")
    assert len(ev) == 1
    assert ev["start_time"].iloc[0].day == 1 and ev["end_time"].iloc[0].day == 2


def test_chunking_does_not_change_the_answer(gaz):
    rows = alongside("2024-03-01T23:00", hours=2.5) + alongside("2024-03-03T10:00", hours=4, a=5, b=6)
    steps = steps_of(rows)
    one = detect_encounters(steps, gaz, params="gfw")
    small = detect_encounters(steps, gaz, params=EncounterParams(chunk_samples=7))
    pd.testing.assert_frame_equal(one, small)
    assert len(one) == 2


def _two_meetings(gap_h):
    a = stay(1, "2024-03-01T00:00", 2.5, LAT, LON, every_min=10)
    b = stay(2, "2024-03-01T00:05", 2.5, LAT + 0.002, LON, every_min=10)
    t2 = pd.Timestamp("2024-03-01T02:30Z") + pd.Timedelta(hours=gap_h)
    # in between, vessel 2 stands off 20 km away (still reported)
    away = stay(2, "2024-03-01T02:45", gap_h - 0.5, LAT + 0.2, LON, every_min=10)
    a2 = stay(1, "2024-03-01T02:40", gap_h + 3, LAT, LON, every_min=10)
    b2 = stay(2, t2.strftime("%Y-%m-%dT%H:%M"), 2.5, LAT + 0.002, LON, every_min=10)
    return steps_of(a + b + away + a2 + b2)


def test_meetings_3h_apart_merge_under_gfw_not_with_1h_merge(gaz):
    steps = _two_meetings(3.0)
    gfw = detect_encounters(steps, gaz, params="gfw")
    assert len(gfw) == 1 and gfw["duration_h"].iloc[0] > 7
    short = detect_encounters(steps, gaz, params=EncounterParams(merge_gap_h=1.0))
    assert len(short) == 2


def test_encounter_in_a_port_zone_is_excluded_under_gfw_only(gaz):
    port = gaz.zones.iloc[0]  # a port centre
    rows = alongside(lat=float(port["lat"]), lon=float(port["lon"]))
    steps = steps_of(rows)
    assert len(detect_encounters(steps, gaz, params="gfw")) == 0
    assert len(detect_encounters(steps, gaz, params="ballinger2024")) == 1


def test_ballinger_requires_both_under_1kn(gaz):
    slow = [dict(r, sog_kn=0.5) for r in alongside()]
    one_at_1_5 = [dict(r, sog_kn=1.5 if r["mmsi"] == 440000002 else 0.5) for r in alongside()]
    assert len(detect_encounters(steps_of(slow), gaz, params="ballinger2024")) == 1
    assert len(detect_encounters(steps_of(one_at_1_5), gaz, params="ballinger2024")) == 0
    assert len(detect_encounters(steps_of(one_at_1_5), gaz, params="gfw")) == 1  # median < 2 kn


def test_gfw_median_speed_criterion(gaz):
    fast = [dict(r, sog_kn=3.0) for r in alongside()]
    assert len(detect_encounters(steps_of(fast), gaz, params="gfw")) == 0


def test_no_interpolation_across_long_silence_of_a_moving_ship(gaz):
    # vessel 2 reported at 00:00 and 03:00 only, moving 20 km between: it is never placed alongside
    a = stay(1, "2024-03-01T00:00", 3, LAT, LON + 0.1)
    b = [
        dict(mmsi=2, t="2024-03-01T00:00", lat=LAT, lon=LON),
        dict(mmsi=2, t="2024-03-01T03:00", lat=LAT, lon=LON + 0.23),
    ]
    assert len(detect_encounters(steps_of(a + b), gaz, params="gfw")) == 0
    s = resample(steps_of(b), bin_min=10, max_interp_gap_h=1, max_stationary_gap_h=6)
    assert s.k.tolist() == [pd.Timestamp("2024-03-01T00:00Z").value // 600_000_000_000,
                            pd.Timestamp("2024-03-01T03:00Z").value // 600_000_000_000]


def test_encounter_while_sailing_together_is_not_slow(gaz):
    a = track(1, "2024-03-01T00:00", 30, lat0=LAT, lon0=LON, dlon=0.02, every_min=10)
    b = track(2, "2024-03-01T00:03", 30, lat0=LAT + 0.002, lon0=LON + 0.006, dlon=0.02, every_min=10)
    steps = steps_of(a + b)
    assert len(detect_encounters(steps, gaz, params=EncounterParams(max_median_speed_kn=None, min_port_km=None))) == 1
    assert len(detect_encounters(steps, gaz, params="gfw")) == 0


def test_both_ways_mirrors_every_encounter(gaz):
    ev = detect_encounters(steps_of(alongside(vessel_name="X")), gaz, params="gfw")
    bw = both_ways(ev)
    schema.validate(bw, schema.EVENTS, name="both ways")
    assert sorted(zip(bw["mmsi"], bw["other_mmsi"])) == [(273000001, 440000002), (440000002, 273000001)]


def test_close_pairs_uses_a_spatial_hash_not_all_pairs():
    # 200 ships spread 5 km apart in a grid, all at once: candidates stay near-linear
    rows = [
        dict(mmsi=i + 1, t="2024-03-01T00:00", lat=LAT + (i // 20) * 0.05, lon=LON + (i % 20) * 0.06)
        for i in range(200)
    ]
    s = resample(steps_of(rows))
    cp = close_pairs(s, 500.0)
    assert len(cp["a"]) == 0 and cp["n_candidates"] < 200


def test_unknown_preset_and_bad_params(gaz):
    with pytest.raises(ConfigError, match="encounter preset 'nope' is unknown; expected one of"):
        detect_encounters(steps_of(alongside()), gaz, params="nope")
    with pytest.raises(ConfigError, match=r"\['bin_min'\] out of range"):
        EncounterParams(bin_min=0)
    assert set(ENCOUNTER_PRESETS) == {"gfw", "ballinger2024"}


def test_empty_input(gaz):
    ev = detect_encounters(steps_of(track(1, "2024-03-01", 3)).iloc[:0], gaz)
    schema.validate(ev, schema.EVENTS)
    assert len(ev) == 0


# --- properties ----------------------------------------------------------------------------------

def _scene(draw_offsets, seed):
    rng = np.random.default_rng(seed)
    rows = []
    for v, (dlat, t_off, hours) in enumerate(draw_offsets):
        every = int(rng.integers(5, 40))
        start = (pd.Timestamp("2024-03-01T20:00Z") + pd.Timedelta(minutes=t_off)).strftime("%Y-%m-%dT%H:%M")
        rows += [dict(r, sog_kn=0.3) for r in stay(100 + v * 7, start, hours, LAT + dlat, LON, every_min=every)]
    return rows


scenes = st.lists(st.tuples(st.sampled_from([0.0, 0.001, 0.003, 0.004, 0.02]), st.integers(0, 300), st.floats(0.5, 6)),
                  min_size=2, max_size=5)


@given(scenes, st.integers(0, 1000), st.randoms(use_true_random=False))
@settings(max_examples=15, deadline=None)
def test_shuffled_input_gives_identical_events(gaz, offsets, seed, rnd):
    rows = _scene(offsets, seed)
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    for preset in ("gfw", "ballinger2024"):
        a = detect_encounters(steps_of(rows), gaz, params=preset)
        b = detect_encounters(steps_of(shuffled), gaz, params=preset)
        pd.testing.assert_frame_equal(a, b)


@given(scenes, st.integers(0, 1000))
@settings(max_examples=15, deadline=None)
def test_symmetric_and_never_shorter_than_minimum(gaz, offsets, seed):
    rows = _scene(offsets, seed)
    ev = detect_encounters(steps_of(rows), gaz, params="gfw")
    assert (ev["duration_h"] >= 2.0 - 1e-9).all()
    assert (ev["mmsi"].to_numpy() < ev["other_mmsi"].to_numpy()).all()
    # relabel vessels so the order of ids is reversed: the same pairs (mapped back) and times
    ids = sorted({r["mmsi"] for r in rows})
    flip = dict(zip(ids, reversed(ids)))
    ev2 = detect_encounters(steps_of([dict(r, mmsi=flip[r["mmsi"]]) for r in rows]), gaz, params="gfw")
    p1 = sorted((min(a, b), max(a, b), t) for a, b, t in zip(ev["mmsi"], ev["other_mmsi"], ev["start_time"]))
    p2 = sorted(
        (min(flip[a], flip[b]), max(flip[a], flip[b]), t)
        for a, b, t in zip(ev2["mmsi"], ev2["other_mmsi"], ev2["start_time"])
    )
    assert p1 == p2


def test_ships_drifting_alongside_heard_only_by_satellite_passes(gaz):
    # both heard a couple of times on passes 2 h apart, drifting together at 0.3 kn
    rows = []
    for p in range(4):
        for j, m in enumerate((1, 2)):
            for r in range(2):
                t = pd.Timestamp("2024-03-01T00:00Z") + pd.Timedelta(hours=2 * p, minutes=3 * r + j)
                rows.append(
                    dict(mmsi=m, t=str(t), lat=LAT + 0.002 * j, lon=LON + 0.0002 * (2 * p * 60 + 3 * r), sog_kn=0.3)
                )
    steps = steps_of(rows)
    ev = detect_encounters(steps, gaz, params="gfw")
    assert len(ev) == 1 and ev["duration_h"].iloc[0] >= 5.5
    assert len(detect_encounters(steps, gaz, params=EncounterParams(max_stationary_gap_h=None))) == 0


def test_pairs_within_runs_are_the_upper_triangle_of_each_run():
    from vesseltrack.detect.encounters import _cross, _pairs_within

    rng = np.random.default_rng(0)
    for _ in range(200):
        length = rng.integers(1, 6, rng.integers(0, 10))
        start = (
            np.cumsum(np.r_[0, (length + rng.integers(0, 3, len(length)))[:-1]])
            if len(length)
            else np.empty(0, np.int64)
        )
        a, b = _pairs_within(start, length)
        ia, ib = _cross(start, length, start, length)
        keep = ia < ib
        assert np.array_equal(a, ia[keep]) and np.array_equal(b, ib[keep])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([5, 7]), st.integers(0, 20 * 3600), st.sampled_from([None, 6.5, 9.0])),
        min_size=1,
        max_size=40,
    ),
    st.lists(
        st.tuples(st.sampled_from([5, 7, 9]), st.integers(-3600, 21 * 3600), st.integers(0, 5 * 3600)),
        min_size=1,
        max_size=10,
    ),
)
def test_reports_between_and_draught_near_match_a_brute_force(rows, queries):
    from vesseltrack.detect.encounters import _draught_near, _reports_between

    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    steps = pd.DataFrame({"mmsi": np.array([r[0] for r in rows], dtype=np.int32),
                          "timestamp": pd.to_datetime([r[1] * 10**9 for r in rows], utc=True),
                          "draught_m": np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float32)})
    q = np.array([x[0] for x in queries], dtype=np.int64)
    t0 = np.array([x[1] * 10**9 for x in queries], dtype=np.int64)
    t1 = t0 + np.array([x[2] * 10**9 for x in queries], dtype=np.int64)
    sec = np.array([r[1] for r in rows])
    mm = np.array([r[0] for r in rows])
    want_n = [int(((mm == m) & (sec >= a // 10**9) & (sec <= b // 10**9)).sum()) for m, a, b in zip(q, t0, t1)]
    assert _reports_between(steps, q, t0, t1).tolist() == want_n
    want_d = []
    for m, a in zip(q, t0):
        cand = [r[2] for r in rows if r[0] == m and r[1] <= a // 10**9 and r[2] is not None]
        want_d.append(cand[-1] if cand else np.nan)
    np.testing.assert_array_equal(_draught_near(steps, q, t0), np.array(want_d, dtype=float))


def _brute_close_pairs(s, d):
    from vesseltrack.geo import haversine_m

    i, j = np.triu_indices(len(s.k), 1)
    keep = (s.k[i] == s.k[j]) & (s.mmsi[i] != s.mmsi[j])
    i, j = i[keep], j[keep]
    near = haversine_m(s.lat[i], s.lon[i], s.lat[j], s.lon[j]) <= d
    i, j = i[near], j[near]
    swap = s.mmsi[i] > s.mmsi[j]
    return sorted(zip(np.where(swap, j, i).tolist(), np.where(swap, i, j).tolist()))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from([0.0, 45.0, 70.0, -84.0, 89.995, -90.0]), st.sampled_from([0.0, 179.996, -179.996, 33.3]),
       st.sampled_from([50.0, 500.0, 3000.0]), st.integers(0, 2**32 - 1))
def test_close_pairs_match_a_brute_force_anywhere_on_the_globe(lat0, lon0, d, seed):
    # clusters at the equator, mid and high latitudes, next to the poles (the 3-D fallback) and
    # across the antimeridian; a few grid times; spread of about 2 d so that half the pairs are near
    from vesseltrack.detect.encounters import Samples

    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    spread = 2 * d / 111_320.0
    lat = np.clip(lat0 + rng.normal(0, spread, n), -90, 90)
    lon = (lon0 + rng.normal(0, spread / max(np.cos(np.radians(lat0)), 1e-3), n) + 180.0) % 360.0 - 180.0
    s = Samples(
        k=rng.integers(100, 103, n).astype(np.int64),
        src=np.arange(n),
        mmsi=rng.integers(1, 40, n).astype(np.int32),
        lat=lat,
        lon=lon,
        speed=np.zeros(n),
    )
    cp = close_pairs(s, d, chunk_samples=int(rng.integers(1, 200)))
    assert sorted(zip(cp["a"].tolist(), cp["b"].tolist())) == _brute_close_pairs(s, d)
    assert (s.mmsi[cp["a"]] < s.mmsi[cp["b"]]).all() and (cp["sep"] <= d).all()


def test_wrap180_is_the_modulo_formula_bit_for_bit():
    from vesseltrack.detect.encounters import _wrap180

    rng = np.random.default_rng(0)
    edges = [0.0, -0.0, 180.0, -180.0, 360.0, -360.0, 539.999, 1e-300, -1e-300, 179.99999999999997]
    for x in (rng.uniform(-540, 540, 10_000), np.array(edges), np.array([np.nan, 1.0, 200.0]),
              rng.uniform(-1e4, 1e4, 1000), np.empty(0)):
        want = (x + 180.0) % 360.0 - 180.0
        got = _wrap180(x)
        assert np.array_equal(got, want, equal_nan=True) and np.array_equal(np.signbit(got), np.signbit(want))


def test_ships_alongside_at_sea_are_an_sts_candidate_at_sea(gaz):
    ev = detect_encounters(steps_of(alongside(vessel_type=80)), gaz, params="gfw")
    assert ev["context"].tolist() == ["at sea"] and ev["sts_candidate"].tolist() == [True]


def test_yachts_moored_in_a_marina_are_not_an_sts_candidate(gaz):
    from vesseltrack import stopareas

    # three yachts (class B, type 37) side by side for 6 h: a marina learnt from the data itself
    rows = []
    for i in range(3):
        rows += stay(
            235000001 + i,
            "2024-03-01T00:00",
            6,
            LAT + 0.0004 * i,
            LON,
            every_min=15,
            vessel_type=37,
            ais_class="B",
            nav_status=5,
        )
    steps = steps_of(rows)
    areas = stopareas.learn(steps)
    assert areas.areas["kind"].tolist() == ["marina"]
    ev = detect_encounters(steps, gaz, params="gfw", stop_areas=areas)
    assert len(ev) >= 2 and (ev["context"] == "berth").all() and not ev["sts_candidate"].any()


@pytest.mark.parametrize(("ctx", "a", "b", "expected"), [
    ("at sea", 70, 70, True),          # any pair alongside at sea
    ("anchorage", 80, 81, True),       # two tankers at an anchorage: STS hubs are anchorages
    ("anchorage", 80, None, True),     # a tanker and an untyped vessel (bunker barges often are)
    ("anchorage", 80, 99, True),       # ... or of type "other"
    ("anchorage", 70, 71, False),      # two cargo ships waiting at anchor
    ("anchorage", 80, 52, False),      # a tanker and its tug
    ("berth", 80, 80, False),          # moored at a berth
    ("port", 80, 80, False),           # inside a port zone
])
def test_sts_candidates_by_context_and_types(ctx, a, b, expected):
    from vesseltrack import stopareas
    from vesseltrack.detect.encounters import sts_candidates

    code = np.array([stopareas.CONTEXTS.index(ctx)], dtype=np.int8)
    got = sts_candidates(code, pd.Series([a], dtype="Int16"), pd.Series([b], dtype="Int16"))
    assert got.tolist() == [expected]
