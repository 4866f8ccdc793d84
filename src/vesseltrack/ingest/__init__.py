"""Ingest: read AIS position files of any supported format into one clean positions table.

:func:`load` sniffs each input by content (gzip, zip, Parquet, NMEA, delimited text and its
layout), streams it in chunks of ``chunk_rows`` through the matching reader and
:func:`vesseltrack.clean.clean` (each cleaned chunk comes out sorted), keeps only the compact
canonical columns, then merges the chunks into one table sorted by (mmsi, timestamp) and removes
exact duplicates across all inputs (:mod:`vesseltrack.ingest.assemble`).

Ingest is fused on purpose: cleaning, sorting and de-duplication, stages of their own in the
pipeline's order, happen here, chunk by chunk as the files are read, because that is what keeps
the whole table from ever being copied (each chunk is cleaned and sorted while small, and written
straight into preallocated columns; the final sort is a merge of sorted runs, gathered column by
column into freed buffers), so peak memory stays near one table plus a chunk. So
``vesseltrack.pipeline`` is not the only module that knows the stage
order: it starts from the sorted, de-duplicated table this module returns. This module is the
dispatch (sniff, reader per format) and the accounting; ``assemble.py`` holds the buffers, the
merge, the order of ties and the de-duplication.

Accounting is exact, overall and per file: ``rows_read == rows_kept + rows_rejected +
rows_duplicate + rows_non_vessel`` and ``len(rejects) == rows_rejected``. ``rows_read`` counts the
rows that became a position, a reject or a non-vessel row: reports of stations that are not ships
(aids to navigation, base stations, SART/MOB/EPIRB, SAR aircraft; ``clean.NON_VESSEL_MMSI``), set
aside and counted by kind in ``counts["non_vessel"]``, never in the rejects. Rows rejected as
``invalid_mmsi`` are also listed per MMSI (``counts["invalid_mmsi"]``). What a reader noticed and
could not fix (columns that look meaningful but fill nothing, scales read from column names,
unrecognised ship types) is each file's ``warnings``. Lines a reader skipped (NMEA static messages, other message types,
comments, blank lines) are counted by kind in ``counts["skipped"]``. Duplicates are attributed to
the file of the copy that was dropped (the later one in (mmsi, timestamp, input) order). Rows
sharing (mmsi, timestamp) are ordered by their other values, so the table does not depend on the
order of the input rows.

Conventions: naive timestamps are taken as UTC; slash dates are read day first (``dd/mm/yyyy``)
unless the data proves month first; a file whose id column is named ``ID`` (anonymised ids, not
MMSIs) is read with ``strict_mmsi=False`` unless ``strict_mmsi`` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from vesseltrack import schema
from vesseltrack.clean import clean_chunk
from vesseltrack.errors import ConfigError, InputError
from vesseltrack.ingest import csv as csv_reader
from vesseltrack.ingest import layouts
from vesseltrack.ingest import parquet as parquet_reader
from vesseltrack.ingest.assemble import Columns
from vesseltrack.ingest.base import prefetch
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
        raise InputError(
            "no input files given; expected one or more CSV, Parquet or NMEA paths; pass at least one file"
        )
    return out


def _nmea_read(src: Source, **kwargs):
    from vesseltrack.ingest import nmea

    if src.member is None:  # the NMEA reader opens plain and gzip files itself
        return nmea.read(src.path, **kwargs)
    import shutil
    import tempfile

    # the NMEA reader takes a path: extract zip members to a temporary file first
    tmp = tempfile.NamedTemporaryFile(prefix="vesseltrack-", suffix=".nmea", delete=False)
    try:
        with tmp, src.open_arrow() as f:
            shutil.copyfileobj(f, tmp)
    except BaseException:  # a damaged member (one-line InputError) or Ctrl-C: leave no temporary file
        Path(tmp.name).unlink(missing_ok=True)
        raise

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
    return {"stations": len(counts), "most_rows": [{"mmsi": str(k), "rows": int(v)} for k, v in top.items()]}


def _fix_rejects(rej: pd.DataFrame, name: str) -> pd.DataFrame:
    """Conform reader rejects (e.g. the NMEA reader's, which names its temporary file) to REJECTS."""
    if not len(rej):
        return rej
    out = pd.DataFrame(
        {
            "file": pd.Series(np.full(len(rej), name, dtype=object), dtype="str"),
            "row": rej["row"].to_numpy(dtype=np.int64),
            "reason": rej["reason"].astype("str").reset_index(drop=True),
            "detail": rej["detail"].astype("str").reset_index(drop=True)
            if "detail" in rej
            else pd.Series([None] * len(rej), dtype="str"),
        }
    )
    return out


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


def _check_chunk_rows(chunk_rows) -> None:
    """The one check of ``chunk_rows``, for every reader (the CLI's --chunk-rows comes here too)."""
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, Integral) or chunk_rows < 1:
        raise ConfigError(f"chunk_rows={chunk_rows!r} is invalid; expected a positive whole number of rows per chunk; "
                          f"pass e.g. --chunk-rows 1000000 (chunk_rows=1_000_000), lower to bound memory")


def _reader(src: Source, info):
    """The reader function for a sniffed source."""
    if info.kind == "csv":
        return lambda **kw: csv_reader.read(src, sniffed=info, **kw)
    if info.kind == "parquet":
        return lambda **kw: parquet_reader.read(src, **kw)
    return lambda **kw: _nmea_read(src, **kw)


def _no_rows_error(src: Source, info, file_skipped: dict[str, int]) -> InputError:
    if info.kind == "nmea":
        kinds = ", ".join(f"{k}: {v}" for k, v in sorted(file_skipped.items(), key=lambda kv: -kv[1])[:3])
        return InputError(
            f"{src.name}: no AIS position reports found (skipped {kinds or 'nothing'}); expected NMEA "
            f"with message types 1-3, 18, 19 or 27; check the file"
        )
    return InputError(
        f"{src.name}: no data rows (header only or nothing recognisable); expected at least one "
        f"position row; check the export"
    )


def _all_rejected_error(src: Source, info, file_rejects: list[pd.DataFrame], n_rej: int) -> InputError:
    by = pd.concat(file_rejects, ignore_index=True)["reason"].value_counts()
    top = ", ".join(f"{k}: {v}" for k, v in by.head(3).items())
    if by.index[0] == "bad_encoding":
        fix = "re-encode the file to UTF-8, e.g. iconv -f ISO-8859-1 -t UTF-8 IN > OUT"
    elif info.kind != "nmea":
        fix = "pass --column-map to name the right columns"
    elif by.index[0] == "no_timestamp":
        fix = "pass --assume-time to date sentences that carry no time"
    else:
        fix = "check the file is AIS NMEA"
    return InputError(
        f"{src.name}: all {n_rej:,} rows rejected ({top}); expected valid positions; see the reject "
        f"reasons in the README or {fix}"
    )


def _read_file(
    fid: int,
    src: Source,
    columns: Columns,
    skipped: dict[str, int],
    non_vessel: list[pd.DataFrame],
    *,
    strict_mmsi: bool | None,
    progress: Callable[[str], None] | None,
    **kwargs,
) -> tuple[dict, pd.DataFrame | None]:
    """Stream input number ``fid`` through its reader and the cleaner into ``columns``.

    Returns (its row counts, its rejects in row order or None); adds the lines it skipped to
    ``skipped`` and the rows of stations that are not ships to ``non_vessel``. Raises InputError for a
    file that gives no rows, or only rejects.
    """
    info = sniff_source(src)
    strict = _default_strict(src, info, kwargs["column_map"]) if strict_mmsi is None else strict_mmsi
    label = f"{Path(src.path).name}:{src.member}" if src.member else Path(src.path).name
    stats: dict[str, Any] = {"file": src.name, "format": info.layout, "rows_read": 0, "rows_kept": 0,
             "rows_rejected": 0, "rows_duplicate": 0, "rows_non_vessel": 0}
    file_rejects: list[pd.DataFrame] = []
    file_skipped: dict[str, int] = {}
    for chunk in prefetch(_reader(src, info)(**kwargs)):
        # Rows are what became a position or a reject. Readers may also count in rows_read
        # lines they skipped (the NMEA reader counts static and other message types); those
        # are reported under counts["skipped"], so the accounting stays exact either way.
        stats["rows_read"] += len(chunk.frame) + len(chunk.rejects)
        if chunk.warnings:
            stats.setdefault("warnings", []).extend(chunk.warnings)
        for k, v in chunk.time_sources.items():
            times = stats.setdefault("time_sources", {})
            times[k] = times.get(k, 0) + int(v)
        for k, v in chunk.skipped.items():
            skipped[k] = skipped.get(k, 0) + int(v)
            file_skipped[k] = file_skipped.get(k, 0) + int(v)
        if len(chunk.rejects):
            file_rejects.append(_fix_rejects(chunk.rejects, src.name))
        if len(chunk.frame):
            # each chunk comes out of clean sorted (cache-sized gathers, fused with the row
            # filter): the final sort is then a merge of sorted runs, far cheaper than one
            # random gather over the whole table
            pos, rej = clean_chunk(chunk.frame, file=src.name, strict_mmsi=strict, sort=sort_order,
                                   gather=columns.gather)
            del chunk
            if len(rej):
                rej = _set_aside(rej, non_vessel, stats)
            if len(rej):
                file_rejects.append(rej)
            if len(pos):
                columns.add(pos, fid)
                stats["rows_kept"] += len(pos)
            del pos, rej
        if progress is not None:
            progress(f"read {label}: {stats['rows_read']:,} rows")
    n_rej = sum(len(r) for r in file_rejects)
    stats["rows_rejected"] = n_rej
    if stats["rows_read"] == 0:
        raise _no_rows_error(src, info, file_skipped)
    if stats["rows_kept"] == 0 and n_rej:
        raise _all_rejected_error(src, info, file_rejects, n_rej)
    if not file_rejects:
        return stats, None
    rj = pd.concat(file_rejects, ignore_index=True) if len(file_rejects) > 1 else file_rejects[0]
    order = np.argsort(rj["row"].to_numpy(), kind="stable")
    return stats, rj.take(order).reset_index(drop=True)


def load(paths, *, column_map: dict | None = None, assume_time=None, strict_mmsi: bool | None = None,
         chunk_rows: int = 1_000_000, progress: Callable[[str], None] | None = None) -> Ingested:
    """Read, clean, sort and de-duplicate AIS positions from one path or a list of paths.

    ``column_map`` ({canonical: source column}, plus optional ``timestamp_format`` /
    ``timestamp_unit``) overrides the header synonyms; ``strict_mmsi`` None means per-file default
    (True, except for anonymised-id layouts); ``progress`` receives short human strings.
    Raises InputError for missing, unreadable, empty or unrecognised files and for files whose
    rows are all rejected; ConfigError for a bad column map or ``chunk_rows``.
    """
    _check_chunk_rows(chunk_rows)
    sources: list[Source] = []
    for p in _as_list(paths):
        sources.extend(expand(p))
    columns = Columns(_row_capacity(sources), len(sources))
    reject_parts: list[pd.DataFrame] = []
    files: list[dict] = []
    skipped: dict[str, int] = {}
    non_vessel: list[pd.DataFrame] = []  # the rows of stations that are not ships, set aside
    for fid, src in enumerate(sources):
        stats, rejects = _read_file(fid, src, columns, skipped, non_vessel, strict_mmsi=strict_mmsi, progress=progress,
                                    column_map=column_map, assume_time=assume_time, chunk_rows=chunk_rows)
        if rejects is not None:
            reject_parts.append(rejects)
        files.append(stats)

    # --- one table: concatenate, sort and de-duplicate column by column (never two full copies) ---
    # (Arrow's pool keeps the readers' freed batches; numpy's allocations cannot reuse them)
    pa.default_memory_pool().release_unused()
    positions, fids, drop = columns.assemble()
    del columns
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
        "rows_duplicate": len(drop),
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
