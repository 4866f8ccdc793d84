"""CSV reader: known answers for each layout, timestamps, malformed lines, column maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vesseltrack import schema
from vesseltrack.errors import ConfigError, InputError
from vesseltrack.ingest import csv as csv_reader
from vesseltrack.ingest import load

from .helpers import marinecadastre, write


def ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s, tz="UTC")


def check(res):
    schema.validate(res.positions, schema.POSITIONS)
    schema.validate(res.rejects, schema.REJECTS)
    c = res.counts
    assert c["rows_read"] == c["rows_kept"] + c["rows_rejected"] + c["rows_duplicate"]
    assert len(res.rejects) == c["rows_rejected"]
    for f in c["files"]:
        assert f["rows_read"] == f["rows_kept"] + f["rows_rejected"] + f["rows_duplicate"]
    return res


def test_marinecadastre_known_answer(tmp_path):
    res = check(load(marinecadastre(tmp_path)))
    p = res.positions
    assert res.counts["files"][0]["format"] == "marinecadastre"
    assert p["mmsi"].tolist() == [367752440, 440058000, 636021061]  # sorted by mmsi
    row = p.iloc[2]
    assert row["imo"] == 9307839 and row["vessel_name"] == "MSC NAISHA III" and row["call_sign"] == "5LCB4"
    assert row["vessel_type"] == 70 and row["nav_status"] == 8 and row["draught_m"] == 8.0
    assert row["length_m"] == 208.0 and row["ais_class"] == "A" and row["cog_deg"] == np.float32(272.7)
    sentinel = p.iloc[1]  # SOG 102.3, COG -60.6, heading 511, type 0, status 15, draught 0
    assert np.isnan(sentinel["sog_kn"]) and np.isnan(sentinel["heading_deg"]) and np.isnan(sentinel["draught_m"])
    assert sentinel["cog_deg"] == pytest.approx(299.4, abs=1e-4)
    assert pd.isna(sentinel["vessel_type"]) and pd.isna(sentinel["nav_status"]) and sentinel["ais_class"] == "B"
    assert np.isnan(p.iloc[0]["cog_deg"])  # COG 360
    assert p["timestamp"].tolist()[0] == ts("2023-01-11T00:00:00")


def test_dma_aisdk_day_first_and_text_codes(tmp_path):
    text = (
        ",# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type\n"  # noqa: E501
        "60,08/02/2018 13:04:05,Class A,265177000,57.602225,11.644943,Under way using engine,0.0,15.7,61.4,63.0,Unknown,,,Undefined,,,,Undefined,,,,AIS\n"  # noqa: E501
        "92,09/02/2018 00:00:00,Class B,244678000,57.549578,11.666492,At anchor,-5.4,0.2,162.7,227.0,IMO9203588,PBXX,MY SHIP NAME,Tanker,,20,120,GPS,7.5,ROTTERDAM,,AIS\n"  # noqa: E501
    )
    res = check(load(write(tmp_path, "aisdk.csv", text)))
    p = res.positions
    assert res.counts["files"][0]["format"] == "dma_aisdk"
    a, b = p.iloc[0], p.iloc[1]  # sorted: 244678000 first
    assert b["timestamp"] == ts("2018-02-08T13:04:05") and a["timestamp"] == ts("2018-02-09T00:00:00")
    assert b["nav_status"] == 0 and a["nav_status"] == 1 and b["ais_class"] == "A" and a["ais_class"] == "B"
    assert a["vessel_type"] == 80 and pd.isna(b["vessel_type"]) and a["imo"] == 9203588 and pd.isna(b["imo"])
    assert a["vessel_name"] == "MY SHIP NAME" and a["destination"] == "ROTTERDAM" and a["width_m"] == 20.0


def test_nari_epoch_seconds(tmp_path):
    text = ("sourcemmsi,navigationalstatus,rateofturn,speedoverground,courseoverground,trueheading,lon,lat,t\n"
            "245257000,0,0,0.1,13.1,36,-4.4657183,48.38249,1443650402\n"
            "227705102,15,-127,0,262.7,511,-4.4965715,48.38242,1443650403\n")
    p = check(load(write(tmp_path, "nari.csv", text))).positions
    assert p["timestamp"].tolist() == [ts("2015-09-30T22:00:03"), ts("2015-09-30T22:00:02")]
    assert np.isnan(p["heading_deg"].iloc[0]) and pd.isna(p["nav_status"].iloc[0])


def test_exactearth_time_millisecond_and_sentinels(tmp_path):
    text = (
        '"MMSI","Message_ID","Time","Millisecond","Vessel_Name","Ship_Type","Longitude","Latitude","SOG","COG","Heading"\n'
        '"432905000","1","20210701_185151","680","","","-103.63687","8.87747666667","13.6","314.8","315.0"\n'
        '"366773000","3","20210701_185154","560","","","181.0","91.0","17.0","136.1","134.0"\n'
        '"366773001","5","20210701_185154","0","SHIP@@@@","70","","","","",""\n'
    )
    res = check(load(write(tmp_path, "ee.csv", text)))
    assert res.counts["files"][0]["format"] == "exactearth"
    assert res.positions["timestamp"].tolist() == [ts("2021-07-01T18:51:51.680")]
    assert res.rejects["reason"].tolist() == ["missing_position", "missing_position"]
    assert res.rejects["row"].tolist() == [2, 3]
    assert res.rejects["detail"].iloc[0] == "lat=91 lon=181"


def test_damast_semicolons(tmp_path):
    text = ("mmsi;imo_nr;length;date_time_utc;lon;lat;sog;cog;true_heading;nav_status;message_nr\n"
            "209318000;9754446;131;2022-09-01 12:55:35;5.32934;59.3159;12.1;355.7;355;0;1\n")
    p = check(load(write(tmp_path, "d.csv", text))).positions
    assert p.iloc[0]["imo"] == 9754446 and p.iloc[0]["length_m"] == 131 and p.iloc[0]["heading_deg"] == 355
    assert p.iloc[0]["timestamp"] == ts("2022-09-01T12:55:35")


def test_barentswatch_none_strings_and_offsets(tmp_path):
    text = (
        "courseOverGround,latitude,longitude,name,shipType,speedOverGround,trueHeading,navigationalStatus,mmsi,msgtime\n"
        "None,70.981065,25.970162,SARNES 3,60,0,None,0,257027430,2026-06-30T07:49:19+02:00\n"
    )
    res = check(load(write(tmp_path, "bw.csv", text)))
    p = res.positions
    assert res.counts["files"][0]["format"] == "barentswatch"
    assert p["timestamp"].iloc[0] == ts("2026-06-30T05:49:19")
    assert np.isnan(p["cog_deg"].iloc[0]) and p["vessel_name"].iloc[0] == "SARNES 3" and p["vessel_type"].iloc[0] == 60


def test_bom_and_anonymised_ids(tmp_path):
    text = "\ufeffID,ais_pos_timestamp,longitude,latitude\n1,20/03/2021 00:22,32.32925,31.4386\n1,20/03/2021 01:25,32.3986,31.40955\n"  # noqa: E501
    res = check(load(write(tmp_path, "eg.csv", text)))
    p = res.positions
    assert p["mmsi"].tolist() == [1, 1]
    assert p["timestamp"].tolist() == [ts("2021-03-20T00:22"), ts("2021-03-20T01:25")]
    with pytest.raises(InputError, match=r"all 2 rows rejected \(invalid_mmsi: 2\)"):
        load(write(tmp_path, "eg.csv", text), strict_mmsi=True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01T12:00:00Z", "2024-03-01T12:00:00"),
        ("2024-03-01T14:00:00+02:00", "2024-03-01T12:00:00"),
        ("2024-03-01 12:00:00", "2024-03-01T12:00:00"),
        ("2024-03-01T12:00:00.250", "2024-03-01T12:00:00.250"),
        ("1709294400", "2024-03-01T12:00:00"),
        ("1709294400000", "2024-03-01T12:00:00"),
        ("01/03/2024 12:00:00", "2024-03-01T12:00:00"),
        ("01/03/2024 12:00", "2024-03-01T12:00:00"),
        ("20240301_120000", "2024-03-01T12:00:00"),
    ],
)
def test_timestamp_forms(tmp_path, value, expected):
    p = load(write(tmp_path, "t.csv", f"mmsi\ttimestamp\tlat\tlon\n244000000\t{value}\t52\t4\n")).positions
    assert p["timestamp"].tolist() == [ts(expected)]
    assert str(p["timestamp"].dtype) == schema.UTC_NS


def test_mixed_offsets_and_bad_times(tmp_path):
    text = ("mmsi,timestamp,lat,lon\n244000000,2024-03-01T12:00:00Z,52,4\n244000000,2024-03-01T13:00:00+01:00,52,4.1\n"
            "244000000,not a time,52,4\n244000000,,52,4\n")
    res = check(load(write(tmp_path, "t.csv", text)))
    assert res.positions["timestamp"].tolist() == [ts("2024-03-01T12:00")] * 2
    assert res.rejects["reason"].tolist() == ["bad_timestamp"] * 2
    assert res.rejects["detail"].tolist() == ["timestamp=not a time", "timestamp=missing"]


def test_malformed_rows_and_numbers(tmp_path, monkeypatch):
    rows = [f"24400000{i},2024-03-01T12:00:0{i},52,4" for i in range(8)]
    rows[2] = "244000002,2024-03-01T12:00:02,52"  # too few fields
    rows[5] = "244000005,2024-03-01T12:00:05,52,4,extra"  # too many
    path = write(tmp_path, "m.csv", "mmsi,timestamp,lat,lon\n" + "\n".join(rows) + "\n")
    for chunk_rows, min_block in [(1_000_000, csv_reader.MIN_BLOCK), (2, 40)]:
        monkeypatch.setattr(csv_reader, "MIN_BLOCK", min_block)
        res = check(load(path, chunk_rows=chunk_rows))
        assert res.rejects["reason"].tolist() == ["malformed_row", "malformed_row"]
        assert res.rejects["row"].tolist() == [3, 6]
        assert res.rejects["detail"].iloc[0] == rows[2]
        assert res.counts["rows_read"] == 8 and res.counts["rows_kept"] == 6
    # source rows of kept rows stay exact across blocks: a bad value in row 8 is reported as row 8
    rows[7] = "244000007,2024-03-01T12:00:07,95,4"
    path = write(tmp_path, "m.csv", "mmsi,timestamp,lat,lon\n" + "\n".join(rows) + "\n")
    res = check(load(path, chunk_rows=2))
    assert res.rejects["row"].tolist() == [3, 6, 8]


def test_column_map_and_options(tmp_path):
    text = "ship;when;north;east;knots\n244000000;2024/03/01 12h00;52.5;4.5;10.5\n"
    path = write(tmp_path, "custom.csv", text)
    cmap = {"mmsi": "ship", "timestamp": "when", "lat": "north", "lon": "east", "sog_kn": "knots",
            "timestamp_format": "%Y/%m/%d %Hh%M"}
    res = check(load(path, column_map=cmap))
    assert res.positions["timestamp"].tolist() == [ts("2024-03-01T12:00")]
    assert res.positions["sog_kn"].tolist() == [10.5] and res.counts["files"][0]["format"] == "generic"
    epoch = write(tmp_path, "e.csv", "id,ms,la,lo\n244000000,1709294400000,1,2\n")
    p = load(
        epoch, column_map={"mmsi": "id", "timestamp": "ms", "lat": "la", "lon": "lo", "timestamp_unit": "ms"}
    ).positions
    assert p["timestamp"].tolist() == [ts("2024-03-01T12:00")]


def test_bad_column_map(tmp_path):
    path = marinecadastre(tmp_path)
    with pytest.raises(ConfigError, match=r"unknown columns \['speed'\]; expected keys among \[.*'sog_kn'"):
        load(path, column_map={"speed": "SOG"})
    with pytest.raises(
        ConfigError,
        match=r"mc\.csv: column map names source columns \['Speed'\] that are not in the file; received columns \['MMSI'",  # noqa: E501
    ):
        load(path, column_map={"sog_kn": "Speed"})


def test_unknown_layout(tmp_path):
    path = write(tmp_path, "ports.csv", "Port Name,Latitude,Longitude\nRotterdam,51.9,4.1\n")
    with pytest.raises(
        InputError,
        match=r"ports\.csv: cannot recognise the layout: columns for \['mmsi', 'timestamp'\] "
        r"not found; received columns \['Port Name', 'Latitude', 'Longitude'\]; pass --column-map",
    ):
        load(path)


def test_unparseable_numbers_become_missing(tmp_path):
    text = "mmsi,timestamp,lat,lon,sog\n244000000,2024-03-01T12:00:00,52,4,fast\nABC,2024-03-01T12:00:00,52,4,1\n"
    res = check(load(write(tmp_path, "n.csv", text)))
    assert np.isnan(res.positions["sog_kn"].iloc[0])
    assert res.rejects["reason"].tolist() == ["invalid_mmsi"] and res.rejects["detail"].tolist() == ["mmsi=ABC"]


def test_month_first_when_the_sample_proves_it(tmp_path):
    text = "mmsi,timestamp,lat,lon\n244000000,03/25/2024 12:00:00,52,4\n244000000,03/26/2024 12:00:00,52,4\n"
    p = load(write(tmp_path, "us.csv", text)).positions
    assert p["timestamp"].tolist() == [ts("2024-03-25T12:00"), ts("2024-03-26T12:00")]


def test_id_column_is_not_an_mmsi_claim(tmp_path):
    text = "id,time,lat,lon\n7,2024-03-01T12:00:00,52,4\n"
    assert load(write(tmp_path, "anon.csv", text)).positions["mmsi"].tolist() == [7]


def test_crlf_line_ends_and_quotes(tmp_path):
    text = 'MMSI,BaseDateTime,LAT,LON,VesselName\r\n244000000,2024-03-01T12:00:00,52,4,"NAME, WITH COMMA"\r\n'
    p = check(load(write(tmp_path, "win.csv", text))).positions
    assert p["vessel_name"].tolist() == ["NAME, WITH COMMA"] and p["lon"].tolist() == [4.0]


def test_not_utf8(tmp_path):
    """A row that is not UTF-8 is a bad_encoding reject (tests/ingest/test_records.py has more); a file
    of nothing else is refused in one line that says how to fix it."""
    text = "MMSI,BaseDateTime,LAT,LON,VesselName\n244000000,2024-03-01T12:00:00,52,4,SKÅNE\n"
    with pytest.raises(InputError, match=r"latin\.csv: all 1 rows rejected \(bad_encoding: 1\).*re-encode the file"):
        load(write(tmp_path, "latin.csv", text, encoding="latin-1"))


def test_trailing_delimiter_on_every_data_line(tmp_path):
    text = "mmsi,timestamp,lat,lon\n244000000,2024-03-01T12:00:00,52,4,\n244000000,2024-03-01T12:01:00,52,4,\n"
    res = check(load(write(tmp_path, "trail.csv", text)))
    assert len(res.positions) == 2 and len(res.rejects) == 0


def test_text_in_a_number_column_in_a_later_block_gives_the_same_as_all_text(tmp_path):
    """Number columns are parsed as numbers; a block holding text there ("abc", a decimal comma)
    is parsed again as text, so such values still become NaN and their rows are judged by clean."""
    good = [
        f"2440000{i % 7:02d},2024-03-01T{i // 60 % 24:02d}:{i % 60:02d}:00,52.{i % 97:02d},4.{i % 89:02d},{i % 20}.5"
        for i in range(3000)
    ]
    bad = [
        *good[:2500],
        '244000001,2024-03-01T05:00:30,abc,4.1,"12,5"',
        "244000002,2024-03-01T05:01:30,52.2,4.2,N/A",
        *good[2500:],
    ]
    header = "MMSI,BaseDateTime,LAT,LON,SOG\n"
    path = write(tmp_path, "mixed.csv", header + "\n".join(bad) + "\n")
    res = load(path, chunk_rows=500)  # the text sits in a later block than the first
    check(res)
    assert res.counts["rows_read"] == 3002
    rej = res.rejects.set_index("row")
    assert rej.loc[2501, "reason"] == "missing_position"
    pos = res.positions
    odd = pos[(pos["mmsi"] == 244000002) & (pos["timestamp"] == pd.Timestamp("2024-03-01T05:01:30Z"))]
    assert len(odd) == 1 and np.isnan(odd["sog_kn"].iloc[0])
    # the same rows with every column read as text give the same table
    plain = write(tmp_path, "plain.csv", header + "\n".join(good) + "\n")
    a = load(plain, chunk_rows=500).positions
    b = pos[~((pos["mmsi"] == 244000002) & (pos["timestamp"] == pd.Timestamp("2024-03-01T05:01:30Z")))].reset_index(
        drop=True
    )
    pd.testing.assert_frame_equal(a, b, check_categorical=False)


def test_mmsi_codes_and_names_in_later_blocks_read_as_text_column_by_column(tmp_path):
    """MMSI, AIS code and IMO columns are parsed as numbers and ISO times as times; a block with
    text in one of them ('IMO9307839', 'Under way using engine', an MMSI 'abc', a zoned or
    unreadable time) has that column re-read as text from then on, with the same table as a file
    read as text throughout."""
    rows = [f"2440000{i % 7:02d},2024-03-01T{i // 60 % 24:02d}:{i % 60:02d}:00,52.{i % 97:02d},4.{i % 89:02d},"
            f"{9307839 + i % 3},{i % 9},SHIP {i % 5}" for i in range(3000)]
    odd = [
        "abc,2024-03-01T05:00:30,52.1,4.1,,0,X",
        "245000003,2024-03-01T05:01:30,52.2,4.2,IMO9307839,Under way using engine,Y",
        "245000004,2024-03-01T07:02:30+02:00,52.3,4.3,,1,Z",
        "245000005,yesterday,52.4,4.4,,1,Z",
    ]
    header = "MMSI,BaseDateTime,LAT,LON,IMO,Status,VesselName\n"
    path = write(tmp_path, "late.csv", header + "\n".join(rows[:2500] + odd + rows[2500:]) + "\n")
    late = load(path, chunk_rows=500)  # the text sits in a later block than the first
    first = write(tmp_path, "first.csv", header + "\n".join(odd + rows) + "\n")
    early = load(first, chunk_rows=500)  # text in the first block: those columns are text throughout
    check(late)
    pd.testing.assert_frame_equal(late.positions, early.positions, check_categorical=False)
    assert late.rejects["detail"].tolist() == early.rejects["detail"].tolist() == ["mmsi=abc", "timestamp=yesterday"]
    zoned = late.positions[late.positions["mmsi"] == 245000004]["timestamp"]
    assert zoned.tolist() == [pd.Timestamp("2024-03-01T05:02:30Z")]  # the offset applied
    ship = late.positions[late.positions["mmsi"] == 245000003]
    assert ship["imo"].tolist() == [9307839] and ship["nav_status"].tolist() == [0]
    assert set(late.positions["vessel_name"].astype(str)) == {f"SHIP {i}" for i in range(5)} | {"Y", "Z"}


def test_a_placeholder_time_beyond_2262_is_a_bad_timestamp_reject(tmp_path):
    """9999-12-31 (a common "no time" placeholder) is outside what nanoseconds hold: a reject, not a crash."""
    p = tmp_path / "big.csv"
    p.write_text("MMSI,BaseDateTime,LAT,LON\n273000001,2024-03-01T00:00:00,42.0,133.0\n"
                 "273000001,9999-12-31T00:00:00,42.0,133.0\n273000001,2024-03-01T01:00:00,42.1,133.1\n")
    got = load([p])
    assert len(got.positions) == 2 and got.counts["rows_read"] == 3
    assert got.rejects[["row", "reason"]].values.tolist() == [[2, "bad_timestamp"]]
