"""load(): dispatch, accounting, duplicates across files and chunks, bad-input errors, properties."""

from __future__ import annotations

import gzip
import importlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_positions
from vesseltrack import schema
from vesseltrack.errors import InputError
from vesseltrack.ingest import base, load, read_positions
from vesseltrack.ingest import csv as csv_reader

from .helpers import MC_HEADER, MC_ROWS, gz, marinecadastre, write, zipped

sniff_mod = importlib.import_module("vesseltrack.ingest.sniff")


def accounting_ok(res):
    c = res.counts
    assert c["rows_read"] == c["rows_kept"] + c["rows_rejected"] + c["rows_duplicate"] + c["rows_non_vessel"]
    assert len(res.rejects) == c["rows_rejected"] and len(res.positions) == c["rows_kept"]
    for f in c["files"]:
        assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"] + f["rows_duplicate"] + f["rows_non_vessel"]
    assert sum(k["rows"] for k in c["non_vessel"].values()) == c["rows_non_vessel"]
    assert sum(f["rows_read"] for f in c["files"]) == c["rows_read"]
    assert sum(c["rejected_by_reason"].values()) == c["rows_rejected"]


def test_result_contract_and_counts(tmp_path):
    rows = [*MC_ROWS, "1,2023-01-11T00:00:00,43,-70,,,,,,,,,,,,,A", MC_ROWS[0]]
    res = load(marinecadastre(tmp_path, rows=rows))
    schema.validate(res.positions, schema.POSITIONS)
    schema.validate(res.rejects, schema.REJECTS)
    accounting_ok(res)
    assert isinstance(res.positions.index, pd.RangeIndex)
    assert res.counts["rows_duplicate"] == 1 and res.counts["rejected_by_reason"] == {"invalid_mmsi": 1}
    assert set(res.counts) == {"rows_read", "rows_kept", "rows_rejected", "rows_duplicate", "rows_non_vessel",
                               "rejected_by_reason", "non_vessel", "invalid_mmsi", "skipped", "files"}
    assert res.counts["invalid_mmsi"] == {"stations": 1, "most_rows": [{"mmsi": "1", "rows": 1}]}


def test_stations_that_are_not_ships_are_set_aside_by_kind(tmp_path):
    """Aids to navigation (99x), base stations (00x, a CSV's 7-digit number), SART/MOB/EPIRB (97x)
    and SAR aircraft (111x) are neither vessels nor invalid MMSIs; craft of a parent ship (98x) are vessels."""
    ids = [992191234, 992191234, 2190001, 972000123, 111219500, 982191234, 219000001, 12345, 12345, 12346]
    rows = [f"{m},2024-01-01T00:0{i}:00,55.0,12.0" for i, m in enumerate(ids)]
    res = load([write(tmp_path, "nv.csv", "MMSI,BaseDateTime,LAT,LON\n" + "\n".join(rows) + "\n")])
    accounting_ok(res)
    assert sorted(res.positions["mmsi"].unique()) == [219000001, 982191234]
    assert res.counts["non_vessel"] == {
        "aid_to_navigation": {"rows": 2, "stations": 1}, "base_station": {"rows": 1, "stations": 1},
        "sar_aircraft": {"rows": 1, "stations": 1}, "sart_mob_epirb": {"rows": 1, "stations": 1}}
    assert res.counts["files"][0]["rows_non_vessel"] == 5
    assert "non_vessel" not in set(res.rejects["reason"])
    assert res.counts["invalid_mmsi"] == {"stations": 2, "most_rows": [{"mmsi": "12345", "rows": 2},
                                                                       {"mmsi": "12346", "rows": 1}]}


def test_anonymised_ids_are_never_stations(tmp_path):
    rows = "ID,ais_pos_timestamp,longitude,latitude\n2190001,01/01/2024 00:00,12,55\n992191234,01/01/2024 00:01,12,55\n"
    res = load([write(tmp_path, "anon.csv", rows)])
    assert len(res.positions) == 2 and res.counts["rows_non_vessel"] == 0


def test_duplicates_across_files_and_chunks(tmp_path, monkeypatch):
    a = marinecadastre(tmp_path, "a.csv")
    b = marinecadastre(tmp_path, "b.csv", rows=[MC_ROWS[1], MC_ROWS[1]])
    monkeypatch.setattr(csv_reader, "MIN_BLOCK", 16)
    res = load([a, b], chunk_rows=1)
    accounting_ok(res)
    assert len(res.positions) == 3 and res.counts["rows_duplicate"] == 2
    assert [f["rows_duplicate"] for f in res.counts["files"]] == [0, 2]


def test_rejects_in_file_then_row_order(tmp_path):
    bad = "1,2023-01-11T00:00:00,43,-70,,,,,,,,,,,,,A"
    a = marinecadastre(tmp_path, "a.csv", rows=[MC_ROWS[0], bad, "x,y", bad])
    b = marinecadastre(tmp_path, "b.csv", rows=[bad, MC_ROWS[1]])
    res = load([b, a])
    accounting_ok(res)
    assert res.rejects["file"].tolist() == [str(b), str(a), str(a), str(a)]
    assert res.rejects["row"].tolist() == [1, 2, 3, 4]
    assert res.rejects["reason"].tolist() == ["invalid_mmsi", "invalid_mmsi", "malformed_row", "invalid_mmsi"]


def test_gzip_and_zip_members(tmp_path):
    a = marinecadastre(tmp_path, "a.csv")
    assert len(read_positions(gz(a))) == 3
    semi = b"mmsi;date_time_utc;lon;lat\n209318000;2022-09-01 12:55:35;5.3;59.3\n"
    z = zipped(tmp_path, "day.zip", {"a.csv": a.read_bytes(), "b.csv": semi})
    res = load(z)
    accounting_ok(res)
    assert [f["file"] for f in res.counts["files"]] == [f"{z}:a.csv", f"{z}:b.csv"]
    assert [f["format"] for f in res.counts["files"]] == ["marinecadastre", "damast"]
    assert len(res.positions) == 4


def test_progress_messages(tmp_path):
    msgs = []
    load(marinecadastre(tmp_path, "ny.csv"), progress=msgs.append)
    assert msgs[0].startswith("read ") and msgs[0].endswith("ny.csv: 3 rows")
    assert msgs[-1].startswith("loaded 3 positions from 1 file(s)")


def test_nmea_dispatch(tmp_path, monkeypatch):
    from vesseltrack.ingest import nmea

    calls = []

    def fake_read(path, *, column_map=None, assume_time=None, chunk_rows=1_000_000):
        calls.append((path, assume_time))
        frame = pd.DataFrame({"mmsi": [244_000_000], "timestamp": [pd.Timestamp("2024-01-01", tz="UTC")],
                              "lat": [52.0], "lon": [4.0], "source_row": [2]})
        rej = pd.DataFrame({"file": [str(path)], "row": [1], "reason": ["bad_checksum"], "detail": ["!AIVDM..."]})
        yield base.Chunk(frame=frame, rejects=rej, rows_read=3, skipped={"non_ais": 1})

    monkeypatch.setattr(nmea, "read", fake_read)
    p = write(tmp_path, "feed.nmea", "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\n")
    res = load(p, assume_time="2024-01-01")
    assert calls == [(p, "2024-01-01")]
    # rows are what became a position or a reject; what the reader skipped is counted apart
    assert res.counts["skipped"] == {"non_ais": 1} and res.counts["rows_read"] == 2
    assert res.counts["files"][0]["format"] == "nmea" and res.rejects["reason"].tolist() == ["bad_checksum"]
    gzres = load(gz(p))  # the NMEA reader opens gzip itself
    assert calls[-1][0] == gz(p) and gzres.rejects["file"].tolist() == [f"{p}.gz"]
    z = zipped(tmp_path, "feed.zip", {"feed.nmea": p.read_bytes()})
    zres = load(z)  # zip members go through a temporary file, named after the member in results
    assert zres.rejects["file"].tolist() == [f"{z}:feed.nmea"] and not calls[-1][0].exists()


# --- bad input: one line, names the file and the fix ---


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: file not found; .*check the path"):
        load(tmp_path / "nope.csv")


def test_directory(tmp_path):
    with pytest.raises(InputError, match=r"is a directory; expected a file; pass the files inside it"):
        load(tmp_path)


def test_unreadable(tmp_path, monkeypatch):
    p = marinecadastre(tmp_path, "secret.csv")
    monkeypatch.setattr(sniff_mod.os, "access", lambda *a: False)
    with pytest.raises(InputError, match=r"secret\.csv: permission denied; .*chmod \+r"):
        load(p)


def test_empty_and_header_only(tmp_path):
    with pytest.raises(InputError, match=r"empty\.csv: file is empty \(0 bytes\); .*check the export"):
        load(write(tmp_path, "empty.csv", ""))
    with pytest.raises(InputError, match=r"head\.csv: no data rows .*check the export"):
        load(write(tmp_path, "head.csv", MC_HEADER + "\n"))
    with pytest.raises(InputError, match=r"blank\.csv: file holds no data"):
        load(write(tmp_path, "blank.csv", "\n\n  \n"))


def test_all_rows_rejected(tmp_path):
    rows = [f"{i},2023-01-11T00:00:00,43,-70,,,,,,,,,,,,,A" for i in range(12)]
    with pytest.raises(InputError, match=r"bad\.csv: all 12 rows rejected \(invalid_mmsi: 12\); .*--column-map"):
        load(marinecadastre(tmp_path, "bad.csv", rows=rows))


def test_error_chained(tmp_path):
    path = tmp_path / "p.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 50)
    with pytest.raises(InputError) as info:
        load(path)
    assert info.value.__cause__ is not None and "\n" not in str(info.value)


def test_nmea_stub_error_passes_through(tmp_path):
    p = write(tmp_path, "feed.nmea", "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\n")
    try:
        load(p)
    except InputError as err:  # the stub (or a real reader rejecting everything) says so in one line
        assert "\n" not in str(err)


# --- properties ---

GOOD = ["{m},2024-03-01T12:{mm:02d}:00,52.{k},4.{k}", "{m},2024-03-01T12:{mm:02d}:00,52.{k},4.{k},7.5"]
BAD = ["12,2024-03-01T12:00:00,52,4", "{m},not-a-time,52,4", "{m},2024-03-01T12:00:00,,4",
       "{m},2024-03-01T12:00:00,99,4", "{m},2024-03-01T12:00:00,52", ",2024-03-01T12:00:00,52,4"]


@st.composite
def mixes(draw):
    n = draw(st.integers(1, 30))
    lines = []
    for _i in range(n):
        tmpl = draw(st.sampled_from(GOOD + BAD))
        m = draw(st.sampled_from([244000000, 244000001, 366999618]))
        lines.append(tmpl.format(m=m, mm=draw(st.integers(0, 3)), k=draw(st.integers(0, 2))))
    return lines


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(mixes(), st.randoms(use_true_random=False))
def test_accounting_and_shuffle_invariance(tmp_path, lines, rnd):
    header = "mmsi,timestamp,lat,lon,sog\n"
    a = write(tmp_path, "a.csv", header + "\n".join(lines) + "\n")
    shuffled = lines[:]
    rnd.shuffle(shuffled)
    b = write(tmp_path, "b.csv", header + "\n".join(shuffled) + "\n")
    try:
        ra = load(a)
    except InputError as err:
        assert "rows rejected" in str(err)
        return
    rb = load(b)
    accounting_ok(ra)
    accounting_ok(rb)
    pd.testing.assert_frame_equal(ra.positions, rb.positions, check_categorical=False)
    assert sorted(ra.rejects["reason"]) == sorted(rb.rejects["reason"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([3, 1, 2, 700_000_000]), st.integers(0, 5)), min_size=1, max_size=40),
       st.integers(1, 8))
def test_merge_order_of_sorted_chunks_matches_tracks(pairs, chunk):
    """Chunks each sorted by (mmsi, ts), in any order: the merge gives the general stable sort."""
    from vesseltrack.ingest.assemble import merge_order
    from vesseltrack.tracks import sort_order

    mmsi = np.array([p[0] for p in pairs], dtype=np.int32)
    ts = np.array([p[1] for p in pairs], dtype=np.int64)
    parts_m, parts_t = [], []
    for s in range(0, len(pairs), chunk):
        m, t = mmsi[s:s + chunk], ts[s:s + chunk]
        o = np.lexsort((t, m))
        parts_m.append(m[o])
        parts_t.append(t[o])
    cm, ct = np.concatenate(parts_m), np.concatenate(parts_t)
    dt = pd.array(pd.to_datetime(ct, utc=True))
    order, m_o, t_o = merge_order(parts_m, dt)
    expected = sort_order(cm, ct)
    if expected is None:
        assert order is None and (m_o == cm).all()
    else:
        assert order is not None
        assert (m_o == cm[expected]).all() and (t_o.asi8 == ct[expected]).all()


def test_time_ordered_shuffled_and_reversed_files_load_the_same(tmp_path):
    """The merge of sorted chunks is exact whatever the file's row order and the chunk size."""
    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame({
        "mmsi": rng.choice([244000000, 244000001, 366999618, 273000001], n).astype(np.int32),
        "timestamp": pd.to_datetime(np.sort(rng.integers(0, 86_400, n)) * 10**9 + 1_700_000_000 * 10**9, utc=True),
        "lat": rng.uniform(40, 41, n), "lon": rng.uniform(4, 5, n), "sog_kn": rng.uniform(0, 20, n).astype(np.float32),
    })
    frame.to_parquet(tmp_path / "timed.parquet")
    frame.sample(frac=1.0, random_state=1).to_parquet(tmp_path / "shuffled.parquet")
    frame.iloc[::-1].to_parquet(tmp_path / "reversed.parquet")
    ref = load(tmp_path / "timed.parquet", chunk_rows=n).positions
    for name in ("timed", "shuffled", "reversed"):
        for chunk_rows in (97, 1000):
            got = load(tmp_path / f"{name}.parquet", chunk_rows=chunk_rows).positions
            pd.testing.assert_frame_equal(got, ref, check_categorical=False)


def test_row_capacity_from_parquet_metadata_and_csv_length(tmp_path, monkeypatch):
    from vesseltrack import ingest
    from vesseltrack.ingest import _row_capacity
    from vesseltrack.ingest.sniff import expand

    frame = make_positions([dict(mmsi=244_000_000 + i, t="2024-01-01T00:00", lat=52.0, lon=4.0) for i in range(50)])
    frame.to_parquet(tmp_path / "p.parquet")
    frame.to_csv(tmp_path / "p.csv", index=False)
    (tmp_path / "p.csv.gz").write_bytes(gzip.compress((tmp_path / "p.csv").read_bytes()))
    assert _row_capacity(expand(tmp_path / "p.parquet")) == 50
    csv_rows = _row_capacity(expand(tmp_path / "p.csv"))
    assert 50 <= csv_rows <= 70  # estimated from line lengths, 25% to spare
    assert _row_capacity(expand(tmp_path / "p.csv.gz")) is None
    assert _row_capacity([*expand(tmp_path / "p.parquet"), *expand(tmp_path / "p.csv")]) == 50 + csv_rows
    # an underestimate only makes the columns grow; no estimate: chunk lists; the table is the same
    ref = load(tmp_path / "p.csv").positions
    for capacity in (3, None):
        monkeypatch.setattr(ingest, "_row_capacity", lambda sources, c=capacity: c)
        pd.testing.assert_frame_equal(load(tmp_path / "p.csv", chunk_rows=7).positions, ref)


def test_preallocated_column_fills_in_place_and_grows_when_short():
    from vesseltrack.ingest.assemble import Preallocated, concat, merge_order

    col = Preallocated("int32", 4)
    written = col.put("values", np.array([3, 1, 2], dtype=np.int32), np.array([1, 2, 0]))  # gathered in
    col.commit(3)
    buf = col.bufs["values"]
    assert np.shares_memory(written, buf) and written.tolist() == [1, 2, 3]
    col.put("values", np.array([1], dtype=np.int32), None)
    col.commit(1)
    assert col.bufs["values"] is buf  # filled in place while it fits
    col.put("values", np.array([0, 5], dtype=np.int32), None)  # more rows than stated: grows by copying
    col.commit(2)
    assert concat(col, "int32").tolist() == [1, 2, 3, 1, 0, 5]
    assert [v.tolist() for v in col.views()] == [[1, 2, 3], [1], [0, 5]]
    ts = pd.array(pd.to_datetime([0, 1, 2, 5, 3, 4], unit="s", utc=True))
    order, m_o, _t_o = merge_order(col, ts)
    assert m_o.tolist() == [0, 1, 1, 2, 3, 5] and order.tolist() == [4, 0, 3, 1, 2, 5]


def test_preallocated_timestamp_and_nullable_columns_round_trip():
    from vesseltrack.ingest.assemble import Preallocated, concat

    ts = Preallocated(schema.UTC_NS, 3)
    ints = Preallocated("Int16", 3)
    for secs, vals, missing in (([0, 60], [80, 0], [False, True]), ([120, 1], [0, 7], [True, False])):
        ts.put("values", np.array(secs, dtype=np.int64) * 10**9, None)
        ints.put("values", np.array(vals, dtype=np.int16), None)
        ints.put("mask", np.array(missing), None)  # (the second chunk grows both parts: capacity 3)
        ts.commit(2)
        ints.commit(2)
    got_t, got_i = concat(ts, schema.UTC_NS), concat(ints, "Int16")
    assert str(got_t.dtype) == schema.UTC_NS and list(got_t.asi8 // 10**9) == [0, 60, 120, 1]
    assert got_i.dtype == "Int16" and got_i.tolist() == [80, pd.NA, pd.NA, 7]


def test_spares_reuse_the_buffer_a_gather_read_from():
    from vesseltrack.ingest.assemble import Spares, gather

    spares = Spares()
    order = np.array([2, 0, 1])
    a = np.array([1.5, 2.5, 3.5])
    out = gather(a, "float64", order, spares)
    spares.give(a)
    b = np.array([7, 8, 9], dtype=np.int32)
    out_b = gather(b, "int32", order, spares)  # written into a's buffer (large enough)
    assert out.tolist() == [3.5, 1.5, 2.5] and out_b.tolist() == [9, 7, 8]
    assert np.shares_memory(out_b, a)
    cat = pd.Categorical(["x", "y", None])
    got = gather(cat, "category", order, spares)
    assert got.isna().tolist() == [True, False, False] and got.tolist()[1:] == ["x", "y"]
    masked = pd.array([1, None, 3], dtype="Int32")
    assert gather(masked, "Int32", order, spares).tolist() == [3, 1, pd.NA]


def test_spares_split_a_larger_buffer_for_smaller_columns(monkeypatch):
    from vesseltrack.ingest import assemble

    monkeypatch.setattr(assemble, "SPLIT_BYTES", 64)
    spares = assemble.Spares()
    big = np.arange(256, dtype=np.float64)  # 2 kB
    spares.give(big)
    order = np.array([1, 0])
    first = spares.take(np.array([1, 2], dtype=np.int32), order)    # 8 bytes of the 64
    second = spares.take(np.array([3, 4], dtype=np.int32), order)   # from the rest, 64 bytes on
    assert first.tolist() == [2, 1] and second.tolist() == [4, 3]
    assert np.shares_memory(first, big) and np.shares_memory(second, big)
    assert not np.shares_memory(first, second)
