"""Assembly of the ingested table: the cleaned chunks of every input become one table, sorted by
(mmsi, timestamp), ties in a fixed order, exact duplicates dropped.

This is the memory-bound part of ingest. :func:`vesseltrack.ingest.load` fuses cleaning, sorting
and de-duplication with reading: each chunk comes out of :func:`vesseltrack.clean.clean_chunk`
sorted and is written straight into its column's buffer (:class:`Preallocated`, sized from the
inputs); :func:`assemble` then merges the sorted runs (:func:`merge_order`, O(n) for usual files)
and gathers each column once, into buffers the previous gathers freed (:class:`Spares`), orders
rows that share (mmsi, timestamp) by their other values (:func:`order_ties`) and drops exact
duplicates (:func:`drop_duplicates`). So the whole table is never held twice. :class:`Columns` is
what ``load`` talks to: ``gather`` for the cleaner, ``add`` per cleaned chunk, ``assemble`` once.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import numpy as np
import pandas as pd
from numpy.typing import DTypeLike
from pandas.api.types import union_categoricals

from vesseltrack import schema
from vesseltrack.clean import duplicate_rows
from vesseltrack.tracks import is_sorted, sort_order, utc_from_ns, vessel_starts


class Columns:
    """The cleaned chunks of all inputs, column by column, until :meth:`assemble`.

    ``capacity``: rows to preallocate (None: unknown; chunks are then kept as lists and
    concatenated); ``n_files``: how many inputs (sizes the per-row file index).
    """

    def __init__(self, capacity: int | None, n_files: int):
        self.pieces: dict[str, list | Preallocated] = {c.name: [] for c in schema.POSITIONS}
        if capacity:
            for c in schema.POSITIONS:
                if c.dtype in PREALLOCATED_DTYPES:
                    self.pieces[c.name] = Preallocated(c.dtype, capacity)
        self.file_ids: list[np.ndarray] = []
        self._fid_dtype = np.uint16 if n_files < 2**16 else np.uint32

    def gather(self, name: str, part: str, values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """The cleaner's gather (``clean_chunk(gather=...)``): ``values[rows]``, written straight
        into the column's buffer when it is preallocated."""
        col = self.pieces[name]
        if isinstance(col, Preallocated):
            return col.put(part, values, rows)
        return values if rows is None else values.take(rows)

    def add(self, pos: pd.DataFrame, fid: int) -> None:
        """Take a cleaned chunk (sorted by (mmsi, timestamp)) of input number ``fid``."""
        for c, col in self.pieces.items():
            if isinstance(col, Preallocated):
                col.commit(len(pos))  # written in place by gather
            else:
                col.append(values_of(pos[c]))
        self.file_ids.append(np.full(len(pos), fid, dtype=self._fid_dtype))

    def assemble(self):
        """(positions, input index per row before dropping, dropped row indices): see :func:`assemble`."""
        return assemble(self.pieces, self.file_ids)


def values_of(s: pd.Series):
    """The column's numpy array, or its pandas extension array (Categorical, Int*, datetime tz)."""
    return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array


_MASKED = ("Int8", "Int16", "Int32")
#: Columns preallocated when the row count is known (all but the categoricals)
PREALLOCATED_DTYPES = ("int32", "float64", "float32", schema.UTC_NS, *_MASKED)


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


class Preallocated:
    """One column's cleaned chunks, written into buffers of known capacity as they arrive (the
    row count of the input, see :func:`vesseltrack.ingest._row_capacity`) by the cleaner's gathers (:meth:`put`):
    numeric, timestamp and nullable-integer columns. The assembled
    column is then these buffers: no concatenation, and no heap left fragmented by chunk-sized
    pieces that a column-sized array cannot reuse. Grows (by copying) only if the capacity was too
    small."""

    def __init__(self, dtype: str, capacity: int):
        self.dtype = dtype
        kinds: dict[str, DTypeLike]
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
SPLIT_BYTES = 1 << 20


class Spares:
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
            if buf is not None and buf.nbytes - need >= SPLIT_BYTES:
                # a smaller column in a larger buffer: the rest stays a spare (64-byte aligned)
                cut = -(-need // 64) * 64
                if buf.nbytes - cut >= SPLIT_BYTES:
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

    def clear(self) -> None:
        """Drop the spare buffers (freed, as nothing else reads them)."""
        with self._lock:
            self._free.clear()

    def _put(self, b: np.ndarray) -> None:
        self._free.append(b)
        self._free.sort(key=lambda x: x.nbytes)


def concat(parts, dtype: str):
    if isinstance(parts, Preallocated):
        return parts.array()
    if dtype == "category":
        if len(parts) == 1:
            return parts[0]
        return union_categoricals(parts, ignore_order=True)
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], pd.api.extensions.ExtensionArray):
        # private pandas API (absent from pandas-stubs): one copy, no per-part Series
        return type(parts[0])._concat_same_type(parts)  # type: ignore[attr-defined]
    return np.concatenate(parts)


def gather(col, dtype: str, order: np.ndarray, spares: Spares | None, bufs: dict | None = None):
    """``col.take(order)`` (any POSITIONS column), into spare buffers when ``spares`` is given;
    ``bufs``: the column's buffers when known (see :func:`_buffers`, which copies masked ones)."""
    if spares is None:
        return col.take(order)
    if isinstance(col, pd.Categorical):
        codes = spares.take(np.asarray(col.codes), order)
        return pd.Categorical.from_codes(codes, dtype=col.dtype, validate=False)
    bufs = _buffers(col, dtype) if bufs is None else bufs
    return _column({k: spares.take(b, order) for k, b in bufs.items()}, dtype)


def merge_order(mmsi_parts, ts, spares: Spares | None = None):
    """(order, sorted mmsi, sorted ts) of chunks that are each sorted by (mmsi, timestamp), with
    ``ts`` the chunks' timestamps concatenated (a UTC DatetimeArray): the stable sort by
    (mmsi, timestamp) that :func:`vesseltrack.tracks.sort_order` gives, in O(n) for usual inputs.

    Already sorted overall when every boundary between chunks is. Otherwise the dense vessel code
    of each row comes from the chunks' runs of equal MMSI (no hashing of every row), a stable
    radix sort by code orders the rows, and one pass checks that each vessel's times came in
    order across chunks (true for time-ordered files); if not, the general sort is used. The
    sorted columns are gathered into ``spares`` when given.
    """
    if isinstance(mmsi_parts, Preallocated):
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
    m_o, ts_o = gather(mmsi, "int32", order, spares), gather(ts, schema.UTC_NS, order, spares)
    if not is_sorted(m_o, ts_o.asi8):
        # not None: a boundary between chunks is out of order (``ordered`` is False above)
        order = cast(np.ndarray, sort_order(mmsi, t))
        m_o, ts_o = gather(mmsi, "int32", order, spares), gather(ts, schema.UTC_NS, order, spares)
    return order, m_o, ts_o


def order_ties(cols: dict, mmsi: np.ndarray, ts: np.ndarray) -> None:
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


def assemble(pieces: dict[str, list | Preallocated], file_ids: list[np.ndarray]):
    """Concatenate the cleaned chunks, sort by (mmsi, timestamp) and drop exact duplicates.

    Works one column at a time (two threads: numpy's take releases the GIL). Each sorted column is
    gathered into a spare buffer and frees the one it came from (:class:`Spares`), so the sort
    needs about two columns of new memory beyond the table itself.
    Returns (positions, file index per row before dropping, dropped row indices).
    """
    specs = {c.name: c.dtype for c in schema.POSITIONS}
    if not file_ids:
        return schema.empty(schema.POSITIONS), np.empty(0, np.int32), np.empty(0, np.int64)
    fids = np.concatenate(file_ids)
    file_ids.clear()
    spares = Spares()

    def buffers_of(col, dtype: str, parts) -> dict | None:
        # the column's own buffers (preallocated ones directly: _buffers copies masked columns)
        if isinstance(col, pd.Categorical):
            return None
        return parts.buffers() if isinstance(parts, Preallocated) else _buffers(col, dtype)

    def release(bufs: dict | None, parts) -> None:
        # hand a column's buffers to the spares once it has been gathered and nothing reads it
        for b in (bufs or {}).values():
            spares.give(b)
        parts.clear()

    # every chunk came out of clean sorted by (mmsi, timestamp): merge them
    mmsi_parts, ts_parts = pieces.pop("mmsi"), pieces.pop("timestamp")
    ts = concat(ts_parts, schema.UTC_NS)
    order, mmsi, ts_sorted = merge_order(mmsi_parts, ts, spares)
    cols: dict[str, object] = {}
    if order is not None:
        fids = fids.take(order)
        if isinstance(mmsi_parts, Preallocated):  # (a list was concatenated in merge_order)
            release(mmsi_parts.buffers(), mmsi_parts)
        release(buffers_of(ts, schema.UTC_NS, ts_parts), ts_parts)
    del ts
    cols["mmsi"], cols["timestamp"] = mmsi, ts_sorted

    def build(name):
        parts = pieces.pop(name)
        col = concat(parts, specs[name])
        if order is None:
            return col
        bufs = buffers_of(col, specs[name], parts)
        out = gather(col, specs[name], order, spares, bufs)
        release(bufs, parts)
        return out

    rest = [c for c in specs if c not in cols]
    # gathers are latency-bound and release the GIL: two threads; plain concatenation: one
    with ThreadPoolExecutor(max_workers=2 if order is not None else 1) as pool:
        for name, arr in zip(rest, pool.map(build, rest)):
            cols[name] = arr
    spares.clear()  # free the spare buffers left over
    order_ties(cols, mmsi, ts_sorted.asi8)
    positions = pd.DataFrame({c: cols.pop(c) for c in specs}, copy=False)
    positions, drop = drop_duplicates(positions)
    return positions, fids, drop


def drop_duplicates(positions: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(positions without exact duplicates, dropped row indices) of a sorted, tie-ordered table
    (:func:`vesseltrack.clean.duplicate_rows`: the later copy is dropped); the kept rows are
    gathered column by column, two threads."""
    drop = duplicate_rows(positions)
    if len(drop):
        keep = np.ones(len(positions), dtype=bool)
        keep[drop] = False
        idx = np.flatnonzero(keep)

        def kept(c: str):
            return values_of(positions[c]).take(idx)

        with ThreadPoolExecutor(max_workers=2) as pool:
            arrays = dict(zip(positions.columns, pool.map(kept, list(positions.columns))))
        positions = pd.DataFrame(arrays, copy=False)
    return positions, drop
