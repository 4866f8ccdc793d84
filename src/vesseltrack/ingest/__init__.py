"""Ingest: read AIS position files of any supported format into one clean positions table.

:func:`load` sniffs each input by content (gzip, zip, Parquet, NMEA, delimited text and its
layout), streams it in chunks of ``chunk_rows`` through the matching reader and
:func:`vesseltrack.clean.clean` (each cleaned chunk comes out sorted), keeps only the compact
canonical columns, then merges the chunks into one table sorted by (mmsi, timestamp) and removes
exact duplicates across all inputs.

Accounting is exact, overall and per file: ``rows_read == rows_kept + rows_rejected +
rows_duplicate + rows_non_vessel`` and ``len(rejects) == rows_rejected``. ``rows_read`` counts the
rows that became a position, a reject or a non-vessel row: reports of stations that are not ships
(aids to navigation, base stations, SART/MOB/EPIRB, SAR aircraft; ``clean.NON_VESSEL_MMSI``), set
aside and counted by kind in ``counts["non_vessel"]``, never in the rejects. Rows rejected as
``invalid_mmsi`` are also listed per MMSI (``counts["invalid_mmsi"]``). Lines a reader skipped (NMEA static messages, other message types,
comments, blank lines) are counted by kind in ``counts["skipped"]``. Duplicates are attributed to
the file of the copy that was dropped (the later one in (mmsi, timestamp, input) order). Rows
sharing (mmsi, timestamp) are ordered by their other values, so the table does not depend on the
order of the input rows.

Conventions: naive timestamps are taken as UTC; slash dates are read day first (``dd/mm/yyyy``)
unless the data proves month first; a file whose id column is named ``ID`` (anonymised ids, not
MMSIs) is read with ``strict_mmsi=False`` unless ``strict_mmsi`` is given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.types import union_categoricals

from vesseltrack import schema
from vesseltrack.clean import clean_chunk, duplicate_rows
from vesseltrack.errors import InputError
from vesseltrack.ingest import csv as csv_reader
from vesseltrack.ingest import layouts
from vesseltrack.ingest import parquet as parquet_reader
from vesseltrack.ingest.base import prefetch
from vesseltrack.ingest.sniff import Source, expand, sniff, sniff_source
from vesseltrack.tracks import is_sorted, sort_order, utc_from_ns, vessel_starts

__all__ = ["Ingested", "load", "read_positions", "sniff"]


@dataclass
class Ingested:
    #: schema.POSITIONS, sorted by (mmsi, timestamp), exact duplicates removed, RangeIndex
    positions: pd.DataFrame
    #: schema.REJECTS, in input-file order then row order
    rejects: pd.DataFrame
    #: rows_read / rows_kept / rows_rejected / rows_duplicate, rejected_by_reason, skipped, files
    counts: dict = field(default_factory=dict)


def _as_list(paths) -> list:
    if isinstance(paths, (str, Path)):
        return [paths]
    out = list(paths)
    if not out:
        raise InputError("no input files given; expected one or more CSV, Parquet or NMEA paths; pass at least one file")
    return out


def _nmea_read(src: Source, **kwargs):
    from vesseltrack.ingest import nmea

    if src.member is None:  # the NMEA reader opens plain and gzip files itself
        return nmea.read(src.path, **kwargs)
    import shutil
    import tempfile

    # the NMEA reader takes a path: extract zip members to a temporary file first
    tmp = tempfile.NamedTemporaryFile(prefix="vesseltrack-", suffix=".nmea", delete=False)
    with tmp, src.open_arrow() as f:
        shutil.copyfileobj(f, tmp)

    def gen():
        try:
            yield from nmea.read(Path(tmp.name), **kwargs)
        finally:
            Path(tmp.name).unlink(missing_ok=True)

    return gen()


#: How many broken MMSIs summary.json lists by name (the most frequent first).
INVALID_MMSI_LISTED = 50


def _set_aside(rej: pd.DataFrame, non_vessel: list[pd.DataFrame], stats: dict) -> pd.DataFrame:
    """Rejects without the ``non_vessel`` rows, which go to ``non_vessel`` (counted in ``stats``)."""
    aside = (rej["reason"] == "non_vessel").to_numpy()
    if not aside.any():
        return rej
    non_vessel.append(rej.loc[aside, ["detail"]])
    stats["rows_non_vessel"] += int(aside.sum())
    return rej.loc[~aside].reset_index(drop=True)


def _non_vessel_summary(parts: list[pd.DataFrame]) -> dict:
    """{kind: {"rows": n, "stations": distinct MMSIs}} of the rows set aside as not ships."""
    if not parts:
        return {}
    detail = pd.concat(parts, ignore_index=True)["detail"].str.extract(r"mmsi=(\S+) kind=(\S+)")
    grouped = detail.groupby(1, sort=True)[0]
    return {str(k): {"rows": int(g.size), "stations": int(g.nunique())} for k, g in grouped}


def _invalid_mmsi_summary(rejects: pd.DataFrame) -> dict:
    """The broken identities behind ``invalid_mmsi`` rejects, per MMSI (a misconfigured transponder is
    itself worth listing): how many distinct, and the most frequent with their row counts."""
    bad = rejects.loc[rejects["reason"] == "invalid_mmsi", "detail"]
    if not len(bad):
        return {"stations": 0, "most_rows": []}
    counts = bad.str.removeprefix("mmsi=").value_counts()
    top = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable").head(INVALID_MMSI_LISTED)
    return {"stations": int(len(counts)), "most_rows": [{"mmsi": str(k), "rows": int(v)} for k, v in top.items()]}


def _fix_rejects(rej: pd.DataFrame, name: str) -> pd.DataFrame:
    """Conform reader rejects (e.g. the NMEA reader's, which names its temporary file) to REJECTS."""
    if not len(rej):
        return rej
    out = pd.DataFrame({
        "file": pd.Series(np.full(len(rej), name, dtype=object), dtype="str"),
        "row": rej["row"].to_numpy(dtype=np.int64),
        "reason": rej["reason"].astype("str").reset_index(drop=True),
        "detail": rej["detail"].astype("str").reset_index(drop=True) if "detail" in rej else pd.Series([None] * len(rej), dtype="str"),
    })
    return out


def _values(s: pd.Series):
    """The column's numpy array, or its pandas extension array (Categorical, Int*, datetime tz)."""
    return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array


_MASKED = ("Int8", "Int16", "Int32")


def _buffers(a, dtype: str) -> dict[str, np.ndarray]:
    """A column's numpy buffers: ``values`` (int64 ns for timestamps, the integers for nullable
    integer columns, else the array itself) and ``mask`` (nullable integers: True where missing)."""
    if dtype == schema.UTC_NS:
        return {"values": (a if str(a.dtype) == schema.UTC_NS else a.astype(schema.UTC_NS)).asi8}
    if dtype in _MASKED:
        return {"values": a.to_numpy(dtype=dtype.lower(), na_value=0), "mask": a.isna()}
    return {"values": a}


def _column(bufs: dict[str, np.ndarray], dtype: str):
    """The column (numpy array or pandas extension array) over ``bufs``, without copying."""
    if dtype == schema.UTC_NS:
        return utc_from_ns(bufs["values"])
    if dtype in _MASKED:
        return pd.arrays.IntegerArray(bufs["values"], bufs["mask"])
    return bufs["values"]


class _Preallocated:
    """One column's cleaned chunks, written into buffers of known capacity as they arrive (the
    row count of the input, see :func:`_row_capacity`) by the cleaner's gathers (:meth:`put`):
    numeric, timestamp and nullable-integer columns. The assembled
    column is then these buffers: no concatenation, and no heap left fragmented by chunk-sized
    pieces that a column-sized array cannot reuse. Grows (by copying) only if the capacity was too
    small."""

    def __init__(self, dtype: str, capacity: int):
        self.dtype = dtype
        if dtype == schema.UTC_NS:
            kinds = {"values": np.int64}
        elif dtype in _MASKED:
            kinds = {"values": dtype.lower(), "mask": np.bool_}
        else:
            kinds = {"values": dtype}
        self.bufs = {k: np.empty(capacity, dtype=d) for k, d in kinds.items()}
        self.ends: list[int] = []
        self.n = 0

    def _room(self, m: int) -> None:
        for key, buf in self.bufs.items():
            if self.n + m > len(buf):
                grown = np.empty(max(2 * len(buf), self.n + m), dtype=buf.dtype)
                grown[:len(buf)] = buf  # (all of it: parts of the next chunk may be written already)
                self.bufs[key] = grown

    def put(self, part: str, values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """Write ``values[rows]`` (all values when rows is None) after the chunks so far, straight
        from the cleaner (no chunk-sized copy in between); :meth:`commit` once every part is in.
        Returns the written view."""
        m = len(values) if rows is None else len(rows)
        self._room(m)
        dest = self.bufs[part][self.n:self.n + m]
        if rows is None:
            dest[:] = values
        else:
            # mode="clip" writes straight into dest (mode="raise" buffers); rows are in range
            np.take(values.astype(dest.dtype, copy=False), rows, out=dest, mode="clip")
        return dest

    def commit(self, m: int) -> None:
        self.n += m
        self.ends.append(self.n)

    def buffers(self) -> dict[str, np.ndarray]:
        return {k: b[:self.n] for k, b in self.bufs.items()}

    def array(self):
        return _column(self.buffers(), self.dtype)

    def views(self) -> list[np.ndarray]:
        """The chunks of a numpy column, as views into its array."""
        starts = [0, *self.ends[:-1]]
        return [self.bufs["values"][s:e] for s, e in zip(starts, self.ends)]

    def clear(self) -> None:
        self.bufs = {k: np.empty(0, dtype=b.dtype) for k, b in self.bufs.items()}
        self.ends, self.n = [], 0


#: Smallest remainder of a spare buffer that is kept as a spare of its own.
_SPLIT_BYTES = 1 << 20


class _Spares:
    """Buffers for the gathers that sort the assembled columns: each gather writes into a spare
    buffer (``np.take(out=...)``) and hands back the buffer it read from, so the sort of a
    whole table needs about one column's worth of new memory, not one per column. Fresh memory
    is what costs (page faults); the freed buffers are reused by the stages after ingest.
    Thread-safe; a buffer is only ever reused through a view of the right length and dtype."""

    def __init__(self):
        self._free: list[np.ndarray] = []  # uint8 views, smallest first
        self._lock = threading.Lock()

    def take(self, a: np.ndarray, order: np.ndarray) -> np.ndarray:
        """``a.take(order)``, written into a spare buffer when one is large enough."""
        need = len(order) * a.itemsize
        with self._lock:
            i = next((i for i, b in enumerate(self._free) if b.nbytes >= need), None)
            buf = self._free.pop(i) if i is not None else None
            if buf is not None and buf.nbytes - need >= _SPLIT_BYTES:
                # a smaller column in a larger buffer: the rest stays a spare (64-byte aligned)
                cut = -(-need // 64) * 64
                if buf.nbytes - cut >= _SPLIT_BYTES:
                    self._put(buf[cut:])
        out = np.empty(len(order), dtype=a.dtype) if buf is None else buf[:need].view(a.dtype)
        # mode="clip" writes straight into out (mode="raise" buffers it); order is in range
        np.take(a, order, out=out, mode="clip")
        return out

    def give(self, a: np.ndarray) -> None:
        """Offer a buffer that nothing reads any more."""
        if isinstance(a, np.ndarray) and a.ndim == 1 and a.flags.c_contiguous and a.flags.writeable:
            with self._lock:
                self._put(a.view(np.uint8))

    def _put(self, b: np.ndarray) -> None:
        self._free.append(b)
        self._free.sort(key=lambda x: x.nbytes)


def _concat(parts, dtype: str):
    if isinstance(parts, _Preallocated):
        return parts.array()
    if dtype == "category":
        if len(parts) == 1:
            return parts[0]
        return union_categoricals(parts, ignore_order=True)
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], pd.api.extensions.ExtensionArray):
        return type(parts[0])._concat_same_type(parts)
    return np.concatenate(parts)


def _gather(col, dtype: str, order: np.ndarray, spares: _Spares | None, bufs: dict | None = None):
    """``col.take(order)`` (any POSITIONS column), into spare buffers when ``spares`` is given;
    ``bufs``: the column's buffers when known (see :func:`_buffers`, which copies masked ones)."""
    if spares is None:
        return col.take(order)
    if isinstance(col, pd.Categorical):
        codes = spares.take(np.asarray(col.codes), order)
        return pd.Categorical.from_codes(codes, dtype=col.dtype, validate=False)
    bufs = _buffers(col, dtype) if bufs is None else bufs
    return _column({k: spares.take(b, order) for k, b in bufs.items()}, dtype)


def _sort_order(mmsi: np.ndarray, ts: np.ndarray):
    """(order, sorted mmsi, sorted ts): the stable sort by (mmsi, timestamp) that
    :func:`vesseltrack.tracks.sort_order` gives (order None when already sorted).

    Fast for what load() builds, chunks each sorted by (mmsi, timestamp) and in time order: a
    stable radix sort by dense vessel code (a hash factorisation, O(n)) is then already the
    answer, which one O(n) pass verifies; otherwise the general sort is used.
    """
    if is_sorted(mmsi, ts):
        return None, mmsi, ts
    codes, uniq = pd.factorize(mmsi)  # in order of appearance; ranked below (cheaper than sort=True)
    rank = np.empty(len(uniq), dtype=np.uint16 if len(uniq) <= 2**16 else np.uint32)
    rank[np.argsort(uniq)] = np.arange(len(uniq))
    small = rank.take(codes)
    del codes
    order = np.argsort(small, kind="stable")
    del small
    m_o, t_o = mmsi.take(order), ts.take(order)
    if not is_sorted(m_o, t_o):
        order = sort_order(mmsi, ts)
        m_o, t_o = mmsi.take(order), ts.take(order)
    return order, m_o, t_o


def _merge_order(mmsi_parts, ts, spares: _Spares | None = None):
    """(order, sorted mmsi, sorted ts) of chunks that are each sorted by (mmsi, timestamp), with
    ``ts`` the chunks' timestamps concatenated (a UTC DatetimeArray): the stable sort by
    (mmsi, timestamp) that :func:`vesseltrack.tracks.sort_order` gives, in O(n) for usual inputs.

    Already sorted overall when every boundary between chunks is. Otherwise the dense vessel code
    of each row comes from the chunks' runs of equal MMSI (no hashing of every row), a stable
    radix sort by code orders the rows, and one pass checks that each vessel's times came in
    order across chunks (true for time-ordered files); if not, the general sort is used. The
    sorted columns are gathered into ``spares`` when given.
    """
    if isinstance(mmsi_parts, _Preallocated):
        mmsi, mmsi_parts = mmsi_parts.array(), mmsi_parts.views()
    else:
        mmsi = np.concatenate(mmsi_parts) if len(mmsi_parts) > 1 else mmsi_parts[0]
    t = ts.asi8
    ends = np.cumsum([len(m) for m in mmsi_parts])
    ordered = all(mmsi[e - 1] < mmsi[e] or (mmsi[e - 1] == mmsi[e] and t[e - 1] <= t[e]) for e in ends[:-1])
    if ordered:
        return None, mmsi, ts
    runs = [np.flatnonzero(vessel_starts(m)) for m in mmsi_parts]
    uniq = np.unique(np.concatenate([m[r] for m, r in zip(mmsi_parts, runs)]))
    dtype = np.uint16 if len(uniq) < 2**16 else np.uint32
    codes = np.concatenate([np.repeat(np.searchsorted(uniq, m[r]).astype(dtype), np.diff(np.r_[r, len(m)]))
                            for m, r in zip(mmsi_parts, runs)])
    order = np.argsort(codes, kind="stable")
    del codes
    m_o, ts_o = _gather(mmsi, "int32", order, spares), _gather(ts, schema.UTC_NS, order, spares)
    if not is_sorted(m_o, ts_o.asi8):
        order = sort_order(mmsi, t)
        m_o, ts_o = _gather(mmsi, "int32", order, spares), _gather(ts, schema.UTC_NS, order, spares)
    return order, m_o, ts_o


def _chunk_order(mmsi: np.ndarray, ts: np.ndarray) -> np.ndarray | None:
    return _sort_order(mmsi, ts)[0]


def _order_ties(cols: dict, mmsi: np.ndarray, ts: np.ndarray) -> None:
    """Order rows that share (mmsi, timestamp) by their other values, in place.

    Makes the result independent of the input row order (shuffled input gives the same table).
    Only the rows in such ties are touched, so it costs O(n) plus a sort of the ties.
    """
    if len(mmsi) < 2:
        return
    same = (mmsi[1:] == mmsi[:-1]) & (ts[1:] == ts[:-1])
    if not same.any():
        return
    cand = np.zeros(len(mmsi), dtype=bool)
    cand[1:] |= same
    cand[:-1] |= same
    idx = np.flatnonzero(cand)
    starts = np.ones(len(idx), dtype=bool)
    starts[1:] = ~same[idx[1:] - 1]
    keys = {"_group": np.cumsum(starts)}
    names = [c for c in cols if c not in ("mmsi", "timestamp")]
    for c in names:
        v = cols[c][idx]
        if isinstance(v, pd.Categorical):
            v = np.asarray(v.astype(object))
        elif isinstance(v, pd.api.extensions.ExtensionArray):
            v = v.to_numpy(dtype=np.float64, na_value=np.nan)
        keys[c] = v
    perm = pd.DataFrame(keys).sort_values(["_group", *names], kind="stable", na_position="last").index.to_numpy()
    if (perm == np.arange(len(perm))).all():
        return
    src = idx[perm]
    for c in names:
        arr = cols[c]
        if isinstance(arr, np.ndarray) and not arr.flags.writeable:
            arr = cols[c] = arr.copy()
        arr[idx] = arr[src]


def _assemble(pieces: dict[str, list], file_ids: list[np.ndarray]):
    """Concatenate the cleaned chunks, sort by (mmsi, timestamp) and drop exact duplicates.

    Works one column at a time (two threads: numpy's take releases the GIL). Each sorted column is
    gathered into a spare buffer and frees the one it came from (:class:`_Spares`), so the sort
    needs about two columns of new memory beyond the table itself.
    Returns (positions, file index per row before dropping, dropped row indices).
    """
    specs = {c.name: c.dtype for c in schema.POSITIONS}
    if not file_ids:
        return schema.empty(schema.POSITIONS), np.empty(0, np.int32), np.empty(0, np.int64)
    fids = np.concatenate(file_ids)
    file_ids.clear()
    spares = _Spares()

    def buffers_of(col, dtype: str, parts) -> dict | None:
        # the column's own buffers (preallocated ones directly: _buffers copies masked columns)
        if isinstance(col, pd.Categorical):
            return None
        return parts.buffers() if isinstance(parts, _Preallocated) else _buffers(col, dtype)

    def release(bufs: dict | None, parts) -> None:
        # hand a column's buffers to the spares once it has been gathered and nothing reads it
        for b in (bufs or {}).values():
            spares.give(b)
        parts.clear()

    # every chunk came out of clean sorted by (mmsi, timestamp): merge them
    mmsi_parts, ts_parts = pieces.pop("mmsi"), pieces.pop("timestamp")
    ts = _concat(ts_parts, schema.UTC_NS)
    order, mmsi, ts_sorted = _merge_order(mmsi_parts, ts, spares)
    cols: dict[str, object] = {}
    if order is not None:
        fids = fids.take(order)
        if isinstance(mmsi_parts, _Preallocated):  # (a list was concatenated in _merge_order)
            release(mmsi_parts.buffers(), mmsi_parts)
        release(buffers_of(ts, schema.UTC_NS, ts_parts), ts_parts)
    del ts
    cols["mmsi"], cols["timestamp"] = mmsi, ts_sorted

    def build(name):
        parts = pieces.pop(name)
        col = _concat(parts, specs[name])
        if order is None:
            return col
        bufs = buffers_of(col, specs[name], parts)
        out = _gather(col, specs[name], order, spares, bufs)
        release(bufs, parts)
        return out

    rest = [c for c in specs if c not in cols]
    # gathers are latency-bound and release the GIL: two threads; plain concatenation: one
    with ThreadPoolExecutor(max_workers=2 if order is not None else 1) as pool:
        for name, arr in zip(rest, pool.map(build, rest)):
            cols[name] = arr
    spares = None  # free the spare buffers left over
    _order_ties(cols, mmsi, ts_sorted.asi8)
    positions = pd.DataFrame({c: cols.pop(c) for c in specs}, copy=False)
    drop = duplicate_rows(positions)
    if len(drop):
        keep = np.ones(len(positions), dtype=bool)
        keep[drop] = False
        idx = np.flatnonzero(keep)
        with ThreadPoolExecutor(max_workers=2) as pool:
            arrays = dict(zip(specs, pool.map(lambda c: _values(positions[c]).take(idx), list(specs))))
        positions = pd.DataFrame(arrays, copy=False)
    return positions, fids, drop


def _default_strict(src: Source, info, column_map: dict | None) -> bool:
    """strict_mmsi for a file when the caller did not say: False when the id column is named
    ``ID`` (anonymised ids make no MMSI claim, as in the Ever Given data), else True."""
    if info.kind == "nmea":
        return True
    lay = next((x for x in layouts.LAYOUTS if x.name == info.layout), None)
    if lay is not None and not lay.strict_mmsi:
        return False
    if info.kind == "csv":
        columns = list(info.columns)
    else:
        try:
            columns = parquet_reader.open_file(src).schema_arrow.names
        except InputError:
            return True  # the reader reports the problem
    src_col = layouts.match_columns(columns, column_map if isinstance(column_map, dict) else None).get("mmsi")
    return src_col is None or layouts.norm(src_col) != "id"


#: Columns preallocated when the row count is known (all but the categoricals)
_PREALLOCATED_DTYPES = ("int32", "float64", "float32", schema.UTC_NS, *_MASKED)


def _row_capacity(sources: list[Source]) -> int | None:
    """Rows to preallocate for the sources, or None when one cannot be sized.

    Parquet states its row count. An uncompressed CSV is sized from its length and the mean line
    length of its first 64 kB, with 25% to spare: capacity that is never written is never touched,
    so it costs address space, not memory; a file with longer lines further on only makes the
    columns grow once (by copying). Compressed CSV and NMEA are not sized.
    """
    total = 0
    try:
        for src in sources:
            kind = sniff_source(src).kind
            if kind == "parquet":
                total += parquet_reader.open_file(src).metadata.num_rows
            elif kind == "csv" and src.compression is None and src.member is None:
                head = src.head()
                lines = head.count(b"\n")
                if lines < 2:
                    return None
                size = Path(src.path).stat().st_size
                total += int(size / (len(head) / lines) * 1.25) + 1
            else:
                return None
    except (InputError, OSError):
        return None  # reading the files reports the problem, in order
    return total


def load(paths, *, column_map: dict | None = None, assume_time=None, strict_mmsi: bool | None = None,
         chunk_rows: int = 1_000_000, progress: Callable[[str], None] | None = None) -> Ingested:
    """Read, clean, sort and de-duplicate AIS positions from one path or a list of paths.

    ``column_map`` ({canonical: source column}, plus optional ``timestamp_format`` /
    ``timestamp_unit``) overrides the header synonyms; ``strict_mmsi`` None means per-file default
    (True, except for anonymised-id layouts); ``progress`` receives short human strings.
    Raises InputError for missing, unreadable, empty or unrecognised files and for files whose
    rows are all rejected; ConfigError for a bad column map.
    """
    if chunk_rows < 1:
        from vesseltrack.errors import ConfigError

        raise ConfigError(f"chunk_rows must be a positive integer; received {chunk_rows}; pass e.g. 1000000")
    sources: list[Source] = []
    for p in _as_list(paths):
        sources.extend(expand(p))

    pieces: dict[str, object] = {c.name: [] for c in schema.POSITIONS}
    capacity = _row_capacity(sources)
    if capacity:
        for c in schema.POSITIONS:
            if c.dtype in _PREALLOCATED_DTYPES:
                pieces[c.name] = _Preallocated(c.dtype, capacity)
    file_ids: list[np.ndarray] = []

    def gather(name: str, part: str, values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        col = pieces[name]
        if isinstance(col, _Preallocated):
            return col.put(part, values, rows)
        return values if rows is None else values.take(rows)

    reject_parts: list[pd.DataFrame] = []
    files: list[dict] = []
    skipped: dict[str, int] = {}
    non_vessel: list[pd.DataFrame] = []  # the rows of stations that are not ships, set aside
    for fid, src in enumerate(sources):
        info = sniff_source(src)
        strict = _default_strict(src, info, column_map) if strict_mmsi is None else strict_mmsi
        label = f"{Path(src.path).name}:{src.member}" if src.member else Path(src.path).name
        kwargs = dict(column_map=column_map, assume_time=assume_time, chunk_rows=chunk_rows)
        if info.kind == "csv":
            chunks = csv_reader.read(src, sniffed=info, **kwargs)
        elif info.kind == "parquet":
            chunks = parquet_reader.read(src, **kwargs)
        else:
            chunks = _nmea_read(src, **kwargs)
        stats = {"file": src.name, "format": info.layout, "rows_read": 0, "rows_kept": 0,
                 "rows_rejected": 0, "rows_duplicate": 0, "rows_non_vessel": 0}
        file_rejects: list[pd.DataFrame] = []
        file_skipped: dict[str, int] = {}
        for chunk in prefetch(chunks):
            # Rows are what became a position or a reject. Readers may also count in rows_read
            # lines they skipped (the NMEA reader counts static and other message types); those
            # are reported under counts["skipped"], so the accounting stays exact either way.
            stats["rows_read"] += len(chunk.frame) + len(chunk.rejects)
            if chunk.warnings:
                stats.setdefault("warnings", []).extend(chunk.warnings)
            for k, v in chunk.skipped.items():
                skipped[k] = skipped.get(k, 0) + int(v)
                file_skipped[k] = file_skipped.get(k, 0) + int(v)
            if len(chunk.rejects):
                file_rejects.append(_fix_rejects(chunk.rejects, src.name))
            if len(chunk.frame):
                # each chunk comes out of clean sorted (cache-sized gathers, fused with the row
                # filter): the final sort is then a merge of sorted runs, far cheaper than one
                # random gather over the whole table
                pos, rej = clean_chunk(chunk.frame, file=src.name, strict_mmsi=strict, sort=_chunk_order,
                                       gather=gather)
                del chunk
                if len(rej):
                    rej = _set_aside(rej, non_vessel, stats)
                if len(rej):
                    file_rejects.append(rej)
                if len(pos):
                    for c, col in pieces.items():
                        if isinstance(col, _Preallocated):
                            col.commit(len(pos))  # written in place by gather
                        else:
                            col.append(_values(pos[c]))
                    file_ids.append(np.full(len(pos), fid, dtype=np.uint16 if len(sources) < 2**16 else np.uint32))
                    stats["rows_kept"] += len(pos)
                del pos, rej
            if progress is not None:
                progress(f"read {label}: {stats['rows_read']:,} rows")
        n_rej = sum(len(r) for r in file_rejects)
        stats["rows_rejected"] = n_rej
        if stats["rows_read"] == 0:
            if info.kind == "nmea":
                kinds = ", ".join(f"{k}: {v}" for k, v in sorted(file_skipped.items(), key=lambda kv: -kv[1])[:3])
                raise InputError(
                    f"{src.name}: no AIS position reports found (skipped {kinds or 'nothing'}); expected NMEA "
                    f"with message types 1-3, 18, 19 or 27; check the file"
                )
            raise InputError(
                f"{src.name}: no data rows (header only or nothing recognisable); expected at least one "
                f"position row; check the export"
            )
        if stats["rows_kept"] == 0 and n_rej:
            by = pd.concat(file_rejects, ignore_index=True)["reason"].value_counts()
            top = ", ".join(f"{k}: {v}" for k, v in by.head(3).items())
            if info.kind != "nmea":
                fix = "pass --column-map to name the right columns"
            elif by.index[0] == "no_timestamp":
                fix = "pass --assume-time to date sentences that carry no time"
            else:
                fix = "check the file is AIS NMEA"
            raise InputError(
                f"{src.name}: all {n_rej:,} rows rejected ({top}); expected valid positions; see the reject "
                f"reasons in the README or {fix}"
            )
        if file_rejects:
            rj = pd.concat(file_rejects, ignore_index=True) if len(file_rejects) > 1 else file_rejects[0]
            order = np.argsort(rj["row"].to_numpy(), kind="stable")
            reject_parts.append(rj.take(order).reset_index(drop=True))
        files.append(stats)

    # --- one table: concatenate, sort and de-duplicate column by column (never two full copies) ---
    # (Arrow's pool keeps the readers' freed batches; numpy's allocations cannot reuse them)
    pa.default_memory_pool().release_unused()
    positions, fids, drop = _assemble(pieces, file_ids)
    if len(drop):
        dup_per_file = np.bincount(fids[drop], minlength=len(files))
        for f, d in zip(files, dup_per_file):
            f["rows_duplicate"] = int(d)
            f["rows_kept"] -= int(d)

    rejects = pd.concat(reject_parts, ignore_index=True) if reject_parts else schema.empty(schema.REJECTS)
    by_reason = {k: int(v) for k, v in rejects["reason"].value_counts().items()} if len(rejects) else {}
    counts = {
        "rows_read": sum(f["rows_read"] for f in files),
        "rows_kept": len(positions),
        "rows_rejected": len(rejects),
        "rows_duplicate": int(len(drop)),
        "rows_non_vessel": sum(f["rows_non_vessel"] for f in files),
        "rejected_by_reason": by_reason,
        "non_vessel": _non_vessel_summary(non_vessel),
        "invalid_mmsi": _invalid_mmsi_summary(rejects),
        "skipped": skipped,
        "files": files,
    }
    if progress is not None:
        progress(f"loaded {counts['rows_kept']:,} positions from {len(files)} file(s); "
                 f"{counts['rows_rejected']:,} rejected, {counts['rows_duplicate']:,} duplicates")
    return Ingested(positions=positions, rejects=rejects, counts=counts)


def read_positions(paths, **kwargs) -> pd.DataFrame:
    """Just the clean positions table of :func:`load` (same arguments)."""
    return load(paths, **kwargs).positions
