"""Records of delimited text: where each record begins and ends, and which cannot be read as text.

The CSV reader cuts a file into byte blocks at line ends and hands each block to pyarrow. Three
things pyarrow cannot judge are settled here, block by block, before it parses:

- **A quote that is never closed** would make pyarrow read every following line into one field
  (one vessel name swallowing the rest of the file). A quoted field may hold line breaks, but a
  record may span at most :data:`MAX_RECORD_LINES` lines, none of its continuation lines (nor the
  part of its last line before the closing quote) may hold as many delimiters as a record of its
  own, and the whole record may not have more fields than the header (plus a trailing empty one).
  A record that breaks a rule is a ``malformed_row`` reject of its first line, with the span in the
  detail (``lines 5-40: ...``), and the lines after that first line are read as records.
- **A quoted line break at a block end** (the reader's blocks, or pyarrow's own 1 MiB chunks):
  a record still open at the end of a block is carried whole into the next block, and a block that
  holds quoted line breaks is parsed with ``newlines_in_values`` (pyarrow's quote-aware chunking).
- **Bytes that are not UTF-8** in a record make it a ``bad_encoding`` reject with its row number;
  the rest of the file is read (pyarrow would refuse the whole block, or print "Exception ignored"
  for a ragged row). A file whose first 64 kB hold several lines that are not UTF-8 and none that is
  UTF-8 beyond ASCII is read as Windows-1252 (Latin-1) instead, with a warning.

Blocks of valid UTF-8 whose quotes pair up within lines, each pair opening and closing a field
(nearly all AIS data, quoted text columns included) are passed through untouched (zero-copy): the
checks are a few vectorised scans of the block's bytes. Otherwise the lines with an odd number of
quotes, or a quote inside an unquoted field, are walked quote by quote with pyarrow's rules: a quote
opens a quoted field only at the start of a field, ``""`` inside it is a quote, and elsewhere a
quote is an ordinary character.
"""

from __future__ import annotations

import bisect
import codecs
import csv as _csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

#: Most physical lines one record (a quoted field holding line breaks) may span.
MAX_RECORD_LINES = 10
#: How many lines that are not UTF-8 (and none that is UTF-8 beyond ASCII) in the first 64 kB make a
#: file Windows-1252 rather than UTF-8 with a few bad rows.
LATIN1_MIN_LINES = 2

_QUOTE, _LF, _CR = 34, 10, 13
# Windows-1252, with the five bytes it leaves undefined read as Latin-1 (C1 controls)
_CP1252 = "".join(bytes([i]).decode("cp1252", errors="ignore") or chr(i) for i in range(256))


@dataclass(frozen=True)
class Bad:
    """A record rejected before or by pyarrow: its 1-based number among the block's records."""

    number: int
    text: str | None
    reason: str = "malformed_row"


@dataclass
class Framed:
    """One block ready for pyarrow: ``buf`` without the ``excised`` records; ``multiline`` when a
    quoted field in it holds a line break."""

    buf: pa.Buffer
    excised: list[Bad] = field(default_factory=list)
    multiline: bool = False


def _bad_utf8_lines(head: bytes) -> tuple[int, int]:
    """(lines that are not UTF-8, lines that are UTF-8 beyond ASCII) among the lines of ``head``."""
    lines = head.split(b"\n")
    if len(head) >= (1 << 16) and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut inside a character
    bad = good = 0
    for line in lines:
        if max(line, default=0) < 128:
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return bad, good


def encoding_of(head: bytes) -> str:
    """``"utf-8"``, or ``"cp1252"`` for a file whose first bytes are Latin-1 / Windows-1252 text."""
    bad, good = _bad_utf8_lines(head)
    return "cp1252" if bad >= LATIN1_MIN_LINES and good == 0 else "utf-8"


def _is_utf8(buf: pa.Buffer) -> bool:
    """Whether the whole buffer is valid UTF-8 (pyarrow's validation, zero-copy)."""
    offsets = pa.py_buffer(np.array([0, buf.size], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, buf]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _field_count(line: bytes, delimiter: str) -> int:
    return len(next(_csv.reader([line.decode("utf-8", errors="replace")], delimiter=delimiter), []))


class Framer:
    """Turns line-cut byte blocks of one file's data (header removed) into :class:`Framed` blocks.

    ``n_fields`` is the header's number of fields; ``line`` the file's physical line number of the
    next block's first line (set by the caller to the line after the header), for the spans named in
    rejects.
    """

    def __init__(self, delimiter: str, n_fields: int, encoding: str = "utf-8"):
        self.delimiter = delimiter
        self._field_start = np.zeros(256, dtype=bool)  # bytes after which a field starts
        self._field_start[[ord(delimiter), _LF, _CR]] = True
        self.n_fields = n_fields
        self.encoding = encoding
        self.line = 2

    def frame(self, blocks: Iterable[pa.Buffer]) -> Iterator[Framed]:
        """The framed blocks; a record still open at a block end is carried into the next block (at
        most :data:`MAX_RECORD_LINES` lines), and judged as never closed after the last one."""
        carry = b""
        for buf in blocks:
            if self.encoding != "utf-8":
                buf = pa.py_buffer(codecs.charmap_decode(buf.to_pybytes(), "strict", _CP1252)[0].encode("utf-8"))
            if carry:
                buf = pa.py_buffer(carry + buf.to_pybytes())
            framed, cut, lines = self._frame(buf, final=False)
            carry = buf.slice(cut).to_pybytes() if cut < buf.size else b""
            self.line += lines
            if framed.buf.size or framed.excised:
                yield framed
        if carry:
            framed, _, _ = self._frame(pa.py_buffer(carry), final=True)
            yield framed

    def _frame(self, buf: pa.Buffer, final: bool) -> tuple[Framed, int, int]:
        """(the framed block, bytes of ``buf`` it covers, physical lines it covers)."""
        arr = np.frombuffer(buf, dtype=np.uint8)
        q = np.flatnonzero(arr == _QUOTE)
        lf = arr == _LF
        bad_text = self.encoding == "utf-8" and arr.size > 0 and not _is_utf8(buf)
        if not bad_text and (not q.size or self._one_line_each(arr, q, lf)):
            return Framed(buf), buf.size, int(np.count_nonzero(lf))
        nl = np.flatnonzero(lf)
        start = np.concatenate([[0], nl + 1])
        end = np.concatenate([nl, [arr.size]])
        runaway, spans, carry_line = self._scan(arr, q, nl, start, end, final) if q.size else ({}, [], None)
        if not runaway and not spans and carry_line is None and not bad_text:
            return Framed(buf), buf.size, len(nl)  # quotes, but every record on its own line
        n_lines = len(start) if carry_line is None else carry_line
        cut = arr.size if carry_line is None else int(start[carry_line])
        excised = dict(runaway)  # first line -> (last line, reason, detail)
        first_of = np.arange(len(start))  # each line's record's first line
        for a, b in spans:
            first_of[a + 1:b + 1] = a
        last_of = dict(spans)
        if bad_text:
            for k in self._bad_lines(arr, nl, start, end, n_lines):
                a = int(first_of[k])
                if a not in excised:
                    text = arr[start[a]:end[last_of.get(a, a)]].tobytes().decode("utf-8", errors="backslashreplace")
                    excised[a] = (last_of.get(a, a), "bad_encoding", f"line {self.line + k}: not UTF-8: {text}")
        length = end[:n_lines] - start[:n_lines]
        nonempty = (length > 0) & ~((length == 1) & (arr[np.minimum(start[:n_lines], max(arr.size - 1, 0))] == _CR))
        record_start = nonempty & (first_of[:n_lines] == np.arange(n_lines))
        number = np.cumsum(record_start)
        bads = [Bad(int(number[a]), detail[:200], reason) for a, (_, reason, detail) in sorted(excised.items())]
        if excised:
            keep, pos = [], 0
            for a, (b, _, _) in sorted(excised.items()):
                keep.append(arr[pos:start[a]].tobytes())
                pos = int(start[b + 1]) if b + 1 < len(start) else arr.size
            keep.append(arr[pos:cut].tobytes())
            out = pa.py_buffer(b"".join(keep))
        else:
            out = buf.slice(0, cut)
        multiline = any(a < n_lines for a, _ in spans)
        return Framed(out, bads, multiline), cut, len(nl) if carry_line is None else carry_line

    def _one_line_each(self, arr, q, lf) -> bool:
        """Whether the quotes of the block pair up within lines (1st with 2nd, 3rd with 4th, ...), each
        pair opening and closing a field: then no record can run past its line end (the usual case of
        quoted text columns, told without finding the line ends)."""
        if q.size % 2:
            return False
        if np.maximum.reduceat(lf.view(np.uint8), q)[0::2].any():  # a line end inside a pair
            return False
        edge, size = self._field_start, arr.size
        return bool((edge[arr[np.maximum(q[0::2] - 1, 0)]] | (q[0::2] == 0)).all()
                    and (edge[arr[np.minimum(q[1::2] + 1, size - 1)]] | (q[1::2] == size - 1)).all())

    def _bad_lines(self, arr, nl, start, end, n_lines: int) -> list[int]:
        """Lines (before ``n_lines``) that are not UTF-8: only lines with bytes above 127 are tried."""
        high = np.flatnonzero(arr >= 128)
        lines = np.unique(np.searchsorted(nl, high))
        out = []
        for k in lines[lines < n_lines].tolist():
            try:
                arr[start[k]:end[k]].tobytes().decode("utf-8")
            except UnicodeDecodeError:
                out.append(k)
        return out

    def _is_record(self, arr, lo: int, hi: int) -> bool:
        """Whether the bytes ``lo:hi`` (a continuation line, or the part of the last one before the
        closing quote) hold as many delimiters as a record of its own."""
        return int(np.count_nonzero(arr[lo:hi] == ord(self.delimiter))) >= self.n_fields - 1

    def _scan(self, arr, q, nl, start, end, final: bool):
        """Quoted fields that span lines: ({first line: (last line, reason, detail)} of the runaway
        records, [(first, last line)] of the good ones, the line to carry from or None).

        Vectorised triage first: a line whose quotes pair up (1st with 2nd, ...), each pair opening at
        the start of a field and closing at its end, holds whole records. Only the other lines (an odd
        number of quotes, a quote inside a field, ``""``) are walked exactly (pyarrow's rules, in
        Python), with the quotes of the records they start."""
        size = arr.size
        first_q = np.searchsorted(q, start)  # each line's first quote
        counts = np.diff(np.append(first_q, q.size))  # quotes per line
        prev = arr[np.maximum(q - 1, 0)]
        after = arr[np.minimum(q + 1, size - 1)]
        qline = np.searchsorted(nl, q)
        opener = (np.arange(q.size) - first_q[qline]) % 2 == 0
        at_start = self._field_start[prev] | (q == 0)
        at_end = self._field_start[after] | (q == size - 1)
        unpaired = (opener & ~at_start) | (~opener & ~at_end)
        suspicious = np.union1d(np.flatnonzero(counts % 2 == 1), qline[unpaired])
        runaway: dict[int, tuple[int, str, str]] = {}
        spans: list[tuple[int, int]] = []
        if not suspicious.size:
            return runaway, spans, None
        opens = at_start.tolist()  # a quote at the start of a field
        ql, nll = q.tolist(), nl.tolist()
        nq, n_lines = len(ql), len(start)
        last_text_line = n_lines - 1 - int(start[-1] == size)
        resume = 0
        for first in suspicious.tolist():
            if first < resume:
                continue
            line = first
            i = bisect.bisect_left(ql, int(start[line]))
            while i < nq and ql[i] < (nll[line] if line < len(nll) else size):
                if not opens[i]:
                    i += 1  # a quote inside an unquoted field: an ordinary character
                    continue
                j = i + 1
                while j + 1 < nq and ql[j + 1] == ql[j] + 1:
                    j += 2  # "" inside a quoted field
                closed = j < nq
                b = bisect.bisect_left(nll, ql[j]) if closed else max(last_text_line, line)
                if closed and b == line:  # (a quote still open at the end of the block is open past its line)
                    i = j + 1
                    continue
                a = line
                middle = range(a + 1, min(b if closed else b + 1, a + MAX_RECORD_LINES))
                bad = (b - a + 1 > MAX_RECORD_LINES or any(self._is_record(arr, start[k], end[k]) for k in middle)
                       or (closed and self._is_record(arr, start[b], ql[j])))
                if not bad and closed:  # the whole record must not hold more fields than a record
                    rest = nll[b] if b < len(nll) else size
                    bad = _field_count(arr[start[a]:rest].tobytes(), self.delimiter) > self.n_fields + 1
                if not bad and not closed and not final:
                    return runaway, spans, a  # may close in the next block: carry it there
                if bad or not closed:
                    text = arr[start[a]:end[a]].tobytes().decode("utf-8", errors="replace")
                    span = f"lines {self.line + a}-{self.line + b}" + ("" if closed else " (never closed)")
                    runaway[a] = (a, "malformed_row", f"{span}: a quoted field runs past its line: {text}")
                    break  # the lines after it are records: the walk goes on at the next odd line
                spans.append((a, b))
                line, i = b, j + 1
            resume = line + 1
        return runaway, spans, None
