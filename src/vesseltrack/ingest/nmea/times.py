"""Times: each sentence's own stamp (tag block ``c:``, leading stamp, trailing Unix time), else the
wrapper line before its message (``$PGHP``, a lone tag block); see the package docstring for the
precedence. All parsers work on arrays of offsets into the chunk's bytes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.ingest.nmea.batch import Batch, ReaderState
from vesseltrack.ingest.nmea.bits import (
    NAT,
    at,
    civil_to_ns,
    parse_epoch,
    parse_uint,
    text_at,
)
from vesseltrack.schema import to_utc_ns

COMMA, COLON, BACKSLASH = 44, 58, 92
_YEAR_1980_NS, _YEAR_2100_NS = 315_532_800 * 10**9, 4_102_444_800 * 10**9


def field_start(commas: np.ndarray, after: np.ndarray, k: int, end: np.ndarray, base=None) -> np.ndarray:
    """Start of the field after the k-th comma (k >= 1) following ``after``, or -1.
    ``base`` = ``np.searchsorted(commas, after)`` when the caller already has it."""
    ci = (np.searchsorted(commas, after) if base is None else base) + (k - 1)
    ok = ci < len(commas)
    c = commas[np.minimum(ci, max(len(commas) - 1, 0))] if len(commas) else np.zeros(len(after), dtype=np.int64)
    return np.where(ok & (c < end), c + 1, -1)


def tag_time(buf, colons, open_, close, found: np.ndarray | None = None) -> np.ndarray:
    """``c:`` time of the tag blocks ``(open_, close)`` (sorted, disjoint): int64 ns or NaT.

    Found through the ':' positions of the chunk: a ``c:`` field starts right after the opening
    backslash or a comma. ``found``, when given, is set True for the blocks that have a ``c:`` field."""
    n = len(open_)
    out = np.full(n, NAT, dtype=np.int64)
    if n == 0 or len(colons) == 0:
        return out
    cand = colons[buf.take(colons - 1, mode="clip") == 99]  # 'c:'
    before = at(buf, cand - 2)
    cand = cand[(before == COMMA) | (before == BACKSLASH)]  # at the start of a field
    if len(cand) == n and ((cand - 2 >= open_) & (cand < close)).all():
        out[:] = parse_epoch(buf, cand + 1, close)  # usual case: one c: in each tag block, in order
        if found is not None:
            found[:] = True
        return out
    blk = np.searchsorted(open_, cand, side="right") - 1
    blk0 = np.maximum(blk, 0)
    ok = (blk >= 0) & (cand < close[blk0]) & (cand - 2 >= open_[blk0])
    cand, blk = cand[ok], blk[ok]
    if len(blk) == 0:
        return out
    first = np.ones(len(blk), dtype=bool)
    first[1:] = blk[1:] != blk[:-1]
    cand, blk = cand[first], blk[first]
    out[blk] = parse_epoch(buf, cand + 1, close[blk])
    if found is not None:
        found[blk] = True
    return out


def pghp_time(buf, commas, start, end) -> np.ndarray:
    """Time of Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,...`` lines."""
    vals = []
    base = np.searchsorted(commas, start)
    for k in range(2, 9):
        fs = field_start(commas, start, k, end, base)
        v, nd = parse_uint(buf, np.maximum(fs, 0), end, 4)
        vals.append(np.where((fs >= 0) & (nd > 0), v, -1))
    return civil_to_ns(*vals)


def prefix_time(buf, start, end, found: np.ndarray | None = None) -> np.ndarray:
    """Time written before a sentence: '[2024-07-19 08:45:27.141] ', ISO or Unix stamps. ``found``,
    when given, is set True where the text before the sentence reads as a time (in range or not)."""
    txt = pd.Series(text_at(buf, start, end, 40), dtype=object).str.strip(" \t[],;")
    out = np.full(len(start), NAT, dtype=np.int64)
    digits = txt.str.fullmatch(r"\d{9,13}(\.\d+)?").fillna(False).to_numpy(dtype=bool)
    if digits.any():
        num = pd.to_numeric(txt[digits], errors="coerce").to_numpy(dtype="float64")
        ns = np.where(num >= 1e11, num * 1e6, num * 1e9)
        out[digits] = np.where(np.isfinite(ns), ns, 0).astype(np.int64)
    rest = ~digits & (txt.str.len() >= 10).to_numpy(dtype=bool)
    if rest.any():
        t = to_utc_ns(pd.to_datetime(txt[rest], errors="coerce", utc=True, format="ISO8601"))  # 9999-12-31: NaT
        out[rest] = t.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view(np.int64)
    if found is not None:
        found[:] = digits
        if rest.any():  # a date, whatever its year: ISO 8601 with a 4-digit year, a dash and a month
            found[rest] = txt[rest].str.match(r"[+-]?\d{4,}-\d{2}").fillna(False).to_numpy(dtype=bool)
    return np.where((out >= _YEAR_1980_NS) & (out < _YEAR_2100_NS), out, NAT)


def trailer_time(buf, commas, star, end) -> np.ndarray:
    """First whole Unix time among the comma fields after the checksum."""
    out = np.full(len(star), NAT, dtype=np.int64)
    base = np.searchsorted(commas, star)
    for k in range(1, 11):
        fs = field_start(commas, star, k, end, base)
        todo = (fs >= 0) & (out == NAT)
        if not todo.any():
            if (fs < 0).all():
                break
            continue
        i = np.flatnonzero(todo)
        out[i] = parse_epoch(buf, fs[i], end[i])
    return out


def _own_times(b: Batch) -> np.ndarray:
    """Each sentence's own stamp: its tag block, else a leading stamp, else a trailing Unix time."""
    buf, bang, n = b.buf, b.bang, len(b.bang)
    own = np.full(n, NAT, dtype=np.int64)
    stamped = np.zeros(n, dtype=bool)  # has a stamp of its own, usable or not
    seg_start = b.seg_start[b.sent_seg]
    tagged = (bang > seg_start) & (at(buf, bang - 1) == BACKSLASH)  # tag block directly before the '!'
    tag_open = np.full(n, -1, dtype=np.int64)
    if tagged.any():
        i = np.flatnonzero(tagged)
        opening = np.where(at(buf, seg_start[i]) == BACKSLASH, seg_start[i], -1)  # usual: the line starts with it
        odd = np.flatnonzero(opening < 0)
        if len(odd):  # something before the tag block ('[time] \\c:..\\!AIVDM'): find its opening '\\'
            bsl = b.find(BACKSLASH)
            k = np.searchsorted(bsl, bang[i[odd]] - 1) - 1
            o2 = np.where(k >= 0, bsl[np.maximum(k, 0)], -1)
            opening[odd] = np.where(o2 >= seg_start[i[odd]], o2, -1)
        good = opening >= 0
        j = i[good]
        tag_open[j] = opening[good]
        found = np.zeros(len(j), dtype=bool)
        own[j] = tag_time(buf, b.find(COLON), tag_open[j], bang[j] - 1, found)
        stamped[j] = found
    prefix_end = np.where(tag_open >= 0, tag_open, bang)
    prefixed = (prefix_end > seg_start) & (own == NAT)
    if prefixed.any():
        i = np.flatnonzero(prefixed)
        found = np.zeros(len(i), dtype=bool)
        own[i] = prefix_time(buf, seg_start[i], prefix_end[i], found)
        stamped[i] |= found
    trailed = (own == NAT) & b.has_star & (b.star + 3 < b.end)
    if trailed.any():
        i = np.flatnonzero(trailed)
        own[i] = trailer_time(buf, b.find(COMMA), b.star[i], b.end[i])
    b.bad_own_time = stamped & (own == NAT)
    return own


def sentence_times(b: Batch, st: ReaderState) -> None:
    """``b.time_ns``: own stamp, else the time of the wrapper line before the sentence's message.

    A wrapper line dates all sentences up to the one that completes a message (part == total); one
    still waiting at the end of the chunk is handed to the next chunk. Fragments carried from the
    previous chunk keep the time they had there."""
    own = _own_times(b)
    n_seg = len(b.seg_start)
    sent_seg, tl_seg = b.sent_seg, b.time_line_seg
    ending = np.zeros(n_seg + 1, dtype=np.int64)
    ending[sent_seg + 1] = (b.valid & (b.part == b.total)).astype(np.int64)
    endings_before = np.cumsum(ending)  # endings_before[i] = message endings among segments < i
    wrap = np.full(len(sent_seg), NAT, dtype=np.int64)
    if len(tl_seg):
        prev_tl = np.searchsorted(tl_seg, sent_seg) - 1  # the time line before each sentence
        prev_tl0 = np.maximum(prev_tl, 0)
        same_message = (prev_tl >= 0) & (endings_before[sent_seg] == endings_before[tl_seg[prev_tl0]])
        wrap = np.where(same_message, b.time_line_ns[prev_tl0], NAT)
        no_time_line = prev_tl < 0
    else:
        no_time_line = np.ones(len(sent_seg), dtype=bool)
    if st.pending_wrapper != NAT:
        wrap = np.where(no_time_line & (endings_before[sent_seg] == 0), st.pending_wrapper, wrap)
    time_ns = np.where(own != NAT, own, wrap)
    if b.n_carried:
        carried = b.seg_phys[sent_seg] < b.n_carried
        time_ns[carried] = st.carry_times[b.seg_phys[sent_seg[carried]]]
    if len(tl_seg):
        last_waits = endings_before[n_seg] == endings_before[tl_seg[-1]]
        st.pending_wrapper = int(b.time_line_ns[-1]) if last_waits else NAT
    elif endings_before[n_seg] > 0:
        st.pending_wrapper = NAT
    b.time_ns = time_ns
