"""The stage functions every engine schedules (vesseltrack/stages.py): what partitions combine into."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from vesseltrack import scenarios, stages, zones
from vesseltrack.config import Config
from vesseltrack.engines.dask_engine import split

CONFIG = Config(n_estimators=20)


def test_a_digest_of_partitions_is_the_digest_of_the_whole():
    """stages.combine_digests of vessel partitions gives what stages.digest gives for all of them."""
    scenario = scenarios.generate(3, n_vessels=30, days=6)
    gaz = zones.build_gazetteer()
    whole = stages.tracks_stage(scenario.positions, CONFIG, gaz).positions
    want = stages.digest(whole)
    got = stages.combine_digests([stages.digest(stages.tracks_stage(p, CONFIG, gaz).positions)
                                  for p in split(scenario.positions, 4)])
    assert got.n_positions == want.n_positions and got.years == want.years
    assert (got.t_min, got.t_max) == (want.t_min, want.t_max)
    assert (got.vessel_ids == want.vessel_ids).all()
    for f in ("particulars", "draughts", "seen"):
        pd.testing.assert_frame_equal(getattr(got, f), getattr(want, f), check_categorical=False)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.integers(-2_000_000_000, 4_000_000_000), min_size=0, max_size=40))
def test_years_are_the_calendar_years_of_the_times(seconds):
    """stages._years (a search among year starts) gives what a calendar conversion of each time gives."""
    ts = np.array(seconds, dtype=np.int64) * 1_000_000_000 + 999_999_999
    want = np.unique(pd.Series(pd.to_datetime(ts, utc=True)).dt.year.to_numpy()) if len(ts) else []
    assert stages._years(ts).tolist() == list(want)
