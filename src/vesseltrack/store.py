"""The partitioned AIS store: canonical positions as a Hive-partitioned Parquet dataset.

A vessel's rows all live in one partition, its *vessel bucket*: a stable hash of the MMSI, the
same on every machine, Python version and run (not Python's salted ``hash``). Engines that
process the store partition by partition rely on it: every vessel-local stage sees whole tracks.

Writing: :func:`ingest` (``vesseltrack ingest FILES --store DIR``) reads each input with the
per-file machinery of :mod:`vesseltrack.ingest` (same readers, cleaner, merge and duplicate rules
as ``ingest.load``), stages it per bucket, merges the touched buckets, then replaces the manifest;
:func:`write_frames` does the same for positions tables given one at a time (data larger than memory).
Reading: :func:`load` (what ``score DIR`` uses: positions, rejects and the row accounting, as
``ingest.load`` gives for the same files), :func:`read_positions`, and per partition for engines
:func:`open_partitions` + :func:`read_partition` or :func:`read_bucket`. Layout and guarantees:
README, section "Store".
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from vesseltrack.errors import ConfigError, InputError

#: Vessel buckets in a new store (partitions ``bucket=00`` ... ``bucket=63``).
DEFAULT_BUCKETS = 64


def bucket_of(mmsi: np.ndarray, n_buckets: int = DEFAULT_BUCKETS) -> np.ndarray:
    """The vessel bucket (0 <= b < n_buckets, int32) of each MMSI: splitmix64's finaliser of the
    MMSI, modulo ``n_buckets``. Stable across machines and runs; spreads consecutive MMSIs (one
    fleet, one country's MID) evenly over the buckets."""
    if n_buckets < 1:
        raise ValueError(f"n_buckets must be at least 1; got {n_buckets}")
    z = np.asarray(mmsi).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(n_buckets)).astype(np.int32)


# ---------------------------------------------------------------------------------------------------
# The store on disk
#
#   DIR/manifest.json                              what the store holds (written last, atomically)
#   DIR/positions/bucket=BB/part-GGGGG.parquet     schema.POSITIONS of whole vessels, sorted by
#                                                  (mmsi, timestamp), exact duplicates removed
#   DIR/rejects/part-KKKKK.parquet                 schema.REJECTS of input number K
#   DIR/.staging/                                  work in progress (Arrow IPC parts; removed when done)
#
# An ingest writes new bucket files (generation G) and rejects files, then replaces manifest.json,
# then deletes the bucket files of the previous generation. A store is what its manifest says: a
# run killed before the manifest leaves the previous store (plus orphan files the next ingest
# removes), never a half-written one.
# ---------------------------------------------------------------------------------------------------

MANIFEST = "manifest.json"
#: Version of the store's layout and manifest; a reader refuses a store of another version.
STORE_VERSION = 1
STORE_FORMAT = "vesseltrack-store"
#: Parquet compression of the store's files.
COMPRESSION = "zstd"

Progress = Callable[[str], None]


def _say(progress: Progress | None, msg: str) -> None:
    if progress is not None:
        progress(msg)


def _categorical() -> list[str]:
    from vesseltrack import schema

    return [c.name for c in schema.POSITIONS if c.dtype == "category"]


def bucket_key(b: int, n_buckets: int) -> str:
    """``BB``: bucket ``b``'s key in the manifest's ``buckets``, zero-padded so that keys sort in bucket order."""
    return f"{b:0{len(str(n_buckets - 1))}d}"


def _bucket_name(b: int, n_buckets: int) -> str:
    """``bucket=BB``: the bucket's folder (Hive partition)."""
    return f"bucket={bucket_key(b, n_buckets)}"


def _is_url(path: str | os.PathLike) -> bool:
    return "://" in str(path)


def _join(base: str | os.PathLike, *parts: str) -> str:
    base = str(base)
    if _is_url(base):
        return "/".join([base.rstrip("/"), *parts])
    return str(Path(base, *parts))


def _filesystem(path: str):
    """(pyarrow filesystem, path in it) of a local path or a URL (s3://, gs://, file://, ... through
    pyarrow's filesystems, or fsspec's when installed)."""
    from pyarrow import fs

    if not _is_url(path):
        return fs.LocalFileSystem(), str(Path(path).absolute())
    try:
        return fs.FileSystem.from_uri(path)
    except (ValueError, OSError):  # pyarrow's ArrowInvalid (a ValueError) for schemes it lacks
        try:
            import fsspec  # optional: handles every scheme fsspec knows
        except ImportError as err:
            raise InputError(
                f"{path}: cannot open this URL with pyarrow; expected a local path or s3://, gs://, hdfs:// URL; "
                f"install fsspec (and its driver, e.g. s3fs) for other schemes"
            ) from err
        ffs, p = fsspec.core.url_to_fs(path)
        return fs.PyFileSystem(fs.FSSpecHandler(ffs)), p


def canonical(positions: pd.DataFrame) -> pd.DataFrame:
    """A positions table read back from Parquet with the dtypes of schema.POSITIONS exactly and, as
    the categories of its categorical columns, the values used, sorted (the store's one form, which
    does not depend on which files, chunks or buckets a value came from). Returns a new frame."""
    from vesseltrack import schema

    out: dict[str, Any] = {}
    for c in schema.POSITIONS:
        s = positions[c.name]
        if c.dtype == "category":
            cat = s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
            codes = cat.cat.codes.to_numpy()
            used = np.bincount(codes[codes >= 0], minlength=len(cat.cat.categories)) > 0
            values = cat.cat.categories.to_numpy(dtype=object)[used].astype(str)
            order = np.argsort(values, kind="stable")  # the used values, sorted
            inverse = np.full(len(used), -1, dtype=np.int64)
            inverse[np.flatnonzero(used)[order]] = np.arange(len(order))
            new_codes = np.where(codes < 0, -1, inverse[np.maximum(codes, 0)]) if len(used) else codes
            dtype = pd.CategoricalDtype(pd.Index(values[order].astype(object), dtype="str"), ordered=False)
            out[c.name] = pd.Categorical.from_codes(new_codes, dtype=dtype, validate=False)
        elif str(s.dtype) != c.dtype:
            out[c.name] = cast(Any, s).astype(c.dtype)
        else:
            out[c.name] = s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array
    return pd.DataFrame(out, copy=False)


def _to_arrow(df: pd.DataFrame):
    """``df`` as an Arrow table with one Arrow type per column in every file of a store (pandas
    picks the narrowest dictionary index), so that readers concatenate files without unifying."""
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    one = pa.dictionary(pa.int32(), pa.string())
    return table.cast(pa.schema([f.with_type(one) if pa.types.is_dictionary(f.type) else f for f in table.schema],
                                metadata=table.schema.metadata))


def _write_table(table, path: Path) -> int:
    """Write an Arrow table to ``path`` (via a temporary name beside it, then renamed), each
    dictionary column re-encoded to the values this table uses (a slice of a larger table would
    otherwise carry the whole dictionary); returns the file's bytes."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(_own_dictionaries(table), tmp, compression=COMPRESSION)
    os.replace(tmp, path)
    return path.stat().st_size


def _own_dictionaries(table):
    """``table`` with each dictionary column re-encoded to the values it uses, in order of appearance."""
    import pyarrow as pa

    cols = []
    for f, col in zip(table.schema, table.columns):
        if pa.types.is_dictionary(f.type):
            col = col.combine_chunks().dictionary_decode().dictionary_encode().cast(f.type)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=table.schema)


#: Compression of the staged parts (Arrow IPC files: written once, read once, soon deleted).
STAGE_COMPRESSION = "lz4"


def _write_staged(table, path: Path) -> None:
    """Write a staged part: an Arrow IPC file, faster to write and read than Parquet; the store's
    own files are Parquet, written from it by :func:`_compact`."""
    import pyarrow as pa

    path.parent.mkdir(parents=True, exist_ok=True)
    table = _own_dictionaries(table)
    with pa.OSFile(str(path), "wb") as sink:
        with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression=STAGE_COMPRESSION)) as w:
            w.write_table(table)


def _read_staged(path: str):
    import pyarrow as pa

    with pa.memory_map(path) as source:
        return pa.ipc.open_file(source).read_all()


def _write_parquet(df: pd.DataFrame, path: Path) -> int:
    """Write a table (positions or rejects) to ``path``; returns its bytes."""
    return _write_table(_to_arrow(df), path)


def _read_parquet(path: str) -> pd.DataFrame:
    import pyarrow.parquet as pq

    fsys, p = _filesystem(path)
    return pq.read_table(p, filesystem=fsys).to_pandas()


# --------------------------------------------------------------------------- reading --------------


def is_store(path: str | os.PathLike) -> bool:
    """True when ``path`` is a store directory (it holds a manifest.json)."""
    path = str(path)
    if not _is_url(path):
        return Path(path, MANIFEST).is_file()
    from pyarrow import fs

    try:
        fsys, p = _filesystem(_join(path, MANIFEST))
        return fsys.get_file_info(p).type == fs.FileType.File
    except (InputError, OSError):
        return False


def read_manifest(path: str | os.PathLike) -> dict:
    """The store's manifest (see the README's "Store" section). Raises InputError when ``path`` is
    not a store or is a store of another layout version."""
    where = _join(path, MANIFEST)
    try:
        fsys, p = _filesystem(where)
        with fsys.open_input_stream(p) as f:
            manifest = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(
            f"{where}: cannot read the store's manifest ({err}); expected a store written by "
            f"'vesseltrack ingest --store'; check the path"
        ) from err
    if manifest.get("format") != STORE_FORMAT or manifest.get("store_version") != STORE_VERSION:
        raise InputError(
            f"{where}: store version {manifest.get('store_version')!r} of format {manifest.get('format')!r}; expected "
            f"{STORE_FORMAT!r} version {STORE_VERSION}; re-ingest the raw files with this vesseltrack"
        )
    return manifest


def open_partitions(path: str | os.PathLike, manifest: dict | None = None) -> list[str]:
    """The store's partitions: one Parquet file per non-empty vessel bucket, in bucket order, as
    paths (or URLs, for a store at a URL). Each holds whole vessels; :func:`read_partition` reads one."""
    manifest = read_manifest(path) if manifest is None else manifest
    return [_join(path, *b["file"].split("/")) for _, b in sorted(manifest["buckets"].items())]


def read_partition(file: str | os.PathLike) -> pd.DataFrame:
    """One partition file as canonical positions (schema.POSITIONS dtypes, sorted by (mmsi,
    timestamp), whole vessels, RangeIndex)."""
    return canonical(_read_parquet(str(file)))


def read_bucket(path: str | os.PathLike, bucket: int, manifest: dict | None = None) -> pd.DataFrame:
    """The canonical positions of vessel bucket ``bucket`` (every vessel with ``bucket_of(mmsi) ==
    bucket``, whole), sorted by (mmsi, timestamp); an empty table for an empty bucket."""
    from vesseltrack import schema

    manifest = read_manifest(path) if manifest is None else manifest
    if not 0 <= bucket < manifest["n_buckets"]:
        raise ConfigError(
            f"bucket {bucket} is out of range; expected 0 <= bucket < {manifest['n_buckets']} (the store's n_buckets); "
            f"list the partitions with store.open_partitions"
        )
    entry = manifest["buckets"].get(bucket_key(bucket, manifest["n_buckets"]))
    if entry is None:
        return canonical(schema.empty(schema.POSITIONS))
    return read_partition(_join(path, *entry["file"].split("/")))


def read_positions(path: str | os.PathLike, manifest: dict | None = None) -> pd.DataFrame:
    """All the store's positions as one canonical table sorted by (mmsi, timestamp): the table
    ``ingest.load`` gives for the same files (categories in sorted order)."""
    manifest = read_manifest(path) if manifest is None else manifest
    return read_files(open_partitions(path, manifest))


def read_buckets(path: str | os.PathLike, buckets: Sequence[int], manifest: dict | None = None, *,
                 mmsi: Sequence[int] | np.ndarray | None = None) -> pd.DataFrame:
    """The canonical positions of the vessel buckets ``buckets`` as one table sorted by (mmsi,
    timestamp): what an engine's task reads when it takes several buckets at once. ``mmsi``: only
    those vessels' positions (files are sorted by MMSI: row groups without them are skipped)."""
    manifest = read_manifest(path) if manifest is None else manifest
    n = manifest["n_buckets"]
    bad = [b for b in buckets if not 0 <= b < n]
    if bad:
        raise ConfigError(
            f"buckets {bad} are out of range; expected 0 <= bucket < {n} (the store's n_buckets); "
            f"list the partitions with store.open_partitions"
        )
    held = manifest["buckets"]
    entries = [held.get(bucket_key(b, n)) for b in sorted(set(buckets))]
    return read_files([_join(path, *e["file"].split("/")) for e in entries if e is not None], mmsi=mmsi)


def read_files(files: Sequence[str], *, mmsi: Sequence[int] | np.ndarray | None = None) -> pd.DataFrame:
    """Partition files of whole vessels as one canonical table sorted by (mmsi, timestamp); only
    the vessels ``mmsi`` when given."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from vesseltrack import schema

    if not files:
        return canonical(schema.empty(schema.POSITIONS))
    tables = []
    only = None if mmsi is None else [("mmsi", "in", [int(m) for m in np.unique(np.asarray(mmsi))])]
    for f in files:
        fsys, p = _filesystem(f)
        tables.append(pq.read_table(p, filesystem=fsys, filters=only))
    table = pa.concat_tables(tables)
    del tables
    mmsi = table.column("mmsi").to_numpy()
    # each bucket is sorted and holds whole vessels: a stable sort by MMSI orders the whole table
    # (in pandas: Arrow's take of dictionary columns over many chunks is several times slower)
    order = np.argsort(mmsi, kind="stable")
    out = canonical(table.to_pandas())
    del table
    if not (order == np.arange(len(order))).all():
        out = out.take(order).reset_index(drop=True)
    return out


def read_rejects(path: str | os.PathLike, manifest: dict | None = None) -> pd.DataFrame:
    """The store's rejects (schema.REJECTS), in the order of its inputs, then row order."""
    from vesseltrack import schema

    manifest = read_manifest(path) if manifest is None else manifest
    parts = [_read_parquet(_join(path, *i["rejects"].split("/"))) for i in manifest["inputs"] if i["rejects"]]
    if not parts:
        return schema.empty(schema.REJECTS)
    rejects = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({c.name: cast(Any, rejects[c.name]).astype(c.dtype) for c in schema.REJECTS})


def load(path: str | os.PathLike, progress: Progress | None = None):
    """The store as :class:`vesseltrack.ingest.Ingested`: positions, rejects and the row accounting
    of its inputs (the ``rows`` of summary.json), as ``ingest.load`` gives for the same files."""
    from vesseltrack.ingest import Ingested

    manifest = read_manifest(path)
    positions = read_positions(path, manifest)
    rejects = read_rejects(path, manifest)
    rows = manifest["rows"]
    _say(progress, f"loaded {rows['rows_kept']:,} positions from store {path} ({len(manifest['inputs'])} input(s)); "
                   f"{rows['rows_rejected']:,} rejected, {rows['rows_duplicate']:,} duplicates")
    return Ingested(positions=positions, rejects=rejects, counts=rows)


# --------------------------------------------------------------------------- writing --------------


@dataclass
class IngestReport:
    """What :func:`ingest` did: the inputs it added, those already in the store (skipped, with
    their sha256), and the store's manifest after it."""

    store: str
    added: list[str] = field(default_factory=list)
    already: list[tuple[str, str]] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    #: rows_read / rows_kept / rows_rejected / rows_duplicate / rows_non_vessel of the added inputs
    added_rows: dict = field(default_factory=dict)


def sha256_of(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stations(non_vessel: list[pd.DataFrame]) -> dict[str, dict[str, int]]:
    """{kind: {mmsi: rows}} of the rows set aside as not ships (their reject ``detail`` reads
    ``mmsi=X kind=Y``), so that a store can count distinct stations across all its inputs."""
    if not non_vessel:
        return {}
    detail = pd.concat(non_vessel, ignore_index=True)["detail"].str.extract(r"mmsi=(?P<mmsi>\S+) kind=(?P<kind>\S+)")
    sizes = detail.groupby(["kind", "mmsi"], sort=True).size()
    out: dict[str, dict[str, int]] = {}
    for kind, mmsi, n in zip(sizes.index.get_level_values("kind"), sizes.index.get_level_values("mmsi"),
                             sizes.to_numpy()):
        out.setdefault(str(kind), {})[str(mmsi)] = int(n)
    return out


def _stage_parts(positions: pd.DataFrame, fids: np.ndarray, n_sources: int, first: int, folder: Path,
                 n_buckets: int, parts: dict[str, list[int]]) -> None:
    """Write ``positions`` (sorted by (mmsi, timestamp), without duplicates; ``fids``: the source
    number of each row, below ``n_sources``) as one part per (bucket, source), each still sorted:
    ``folder/bucket=BB/source-JJJJJ.arrow`` (see :func:`_write_staged`) with J = ``first`` + source number. Adds J to
    ``parts[BB]`` for each part written."""
    import pyarrow as pa

    key = bucket_of(positions["mmsi"].to_numpy(), n_buckets).astype(np.int64) * n_sources + fids
    order = np.argsort(key, kind="stable")
    key = key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.empty(0, np.int64)
    ends = np.r_[starts[1:], len(key)]
    table = _to_arrow(canonical(positions)).take(pa.array(order))  # one conversion, then a slice per part
    for s, e in zip(starts, ends):
        b, j = divmod(int(key[s]), n_sources)
        name = _bucket_name(b, n_buckets)
        _write_staged(table.slice(s, e - s), Path(folder, name, f"source-{first + j:05d}.arrow"))
        parts.setdefault(bucket_key(b, n_buckets), []).append(first + j)


def _stage_input(k: int, path: str, stage: str, n_buckets: int, options: dict,
                 progress: Progress | None = None) -> dict:
    """Read input number ``k`` (all its sources: a zip may hold several) with ingest's per-file
    machinery (reader, cleaner, the merge and de-duplication of ``ingest.load``), then write its
    positions per (bucket, source) and its rejects into the staging folder ``stage``. Returns its
    manifest entry (without sha256 and size) plus ``parts``: {bucket: [source numbers]}."""
    import pyarrow as pa

    from vesseltrack import ingest
    from vesseltrack.ingest.assemble import Columns
    from vesseltrack.ingest.sniff import expand

    sources = expand(path)
    columns = Columns(ingest._row_capacity(sources), len(sources))
    skipped: dict[str, int] = {}
    non_vessel: list[pd.DataFrame] = []
    files: list[dict] = []
    reject_parts: list[pd.DataFrame] = []
    for j, src in enumerate(sources):
        stats, rejects = ingest._read_file(j, src, columns, skipped, non_vessel, progress=progress, **options)
        files.append(stats)
        if rejects is not None:
            reject_parts.append(rejects)
    pa.default_memory_pool().release_unused()
    positions, fids, drop = columns.assemble()
    del columns
    if len(drop):
        for f, d in zip(files, np.bincount(fids[drop], minlength=len(files))):
            f["rows_duplicate"] = int(d)
            f["rows_kept"] -= int(d)
        fids = np.delete(fids, drop)
    parts: dict[str, list[int]] = {}
    _stage_parts(positions, fids, len(sources), 0, Path(stage, f"input-{k:05d}"), n_buckets, parts)
    del positions
    rejects_file = None
    if reject_parts:
        rejects_file = f"rejects/part-{k:05d}.parquet"
        _write_parquet(pd.concat(reject_parts, ignore_index=True), Path(stage, *rejects_file.split("/")))
    said = {"column_map": options["column_map"], "strict_mmsi": options["strict_mmsi"],
            "assume_time": None if options["assume_time"] is None else str(options["assume_time"])}
    return {"index": k, "path": path, "options": said,
            "files": files, "skipped": skipped, "non_vessel_stations": _stations(non_vessel),
            "rejects": rejects_file, "parts": parts}


def _compact(bucket: str, existing: str | None, parts: list[str], out: str, merge_single: bool = False) -> dict:
    """Merge a bucket's current file (``existing``, may be None) with new parts (in input order):
    sort by (mmsi, timestamp), order ties, drop exact duplicates (the later copy, as
    ``ingest.load`` does), write ``out``. Returns rows, vessels, bytes and the duplicates dropped
    per part. A single new part is moved into place as it is unless ``merge_single`` (which gives
    the bytes a merge of several parts with the same rows gives)."""
    from vesseltrack import schema
    from vesseltrack.ingest.assemble import assemble, values_of
    from vesseltrack.tracks import vessel_starts

    if existing is None and len(parts) == 1 and not merge_single:
        # a new bucket from one source: the staged part is already sorted and without duplicates
        table = _read_staged(parts[0])
        size = _write_table(table, Path(out))
        mmsi = table.column("mmsi").to_numpy()
        return {"rows": len(mmsi), "vessels": int(vessel_starts(mmsi).sum()), "bytes": size, "dropped": [0]}
    import pyarrow as pa
    import pyarrow.parquet as pq

    # one table (the store's file, then the parts), one conversion to pandas, then a piece per file
    tables = ([pq.read_table(existing)] if existing else []) + [_read_staged(p) for p in parts]
    bounds = np.cumsum([0, *(t.num_rows for t in tables)])
    whole = pa.concat_tables(tables).to_pandas()  # schema.POSITIONS dtypes (pandas metadata); canonical at the end
    del tables
    pieces: dict[str, Any] = {c.name: [values_of(whole[c.name])[a:b] for a, b in itertools.pairwise(bounds)]
                              for c in schema.POSITIONS}
    n_frames = len(bounds) - 1
    file_ids = [np.full(b - a, i, dtype=np.uint32) for i, (a, b) in enumerate(itertools.pairwise(bounds))]
    del whole
    positions, fids, drop = assemble(pieces, file_ids)
    dropped = np.bincount(fids[drop], minlength=n_frames) if len(drop) else np.zeros(n_frames, np.int64)
    if existing and dropped[0]:
        # cannot happen: the store's rows were de-duplicated when they were written
        raise AssertionError(f"bucket {bucket}: the store's own rows held duplicates")
    positions = canonical(positions)
    size = _write_parquet(positions, Path(out))
    return {"rows": len(positions), "vessels": int(vessel_starts(positions["mmsi"].to_numpy()).sum()),
            "bytes": size, "dropped": [int(d) for d in dropped[1 if existing else 0:]]}


def _run(fn, jobs: list[tuple], n_jobs: int):
    """``fn(*args)`` for each args in ``jobs``, results in the order of ``jobs`` (so never dependent
    on which finishes first): in this process, or in ``n_jobs`` worker processes."""
    if n_jobs <= 1 or len(jobs) <= 1:
        return [fn(*a) for a in jobs]
    import multiprocessing

    pool: Executor
    spawn = multiprocessing.get_context("spawn")  # not fork: the parent holds pyarrow's and numpy's threads
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs)), mp_context=spawn) as pool:
        futures = [pool.submit(fn, *a) for a in jobs]
        return [f.result() for f in futures]


def _totals(store: Path, inputs: list[dict], buckets: dict) -> dict:
    """The ``rows`` accounting of summary.json for everything in the store (as ``ingest.load``
    computes it for the same files in one call)."""
    from vesseltrack import ingest, schema

    files = [f for i in inputs for f in i["files"]]
    parts = [pd.read_parquet(Path(store, *i["rejects"].split("/"))) for i in inputs if i["rejects"]]
    rejects = pd.concat(parts, ignore_index=True) if parts else schema.empty(schema.REJECTS)
    kinds: dict[str, dict[str, int]] = {}
    for i in inputs:
        for kind, per in i["non_vessel_stations"].items():
            seen = kinds.setdefault(kind, {})
            for m, n in per.items():
                seen[m] = seen.get(m, 0) + n
    skipped: dict[str, int] = {}
    for i in inputs:
        for key, n in i["skipped"].items():
            skipped[key] = skipped.get(key, 0) + n
    rows = {
        "rows_read": sum(f["rows_read"] for f in files),
        "rows_kept": sum(b["rows"] for b in buckets.values()),
        "rows_rejected": len(rejects),
        "rows_duplicate": sum(f["rows_duplicate"] for f in files),
        "rows_non_vessel": sum(f["rows_non_vessel"] for f in files),
        "rejected_by_reason": {str(k): int(v) for k, v in rejects["reason"].value_counts().items()},
        "non_vessel": {k: {"rows": sum(v.values()), "stations": len(v)} for k, v in sorted(kinds.items())},
        "invalid_mmsi": ingest._invalid_mmsi_summary(rejects),
        "skipped": skipped,
        "files": files,
    }
    accounted = rows["rows_kept"] + rows["rows_rejected"] + rows["rows_duplicate"] + rows["rows_non_vessel"]
    if accounted != rows["rows_read"]:
        raise AssertionError(f"store {store}: {rows['rows_read']} rows read but {accounted} accounted for")
    return rows


def _prepare(store: Path) -> dict | None:
    """The store's manifest (None for a new store); removes what a killed ingest left behind (the
    staging folder, Parquet files the manifest does not list). Refuses a folder that is not a store."""
    if store.exists() and not store.is_dir():
        raise ConfigError(f"--store {store} is a file; expected a folder for the store; name a new or existing "
                          f"store folder")
    manifest = read_manifest(store) if Path(store, MANIFEST).is_file() else None
    if store.is_dir():
        own = {MANIFEST, "positions", "rejects", ".staging", f".{MANIFEST}.tmp"}
        other = sorted(p.name for p in store.iterdir() if p.name not in own)
        if other:
            raise ConfigError(
                f"--store {store} holds {', '.join(other[:3])}{' ...' if len(other) > 3 else ''}, which a store does "
                f"not; expected an empty folder or a store written by 'vesseltrack ingest'; name a new folder"
            )
        shutil.rmtree(store / ".staging", ignore_errors=True)
        listed = set()
        if manifest is not None:
            listed = {b["file"] for b in manifest["buckets"].values()} | {i["rejects"] for i in manifest["inputs"]}
        for sub in ("positions", "rejects"):
            for f in sorted((store / sub).rglob("*")) if (store / sub).is_dir() else []:
                if f.is_file() and f.relative_to(store).as_posix() not in listed:
                    f.unlink()
    return manifest


def _check_local(store: str | os.PathLike) -> None:
    if _is_url(store):
        raise ConfigError(f"--store {store}: ingest writes local folders only; expected a local path; ingest locally, "
                          f"then copy the folder to object storage (score reads it there)")


def _check_jobs(jobs: int) -> None:
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs={jobs!r} is invalid; expected a positive number of worker processes; "
                          f"pass e.g. --jobs 2")


def _new_store_buckets(manifest: dict | None, n_buckets: int | None) -> int:
    """The number of buckets of the store at ``root`` (its manifest's, or ``n_buckets`` for a new
    one, default :data:`DEFAULT_BUCKETS`), checked."""
    if manifest is not None and n_buckets is not None and n_buckets != manifest["n_buckets"]:
        raise ConfigError(
            f"--buckets {n_buckets} differs from the store's {manifest['n_buckets']} buckets; expected the "
            f"store's own; drop --buckets, or ingest into a new store"
        )
    n = manifest["n_buckets"] if manifest is not None else (DEFAULT_BUCKETS if n_buckets is None else n_buckets)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10_000:
        raise ConfigError(f"--buckets {n!r} is invalid; expected a whole number from 1 to 10000; "
                          f"pass e.g. --buckets 64")
    return n


def _merge_and_commit(root: Path, n: int, manifest: dict | None, staged: list[dict], new: list[tuple[str, str, int]],
                      jobs: int, progress: Progress | None, merge_single: bool = False) -> dict:
    """Second half of a write into the store at ``root`` (``n`` buckets, current ``manifest`` or
    None): merge each bucket the staged inputs touched (``staged``: their entries from
    :func:`_stage_input`, parts in ``root/.staging``; ``new``: their (path, sha256, bytes)) with the
    store's file for it, then commit: the new files into place, then the manifest, then the old
    files away. Returns the new manifest."""
    from vesseltrack import __version__, schema

    stage = root / ".staging"
    inputs: list[dict] = list(manifest["inputs"]) if manifest is not None else []
    buckets: dict[str, dict] = dict(manifest["buckets"]) if manifest is not None else {}
    generation = manifest["generation"] + 1 if manifest is not None else 1
    # compact every touched bucket: the store's file, then the new parts in input then source order
    touched: dict[str, list[tuple[int, int]]] = {}
    for rec in staged:
        for b, srcs in rec["parts"].items():
            touched.setdefault(b, []).extend((rec["index"], j) for j in srcs)
    work = []
    for b in sorted(touched):
        name = f"bucket={b}"
        existing = str(root / buckets[b]["file"]) if b in buckets else None
        parts = [str(stage / f"input-{k:05d}" / name / f"source-{j:05d}.arrow") for k, j in touched[b]]
        work.append((b, existing, parts, str(stage / "positions" / name / f"part-{generation:05d}.parquet"),
                     merge_single))
    _say(progress, f"store: merging {len(work)} bucket(s)")
    merged = _run(_compact, work, jobs)
    by_index = {rec["index"]: rec for rec in staged}
    for (b, *_), res in zip(work, merged):
        for (k, j), d in zip(touched[b], res["dropped"]):
            rec = by_index[k]
            f = rec["files"][rec["source_file"][j] if "source_file" in rec else j]
            f["rows_duplicate"] += d
            f["rows_kept"] -= d
    # --- commit: the new files into place, then the manifest, then the old files away ---
    old = []
    for (b, *_), res in zip(work, merged):
        rel = f"positions/bucket={b}/part-{generation:05d}.parquet"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / rel, root / rel)
        if b in buckets:
            old.append(root / buckets[b]["file"])
        buckets[b] = {"file": rel, "rows": res["rows"], "vessels": res["vessels"], "bytes": res["bytes"]}
    for rec, (_, digest, size) in zip(staged, new):
        if rec["rejects"]:
            (root / "rejects").mkdir(exist_ok=True)
            os.replace(stage / rec["rejects"], root / rec["rejects"])
        rec.pop("parts")
        rec.pop("source_file", None)
        inputs.append({**rec, "sha256": digest, "bytes": size, "generation": generation})
    rows = _totals(root, inputs, buckets)
    manifest = {
        "format": STORE_FORMAT,
        "store_version": STORE_VERSION,
        "vesseltrack_version": __version__,
        "n_buckets": n,
        "generation": generation,
        "layout": {"positions": "positions/bucket=BB/part-GGGGG.parquet", "rejects": "rejects/part-KKKKK.parquet",
                   "sorted_by": ["mmsi", "timestamp"], "bucket": "store.bucket_of(mmsi, n_buckets)"},
        "positions_schema": {c.name: c.dtype for c in schema.POSITIONS},
        "buckets": dict(sorted(buckets.items())),
        "inputs": inputs,
        "rows": rows,
        "totals": {"inputs": len(inputs), "positions": rows["rows_kept"],
                   "vessels": sum(b["vessels"] for b in buckets.values()),
                   "bytes": sum(b["bytes"] for b in buckets.values())},
    }
    tmp = root / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, root / MANIFEST)
    for f in old:
        f.unlink(missing_ok=True)
    return manifest


def ingest(paths: Sequence[str | os.PathLike] | str | os.PathLike, store: str | os.PathLike, *,
           n_buckets: int | None = None, column_map: dict | None = None, assume_time=None,
           strict_mmsi: bool | None = None, chunk_rows: int = 1_000_000, jobs: int = 1,
           progress: Progress | None = None) -> IngestReport:
    """Add AIS files (every format ``score`` reads; the same options) to the store at ``store`` (a
    local folder, created if needed; ``n_buckets`` for a new one, default :data:`DEFAULT_BUCKETS`).

    Each input is read on its own (``jobs`` at a time, in worker processes) and cleaned like
    ``ingest.load`` does, split by vessel bucket and staged; then each bucket it touched is merged
    with the store's file for it: sorted by (mmsi, timestamp), exact duplicates across all inputs
    dropped (the later input's copy, and counted against it). An input whose sha256 is already in the
    store is skipped. The result does not depend on ``jobs``, on which worker finishes first, or on
    whether the files came in one call or several (in the same order).
    """
    from vesseltrack.ingest import _check_chunk_rows

    _check_local(store)
    _check_chunk_rows(chunk_rows)
    _check_jobs(jobs)
    path_list = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not path_list:
        raise InputError("no input files given; expected one or more CSV, Parquet or NMEA paths; "
                         "pass at least one file")
    root = Path(store)
    manifest = _prepare(root)
    n = _new_store_buckets(manifest, n_buckets)
    inputs: list[dict] = list(manifest["inputs"]) if manifest is not None else []
    report = IngestReport(store=str(store))

    from vesseltrack.ingest.sniff import expand

    known = {i["sha256"]: i["path"] for i in inputs}
    new: list[tuple[str, str, int]] = []
    for p in path_list:
        expand(p)  # fail fast on a missing or unreadable file, before any work
        digest = sha256_of(p)
        if digest in known:
            report.already.append((str(p), digest))
            continue
        known[digest] = str(p)
        new.append((str(p), digest, Path(p).stat().st_size))
    if not new:
        report.manifest = manifest or {}
        return report

    stage = root / ".staging"
    stage.mkdir(parents=True, exist_ok=True)
    try:
        options = {"column_map": column_map, "assume_time": assume_time, "strict_mmsi": strict_mmsi,
                   "chunk_rows": chunk_rows}
        first = len(inputs)
        _say(progress, f"ingest: reading {len(new)} file(s) into {store} ({n} buckets, {min(jobs, len(new))} job(s))")
        staged = _run(_stage_input, [(first + i, p, str(stage), n, options, progress if jobs <= 1 else None)
                                     for i, (p, _, _) in enumerate(new)], jobs)
        manifest = _merge_and_commit(root, n, manifest, staged, new, jobs, progress)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    added = [f for rec in staged for f in rec["files"]]
    report.added = [p for p, _, _ in new]
    report.added_rows = {k: sum(f[k] for f in added)
                         for k in ("rows_read", "rows_kept", "rows_rejected", "rows_duplicate", "rows_non_vessel")}
    report.manifest = manifest
    _say(progress, f"ingest: store {store} holds {manifest['totals']['positions']:,} positions of "
                   f"{manifest['totals']['vessels']:,} vessels from {len(manifest['inputs'])} input(s)")
    return report


def write_frames(frames: Iterable[pd.DataFrame], store: str | os.PathLike, *, source: str,
                 n_buckets: int | None = None, jobs: int = 1, progress: Progress | None = None) -> IngestReport:
    """Add positions tables (schema.POSITIONS, e.g. ``scenarios.generate_bulk_chunks``) to the
    store at ``store`` (a local folder, created if needed; ``n_buckets`` for a new one), one table
    at a time: for data larger than memory, which no file holds.

    The tables are one input of the store, named ``source`` (a description of where they come from,
    e.g. ``"generate_bulk_chunks(n=100000000, seed=0)"``): its manifest entry has the sha256 of
    ``source`` (not of a file), so writing the same source again changes nothing. Each table is
    sorted by (mmsi, timestamp), its exact duplicates dropped, split by vessel bucket and staged;
    then each bucket is merged as :func:`ingest` merges (duplicates across tables dropped, the later
    copy), so the store is the one :func:`ingest` writes from the same tables as files, and its
    positions files do not depend on how the rows were cut into tables. Memory: one table, then one
    bucket (``jobs`` at a time, in worker processes). No cleaning: the tables must be valid
    (SchemaError otherwise).
    """
    from vesseltrack import schema
    from vesseltrack.ingest.assemble import assemble, values_of
    from vesseltrack.tracks import sort_positions

    _check_local(store)
    _check_jobs(jobs)
    root = Path(store)
    manifest = _prepare(root)
    n = _new_store_buckets(manifest, n_buckets)
    report = IngestReport(store=str(store))
    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    inputs: list[dict] = list(manifest["inputs"]) if manifest is not None else []
    if any(i["sha256"] == digest for i in inputs):
        report.already.append((source, digest))
        report.manifest = manifest or {}
        return report
    k = len(inputs)
    stats: dict[str, Any] = {"file": source, "format": "positions", "rows_read": 0, "rows_kept": 0, "rows_rejected": 0,
             "rows_duplicate": 0, "rows_non_vessel": 0}
    stage = root / ".staging"
    stage.mkdir(parents=True, exist_ok=True)
    try:
        parts: dict[str, list[int]] = {}
        j = 0
        for j, frame in enumerate(frames):
            schema.validate(frame, schema.POSITIONS, name=f"{source}: table {j}")
            frame = sort_positions(frame)  # one sorted run: assemble orders its ties and drops its duplicates
            pieces: dict[str, Any] = {c.name: [values_of(frame[c.name])] for c in schema.POSITIONS}
            positions, _, drop = assemble(pieces, [np.zeros(len(frame), np.uint8)])
            stats["rows_read"] += len(frame)
            stats["rows_kept"] += len(positions)
            stats["rows_duplicate"] += len(drop)
            del frame, pieces
            _stage_parts(positions, np.zeros(len(positions), np.int64), 1, j, Path(stage, f"input-{k:05d}"), n,
                         parts)
            del positions
            _say(progress, f"store: staged table {j + 1} of {source} ({stats['rows_read']:,} rows so far)")
        if stats["rows_read"] == 0:
            raise InputError(f"{source}: no rows; expected one or more positions tables with rows; "
                             f"pass a source that yields positions")
        staged = [{"index": k, "path": source, "options": {}, "files": [stats], "skipped": {},
                   "non_vessel_stations": {}, "rejects": None, "parts": parts, "source_file": [0] * (j + 1)}]
        manifest = _merge_and_commit(root, n, manifest, staged, [(source, digest, 0)], jobs, progress,
                                     merge_single=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    report.added = [source]
    report.added_rows = {key: stats[key]
                         for key in ("rows_read", "rows_kept", "rows_rejected", "rows_duplicate", "rows_non_vessel")}
    report.manifest = manifest
    _say(progress, f"store: {store} holds {manifest['totals']['positions']:,} positions of "
                   f"{manifest['totals']['vessels']:,} vessels from {len(manifest['inputs'])} input(s)")
    return report
