import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

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
    got = coded_column(pa.array(["Undefined", "Unknown value", "80", "Crude Oil Tanker", None, "Bulk Carrier"]), VESSEL_TYPE_TEXT)
    assert np.isnan(got[[0, 1, 4]]).all() and got[[2, 3, 5]].tolist() == [80.0, 80.0, 70.0]
