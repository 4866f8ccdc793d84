import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from vesseltrack.ingest import layouts
from vesseltrack.ingest.layouts import VESSEL_TYPE_TEXT, coded_column, vessel_type_code


@pytest.mark.parametrize(("text", "code"), [
    ("Tanker", 80), ("Oil/Chemical Tanker", 80), ("Crude Oil Tanker", 80), ("LNG Tanker", 80), ("LPG Carrier", 80),
    ("Bunkering Tanker", 80), ("Asphalt/Bitumen Tanker", 80),
    ("Bulk Carrier", 70), ("Container Ship", 70), ("General Cargo", 70), ("Ro-Ro Cargo", 70), ("Vehicles Carrier", 70),
    ("Passenger/Ro-Ro Cargo Ship", 60), ("Passenger", 60), ("Fishing Vessel", 30), ("Trawler", 30),
    ("Tug", 52), ("Towing", 31), ("Pilot Vessel", 50), ("Search & Rescue", 51), ("SAR", 51), ("Law enforcement", 55),
    ("Yacht", 37), ("Pleasure", 37), ("Sailing Vessel", 36), ("High Speed Craft", 40), ("HSC", 40), ("Dredger", 33),
    ("Port Tender", 53), ("Military ops", 35), ("Offshore Supply Ship", 90), ("Other", 90),
])
def test_ship_type_vocabularies_of_real_exports(text, code):
    assert vessel_type_code(pd.Series([text, text.upper(), f"  {text.lower()} "])).tolist() == [code] * 3


def test_unknown_ship_type_text_stays_empty_and_numbers_stay_numbers():
    got = coded_column(
        pa.array(["Undefined", "Unknown value", "80", "Crude Oil Tanker", None, "Bulk Carrier"]), VESSEL_TYPE_TEXT
    )
    assert np.isnan(got[[0, 1, 4]]).all() and got[[2, 3, 5]].tolist() == [80.0, 80.0, 70.0]


# --- columns with units or scales in their names; warnings for columns that map to nothing ---------

@pytest.mark.parametrize("header, canon, factor", [
    ("SPEED_KNOTSx10", "sog_kn", 0.1), ("DRAUGHT_METERSx10", "draught_m", 0.1), ("draft_cm", "draught_m", 0.01),
    ("Draught (dm)", "draught_m", 0.1), ("SOGx10", "sog_kn", 0.1), ("length_metres", "length_m", 1.0),
    ("COURSE_DEGx10", "cog_deg", 0.1), ("speed_kts", "sog_kn", 1.0), ("heading_x100", "heading_deg", 0.01),
])
def test_scaled_and_unit_columns_are_matched_and_scaled(header, canon, factor):
    mapping = layouts.match_columns(["MMSI", "BaseDateTime", "LAT", "LON", header])
    assert mapping[canon] == header
    assert layouts.column_scales(mapping).get(canon, 1.0) == factor


@pytest.mark.parametrize("header", ["speed_cm", "latx10", "SHIPTYPEx10", "draught_kn"])
def test_units_that_do_not_fit_are_not_matched(header):
    mapping = layouts.match_columns(["MMSI", "BaseDateTime", "LAT", "LON", header])
    assert header not in mapping.values()


def test_scaled_values_reach_the_positions(tmp_path):
    from vesseltrack.ingest import load

    p = tmp_path / "semi.csv"
    p.write_text("MMSI;TIMESTAMP_UTC;LAT;LON;SPEED_KNOTSx10;DRAUGHT_METERSx10;SHIP_NAME_TXT\n"
                 "219000001;2024-01-01T00:00:00Z;55.0;12.0;123;85;ALFA\n")
    res = load([p])
    assert res.positions["sog_kn"].iloc[0] == pytest.approx(12.3, abs=1e-5)
    assert res.positions["draught_m"].iloc[0] == pytest.approx(8.5, abs=1e-5)
    warnings = res.counts["files"][0]["warnings"]
    assert any("'SPEED_KNOTSx10' read as sog_kn = value x 0.1" in w for w in warnings)
    assert any("'SHIP_NAME_TXT'" in w and "vessel_name" in w for w in warnings)


def test_no_warning_when_what_a_column_resembles_is_filled():
    cols = [
        "# Timestamp",
        "Type of mobile",
        "MMSI",
        "Latitude",
        "Longitude",
        "Ship type",
        "Name",
        "Type of position fixing device",
    ]
    mapping = layouts.match_columns(cols)
    assert layouts.unmapped_warnings("f", cols, mapping) == []


def test_dimensions_from_the_reference_point_give_length_and_width():
    cols = ["MMSI", "Time", "Millisecond", "Longitude", "Latitude", "Message_ID", "Dimension_to_Bow",
            "Dimension_to_stern", "Dimension_to_port", "Dimension_to_starboard"]
    mapping = layouts.match_columns(cols)
    assert "length_m" not in mapping and mapping["to_bow"] == "Dimension_to_Bow"
    assert layouts.unmapped_warnings("f", cols, mapping) == []
    import pyarrow as pa

    table = pa.table({c: pa.array([1.0, 0.0]) for c in cols[5:]} | {"MMSI": pa.array([219000001, 219000001])})
    table = table.set_column(
        table.schema.get_field_index("Dimension_to_Bow"), "Dimension_to_Bow", pa.array([150.0, 0.0])
    )
    table = table.set_column(
        table.schema.get_field_index("Dimension_to_stern"), "Dimension_to_stern", pa.array([30.0, 0.0])
    )
    out = layouts.to_canonical(
        table, {k: v for k, v in mapping.items() if v in table.schema.names}, time_format=None, time_unit=None
    )
    assert list(out["length_m"]) == [180.0, 0.0]  # 0 + 0 is 'not available': clean.py makes it NaN


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_unrecognised_ship_type_texts_are_counted_and_reported(tmp_path, fmt):
    from vesseltrack.ingest import load

    df = pd.DataFrame({"MMSI": [219000001, 219000002, 219000003, 219000004],
                       "BaseDateTime": ["2024-01-01T00:00:00"] * 4, "LAT": [55.0] * 4, "LON": [12.0] * 4,
                       "VesselType": ["Oil/Chemical Tanker", "Floating Thing", "Floating Thing", "Undefined"]})
    path = tmp_path / f"types.{fmt}"
    df.to_csv(path, index=False) if fmt == "csv" else df.to_parquet(path, index=False)
    res = load([path])
    assert res.positions["vessel_type"].tolist()[0] == 80 and res.positions["vessel_type"].isna().tolist() == [
        False,
        True,
        True,
        True,
    ]
    (warning,) = res.counts["files"][0]["warnings"]
    assert "1 ship-type text(s) not recognised" in warning and "'Floating Thing' (2 rows)" in warning
