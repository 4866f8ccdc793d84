"""Delimited-text reader (CSV, semicolon, tab, pipe; plain, gzip or zip member) on pyarrow.csv.

Streams the file with :func:`pyarrow.csv.open_csv` in blocks sized to ``chunk_rows``, reading only
the mapped columns, as text, and converts them with :func:`vesseltrack.ingest.layouts.to_canonical`.
Lines with the wrong number of fields are rejected here as ``malformed_row`` with their row number;
everything else is judged by :mod:`vesseltrack.clean`.

``source_row`` is the 1-based data row (the header is not counted; a malformed line counts as a
row). Rows are counted by physical line, so a quoted field spanning lines shifts later numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pv

from vesseltrack import schema
from vesseltrack.errors import InputError
from vesseltrack.ingest import layouts
from vesseltrack.ingest.base import Chunk
from vesseltrack.ingest.sniff import Sniffed, Source, expand, sniff_source

MIN_BLOCK = 1 << 20
MAX_BLOCK = 1 << 26  # 64 MiB: bounds the memory of a block in flight


def resolve_mapping(name: str, columns: list[str], column_map: dict | None) -> dict[str, str]:
    """Canonical -> source column mapping for a file, or an InputError naming what is missing."""
    layouts.validate_column_map(column_map, columns, name)
    mapping = layouts.match_columns(columns, column_map)
    missing = [c for c in schema.POSITIONS_REQUIRED if c not in mapping]
    if missing:
        raise InputError(
            f"{name}: cannot recognise the layout: columns for {missing} not found; received columns "
            f"{list(columns)[:20]}; pass --column-map FILE.json mapping e.g. "
            f'{{"mmsi": "...", "timestamp": "...", "lat": "...", "lon": "..."}}'
        )
    return mapping


def time_options(layout: str, column_map: dict | None) -> tuple[str | None, str | None]:
    fmt = (column_map or {}).get("timestamp_format")
    unit = (column_map or {}).get("timestamp_unit")
    if fmt is None and not (column_map and "timestamp" in column_map):
        lay = next((x for x in layouts.LAYOUTS if x.name == layout), None)
        fmt = lay.time_format if lay else None
    return fmt, unit


def _rejects(name: str, rows: list[int], texts: list[str]) -> pd.DataFrame:
    if not rows:
        return schema.empty(schema.REJECTS)
    return pd.DataFrame({
        "file": pd.Series([name] * len(rows), dtype="str"),
        "row": np.asarray(rows, dtype=np.int64),
        "reason": pd.Series(["malformed_row"] * len(rows), dtype="str"),
        "detail": pd.Series([t[:200] for t in texts], dtype="str"),
    })


def _blocks(stream, target: int):
    """Yield byte blocks of about ``target`` bytes, each ending at a line end (the last may not)."""
    carry = b""
    while True:
        buf = stream.read(target)
        if not buf:
            if carry:
                yield carry
            return
        if carry:
            buf = carry + buf
        cut = buf.rfind(b"\n")
        if cut < 0:
            carry = buf
            continue
        yield buf[: cut + 1]
        carry = buf[cut + 1:]


def read(path, *, column_map: dict | None = None, assume_time=None, chunk_rows: int = 1_000_000,
         sniffed: Sniffed | None = None) -> Iterator[Chunk]:
    """Yield :class:`Chunk` s of canonical columns from a delimited text file (see module doc).

    The file is cut into byte blocks of about ``chunk_rows`` rows at line ends; each block is parsed
    by pyarrow on all cores. A block that holds malformed lines is parsed again on one thread, which
    is what gives their row numbers.
    """
    src = path if isinstance(path, Source) else expand(Path(path))[0]
    info = sniffed or sniff_source(src)
    if info.kind != "csv":
        raise InputError(f"{src.name}: content is {info.kind}, not delimited text; expected CSV; use vesseltrack.ingest.load")
    columns = list(info.columns)
    mapping = resolve_mapping(src.name, columns, column_map)
    fmt, unit = time_options(info.layout, column_map)
    head = src.head()
    n_lines = max(head.count(b"\n"), 1)
    bytes_per_row = max(len(head) / n_lines, 8.0)
    block = int(min(max(chunk_rows * bytes_per_row, MIN_BLOCK), MAX_BLOCK))

    # unique names for pyarrow (a header may repeat a name or leave one empty)
    names = [c if c and columns.index(c) == i else f"{c}__{i}" for i, c in enumerate(columns)]
    wanted = list(dict.fromkeys(mapping.values()))
    convert = pv.ConvertOptions(
        include_columns=wanted,
        column_types={s: pa.string() for s in wanted},
        null_values=list(layouts.NULL_STRINGS),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    read_mt = pv.ReadOptions(column_names=names, use_threads=True, block_size=MIN_BLOCK * 4)
    read_st = pv.ReadOptions(column_names=names, use_threads=False, block_size=MIN_BLOCK * 4)

    rows_before = 0
    try:
        stream = src.open_arrow()
    except OSError as err:
        raise InputError(f"{src.name}: cannot open ({err}); expected a readable file; check the path and permissions") from err
    with stream:
        first = True
        for buf in _blocks(stream, block):
            if first:
                first = False
                if buf.startswith(b"\xef\xbb\xbf"):
                    buf = buf[3:]
                nl = buf.find(b"\n")
                buf = buf[nl + 1:] if nl >= 0 else b""
                if not buf:
                    continue
            bad: list = []

            def on_invalid(row, bad=bad):
                bad.append(row)
                return "skip"

            parse = pv.ParseOptions(delimiter=info.delimiter, invalid_row_handler=on_invalid)
            try:
                table = pv.read_csv(pa.py_buffer(buf), read_options=read_mt, parse_options=parse, convert_options=convert)
                if bad:
                    bad.clear()
                    table = pv.read_csv(pa.py_buffer(buf), read_options=read_st, parse_options=parse,
                                        convert_options=convert)
            except pa.ArrowInvalid as err:
                msg = str(err).splitlines()[0]
                raise InputError(
                    f"{src.name}: cannot parse as delimited text near data row {rows_before + 1:,} ({msg}); "
                    f"expected CSV with a header line; check the file"
                ) from err
            del buf
            n = table.num_rows
            m = np.asarray([r.number for r in bad], dtype=np.int64)  # data rows within the block
            c = m - 1 - np.arange(len(m), dtype=np.int64)  # valid rows before each malformed one
            v = np.arange(n, dtype=np.int64)
            rows = rows_before + v + 1 + np.searchsorted(c, v, side="right")
            rej = _rejects(src.name, (rows_before + m).tolist(), [r.text or "" for r in bad])
            rows_before += n + len(m)
            if n:
                cols = layouts.to_canonical(table, mapping, time_format=fmt, time_unit=unit)
                del table
                frame = pd.DataFrame(cols, copy=False)
                frame["source_row"] = rows
            else:
                frame = pd.DataFrame({"source_row": np.empty(0, np.int64)})
            yield Chunk(frame=frame, rejects=rej, rows_read=n + len(m))
