"""Format and layout recognition by content, not by file name."""

from __future__ import annotations

import pandas as pd
import pytest

from vesseltrack.errors import InputError
from vesseltrack.ingest import load, sniff
from vesseltrack.ingest.layouts import match_columns, norm
from vesseltrack.ingest.sniff import detect_delimiter, expand

from .helpers import gz, marinecadastre, write, zipped

LAYOUT_HEADERS = {
    "marinecadastre": "BaseDateTime,LON,LAT,MMSI,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TranscieverClass,ETA",  # noqa: E501
    "marinecadastre_points": "MMSI,BaseDateTime,LAT,LON,segment_id",
    "dma_aisdk": ",# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type",  # noqa: E501
    "nari": "sourcemmsi,navigationalstatus,rateofturn,speedoverground,courseoverground,trueheading,lon,lat,t",
    "barentswatch": "courseOverGround,latitude,longitude,name,rateOfTurn,shipType,speedOverGround,trueHeading,navigationalStatus,mmsi,msgtime,stream",  # noqa: E501
    "damast": "mmsi;imo_nr;length;date_time_utc;lon;lat;sog;cog;true_heading;nav_status;message_nr",
    "anonymised_id": "\ufeffID,ais_pos_timestamp,longitude,latitude",
    "exactearth": '"MMSI","Message_ID","Repeat_indicator","Time","Millisecond","Longitude","Latitude"',
    "generic": "user_id\tdatetime\ty\tx",
}


@pytest.mark.parametrize("layout", sorted(LAYOUT_HEADERS))
def test_layout_names(tmp_path, layout):
    p = write(tmp_path, "data.txt", LAYOUT_HEADERS[layout] + "\n")
    assert sniff(p) == layout


def test_content_not_extension(tmp_path):
    csv_path = marinecadastre(tmp_path, name="looks_like.parquet")
    assert sniff(csv_path) == "marinecadastre"
    pq_path = tmp_path / "looks_like.csv"
    pd.DataFrame({"mmsi": [244000000], "timestamp": ["2024-01-01"], "lat": [1.0], "lon": [2.0]}).to_parquet(pq_path)
    assert sniff(pq_path) == "parquet"


def test_gzip_and_zip(tmp_path):
    plain = marinecadastre(tmp_path)
    assert sniff(gz(plain)) == "marinecadastre"
    one = zipped(tmp_path, "one.zip", {"a.csv": plain.read_bytes()})
    assert sniff(one) == "marinecadastre"
    two = zipped(tmp_path, "two.zip", {"a.csv": plain.read_bytes(), "b.csv": plain.read_bytes(), "dir/": b""})
    assert sniff(two) == "zip"
    assert [s.name for s in expand(two)] == [f"{two}:a.csv", f"{two}:b.csv"]


def test_nmea(tmp_path):
    p = write(tmp_path, "feed.txt", "# comment\n!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\n")
    assert sniff(p) == "nmea"
    p = write(tmp_path, "feed2.txt", "\\s:2573345,c:1617235200*0E\\!BSVDO,1,1,,A,13aEOK?P00PD2wVMdLDRhgvL289?,0*26\n")
    assert sniff(p) == "nmea"


@pytest.mark.parametrize(("line", "delim"), [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("a|b|c", "|"),
                                             ('"x,y";b;c', ";")])
def test_delimiters(line, delim):
    assert detect_delimiter(line) == delim


def test_synonyms_are_normalised():
    assert norm("# Timestamp") == "timestamp"
    m = match_columns(["TIME_STAMP", "Mmsi", "Lat", "LNG", "Type of mobile"])
    assert m == {"mmsi": "Mmsi", "timestamp": "TIME_STAMP", "lat": "Lat", "lon": "LNG", "ais_class": "Type of mobile"}


def test_binary_garbage_is_refused(tmp_path):
    p = tmp_path / "x.bin"
    p.write_bytes(b"\x00\x01\x02garbage" * 10)
    with pytest.raises(InputError, match=r"x\.bin: binary content .* convert the file to CSV or Parquet"):
        sniff(p)


def _encrypted_zip(tmp_path, plain):
    """A zip whose member is flagged encrypted (zipfile cannot write one: set the flag bits)."""
    path = zipped(tmp_path, "locked.zip", {"a.csv": plain.read_bytes()})
    data = bytearray(path.read_bytes())
    data[data.find(b"PK\x03\x04") + 6] |= 1  # local header: general purpose flags
    data[data.find(b"PK\x01\x02") + 8] |= 1  # central directory entry: general purpose flags
    path.write_bytes(bytes(data))
    return path


def test_encrypted_zip_member_is_one_line(tmp_path):
    path = _encrypted_zip(tmp_path, marinecadastre(tmp_path))
    with pytest.raises(InputError, match=r"locked\.zip: zip member a\.csv is encrypted; expected") as err:
        load(path)
    assert "\n" not in str(err.value)


def _big_csv(tmp_path):
    rows = [f"{244_000_000 + i % 50},2024-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d},"
            f"{50 + (i * 7919 % 1000) / 1000:.4f},{4 + (i * 104729 % 1000) / 1000:.4f},1.0,10.0,95,SHIP {i}"
            for i in range(40_000)]
    return write(tmp_path, "big.csv", "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9])
def test_truncated_gzip_is_one_line(tmp_path, cut):
    """Cut short anywhere (in the first 64 kB sniffed, or later while streaming): one line naming the file."""
    full = gz(_big_csv(tmp_path)).read_bytes()
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(full[: int(len(full) * cut)])
    with pytest.raises(InputError, match=r"cut\.csv\.gz: cannot read the file.*([Cc]ompressed|[Tt]runcated)") as err:
        load(path)
    assert "\n" not in str(err.value)


def _damage_middle(path):
    """Zero 64 bytes in the middle of the file (past the first 64 kB of a member's deflate data)."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    data[mid:mid + 64] = bytes(64)
    path.write_bytes(bytes(data))


def test_corrupt_zip_member_is_one_line(tmp_path):
    """A zip member whose deflate data is damaged past the first 64 kB: one line, not a zlib traceback."""
    path = zipped(tmp_path, "bad.zip", {"big.csv": _big_csv(tmp_path).read_bytes()})
    _damage_middle(path)
    with pytest.raises(InputError, match=r"bad\.zip:big\.csv: cannot read the file") as err:
        load(path)
    assert "\n" not in str(err.value)


def test_damaged_nmea_zip_member_leaves_no_temporary_file(tmp_path, monkeypatch):
    """The NMEA reader reads zip members from a temporary copy: a member that cannot be read is one
    line, and its partial copy is removed."""
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    line = "!AIVDM,1,1,,A,15M67FC000G?ufbE`FepT@3n00Sa,0*5F"
    body = "\n".join(f"\\c:{1_700_000_000 + i}*00\\{line}" for i in range(60_000)).encode()
    path = zipped(tmp_path, "log.zip", {"log.nmea": body})
    _damage_middle(path)
    with pytest.raises(InputError, match=r"log\.zip:log\.nmea: cannot read the file") as err:
        load(path)
    assert "\n" not in str(err.value)
    assert list((tmp_path / "tmp").iterdir()) == []
