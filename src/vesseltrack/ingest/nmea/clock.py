"""Stream clocks: a time for sentences that carry none, read from the stream's own clocks.

Raw receiver logs often have no tag blocks, but the stream holds clocks of its own:

- ``$xxZDA`` (time and date) and ``$xxRMC`` (time and date of a valid fix) sentences of the
  receiver's GNSS;
- AIS type 4 (base station report) and type 11 (UTC/date response) messages, which carry the
  sending station's UTC (AIVDM #_type_4_base_station_report; ITU-R M.1371-5 Annex 8, Message 4).

Every clock reading is a (line position, time) pair. A sentence with no time of its own (and no
wrapper line) is dated by line order: interpolated between the readings around it, or held at
the nearest reading before the first or after the last one of a chunk (the last reading carries
into the next chunk). Readings more than :data:`MAX_CLOCK_SPREAD_NS` from the chunk's median
reading, or more than :data:`CLOCK_TOLERANCE_NS` from the readings around them, are ignored (a base
station with a wrong clock). How each sentence got its time is
counted in ``Chunk.time_sources``: ``own`` (its tag block, a stamp on its line or a wrapper line),
``stream_clock`` (interpolated between readings), ``stream_clock_held`` (held at a reading, in line order),
``assumed`` (``--assume-time``: the given start, plus :data:`ASSUMED_STEP_NS` per line, so line
order is kept and no two sentences share an instant) or ``none``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.ingest.nmea.batch import Batch, ReaderState
from vesseltrack.ingest.nmea.bits import ARMOR, NAT, char_columns, civil_to_ns, window
from vesseltrack.ingest.nmea.fields import Field, read_field

#: Types 4 and 11: the station's UTC. AIVDM #_type_4_base_station_report; ITU-R M.1371-5 Annex 8,
#: Message 4 (year 0, month 0, day 0, hour 24, minute 60, second 60 = not available).
BASE_STATION_UTC = (
    Field("year", 38, 14, na=0),
    Field("month", 52, 4, na=0),
    Field("day", 56, 5, na=0),
    Field("hour", 61, 5, na=24),
    Field("minute", 66, 6, na=60),
    Field("second", 72, 6, na=60),
)
CLOCK_TYPES = (4, 11)
#: A reading further than this from the chunk's median reading is ignored.
MAX_CLOCK_SPREAD_NS = 86_400 * 10**9
#: A reading more than CLOCK_TOLERANCE_NS from the median of the CLOCK_NEIGHBOURS readings around it
#: (in line order) is ignored: base stations with clocks a minute off are common.
CLOCK_NEIGHBOURS = 9
CLOCK_TOLERANCE_NS = 5 * 10**9
#: With ``--assume-time``, sentence k lines after the first is dated start + k x this.
ASSUMED_STEP_NS = 1_000_000


def _gnss_readings(b: Batch) -> tuple[np.ndarray, np.ndarray]:
    """(segment, ns) of the ``$xxZDA`` / ``$xxRMC`` lines with a good checksum and a full date (few
    lines: their text is parsed with pandas string methods)."""
    is_sentence = np.zeros(len(b.seg_start), dtype=bool)
    is_sentence[b.sent_seg] = True
    seg = np.flatnonzero(~is_sentence)
    if len(seg):
        seg = seg[b.buf[np.minimum(b.seg_start[seg], len(b.buf) - 1)] == ord("$")]
    if len(seg):
        head = window(b.buf, b.seg_start[seg], 6)
        code = head[:, 3].astype(np.int64) << 16 | head[:, 4].astype(np.int64) << 8 | head[:, 5]
        seg = seg[(head[:, 0] == ord("$")) & np.isin(code, [_code(b"ZDA"), _code(b"RMC")])]
    if not len(seg):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lines = pd.Series([bytes(b.data[s:e]).decode("ascii", "replace") for s, e in zip(b.seg_start[seg], b.seg_end[seg])])
    parts = lines.str.extract(r"^\$(?P<body>[^*]*)\*(?P<sum>[0-9A-Fa-f]{2})").fillna("")
    checked = (parts["body"] != "") & (parts["body"].map(_xor) == parts["sum"].str.upper())
    f = parts["body"].str.split(",", expand=True).reindex(columns=range(11), fill_value="").fillna("")
    zda = (f[0].str[2:] == "ZDA").to_numpy()
    clock = f[1].str.extract(r"^(\d{2})(\d{2})(\d{2}(?:\.\d+)?)$").apply(pd.to_numeric, errors="coerce")
    rmc_date = f[9].str.extract(r"^(\d{2})(\d{2})(\d{2})$").apply(pd.to_numeric, errors="coerce")

    def num(col: int) -> np.ndarray:
        return pd.to_numeric(f[col], errors="coerce").to_numpy()

    day = np.where(zda, num(2), rmc_date[0].to_numpy())
    month = np.where(zda, num(3), rmc_date[1].to_numpy())
    year = np.where(zda, num(4), 2000 + rmc_date[2].to_numpy())
    sec = clock[2].to_numpy()
    fields = np.stack([year, month, day, clock[0].to_numpy(), clock[1].to_numpy(), np.floor(sec)])
    good = checked.to_numpy() & (zda | (f[2] == "A").to_numpy()) & np.isfinite(fields).all(axis=0)
    whole = np.where(good, fields, 0).astype(np.int64)
    millis = np.where(good, np.round((sec - np.floor(sec)) * 1000), 0).clip(0, 999).astype(np.int64)
    y, mo, d, h, mi, s = whole
    ns = np.where(good, civil_to_ns(y, mo, d, h, mi, s, millis), NAT)
    keep = ns != NAT
    return seg[keep], ns[keep]


def _code(three: bytes) -> int:
    return three[0] << 16 | three[1] << 8 | three[2]


def _xor(body: str) -> str:
    x = 0
    for ch in body.encode("ascii", "replace"):
        x ^= ch
    return f"{x:02X}"


def _station_readings(b: Batch) -> tuple[np.ndarray, np.ndarray]:
    """(segment, ns) of the single-sentence type 4 / 11 messages with a valid UTC."""
    first = window(b.buf, b.payload_start, 1)[:, 0] if len(b.bang) else np.zeros(0, dtype=np.uint8)
    msg_type = ARMOR[first]
    sel = np.flatnonzero(b.valid & (b.total == 1) & np.isin(msg_type, CLOCK_TYPES) & (b.payload_len >= 28))
    if not len(sel):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sixbit, bad = char_columns(b.buf, b.payload_start[sel], b.payload_len[sel], 28)
    y, mo, d, h, mi, s = (read_field(sixbit, f).astype(np.int64) for f in BASE_STATION_UTC)
    ns = civil_to_ns(y, mo, d, h, mi, s, np.zeros(len(sel), dtype=np.int64))
    keep = ~bad & (ns != NAT)
    return b.sent_seg[sel[keep]], ns[keep]


def _line_steps(lines_away: np.ndarray, offset: float) -> np.ndarray:
    """ASSUMED_STEP_NS per line away from a held reading, so held sentences keep their line order."""
    return ((np.asarray(lines_away, dtype=np.float64) - offset) * ASSUMED_STEP_NS).astype(np.int64)


def readings(b: Batch) -> tuple[np.ndarray, np.ndarray]:
    """All clock readings of the chunk, in line order, without outliers: (segment, ns)."""
    g_seg, g_ns = _gnss_readings(b)
    s_seg, s_ns = _station_readings(b)
    seg, ns = np.r_[g_seg, s_seg], np.r_[g_ns, s_ns]
    if not len(seg):
        return seg, ns
    order = np.argsort(seg, kind="stable")
    seg, ns = seg[order], ns[order]
    median = int(np.median(ns))
    near = np.abs(ns - median) <= MAX_CLOCK_SPREAD_NS
    seg, ns = seg[near], ns[near]
    # a station whose clock is off (or a report relayed late) disagrees with its neighbours in line order:
    # compare each reading with the median of those around it, after taking out the stream's typical
    # time per line (the median step between consecutive readings), so that time passing is no disagreement
    dseg, dns = np.diff(seg).astype(np.float64), np.diff(ns).astype(np.float64)
    rate = float(np.median(dns[dseg > 0] / dseg[dseg > 0])) if (dseg > 0).any() else 0.0
    residual = (ns - median) - rate * seg
    local = pd.Series(residual, dtype=np.float64).rolling(CLOCK_NEIGHBOURS, center=True, min_periods=1).median()
    agrees = np.abs(residual - local.to_numpy()) <= CLOCK_TOLERANCE_NS
    return seg[agrees], ns[agrees]


def stream_times(b: Batch, st: ReaderState) -> None:
    """Date by the stream's clocks the sentences ``times.sentence_times`` left without a time, and
    count how every sentence of the chunk got its time (``b.time_sources``)."""
    own = b.time_ns != NAT
    need = ~own
    clock = np.zeros(len(need), dtype=bool)
    held = np.zeros(len(need), dtype=bool)
    if not need.any():  # every sentence dated already (tag blocks): no clock to read
        b.time_sources = {"own": int((own & (b.part == 1)).sum())} if own.any() else {}
        return
    seg, ns = readings(b)
    if len(seg) or st.last_clock != NAT:
        pos = b.sent_seg.astype(np.float64)
        if len(seg):
            base = ns[0]
            inside = need & (pos >= seg[0]) & (pos <= seg[-1])
            t = np.interp(pos[inside], seg.astype(np.float64), (ns - base).astype(np.float64))
            b.time_ns[inside] = base + np.round(t).astype(np.int64)
            clock = inside
            before = need & (pos < seg[0])
            after = need & (pos > seg[-1])
            if st.last_clock != NAT:
                b.time_ns[before] = st.last_clock + _line_steps(pos[before], -1.0)
            else:  # the file's first reading, back in line order
                b.time_ns[before] = ns[0] - _line_steps(seg[0] - pos[before], 0.0)
            b.time_ns[after] = ns[-1] + _line_steps(pos[after] - seg[-1], 0.0)
            held = before | after
            st.last_clock = int(ns[-1])
        else:
            b.time_ns[need] = st.last_clock + _line_steps(pos[need], -1.0)
            held = need.copy()
    assumed_rows = (b.time_ns == NAT) if st.assume_ns != NAT else np.zeros(len(need), dtype=bool)
    b.time_ns[assumed_rows] = st.assume_ns + (b.line[assumed_rows] - 1) * ASSUMED_STEP_NS
    first = b.part == 1  # a message counts once (its later parts take part 1's time)
    counts = {"own": int((own & first).sum()), "stream_clock": int((clock & first).sum()),
              "stream_clock_held": int((held & first).sum()), "assumed": int((assumed_rows & first).sum()),
              "none": int(((b.time_ns == NAT) & first).sum())}
    b.time_sources = {k: v for k, v in counts.items() if v}
