"""The bit layout of every decoded AIS message, as tables, and the vectorised reader of a table.

Each message family is a tuple of :class:`Field` s, the way pyais declares its messages as a list
of ``bit_field(...)`` entries; only the fields we decode are listed (pyais lists them all; the test
``tests/ingest/test_nmea_fields.py`` checks every entry here against pyais's offsets). Bits count
from 0 at the first bit of the message (the message type is bits 0-5). Sources:

- AIVDM/AIVDO protocol decoding, E. S. Raymond, https://gpsd.gitlab.io/gpsd/AIVDM.html (cited by
  section anchor);
- ITU-R M.1371-5 (2014), Annex 8 "AIS messages" (cited by message number).

Values are decoded faithfully and not judged (``clean`` does that): the ``na`` column documents the
raw "not available" code of each field; only type 27's codes are mapped (``na_as``) onto the
canonical sentinels of the other types (SOG 102.3, COG 360), so ``clean`` treats all types alike.

Types 4 and 11 (base station reports), 6-10, 12-17, 20-23, 25 and 26 are not decoded: they carry
no vessel position or identity (counted as ``msg_type_N`` in ``skipped``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vesseltrack.ingest.nmea.bits import bits, text


@dataclass(frozen=True)
class Field:
    """One bit field of an AIS message."""

    column: str  # canonical column (positions) or static field it feeds
    start: int  # first bit, counted from 0 at the start of the message
    width: int  # bits
    signed: bool = False  # two's complement
    scale: float = 1.0  # raw counts per unit: value = raw / scale (1: the raw integer)
    na: int | None = None  # raw "not available" code (ITU-R M.1371), delivered as sent
    na_as: float | None = None  # canonical value ``na`` is delivered as instead (type 27 only)
    text: bool = False  # 6-bit text of width / 6 characters; all '@' (empty) means not available

    @property
    def end(self) -> int:
        return self.start + self.width


# ---- positions -----------------------------------------------------------------------------------

MMSI = Field("mmsi", 8, 30)

#: Types 1, 2, 3: position report class A.
#: AIVDM #_types_1_2_and_3_position_report_class_a; ITU-R M.1371-5 Annex 8, Messages 1, 2, 3.
POSITION_A = (
    MMSI,
    Field("nav_status", 38, 4, na=15),  # 15: not defined (default)
    Field("sog_kn", 50, 10, scale=10.0, na=1023),  # 1/10 knot; 1022: 102.2 knots or higher
    Field("lon", 61, 28, signed=True, scale=600_000.0, na=181 * 600_000),  # 1/10000 minute
    Field("lat", 89, 27, signed=True, scale=600_000.0, na=91 * 600_000),
    Field("cog_deg", 116, 12, scale=10.0, na=3600),  # 1/10 degree
    Field("heading_deg", 128, 9, na=511),  # true heading, whole degrees
)

#: Type 18: standard class B CS position report; also the position part of type 19 (same offsets).
#: AIVDM #_type_18_standard_class_b_cs_position_report, #_type_19_extended_class_b_cs_position_report;
#: ITU-R M.1371-5 Annex 8, Messages 18 and 19.
POSITION_B = (
    MMSI,
    Field("sog_kn", 46, 10, scale=10.0, na=1023),
    Field("lon", 57, 28, signed=True, scale=600_000.0, na=181 * 600_000),
    Field("lat", 85, 27, signed=True, scale=600_000.0, na=91 * 600_000),
    Field("cog_deg", 112, 12, scale=10.0, na=3600),
    Field("heading_deg", 124, 9, na=511),
)

#: Type 27: long-range AIS broadcast (satellite): coarse position, SOG in whole knots, COG in degrees.
#: AIVDM #_type_27_long_range_ais_broadcast_message; ITU-R M.1371-5 Annex 8, Message 27.
LONG_RANGE = (
    MMSI,
    Field("nav_status", 40, 4, na=15),
    Field("lon", 44, 18, signed=True, scale=600.0, na=181 * 600),  # 1/10 minute
    Field("lat", 62, 17, signed=True, scale=600.0, na=91 * 600),
    Field("sog_kn", 79, 6, na=63, na_as=102.3),  # whole knots
    Field("cog_deg", 85, 9, na=511, na_as=360.0),  # whole degrees
)

# ---- static and voyage data ----------------------------------------------------------------------

#: Type 5: static and voyage related data (class A). Dimensions are to the GPS antenna:
#: length_m = to_bow + to_stern, width_m = to_port + to_starboard.
#: AIVDM #_type_5_static_and_voyage_related_data; ITU-R M.1371-5 Annex 8, Message 5.
STATIC_VOYAGE = (
    MMSI,
    Field("imo", 40, 30, na=0),
    Field("call_sign", 70, 42, text=True),
    Field("vessel_name", 112, 120, text=True),
    Field("vessel_type", 232, 8, na=0),
    Field("to_bow", 240, 9, na=0),
    Field("to_stern", 249, 9, na=0),
    Field("to_port", 258, 6, na=0),
    Field("to_starboard", 264, 6, na=0),
    Field("draught_m", 294, 8, scale=10.0, na=0),  # 1/10 metre
    Field("destination", 302, 120, text=True),
)

#: Type 19: the static part of the extended class B report (its position part is POSITION_B).
#: AIVDM #_type_19_extended_class_b_cs_position_report; ITU-R M.1371-5 Annex 8, Message 19.
STATIC_B19 = (
    Field("vessel_name", 143, 120, text=True),
    Field("vessel_type", 263, 8, na=0),
    Field("to_bow", 271, 9, na=0),
    Field("to_stern", 280, 9, na=0),
    Field("to_port", 289, 6, na=0),
    Field("to_starboard", 295, 6, na=0),
)

#: Type 24: static data report, part number at bits 38-39 (0: part A, 1: part B).
#: AIVDM #_type_24_static_data_report; ITU-R M.1371-5 Annex 8, Message 24.
PART_NUMBER = Field("part_number", 38, 2)
#: Type 24 part A: the name.
STATIC_24A = (Field("vessel_name", 40, 120, text=True),)
#: Type 24 part B: type, call sign, dimensions. For auxiliary craft (MMSI 98xxxxxxx) bits 132-161
#: hold the mother ship's MMSI instead of the dimensions, which are then not decoded.
STATIC_24B = (
    Field("vessel_type", 40, 8, na=0),
    Field("call_sign", 90, 42, text=True),
    Field("to_bow", 132, 9, na=0),
    Field("to_stern", 141, 9, na=0),
    Field("to_port", 150, 6, na=0),
    Field("to_starboard", 156, 6, na=0),
)


@dataclass(frozen=True)
class Family:
    """Message types decoded alike: which table, how many payload characters to de-armour (and
    check for bad characters), and the fewest bits a message needs (positions: up to the latitude;
    static messages: the MMSI and what precedes the first field)."""

    name: str
    types: tuple[int, ...]
    chars: int
    min_bits: int
    position: tuple[Field, ...] = ()  # fields of the position row
    constants: tuple[tuple[str, float], ...] = ()  # position columns the type fixes
    static: str | None = None  # static layout (see static.py), when the message carries static data


FAMILIES = (
    Family("class_a", (1, 2, 3), 23, POSITION_A[4].end, POSITION_A),
    Family("class_b", (18,), 23, POSITION_B[3].end, POSITION_B, (("nav_status", -1), ("ais_class", 1))),
    Family("class_b_ext", (19,), 51, POSITION_B[3].end, POSITION_B, (("nav_status", -1), ("ais_class", 1)),
           static="type19"),
    Family("long_range", (27,), 16, LONG_RANGE[3].end, LONG_RANGE, (("heading_deg", np.nan),)),
    Family("static_voyage", (5,), 71, 40, static="type5"),
    Family("static_report", (24,), 28, 40, static="type24"),
)

#: family index + 1 per message type + 1 (type -1: no payload; 0: not decoded)
FAMILY_OF_TYPE = np.zeros(65, dtype=np.int8)
for _code, _family in enumerate(FAMILIES, start=1):
    FAMILY_OF_TYPE[np.array(_family.types) + 1] = _code
    assert _family.chars * 6 >= max((f.end for f in _family.position), default=0)


def read_field(sixbit: np.ndarray, f: Field):
    """Field ``f`` of every message from its 6-bit character columns: str objects for text, the
    raw integers when ``scale`` is 1, else floats (raw / scale)."""
    if f.text:
        return text(sixbit, f.start, f.width // 6)
    raw = bits(sixbit, f.start, f.width, f.signed)
    return raw / f.scale if f.scale != 1.0 else raw
