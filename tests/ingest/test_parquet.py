"""Parquet reader: POSITIONS round trip, synonyms, timestamp types, dictionary strings, chunks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import make_positions
from vesseltrack import schema
from vesseltrack.errors import InputError
from vesseltrack.ingest import load

from .helpers import gz, zipped


def positions():
    return make_positions([
        dict(mmsi=244_000_000, t="2024-01-01T00:00", lat=52.0, lon=4.0, sog_kn=10.0, vessel_name="A", imo=9307839,
             nav_status=0, vessel_type=80, ais_class="A"),
        dict(mmsi=244_000_000, t="2024-01-01T00:10", lat=52.1, lon=4.1, sog_kn=11.0, vessel_name="A"),
        dict(mmsi=366_999_618, t="2024-01-01T00:05", lat=40.0, lon=-74.0, destination="NEW YORK"),
    ])


def test_positions_round_trip_in_chunks(tmp_path):
    src = positions()
    path = tmp_path / "p.parquet"
    src.to_parquet(path, index=False, row_group_size=2)
    res = load(path, chunk_rows=1)
    schema.validate(res.positions, schema.POSITIONS)
    assert res.counts["rows_read"] == 3 and res.counts["files"][0]["format"] == "parquet"
    out = res.positions
    for c in schema.names(schema.POSITIONS):
        if isinstance(src[c].dtype, pd.CategoricalDtype):
            assert out[c].astype(object).tolist() == src[c].astype(object).tolist(), c
        else:
            pd.testing.assert_series_equal(out[c], src[c], check_names=False)


@pytest.mark.parametrize(
    "column",
    [
        pa.array(["2024-01-01T01:00:00+01:00"]),
        pa.array(["2024-01-01 00:00:00"]),
        pa.array([1_704_067_200], pa.int64()),
        pa.array([1_704_067_200_000], pa.int64()),
        pa.array([pd.Timestamp("2024-01-01")], pa.timestamp("ms")),
        pa.array([pd.Timestamp("2024-01-01T09:00", tz="Asia/Tokyo")], pa.timestamp("us", "Asia/Tokyo")),
    ],
)
def test_timestamp_types(tmp_path, column):
    table = pa.table({"MMSI": pa.array([244_000_000], pa.int64()), "BaseDateTime": column,
                      "LAT": [52.0], "LON": [4.0]})
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    p = load(path).positions
    assert p["timestamp"].tolist() == [pd.Timestamp("2024-01-01", tz="UTC")]


def test_damast_columns_dictionary_strings_and_bad_rows(tmp_path):
    table = pa.table({
        "mmsi": pa.array([209318000, 12, 209318001], pa.int64()),
        "imo_nr": pa.array([9754446, 0, 1], pa.int64()),
        "date_time_utc": ["2022-09-01 12:55:35", "2022-09-01 12:55:36", "garbage"],
        "lon": [5.3, 5.4, 5.5], "lat": [59.3, 59.4, 59.5],
        "name": pa.array([" NORNE@@", "X", None]).dictionary_encode(),
    })
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    res = load(path)
    schema.validate(res.rejects, schema.REJECTS)
    assert res.positions["vessel_name"].tolist() == ["NORNE"] and res.positions["imo"].tolist() == [9754446]
    assert res.rejects["reason"].tolist() == ["invalid_mmsi", "bad_timestamp"]
    assert res.rejects["row"].tolist() == [2, 3] and res.rejects["detail"].tolist()[1] == "timestamp=garbage"


def test_parquet_in_gzip_and_zip(tmp_path):
    path = tmp_path / "p.parquet"
    positions().to_parquet(path, index=False)
    assert len(load(gz(path)).positions) == 3
    z = zipped(tmp_path, "p.zip", {"p.parquet": path.read_bytes()})
    res = load(z)
    assert res.counts["files"][0]["file"] == f"{z}:p.parquet" and len(res.positions) == 3


def test_truncated_parquet(tmp_path):
    path = tmp_path / "p.parquet"
    positions().to_parquet(path, index=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"p\.parquet: cannot read as Parquet .*check it is complete"):
        load(path)


def test_unknown_parquet_layout(tmp_path):
    path = tmp_path / "ports.parquet"
    pd.DataFrame({"port": ["X"], "lat": [1.0], "lon": [2.0]}).to_parquet(path)
    with pytest.raises(
        InputError, match=r"ports\.parquet: cannot recognise the layout: columns for \['mmsi', 'timestamp'\]"
    ):
        load(path)


def test_no_object_columns(tmp_path):
    path = tmp_path / "p.parquet"
    positions().to_parquet(path, index=False)
    out = load(path).positions
    assert not any(out[c].dtype == np.dtype("O") for c in out.columns)


def test_timestamp_beyond_ns_range_is_rejected(tmp_path):
    table = pa.table({"mmsi": pa.array([244_000_000, 244_000_001], pa.int64()),
                      "timestamp": pa.array([1_704_067_200_000, 32_503_680_000_000], pa.timestamp("ms")),  # 2024, 3000
                      "lat": [52.0, 52.0], "lon": [4.0, 4.0]})
    path = tmp_path / "far.parquet"
    pq.write_table(table, path)
    res = load(path)
    assert res.positions["mmsi"].tolist() == [244_000_000]
    assert res.rejects["reason"].tolist() == ["bad_timestamp"]


def test_batches_split_row_groups_evenly(tmp_path):
    from vesseltrack.ingest.parquet import batch_rows, read

    def meta(rows_per_group):
        table = pa.table({"x": np.zeros(rows_per_group * 2, dtype=np.int8)})
        pq.write_table(table, tmp_path / "t.parquet", row_group_size=rows_per_group)
        return pq.ParquetFile(tmp_path / "t.parquet").metadata

    assert batch_rows(meta(1000), 2000) == 2000  # groups smaller than a chunk
    assert batch_rows(meta(1048), 1000) == 1048  # up to a quarter larger: read whole
    assert batch_rows(meta(3000), 1000) == 1000  # three equal parts
    assert batch_rows(meta(2500), 1000) == 834   # 834 + 834 + 832, not 1000 + 1000 + 500
    src = positions()
    path = tmp_path / "p.parquet"
    src.to_parquet(path, row_group_size=3)
    chunks = list(read(path, chunk_rows=2))
    assert [len(c.frame) for c in chunks] == [2, 1]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "int96"])
def test_placeholder_times_are_row_rejects_in_every_unit(tmp_path, unit):
    """9999-12-31 and year 1500 (beyond nanoseconds) are bad_timestamp rows, not a refused file, and
    legacy INT96 times do not wrap to other dates (9999 read as nanoseconds gives 1816)."""
    import datetime as dt

    times = [dt.datetime(2024, 1, 1), dt.datetime(9999, 12, 31), dt.datetime(1500, 1, 1), None]
    arr = pa.array(times, pa.timestamp("us"))
    table = pa.table({"mmsi": pa.array([244_000_000] * 4, pa.int64()),
                      "timestamp": arr if unit == "int96" else arr.cast(pa.timestamp(unit)),
                      "lat": [52.0] * 4, "lon": [4.0] * 4})
    path = tmp_path / "placeholder.parquet"
    pq.write_table(table, path, use_deprecated_int96_timestamps=unit == "int96")
    res = load(path)
    assert res.positions["timestamp"].tolist() == [pd.Timestamp("2024-01-01", tz="UTC")]
    assert res.rejects["row"].tolist() == [2, 3, 4]
    assert set(res.rejects["reason"]) == {"bad_timestamp"}
    assert res.counts["rows_read"] == 4
