"""NMEA 0183 AIS reader (``!AIVDM`` / ``!AIVDO`` and any talker), vectorised with numpy.

``read(path)`` yields :class:`~vesseltrack.ingest.base.Chunk` objects whose ``frame`` holds one row
per AIS position report (types 1, 2, 3, 18, 19, 27) in canonical columns and units, with the
static and voyage data of types 5, 24 and 19 merged on by MMSI and time.

How it works (no Python step per sentence): a chunk of up to ``chunk_rows`` lines is read as bytes
into a numpy array; newlines, ``!``, ``*``, ``,`` and ``\\`` are located with array comparisons;
fields are cut with ``searchsorted`` over the comma positions; checksums are one
``np.bitwise_xor.reduceat``; payload characters go through a 256-entry de-armouring table into
6-bit columns, and every bit field is a few shifts over those columns for all messages of a type
at once. Multi-part messages are assembled by sorting fragments on their key
(talker, VDM/VDO, sequential id, channel, fragment count) and matching runs of parts 1..n.

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
:class:`~vesseltrack.errors.InputError` is raised.

Line accounting (every line is counted exactly once):

- A physical line normally holds one sentence. Lines holding several sentences back to back
  (``...*25\\c:..\\!AIVDM...`` as some providers write) are split after each checksum; each
  sentence then counts separately and carries the physical line number.
- ``rows_read`` is the number of AIS sentences (anything containing ``!xxVDM`` / ``!xxVDO``)
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
type 19: name, type, dimensions). When the MMSI reported nothing before the position, the first
later report in the same chunk is used, so a vessel's first positions are not left without a name
merely because its type 5 came a little later. The latest static values per MMSI are carried
across chunks. Empty texts become <NA>. length_m = A + B, width_m = C + D (dimensions to the GPS
antenna), draught_m = raw / 10.

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
    IS_DIGIT,
    IS_SPACE,
    NAT,
    ARMOR,
    at,
    bits,
    char_columns,
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

# outcome codes per sentence
_POS, _REJ, _SKIP = 1, 2, 3
_REASONS = ("bad_checksum", "malformed_sentence", "incomplete_multipart", "bad_payload", "no_timestamp")
R_CHECKSUM, R_MALFORMED, R_INCOMPLETE, R_PAYLOAD, R_NOTIME = range(5)
# skip kinds for AIS sentences: 0 static_msg, 1 multipart_fragment, 100 + n msg_type_n
S_STATIC, S_FRAGMENT = 0, 1

_FRAME_COLUMNS = (
    "mmsi", "timestamp", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "nav_status", "draught_m", "imo",
    "vessel_name", "call_sign", "vessel_type", "destination", "length_m", "width_m", "ais_class", "source_row",
)

# static-data field groups: which message kinds carry them (5, 24A, 24B, 19)
_GROUPS = {
    "name": (("vessel_name",), (5, 240, 19)),
    "call": (("call_sign",), (5, 241)),
    "ship": (("vessel_type", "length_m", "width_m"), (5, 241, 19)),
    "voyage": (("imo", "draught_m", "destination"), (5,)),
}
_STATIC_FIELDS = ("vessel_name", "call_sign", "vessel_type", "length_m", "width_m", "imo", "draught_m", "destination")
_TEXT_FIELDS = ("vessel_name", "call_sign", "destination")

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
        raise InputError(f"assume_time {assume_time!r} is not a time; expected an ISO time such as 2024-01-01T00:00:00Z")
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
    statics: pd.DataFrame | None = None


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


def _blocks(fh, chunk_rows: int) -> Iterator[tuple[bytes, bool]]:
    """Blocks of whole lines (at most ``chunk_rows``), the last one flagged ``eof``."""
    size = int(min(max(chunk_rows * 100, 1 << 16), 256 << 20))
    rest = b""
    eof = False
    while not eof:
        data = fh.read(size)
        eof = not data
        data = rest + data if rest else data
        if not eof:
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            block, rest = data[:cut], data[cut:]
        else:
            block, rest = data, b""
        arr = np.frombuffer(block, dtype=np.uint8)
        nl = np.flatnonzero(arr == 10)
        if len(nl) > chunk_rows:
            cut = int(nl[chunk_rows - 1]) + 1
            rest = block[cut:] + rest
            block = block[:cut]
            eof = False
            yield block, False
            # the rest holds at least one more line: loop without reading
            while True:
                arr = np.frombuffer(rest, dtype=np.uint8)
                nl = np.flatnonzero(arr == 10)
                if len(nl) <= chunk_rows:
                    break
                cut = int(nl[chunk_rows - 1]) + 1
                yield rest[:cut], False
                rest = rest[cut:]
            continue
        if block or eof:
            yield block, eof


def read(path, *, column_map=None, assume_time=None, chunk_rows: int = 1_000_000) -> Iterator[Chunk]:
    """Read an NMEA AIS file (plain or gzip) into chunks of canonical positions.

    ``column_map`` is accepted for the common reader signature and ignored (NMEA has no columns).
    ``assume_time`` (anything ``pd.Timestamp`` accepts; naive means UTC) dates sentences that carry
    no time. Raises InputError when no AIS sentence in the file has a time and no ``assume_time``
    is given. See the module docstring for the time sources and the line accounting.
    """
    path = Path(path)
    if chunk_rows < 1:
        raise InputError(f"chunk_rows {chunk_rows} is invalid; expected a positive number of lines")
    state = _State(path=str(path), assume_ns=_assume_ns(assume_time))
    held: list[Chunk] = []
    seen_time = state.assume_ns != NAT
    n_sentences = 0
    with _open(path) as fh:
        try:
            for block, eof in _blocks(fh, chunk_rows):
                chunk, had_time = _process(block, eof, state)
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


def _split_multi(arr, starts, ends, stars):
    """Split lines that hold several sentences after each sentence checksum (``,0*hh`` followed by
    ``\\`` or ``!``). Returns starts, ends and the index of the physical line of each segment."""
    phys = np.arange(len(starts))
    if len(stars) == 0:
        return starts, ends, phys
    nxt = at(arr, stars + 3)
    cand = stars[((nxt == 92) | (nxt == 33)) & (at(arr, stars - 2) == 44) & IS_DIGIT[at(arr, stars - 1)]]
    if len(cand) == 0:
        return starts, ends, phys
    q = cand + 3
    line = np.searchsorted(starts, q, side="right") - 1
    q = q[(line >= 0) & (q < ends[np.maximum(line, 0)])]
    if len(q) == 0:
        return starts, ends, phys
    new_starts = np.sort(np.concatenate((starts, q)))
    phys = np.searchsorted(starts, new_starts, side="right") - 1
    new_ends = ends[phys].copy()
    same = phys[1:] == phys[:-1]
    new_ends[:-1][same] = new_starts[1:][same]
    return new_starts, new_ends, phys


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


def _tag_time(arr, commas, open_, close) -> np.ndarray:
    """``c:`` time of tag blocks spanning ``(open_, close)``: int64 ns or NaT."""
    n = len(open_)
    out = np.full(n, NAT, dtype=np.int64)
    if n == 0:
        return out
    base = np.searchsorted(commas, open_)
    todo = np.arange(n)
    for k in range(0, 8):
        fs = open_[todo] + 1 if k == 0 else _field_start(commas, open_[todo], k, close[todo], base[todo])
        hit = (fs >= 0) & (at(arr, fs) == 99) & (at(arr, fs + 1) == 58)
        if hit.any():
            i = todo[hit]
            out[i] = parse_epoch(arr, fs[hit] + 2, close[i])
        todo = todo[~hit & (fs >= 0)]
        if len(todo) == 0:
            break
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
    data = st.carry + block if ncarry else block
    arr = np.frombuffer(data, dtype=np.uint8)
    starts, ends = _segments(arr)
    nphys = len(starts)
    phys_line = np.concatenate((st.carry_lines, st.next_line + np.arange(nphys - ncarry, dtype=np.int64)))
    st.next_line += nphys - ncarry

    stars = np.flatnonzero(arr == 42)
    starts, ends, phys = _split_multi(arr, starts, ends, stars)
    seg_line = phys_line[phys]
    nseg = len(starts)
    # own-time override for carried fragments (the first ncarry physical lines)
    carried_seg = phys < ncarry

    # ---- locate AIS sentences: '!' followed by two talker characters and VDM / VDO -----------
    bangs = np.flatnonzero(arr == 33)
    if len(bangs):
        b5 = at(arr, bangs + 5)
        okb = (at(arr, bangs + 3) == 86) & (at(arr, bangs + 4) == 68) & ((b5 == 77) | (b5 == 79))
        bangs = bangs[okb]
    bseg = np.searchsorted(starts, bangs, side="right") - 1
    inside = (bseg >= 0) & (bangs + 6 <= ends[np.maximum(bseg, 0)])
    inside &= at(arr, starts[np.maximum(bseg, 0)]) != 35  # sentences quoted in '#' comments are comments
    bangs, bseg = bangs[inside], bseg[inside]
    first = np.ones(len(bseg), dtype=bool)
    first[1:] = bseg[1:] != bseg[:-1]
    sent_seg = bseg[first]
    s = bangs[first]
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
    commas = np.flatnonzero(arr == 44)
    tl_time_all = np.full(len(other), NAT, dtype=np.int64)
    if pghp.any():
        i = np.flatnonzero(pghp)
        tl_time_all[i] = _pghp_time(arr, commas, os_[i], oe[i])
    lone_tag = ~blank & (c0 == 92)
    if lone_tag.any():
        i = np.flatnonzero(lone_tag)
        close = np.where(at(arr, oe[i] - 1) == 92, oe[i] - 1, oe[i])
        tt = _tag_time(arr, commas, os_[i], close)
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
    star = _first_after(stars, s, e)
    has_star = (star >= 0) & (star + 3 <= e)
    h1, h2 = HEX[at(arr, star + 1)], HEX[at(arr, star + 2)]
    has_star &= (h1 != 255) & (h2 != 255)
    given = (h1.astype(np.int64) << 4) | h2
    if n:
        idx = np.empty(2 * n, dtype=np.int64)
        idx[0::2] = s + 1
        idx[1::2] = np.where(has_star, star, s + 2)
        computed = np.bitwise_xor.reduceat(arr, np.minimum(idx, len(arr) - 1))[0::2].astype(np.int64)
    else:
        computed = np.zeros(0, dtype=np.int64)
    cs_ok = has_star & (computed == given)

    outcome = np.zeros(n, dtype=np.int8)
    reason = np.full(n, -1, dtype=np.int8)
    skip = np.full(n, -1, dtype=np.int16)
    reason[~cs_ok] = R_CHECKSUM

    # ---- fields ----------------------------------------------------------------------------------
    kc = np.searchsorted(commas, s)
    ncom = len(commas)
    cpos = [commas[np.minimum(kc + j, ncom - 1)] if ncom else np.zeros(n, dtype=np.int64) for j in range(7)]
    struct = cs_ok & (kc + 5 < ncom) & (cpos[0] == s + 6) & (cpos[5] < star)
    struct &= (kc + 6 >= ncom) | (cpos[6] > star)
    tot_c, part_c = at(arr, cpos[0] + 1), at(arr, cpos[1] + 1)
    total = tot_c.astype(np.int64) - 48
    part = part_c.astype(np.int64) - 48
    struct &= (cpos[1] == cpos[0] + 2) & (cpos[2] == cpos[1] + 2) & (total >= 1) & (total <= 9)
    struct &= (part >= 1) & (part <= total)
    seq_v, seq_nd = parse_uint(arr, cpos[2] + 1, cpos[3], 3)
    seq_len = cpos[3] - cpos[2] - 1
    struct &= seq_nd == seq_len
    seq = np.where(seq_len == 0, -1, seq_v)
    chan_len = cpos[4] - cpos[3] - 1
    chan = np.where(chan_len >= 1, at(arr, cpos[3] + 1).astype(np.int64), 0) + np.where(
        chan_len >= 2, at(arr, cpos[3] + 2).astype(np.int64) << 8, 0
    )
    struct &= chan_len <= 2
    p0 = cpos[4] + 1
    plen = cpos[5] - p0
    fill_len = star - cpos[5] - 1
    fill = np.where(fill_len == 1, at(arr, cpos[5] + 1).astype(np.int64) - 48, 0)
    struct &= (fill_len <= 1) & (fill >= 0) & (fill <= 5)
    reason[cs_ok & ~struct] = R_MALFORMED
    valid = struct

    # ---- times of each sentence: own stamps, then wrapper lines -------------------------------
    own = np.full(n, NAT, dtype=np.int64)
    # tag block directly before the '!'
    seg_s = starts[sent_seg]
    tagged = (s > seg_s) & (at(arr, s - 1) == 92)
    bsl = np.flatnonzero(arr == 92) if tagged.any() else np.zeros(0, dtype=np.int64)
    tb_open = np.full(n, -1, dtype=np.int64)
    if tagged.any():
        i = np.flatnonzero(tagged)
        k = np.searchsorted(bsl, s[i] - 1) - 1
        op = np.where(k >= 0, bsl[np.maximum(k, 0)], -1)
        good = op >= seg_s[i]
        tb_open[i[good]] = op[good]
        j = i[good]
        own[j] = _tag_time(arr, commas, tb_open[j], s[j] - 1)
    pre_end = np.where(tb_open >= 0, tb_open, s)
    pref = (pre_end > seg_s) & (own == NAT)
    if pref.any():
        i = np.flatnonzero(pref)
        own[i] = _prefix_time(arr, seg_s[i], pre_end[i])
    trail = (own == NAT) & has_star & (star + 3 < e)
    if trail.any():
        i = np.flatnonzero(trail)
        own[i] = _trailer_time(arr, commas, star[i], e[i])
    # carried fragments keep the time they had
    if ncarry:
        carried = carried_seg[sent_seg]
        own[carried] = st.carry_times[phys[sent_seg[carried]]]

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
    # carry the pending wrapper into the next chunk
    if len(tl_seg):
        st.pending_wrapper = int(tl_time[-1]) if e_before[nseg] == e_before[tl_seg[-1]] else NAT
    elif e_before[nseg] > 0:
        st.pending_wrapper = NAT

    # ---- multi-part assembly -------------------------------------------------------------------
    frag = np.flatnonzero(valid & (total > 1))
    talker = (at(arr, s + 1).astype(np.int64) << 8) | at(arr, s + 2)
    vdo = (at(arr, s + 5) == 79).astype(np.int64)
    groups_head = np.zeros(0, dtype=np.int64)
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
    src = np.concatenate([arr] + extra_src) if extra_src else arr
    if st.assume_ns != NAT:
        mtime = np.where(mtime == NAT, st.assume_ns, mtime)
    had_time = bool((stime != NAT).any()) or st.assume_ns != NAT

    # ---- decode --------------------------------------------------------------------------------
    nbits = mlen * 6 - mfill
    mtype = np.where(mlen > 0, ARMOR[at(src, mp0)], 255).astype(np.int64)
    mtype = np.where(mtype == 255, -1, mtype)
    empty = mlen == 0
    reason[head[empty]] = R_PAYLOAD
    is_pos = np.isin(mtype, POSITION_TYPES)
    is_static = np.isin(mtype, STATIC_TYPES)
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
    for fam, types, width, need in (
        ("A", (1, 2, 3), 23, 116),
        ("B18", (18,), 23, 112),
        ("B19", (19,), 51, 112),
        ("L", (27,), 16, 79),
        ("S5", (5,), 71, 40),
        ("S24", (24,), 28, 40),
    ):
        sel = np.flatnonzero(np.isin(mtype, types))
        if len(sel) == 0:
            continue
        V, badc = char_columns(src, mp0[sel], mlen[sel], width)
        short = nbits[sel] < need
        bad = badc | short
        reason[head[sel[bad]]] = R_PAYLOAD
        notime = ~bad & (mtime[sel] == NAT)
        reason[head[sel[notime]]] = R_NOTIME
        keep = ~bad & ~notime
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

        def upto(values, end, nb=nb):
            # a field cut off by a short payload is missing, not zero
            return np.where(nb >= end, values, np.nan)

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
        st.carry = b"".join(data[a:b] + b"\n" for a, b in zip(cs.tolist(), ce.tolist()))
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
            name = "static_msg" if kd == S_STATIC else "multipart_fragment" if kd == S_FRAGMENT else f"msg_type_{kd - 100}"
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


def _static_table(parts: list[dict], st: _State) -> pd.DataFrame | None:
    frames = [st.statics] if st.statics is not None and len(st.statics) else []
    for p in parts:
        if len(p["mmsi"]):
            frames.append(pd.DataFrame(p))
    if not frames:
        return None
    df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    for f in _TEXT_FIELDS:
        v = df[f].to_numpy(dtype=object)
        df[f] = np.where(pd.isna(v) | (v == ""), None, v)
    return df


def _latest_statics(df: pd.DataFrame | None) -> pd.DataFrame | None:
    """The latest row per MMSI and field group (what later chunks need)."""
    if df is None or len(df) == 0:
        return None
    keep = []
    for gi, (fields, kinds) in enumerate(_GROUPS.values()):
        sub = df[np.isin(df["_kind"].to_numpy(), kinds + (1000 + gi,))]
        if len(sub) == 0:
            keep.append(sub.iloc[:0])
            continue
        sub = sub.sort_values(["mmsi", "_t", "_line"], kind="stable")
        last = sub.drop_duplicates("mmsi", keep="last").copy()
        for f in _STATIC_FIELDS:
            if f not in fields:
                last[f] = None if f in _TEXT_FIELDS else np.nan
        keep.append(last)
    out = pd.concat(keep, ignore_index=True)
    # a carried row serves exactly its group: mark it with a kind only that group accepts
    out["_kind"] = np.concatenate([np.full(len(k), 1000 + i) for i, k in enumerate(keep)])
    return out


def _asof(p_key, p_order, p_r, s_key, s_r, s_order) -> np.ndarray:
    """Index into the static rows of, per position, the latest static row of the same MMSI at or
    before its time, else the first after; -1 when the MMSI has none.

    Keys are ``mmsi_rank * K + time_rank`` (ranks over the static rows, so they never overflow);
    ``p_order`` sorts the position keys so that ``searchsorted`` walks both arrays in order.
    """
    n = len(p_key)
    if len(s_key) == 0 or n == 0:
        return np.full(n, -1, dtype=np.int64)
    order = np.lexsort((s_order, s_key))
    sk = s_key[order]
    sr = s_r[order]
    j = np.empty(n, dtype=np.int64)
    j[p_order] = np.searchsorted(sk, p_key[p_order], side="right") - 1
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


def _frame(cols: dict, statics: pd.DataFrame | None) -> pd.DataFrame:
    n = len(cols["mmsi"])
    if n == 0:
        return pd.DataFrame({c: pd.Series([], dtype=d) for c, d in _EMPTY_FRAME_DTYPES.items()})
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
    if statics is not None and len(statics):
        kinds = statics["_kind"].to_numpy()
        s_mmsi = statics["mmsi"].to_numpy(dtype=np.int64)
        s_t = statics["_t"].to_numpy(dtype=np.int64)
        s_order = np.where(kinds >= 1000, -1, statics["_line"].to_numpy(dtype=np.int64))
        um = np.unique(s_mmsi)
        ut = np.unique(s_t)
        K = len(ut) + 1
        s_r = np.searchsorted(um, s_mmsi)
        s_key = s_r * K + np.searchsorted(ut, s_t, side="right")
        p_mmsi = cols["mmsi"]
        p_r = np.searchsorted(um, p_mmsi)
        p_r = np.where(um[np.minimum(p_r, len(um) - 1)] == p_mmsi, p_r, -1)
        p_key = p_r * K + np.searchsorted(ut, cols["_t"], side="right")
        p_order = np.argsort(p_key, kind="stable")
        for gi, (fields, gkinds) in enumerate(_GROUPS.values()):
            rows = np.flatnonzero(np.isin(kinds, gkinds + (1000 + gi,)))
            if len(rows) == 0:
                continue
            j = _asof(p_key, p_order, p_r, s_key[rows], s_r[rows], s_order[rows])
            hit = j >= 0
            src_rows = rows[np.maximum(j, 0)]
            for f in fields:
                v = statics[f].to_numpy()
                if f in _TEXT_FIELDS:
                    codes, uniq = pd.factorize(v, use_na_sentinel=True)
                    c = np.where(hit, codes[src_rows], -1)
                    st_vals[f] = pd.Categorical.from_codes(c, categories=pd.Index(uniq, dtype=object))
                else:
                    st_vals[f] = np.where(hit, v[src_rows].astype(np.float64), np.nan)
    nan = np.full(n, np.nan)
    out["draught_m"] = np.asarray(st_vals.get("draught_m", nan), dtype=np.float32)
    out["imo"] = _masked(st_vals.get("imo", nan), "Int32")
    empty_cat = pd.Categorical.from_codes(np.full(n, -1), categories=pd.Index([], dtype=object))
    out["vessel_name"] = st_vals.get("vessel_name", empty_cat)
    out["call_sign"] = st_vals.get("call_sign", empty_cat)
    out["vessel_type"] = _masked(st_vals.get("vessel_type", nan), "Int16")
    out["destination"] = st_vals.get("destination", empty_cat)
    out["length_m"] = np.asarray(st_vals.get("length_m", nan), dtype=np.float32)
    out["width_m"] = np.asarray(st_vals.get("width_m", nan), dtype=np.float32)
    out["ais_class"] = pd.Categorical.from_codes(cols["ais_class"], categories=pd.Index(["A", "B"], dtype=object))
    out["source_row"] = cols["source_row"].astype(np.int64)
    return pd.DataFrame(out)


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
