import numpy as np
import pandas as pd

from vesseltrack.detect import events as ev


def test_content_ids_are_the_prefix_and_the_hash_in_16_hex_digits():
    cols = (np.array(["gap", "gap"]), np.array([273000001, 412000002], dtype=np.int32),
            np.array([1_700_000_000_000_000_000, 1_700_000_360_000_000_000]), np.array([43.1, 35.0]),
            np.array([131.9, 129.5]))
    ids = ev.content_ids("G", *cols)
    # the ids events.csv has always carried (numpy's "%016x" formatting before the digits were spelt out)
    assert ids.dtype == np.dtype("<U17") and ids.tolist() == ["G4829a38ae0062117", "G3d970e363e392de0"]


def test_content_ids_spell_every_hash_as_python_formats_it():
    rng = np.random.default_rng(3)
    cols = (rng.integers(0, 2**62, 5000), rng.random(5000))
    hashes = pd.util.hash_pandas_object(pd.DataFrame({"c0": cols[0], "c1": cols[1]}), index=False).to_numpy()
    assert hashes.min() < 2**60 and hashes.max() >= 2**63  # leading zero digits and the top bit both occur
    for prefix, width in (("V", 17), ("Ab", 18), ("", 17)):
        ids = ev.content_ids(prefix, *cols)
        assert ids.dtype == np.dtype(f"<U{width}")
        assert ids.tolist() == [prefix + format(int(h), "016x") for h in hashes]
    assert ev.content_ids("G", np.array([], dtype=np.int64)).dtype == object


def test_build_reads_integer_nanoseconds_as_utc_times():
    positions = pd.DataFrame({
        "mmsi": np.array([273000001, 273000001], dtype=np.int32),
        "timestamp": pd.to_datetime(["2024-03-01T00:00:00.000000001Z", "2024-03-01T06:30:00Z"], utc=True,
                                    format="ISO8601"),
        "lat": [43.0, 43.5], "lon": [132.0, 132.5],
        "imo": pd.array([9358010, 9358010], dtype="Int32"),
        "vessel_name": pd.Categorical(["MAIA-1", None]),
        "vessel_type": pd.array([80, 80], dtype="Int16"),
    })
    out = ev.build("gap", positions, np.array([0]), np.array([1]))
    assert out["start_time"].tolist() == [pd.Timestamp("2024-03-01T00:00:00.000000001Z")]
    assert out["end_time"].tolist() == [pd.Timestamp("2024-03-01T06:30:00Z")]
    assert out["duration_h"].tolist() == [(6.5 * 3600e9 - 1) / 3.6e12]
    end_ns = np.array([positions["timestamp"].iloc[1].value])
    open_end = ev.build("gap", positions, np.array([0]), None, end_time=end_ns)
    assert open_end["end_time"].tolist() == [pd.Timestamp("2024-03-01T06:30:00Z")]
    assert np.isnan(open_end["end_lat"].iloc[0]) and str(open_end["end_time"].dtype) == "datetime64[ns, UTC]"
