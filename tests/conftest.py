"""Shared test helpers: paths to real data, and builders for small, readable tracks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_AIS = (REPO / ".." / "shared" / "data" / "ais").resolve()
SAMPLES = REPO / "data" / "samples"


def shared_ais() -> Path:
    """The folder of real AIS files; tests that need it are skipped when it is absent."""
    if not SHARED_AIS.is_dir():
        pytest.skip(f"real data folder {SHARED_AIS} not present")
    return SHARED_AIS


def make_positions(rows: list[dict], **defaults) -> pd.DataFrame:
    """Build a canonical positions table from a few dicts: ``make_positions([dict(mmsi=.., t='2024-01-01T00:00', lat=.., lon=..), ...])``.

    Keys: mmsi, t (ISO string, UTC), lat, lon and any other POSITIONS column. Missing columns are
    filled with NaN / <NA>; the result matches schema.POSITIONS and is sorted by (mmsi, timestamp).
    """
    from vesseltrack import schema
    from vesseltrack.tracks import sort_positions

    recs = [{**defaults, **r} for r in rows]
    df = pd.DataFrame(recs)
    if "t" in df:
        df["timestamp"] = pd.to_datetime(df.pop("t"), utc=True)
    out = pd.DataFrame({c.name: (df[c.name] if c.name in df else pd.Series([None] * len(df)))
                        for c in schema.POSITIONS})
    for c in schema.POSITIONS:
        if c.dtype == schema.UTC_NS:
            out[c.name] = pd.to_datetime(out[c.name], utc=True).astype(c.dtype)
        elif c.dtype == "category":
            out[c.name] = out[c.name].astype("object").astype("category")
        else:
            out[c.name] = pd.to_numeric(out[c.name], errors="coerce").astype(c.dtype)
    return sort_positions(out)
