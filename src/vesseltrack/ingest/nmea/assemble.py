"""Multi-part assembly: sentences into messages.

Fragments are keyed by (talker, VDM/VDO, sequential id, channel, fragment count), as pyais does,
sorted on their key, and runs of parts 1..n of a key are matched in file order even with other
sentences in between; a new part 1 abandons an unfinished message of the same key. Fragments left
over are carried into the next chunk when they are within ``CARRY_LINES`` lines of its end, else
``incomplete_multipart`` rejects. A message takes the first time found among its parts.
"""

from __future__ import annotations

import numpy as np

from vesseltrack.ingest.nmea.batch import R_INCOMPLETE, S_FRAGMENT, Batch, ReaderState
from vesseltrack.ingest.nmea.bits import NAT

#: Unassembled fragments this close (in lines) to the end of a chunk wait for the next chunk.
CARRY_LINES = 2000


def _fragment_keys(b: Batch, frag: np.ndarray) -> np.ndarray:
    talker = (b.talker_bytes[0].astype(np.int64) << 8) | b.talker_bytes[1]
    vdo = (b.talker_bytes[4] == 79).astype(np.int64)
    key = (talker[frag] * 2 + vdo[frag]) * 1024 + (b.seq[frag] + 1)
    return (key * 65536 + b.channel[frag]) * 16 + b.total[frag]


def _match(b: Batch, frag: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Complete messages among the fragments ``frag``: one (messages, parts) array of sentence
    indices per fragment count, and the fragments left over."""
    key = _fragment_keys(b, frag)
    order = np.lexsort((frag, key))
    key_sorted, part_sorted, total_sorted = key[order], b.part[frag][order], b.total[frag][order]
    used = np.zeros(len(frag), dtype=bool)
    groups = []
    for n_parts in np.unique(total_sorted):
        cand = np.flatnonzero((part_sorted == 1) & (total_sorted == n_parts))
        cand = cand[cand + n_parts - 1 < len(key_sorted)]
        ok = np.ones(len(cand), dtype=bool)
        for j in range(1, int(n_parts)):
            ok &= (key_sorted[cand + j] == key_sorted[cand]) & (part_sorted[cand + j] == j + 1)
        cand = cand[ok]
        if len(cand):
            members = np.stack([frag[order[cand + j]] for j in range(int(n_parts))], axis=1)
            for j in range(int(n_parts)):
                used[order[cand + j]] = True
            groups.append(members)
    return groups, frag[~used]


def _carry_or_reject(b: Batch, unmatched: np.ndarray) -> None:
    if b.eof:
        late = np.zeros(len(unmatched), dtype=bool)
    else:
        last_line = int(b.phys_line[-1]) if len(b.phys_line) else 0
        late = (last_line - b.line[unmatched]) < CARRY_LINES
    b.carry_idx = unmatched[late]
    b.reason[unmatched[~late]] = R_INCOMPLETE


def _messages(b: Batch, groups: list[np.ndarray]) -> None:
    """Message arrays: single-part sentences first, then the assembled groups."""
    single = np.flatnonzero(b.valid & (b.total == 1))
    head, start, length = [single], [b.payload_start[single]], [b.payload_len[single]]
    fill, time_ns = [b.fill[single]], [b.time_ns[single]]
    payloads = []
    offset = len(b.buf)
    for members in groups:
        m = len(members)
        lens = b.payload_len[members]  # (m, n_parts)
        msg_len = lens.sum(axis=1)
        flat_start = b.payload_start[members].ravel()
        flat_len = lens.ravel()
        before = np.cumsum(flat_len) - flat_len
        idx = np.repeat(flat_start - before, flat_len) + np.arange(flat_len.sum())
        payloads.append(b.buf[idx])
        start.append(np.cumsum(msg_len) - msg_len + offset)
        offset += int(flat_len.sum())
        head.append(members[:, 0])
        length.append(msg_len)
        fill.append(b.fill[members[:, -1]])
        part_times = b.time_ns[members]
        first_timed = np.argmax(part_times != NAT, axis=1)
        time_ns.append(part_times[np.arange(m), first_timed])
        b.skip[members[:, 1:]] = S_FRAGMENT
    b.msg_head = np.concatenate(head)
    b.msg_start = np.concatenate(start)
    b.msg_len = np.concatenate(length)
    b.msg_fill = np.concatenate(fill)
    b.msg_time = np.concatenate(time_ns)
    b.assembled = np.concatenate(payloads) if payloads else np.zeros(0, dtype=np.uint8)
    b.has_groups = bool(groups)


def assemble(b: Batch, st: ReaderState) -> None:
    """Match fragments, carry or reject the unmatched ones, and build the message arrays."""
    frag = np.flatnonzero(b.valid & (b.total > 1))
    groups: list[np.ndarray] = []
    b.carry_idx = np.zeros(0, dtype=np.int64)
    if len(frag):
        groups, unmatched = _match(b, frag)
        if len(unmatched):
            _carry_or_reject(b, unmatched)
    _messages(b, groups)
