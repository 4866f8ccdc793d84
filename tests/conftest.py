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
    """Build a canonical positions table from a few dicts:
    ``make_positions([dict(mmsi=.., t='2024-01-01T00:00', lat=.., lon=..), ...])``.

    Keys: mmsi, t (ISO string, UTC), lat, lon and any other POSITIONS column. Missing columns are
    filled with NaN / <NA>; the result matches schema.POSITIONS and is sorted by (mmsi, timestamp).
    """
    from vesseltrack import schema
    from vesseltrack.tracks import sort_positions

    recs = [{**defaults, **r} for r in rows]
    df = pd.DataFrame(recs)
    if "t" in df:
        df["timestamp"] = pd.to_datetime(df.pop("t"), utc=True, format="ISO8601")
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


def track(mmsi: int, start: str, n: int, *, every_min: float = 10.0, lat0: float = 40.0, lon0: float = 130.0,
          dlat: float = 0.0, dlon: float = 0.02, skip: tuple[int, int] | None = None, **static) -> list[dict]:
    """Rows for a straight track: ``n`` reports every ``every_min`` minutes from (lat0, lon0),
    moving (dlat, dlon) degrees per report. ``skip=(i, j)`` drops reports i..j-1 (a gap)."""
    t0 = pd.Timestamp(start, tz="UTC")
    rows = []
    for i in range(n):
        if skip and skip[0] <= i < skip[1]:
            continue
        rows.append(dict(mmsi=mmsi, t=str(t0 + pd.Timedelta(minutes=every_min * i)),
                         lat=lat0 + dlat * i, lon=lon0 + dlon * i, **static))
    return rows


def stay(
    mmsi: int, start: str, hours: float, lat: float, lon: float, *, every_min: float = 10.0, **static
) -> list[dict]:
    """Rows for a ship stopped at (lat, lon) for ``hours``."""
    n = int(hours * 60 / every_min) + 1
    return track(mmsi, start, n, every_min=every_min, lat0=lat, lon0=lon, dlat=0.0, dlon=0.0, sog_kn=0.0, **static)


def steps_of(rows: list[dict], gap_h: float = 6.0) -> pd.DataFrame:
    """Rows (from :func:`track`, :func:`stay`, ...) as a sorted positions table with step columns."""
    from vesseltrack.tracks import add_steps

    return add_steps(make_positions(rows), segment_gap_h=gap_h)


@pytest.fixture(scope="session")
def gaz():
    """The shipped gazetteer (ports and areas of interest), built once per test session."""
    from vesseltrack import zones

    return zones.build_gazetteer()


MC_HEADER = "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"  # noqa: E501


def write_marinecadastre(rows: list[dict], path: Path) -> Path:
    """Write builder rows (see :func:`track`) as a MarineCadastre CSV, the most common export."""
    lines = [MC_HEADER]
    for r in rows:
        t = pd.Timestamp(r["t"]).strftime("%Y-%m-%dT%H:%M:%S")
        dr = r.get("draught_m", "")
        lines.append(f"{r['mmsi']},{t},{r['lat']:.5f},{r['lon']:.5f},{r.get('sog_kn', 10.0)},90.0,90,"
                     f"{r.get('vessel_name', '')},,,{r.get('vessel_type', 70)},0,100,20,{dr},,A")
    path.write_text("\n".join(lines) + "\n")
    return path


def dark_tanker_rows() -> list[dict]:
    """A tanker that loads at Vostochny, goes dark for 40 h and reappears laden, among 20 ordinary ships."""
    m = 273000009
    name = "=cmd|' /C calc'!A0"  # a hostile name: must be escaped in CSV
    rows = (
        stay(m, "2024-03-01T00:00", 6, 42.745, 133.075, draught_m=6.0, vessel_type=81, vessel_name=name)
        + track(
            m,
            "2024-03-01T06:10",
            12,
            lat0=42.70,
            lon0=133.2,
            dlat=-0.02,
            dlon=0.0,
            draught_m=10.0,
            vessel_type=81,
            vessel_name=name,
        )
        + track(
            m,
            "2024-03-03T00:00",
            30,
            lat0=42.3,
            lon0=133.0,
            dlat=0.01,
            dlon=0.0,
            draught_m=10.0,
            vessel_type=81,
            vessel_name=name,
        )
    )
    for i in range(20):
        rows += track(412000100 + i, "2024-03-01T00:00", 430, lat0=38 + 0.1 * i, lon0=131.0, dlon=0.01,
                      vessel_type=70, vessel_name=f"CARGO {i}", draught_m=8.0, sog_kn=11.0,
                      skip=(100, 140) if i % 4 == 0 else None)
    return rows


@pytest.fixture(scope="session")
def fleet_csv(tmp_path_factory) -> Path:
    """The dark-tanker fleet of :func:`dark_tanker_rows` as a MarineCadastre CSV (written once)."""
    return write_marinecadastre(dark_tanker_rows(), tmp_path_factory.mktemp("in") / "fleet.csv")
