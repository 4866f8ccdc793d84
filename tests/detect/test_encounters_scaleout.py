"""Encounters cut for a scaled-out run: samples per partition of whole vessels, close pairs per time
slot, events once; the pieces put together give exactly what detect_encounters gives on the whole."""

import random

import numpy as np
import pandas as pd
import pytest
from conftest import stay, steps_of
from hypothesis import given, settings
from hypothesis import strategies as st

from vesseltrack.detect import encounters as enc
from vesseltrack.detect.encounters import (
    ROW_COLUMNS,
    SAMPLE_COLUMNS,
    EncounterParams,
    close_pair_rows,
    concat_samples,
    detect_encounters,
    encounter_events,
    encounter_samples,
    merge_stats,
    slot_of,
    split_slots,
)
from vesseltrack.errors import ConfigError
from vesseltrack.store import bucket_of

# open sea between Korea and Japan, > 100 km from any port
LAT, LON = 38.0, 131.0
NAMES = ["OCEAN STAR", "TAKER", None, "SEA WOLF"]


def _fleet(vessels, crowd: int, jitter_ms: list[int]) -> pd.DataFrame:
    """Steps of ships stopped near one spot (some alongside each other, at sparse and irregular
    times), with names, IMO, types and changing draughts; ``crowd`` more ships packed in one spot
    for an hour (a crowd when more than max_crowd); report times shifted by ``jitter_ms``."""
    rows = []
    for v, (dlat, t_off, hours, every, sog) in enumerate(vessels):
        start = (pd.Timestamp("2024-03-01T20:00Z") + pd.Timedelta(minutes=t_off)).strftime("%Y-%m-%dT%H:%M")
        mmsi = 200000000 + 7919 * v
        track = stay(mmsi, start, hours, LAT + 0.3 + dlat, LON, every_min=every, vessel_name=NAMES[v % len(NAMES)],
                     imo=None if v % 3 == 0 else 9000000 + v, vessel_type=[80, 70, None, 90][v % 4])
        for i, r in enumerate(track):
            rows.append(dict(r, sog_kn=sog, draught_m=None if i % 4 == 1 else 5.0 + (i // 5) % 3))
    side = 7
    for i in range(crowd):
        rows += stay(300000001 + i, "2024-03-01T21:00", 1.0, LAT + (i // side) * 0.0001,
                     LON + (i % side) * 0.0001, vessel_name="PACKED")
    for i, r in enumerate(rows):
        r["t"] = str(pd.Timestamp(r["t"]) + pd.Timedelta(milliseconds=jitter_ms[i % len(jitter_ms)]))
    return steps_of(rows)


def _scaled_out(steps: pd.DataFrame, gaz, part: np.ndarray, slot_bins: int, rnd: random.Random,
                params: EncounterParams | str = "gfw") -> tuple[pd.DataFrame, dict, int]:
    """Events and stats the way an engine runs them: ``encounter_samples`` per partition (``part``:
    each vessel's partition), ``close_pair_rows`` per time slot over that slot's pieces from every
    partition (joined in a random order), ``encounter_events`` over all the rows (in a random order)."""
    mmsi = steps["mmsi"].to_numpy()
    pieces: dict[int, list] = {}
    for p in np.unique(part):
        rows_p = np.flatnonzero(np.isin(mmsi, np.unique(mmsi)[part == p]))
        samples = encounter_samples(steps.iloc[rows_p].reset_index(drop=True), params)
        for slot, piece in split_slots(samples, slot_bins).items():
            pieces.setdefault(slot, []).append(piece)
    rows, stats = [], []
    for slot_pieces in pieces.values():
        rnd.shuffle(slot_pieces)
        st_slot: dict = {}
        rows.append(close_pair_rows(concat_samples(slot_pieces), params, stats=st_slot))
        stats.append(st_slot)
    rnd.shuffle(rows)
    return encounter_events(pd.concat(rows, ignore_index=True), gaz, params), merge_stats(stats), len(pieces)


vessels = st.lists(st.tuples(st.sampled_from([0.0, 0.001, 0.003, 0.004, 0.02]), st.integers(0, 300),
                             st.floats(0.5, 6), st.integers(5, 40), st.sampled_from([0.0, 0.3, 1.5])),
                   min_size=2, max_size=6)


@given(vessels, st.sampled_from([0, 8, 40]), st.lists(st.sampled_from([0, 0, 250, 800, 999]), min_size=1, max_size=5),
       st.integers(1, 4), st.booleans(), st.integers(1, 5), st.sampled_from(["gfw", "ballinger2024"]),
       st.randoms(use_true_random=False))
@settings(max_examples=25, deadline=None, derandomize=True)
def test_partitions_and_time_slots_give_the_events_of_the_whole(gaz, fleet, crowd, jitter, n_parts, by_bucket,
                                                                n_slots, preset, rnd):
    steps = _fleet(fleet, crowd, jitter)
    whole_stats: dict = {}
    whole = detect_encounters(steps, gaz, params=preset, stats=whole_stats)
    ids = np.unique(steps["mmsi"].to_numpy())
    part = bucket_of(ids, n_parts) if by_bucket else np.array([rnd.randrange(n_parts) for _ in ids])
    k = steps["timestamp"].array.asi8 // 600_000_000_000
    slot_bins = max(1, -(-(int(k.max()) - int(k.min()) + 1) // n_slots))  # slot edges fall inside encounters
    events, stats, _ = _scaled_out(steps, gaz, part, slot_bins, rnd, preset)
    pd.testing.assert_frame_equal(events, whole, check_exact=True)
    for c in ("samples", "close_pairs", "crowded_samples"):
        assert stats[c] == whole_stats[c]
    pd.testing.assert_frame_equal(stats["crowds"], whole_stats["crowds"], check_exact=True)


def test_a_slot_edge_inside_an_encounter_and_a_crowd(gaz):
    fleet = [(0.0, 0, 4.0, 10, 0.0), (0.002, 7, 4.0, 25, 0.0), (0.003, 30, 3.0, 20, 0.3), (0.02, 0, 3.0, 10, 0.0)]
    steps = _fleet(fleet, 40, [0])
    whole_stats: dict = {}
    whole = detect_encounters(steps, gaz, params="gfw", stats=whole_stats)
    assert len(whole) >= 2 and len(whole_stats["crowds"]) > 0  # the case is what it claims
    events, stats, n_slots = _scaled_out(steps, gaz, np.array([0, 1, 2, 0] + [2, 1] * 20)[: steps["mmsi"].nunique()],
                                         5, random.Random(0))
    assert n_slots >= 5  # 50-minute slots: every encounter is cut
    pd.testing.assert_frame_equal(events, whole, check_exact=True)
    pd.testing.assert_frame_equal(stats["crowds"], whole_stats["crowds"], check_exact=True)


def _subsecond_pair(with_early_vessel: bool) -> pd.DataFrame:
    """Two ships alongside from 00:10, every report but the first (00:00:00) 0.8 s after the minute
    (draught 12 m from 00:10:00.8, 15 m from 01:00:00.8), and optionally a third ship far away heard
    first, at 23:00:00.7 the day before: the earliest time of the table, which used to be the base
    of the time comparisons (then the report at 00:10:00.8 was after 00:10:00, not at it)."""
    a = [dict(r, draught_m=None if r["t"] < "2024-03-01 00:10" else 12.0 if r["t"] < "2024-03-01 01:00" else 15.0)
         for r in stay(273000001, "2024-03-01T00:00", 3, LAT, LON, every_min=10)]
    b = stay(440000002, "2024-03-01T00:07", 3, LAT + 0.002, LON, every_min=25, draught_m=7.0)
    rows = a[:1] + [dict(r, t=str(pd.Timestamp(r["t"]) + pd.Timedelta(milliseconds=800))) for r in a[1:] + b]
    if with_early_vessel:
        rows += [dict(r, t=str(pd.Timestamp(r["t"]) + pd.Timedelta(milliseconds=700)))
                 for r in stay(538000003, "2024-02-29T23:00", 2, LAT + 1.0, LON + 1.0)]
    return steps_of(rows)


def test_subsecond_times_draughts_and_report_counts_do_not_depend_on_the_other_vessels(gaz):
    alone, with_other = _subsecond_pair(False), _subsecond_pair(True)
    ev_alone = detect_encounters(alone, gaz, params="gfw")
    ev_other = detect_encounters(with_other, gaz, params="gfw")
    assert len(ev_alone) == 1
    pd.testing.assert_frame_equal(ev_alone, ev_other, check_exact=True)
    e = ev_alone.iloc[0]
    # whole seconds since the epoch: the report at t0 + 0.8 s is "at" t0, so its draught is in force
    assert e["start_time"] == pd.Timestamp("2024-03-01T00:10Z") and e["draught_before_m"] == 12.0
    sec = alone["timestamp"].array.asi8 // 10**9
    s0, s1 = e["start_time"].value // 10**9, e["end_time"].value // 10**9
    assert e["n_positions"] == int(((sec >= s0) & (sec <= s1)).sum())
    # the samples of one vessel are the same whoever else is in the partition
    one = encounter_samples(alone).table
    two = encounter_samples(with_other).table
    pd.testing.assert_frame_equal(one, two[two["mmsi"] != 538000003].reset_index(drop=True), check_exact=True)
    # and so are the lookups loitering shares (_draught_near) and _reports_between
    q = np.array([273000001, 440000002])
    t0 = np.full(2, pd.Timestamp("2024-03-01T01:00Z").value)
    np.testing.assert_array_equal(enc._draught_near(alone, q, t0), enc._draught_near(with_other, q, t0))
    np.testing.assert_array_equal(enc._draught_near(alone, q, t0), [15.0, 7.0])
    t1 = t0 + 3600 * 10**9
    np.testing.assert_array_equal(enc._reports_between(alone, q, t0, t1), enc._reports_between(with_other, q, t0, t1))


def test_sample_lookups_match_a_brute_force_with_many_reports_in_one_second():
    # vessel 5: bursts of 3 reports within one second, on and around the grid times; vessel 7 sparse
    rows = []
    for m, every in ((5, 10), (7, 25)):
        for i, r in enumerate(stay(m, "2024-03-01T00:00", 2, LAT, LON, every_min=every)):
            for j, ms in enumerate((0, 300, 999) if m == 5 else (400,)):
                t = pd.Timestamp(r["t"]) + pd.Timedelta(milliseconds=ms - 500 * (i % 2))
                rows.append(dict(r, t=str(t), draught_m=None if (i + j) % 3 == 0 else float(i + j)))
    steps = steps_of(rows)
    s = encounter_samples(steps).table
    sec = steps["timestamp"].array.asi8 // 10**9
    mm, dr = steps["mmsi"].to_numpy(), steps["draught_m"].to_numpy()
    cols = ["mmsi", "k", "n_before", "n_upto", "draught_before_m", "draught_after_m"]
    for m, k, nb, nu, db, da in s[cols].itertuples(index=False):
        q = k * 600
        mine = mm == m
        assert (nb, nu) == (int((mine & (sec < q)).sum()), int((mine & (sec <= q)).sum()))
        for got, limit in ((db, q), (da, q + 12 * 3600)):
            known = np.flatnonzero(mine & (sec <= limit) & ~np.isnan(dr))
            want = dr[known[-1]] if len(known) else np.nan
            np.testing.assert_array_equal(got, want)


def test_the_per_vessel_search_used_when_keys_would_overflow_gives_the_same_samples(monkeypatch):
    steps = _subsecond_pair(True)
    fast = encounter_samples(steps)
    monkeypatch.setattr(enc, "_KEY_LIMIT", 0)
    slow = encounter_samples(steps)
    pd.testing.assert_frame_equal(fast.table, slow.table, check_exact=True)


def test_samples_and_rows_have_the_documented_columns_and_dtypes(gaz):
    steps = _fleet([(0.0, 0, 3.0, 10, 0.0), (0.002, 5, 3.0, 20, 0.0), (0.003, 0, 3.0, 15, 0.0)], 0, [0])
    samples = encounter_samples(steps)
    assert samples.table.dtypes.astype(str).to_dict() == SAMPLE_COLUMNS
    assert list(samples.table.columns) == list(SAMPLE_COLUMNS)
    assert samples.names.dtype == object and all(isinstance(x, str) for x in samples.names)
    code = samples.table["name_code"].to_numpy()
    assert code.min() >= -1 and code.max() < len(samples.names) and (code == -1).any()  # one ship has no name
    rows = close_pair_rows(samples, "gfw")
    assert len(rows) > 0 and rows.dtypes.astype(str).to_dict() == ROW_COLUMNS
    assert list(rows.columns) == list(ROW_COLUMNS)
    assert (rows["mmsi_a"] < rows["mmsi_b"]).all()
    empty = encounter_samples(steps.iloc[:0])
    assert empty.table.dtypes.astype(str).to_dict() == SAMPLE_COLUMNS and len(empty.names) == 0
    no_rows = close_pair_rows(empty, "gfw")
    assert len(no_rows) == 0 and no_rows.dtypes.astype(str).to_dict() == ROW_COLUMNS
    assert len(encounter_events(no_rows, gaz, "gfw")) == 0
    per_sample = samples.table.memory_usage(deep=True, index=False).sum() / len(samples.table)
    assert per_sample <= 70  # compact: 12 columns, int32/float32 where exact


def test_split_slots_cuts_by_grid_time_and_keeps_every_sample_and_name():
    steps = _fleet([(0.0, 0, 6.0, 10, 0.0), (0.002, 100, 5.0, 20, 0.0), (0.02, 40, 3.0, 15, 0.0)], 0, [0])
    samples = encounter_samples(steps)
    slots = split_slots(samples, 7)
    assert list(slots) == sorted(slots) and len(slots) > 3
    for slot, piece in slots.items():
        assert (slot_of(piece.table["k"].to_numpy(), 7) == slot).all()
        assert len(piece.names) == len(np.unique(piece.table["name_code"][piece.table["name_code"] >= 0]))
    back = concat_samples(list(slots.values()))
    o = np.lexsort((back.table["k"], back.table["mmsi"]))
    pd.testing.assert_frame_equal(back.table.drop(columns="name_code").iloc[o].reset_index(drop=True),
                                  samples.table.drop(columns="name_code"))

    def names(x):
        c = x.table["name_code"].to_numpy()
        return np.where(c >= 0, x.names[np.maximum(c, 0)], None)

    assert names(back)[o].tolist() == names(samples).tolist()
    assert slot_of(np.array([-1, 0, 143, 144]), 144).tolist() == [-1, 0, 0, 1]
    with pytest.raises(ConfigError, match="slot_bins"):
        slot_of(np.array([0]), 0)
    with pytest.raises(ValueError, match="at least one"):
        concat_samples([])


def test_a_slot_keeps_only_the_close_pairs_that_can_still_make_an_encounter(gaz):
    # a brief meeting (40 min) in the middle of 8 h of data, a long one (3 h) after it
    steps = steps_of(stay(1, "2024-03-01T00:00", 8, LAT, LON) + stay(2, "2024-03-01T03:00", 0.67, LAT + 0.002, LON)
                     + stay(3, "2024-03-01T04:30", 3, LAT + 0.002, LON))
    samples = encounter_samples(steps)
    rows = close_pair_rows(samples, "gfw")
    assert rows[["mmsi_a", "mmsi_b"]].drop_duplicates().values.tolist() == [[1, 3]]  # the brief one is left out
    # cut at 03:20, the brief meeting touches a slot's end: kept, since another slot could extend it
    k_cut = pd.Timestamp("2024-03-01T03:20Z").value // 600_000_000_000
    first = enc._subset(samples, np.flatnonzero(samples.table["k"].to_numpy() < k_cut))
    assert [1, 2] in close_pair_rows(first, "gfw")[["mmsi_a", "mmsi_b"]].values.tolist()
    assert len(encounter_events(rows, gaz, "gfw")) == 1
