"""Every real CSV / Parquet file under ../shared/data/ais loads with exact accounting."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import shared_ais
from vesseltrack import clean, schema
from vesseltrack.errors import InputError
from vesseltrack.ingest import load, sniff

pytestmark = pytest.mark.realdata

WPI = "reference_ports_nga_wpi/UpdatedPub150.csv"
FILES = [
    "tracktable_marinecadastre/NYHarbor_2020_06_30_first_hour.csv",
    "tracktable_marinecadastre/VirginiaBeach_2020_06_04_to_06_points.csv",
    "aisdb_testdata/test_data_noaa_20230101.csv",
    "aisdb_testdata/test_data_20210701.csv",
    "mobiml_tests/test_aisdk_20180208_sample.csv",
    "mobiml_tests/test_nari_dynamic.csv",
    "movingpandas_evergiven/boat-positions.csv",
    "damast_tests/test_ais.csv",
    "damast_tests/test_ais.parquet",
    "damast_tests/test_ais.barentswatch.csv",
]


def _check(res):
    schema.validate(res.positions, schema.POSITIONS)
    schema.validate(res.rejects, schema.REJECTS)
    c = res.counts
    assert c["rows_read"] == c["rows_kept"] + c["rows_rejected"] + c["rows_duplicate"] + c["rows_non_vessel"]
    assert len(res.rejects) == c["rows_rejected"] and len(res.positions) == c["rows_kept"]


def test_every_csv_and_parquet_file_is_covered():
    root = shared_ais()
    found = {str(p.relative_to(root)) for ext in ("*.csv", "*.parquet") for p in root.glob(f"*/{ext}")}
    assert found - {WPI} <= set(FILES), f"new real files to cover: {sorted(found - {WPI} - set(FILES))}"


@pytest.mark.parametrize("name", FILES)
def test_real_file_loads(name):
    path = shared_ais() / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    _check(load(path))


def test_all_real_files_together():
    root = shared_ais()
    paths = [root / f for f in FILES if (root / f).exists()]
    res = load(paths)
    _check(res)
    assert len(res.counts["files"]) == len(paths)


def test_wpi_port_list_is_not_ais():
    path = shared_ais() / WPI
    with pytest.raises(
        InputError,
        match=r"UpdatedPub150\.csv: cannot recognise the layout: columns for \['mmsi', 'timestamp'\] not found; received columns \['World Port Index Number'.*pass --column-map",  # noqa: E501
    ):
        load(path)


def test_ny_harbor_facts():
    res = load(shared_ais() / FILES[0])
    c = res.counts
    assert c["rows_read"] == 8_689 and c["files"][0]["format"] == "marinecadastre"
    assert res.positions["mmsi"].nunique() == 295
    assert (res.positions["cog_deg"].dropna() >= 0).all()  # signed COG taken mod 360
    assert res.positions["timestamp"].min() == pd.Timestamp("2020-06-30T00:00:00Z")
    assert res.positions["timestamp"].max() <= pd.Timestamp("2020-06-30T00:59:59Z")
    assert res.positions["ais_class"].isin(["A", "B"]).all()


def test_exactearth_sentinels_rejected():
    path = shared_ais() / FILES[3]
    raw = pd.read_csv(path, dtype=str, usecols=["MMSI", "Latitude", "Longitude"])
    res = load(path)
    assert res.counts["files"][0]["format"] == "exactearth" and res.counts["rows_read"] == len(raw)
    station = clean.non_vessel_kind(pd.to_numeric(raw["MMSI"]).to_numpy(float)) >= 0  # set aside, not rejected
    sentinel = ((raw["Latitude"] == "91.0") | (raw["Longitude"] == "181.0")).to_numpy()
    sentinel_rows = set((raw.index[sentinel & ~station] + 1).tolist())
    assert sentinel_rows and sum(k["rows"] for k in res.counts["non_vessel"].values()) == int(station.sum())
    rej = res.rejects.set_index("row")
    assert sentinel_rows <= set(rej.index)
    reasons = set(rej.loc[sorted(sentinel_rows), "reason"])
    assert reasons <= {"missing_position", "invalid_mmsi"} and "missing_position" in reasons
    assert res.positions["lat"].between(-90, 90).all()


def test_evergiven_anonymised_ids_and_layouts():
    root = shared_ais()
    res = load(root / FILES[6])
    assert res.counts["rows_read"] == 22_287 and res.positions["mmsi"].between(1, 256).all()
    assert res.positions["mmsi"].nunique() == 256
    assert sniff(root / FILES[4]) == "dma_aisdk" and sniff(root / FILES[5]) == "nari"
    assert sniff(root / FILES[7]) == "damast" and sniff(root / FILES[8]) == "parquet"


def test_damast_csv_and_parquet_agree():
    root = shared_ais()
    a = load(root / FILES[7]).positions
    b = load(root / FILES[8]).positions
    pd.testing.assert_frame_equal(a, b, check_categorical=False)
