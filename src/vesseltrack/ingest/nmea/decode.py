"""Decode: message types, then every family's fields from its table (fields.py), all messages of a
family at once.

A message's payload characters are de-armoured into a (characters x messages) matrix of 6-bit
values; every field is a few shifts over those columns. An empty or undecodable payload (bad
characters, unknown type, too short for a position) is a ``bad_payload`` reject; a message that
needs a time and has none a ``no_timestamp`` reject. Fields a short payload cuts off after the
position (COG, heading, ...) are NaN rather than zero.
"""

from __future__ import annotations

import numpy as np

from vesseltrack.ingest.nmea import static
from vesseltrack.ingest.nmea.batch import (
    OUTCOME_POSITION,
    R_BADTIME,
    R_NOTIME,
    R_PAYLOAD,
    S_MSG_TYPE,
    S_STATIC,
    Batch,
)
from vesseltrack.ingest.nmea.bits import ARMOR, NAT, at, char_columns
from vesseltrack.ingest.nmea.fields import (
    FAMILIES,
    FAMILY_OF_TYPE,
    MMSI,
    Family,
    read_field,
)

#: position columns and their dtypes while decoding (ais_class: 0 = A, 1 = B; nav_status -1: none)
POSITION_DTYPES = {
    "mmsi": np.int32, "lat": np.float64, "lon": np.float64, "sog_kn": np.float32, "cog_deg": np.float32,
    "heading_deg": np.float32, "nav_status": np.int8, "ais_class": np.int8,
}


def _families(b: Batch) -> np.ndarray:
    """Family code of every message (0: not decoded); rejects empty payloads and unknown types,
    counts the other types as ``msg_type_N``."""
    n_buf = len(b.buf)
    first_char = at(b.buf, b.msg_start)
    if len(b.assembled):
        first_char = np.where(b.msg_start < n_buf, first_char, at(b.assembled, b.msg_start - n_buf))
    msg_type = np.where(b.msg_len > 0, ARMOR[first_char], 255).astype(np.int64)
    msg_type = np.where(msg_type == 255, -1, msg_type)
    empty = b.msg_len == 0
    b.reason[b.msg_head[empty]] = R_PAYLOAD
    family = FAMILY_OF_TYPE[msg_type + 1]
    unknown = ~empty & ((msg_type <= 0) | (msg_type > 27))
    b.reason[b.msg_head[unknown]] = R_PAYLOAD
    other = ~empty & ~unknown & (family == 0)
    b.skip[b.msg_head[other]] = S_MSG_TYPE + msg_type[other]
    return family


def _sixbit(b: Batch, fam: Family, sel: np.ndarray, n_bits: np.ndarray):
    """The 6-bit columns of the messages ``sel`` of a family, dropping (and rejecting) those with
    bad characters, too few bits or no time."""
    sixbit, bad_chars = char_columns(*b.payload_source(b.msg_start[sel]), b.msg_len[sel], fam.chars)
    bad = bad_chars | (n_bits[sel] < fam.min_bits)
    b.reason[b.msg_head[sel[bad]]] = R_PAYLOAD
    no_time = ~bad & (b.msg_time[sel] == NAT)
    heads = b.msg_head[sel[no_time]]
    b.reason[heads] = np.where(b.bad_own_time[heads], R_BADTIME, R_NOTIME)
    keep = ~bad & ~no_time
    if not keep.all():
        sel, sixbit = sel[keep], sixbit[:, keep]
    return sel, sixbit


def _positions(fam: Family, sel, sixbit, n_bits, mmsi, columns: dict) -> None:
    """Write the position fields of family ``fam`` for the messages ``sel`` into ``columns``."""
    fewest_bits = int(n_bits.min())
    for f in fam.position:
        value = mmsi if f is MMSI else read_field(sixbit, f)
        if fewest_bits < f.end:  # a field cut off by a short payload is missing, not zero
            value = np.where(n_bits >= f.end, value, np.nan)
        if f.na_as is not None:
            value = np.where(value == f.na, f.na_as, value)
        columns[f.column][sel] = value
    for column, value in fam.constants:
        columns[column][sel] = value


def decode(b: Batch) -> tuple[dict, list[dict]]:
    """Position columns (one entry per position message, in file order, plus ``_t`` and
    ``source_row``) and the static rows of the chunk (one dict of arrays per family)."""
    family = _families(b)
    n_bits = b.msg_len * 6 - b.msg_fill
    n_msg = len(b.msg_head)
    columns = {name: np.zeros(n_msg, dtype) for name, dtype in POSITION_DTYPES.items()}
    is_position = np.zeros(n_msg, dtype=bool)
    static_parts = []
    for code, fam in enumerate(FAMILIES, start=1):
        sel = np.flatnonzero(family == code)
        if len(sel) == 0:
            continue
        sel, sixbit = _sixbit(b, fam, sel, n_bits)
        if len(sel) == 0:
            continue
        mmsi = read_field(sixbit, MMSI)
        if fam.position:
            b.outcome[b.msg_head[sel]] = OUTCOME_POSITION
            is_position[sel] = True
            _positions(fam, sel, sixbit, n_bits[sel], mmsi, columns)
        else:
            b.skip[b.msg_head[sel]] = S_STATIC
        if fam.static:
            line = b.line[b.msg_head[sel]]
            static_parts.append(static.decode_static(fam.static, sixbit, mmsi, b.msg_time[sel], line))
    pos = np.flatnonzero(is_position)
    if b.has_groups:  # assembled messages come after the single ones: restore file order
        pos = pos[np.argsort(b.msg_head[pos], kind="stable")]
    cols = {name: values[pos] for name, values in columns.items()}
    cols["_t"] = b.msg_time[pos]
    cols["source_row"] = b.line[b.msg_head[pos]]
    return cols, static_parts
