"""NMEA (!AIVDM / !AIVDO) reader. Decoding lands with issue #3; until then NMEA input is refused clearly."""

from __future__ import annotations

from pathlib import Path

from vesseltrack.errors import InputError


def read(path: Path, **_: object):
    raise InputError(
        f"{path}: looks like NMEA (!AIVDM); NMEA decoding is not available in this version; "
        f"expected CSV or Parquet; convert the file to CSV first or upgrade vesseltrack"
    )
