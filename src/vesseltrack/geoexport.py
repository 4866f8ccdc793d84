"""Events and tracks as GeoJSON and GeoParquet, for QGIS, kepler.gl and GIS tools.

- GeoJSON follows RFC 7946: a FeatureCollection in WGS84 with [lon, lat] positions and no ``crs``
  member. Output is deterministic: features in a fixed order (events by mmsi, start time and id;
  tracks by mmsi and segment), properties in spec order, coordinates rounded to 6 decimals
  (~0.1 m), times ISO 8601 UTC to the second, missing values ``null``, one feature per line.
- Every event feature carries all EVENTS columns as properties; its geometry is a Point (where the
  event starts) or, for a closed gap, the LineString from its start to its end.
- Every track feature is one contiguous piece of a vessel's track (a new piece after each gap).
- GeoParquet is written by geopandas (``to_parquet``), with the same columns and typed times.
- Ship-provided text is stored as it was broadcast: JSON and Parquet are data, not markup, so it is
  escaped where it is displayed (see maps.py), not here.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from vesseltrack import investigate, schema
from vesseltrack.errors import InputError

COORD_DECIMALS = 6
_ROUND = {"score": 4}


def _json_column(s: pd.Series, name: str) -> list:
    """A column as JSON-ready Python values (None for missing)."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        txt = s.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        return txt.astype(object).where(s.notna(), None).tolist()
    if pd.api.types.is_float_dtype(s.dtype):
        d = COORD_DECIMALS if name.endswith(("lat", "lon")) else _ROUND.get(name, 3)
        v = s.to_numpy(dtype=float, na_value=np.nan).round(d)
        return [None if x != x else x for x in v.tolist()]
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    return s.astype(object).where(s.notna(), None).tolist()


def _round_geoms(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, COORD_DECIMALS))


def feature_collection(props: pd.DataFrame, geoms: np.ndarray) -> str:
    """RFC 7946 FeatureCollection text for a property table and one geometry per row."""
    cols = {c: _json_column(props[c], c) for c in props.columns}
    names = list(cols)
    geo = shapely.to_geojson(_round_geoms(np.asarray(geoms, dtype=object))) if len(props) else []
    lines = []
    for i, g in enumerate(geo):
        p = json.dumps({n: cols[n][i] for n in names}, ensure_ascii=False, allow_nan=False)
        lines.append(f'{{"type":"Feature","geometry":{g},"properties":{p}}}')
    body = ",\n".join(lines)
    return '{"type":"FeatureCollection","features":[\n' + body + ("\n" if lines else "") + "]}\n"


def events_geojson(result, *, mmsi: int | None = None) -> str:
    """The events as GeoJSON text (all EVENTS columns as properties)."""
    ev = result.events if mmsi is None else investigate.vessel_events(result, mmsi)
    ev = ev.sort_values(["mmsi", "start_time", "event_id"], kind="stable").reset_index(drop=True)
    return feature_collection(ev[schema.names(schema.EVENTS)], investigate.event_geometries(ev))


def tracks_geojson(result, *, mmsi: int | None = None) -> str:
    """The tracks as GeoJSON text: one LineString per contiguous piece of each vessel's track."""
    lines = investigate.segment_lines(investigate.track_segments(result, mmsi))
    return feature_collection(lines.drop(columns="geometry"), lines["geometry"].to_numpy())


def _atomic_write(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_geojson(result, out_dir: str | Path, *, mmsi: int | None = None) -> list[Path]:
    """Write events.geojson and tracks.geojson into ``out_dir``; returns their paths."""
    out = _out_dir(out_dir)
    written = []
    for name, text in (("events", events_geojson(result, mmsi=mmsi)), ("tracks", tracks_geojson(result, mmsi=mmsi))):
        written.append(_atomic_write(out / f"{name}.geojson", lambda p, t=text: p.write_text(t, encoding="utf-8")))
    return written


def write_geoparquet(result, out_dir: str | Path, *, mmsi: int | None = None) -> list[Path]:
    """Write events.parquet and tracks.parquet (GeoParquet, WGS84) into ``out_dir``; returns their paths."""
    out = _out_dir(out_dir)
    gdfs = investigate.to_geodataframes(result, mmsi=mmsi)
    written = []
    for name in ("events", "tracks"):
        gdf = gdfs[name]
        written.append(_atomic_write(out / f"{name}.parquet", lambda p, g=gdf: g.to_parquet(p, index=False)))
    return written


def write_geo(result, out_dir: str | Path, *, mmsi: int | None = None) -> list[Path]:
    """GeoJSON and GeoParquet of events and tracks: the four files of ``score --geo``."""
    return write_geojson(result, out_dir, mmsi=mmsi) + write_geoparquet(result, out_dir, mmsi=mmsi)


def _out_dir(out_dir: str | Path) -> Path:
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(
            f"--out {out}: exists and is not a folder; expected a folder to write results into; choose another path"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(
            f"--out {out}: cannot create it ({err.strerror}); expected a writable folder; choose another path"
        ) from err
    return out
