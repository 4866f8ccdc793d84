"""Units shared by the scenario modules, and the package data tables (loaded once)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from vesseltrack.geo import KN_PER_M_S

_DAY = 86_400.0
_HOUR = 3_600.0
_M_PER_DEG = 111_320.0
_MS_PER_KN = 1.0 / KN_PER_M_S


@cache
def table(name: str) -> dict:
    """A JSON table of ``scenarios/data/`` (lanes, ports, traffic, identities), read once."""
    with files("vesseltrack.scenarios").joinpath(f"data/{name}.json").open("rb") as fh:
        return json.load(fh)
