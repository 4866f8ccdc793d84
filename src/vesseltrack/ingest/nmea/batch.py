"""The two records the NMEA stages share: the reader's state across chunks, and one chunk's arrays.

Every stage takes a :class:`Batch`, reads the arrays earlier stages filled in and fills in its own;
array fields are indexed per physical line, per segment (a physical line cut before each later
sentence it holds), per sentence or per message (a single-part sentence or an assembled group), as
each field's comment says (``None`` until its stage has run). Offsets are ``int64`` positions in
``Batch.buf``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import numpy as np

from vesseltrack.ingest.nmea.bits import NAT

# outcome of a sentence that became a position row
OUTCOME_POSITION = 1
# reject reasons per sentence (index into REASONS; -1: not rejected)
REASONS = ("bad_checksum", "malformed_sentence", "incomplete_multipart", "bad_payload", "no_timestamp",
           "bad_timestamp")
R_CHECKSUM, R_MALFORMED, R_INCOMPLETE, R_PAYLOAD, R_NOTIME, R_BADTIME = range(6)
# skip kinds for AIS sentences (-1: not skipped): static_msg, multipart_fragment, 100 + n for msg_type_n
S_STATIC, S_FRAGMENT, S_MSG_TYPE = 0, 1, 100


#: Default of the array fields a later stage fills in: None until that stage has run. Typed as an
#: array, not Optional: a stage reads only fields that earlier stages have filled in.
_UNSET = cast(np.ndarray, None)


def _empty_int64() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class ReaderState:
    """What one chunk hands to the next."""

    path: str
    assume_ns: int  # ``assume_time`` as int64 ns, or NAT
    next_line: int = 1  # file line number of the chunk's first new line
    carry: bytes = b""  # unassembled fragments (whole segments, one per line) re-read by the next chunk
    carry_lines: np.ndarray = field(default_factory=_empty_int64)  # their file lines
    carry_times: np.ndarray = field(default_factory=_empty_int64)  # the times they had
    pending_wrapper: int = NAT  # time of a wrapper line still waiting for its message
    last_clock: int = NAT  # the latest stream-clock reading ($xxZDA/$xxRMC, type 4/11), see clock.py
    statics: dict | None = None  # latest static values per MMSI and field group


@dataclass(eq=False)
class Batch:
    """One chunk of lines, as arrays (see the module docstring for the indexing)."""

    # framing.py
    data: bytes  # carried fragments + the block of lines
    buf: np.ndarray  # ``data`` as uint8
    eof: bool
    n_carried: int  # physical lines carried in from the previous chunk
    phys_line: np.ndarray  # per physical line: file line number
    seg_start: np.ndarray  # per segment: [start, end) with surrounding whitespace stripped
    seg_end: np.ndarray
    seg_phys: np.ndarray  # per segment: its physical line (index into phys_line)
    sent_seg: np.ndarray  # per sentence: its segment
    bang: np.ndarray  # per sentence: offset of its '!'
    end: np.ndarray  # per sentence: end of its segment
    line: np.ndarray  # per sentence: file line number
    talker_bytes: np.ndarray  # (6, sentences): the bytes after '!' (talker, 'VDM'/'VDO', ',')
    skipped: dict = field(default_factory=dict)  # counts of lines and sentences not turned into rows
    time_line_seg: np.ndarray = _UNSET  # per time line ($PGHP, lone tag block): its segment
    time_line_ns: np.ndarray = _UNSET  # and its time
    _found: dict = field(default_factory=dict)  # cache of byte positions, see find()

    # header.py
    tail: np.ndarray = _UNSET  # (5, sentences): the bytes ',f*hh' around the checksum '*'
    star: np.ndarray = _UNSET  # per sentence: offset of the checksum '*', -1 when none
    has_star: np.ndarray = _UNSET  # a '*' followed by two hex digits
    computed: np.ndarray = _UNSET  # XOR of the bytes between '!' and '*'
    checksum_ok: np.ndarray = _UNSET
    total: np.ndarray = _UNSET  # fragment count
    part: np.ndarray = _UNSET  # fragment number
    seq: np.ndarray = _UNSET  # sequential message id, -1 when empty
    channel: np.ndarray = _UNSET  # radio channel bytes packed in an int, 0 when empty
    payload_start: np.ndarray = _UNSET
    payload_len: np.ndarray = _UNSET
    fill: np.ndarray = _UNSET  # fill bits
    valid: np.ndarray = _UNSET  # checksum and header fields are good
    reason: np.ndarray = _UNSET  # per sentence: reject reason (R_*), -1 when not rejected
    skip: np.ndarray = _UNSET  # per sentence: skip kind (S_*), -1 when not skipped
    outcome: np.ndarray = _UNSET  # per sentence: OUTCOME_POSITION or 0

    # times.py
    # per sentence: its time (own stamp, wrapper line, stream clock, assumed), or NAT
    time_ns: np.ndarray = _UNSET
    # per sentence: it carries a stamp of its own (tag block c:, a stamp before it) that is no usable
    # time (outside 1980..2100, e.g. 9999-12-31): with no other time it is a bad_timestamp reject
    bad_own_time: np.ndarray = _UNSET
    time_sources: dict = field(default_factory=dict)  # clock.py: how many sentences got their time how

    # assemble.py
    carry_idx: np.ndarray = _UNSET  # sentences carried into the next chunk
    msg_head: np.ndarray = _UNSET  # per message: its first sentence
    msg_start: np.ndarray = _UNSET  # per message: payload offset (>= len(buf): in ``assembled``)
    msg_len: np.ndarray = _UNSET  # payload characters
    msg_fill: np.ndarray = _UNSET  # fill bits of the last fragment
    msg_time: np.ndarray = _UNSET  # first time among its parts, else assume_time, else NAT
    assembled: np.ndarray = _UNSET  # payloads of multi-part messages, concatenated
    has_groups: bool = False  # some messages are assembled from several sentences

    def find(self, byte: int) -> np.ndarray:
        """Sorted offsets of ``byte`` in the chunk (computed once per chunk and byte)."""
        if byte not in self._found:
            self._found[byte] = np.flatnonzero(self.buf == byte)
        return self._found[byte]

    def payload_source(self, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The byte array holding the payloads at ``start`` and the offsets into it (assembled
        payloads live in ``assembled``)."""
        n_buf = len(self.buf)
        if len(start) == 0 or start.max() < n_buf:
            return self.buf, start
        if start.min() >= n_buf:
            return self.assembled, start - n_buf
        return np.concatenate((self.buf, self.assembled)), start  # single and multi-part mixed
