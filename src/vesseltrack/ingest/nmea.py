"""NMEA 0183 AIS reader (``!AIVDM`` / ``!AIVDO`` and any talker), vectorised with numpy.

``read(path)`` yields :class:`~vesseltrack.ingest.base.Chunk` objects whose ``frame`` holds one row
per AIS position report (types 1, 2, 3, 18, 19, 27) in canonical columns and units, with the
static and voyage data of types 5, 24 and 19 merged on by MMSI and time.

How it works (no Python step per sentence): a chunk of up to ``chunk_rows`` lines is read as bytes
into a numpy array; newlines, ``!``, ``*`` and ``:`` are located with array comparisons; the
header fields of every sentence are read from a 16-byte window matrix after ``!xxVDM``;
checksums are one ``np.bitwise_xor.reduceat``; payload characters are gathered into a
(characters x messages) matrix and de-armoured to 6-bit values with two array operations, and
every bit field is a few shifts over those columns for all messages of a type at once.
Multi-part messages are assembled by sorting fragments on their key and matching runs of parts
1..n. Static data are merged with ``searchsorted`` over (MMSI rank, time rank) keys. The only
Python-level loops run over fields, characters of a field, chunks, or distinct ship texts.

Timestamps, in order of precedence, for each sentence:

1. its NMEA 4.0 tag block ``c:`` field (``\\s:rORBCOMM,c:1418169601*hh\\!AIVDM...``; 9-11 digits
   are seconds, 12-13 digits milliseconds);
2. a leading stamp before the sentence: ``[2024-07-19 08:45:27.141] !AIVDM...``, an ISO time or a
   Unix time followed by a space, comma or semicolon;
3. a trailing Unix time after the checksum, as written by DMA and USCG/N-AIS receivers
   (``...,0*3E,1357134218`` or ``...*hh,b003669794,1272412827``; the first field after the
   checksum that is a whole Unix time is used);
4. the preceding Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,...`` line, or a tag block alone on its
   line (``\\c:1354719388*56\\``): like pyais, such a line dates the *next* AIS message only (all
   its fragments), not every later sentence;
5. ``assume_time`` when given.

A multi-part message takes the first time found among its parts (part 1 first), so parts linked by
``g:`` groups that carry no ``c:`` of their own are dated by part 1. Times outside 1980..2100 are
ignored. Sentences that need a time (positions, static data) and have none are rejected with
``no_timestamp``; if no AIS sentence in the whole file has a time and ``assume_time`` is not given,
:class:`~vesseltrack.errors.InputError` is raised (chunks are held back until the first time is
seen, so the error comes before any chunk of such a file is yielded).

Line accounting (every line is counted exactly once):

- A physical line normally holds one sentence. Lines holding several sentences
  (``...*25\\c:..\\!AIVDM...`` or ``...*4B\\r\\n!AIVDM...`` as some captures have) are cut
  before each later ``!xxVDM`` (or before its tag block); each sentence then counts separately
  and carries the physical line number. Lines starting with ``#`` are comments even when they
  quote a sentence.
- ``rows_read`` is the number of AIS sentences (anything containing ``!xxVDM,`` / ``!xxVDO,``)
  consumed by the chunk, and ``rows_read == len(frame) + len(rejects) + sum(skipped[k] for k
  not in NON_AIS_KINDS)``. Rejects are AIS sentences only (``row`` = 1-based physical line).
- ``skipped`` counts AIS sentences not turned into rows by kind: ``msg_type_N`` (messages of types
  other than positions and static data, e.g. ``msg_type_4`` base stations), ``static_msg``
  (types 5 and 24, merged onto positions), ``multipart_fragment`` (parts after the first of an
  assembled message; the first part carries the message's outcome). It also counts the lines
  that are not AIS sentences (``NON_AIS_KINDS``): ``blank``, ``comment`` (``#``), ``time_line``
  (``$PGHP`` and stand-alone tag blocks) and ``non_ais_line`` (other NMEA such as ``$GPRMC``,
  garbage).
- A fragment still waiting for its other parts at the end of a chunk is carried into the next one
  (if it is within ``CARRY_LINES`` lines of the chunk end) and counted where it is resolved.

Values are decoded faithfully and not judged (``clean`` does that): lat 91 / lon 181, SOG 102.3,
COG 360, heading 511, draught 0 and IMO 0 are delivered as sent. Type 27 (long range) reports
SOG in whole knots and COG in whole degrees; their "not available" codes 63 and 511 are mapped to
the canonical sentinels 102.3 and 360 so that ``clean`` treats all types alike, and its missing
heading is NaN. Types 18/19 have no navigational status (<NA>).

Static data merge: each position gets, field by field, the latest value reported by its MMSI at
or before its time (type 5: all fields; type 24 A: name; type 24 B: call sign, type, dimensions;
type 19: name, type, dimensions); a report with the very same time counts as before the position
only if it comes earlier in the file, so two ships sharing an MMSI in the same second each keep
their own name. When the MMSI reported nothing before the position, the first later report in
the same chunk is used, so a vessel's first positions are not left without a name merely because
its type 5 came a little later. The latest static values per MMSI are carried
across chunks. Empty texts become <NA>. length_m = A + B, width_m = C + D (dimensions to the GPS
antenna), draught_m = raw / 10.

Checksums: the XOR of the bytes between ``!`` and ``*`` must equal the two hex digits after
``*``; anything after them (receiver trailers, stray characters) is not part of the sentence.
A missing or mismatched checksum is a ``bad_checksum`` reject, a sentence whose fields are
invalid (fragment count 0, part > count, fill bits > 5, ...) a ``malformed_sentence`` reject, an
empty or undecodable payload (bad characters, unknown type, too short for a position) a
``bad_payload`` reject. Fields a short payload cuts off after the position (COG, heading, ...)
are NaN rather than zero.

Multi-part messages: fragments are keyed by (talker, VDM/VDO, sequential id, channel, fragment
count), as pyais does, and parts 1..n of a key are matched in file order even with other
sentences in between; a new part 1 abandons an unfinished message of the same key. Fragments
left over are ``incomplete_multipart`` rejects.

Not decoded: ETA and the binary payloads of other message types (counted in ``skipped``).
Tag-block checksums are not verified (providers often write them wrong, e.g. ``*00``); only the
sentence checksum is. ``g:`` group ids are not used for assembly: the NMEA sentence fields are.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from vesseltrack.errors import InputError
from vesseltrack.ingest.base import Chunk
from vesseltrack.ingest.nmea_bits import (
    HEX,
    HEX_STR,
    IS_SPACE,
    NAT,
    ARMOR,
    at,
    bits,
    char_columns,
    window,
    civil_to_ns,
    parse_epoch,
    parse_uint,
    text,
)

__all__ = ["read", "looks_like_nmea", "NON_AIS_KINDS", "CARRY_LINES"]

#: ``skipped`` kinds that are not AIS sentences (not part of ``rows_read``).
NON_AIS_KINDS = ("blank", "comment", "time_line", "non_ais_line")

#: Unassembled fragments this close (in lines) to the end of a chunk wait for the next chunk.
CARRY_LINES = 2000

POSITION_TYPES = (1, 2, 3, 18, 19, 27)
STATIC_TYPES = (5, 24)
# decoding families: (name, payload characters to de-armour, bits needed); positions need their
# latitude complete, static messages at least the MMSI
_FAMILIES = (("A", 23, 116), ("B18", 23, 112), ("B19", 51, 112), ("L", 16, 79), ("S5", 71, 40), ("S24", 28, 40))
_FAMILY = np.zeros(65, dtype=np.int8)  # indexed by message type + 1 (type -1: no payload)
for _code, _types in enumerate(((1, 2, 3), (18,), (19,), (27,), (5,), (24,)), start=1):
    _FAMILY[np.array(_types) + 1] = _code

# outcome codes per sentence
_POS = 1  # outcome of a sentence that became a position row
_REASONS = ("bad_checksum", "malformed_sentence", "incomplete_multipart", "bad_payload", "no_timestamp")
R_CHECKSUM, R_MALFORMED, R_INCOMPLETE, R_PAYLOAD, R_NOTIME = range(5)
# skip kinds for AIS sentences: 0 static_msg, 1 multipart_fragment, 100 + n msg_type_n
S_STATIC, S_FRAGMENT = 0, 1

# static-data field groups: which message kinds carry them (5, 24A, 24B, 19)
_GROUPS = {
    "name": (("vessel_name",), (5, 240, 19)),
    "call": (("call_sign",), (5, 241)),
    "ship": (("vessel_type", "length_m", "width_m"), (5, 241, 19)),
    "voyage": (("imo", "draught_m", "destination"), (5,)),
}
_STATIC_FIELDS = ("vessel_name", "call_sign", "vessel_type", "length_m", "width_m", "imo", "draught_m", "destination")
_TEXT_FIELDS = ("vessel_name", "call_sign", "destination")
_INT_FIELDS = {"imo": np.int32, "vessel_type": np.int16}

_SENTENCE_RE = re.compile(rb"![A-Z-]{2}VD[MO],")


def looks_like_nmea(first_bytes: bytes) -> bool:
    """True when the first bytes of a file (gzip or plain) hold an AIS sentence (``!xxVDM`` / ``!xxVDO``)
    or a Gatehouse ``$PGHP`` line: the sniffer's test for this reader."""
    data = first_bytes
    if data[:2] == b"\x1f\x8b":
        try:
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, 1 << 20)
        except zlib.error:
            return False
    head = data[: 1 << 16]
    return bool(_SENTENCE_RE.search(head)) or b"$PGHP," in head


def _assume_ns(assume_time) -> int:
    if assume_time is None:
        return NAT
    try:
        ts = pd.Timestamp(assume_time)
    except (ValueError, TypeError) as err:
        raise InputError(
            f"assume_time {assume_time!r} is not a time; expected an ISO time such as 2024-01-01T00:00:00Z"
        ) from err
    if ts is pd.NaT:
        raise InputError(
            f"assume_time {assume_time!r} is not a time; expected an ISO time such as 2024-01-01T00:00:00Z"
        )
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.as_unit("ns").value)


@dataclass
class _State:
    path: str
    assume_ns: int
    next_line: int = 1
    carry: bytes = b""
    carry_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    carry_times: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pending_wrapper: int = NAT
    statics: dict | None = None


def _open(path: Path):
    try:
        fh = open(path, "rb")
    except OSError as err:
        raise InputError(f"{path}: cannot open ({err.strerror}); expected a readable NMEA file") from err
    magic = fh.read(2)
    fh.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb")
    return fh


def _blocks(fh, chunk_rows: int) -> Iterator[tuple[memoryview, bool]]:
    """Blocks of exactly ``chunk_rows`` whole lines (the last one fewer, flagged ``eof``)."""
    size = int(min(max(chunk_rows * 100, 1 << 16), 256 << 20))
    pending = b""
    eof = False
    while True:
        if not eof:
            data = fh.read(size)
            if data:
                pending = pending + data if pending else data
            else:
                eof = True
        if not eof and pending.count(b"\n") < chunk_rows:
            continue  # read more (bytes.count is a fast C scan)
        view = memoryview(pending)
        end = len(pending) if eof else pending.rfind(b"\n") + 1
        lo = 0
        while pending.count(b"\n", lo, end) >= chunk_rows:
            nl = np.flatnonzero(np.frombuffer(view[lo:end], dtype=np.uint8) == 10)
            cut = lo + int(nl[chunk_rows - 1]) + 1
            yield view[lo:cut], False
            lo = cut
        if eof:
            yield view[lo:end], True
            return
        pending = bytes(view[lo:])


def read(path, *, column_map=None, assume_time=None, chunk_rows: int = 1_000_000) -> Iterator[Chunk]:
    """Read an NMEA AIS file (plain or gzip) into chunks of canonical positions.

    ``column_map`` is accepted for the common reader signature and ignored (NMEA has no columns).
    ``assume_time`` (anything ``pd.Timestamp`` accepts; naive means UTC) dates sentences that carry
    no time. Raises InputError when no AIS sentence in the file has a time and no ``assume_time``
    is given. See the module docstring for the time sources and the line accounting.

    Memory: a chunk needs roughly 1 KB per line while it is decoded (about 1 GB at the default
    ``chunk_rows`` of 1,000,000 lines of ~75 bytes); pass a smaller ``chunk_rows`` to bound it
    lower at little cost in speed.
    """
    path = Path(path)
    if chunk_rows < 1:
        raise InputError(f"chunk_rows {chunk_rows} is invalid; expected a positive number of lines")
    state = _State(path=str(path), assume_ns=_assume_ns(assume_time))
    held: list[Chunk] = []
    seen_time = state.assume_ns != NAT
    n_sentences = n_chunks = 0
    with _open(path) as fh:
        try:
            for block, eof in _blocks(fh, chunk_rows):
                chunk, had_time = _process(block, eof, state)
                if not (chunk.rows_read or chunk.skipped):
                    continue  # nothing left at the end of the file
                n_chunks += 1
                n_sentences += chunk.rows_read
                if seen_time:
                    yield chunk
                elif had_time:
                    seen_time = True
                    yield from held
                    held.clear()
                    yield chunk
                else:
                    held.append(chunk)
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(f"{path}: cannot read ({err}); expected a readable plain or gzip NMEA file") from err
    if n_chunks == 0:  # an empty file: one empty chunk, so callers still get the columns
        chunk, _ = _process(b"", True, state)
        yield chunk
        return
    if held and n_sentences:
        raise InputError(
            f"{path}: no timestamps found in {n_sentences} NMEA sentences (no tag blocks, $PGHP, or epoch stamps); "
            f"expected a time per sentence; pass --assume-time 2024-01-01T00:00:00Z to date them all"
        )
    yield from held


# --------------------------------------------------------------------------------------------------
# one chunk
# --------------------------------------------------------------------------------------------------


def _segments(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    nl = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], nl + 1)).astype(np.int64)
    ends = np.concatenate((nl, [len(arr)])).astype(np.int64)
    if len(arr) == 0 or arr[-1] == 10:
        starts, ends = starts[:-1], ends[:-1]
    # strip surrounding whitespace (\r, spaces, tabs); one vectorised step per stripped character
    idx = np.arange(len(starts))
    while len(idx):
        e = ends[idx]
        m = (e > starts[idx]) & IS_SPACE[at(arr, e - 1)]
        idx = idx[m]
        ends[idx] -= 1
    idx = np.arange(len(starts))
    while len(idx):
        s = starts[idx]
        m = (s < ends[idx]) & IS_SPACE[at(arr, s)]
        idx = idx[m]
        starts[idx] += 1
    return starts, ends


def _split_multi(arr, starts, ends, bangs, line):
    """Split lines that hold several sentences (``!xxVDM`` starts after the first one, with their tag
    block if they have one). ``line`` is the line of each sentence start. Returns starts, ends and
    the index of the physical line of each segment. '#' comment lines stay whole."""
    phys = np.arange(len(starts))
    if len(bangs) < 2:
        return starts, ends, phys
    later = np.zeros(len(bangs), dtype=bool)
    later[1:] = (line[1:] == line[:-1]) & (line[1:] >= 0)
    if not later.any():
        return starts, ends, phys
    later &= at(arr, starts[np.maximum(line, 0)]) != 35
    if not later.any():
        return starts, ends, phys
    q = bangs[later]
    prev = bangs[np.flatnonzero(later) - 1]
    tagged = at(arr, q - 1) == 92
    if tagged.any():  # move the cut to the opening backslash of the tag block
        bsl = np.flatnonzero(arr == 92)
        k = np.searchsorted(bsl, q[tagged] - 1) - 1
        op = bsl[np.maximum(k, 0)]
        q[tagged] = np.where((k >= 0) & (op > prev[tagged]), op, q[tagged])
    new_starts = np.sort(np.concatenate((starts, q)))
    phys = np.searchsorted(starts, new_starts, side="right") - 1
    new_ends = ends[phys].copy()
    same = phys[1:] == phys[:-1]
    new_ends[:-1][same] = new_starts[1:][same]
    return new_starts, new_ends, phys


def _checksums(arr, s, e, star, S=None):
    """For sentences ``[s, e)`` with their checksum '*' at ``star`` (-1: none): the bytes
    ',f*hh' around it (5 x n), whether a checksum is there, its value, the XOR of the bytes
    between '!' and '*', and whether the two agree."""
    n = len(s)
    if S is None:
        S = np.ascontiguousarray(window(arr, star - 2, 5).T)
    has_star = (star >= 0) & (star + 3 <= e)
    h1, h2 = HEX[S[3]], HEX[S[4]]
    has_star &= (h1 != 255) & (h2 != 255)
    given = (h1.astype(np.int64) << 4) | h2
    if n:
        idx = np.empty(2 * n, dtype=np.int64)
        idx[0::2] = s + 1
        idx[1::2] = np.where(has_star, star, s + 2)
        computed = np.bitwise_xor.reduceat(arr, np.minimum(idx, len(arr) - 1))[0::2].astype(np.int64)
    else:
        computed = np.zeros(0, dtype=np.int64)
    return S, has_star, given, computed, has_star & (computed == given)


def _first_after(positions: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """First element of sorted ``positions`` in ``[lo, hi)``, or -1."""
    if len(positions) == 0:
        return np.full(len(lo), -1, dtype=np.int64)
    k = np.searchsorted(positions, lo)
    p = positions[np.minimum(k, len(positions) - 1)]
    return np.where((k < len(positions)) & (p < hi), p, -1)


def _field_start(commas: np.ndarray, after: np.ndarray, k: int, end: np.ndarray, base=None) -> np.ndarray:
    """Start of the field after the k-th comma (k >= 1) following ``after``, or -1.
    ``base`` = ``np.searchsorted(commas, after)`` when the caller already has it."""
    ci = (np.searchsorted(commas, after) if base is None else base) + (k - 1)
    ok = ci < len(commas)
    c = commas[np.minimum(ci, max(len(commas) - 1, 0))] if len(commas) else np.zeros(len(after), dtype=np.int64)
    return np.where(ok & (c < end), c + 1, -1)


def _tag_time(arr, colons, open_, close) -> np.ndarray:
    """``c:`` time of the tag blocks ``(open_, close)`` (sorted, disjoint): int64 ns or NaT.

    Found through the ':' positions of the chunk: a ``c:`` field starts right after the opening
    backslash or a comma."""
    n = len(open_)
    out = np.full(n, NAT, dtype=np.int64)
    if n == 0 or len(colons) == 0:
        return out
    cand = colons[arr.take(colons - 1, mode="clip") == 99]  # 'c:'
    before = at(arr, cand - 2)
    cand = cand[(before == 44) | (before == 92)]  # at the start of a field
    if len(cand) == n and ((cand - 2 >= open_) & (cand < close)).all():
        out[:] = parse_epoch(arr, cand + 1, close)  # usual case: one c: in each tag block, in order
        return out
    blk = np.searchsorted(open_, cand, side="right") - 1
    ok = (blk >= 0) & (cand < close[np.maximum(blk, 0)]) & (cand - 2 >= open_[np.maximum(blk, 0)])
    cand, blk = cand[ok], blk[ok]
    if len(blk) == 0:
        return out
    first = np.ones(len(blk), dtype=bool)
    first[1:] = blk[1:] != blk[:-1]
    cand, blk = cand[first], blk[first]
    out[blk] = parse_epoch(arr, cand + 1, close[blk])
    return out


def _pghp_time(arr, commas, s, e) -> np.ndarray:
    vals = []
    base = np.searchsorted(commas, s)
    for k in range(2, 9):
        fs = _field_start(commas, s, k, e, base)
        v, nd = parse_uint(arr, np.maximum(fs, 0), e, 4)
        vals.append(np.where((fs >= 0) & (nd > 0), v, -1))
    return civil_to_ns(*vals)


def _text_at(arr: np.ndarray, s: np.ndarray, e: np.ndarray, width: int) -> np.ndarray:
    """Bytes ``arr[s:e]`` (at most ``width``) of every item as an array of str."""
    n = len(s)
    if n == 0:
        return np.array([], dtype=object)
    ln = np.clip(e - s, 0, width)
    m = np.zeros((n, width), dtype=np.uint8)
    for j in range(width):
        inside = j < ln
        if not inside.any():
            break
        m[:, j] = np.where(inside, at(arr, s + j), 0)
    return np.char.decode(m.view(f"S{width}").ravel(), "latin-1").astype(object)


def _prefix_time(arr, s, e) -> np.ndarray:
    """Time written before a sentence: '[2024-07-19 08:45:27.141] ', ISO or Unix stamps."""
    txt = pd.Series(_text_at(arr, s, e, 40), dtype=object).str.strip(" \t[],;")
    out = np.full(len(s), NAT, dtype=np.int64)
    digits = txt.str.fullmatch(r"\d{9,13}(\.\d+)?").fillna(False).to_numpy(dtype=bool)
    if digits.any():
        num = pd.to_numeric(txt[digits], errors="coerce").to_numpy(dtype="float64")
        ns = np.where(num >= 1e11, num * 1e6, num * 1e9)
        out[digits] = np.where(np.isfinite(ns), ns, 0).astype(np.int64)
    rest = ~digits & (txt.str.len() >= 10).to_numpy(dtype=bool)
    if rest.any():
        t = pd.to_datetime(txt[rest], errors="coerce", utc=True, format="ISO8601")
        out[rest] = t.dt.as_unit("ns").to_numpy(dtype="datetime64[ns]").view(np.int64)
    lo, hi = 315_532_800 * 10**9, 4_102_444_800 * 10**9
    return np.where((out >= lo) & (out < hi), out, NAT)


def _trailer_time(arr, commas, star, e) -> np.ndarray:
    """First whole Unix time among the comma fields after the checksum."""
    out = np.full(len(star), NAT, dtype=np.int64)
    base = np.searchsorted(commas, star)
    for k in range(1, 11):
        fs = _field_start(commas, star, k, e, base)
        todo = (fs >= 0) & (out == NAT)
        if not todo.any():
            if (fs < 0).all():
                break
            continue
        i = np.flatnonzero(todo)
        out[i] = parse_epoch(arr, fs[i], e[i])
    return out


def _process(block: bytes, eof: bool, st: _State) -> tuple[Chunk, bool]:
    ncarry = len(st.carry_lines)
    data = st.carry + block if ncarry else block  # bytes + memoryview -> bytes
    arr = np.frombuffer(data, dtype=np.uint8)
    starts, ends = _segments(arr)
    nphys = len(starts)
    phys_line = np.concatenate((st.carry_lines, st.next_line + np.arange(nphys - ncarry, dtype=np.int64)))
    st.next_line += nphys - ncarry

    # ---- locate AIS sentences: '!' followed by two talker characters and VDM / VDO -----------
    bangs = np.flatnonzero(arr == 33)
    B = window(arr, bangs + 1, 6)  # talker, 'VDM' / 'VDO', ','
    if len(bangs):
        Bt = B.T
        okb = (Bt[2] == 86) & (Bt[3] == 68) & ((Bt[4] == 77) | (Bt[4] == 79)) & (Bt[5] == 44)
    b_idx = np.flatnonzero(okb) if len(bangs) else np.zeros(0, dtype=np.int64)  # rows of B kept
    bangs = bangs[b_idx]
    bseg = np.searchsorted(starts, bangs, side="right") - 1
    n_before = len(starts)
    starts, ends, phys = _split_multi(arr, starts, ends, bangs, bseg)
    seg_line = phys_line[phys]
    nseg = len(starts)
    # own-time override for carried fragments (the first ncarry physical lines)
    carried_seg = phys < ncarry
    if nseg != n_before:
        bseg = np.searchsorted(starts, bangs, side="right") - 1
    inside = (bseg >= 0) & (bangs + 6 <= ends[np.maximum(bseg, 0)])
    inside &= at(arr, starts[np.maximum(bseg, 0)]) != 35  # sentences quoted in '#' comments are comments
    keep = np.flatnonzero(inside)
    bangs, bseg = bangs[keep], bseg[keep]
    first = np.ones(len(bseg), dtype=bool)
    first[1:] = bseg[1:] != bseg[:-1]
    keep = keep[first]
    sent_seg = bseg[first]
    s = bangs[first]
    header6 = B[b_idx[keep]].T  # bytes s+1 .. s+6
    e = ends[sent_seg]
    n = len(s)
    line = seg_line[sent_seg]

    # ---- non-AIS lines -------------------------------------------------------------------------
    is_sent = np.zeros(nseg, dtype=bool)
    is_sent[sent_seg] = True
    other = np.flatnonzero(~is_sent)
    os_, oe = starts[other], ends[other]
    c0 = at(arr, os_)
    blank = oe <= os_
    comment = ~blank & (c0 == 35)
    pghp = ~blank & (c0 == 36) & (at(arr, os_ + 1) == 80) & (at(arr, os_ + 2) == 71) & (at(arr, os_ + 3) == 72) & (
        at(arr, os_ + 4) == 80
    )
    cache: dict[str, np.ndarray] = {}

    def commas_of(ch: int, name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = np.flatnonzero(arr == ch)
        return cache[name]

    def colons() -> np.ndarray:
        return commas_of(58, "colons")

    tl_time_all = np.full(len(other), NAT, dtype=np.int64)
    if pghp.any():
        i = np.flatnonzero(pghp)
        tl_time_all[i] = _pghp_time(arr, commas_of(44, "commas"), os_[i], oe[i])
    lone_tag = ~blank & (c0 == 92)
    if lone_tag.any():
        i = np.flatnonzero(lone_tag)
        close = np.where(at(arr, oe[i] - 1) == 92, oe[i] - 1, oe[i])
        tt = _tag_time(arr, colons(), os_[i], close)
        tl_time_all[i] = tt
        lone_tag[i[tt == NAT]] = False
    time_line = pghp | lone_tag
    skipped: dict[str, int] = {}
    for kind, m in (("blank", blank), ("comment", comment), ("time_line", time_line)):
        if m.any():
            skipped[kind] = int(m.sum())
    nonais = int((~(blank | comment | time_line)).sum())
    if nonais:
        skipped["non_ais_line"] = nonais
    tl_seg = other[time_line]
    tl_time = tl_time_all[time_line]

    # ---- checksum --------------------------------------------------------------------------------
    # The checksum '*' is the first one after '!'. Usually the line ends with ',f*hh': take that
    # without searching; lines with something after the checksum, and any sentence whose checksum
    # fails that way, are settled by searching the '*' positions of the chunk.
    S = np.ascontiguousarray(window(arr, e - 5, 5).T)
    star = np.where((S[0] == 44) & ((S[1] - np.uint8(48)) < 10) & (S[2] == 42) & (e - 5 > s), e - 3, -1)
    S, has_star, given, computed, cs_ok = _checksums(arr, s, e, star, S)
    retry = np.flatnonzero(~cs_ok)
    if len(retry):
        rs, re_ = s[retry], e[retry]
        width = int(min((re_ - rs).max(), 256))
        if len(retry) * width <= 1 << 22:  # a few: scan their bytes
            hit = window(arr, rs, width) == 42
            k = np.argmax(hit, axis=1)
            star[retry] = np.where(hit.any(axis=1) & (rs + k < re_), rs + k, -1)
            long_ = np.flatnonzero((star[retry] < 0) & (re_ - rs > width))
            if len(long_):  # longer than the window: search the chunk's '*' positions
                stars = np.flatnonzero(arr == 42)
                star[retry[long_]] = _first_after(stars, rs[long_], re_[long_])
        else:
            stars = np.flatnonzero(arr == 42)
            star[retry] = _first_after(stars, rs, re_)
        S2, hs2, g2, c2, ok2 = _checksums(arr, s[retry], e[retry], star[retry])
        S[:, retry], has_star[retry], given[retry], computed[retry], cs_ok[retry] = S2, hs2, g2, c2, ok2

    outcome = np.zeros(n, dtype=np.int8)
    reason = np.full(n, -1, dtype=np.int8)
    skip = np.full(n, -1, dtype=np.int16)
    reason[~cs_ok] = R_CHECKSUM

    # ---- fields ----------------------------------------------------------------------------------
    # the header ',t,p,seq,ch,' sits in the 16 bytes after '!xxVDM'; the payload ends at ',f*hh'
    H = np.ascontiguousarray(window(arr, s + 6, 12).T)
    isc = H == 44
    room = star - s - 6
    if len(room) and room.min() < 12:  # very short sentences: commas after the '*' do not count
        isc &= np.arange(12)[:, None] < room
    total = H[1].astype(np.int64) - 48
    part = H[3].astype(np.int64) - 48
    struct = cs_ok & isc[0] & isc[2] & isc[4] & (total >= 1) & (total <= 9) & (part >= 1) & (part <= total)
    rows = np.arange(n)
    f1 = 5 + np.argmax(isc[5:9], axis=0)  # comma after the sequential id (0..3 digits)
    struct &= isc[5:9].any(axis=0)
    seq_len = f1 - 5
    d = H[5:8].astype(np.int64) - 48
    seq_ok = np.ones(n, dtype=bool)
    seq_v = np.zeros(n, dtype=np.int64)
    for j in range(3):
        inside = j < seq_len
        seq_ok &= ~inside | ((d[j] >= 0) & (d[j] <= 9))
        seq_v = np.where(inside, seq_v * 10 + d[j], seq_v)
    struct &= seq_ok
    seq = np.where(seq_len == 0, -1, seq_v)
    f1c = np.minimum(f1, 8)
    nxt = isc[f1c + 1, rows], isc[f1c + 2, rows], isc[f1c + 3, rows]
    chan_len = np.where(nxt[0], 0, np.where(nxt[1], 1, np.where(nxt[2], 2, 99)))
    struct &= chan_len <= 2
    chan = np.where(chan_len >= 1, H[f1c + 1, rows].astype(np.int64), 0) + np.where(
        chan_len >= 2, H[f1c + 2, rows].astype(np.int64) << 8, 0
    )
    p0 = s + 6 + f1 + chan_len + 2
    before = S[1]
    fill_len = np.where(before == 44, 0, 1)
    c5 = star - 1 - fill_len
    struct &= np.where(fill_len == 1, S[0], before) == 44
    fill = np.where(fill_len == 1, before.astype(np.int64) - 48, 0)
    struct &= (fill >= 0) & (fill <= 5)
    plen = c5 - p0
    struct &= plen >= 0
    reason[cs_ok & ~struct] = R_MALFORMED
    valid = struct

    # ---- times of each sentence: own stamps, then wrapper lines -------------------------------
    own = np.full(n, NAT, dtype=np.int64)
    # tag block directly before the '!'
    seg_s = starts[sent_seg]
    tagged = (s > seg_s) & (at(arr, s - 1) == 92)
    tb_open = np.full(n, -1, dtype=np.int64)
    if tagged.any():
        i = np.flatnonzero(tagged)
        op = np.where(at(arr, seg_s[i]) == 92, seg_s[i], -1)  # usual case: the line starts with the tag block
        odd = np.flatnonzero(op < 0)
        if len(odd):  # something before the tag block ('[time] \\c:..\\!AIVDM'): find its opening '\\'
            bsl = np.flatnonzero(arr == 92)
            k = np.searchsorted(bsl, s[i[odd]] - 1) - 1
            o2 = np.where(k >= 0, bsl[np.maximum(k, 0)], -1)
            op[odd] = np.where(o2 >= seg_s[i[odd]], o2, -1)
        good = op >= 0
        j = i[good]
        tb_open[j] = op[good]
        own[j] = _tag_time(arr, colons(), tb_open[j], s[j] - 1)
    pre_end = np.where(tb_open >= 0, tb_open, s)
    pref = (pre_end > seg_s) & (own == NAT)
    if pref.any():
        i = np.flatnonzero(pref)
        own[i] = _prefix_time(arr, seg_s[i], pre_end[i])
    trail = (own == NAT) & has_star & (star + 3 < e)
    if trail.any():
        i = np.flatnonzero(trail)
        own[i] = _trailer_time(arr, commas_of(44, "commas"), star[i], e[i])

    # wrapper lines ($PGHP, lone tag blocks) date the next message: all sentences up to the one
    # that completes a message (part == total)
    ending = np.zeros(nseg + 1, dtype=np.int64)
    ending[sent_seg + 1] = (valid & (part == total)).astype(np.int64)
    e_before = np.cumsum(ending)  # e_before[i] = endings among segments < i
    wrap = np.full(n, NAT, dtype=np.int64)
    if len(tl_seg):
        L = np.searchsorted(tl_seg, sent_seg) - 1
        Lc = np.maximum(L, 0)
        got = (L >= 0) & (e_before[sent_seg] == e_before[tl_seg[Lc]])
        wrap = np.where(got, tl_time[Lc], NAT)
        no_l = L < 0
    else:
        no_l = np.ones(n, dtype=bool)
    if st.pending_wrapper != NAT:
        wrap = np.where(no_l & (e_before[sent_seg] == 0), st.pending_wrapper, wrap)
    stime = np.where(own != NAT, own, wrap)
    if ncarry:  # fragments carried from the previous chunk keep the time they had there
        carried = carried_seg[sent_seg]
        stime[carried] = st.carry_times[phys[sent_seg[carried]]]
    # carry the pending wrapper into the next chunk
    if len(tl_seg):
        st.pending_wrapper = int(tl_time[-1]) if e_before[nseg] == e_before[tl_seg[-1]] else NAT
    elif e_before[nseg] > 0:
        st.pending_wrapper = NAT

    # ---- multi-part assembly -------------------------------------------------------------------
    frag = np.flatnonzero(valid & (total > 1))
    talker = (header6[0].astype(np.int64) << 8) | header6[1]
    vdo = (header6[4] == 79).astype(np.int64)
    groups_members: list[np.ndarray] = []
    carry_idx = np.zeros(0, dtype=np.int64)
    if len(frag):
        key = (((talker[frag] * 2 + vdo[frag]) * 1024 + (seq[frag] + 1)) * 65536 + chan[frag]) * 16 + total[frag]
        order = np.lexsort((frag, key))
        ks, ps, ts = key[order], part[frag][order], total[frag][order]
        used = np.zeros(len(frag), dtype=bool)
        heads = []
        for tn in np.unique(ts):
            cand = np.flatnonzero((ps == 1) & (ts == tn))
            cand = cand[cand + tn - 1 < len(ks)]
            ok = np.ones(len(cand), dtype=bool)
            for j in range(1, int(tn)):
                ok &= (ks[cand + j] == ks[cand]) & (ps[cand + j] == j + 1)
            cand = cand[ok]
            if len(cand):
                mem = np.stack([frag[order[cand + j]] for j in range(int(tn))], axis=1)  # (m, tn) sentence idx
                for j in range(int(tn)):
                    used[order[cand + j]] = True
                heads.append(mem)
        unmatched = frag[~used]
        if len(unmatched):
            if eof:
                late = np.zeros(len(unmatched), dtype=bool)
            else:
                last_line = int(phys_line[-1]) if nphys else 0
                late = (last_line - line[unmatched]) < CARRY_LINES
            carry_idx = unmatched[late]
            reason[unmatched[~late]] = R_INCOMPLETE
        groups_members = heads
    # messages: singles and assembled groups
    single = np.flatnonzero(valid & (total == 1))
    m_head = [single]
    m_p0 = [p0[single]]
    m_len = [plen[single]]
    m_fill = [fill[single]]
    m_time = [stime[single]]
    extra_src = []
    extra_off = len(arr)
    for mem in groups_members:
        m, tn = mem.shape
        lens = plen[mem]  # (m, tn)
        tot_len = lens.sum(axis=1)
        flat_s = p0[mem].ravel()
        flat_l = lens.ravel()
        offs = np.cumsum(flat_l) - flat_l
        idx = np.repeat(flat_s - offs, flat_l) + np.arange(flat_l.sum())
        extra_src.append(arr[idx])
        gstart = np.cumsum(tot_len) - tot_len + extra_off
        extra_off += int(flat_l.sum())
        m_head.append(mem[:, 0])
        m_p0.append(gstart)
        m_len.append(tot_len)
        m_fill.append(fill[mem[:, -1]])
        tt = stime[mem]
        firstt = np.argmax(tt != NAT, axis=1)
        m_time.append(tt[np.arange(m), firstt])
        for j in range(1, tn):
            skip[mem[:, j]] = S_FRAGMENT
    head = np.concatenate(m_head)
    mp0 = np.concatenate(m_p0)
    mlen = np.concatenate(m_len)
    mfill = np.concatenate(m_fill)
    mtime = np.concatenate(m_time)
    extra = np.concatenate(extra_src) if extra_src else np.zeros(0, dtype=np.uint8)
    n_arr = len(arr)

    def payload_source(p):
        """The byte array holding payloads starting at ``p`` (assembled ones live in ``extra``)."""
        if len(p) == 0 or p.max() < n_arr:
            return arr, p
        if p.min() >= n_arr:
            return extra, p - n_arr
        return np.concatenate((arr, extra)), p  # positions of single and multi-part messages mixed

    if st.assume_ns != NAT:
        mtime = np.where(mtime == NAT, st.assume_ns, mtime)
    had_time = bool((stime != NAT).any()) or st.assume_ns != NAT

    # ---- decode --------------------------------------------------------------------------------
    nbits = mlen * 6 - mfill
    first_char = at(arr, mp0)
    if len(extra):
        first_char = np.where(mp0 < n_arr, first_char, at(extra, mp0 - n_arr))
    mtype = np.where(mlen > 0, ARMOR[first_char], 255).astype(np.int64)
    mtype = np.where(mtype == 255, -1, mtype)
    empty = mlen == 0
    reason[head[empty]] = R_PAYLOAD
    family = _FAMILY[mtype + 1]  # one table look-up instead of an isin per family
    is_pos = (family >= 1) & (family <= 4)
    is_static = family >= 5
    unknown = ~empty & ((mtype <= 0) | (mtype > 27))
    reason[head[unknown]] = R_PAYLOAD
    other_t = ~empty & ~unknown & ~is_pos & ~is_static
    skip[head[other_t]] = 100 + mtype[other_t]

    nm = len(head)
    P = {
        "mmsi": np.zeros(nm, np.int32), "lat": np.zeros(nm, np.float64), "lon": np.zeros(nm, np.float64),
        "sog_kn": np.zeros(nm, np.float32), "cog_deg": np.zeros(nm, np.float32),
        "heading_deg": np.zeros(nm, np.float32), "nav_status": np.zeros(nm, np.int8),
        "ais_class": np.zeros(nm, np.int8),
    }
    is_pos_msg = np.zeros(nm, dtype=bool)
    stat_parts = []
    for fcode, (fam, width, need) in enumerate(_FAMILIES, start=1):
        sel = np.flatnonzero(family == fcode)
        if len(sel) == 0:
            continue
        V, badc = char_columns(*payload_source(mp0[sel]), mlen[sel], width)
        short = nbits[sel] < need
        bad = badc | short
        reason[head[sel[bad]]] = R_PAYLOAD
        notime = ~bad & (mtime[sel] == NAT)
        reason[head[sel[notime]]] = R_NOTIME
        keep = ~bad & ~notime
        if not keep.all():
            sel, V = sel[keep], V[:, keep]
        if len(sel) == 0:
            continue
        mmsi = bits(V, 8, 30)
        if fam in ("S5", "S24"):
            skip[head[sel]] = S_STATIC
            stat_parts.append(_decode_static(fam, V, sel, mmsi, mtime[sel], line[head[sel]]))
            continue
        outcome[head[sel]] = _POS
        is_pos_msg[sel] = True
        nb = nbits[sel]

        nb_min = int(nb.min())

        def upto(values, end, nb=nb):
            # a field cut off by a short payload is missing, not zero
            return values if nb_min >= end else np.where(nb >= end, values, np.nan)

        P["mmsi"][sel] = mmsi
        if fam == "A":
            P["nav_status"][sel] = bits(V, 38, 4)
            P["sog_kn"][sel] = bits(V, 50, 10) / 10.0
            P["lon"][sel] = bits(V, 61, 28, True) / 600000.0
            P["lat"][sel] = bits(V, 89, 27, True) / 600000.0
            P["cog_deg"][sel] = upto(bits(V, 116, 12) / 10.0, 128)
            P["heading_deg"][sel] = upto(bits(V, 128, 9), 137)
        elif fam in ("B18", "B19"):
            P["nav_status"][sel] = -1
            P["sog_kn"][sel] = bits(V, 46, 10) / 10.0
            P["lon"][sel] = bits(V, 57, 28, True) / 600000.0
            P["lat"][sel] = bits(V, 85, 27, True) / 600000.0
            P["cog_deg"][sel] = upto(bits(V, 112, 12) / 10.0, 124)
            P["heading_deg"][sel] = upto(bits(V, 124, 9), 133)
            P["ais_class"][sel] = 1
            if fam == "B19":
                stat_parts.append(_decode_static("S19", V, sel, mmsi, mtime[sel], line[head[sel]]))
        else:
            sog = upto(bits(V, 79, 6), 85)
            cog = upto(bits(V, 85, 9), 94)
            P["nav_status"][sel] = bits(V, 40, 4)
            P["sog_kn"][sel] = np.where(sog == 63, 102.3, sog)
            P["lon"][sel] = bits(V, 44, 18, True) / 600.0
            P["lat"][sel] = bits(V, 62, 17, True) / 600.0
            P["cog_deg"][sel] = np.where(cog == 511, 360.0, cog)
            P["heading_deg"][sel] = np.nan

    pos_idx = np.flatnonzero(is_pos_msg)
    if len(groups_members):  # assembled messages come after the single ones: restore file order
        pos_idx = pos_idx[np.argsort(head[pos_idx], kind="stable")]
    cols = {k: v[pos_idx] for k, v in P.items()}
    cols["_t"] = mtime[pos_idx]
    cols["source_row"] = line[head[pos_idx]]

    # ---- static merge and frame ------------------------------------------------------------------
    statics = _static_table(stat_parts, st)
    frame = _frame(cols, statics)
    st.statics = _latest_statics(statics)

    # ---- carry, rejects, counts ------------------------------------------------------------------
    counted = np.ones(n, dtype=bool)
    if len(carry_idx):
        counted[carry_idx] = False
        cs, ce = s[carry_idx], e[carry_idx]
        # keep the whole segment (tag block included) so the sentence is re-read as it was
        cs = starts[sent_seg[carry_idx]]
        st.carry = b"".join(bytes(data[a:b]) + b"\n" for a, b in zip(cs.tolist(), ce.tolist()))
        st.carry_lines = line[carry_idx].copy()
        st.carry_times = stime[carry_idx].copy()
    else:
        st.carry, st.carry_lines, st.carry_times = b"", np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # carried-in lines that are not sentences any more cannot happen; make sure they are not
    # counted twice as non-AIS lines either
    rej = np.flatnonzero((reason >= 0) & counted)
    rejects = _rejects(st.path, arr, s[rej], e[rej], line[rej], reason[rej], computed[rej], has_star[rej])
    sk = skip[(reason < 0) & counted & (outcome != _POS)]
    sk = sk[sk >= 0]
    if len(sk):
        kinds, cnt = np.unique(sk, return_counts=True)
        for kd, c in zip(kinds.tolist(), cnt.tolist()):
            name = {S_STATIC: "static_msg", S_FRAGMENT: "multipart_fragment"}.get(kd, f"msg_type_{kd - 100}")
            skipped[name] = skipped.get(name, 0) + c
    rows_read = int(counted.sum())
    return Chunk(frame=frame, rejects=rejects, rows_read=rows_read, skipped=skipped), had_time


def _decode_static(fam, V, sel, mmsi, t, line) -> dict:
    n = len(sel)
    nan = np.full(n, np.nan)
    none = np.full(n, None, dtype=object)
    if fam == "S5":
        return dict(
            mmsi=mmsi, _t=t, _line=line, _kind=np.full(n, 5),
            imo=bits(V, 40, 30).astype(np.float64), call_sign=text(V, 70, 7), vessel_name=text(V, 112, 20),
            vessel_type=bits(V, 232, 8).astype(np.float64),
            length_m=(bits(V, 240, 9) + bits(V, 249, 9)).astype(np.float64),
            width_m=(bits(V, 258, 6) + bits(V, 264, 6)).astype(np.float64),
            draught_m=bits(V, 294, 8) / 10.0, destination=text(V, 302, 20),
        )
    if fam == "S19":
        return dict(
            mmsi=mmsi, _t=t, _line=line, _kind=np.full(n, 19),
            imo=nan, call_sign=none, vessel_name=text(V, 143, 20),
            vessel_type=bits(V, 263, 8).astype(np.float64),
            length_m=(bits(V, 271, 9) + bits(V, 280, 9)).astype(np.float64),
            width_m=(bits(V, 289, 6) + bits(V, 295, 6)).astype(np.float64),
            draught_m=nan, destination=none,
        )
    # type 24: part A (0) name; part B (1) type, call sign, dimensions; other part numbers unused
    partno = bits(V, 38, 2)
    aux = (mmsi // 10_000_000) == 98  # auxiliary craft: dimensions field holds the mother ship MMSI
    name = text(V, 40, 20)
    call = text(V, 90, 7)
    kind = np.where(partno == 0, 240, np.where(partno == 1, 241, -1))
    return dict(
        mmsi=mmsi, _t=t, _line=line, _kind=kind,
        imo=nan, call_sign=np.where(partno == 1, call, None), vessel_name=np.where(partno == 0, name, None),
        vessel_type=np.where(partno == 1, bits(V, 40, 8), np.nan),
        length_m=np.where((partno == 1) & ~aux, bits(V, 132, 9) + bits(V, 141, 9), np.nan),
        width_m=np.where((partno == 1) & ~aux, bits(V, 150, 6) + bits(V, 156, 6), np.nan),
        draught_m=nan, destination=none,
    )


_STATIC_KEYS = ("mmsi", "_t", "_line", "_kind", *_STATIC_FIELDS)


def _static_table(parts: list[dict], st: _State) -> dict | None:
    """All static rows of the chunk (plus those carried from earlier chunks) as arrays."""
    pieces = ([st.statics] if st.statics is not None else []) + [p for p in parts if len(p["mmsi"])]
    if not pieces:
        return None
    out = {}
    for k in _STATIC_KEYS:
        dtype = object if k in _TEXT_FIELDS else (np.float64 if k in _STATIC_FIELDS else np.int64)
        out[k] = np.concatenate([np.asarray(pc[k], dtype=dtype) for pc in pieces])
    for f in _TEXT_FIELDS:
        v = out[f]
        v[v == ""] = None
    return out


def _latest_statics(d: dict | None) -> dict | None:
    """The latest row per MMSI and field group (what later chunks need)."""
    if d is None or len(d["mmsi"]) == 0:
        return None
    picks, groups = [], []
    for gi, (fields, kinds) in enumerate(_GROUPS.values()):
        rows = np.flatnonzero(np.isin(d["_kind"], kinds + (1000 + gi,)))
        if len(rows) == 0:
            continue
        r = rows[np.lexsort((d["_line"][rows], d["_t"][rows], d["mmsi"][rows]))]
        m = d["mmsi"][r]
        last = r[np.append(m[1:] != m[:-1], True)]
        picks.append(last)
        groups.append(np.full(len(last), gi))
    take = np.concatenate(picks)
    group = np.concatenate(groups)
    out = {k: v[take] for k, v in d.items()}
    for gi, (fields, _) in enumerate(_GROUPS.values()):
        other = group == gi
        for f in _STATIC_FIELDS:
            if f not in fields:
                out[f][other] = None if f in _TEXT_FIELDS else np.nan
    # a carried row serves exactly its group: mark it with a kind only that group accepts
    out["_kind"] = 1000 + group
    return out


def _asof(p_key, p_r, p_line, s_key, s_r, s_order) -> np.ndarray:
    """Index into the static rows of, per position, the latest static row of the same MMSI at or
    before its time, else the first after; -1 when the MMSI has none.

    Keys are ``mmsi_rank * K + time_rank`` (ranks over the static rows, so they never overflow);
    static rows with the same key as the position count as before it only when their ``s_order``
    (file line; -1 for rows carried from earlier chunks) is at most the position's ``p_line`` (its
    line when a static row has its very time, else the largest int64).
    """
    n = len(p_key)
    if len(s_key) == 0 or n == 0:
        return np.full(n, -1, dtype=np.int64)
    order = np.lexsort((s_order, s_key))
    sk = s_key[order]
    sr = s_r[order]
    j = np.searchsorted(sk, p_key, side="right") - 1
    tie = np.flatnonzero((j >= 0) & (sk[np.maximum(j, 0)] == p_key))
    if len(tie):  # same MMSI and second: step back over the rows later in the file (runs are short)
        so = s_order[order]
        lo = np.searchsorted(sk, p_key[tie], side="left")
        jt = j[tie]
        act = np.arange(len(tie))
        while len(act):
            act = act[so[jt[act]] > p_line[tie[act]]]
            jt[act] -= 1
            act = act[jt[act] >= lo[act]]
        j[tie] = jt
    last = len(sk) - 1
    back = (j >= 0) & (sr[np.maximum(j, 0)] == p_r)
    fwd = ~back & (j + 1 <= last) & (sr[np.minimum(j + 1, last)] == p_r)
    res = np.where(back, j, np.where(fwd, j + 1, -1))
    return np.where(res >= 0, order[np.clip(res, 0, last)], -1)


_EMPTY_FRAME_DTYPES = {
    "mmsi": "int32", "timestamp": "datetime64[ns, UTC]", "lat": "float64", "lon": "float64", "sog_kn": "float32",
    "cog_deg": "float32", "heading_deg": "float32", "nav_status": "Int8", "draught_m": "float32", "imo": "Int32",
    "vessel_name": "category", "call_sign": "category", "vessel_type": "Int16", "destination": "category",
    "length_m": "float32", "width_m": "float32", "ais_class": "category", "source_row": "int64",
}


def _masked(values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    v = np.asarray(values, dtype=np.float64)
    mask = ~np.isfinite(v)
    np_dtype = {"Int8": np.int8, "Int16": np.int16, "Int32": np.int32}[dtype]
    info = np.iinfo(np_dtype)
    mask |= (v < info.min) | (v > info.max)
    return pd.arrays.IntegerArray(np.where(mask, 0, v).astype(np_dtype), mask)


def _frame(cols: dict, statics: dict | None) -> pd.DataFrame:
    n = len(cols["mmsi"])
    if n == 0:
        out = pd.DataFrame({c: pd.Series([], dtype=d) for c, d in _EMPTY_FRAME_DTYPES.items()})
        out["ais_class"] = pd.Categorical([], categories=pd.Index(["A", "B"], dtype=object))
        return out
    ts = pd.DatetimeIndex(cols["_t"].view("datetime64[ns]")).tz_localize("UTC")
    out = {
        "mmsi": cols["mmsi"],
        "timestamp": ts,
        "lat": cols["lat"],
        "lon": cols["lon"],
        "sog_kn": cols["sog_kn"],
        "cog_deg": cols["cog_deg"],
        "heading_deg": cols["heading_deg"],
        "nav_status": pd.arrays.IntegerArray(cols["nav_status"], cols["nav_status"] < 0),
    }
    st_vals: dict[str, object] = {}
    if statics is not None and len(statics["mmsi"]):
        kinds = statics["_kind"]
        s_mmsi = statics["mmsi"]
        s_t = statics["_t"]
        s_order = np.where(kinds >= 1000, -1, statics["_line"])
        um = np.unique(s_mmsi)
        ut = np.unique(s_t)
        K = len(ut) + 1
        s_r = np.searchsorted(um, s_mmsi)
        s_key = s_r * K + np.searchsorted(ut, s_t, side="right")
        p_r_all = pd.Index(um).get_indexer(cols["mmsi"].astype(np.int64))
        known = np.flatnonzero(p_r_all >= 0)  # positions of MMSIs that reported static data
        p_r = p_r_all[known]
        p_t = cols["_t"][known]
        p_tr = np.searchsorted(ut, p_t, side="right")
        p_key = p_r * K + p_tr
        # a static row with the position's very time counts as before it only if earlier in the file
        same_second = ut[np.maximum(p_tr - 1, 0)] == p_t
        p_line = np.where(same_second, cols["source_row"][known], np.iinfo(np.int64).max)
        for gi, (fields, gkinds) in enumerate(_GROUPS.values()):
            rows = np.flatnonzero(np.isin(kinds, gkinds + (1000 + gi,)))
            if len(rows) == 0:
                continue
            # work on the positions of MMSIs with static data only, then scatter
            jk = _asof(p_key, p_r, p_line, s_key[rows], s_r[rows], s_order[rows])
            hit = jk >= 0
            src_rows = rows[np.maximum(jk, 0)]
            for f in fields:
                v = statics[f]
                if f in _TEXT_FIELDS:
                    codes, uniq = pd.factorize(v, use_na_sentinel=True)
                    c = np.full(n, -1, dtype=np.int32)
                    c[known] = np.where(hit, codes[src_rows], -1)
                    st_vals[f] = pd.Categorical.from_codes(c, categories=pd.Index(uniq, dtype=object))
                elif f in _INT_FIELDS:
                    ok = hit & ~np.isnan(v[src_rows])
                    values = np.zeros(n, dtype=_INT_FIELDS[f])
                    mask = np.ones(n, dtype=bool)
                    values[known] = np.where(ok, v[src_rows], 0)
                    mask[known] = ~ok
                    st_vals[f] = pd.arrays.IntegerArray(values, mask)
                else:
                    out_v = np.full(n, np.nan)
                    out_v[known] = np.where(hit, v[src_rows], np.nan)
                    st_vals[f] = out_v
    nan = np.full(n, np.nan)
    out["draught_m"] = np.asarray(st_vals.get("draught_m", nan), dtype=np.float32)
    out["imo"] = st_vals["imo"] if "imo" in st_vals else _masked(nan, "Int32")
    empty_cat = pd.Categorical.from_codes(np.full(n, -1), categories=pd.Index([], dtype=object))
    out["vessel_name"] = st_vals.get("vessel_name", empty_cat)
    out["call_sign"] = st_vals.get("call_sign", empty_cat)
    out["vessel_type"] = st_vals["vessel_type"] if "vessel_type" in st_vals else _masked(nan, "Int16")
    out["destination"] = st_vals.get("destination", empty_cat)
    out["length_m"] = np.asarray(st_vals.get("length_m", nan), dtype=np.float32)
    out["width_m"] = np.asarray(st_vals.get("width_m", nan), dtype=np.float32)
    out["ais_class"] = pd.Categorical.from_codes(cols["ais_class"], categories=pd.Index(["A", "B"], dtype=object))
    out["source_row"] = cols["source_row"].astype(np.int64)
    return pd.DataFrame(out, copy=False)  # the arrays are ours and fresh: no need to copy them


def _rejects(path, arr, s, e, line, reason, computed, has_star) -> pd.DataFrame:
    n = len(s)
    if n == 0:
        return pd.DataFrame(
            {"file": pd.Series([], dtype=object), "row": pd.Series([], dtype="int64"),
             "reason": pd.Series([], dtype=object), "detail": pd.Series([], dtype=object)}
        )
    sentence = _text_at(arr, s, e, 100)
    reasons = np.array(_REASONS, dtype=object)[reason]
    prefix = np.full(n, "", dtype=object)
    cs = reason == R_CHECKSUM
    prefix[cs & has_star] = "computed checksum " + HEX_STR[computed[cs & has_star] & 255] + ": "
    prefix[cs & ~has_star] = "no checksum: "
    return pd.DataFrame(
        {"file": np.full(n, path, dtype=object), "row": line.astype(np.int64), "reason": reasons,
         "detail": prefix + sentence}
    )
