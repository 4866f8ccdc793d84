"""vesseltrack: find ships hiding what they do at sea.

Ingest AIS positions, detect gaps, port visits and other events, and score voyages with an
isolation forest, with the reasons behind each score.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from vesseltrack.errors import ConfigError, InputError, ModelError, SchemaError, VesselTrackError

from vesseltrack.ingest import read_positions
from vesseltrack.pipeline import Config, Result, analyse, run

try:
    __version__ = version("vesseltrack")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "__version__",
    "read_positions",
    "run",
    "analyse",
    "Config",
    "Result",
    "VesselTrackError",
    "InputError",
    "SchemaError",
    "ConfigError",
    "ModelError",
]
