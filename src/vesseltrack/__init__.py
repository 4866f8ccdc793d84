"""vesseltrack: find ships hiding what they do at sea.

Ingest AIS positions, detect gaps, port visits and other events, and score voyages with an
isolation forest, with the reasons behind each score.

The public names below (and ``__version__``) are imported on first use (PEP 562), so that
``import vesseltrack`` and ``vesseltrack --help`` do not pay for pandas, pyarrow or scikit-learn.
"""

from __future__ import annotations

from importlib import import_module

from vesseltrack.errors import ConfigError, InputError, ModelError, SchemaError, VesselTrackError


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # (a tenth of a second: on first use)

    try:
        return version("vesseltrack")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0+unknown"

#: Public names imported on first use, by the module that defines them.
_LAZY = {
    "read_positions": "vesseltrack.ingest",
    "run": "vesseltrack.pipeline",
    "analyse": "vesseltrack.pipeline",
    "Config": "vesseltrack.config",
    "Result": "vesseltrack.pipeline",
}

__all__ = [
    "Config",
    "ConfigError",
    "InputError",
    "ModelError",
    "Result",
    "SchemaError",
    "VesselTrackError",
    "__version__",
    "analyse",
    "read_positions",
    "run",
]


def __getattr__(name: str):
    if name == "__version__":
        value = _version()
    elif name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module 'vesseltrack' has no attribute {name!r}")
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, "__version__"})
