"""The partitioned AIS store: canonical positions as a Hive-partitioned Parquet dataset.

A vessel's rows all live in one partition, its *vessel bucket*: a stable hash of the MMSI, the
same on every machine, Python version and run (not Python's salted ``hash``). Engines that
process the store partition by partition rely on it: every vessel-local stage sees whole tracks.
"""

from __future__ import annotations

import numpy as np

#: Vessel buckets in a new store (partitions ``bucket=00`` ... ``bucket=63``).
DEFAULT_BUCKETS = 64


def bucket_of(mmsi: np.ndarray, n_buckets: int = DEFAULT_BUCKETS) -> np.ndarray:
    """The vessel bucket (0 <= b < n_buckets, int32) of each MMSI: splitmix64's finaliser of the
    MMSI, modulo ``n_buckets``. Stable across machines and runs; spreads consecutive MMSIs (one
    fleet, one country's MID) evenly over the buckets."""
    if n_buckets < 1:
        raise ValueError(f"n_buckets must be at least 1; got {n_buckets}")
    z = np.asarray(mmsi).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(n_buckets)).astype(np.int32)
