"""Ingest: read AIS position files of any supported format into one clean positions table.

:func:`load` sniffs each input by content (gzip, zip, Parquet, NMEA, delimited text and its
layout), streams it in chunks of ``chunk_rows`` through the matching reader and
:func:`vesseltrack.clean.clean`, keeps only the compact canonical columns, then sorts by
(mmsi, timestamp) and removes exact duplicates across all inputs.

Accounting is exact, overall and per file: ``rows_read == rows_kept + rows_rejected +
rows_duplicate`` and ``len(rejects) == rows_rejected``. Duplicates are attributed to the file of
the copy that was dropped (the later one in (mmsi, timestamp, input) order).

Conventions: naive timestamps are taken as UTC; day-first dates (``dd/mm/yyyy``) are assumed for
slash dates; a file whose id column is ``ID`` (anonymised ids, not MMSIs) is read with
``strict_mmsi=False`` unless ``strict_mmsi`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from vesseltrack import schema
from vesseltrack.clean import clean, duplicate_rows
from vesseltrack.errors import InputError
from vesseltrack.ingest import csv as csv_reader
from vesseltrack.ingest import layouts
from vesseltrack.ingest import parquet as parquet_reader
from vesseltrack.ingest.sniff import Source, expand, sniff, sniff_source
from vesseltrack.tracks import sort_order

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

    if src.member is None and src.compression is None:
        return nmea.read(src.path, **kwargs)
    import shutil
    import tempfile

    # the NMEA reader takes a path: decompress archives to a temporary file first
    tmp = tempfile.NamedTemporaryFile(prefix="vesseltrack-", suffix=".nmea", delete=False)
    with tmp, src.open_arrow() as f:
        shutil.copyfileobj(f if hasattr(f, "readinto") else f, tmp)

    def gen():
        try:
            yield from nmea.read(Path(tmp.name), **kwargs)
        finally:
            Path(tmp.name).unlink(missing_ok=True)

    return gen()


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


def _concat(parts: list, dtype: str):
    if dtype == "category":
        if len(parts) == 1:
            return parts[0]
        return union_categoricals(parts, ignore_order=True)
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], pd.api.extensions.ExtensionArray):
        return type(parts[0])._concat_same_type(parts)
    return np.concatenate(parts)


def _assemble(pieces: dict[str, list], file_ids: list[np.ndarray]):
    """Concatenate the cleaned chunks, sort by (mmsi, timestamp) and drop exact duplicates.

    Works one column at a time (two threads: numpy's take releases the GIL), freeing each
    column's chunks as soon as it is built, so peak memory stays near one copy of the table.
    Returns (positions, file index per row before dropping, dropped row indices).
    """
    specs = {c.name: c.dtype for c in schema.POSITIONS}
    if not file_ids:
        return schema.empty(schema.POSITIONS), np.empty(0, np.int32), np.empty(0, np.int64)
    mmsi = _concat(pieces.pop("mmsi"), "int32")
    ts = _concat(pieces.pop("timestamp"), schema.UTC_NS)
    fids = np.concatenate(file_ids)
    file_ids.clear()
    order = sort_order(mmsi, ts.asi8)
    cols: dict[str, object] = {}
    if order is not None:
        mmsi, ts, fids = mmsi.take(order), ts.take(order), fids.take(order)
    cols["mmsi"], cols["timestamp"] = mmsi, ts

    def build(name):
        arr = _concat(pieces.pop(name), specs[name])
        return arr if order is None else arr.take(order)

    rest = [c for c in specs if c not in cols]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, arr in zip(rest, pool.map(build, rest)):
            cols[name] = arr
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

    pieces: dict[str, list] = {c.name: [] for c in schema.POSITIONS}
    file_ids: list[np.ndarray] = []
    reject_parts: list[pd.DataFrame] = []
    files: list[dict] = []
    skipped: dict[str, int] = {}
    for fid, src in enumerate(sources):
        info = sniff_source(src)
        strict = strict_mmsi
        if strict is None:
            lay = next((x for x in layouts.LAYOUTS if x.name == info.layout), None)
            strict = lay.strict_mmsi if lay else True
        kwargs = dict(column_map=column_map, assume_time=assume_time, chunk_rows=chunk_rows)
        if info.kind == "csv":
            chunks = csv_reader.read(src, sniffed=info, **kwargs)
        elif info.kind == "parquet":
            chunks = parquet_reader.read(src, **kwargs)
        else:
            chunks = _nmea_read(src, **kwargs)
        stats = {"file": src.name, "format": info.layout, "rows_read": 0, "rows_kept": 0,
                 "rows_rejected": 0, "rows_duplicate": 0}
        file_rejects: list[pd.DataFrame] = []
        for chunk in chunks:
            stats["rows_read"] += chunk.rows_read
            for k, v in chunk.skipped.items():
                skipped[k] = skipped.get(k, 0) + int(v)
            if len(chunk.rejects):
                file_rejects.append(_fix_rejects(chunk.rejects, src.name))
            if len(chunk.frame):
                pos, rej = clean(chunk.frame, file=src.name, strict_mmsi=strict)
                del chunk
                if len(rej):
                    file_rejects.append(rej)
                if len(pos):
                    for c in pieces:
                        pieces[c].append(_values(pos[c]))
                    file_ids.append(np.full(len(pos), fid, dtype=np.int32))
                    stats["rows_kept"] += len(pos)
                del pos, rej
            if progress is not None:
                progress(f"read {src.name}: {stats['rows_read']:,} rows")
        n_rej = sum(len(r) for r in file_rejects)
        stats["rows_rejected"] = n_rej
        if stats["rows_read"] == 0:
            raise InputError(
                f"{src.name}: no data rows (header only or nothing recognisable); expected at least one "
                f"position row; check the export"
            )
        if stats["rows_kept"] == 0 and n_rej:
            by = pd.concat(file_rejects, ignore_index=True)["reason"].value_counts()
            top = ", ".join(f"{k}: {v}" for k, v in by.head(3).items())
            raise InputError(
                f"{src.name}: all {n_rej:,} rows rejected ({top}); expected valid positions; see the reject "
                f"reasons in the README or pass --column-map to name the right columns"
            )
        if file_rejects:
            rj = pd.concat(file_rejects, ignore_index=True) if len(file_rejects) > 1 else file_rejects[0]
            order = np.argsort(rj["row"].to_numpy(), kind="stable")
            reject_parts.append(rj.take(order).reset_index(drop=True))
        files.append(stats)

    # --- one table: concatenate, sort and de-duplicate column by column (never two full copies) ---
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
        "rejected_by_reason": by_reason,
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
