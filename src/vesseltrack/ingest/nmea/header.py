"""Checksum and header fields of every sentence: ``!xxVDM,total,part,seq,channel,payload,fill*hh``.

The checksum is the XOR of the bytes between ``!`` and ``*``, compared with the two hex digits
after the first ``*``; the header fields sit in the 12 bytes after ``!xxVDM``, the fill bits
just before the ``*``. Bad checksums are ``bad_checksum`` rejects, bad fields (fragment count 0,
part > count, fill bits > 5, ...) ``malformed_sentence`` rejects.
"""

from __future__ import annotations

import numpy as np

from vesseltrack.ingest.nmea.batch import R_CHECKSUM, R_MALFORMED, Batch
from vesseltrack.ingest.nmea.bits import HEX, window

COMMA, STAR = 44, 42
HEADER_BYTES = 12  # ',t,p,seq,ch,' after '!xxVDM'


def _checksums(buf, start, end, star, tail=None):
    """For sentences ``[start, end)`` with their checksum '*' at ``star`` (-1: none): the bytes
    ',f*hh' around it (5 x n), whether a checksum is there, the XOR of the bytes between '!' and
    '*', and whether it matches."""
    n = len(start)
    if tail is None:
        tail = np.ascontiguousarray(window(buf, star - 2, 5).T)
    has_star = (star >= 0) & (star + 3 <= end)
    h1, h2 = HEX[tail[3]], HEX[tail[4]]
    has_star &= (h1 != 255) & (h2 != 255)
    given = (h1.astype(np.int64) << 4) | h2
    if n:
        idx = np.empty(2 * n, dtype=np.int64)
        idx[0::2] = start + 1
        idx[1::2] = np.where(has_star, star, start + 2)
        computed = np.bitwise_xor.reduceat(buf, np.minimum(idx, len(buf) - 1))[0::2].astype(np.int64)
    else:
        computed = np.zeros(0, dtype=np.int64)
    return tail, has_star, computed, has_star & (computed == given)


def _first_after(positions: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """First element of sorted ``positions`` in ``[lo, hi)``, or -1."""
    if len(positions) == 0:
        return np.full(len(lo), -1, dtype=np.int64)
    k = np.searchsorted(positions, lo)
    p = positions[np.minimum(k, len(positions) - 1)]
    return np.where((k < len(positions)) & (p < hi), p, -1)


def _find_stars(b: Batch, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The first '*' in each ``[start, end)``, or -1."""
    width = int(min((end - start).max(), 256))
    if len(start) * width > 1 << 22:  # many: search the chunk's '*' positions
        return _first_after(b.find(STAR), start, end)
    hit = window(b.buf, start, width) == STAR  # a few: scan their bytes
    k = np.argmax(hit, axis=1)
    star = np.where(hit.any(axis=1) & (start + k < end), start + k, -1)
    longer = np.flatnonzero((star < 0) & (end - start > width))
    if len(longer):  # longer than the window
        star[longer] = _first_after(b.find(STAR), start[longer], end[longer])
    return star


def checksums(b: Batch) -> None:
    """Locate the checksum and verify it; start the per-sentence outcome arrays."""
    # Usually the line ends with ',f*hh': take that without searching; lines with something after
    # the checksum, and any sentence whose checksum fails that way, are settled by searching.
    buf, bang, end = b.buf, b.bang, b.end
    tail = np.ascontiguousarray(window(buf, end - 5, 5).T)
    at_end = (tail[0] == COMMA) & ((tail[1] - np.uint8(48)) < 10) & (tail[2] == STAR) & (end - 5 > bang)
    star = np.where(at_end, end - 3, -1)
    tail, has_star, computed, ok = _checksums(buf, bang, end, star, tail)
    retry = np.flatnonzero(~ok)
    if len(retry):
        star[retry] = _find_stars(b, bang[retry], end[retry])
        t2, hs2, c2, ok2 = _checksums(buf, bang[retry], end[retry], star[retry])
        tail[:, retry], has_star[retry], computed[retry], ok[retry] = t2, hs2, c2, ok2
    n = len(bang)
    b.tail, b.star, b.has_star, b.computed, b.checksum_ok = tail, star, has_star, computed, ok
    b.outcome = np.zeros(n, dtype=np.int8)
    b.reason = np.full(n, -1, dtype=np.int8)
    b.skip = np.full(n, -1, dtype=np.int16)
    b.reason[~ok] = R_CHECKSUM


def _sequence_id(head: np.ndarray, is_comma: np.ndarray):
    """The sequential id (0..3 digits after ',t,p,'): the index of the comma ending it, its value
    (-1 when empty) and whether it is well formed."""
    n = head.shape[1]
    seq_end = 5 + np.argmax(is_comma[5:9], axis=0)
    ok = is_comma[5:9].any(axis=0)
    seq_len = seq_end - 5
    digit = head[5:8].astype(np.int64) - 48
    value = np.zeros(n, dtype=np.int64)
    for j in range(3):
        inside = j < seq_len
        ok &= ~inside | ((digit[j] >= 0) & (digit[j] <= 9))
        value = np.where(inside, value * 10 + digit[j], value)
    return seq_end, np.where(seq_len == 0, -1, value), ok


def _channel(head: np.ndarray, is_comma: np.ndarray, seq_end: np.ndarray):
    """The radio channel after the sequential id (0..2 characters): its length (99 when too long)
    and its bytes packed in an int (0 when empty)."""
    rows = np.arange(head.shape[1])
    seq_comma = np.minimum(seq_end, 8)
    c1, c2, c3 = is_comma[seq_comma + 1, rows], is_comma[seq_comma + 2, rows], is_comma[seq_comma + 3, rows]
    chan_len = np.where(c1, 0, np.where(c2, 1, np.where(c3, 2, 99)))
    chan = np.where(chan_len >= 1, head[seq_comma + 1, rows].astype(np.int64), 0) + np.where(
        chan_len >= 2, head[seq_comma + 2, rows].astype(np.int64) << 8, 0
    )
    return chan_len, chan


def header_fields(b: Batch) -> None:
    """Fragment count and number, sequential id, channel, payload span and fill bits."""
    bang, star, tail = b.bang, b.star, b.tail
    head = np.ascontiguousarray(window(b.buf, bang + 6, HEADER_BYTES).T)
    is_comma = head == COMMA
    room = star - bang - 6
    if len(room) and room.min() < HEADER_BYTES:  # very short sentences: commas after the '*' do not count
        is_comma &= np.arange(HEADER_BYTES)[:, None] < room
    total = head[1].astype(np.int64) - 48
    part = head[3].astype(np.int64) - 48
    valid = b.checksum_ok & is_comma[0] & is_comma[2] & is_comma[4]
    valid &= (total >= 1) & (total <= 9) & (part >= 1) & (part <= total)
    seq_end, seq, seq_ok = _sequence_id(head, is_comma)
    chan_len, chan = _channel(head, is_comma, seq_end)
    valid &= seq_ok & (chan_len <= 2)
    payload_start = bang + 6 + seq_end + chan_len + 2
    before_star = tail[1]  # ',f*hh': the fill digit, or the comma when the fill field is empty
    fill_len = np.where(before_star == COMMA, 0, 1)
    fill_comma = star - 1 - fill_len
    valid &= np.where(fill_len == 1, tail[0], before_star) == COMMA
    fill = np.where(fill_len == 1, before_star.astype(np.int64) - 48, 0)
    valid &= (fill >= 0) & (fill <= 5)
    payload_len = fill_comma - payload_start
    valid &= payload_len >= 0
    b.reason[b.checksum_ok & ~valid] = R_MALFORMED
    b.total, b.part, b.seq, b.channel = total, part, seq, chan
    b.payload_start, b.payload_len, b.fill, b.valid = payload_start, payload_len, fill, valid
