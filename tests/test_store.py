import gzip
import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLES, shared_ais
from hypothesis import given
from hypothesis import strategies as st

from vesseltrack import ingest as ingest_mod
from vesseltrack import pipeline, schema, store
from vesseltrack.cli import main
from vesseltrack.errors import ConfigError, InputError, SchemaError
from vesseltrack.store import bucket_of


def test_bucket_of_is_stable_across_runs_and_machines():
    # splitmix64 computed in plain Python integers: a change here re-partitions every existing store
    assert bucket_of(np.array([211234560, 211234561, 211234562]), 64).tolist() == _expected()


def _expected():
    out = []
    for m in (211234560, 211234561, 211234562):
        z = (m + 0x9E3779B97F4A7C15) % 2**64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
        z ^= z >> 31
        out.append(z % 64)
    return out


@given(st.lists(st.integers(0, 999_999_999), min_size=1, max_size=50), st.integers(1, 512))
def test_bucket_of_is_in_range(mmsis, n):
    b = bucket_of(np.array(mmsis, dtype=np.int64), n)
    assert b.dtype == np.int32
    assert ((b >= 0) & (b < n)).all()


def test_bucket_of_spreads_one_fleet_evenly():
    counts = np.bincount(bucket_of(np.arange(211_000_000, 211_064_000), 64), minlength=64)
    assert counts.min() > 0.8 * counts.mean() and counts.max() < 1.2 * counts.mean()


def test_bucket_of_rejects_zero_buckets():
    with pytest.raises(ValueError, match="at least 1"):
        bucket_of(np.array([1]), 0)


# --- the store: ingest, merge, read --------------------------------------------------------------

NY = SAMPLES / "ny_harbor_excerpt.csv"
COMPARED = ("alerts.csv", "events.csv", "voyages.csv", "rejects.csv")
#: Buckets of the small test stores (fewer files to write than the default 64: faster tests)
B = 8


def _score(inputs, out: Path) -> dict:
    """Run ``vesseltrack score`` and return the compared files' bytes and summary.json."""
    assert main(["score", *map(str, inputs), "--out", str(out), "--quiet"]) == 0
    got: dict = {name: (out / name).read_bytes() for name in COMPARED}
    got["summary"] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return got


def _assert_same_results(raw: dict, from_store: dict, store_path: Path) -> None:
    for name in COMPARED:
        assert raw[name] == from_store[name], name
    assert from_store["summary"]["inputs"] == [str(store_path)]  # a store's summary names the store
    assert {**raw["summary"], "inputs": None} == {**from_store["summary"], "inputs": None}


def _same_counts(a: dict, b: dict) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


@pytest.fixture(scope="module")
def dup_files(tmp_path_factory) -> list[Path]:
    """Three inputs cut from the NY Harbor excerpt that overlap: a.csv (rows 1-1200); b.csv.gz (rows
    800-2000, 50 rows twice, plus an invalid MMSI and an aid to navigation); c.zip with two members
    (rows 1500-2000 and 100-300), so that duplicates fall within files, across files and across
    members of one file."""
    d = tmp_path_factory.mktemp("dups")
    lines = NY.read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    a = d / "a.csv"
    a.write_text(header + "".join(rows[:1200]), encoding="utf-8")
    bad = [rows[5].replace(rows[5].split(",")[3], "12345"), rows[6].replace(rows[6].split(",")[3], "993123456")]
    b = d / "b.csv.gz"
    with gzip.open(b, "wt", encoding="utf-8") as f:
        f.write(header + "".join(rows[800:] + rows[900:950] + bad))
    c = d / "c.zip"
    with zipfile.ZipFile(c, "w") as z:
        z.writestr("c1.csv", header + "".join(rows[1500:]))
        z.writestr("c2.csv", header + "".join(rows[100:300]))
    return [a, b, c]


@pytest.fixture(scope="module")
def dup_store(tmp_path_factory, dup_files) -> Path:
    s = tmp_path_factory.mktemp("stores") / "one-call"
    store.ingest(dup_files, s, n_buckets=B)
    return s


def test_store_reads_back_what_ingest_load_gives(dup_files, dup_store):
    want = ingest_mod.load(dup_files)
    got = store.load(dup_store)
    assert want.counts["rows_duplicate"] > 300 and want.counts["rows_rejected"] == 1
    assert want.counts["rows_non_vessel"] == 1
    pd.testing.assert_frame_equal(store.canonical(want.positions), got.positions)
    pd.testing.assert_frame_equal(want.rejects, got.rejects)
    assert _same_counts(want.counts, got.counts)  # per file too: duplicates counted against the later copy
    c = got.counts
    assert c["rows_read"] == c["rows_kept"] + c["rows_rejected"] + c["rows_duplicate"] + c["rows_non_vessel"]


def test_store_layout_and_manifest(dup_files, dup_store):
    m = store.read_manifest(dup_store)
    assert (m["format"], m["store_version"], m["n_buckets"], m["generation"]) == ("vesseltrack-store", 1, B, 1)
    assert [i["path"] for i in m["inputs"]] == [str(p) for p in dup_files]
    assert [i["sha256"] for i in m["inputs"]] == [store.sha256_of(p) for p in dup_files]
    assert [i["bytes"] for i in m["inputs"]] == [p.stat().st_size for p in dup_files]
    assert [len(i["files"]) for i in m["inputs"]] == [1, 1, 2]  # the zip's two members, counted apart
    assert m["totals"]["positions"] == m["rows"]["rows_kept"] == sum(b["rows"] for b in m["buckets"].values())
    files = sorted(p.relative_to(dup_store).as_posix() for p in dup_store.rglob("*") if p.is_file())
    assert files == sorted(["manifest.json", "rejects/part-00001.parquet",
                            *(b["file"] for b in m["buckets"].values())])
    assert all(f.startswith("positions/bucket=") and f.endswith("/part-00001.parquet")
               for f in files if f.startswith("positions/"))
    text = (dup_store / "manifest.json").read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True) + "\n"  # sorted keys, nothing else


def test_partitions_hold_whole_vessels_sorted(dup_store):
    m = store.read_manifest(dup_store)
    parts = store.open_partitions(dup_store)
    assert parts == [str(dup_store / b["file"]) for _, b in sorted(m["buckets"].items())]
    whole = store.read_positions(dup_store)
    seen = []
    for key, b in sorted(m["buckets"].items()):
        p = store.read_bucket(dup_store, int(key))
        pd.testing.assert_frame_equal(p, store.read_partition(dup_store / b["file"]))
        mmsi = p["mmsi"].to_numpy()
        assert (bucket_of(mmsi, B) == int(key)).all() and len(p) == b["rows"]
        t = p["timestamp"].array.asi8
        assert ((mmsi[1:] > mmsi[:-1]) | ((mmsi[1:] == mmsi[:-1]) & (t[1:] >= t[:-1]))).all()
        seen.append(p)
    pd.testing.assert_frame_equal(
        pd.concat(seen).sort_values(["mmsi", "timestamp"], kind="stable").reset_index(drop=True)[["mmsi", "timestamp"]],
        whole[["mmsi", "timestamp"]])
    empty = next((b for b in range(B) if str(b) not in m["buckets"]), None)
    if empty is not None:
        assert len(store.read_bucket(dup_store, empty)) == 0
    with pytest.raises(ConfigError, match="bucket 8 is out of range; expected 0 <= bucket < 8"):
        store.read_bucket(dup_store, B)


def test_store_is_a_plain_parquet_dataset(dup_store):
    direct = pd.read_parquet(dup_store / "positions")  # Hive partitioning: a 'bucket' column is added
    assert len(direct) == store.read_manifest(dup_store)["rows"]["rows_kept"]
    assert set(direct.columns) == {c.name for c in schema.POSITIONS} | {"bucket"}


def test_score_of_a_store_equals_score_of_the_files_with_duplicates(dup_files, dup_store, tmp_path):
    raw = _score(dup_files, tmp_path / "A")
    _assert_same_results(raw, _score([dup_store], tmp_path / "B"), dup_store)
    assert raw["summary"]["rows"]["rows_duplicate"] > 0


def test_two_calls_give_the_store_of_one_call(dup_files, dup_store, tmp_path):
    s = tmp_path / "two-calls"
    store.ingest(dup_files[:1], s, n_buckets=B)
    store.ingest(dup_files[1:], s)
    one, two = store.read_manifest(dup_store), store.read_manifest(s)
    assert two["generation"] == 2
    assert _same_counts(one["rows"], two["rows"]) and one["totals"] == two["totals"]
    assert {k: (b["rows"], b["vessels"]) for k, b in one["buckets"].items()} == {
        k: (b["rows"], b["vessels"]) for k, b in two["buckets"].items()}
    for key in one["buckets"]:
        pd.testing.assert_frame_equal(store.read_bucket(dup_store, int(key)), store.read_bucket(s, int(key)))
    pd.testing.assert_frame_equal(store.read_rejects(dup_store), store.read_rejects(s))
    # the replaced generation's files are gone: one file per bucket
    assert sorted(p.relative_to(s).as_posix() for p in (s / "positions").rglob("*.parquet")) == sorted(
        b["file"] for b in two["buckets"].values())
    a = _score([dup_store], tmp_path / "A")
    b = _score([s], tmp_path / "B")
    for name in COMPARED:
        assert a[name] == b[name], name
    assert {**a["summary"], "inputs": None} == {**b["summary"], "inputs": None}


def test_ingesting_a_file_again_changes_nothing(dup_files, tmp_path):
    s = tmp_path / "s"
    store.ingest(dup_files[:2], s, n_buckets=B)
    before = {p: p.read_bytes() for p in s.rglob("*") if p.is_file()}
    copy = tmp_path / "same-bytes.csv"  # another name, same content: the same input
    copy.write_bytes(dup_files[0].read_bytes())
    report = store.ingest([dup_files[1], copy], s)
    assert report.added == [] and [p for p, _ in report.already] == [str(dup_files[1]), str(copy)]
    assert report.already[0][1] == store.sha256_of(dup_files[1])
    assert {p: p.read_bytes() for p in s.rglob("*") if p.is_file()} == before


def test_parallel_jobs_write_the_same_bytes(dup_files, dup_store, tmp_path):
    s = tmp_path / "jobs2"
    store.ingest(dup_files, s, n_buckets=B, jobs=2)
    files = sorted(p.relative_to(s) for p in s.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(dup_store) for p in dup_store.rglob("*") if p.is_file())
    for f in files:
        assert (s / f).read_bytes() == (dup_store / f).read_bytes(), f


def test_a_killed_ingest_leaves_the_previous_store(dup_files, dup_store, tmp_path, monkeypatch):
    s = tmp_path / "s"
    store.ingest(dup_files[:1], s, n_buckets=B)
    before = (s / "manifest.json").read_bytes()
    positions = store.read_positions(s)

    def killed(*args, **kwargs):  # after the new bucket files moved into place, before the manifest
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_totals", killed)
    with pytest.raises(KeyboardInterrupt):
        store.ingest(dup_files[1:], s)
    monkeypatch.undo()
    assert (s / "manifest.json").read_bytes() == before
    assert not (s / ".staging").exists()
    assert len(list((s / "positions").rglob("*.parquet"))) > len(store.open_partitions(s))  # orphans of the kill
    pd.testing.assert_frame_equal(store.read_positions(s), positions)  # the store is what its manifest says
    store.ingest(dup_files[1:], s)  # the next ingest removes the orphans and completes
    pd.testing.assert_frame_equal(store.read_positions(s), store.read_positions(dup_store))
    assert sorted(p.relative_to(s).as_posix() for p in (s / "positions").rglob("*.parquet")) == sorted(
        b["file"] for b in store.read_manifest(s)["buckets"].values())


def test_a_bad_input_leaves_the_store_unchanged(dup_files, tmp_path):
    s = tmp_path / "s"
    store.ingest(dup_files[:1], s, n_buckets=B)
    before = {p: p.read_bytes() for p in s.rglob("*") if p.is_file()}
    empty = tmp_path / "empty.csv"
    empty.write_text("MMSI,BaseDateTime,LAT,LON\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.csv: no data rows"):
        store.ingest([dup_files[1], empty], s)
    assert {p: p.read_bytes() for p in s.rglob("*") if p.is_file()} == before


def test_store_errors_are_one_line_with_a_fix(dup_files, dup_store, tmp_path):
    with pytest.raises(ConfigError, match="--buckets 16 differs from the store's 8 buckets; expected the store's own"):
        store.ingest(dup_files, dup_store, n_buckets=16)
    other = tmp_path / "results"
    other.mkdir()
    (other / "alerts.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"holds alerts\.csv, which a store does not; expected an empty folder"):
        store.ingest(dup_files, other)
    with pytest.raises(ConfigError, match="--buckets 0 is invalid; expected a whole number from 1 to 10000"):
        store.ingest(dup_files, tmp_path / "new", n_buckets=0)
    with pytest.raises(ConfigError, match="jobs=0 is invalid"):
        store.ingest(dup_files, tmp_path / "new", jobs=0)
    with pytest.raises(ConfigError, match="is a store and 1 other input"):
        pipeline.run([dup_store, dup_files[0]])
    old = tmp_path / "old"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps({"format": "vesseltrack-store", "store_version": 0}))
    with pytest.raises(InputError, match="store version 0 of format 'vesseltrack-store'; expected 'vesseltrack-store' "
                                         "version 1; re-ingest"):
        store.read_manifest(old)


def test_few_buckets(dup_files, dup_store, tmp_path):
    s = tmp_path / "s"
    store.ingest(dup_files, s, n_buckets=3)
    m = store.read_manifest(s)
    assert sorted(m["buckets"]) == ["0", "1", "2"] and (s / "positions" / "bucket=0").is_dir()
    pd.testing.assert_frame_equal(store.read_positions(s), store.read_positions(dup_store))


def test_score_of_a_store_equals_score_of_the_sample(tmp_path):
    sample = SAMPLES / "sea_of_japan.csv.gz"
    s = tmp_path / "store"
    assert main(["ingest", str(sample), "--store", str(s), "--quiet"]) == 0
    _assert_same_results(_score([sample], tmp_path / "A"), _score([s], tmp_path / "B"), s)


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["tracktable_marinecadastre/NYHarbor_2020_06_30_first_hour.csv",
                                  "dma_aislib/stream_example.txt"])
def test_score_of_a_store_equals_score_of_a_real_file(tmp_path, name):
    real = shared_ais() / name
    s = tmp_path / "store"
    store.ingest([real], s)
    raw = _score([real], tmp_path / "A")
    _assert_same_results(raw, _score([s], tmp_path / "B"), s)
    assert os.path.getsize(tmp_path / "B" / "alerts.csv") > 0


def test_train_reads_a_store_like_its_files(dup_files, dup_store):
    def outcome(inputs):
        try:
            return pipeline.train(inputs).reference
        except ConfigError as err:
            return str(err)

    assert outcome([dup_store]) == outcome(dup_files)


# --- write_frames: positions tables straight into a store, one at a time -------------------------

BULK = "generate_bulk_chunks(n_positions=50000, seed=0)"


def _bulk(chunk_rows: int):
    from vesseltrack.scenarios import generate_bulk_chunks

    return generate_bulk_chunks(50_000, seed=0, chunk_rows=chunk_rows)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def frames_store(tmp_path_factory) -> Path:
    s = tmp_path_factory.mktemp("frames") / "store"
    store.write_frames(_bulk(7_000), s, source=BULK, n_buckets=B)
    return s


def test_write_frames_reads_back_the_tables(frames_store):
    from vesseltrack.tracks import sort_positions

    expected = store.canonical(sort_positions(pd.concat(_bulk(50_000), ignore_index=True)))
    pd.testing.assert_frame_equal(store.read_positions(frames_store), expected)
    m = store.read_manifest(frames_store)
    assert m["rows"]["rows_read"] == m["rows"]["rows_kept"] == m["totals"]["positions"] == 50_000
    assert m["totals"]["vessels"] == 25 and len(m["buckets"]) <= B
    (entry,) = m["inputs"]
    assert entry["path"] == BULK and entry["rejects"] is None and entry["files"][0]["format"] == "positions"
    assert entry["sha256"] == hashlib.sha256(BULK.encode()).hexdigest()
    assert not (frames_store / ".staging").exists()


def test_write_frames_gives_the_store_ingest_gives_from_the_tables_as_files(frames_store, tmp_path):
    files = []
    for i, chunk in enumerate(_bulk(7_000)):
        files.append(tmp_path / f"chunk{i}.parquet")
        chunk.to_parquet(files[-1])
    store.ingest(files, tmp_path / "ingested", n_buckets=B)
    pd.testing.assert_frame_equal(store.read_positions(frames_store), store.read_positions(tmp_path / "ingested"))
    ours, theirs = _files(frames_store), _files(tmp_path / "ingested")
    positions = [k for k in ours if k.startswith("positions/")]
    assert positions and all(ours[k] == theirs[k] for k in positions)


def test_write_frames_does_not_depend_on_the_chunk_size(frames_store, tmp_path):
    for rows in (13_000, 50_000):
        store.write_frames(_bulk(rows), tmp_path / str(rows), source=BULK, n_buckets=B)
        assert _files(tmp_path / str(rows)) == _files(frames_store)  # manifest included


def test_write_frames_drops_duplicates_across_tables_and_skips_a_source_again(tmp_path):
    chunks = list(_bulk(10_000))
    again = [chunks[0], chunks[1].iloc[:300], chunks[1]]  # 300 rows twice, across tables
    s = tmp_path / "s"
    report = store.write_frames(again, s, source="dups", n_buckets=B)
    assert report.added == ["dups"] and report.added_rows["rows_duplicate"] == 300
    m = store.read_manifest(s)
    assert m["rows"]["rows_read"] == 20_300 and m["rows"]["rows_kept"] == 20_000
    assert m["rows"]["files"][0]["rows_duplicate"] == 300
    pd.testing.assert_frame_equal(store.read_positions(s), store.read_positions(_written(chunks[:2], tmp_path / "t")))
    before = _files(s)
    assert store.write_frames(iter(chunks), s, source="dups").already == [("dups", hashlib.sha256(b"dups").hexdigest())]
    assert _files(s) == before
    # another source adds to the store: its rows already there count as duplicates
    report = store.write_frames(chunks[1:3], s, source="more")
    assert report.added_rows["rows_duplicate"] == 10_000 and report.added_rows["rows_kept"] == 10_000
    assert store.read_manifest(s)["generation"] == 2 and store.read_manifest(s)["totals"]["positions"] == 30_000


def _written(chunks, s: Path) -> Path:
    store.write_frames(chunks, s, source="reference", n_buckets=B)
    return s


def test_write_frames_killed_midway_leaves_the_previous_store(frames_store, tmp_path):
    import shutil

    s = tmp_path / "s"
    shutil.copytree(frames_store, s)
    before = _files(s)

    def failing():
        yield from _bulk(7_000)
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        store.write_frames(failing(), s, source="other")
    assert _files(s) == before and not (s / ".staging").exists()
    bad = next(_bulk(1_000)).assign(lat=np.float64(95.0))
    with pytest.raises(SchemaError, match="other: table 0: column 'lat' has 1000 values outside"):
        store.write_frames([bad], s, source="other")
    with pytest.raises(InputError, match="empty: no rows; expected one or more positions tables with rows"):
        store.write_frames([], tmp_path / "e", source="empty")
    assert _files(s) == before


def test_score_reads_a_store_written_by_write_frames(frames_store, tmp_path):
    assert main(["score", str(frames_store), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["inputs"] == [str(frames_store)] and summary["rows"]["rows_kept"] == 50_000
