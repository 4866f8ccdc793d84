"""A small analysed fleet for the investigation-layer tests (maps, plots, exports, CLI)."""

from __future__ import annotations

from conftest import dark_tanker_rows, make_positions

DARK = 273000009
HOSTILE = "<script>alert(1)</script>"
HOSTILE2 = "${alert(2)}`</b>"


def hostile_rows() -> list[dict]:
    """The conftest fleet with the dark tanker and one cargo ship given hostile names."""
    rows = []
    for r in dark_tanker_rows():
        if r["mmsi"] == DARK:
            r = {**r, "vessel_name": HOSTILE}
        elif r["mmsi"] == 412000101:
            r = {**r, "vessel_name": HOSTILE2}
        rows.append(r)
    return rows


def small_result():
    from vesseltrack import pipeline

    return pipeline.analyse(make_positions(hostile_rows()))
