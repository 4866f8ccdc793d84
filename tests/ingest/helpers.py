"""Small writers for ingest tests: inline CSV text to files, gzip and zip."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

MC_HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"  # noqa: E501
MC_ROWS = [
    "367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,SAN JOSE,,WDI9818,31,0.0,,,,52.0,A",
    "636021061,2023-01-11T00:00:00,26.09241,-80.04806,8.8,272.7,270.0,MSC NAISHA III,IMO9307839,5LCB4,70,8.0,208.0,30.0,8.0,70.0,A",  # noqa: E501
    "440058000,2023-01-11T00:00:01,32.4042,-79.54261,102.3,-60.6,511.0,ASIAN DYNASTY,IMO9203588,D7NS,0,15.0,199.0,32.0,0.0,70.0,B",  # noqa: E501
]


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def marinecadastre(tmp_path: Path, name: str = "mc.csv", rows=None) -> Path:
    return write(tmp_path, name, "\n".join([MC_HEADER, *(rows or MC_ROWS)]) + "\n")


def gz(path: Path) -> Path:
    out = path.with_name(path.name + ".gz")
    out.write_bytes(gzip.compress(path.read_bytes()))
    return out


def zipped(tmp_path: Path, name: str, members: dict[str, bytes]) -> Path:
    out = tmp_path / name
    with zipfile.ZipFile(out, "w") as zf:
        for k, v in members.items():
            zf.writestr(k, v)
    return out
