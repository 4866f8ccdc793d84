"""Framing: the file as blocks of whole lines, a block as segments, segments as AIS sentences or other lines.

A physical line normally holds one sentence; lines holding several (``...*25\\c:..\\!AIVDM...``)
are cut before each later ``!xxVDM`` (or before its tag block) into segments. A segment is an AIS
sentence when it holds ``!`` + two talker characters + ``VDM,`` / ``VDO,`` and does not start
with ``#``; the other segments are blank, comments, time lines (``$PGHP``, a tag block alone on its
line) or other lines, counted in ``skipped``.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vesseltrack.errors import InputError
from vesseltrack.ingest.nmea import times
from vesseltrack.ingest.nmea.batch import Batch, ReaderState
from vesseltrack.ingest.nmea.bits import IS_SPACE, NAT, at, window

BANG, HASH, DOLLAR, BACKSLASH, NEWLINE = 33, 35, 36, 92, 10


def open_source(path: Path):
    """The file as a binary stream, gunzipped when it starts with the gzip magic."""
    try:
        fh = open(path, "rb")
    except OSError as err:
        raise InputError(f"{path}: cannot open ({err.strerror}); expected a readable NMEA file") from err
    magic = fh.read(2)
    fh.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb")
    return fh


def blocks(fh, chunk_rows: int) -> Iterator[tuple[memoryview, bool]]:
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
            nl = np.flatnonzero(np.frombuffer(view[lo:end], dtype=np.uint8) == NEWLINE)
            cut = lo + int(nl[chunk_rows - 1]) + 1
            yield view[lo:cut], False
            lo = cut
        if eof:
            yield view[lo:end], True
            return
        pending = bytes(view[lo:])


def split_lines(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of every line, surrounding whitespace (``\\r``, spaces, tabs) stripped."""
    nl = np.flatnonzero(buf == NEWLINE)
    starts = np.concatenate(([0], nl + 1)).astype(np.int64)
    ends = np.concatenate((nl, [len(buf)])).astype(np.int64)
    if len(buf) == 0 or buf[-1] == NEWLINE:
        starts, ends = starts[:-1], ends[:-1]
    # one vectorised step per stripped character
    idx = np.arange(len(starts))
    while len(idx):
        idx = idx[(ends[idx] > starts[idx]) & IS_SPACE[at(buf, ends[idx] - 1)]]
        ends[idx] -= 1
    idx = np.arange(len(starts))
    while len(idx):
        idx = idx[(starts[idx] < ends[idx]) & IS_SPACE[at(buf, starts[idx])]]
        starts[idx] += 1
    return starts, ends


def _split_multi(buf, starts, ends, bangs, bang_line, backslashes):
    """Cut lines that hold several sentences before each later ``!xxVDM`` (before its tag block
    when it has one). ``bang_line`` is the line of each sentence start. Returns starts, ends and the
    physical line of each segment. '#' comment lines stay whole."""
    phys = np.arange(len(starts))
    if len(bangs) < 2:
        return starts, ends, phys
    later = np.zeros(len(bangs), dtype=bool)
    later[1:] = (bang_line[1:] == bang_line[:-1]) & (bang_line[1:] >= 0)
    if not later.any():
        return starts, ends, phys
    later &= at(buf, starts[np.maximum(bang_line, 0)]) != HASH
    if not later.any():
        return starts, ends, phys
    cut = bangs[later]
    prev_bang = bangs[np.flatnonzero(later) - 1]
    tagged = at(buf, cut - 1) == BACKSLASH
    if tagged.any():  # move the cut to the opening backslash of the tag block
        bsl = backslashes()
        k = np.searchsorted(bsl, cut[tagged] - 1) - 1
        opening = bsl[np.maximum(k, 0)]
        cut[tagged] = np.where((k >= 0) & (opening > prev_bang[tagged]), opening, cut[tagged])
    new_starts = np.sort(np.concatenate((starts, cut)))
    phys = np.searchsorted(starts, new_starts, side="right") - 1
    new_ends = ends[phys].copy()
    same = phys[1:] == phys[:-1]
    new_ends[:-1][same] = new_starts[1:][same]
    return new_starts, new_ends, phys


def _vdm_bangs(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every '!' followed by two talker characters and 'VDM,' / 'VDO,': their offsets, the six
    bytes after every '!' and the rows of those that qualify."""
    bangs = np.flatnonzero(buf == BANG)
    after_bang = window(buf, bangs + 1, 6)  # talker, 'VDM' / 'VDO', ','
    if len(bangs) == 0:
        return bangs, after_bang, np.zeros(0, dtype=np.int64)
    col = after_bang.T
    is_vdm = (col[2] == 86) & (col[3] == 68) & ((col[4] == 77) | (col[4] == 79)) & (col[5] == 44)
    rows = np.flatnonzero(is_vdm)
    return bangs[rows], after_bang, rows


def frame(block, eof: bool, st: ReaderState) -> Batch:
    """The chunk's segments and its AIS sentences (one per segment: the first qualifying '!')."""
    n_carried = len(st.carry_lines)
    data = st.carry + block if n_carried else block  # bytes + memoryview -> bytes
    buf = np.frombuffer(data, dtype=np.uint8)
    starts, ends = split_lines(buf)
    n_phys = len(starts)
    phys_line = np.concatenate((st.carry_lines, st.next_line + np.arange(n_phys - n_carried, dtype=np.int64)))
    st.next_line += n_phys - n_carried
    found: dict = {}

    def backslashes():
        if BACKSLASH not in found:
            found[BACKSLASH] = np.flatnonzero(buf == BACKSLASH)
        return found[BACKSLASH]

    bangs, after_bang, bang_rows = _vdm_bangs(buf)
    bang_seg = np.searchsorted(starts, bangs, side="right") - 1
    n_lines = len(starts)
    starts, ends, seg_phys = _split_multi(buf, starts, ends, bangs, bang_seg, backslashes)
    if len(starts) != n_lines:
        bang_seg = np.searchsorted(starts, bangs, side="right") - 1
    seg0 = np.maximum(bang_seg, 0)
    inside = (bang_seg >= 0) & (bangs + 6 <= ends[seg0])
    inside &= at(buf, starts[seg0]) != HASH  # sentences quoted in '#' comments are comments
    keep = np.flatnonzero(inside)
    bangs, bang_seg = bangs[keep], bang_seg[keep]
    first = np.ones(len(bang_seg), dtype=bool)
    first[1:] = bang_seg[1:] != bang_seg[:-1]
    keep = keep[first]
    sent_seg = bang_seg[first]
    batch = Batch(
        data=data, buf=buf, eof=eof, n_carried=n_carried, phys_line=phys_line, seg_start=starts, seg_end=ends,
        seg_phys=seg_phys, sent_seg=sent_seg, bang=bangs[first], end=ends[sent_seg],
        line=phys_line[seg_phys][sent_seg], talker_bytes=after_bang[bang_rows[keep]].T,
    )
    batch._found.update(found)
    return batch


def other_lines(b: Batch) -> None:
    """Count the segments that are not AIS sentences (``NON_AIS_KINDS``) and date the time lines:
    ``$PGHP`` lines and tag blocks alone on their line."""
    buf = b.buf
    is_sentence = np.zeros(len(b.seg_start), dtype=bool)
    is_sentence[b.sent_seg] = True
    other = np.flatnonzero(~is_sentence)
    start, end = b.seg_start[other], b.seg_end[other]
    first_byte = at(buf, start)
    blank = end <= start
    comment = ~blank & (first_byte == HASH)
    pghp = ~blank & (first_byte == DOLLAR)
    for j, letter in enumerate(b"PGHP", start=1):
        pghp &= at(buf, start + j) == letter
    line_ns = np.full(len(other), NAT, dtype=np.int64)
    if pghp.any():
        i = np.flatnonzero(pghp)
        line_ns[i] = times.pghp_time(buf, b.find(44), start[i], end[i])
    lone_tag = ~blank & (first_byte == BACKSLASH)
    if lone_tag.any():
        i = np.flatnonzero(lone_tag)
        close = np.where(at(buf, end[i] - 1) == BACKSLASH, end[i] - 1, end[i])
        tag_ns = times.tag_time(buf, b.find(58), start[i], close)
        line_ns[i] = tag_ns
        lone_tag[i[tag_ns == NAT]] = False
    time_line = pghp | lone_tag
    for kind, m in (("blank", blank), ("comment", comment), ("time_line", time_line)):
        if m.any():
            b.skipped[kind] = int(m.sum())
    n_other = int((~(blank | comment | time_line)).sum())
    if n_other:
        b.skipped["non_ais_line"] = n_other
    b.time_line_seg = other[time_line]
    b.time_line_ns = line_ns[time_line]
