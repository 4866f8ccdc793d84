"""Vectorised primitives for the NMEA reader: byte look-up tables, digit parsing, 6-bit fields, text.

Everything here works on whole arrays at once (one numpy operation per field or per character
column, never one Python step per sentence). ``buf`` is always a 1-D ``uint8`` array holding raw
file bytes; positions are ``int64`` offsets into it.
"""

from __future__ import annotations

import numpy as np

NAT = np.iinfo(np.int64).min  # int64 view of NaT

# 6-bit de-armouring (ITU-R M.1371 / IEC 61162-1): '0'..'W' -> 0..39, '`'..'w' -> 40..63; 255 = invalid
ARMOR = np.full(256, 255, dtype=np.uint8)
ARMOR[48:88] = np.arange(0, 40, dtype=np.uint8)
ARMOR[96:120] = np.arange(40, 64, dtype=np.uint8)

HEX = np.full(256, 255, dtype=np.uint8)
HEX[48:58] = np.arange(10, dtype=np.uint8)
HEX[65:71] = np.arange(10, 16, dtype=np.uint8)
HEX[97:103] = np.arange(10, 16, dtype=np.uint8)

IS_DIGIT = np.zeros(256, dtype=bool)
IS_DIGIT[48:58] = True

IS_SPACE = np.zeros(256, dtype=bool)
IS_SPACE[[9, 10, 11, 12, 13, 32, 0]] = True

# 6-bit value -> ASCII of the AIS text alphabet ('@' = 0 is the padding)
SIXBIT_ASCII = np.array([v + 64 if v < 32 else v for v in range(64)], dtype=np.uint8)

HEX_STR = np.array([f"{i:02X}" for i in range(256)], dtype=object)


def at(buf: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``buf[pos]`` with positions outside the buffer reading as 0."""
    if len(buf) == 0:
        return np.zeros(len(pos), dtype=np.uint8)
    out = buf.take(pos, mode="clip")
    if len(pos) and (pos.min() < 0 or pos.max() >= len(buf)):
        out[(pos < 0) | (pos >= len(buf))] = 0
    return out


def window(buf: np.ndarray, pos: np.ndarray, width: int) -> np.ndarray:
    """``(n, width)`` uint8 matrix of ``buf[pos + j]`` (0 outside the buffer), gathered row-wise
    through a sliding-window view: one C-level copy instead of ``width`` gathers."""
    n = len(pos)
    out = np.zeros((n, width), dtype=np.uint8)
    if n == 0 or len(buf) == 0:
        return out
    ok = (pos >= 0) & (pos <= len(buf) - width)
    if len(buf) >= width:
        win = np.lib.stride_tricks.sliding_window_view(buf, width)
        if ok.all():
            return win[pos]
        out[ok] = win[pos[ok]]
    rest = np.flatnonzero(~ok)
    for j in range(width):
        out[rest, j] = at(buf, pos[rest] + j)
    return out


def parse_uint(buf: np.ndarray, pos: np.ndarray, end: np.ndarray, maxlen: int) -> tuple[np.ndarray, np.ndarray]:
    """Leading decimal digits at ``pos`` (stopping at ``end`` or a non-digit): (value int64, n_digits)."""
    n = len(pos)
    val = np.zeros(n, dtype=np.int64)
    nd = np.zeros(n, dtype=np.int64)
    run = np.ones(n, dtype=bool)
    D = (window(buf, pos, maxlen) - np.uint8(48)).T  # wraps for non-digits
    room = end - pos
    for j in range(maxlen):
        d = D[j]
        run &= (d < 10) & (room > j)
        if not run.any():
            break
        val = np.where(run, val * 10 + d, val)
        nd += run
    return val, nd


def _epoch_digits(buf, pos, end):
    """parse_uint(buf, pos, end, 13) with a fast path for the usual 10-digit seconds."""
    D = np.ascontiguousarray((window(buf, pos, 13) - np.uint8(48)).T)
    room = end - pos
    ten = (D[:10].max(axis=0) < 10) & (room >= 10) & ((D[10] >= 10) | (room == 10))
    if ten.all():
        val = D[0].astype(np.int64)
        for j in range(1, 10):
            val = val * 10 + D[j]
        return val, np.full(len(pos), 10, dtype=np.int64)
    return parse_uint(buf, pos, end, 13)


def parse_epoch(buf: np.ndarray, pos: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A Unix time written at ``pos`` in seconds (9-11 digits, optional fraction) or milliseconds
    (12-13 digits) as int64 nanoseconds; NaT when absent or outside 1980..2100."""
    val, nd = _epoch_digits(buf, pos, end)
    after = pos + nd
    # a field must end at `end` or at a separator, not run into letters ('1daasd4218' is no time)
    nxt = at(buf, after)
    ends_ok = (after >= end) | ~(IS_DIGIT[nxt] | ((nxt >= 65) & (nxt <= 90)) | ((nxt >= 97) & (nxt <= 122)))
    ns = np.full(len(pos), NAT, dtype=np.int64)
    sec = (nd >= 9) & (nd <= 11)
    ms = (nd >= 12) & (nd <= 13)
    ns = np.where(sec, val * 1_000_000_000, ns)
    ns = np.where(ms, val * 1_000_000, ns)
    # optional fraction of a second after a seconds value: '1272412827.123'
    frac_pos = after + 1
    has_frac = sec & (nxt == 46)
    if has_frac.any():
        fv, fd = parse_uint(buf, frac_pos, end, 9)
        scale = 10 ** (9 - np.minimum(fd, 9))
        ns = np.where(has_frac & (fd > 0), ns + fv * scale, ns)
        fnext = at(buf, frac_pos + fd)
        ends_ok = np.where(has_frac, (frac_pos + fd >= end) | ~IS_DIGIT[fnext], ends_ok)
    lo, hi = 315_532_800 * 10**9, 4_102_444_800 * 10**9  # 1980-01-01 .. 2100-01-01
    ok = (sec | ms) & ends_ok & (ns >= lo) & (ns < hi)
    return np.where(ok, ns, NAT)


def civil_to_ns(year, month, day, hour, minute, second, millis) -> np.ndarray:
    """Vectorised proleptic-Gregorian date/time -> int64 ns since the epoch; NaT where out of range."""
    y = np.asarray(year, dtype=np.int64)
    m = np.asarray(month, dtype=np.int64)
    d = np.asarray(day, dtype=np.int64)
    ok = (y >= 1980) & (y < 2100) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    ok &= (hour >= 0) & (hour <= 23) & (minute >= 0) & (minute <= 59) & (second >= 0) & (second <= 60)
    ok &= (millis >= 0) & (millis <= 999)
    # days_from_civil (H. Hinnant)
    yy = y - (m <= 2)
    era = np.floor_divide(yy, 400)
    yoe = yy - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    days = era * 146097 + doe - 719468
    s = days * 86400 + hour * 3600 + minute * 60 + second
    ns = s * 1_000_000_000 + np.asarray(millis, dtype=np.int64) * 1_000_000
    return np.where(ok, ns, NAT)


def char_columns(src: np.ndarray, p0: np.ndarray, plen: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """De-armour the first ``width`` payload characters of every message.

    Returns ``(V, bad)``: ``V`` is a ``(width, n)`` uint8 array of 6-bit values (0 past the end of a
    payload, so missing trailing bits read as zero), ``bad`` flags payloads holding a character
    outside the armouring alphabet.
    """
    n = len(p0)
    if n == 0:
        return np.zeros((width, 0), dtype=np.uint8), np.zeros(0, dtype=bool)
    C = np.ascontiguousarray(window(src, p0, width).T)
    if int(plen.min()) < width:
        C[np.arange(width)[:, None] >= plen[None, :]] = 48  # '0': past the end reads as zero bits
    # de-armour with arithmetic (faster than a table gather): '0'..'W' -> 0..39, '`'..'w' -> 40..63
    V = C - np.uint8(48)  # wraps below '0'
    C -= np.uint8(88)  # 'X'..'_' (not in the alphabet) -> 0..7
    bad = (C < 8).any(axis=0)
    V -= (V >= 48).view(np.uint8) << 3
    bad |= V.max(axis=0) >= 64
    return V, bad


def bits(V: np.ndarray, off: int, width: int, signed: bool = False) -> np.ndarray:
    """Bit field ``[off, off+width)`` of every message, from the 6-bit columns ``V`` (int64)."""
    c0, c1 = off // 6, (off + width - 1) // 6
    acc = V[c0].astype(np.int64)
    for c in range(c0 + 1, c1 + 1):
        acc = (acc << 6) | V[c]
    acc = (acc >> ((c1 + 1) * 6 - (off + width))) & ((1 << width) - 1)
    if signed:
        acc = np.where(acc >= (1 << (width - 1)), acc - (1 << width), acc)
    return acc


def text(V: np.ndarray, off: int, nchars: int) -> np.ndarray:
    """AIS 6-bit text of ``nchars`` characters at bit ``off``, as an object array of str.

    Only trailing '@' is padding (ITU-R M.1371: unused characters are sent as '@'): the text ends
    where a run of '@' and spaces reaches the end of the field, and surrounding spaces are stripped.
    An '@' followed by other characters is kept ("HANA 12 HO@@@@@@@@BL" stays whole; pyais cuts
    such a name at its first '@'). Characters are assembled as a byte matrix for all messages at
    once; only the distinct texts (a ship repeats its name) are turned into Python strings.
    """
    n = V.shape[1]
    if n == 0:
        return np.array([], dtype=object)
    cols = np.empty((n, nchars), dtype=np.uint8)
    for k in range(nchars):
        cols[:, k] = SIXBIT_ASCII[bits(V, off + 6 * k, 6)]
    trailing = np.ones(n, dtype=bool)  # trailing '@' and spaces become NULs, which 'S' strings drop
    for k in range(nchars - 1, -1, -1):
        c = cols[:, k]
        trailing &= (c == 64) | (c == 32)
        c[trailing] = 0
    raw = cols.view(f"S{nchars}").ravel()
    # decode each distinct text once (ship texts repeat a lot)
    uniq, inverse = np.unique(raw, return_inverse=True)
    strings = np.array([u.decode("ascii").lstrip(" ") for u in uniq.tolist()], dtype=object)
    return strings[inverse.ravel()]


def text_at(buf: np.ndarray, start: np.ndarray, end: np.ndarray, width: int) -> np.ndarray:
    """Bytes ``buf[start:end]`` (at most ``width``) of every item as an array of str."""
    n = len(start)
    if n == 0:
        return np.array([], dtype=object)
    length = np.clip(end - start, 0, width)
    m = np.zeros((n, width), dtype=np.uint8)
    for j in range(width):
        inside = j < length
        if not inside.any():
            break
        m[:, j] = np.where(inside, at(buf, start + j), 0)
    return np.char.decode(m.view(f"S{width}").ravel(), "latin-1").astype(object)
