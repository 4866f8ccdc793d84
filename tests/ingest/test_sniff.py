"""Format and layout recognition by content, not by file name."""

from __future__ import annotations

import pandas as pd
import pytest

from vesseltrack.errors import InputError
from vesseltrack.ingest import sniff
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
