"""Property tests for the NMEA reader: pyais-encoded messages round-trip exactly; garbage never
crashes it and every line is accounted for."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vesseltrack.ingest import nmea

pytest.importorskip("pyais")
import pyais.constants
from pyais import encode_dict

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# ship types pyais encodes as given (it folds reserved codes: 1 -> 0, 57 -> 56)
SHIP_TYPES = st.sampled_from([v for v in range(100) if int(pyais.constants.ShipType(v)) == v])
SIXBIT_TEXT = st.text(alphabet=string.ascii_uppercase + string.digits + " -./", max_size=20)


def cs(body: str) -> str:
    c = 0
    for ch in body.encode():
        c ^= ch
    return f"{c:02X}"


def tag(c: int) -> str:
    body = f"s:prop,c:{c}"
    return f"\\{body}*{cs(body)}\\"


def run(tmp_path, lines: list[str], **kw):
    p = tmp_path / "p.nmea"
    p.write_text("\n".join(lines) + "\n")
    chunks = list(nmea.read(p, **kw))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True) if chunks else None
    return chunks, frame


mmsis = st.integers(1, 999_999_999)
lat_units = st.integers(-90 * 600000, 90 * 600000) | st.just(91 * 600000)
lon_units = st.integers(-180 * 600000, 180 * 600000) | st.just(181 * 600000)
speeds = st.integers(0, 1023)
courses = st.integers(0, 3600)
headings = st.integers(0, 359) | st.just(511)


@SETTINGS
@given(mmsi=mmsis, lat=lat_units, lon=lon_units, sog=speeds, cog=courses, heading=headings,
       status=st.integers(0, 15), cls=st.sampled_from([1, 2, 3, 18]))
def test_position_round_trip(tmp_path, mmsi, lat, lon, sog, cog, heading, status, cls):
    data = {"type": cls, "mmsi": mmsi, "lat": lat / 600000, "lon": lon / 600000, "speed": sog / 10,
            "course": cog / 10, "heading": heading, "status": status}
    sentences = encode_dict(data, talker_id="AI", sentence_type="VDM")
    _chunks, f = run(tmp_path, [tag(1_600_000_000) + s for s in sentences])
    assert len(f) == 1
    r = f.iloc[0]
    ref = pyais.decode(*sentences)
    assert r.mmsi == mmsi
    assert r.lat == pytest.approx(ref.lat, abs=1e-6) and abs(r.lat - lat / 600000) <= 1 / 600000
    assert r.lon == pytest.approx(ref.lon, abs=1e-6) and abs(r.lon - lon / 600000) <= 1 / 600000
    assert r.sog_kn == pytest.approx(ref.speed, abs=1e-4) and r.cog_deg == pytest.approx(ref.course, abs=1e-4)
    assert r.heading_deg == ref.heading == heading
    if cls == 18:
        assert pd.isna(r.nav_status) and r.ais_class == "B"
    else:
        assert r.nav_status == status and r.ais_class == "A"
    assert r.timestamp == pd.Timestamp(1_600_000_000, unit="s", tz="UTC")


@SETTINGS
@given(mmsi=mmsis, name=SIXBIT_TEXT, call=st.text(alphabet=string.ascii_uppercase + string.digits, max_size=7),
       dest=SIXBIT_TEXT, imo=st.integers(0, 2**30 - 1), shiptype=SHIP_TYPES,
       draught=st.integers(0, 255), bow=st.integers(0, 511), stern=st.integers(0, 511),
       port=st.integers(0, 63), star=st.integers(0, 63), seq=st.integers(0, 9))
def test_type5_round_trip_onto_positions(tmp_path, mmsi, name, call, dest, imo, shiptype, draught, bow, stern, port,
                                        star, seq):
    five = encode_dict({"type": 5, "mmsi": mmsi, "shipname": name, "callsign": call, "imo": imo,
                        "ship_type": shiptype, "draught": draught / 10, "destination": dest, "to_bow": bow,
                        "to_stern": stern, "to_port": port, "to_starboard": star},
                       talker_id="AI", sentence_type="VDM", seq_id=seq)
    pos = encode_dict({"type": 1, "mmsi": mmsi, "lat": 1.0, "lon": 2.0}, talker_id="AI", sentence_type="VDM")[0]
    lines = [tag(1_600_000_000) + s for s in five] + [tag(1_600_000_010) + pos]
    chunks, f = run(tmp_path, lines)
    assert len(f) == 1
    r = f.iloc[0]

    def text(x):
        x = x.strip()
        return None if x == "" else x

    assert (None if pd.isna(r.vessel_name) else r.vessel_name) == text(name)
    assert (None if pd.isna(r.call_sign) else r.call_sign) == text(call)
    assert (None if pd.isna(r.destination) else r.destination) == text(dest)
    assert r.imo == imo and r.vessel_type == shiptype
    assert r.draught_m == pytest.approx(draught / 10, abs=1e-4)
    assert r.length_m == bow + stern and r.width_m == port + star
    assert chunks[0].skipped == {"static_msg": 1, "multipart_fragment": len(five) - 1}


_AIS_CHARS = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"
_good = ["!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
         "!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
         "!AIVDM,2,2,1,A,88888888880,2*25", "$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17",
         "\\c:1577836800*5F\\!AIVDM,1,1,,B,B39H9GP0;@H136UI3ijEowU5oP06,0*14"]


@st.composite
def nmea_line(draw):
    kind = draw(st.integers(0, 5))
    if kind == 0:  # random garbage, possibly with sentence-like pieces
        return draw(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80))
    if kind == 1:  # truncated real sentence
        s = draw(st.sampled_from(_good))
        return s[: draw(st.integers(0, len(s)))]
    if kind == 2:  # corrupted character (checksum then fails or a field breaks)
        s = draw(st.sampled_from(_good))
        i = draw(st.integers(0, len(s) - 1))
        return s[:i] + draw(st.sampled_from("!,*\\0AZ@w")) + s[i + 1:]
    if kind == 3:  # random but correctly checksummed sentence
        total = draw(st.integers(0, 10))
        part = draw(st.integers(0, 10))
        payload = draw(st.text(alphabet=_AIS_CHARS + ",", max_size=90))
        body = f"AIVDM,{total},{part},{draw(st.sampled_from(['', '1', '12']))},A,{payload},{draw(st.integers(0, 9))}"
        return draw(st.sampled_from(["", "\\c:1577836800*5F\\"])) + f"!{body}*{cs(body)}"
    return draw(st.sampled_from([*_good, "", "# comment", "$GPRMC,1,2,3*00"]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(nmea_line(), min_size=1, max_size=30), chunk_rows=st.sampled_from([1, 3, 1000]))
def test_garbage_never_crashes_and_every_line_is_accounted_for(tmp_path, lines, chunk_rows):
    p = tmp_path / "g.nmea"
    p.write_text("\n".join(lines) + "\n", encoding="latin-1")
    chunks = list(nmea.read(p, assume_time="2020-01-01", chunk_rows=chunk_rows))
    n_physical = len(p.read_bytes().split(b"\n")) - 1
    sentences = non_ais = 0
    for c in chunks:
        ais_skipped = sum(v for k, v in c.skipped.items() if k not in nmea.NON_AIS_KINDS)
        assert c.rows_read == len(c.frame) + len(c.rejects) + ais_skipped
        sentences += c.rows_read
        non_ais += sum(v for k, v in c.skipped.items() if k in nmea.NON_AIS_KINDS)
        assert set(c.rejects.reason) <= {"bad_checksum", "malformed_sentence", "incomplete_multipart", "bad_payload"}
        assert c.rejects.row.between(1, n_physical).all() and c.frame.source_row.between(1, n_physical).all()
        assert np.isfinite(c.frame.lat).all()
    # a physical line holds one item, or several sentences
    assert sentences + non_ais >= n_physical
