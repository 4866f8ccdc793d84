"""Delimited-text reader (CSV, semicolon, tab, pipe; plain, gzip or zip member) on pyarrow.csv.

The file is cut at line ends into byte blocks of about ``chunk_rows`` rows (plain files are
memory-mapped, so blocks are zero-copy; gzip and zip members are streamed). Each block is parsed
by :func:`pyarrow.csv.read_csv` on all cores, reading only the mapped columns: number and ISO
time columns as numbers and times where every value of a block parses so, the rest as text, which
:func:`vesseltrack.ingest.layouts.to_canonical` converts with vectorised casts. Lines with the
wrong number of fields are rejected here as ``malformed_row`` with their row number; everything
else is judged by :mod:`vesseltrack.clean`.

``source_row`` is the 1-based data row: the header is not counted, blank lines are not counted, a
malformed line is. Where records begin and end (quoted line breaks, quotes never closed, bytes
that are not UTF-8) is settled by :mod:`vesseltrack.ingest.records` before pyarrow parses a block.
"""

from __future__ import annotations

import csv as _csv
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pv

from vesseltrack import schema
from vesseltrack.errors import InputError
from vesseltrack.ingest import layouts, records
from vesseltrack.ingest.base import Chunk
from vesseltrack.ingest.records import Bad, Framed
from vesseltrack.ingest.sniff import Sniffed, Source, expand, sniff_source

MIN_BLOCK = 1 << 16
_CONVERSION_ERROR = re.compile(r"In CSV column #(\d+): CSV conversion error")
MAX_BLOCK = 1 << 25  # 32 MiB: bounds the memory of the (two) blocks in flight


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


def _rejects(name: str, rows: list[int], texts: list[str], reasons: list[str]) -> pd.DataFrame:
    if not rows:
        return schema.empty(schema.REJECTS)
    return pd.DataFrame({
        "file": pd.Series([name] * len(rows), dtype="str"),
        "row": np.asarray(rows, dtype=np.int64),
        "reason": pd.Series(reasons, dtype="str"),
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


def _mapped_blocks(path: Path, target: int):
    """Zero-copy byte blocks of a plain file (memory-mapped), each ending at a line end.

    Each block gets its own mapping, released once the block is parsed, so pages of the file
    already read do not stay in this process's resident memory.
    """
    mm = pa.memory_map(str(path), "r")
    size = mm.size()
    pos = 0
    while pos < size:
        mm.close()
        mm = pa.memory_map(str(path), "r")
        end = min(pos + target, size)
        if end < size:
            window = min(end - pos, 1 << 20)
            tail = mm.read_at(window, end - window)
            cut = tail.rfind(b"\n")
            while cut < 0 and end < size:  # a line longer than the window: extend
                end = min(end + window, size)
                tail = mm.read_at(end - pos, pos)
                cut = tail.rfind(b"\n")
                window = end - pos
            if cut >= 0:
                end = end - window + cut + 1
        mm.seek(pos)
        yield mm.read_buffer(end - pos)  # zero-copy slice of the mapping
        pos = end
    mm.close()


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
    warnings = tuple(layouts.unmapped_warnings(src.name, columns, mapping))
    unrecognised: dict[str, int] = {}  # ship-type texts, over the whole file
    fmt, unit = time_options(info.layout, column_map)
    head = src.head()
    encoding = records.encoding_of(head)
    if encoding != "utf-8":
        warnings = (*warnings, f"{src.name}: text is not UTF-8 (its first lines hold bytes such as Latin-1 accents "
                               f"and no UTF-8); read as Windows-1252 (Latin-1); if names look wrong, re-encode it to "
                               f"UTF-8, e.g. iconv -f ISO-8859-1 -t UTF-8 IN > OUT")
    parser = _BlockParser(_field_names(columns, head, info.delimiter), mapping, fmt, info.delimiter)
    framer = records.Framer(info.delimiter, len(columns), encoding)
    rows_before = 0
    stream, blocks = _open_blocks(src, _block_bytes(head, chunk_rows))
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            data = framer.frame(_data_blocks(blocks, framer))
            buf = next(data, None)
            pending = pool.submit(parser.parse, buf) if buf is not None else None
            while pending is not None:
                try:
                    table, bad = pending.result()
                except pa.ArrowInvalid as err:
                    raise _parse_error(src.name, err, rows_before) from err
                buf = next(data, None)  # parse the next block while this one is converted
                pending = pool.submit(parser.parse, buf) if buf is not None else None
                del buf
                n = table.num_rows
                rows, rej = _row_numbers(src.name, n, bad, rows_before)
                rows_before += n + len(bad)
                if n:
                    cols = layouts.to_canonical(table, mapping, time_format=fmt, time_unit=unit, unrecognised=unrecognised)
                    del table
                    cols["source_row"] = rows
                    frame = pd.DataFrame(cols, copy=False)
                else:
                    frame = pd.DataFrame({"source_row": np.empty(0, np.int64)})
                if pending is None:  # the file's last chunk: what the whole file left unrecognised
                    warnings = (*warnings, *layouts.unrecognised_warning(src.name, unrecognised))
                yield Chunk(frame=frame, rejects=rej, rows_read=n + len(bad), warnings=warnings)
                warnings = ()
    finally:
        if stream is not None:
            stream.close()


def _block_bytes(head: bytes, chunk_rows: int) -> int:
    """Bytes per block for about ``chunk_rows`` rows, judged from the file's first bytes."""
    n_lines = max(head.count(b"\n"), 1)
    bytes_per_row = max(len(head) / n_lines, 8.0)
    return int(min(max(chunk_rows * bytes_per_row, MIN_BLOCK), MAX_BLOCK))


def _field_names(columns: list[str], head: bytes, delimiter: str) -> list[str]:
    """Unique field names for pyarrow (a header may repeat a name or leave one empty), plus
    ``__trailing__`` for exports that end every data line with a delimiter (one more field than the header)."""
    names = [c if c and columns.index(c) == i else f"{c}__{i}" for i, c in enumerate(columns)]
    lines = [ln for ln in head.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    if len(lines) > 2:
        first = next(_csv.reader([lines[1]], delimiter=delimiter), [])
        if len(first) == len(names) + 1 and first[-1] == "" and lines[1].rstrip().endswith(delimiter):
            names.append("__trailing__")
    return names


def _open_blocks(src: Source, block: int):
    """(stream to close or None, byte blocks of the file): memory-mapped when plain, else streamed."""
    try:
        plain = src.member is None and src.compression is None
        stream = None if plain else src.open_arrow()
        blocks = _mapped_blocks(src.path, block) if plain else _blocks(stream, block)
    except OSError as err:
        raise InputError(f"{src.name}: cannot open ({err}); expected a readable file; check the path and permissions") from err
    return stream, blocks


def _parse_error(name: str, err: pa.ArrowInvalid, rows_before: int) -> InputError:
    """The InputError for a block pyarrow cannot parse (not UTF-8, or not delimited text)."""
    msg = str(err).splitlines()[0]
    if "UTF8" in msg or "UTF-8" in msg:
        return InputError(
            f"{name}: text is not UTF-8 near data row {rows_before + 1:,}; expected UTF-8 "
            f"CSV; re-encode the file, e.g. iconv -f latin1 -t utf-8 IN > OUT"
        )
    return InputError(
        f"{name}: cannot parse as delimited text near data row {rows_before + 1:,} ({msg}); "
        f"expected CSV with a header line; check the file"
    )


def _row_numbers(name: str, n: int, bad: list[Bad], rows_before: int) -> tuple[np.ndarray, pd.DataFrame]:
    """(data row number of each of the ``n`` parsed rows, rejects of the rows ``bad``) of one block
    whose first record is data row ``rows_before + 1``."""
    m = np.asarray([r.number for r in bad], dtype=np.int64)  # data rows within the block
    c = m - 1 - np.arange(len(m), dtype=np.int64)  # valid rows before each malformed one
    v = np.arange(n, dtype=np.int64)
    rows = rows_before + v + 1 + np.searchsorted(c, v, side="right")
    return rows, _rejects(name, (rows_before + m).tolist(), [r.text or "" for r in bad], [r.reason for r in bad])


class _BlockParser:
    """Parses byte blocks of one file with pyarrow, reading only the mapped columns.

    Columns that feed numbers (MMSI, lat, lon, speeds, sizes, AIS codes) are parsed as numbers by
    pyarrow, in parallel, and naive ISO 8601 timestamps as timestamps (Arrow's parser, the one
    layouts.to_canonical casts text with); text columns are text. A block with a value that does
    not parse in such a column (text, a decimal comma, 'IMO9307839', a time with a zone or in
    another form) is parsed again with that column as text, for the rest of the file:
    layouts.to_canonical then converts it as before (codes from words, zoned times to UTC, raw
    text kept for the reject detail), and clean.py judges the row.
    """

    def __init__(self, names: list[str], mapping: dict[str, str], fmt: str | None, delimiter: str):
        self.names = names
        self.delimiter = delimiter
        self.wanted = list(dict.fromkeys(mapping.values()))
        numberish = set(layouts.NUMERIC) | set(layouts.CODED)
        self.numeric = [s for s in self.wanted
                        if all(c in numberish and c != "millisecond" for c, src_col in mapping.items() if src_col == s)]
        time_src = mapping.get("timestamp")
        if not (time_src and fmt in (None, "iso") and "millisecond" not in mapping
                and all(c == "timestamp" for c, s in mapping.items() if s == time_src)):
            time_src = None
        self.time_src = time_src
        self.as_text: set[str] = set()  # number / time columns found to hold text in this file
        self.read_mt = pv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 20)
        self.read_st = pv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 20)

    def convert_options(self) -> pv.ConvertOptions:
        """Column types: numbers and times as such unless found to hold text, the rest as text."""
        types = {s: pa.string() for s in self.wanted}
        types.update({s: pa.float64() for s in self.numeric if s not in self.as_text})
        if self.time_src is not None and self.time_src not in self.as_text:
            types[self.time_src] = pa.timestamp("ns")
        return pv.ConvertOptions(include_columns=self.wanted, column_types=types,
                                 null_values=list(layouts.NULL_STRINGS),
                                 strings_can_be_null=True, quoted_strings_can_be_null=True)

    def parse(self, framed: Framed) -> tuple[pa.Table, list[Bad]]:
        """(table, rejected rows numbered among all the block's records) of one framed block; on the
        pool's thread, overlapping conversion."""
        if framed.buf.size < 4096 and not framed.buf.to_pybytes().strip(b"\r\n"):  # all cut out, or blank lines
            return pa.table({c: pa.array([], pa.string()) for c in self.wanted}), framed.excised
        table, bad = self._parse(framed.buf, framed.multiline)
        return table, _merge(table.num_rows, bad, framed.excised)

    def _parse(self, buf: pa.Buffer, multiline: bool) -> tuple[pa.Table, list[Bad]]:
        bad: list[Bad] = []

        def on_invalid(row):
            bad.append(Bad(row.number, row.text))
            return "skip"

        # newlines_in_values: pyarrow's own 1 MiB chunks are then cut outside quoted fields
        opts = pv.ParseOptions(delimiter=self.delimiter, invalid_row_handler=on_invalid, newlines_in_values=multiline)
        convert = self.convert_options()
        try:
            table = pv.read_csv(pa.BufferReader(buf), read_options=self.read_mt, parse_options=opts,
                                convert_options=convert)
            if bad:  # row numbers are only known on one thread
                bad.clear()
                table = pv.read_csv(pa.BufferReader(buf), read_options=self.read_st, parse_options=opts,
                                    convert_options=convert)
        except pa.ArrowInvalid as err:
            # "In CSV column #8: CSV conversion error to double: invalid value 'IMO9307839'"
            hit = _CONVERSION_ERROR.match(str(err))
            col = self.names[int(hit.group(1))] if hit and int(hit.group(1)) < len(self.names) else None
            if col is None or (col not in self.numeric and col != self.time_src) or col in self.as_text:
                raise
            self.as_text.add(col)  # text from now on, in this file
            bad.clear()
            return self._parse(buf, multiline)
        return table, bad


def _merge(n: int, bad: list[Bad], excised: list[Bad]) -> list[Bad]:
    """pyarrow's rejected rows (numbered among the records it saw) and the records cut out before
    it parsed, numbered among all the block's records, in order."""
    if not excised:
        return bad
    total = n + len(bad) + len(excised)
    seen = np.setdiff1d(np.arange(1, total + 1), [b.number for b in excised])  # the records pyarrow saw
    moved = [Bad(int(seen[b.number - 1]), b.text, b.reason) for b in bad]
    return sorted([*moved, *excised], key=lambda b: b.number)


def _data_blocks(blocks, framer: records.Framer):
    """The blocks as pa.Buffers, the header line (and a UTF-8 BOM and blank lines before the header,
    as sniff skips them) cut from the first; ``framer.line`` is set to the first data line."""
    first = True
    for buf in blocks:
        buf = buf if isinstance(buf, pa.Buffer) else pa.py_buffer(buf)
        if first:
            first = False
            start = 3 if buf.slice(0, min(3, buf.size)).to_pybytes() == b"\xef\xbb\xbf" else 0
            line = 1
            nl = _find_newline(buf, start)
            while nl >= 0 and not buf.slice(start, nl - start).to_pybytes().strip():  # a blank line
                start, line = nl + 1, line + 1
                nl = _find_newline(buf, start)
            if nl < 0:
                continue
            buf = buf.slice(nl + 1)
            framer.line = line + 1
        if buf.size:
            yield buf


def _find_newline(buf: pa.Buffer, start: int) -> int:
    """Index of the first line end at or after ``start`` in ``buf``, or -1."""
    step = 1 << 16
    pos = start
    while pos < buf.size:
        piece = buf.slice(pos, min(step, buf.size - pos)).to_pybytes()
        i = piece.find(b"\n")
        if i >= 0:
            return pos + i
        pos += step
    return -1
