import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vesseltrack.store import bucket_of


def test_bucket_of_is_stable_across_runs_and_machines():
    # splitmix64 computed in plain Python integers: a change here re-partitions every existing store
    assert bucket_of(np.array([211234560, 211234561, 211234562]), 64).tolist() == _expected()


def _expected():
    out = []
    for m in (211234560, 211234561, 211234562):
        z = (m + 0x9E3779B97F4A7C15) % 2**64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) % 2**64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) % 2**64
        z ^= z >> 31
        out.append(z % 64)
    return out


@given(st.lists(st.integers(0, 999_999_999), min_size=1, max_size=50), st.integers(1, 512))
def test_bucket_of_is_in_range(mmsis, n):
    b = bucket_of(np.array(mmsis, dtype=np.int64), n)
    assert b.dtype == np.int32
    assert ((b >= 0) & (b < n)).all()


def test_bucket_of_spreads_one_fleet_evenly():
    counts = np.bincount(bucket_of(np.arange(211_000_000, 211_064_000), 64), minlength=64)
    assert counts.min() > 0.8 * counts.mean() and counts.max() < 1.2 * counts.mean()


def test_bucket_of_rejects_zero_buckets():
    with pytest.raises(ValueError, match="at least 1"):
        bucket_of(np.array([1]), 0)
