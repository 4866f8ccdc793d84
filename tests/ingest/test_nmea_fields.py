"""The bit-field tables of the NMEA decoder agree with pyais's declarations of the same messages."""

import pytest

from vesseltrack.ingest.nmea import fields

pyais_messages = pytest.importorskip("pyais.messages")

# (our table, pyais message class, {our column: pyais field})
_POS = {"mmsi": "mmsi", "nav_status": "status", "sog_kn": "speed", "lon": "lon", "lat": "lat", "cog_deg": "course",
        "heading_deg": "heading"}
_DIMS = {"to_bow": "to_bow", "to_stern": "to_stern", "to_port": "to_port", "to_starboard": "to_starboard"}
CASES = [
    ("POSITION_A", "MessageType1", _POS),
    ("POSITION_B", "MessageType18", _POS),
    ("POSITION_B", "MessageType19", _POS),
    ("LONG_RANGE", "MessageType27", _POS),
    ("STATIC_VOYAGE", "MessageType5", {"mmsi": "mmsi", "imo": "imo", "call_sign": "callsign",
                                       "vessel_name": "shipname", "vessel_type": "ship_type",
                                       "draught_m": "draught", "destination": "destination", **_DIMS}),
    ("STATIC_B19", "MessageType19", {"vessel_name": "shipname", "vessel_type": "ship_type", **_DIMS}),
    ("STATIC_24A", "MessageType24PartA", {"vessel_name": "shipname"}),
    ("STATIC_24B", "MessageType24PartB", {"vessel_type": "ship_type", "call_sign": "callsign", **_DIMS}),
]
_SCALED = {"from_speed", "from_10th", "from_lat_lon", "from_lat_lon_600"}


def _pyais_layout(cls) -> dict:
    """pyais field name -> (start bit, width, signed, from_converter, type), offsets summed in declaration order."""
    out, start = {}, 0
    for f in cls.fields():
        md = f.metadata
        out[f.name] = (start, md["width"], md["signed"], md.get("from_converter"), md["d_type"])
        start += md["width"]
    return out


@pytest.mark.parametrize("table, cls, names", CASES, ids=[f"{t}-{c}" for t, c, _ in CASES])
def test_table_matches_pyais(table, cls, names):
    layout = _pyais_layout(getattr(pyais_messages, cls))
    entries = getattr(fields, table)
    assert entries and {f.column for f in entries} <= set(names)
    for f in entries:
        start, width, signed, convert, data_type = layout[names[f.column]]
        assert (f.start, f.width, f.signed, f.text) == (start, width, signed, data_type is str), f.column
        name = getattr(convert, "__name__", None)
        if name in _SCALED:
            assert convert(1) == pytest.approx(f.scale), f.column  # pyais: value -> raw counts
        else:
            assert f.scale == 1.0, f.column


def test_part_number_matches_pyais():
    start, width, *_ = _pyais_layout(pyais_messages.MessageType24PartA)["partno"]
    assert (fields.PART_NUMBER.start, fields.PART_NUMBER.width) == (start, width)


def test_families_cover_their_tables():
    seen = set()
    for fam in fields.FAMILIES:
        assert not seen & set(fam.types), fam.name  # a type belongs to one family
        seen |= set(fam.types)
        assert fam.chars * 6 >= max((f.end for f in fam.position), default=0)
        for t in fam.types:
            assert fields.FAMILY_OF_TYPE[t + 1] == fields.FAMILIES.index(fam) + 1
    assert seen == {1, 2, 3, 5, 18, 19, 24, 27}
