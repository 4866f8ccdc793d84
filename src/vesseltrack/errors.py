"""Exception hierarchy: every error the library raises on purpose is a VesselTrackError.

The CLI maps any VesselTrackError to a one-line message and exit code 2; anything else is a bug.
Messages are one f-string each: what is wrong, what was expected, what was received, how to fix it.
"""

from __future__ import annotations


class VesselTrackError(Exception):
    """Base class of all deliberate vesseltrack errors."""


class InputError(VesselTrackError):
    """An input file cannot be read: missing, unreadable, empty, unknown layout, or no usable rows."""


class SchemaError(VesselTrackError):
    """A table does not match its spec in ``vesseltrack.schema``."""


class ConfigError(VesselTrackError):
    """A parameter, column map or zone file given by the user is invalid."""


class ModelError(VesselTrackError):
    """A scoring model cannot be fitted, saved or loaded."""
