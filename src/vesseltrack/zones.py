"""Ports and areas of interest: the shipped gazetteer, user GeoJSON zones, and point-in-zone.

The shipped gazetteer (``data/ports.csv``, built by ``scripts/build_gazetteer.py``) holds the NGA
World Port Index plus a curated list of sensitive ports (Russian Far East oil and coal terminals,
North Korean ports). Each port is a circle (centre, ``radius_m``). Users add zones, or replace the
shipped ones, with GeoJSON: Points (circles, ``radius_m`` property, default 5 km) and
Polygons/MultiPolygons. User zones are sensitive unless their ``sensitive`` property is false.

:func:`assign_zone` tests millions of positions against thousands of zones without testing every
position against every zone: each zone registers the cells of a coarse grid that its bounding box
touches, positions look up their cell, and exact geometry (haversine for circles, shapely for
polygons) runs only on the few (position, zone) candidate pairs that share a cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from vesseltrack.config import read_json_file
from vesseltrack.errors import ConfigError
from vesseltrack.geo import BLOCK_ROWS, EARTH_RADIUS_M, haversine_m

CELL_DEG = 0.05
DEFAULT_ZONE_RADIUS_M = 5000.0
#: The largest circle a Point zone may draw (500 km); larger areas are Polygons.
MAX_ZONE_RADIUS_M = 500_000.0
_M_PER_DEG_LAT = np.pi * EARTH_RADIUS_M / 180.0

ZONE_COLUMNS = ["port", "country", "lat", "lon", "radius_m", "sensitive"]


@dataclass
class Gazetteer:
    """Zones to test positions against.

    ``zones`` has one row per zone: port, country, lat, lon (centre; for polygons the
    centroid), radius_m (circles; NaN for polygons), sensitive. ``polygons`` maps a zone's row
    position to its shapely geometry.
    """

    zones: pd.DataFrame
    polygons: dict[int, shapely.Geometry] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.zones = self.zones.reset_index(drop=True)
        self._bounds = _zone_bounds(self.zones, self.polygons)
        self._is_poly = np.zeros(len(self.zones), dtype=bool)
        self._is_poly[list(self.polygons)] = True
        self._zlat = self.zones["lat"].to_numpy(float)
        self._zlon = self.zones["lon"].to_numpy(float)
        self._zcos = np.cos(np.radians(self._zlat))
        self._zr2 = np.square(self.zones["radius_m"].to_numpy(float))

    @property
    def names(self) -> np.ndarray:
        return self.zones["port"].to_numpy(dtype=object)

    @property
    def sensitive(self) -> np.ndarray:
        return self.zones["sensitive"].to_numpy(dtype=bool)

    def describe(self) -> dict:
        """Summary for summary.json."""
        z = self.zones
        return {
            "zones": len(z),
            "sensitive": sorted(z.loc[z["sensitive"], "port"].unique().tolist()),
        }


def shipped_ports() -> pd.DataFrame:
    """The shipped gazetteer as a DataFrame with ZONE_COLUMNS."""
    with files("vesseltrack").joinpath("data/ports.csv").open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={"port": str, "country": str}, keep_default_na=False)
    df["radius_m"] = df["radius_m"].astype(float)
    df["sensitive"] = df["sensitive"].astype(bool)
    return df[ZONE_COLUMNS]


def _zone_error(path: Path, i: int, name: object, what: str, expected: str) -> ConfigError:
    return ConfigError(f"{path}: feature {i + 1} ({name!r}) {what}; expected {expected}; fix the zone file")


def _check_geometry(path: Path, i: int, name: object, geom: shapely.Geometry) -> None:
    """A zone's geometry must be non-empty, finite, on the globe and (polygons) valid."""
    if geom.is_empty:
        raise _zone_error(path, i, name, "has an empty geometry", "coordinates")
    x0, y0, x1, y1 = geom.bounds
    if not (np.isfinite([x0, y0, x1, y1]).all() and -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise _zone_error(path, i, name, f"has coordinates from ({x0}, {y0}) to ({x1}, {y1})",
                          "[longitude, latitude] pairs within [-180, 180] and [-90, 90] (GeoJSON order)")
    if geom.geom_type != "Point" and not geom.is_valid:
        raise _zone_error(path, i, name, f"is not a valid polygon ({shapely.is_valid_reason(geom)})",
                          "a polygon whose ring does not cross itself (QGIS 'Fix geometries' or shapely.make_valid repair it)")  # noqa: E501


def _radius(path: Path, i: int, name: object, props: dict) -> float:
    """A Point zone's radius_m: a number of metres in (0, MAX_ZONE_RADIUS_M]."""
    radius = props.get("radius_m", DEFAULT_ZONE_RADIUS_M)
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not 0 < radius <= MAX_ZONE_RADIUS_M:
        raise _zone_error(path, i, name, f"has radius_m={radius!r}",
                          f"a number of metres above 0 and at most {MAX_ZONE_RADIUS_M:g} (default {DEFAULT_ZONE_RADIUS_M:g}); draw a Polygon for a larger area")  # noqa: E501
    return float(radius)


def read_geojson_zones(path: str | Path) -> tuple[pd.DataFrame, list[shapely.Geometry | None]]:
    """Read user zones from a GeoJSON FeatureCollection (Point / Polygon / MultiPolygon features).

    Everything is checked before any data is read: a UTF-8 JSON file, Feature objects, geometry on
    the globe and valid, ``radius_m`` a number of metres in (0, 500 km], ``sensitive`` true or false.
    """
    path = Path(path)
    doc = read_json_file(path, name=str(path), kind="GeoJSON", expected="a GeoJSON FeatureCollection",
                         fix="fix or re-export the file",
                         fix_binary="pass the .geojson file itself, not an archive or a shapefile")
    feats = doc.get("features") if isinstance(doc, dict) else None
    if doc.get("type") == "Feature" if isinstance(doc, dict) else False:
        feats = [doc]
    if not isinstance(feats, list) or not feats:
        raise ConfigError(
            f"{path}: no features found; expected a GeoJSON FeatureCollection with Point or Polygon features; received {type(doc).__name__} with keys {list(doc)[:5] if isinstance(doc, dict) else []}"  # noqa: E501
        )
    rows: list[tuple] = []
    geoms: list = []
    for i, feat in enumerate(feats):  # one pass per zone of a small user file, not per position
        if not isinstance(feat, dict):
            raise _zone_error(path, i, None, f"is a {type(feat).__name__}",
                              'a Feature object like {"type": "Feature", "properties": {...}, "geometry": {...}}')
        props = feat.get("properties")
        props = {} if props is None else props
        if not isinstance(props, dict):
            raise _zone_error(path, i, None, f"has properties of type {type(props).__name__}",
                              'an object like {"name": "STS area", "radius_m": 5000, "sensitive": true} or null')
        name = props.get("name") or props.get("port") or props.get("NAME") or f"{path.stem}_{i + 1}"
        try:
            geom = shapely.geometry.shape(feat["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.GEOSException) as err:
            raise ConfigError(
                f"{path}: feature {i + 1} ({name!r}) has no valid geometry ({type(err).__name__}: {err}); expected Point, Polygon or MultiPolygon"  # noqa: E501
            ) from err
        sensitive = props.get("sensitive", True)
        if not isinstance(sensitive, bool):
            raise _zone_error(path, i, name, f"has sensitive={sensitive!r}", "true or false (JSON booleans)")
        if geom.geom_type not in ("Point", "Polygon", "MultiPolygon"):
            raise ConfigError(
                f"{path}: feature {i + 1} ({name!r}) is a {geom.geom_type}; expected Point, Polygon or MultiPolygon"
            )
        _check_geometry(path, i, name, geom)
        if geom.geom_type == "Point":
            radius = _radius(path, i, name, props)
            rows.append((str(name).upper(), str(props.get("country", "")), geom.y, geom.x, radius, sensitive))
            geoms.append(None)
        else:
            c = geom.centroid
            rows.append((str(name).upper(), str(props.get("country", "")), c.y, c.x, np.nan, sensitive))
            geoms.append(geom)
    return pd.DataFrame(rows, columns=ZONE_COLUMNS), geoms


def build_gazetteer(zone_files: tuple[str | Path, ...] | list = (), *, replace: bool = False) -> Gazetteer:
    """The shipped ports plus the user's zone files (or only the latter when ``replace``)."""
    if replace and not zone_files:
        raise ConfigError(
            "replace_ports is set but no zone files were given; expected at least one GeoJSON file; pass --zones FILE or drop --replace-ports"  # noqa: E501
        )
    frames: list[pd.DataFrame] = []
    geoms: list = []
    if not replace:
        ports = shipped_ports()
        frames.append(ports)
        geoms.extend([None] * len(ports))
    for f in zone_files:
        df, g = read_geojson_zones(f)
        frames.append(df)
        geoms.extend(g)
    zones = pd.concat(frames, ignore_index=True)
    polygons = {i: g for i, g in enumerate(geoms) if g is not None}
    return Gazetteer(zones, polygons)


def _zone_bounds(zones: pd.DataFrame, polygons: dict) -> np.ndarray:
    lat = zones["lat"].to_numpy(float)
    lon = zones["lon"].to_numpy(float)
    r = zones["radius_m"].to_numpy(float)
    dlat = r / _M_PER_DEG_LAT
    dlon = r / (_M_PER_DEG_LAT * np.maximum(np.cos(np.radians(np.minimum(np.abs(lat) + dlat, 89.9))), 1e-6))
    bounds = np.column_stack([lon - dlon, lat - dlat, lon + dlon, lat + dlat])
    for i, g in polygons.items():
        bounds[i] = g.bounds
    return bounds


_MAX_CELLS = 4_000_000


def _grid_for(bounds: np.ndarray, lat: np.ndarray, lon: np.ndarray):
    """A dense grid over the part of the zones' extent that the points cover, or None.

    Cells are CELL_DEG (about 5 km) where that keeps the grid under _MAX_CELLS, coarser otherwise,
    so that a cell holds few zones even in crowded harbours.
    """
    plat0, plat1 = np.nanmin(lat), np.nanmax(lat)
    plon0, plon1 = np.nanmin(lon), np.nanmax(lon)
    keep = (bounds[:, 2] >= plon0) & (bounds[:, 0] <= plon1) & (bounds[:, 3] >= plat0) & (bounds[:, 1] <= plat1)
    if not keep.any():
        return None
    zb = bounds[keep]
    lat0, lat1 = max(plat0, zb[:, 1].min()), min(plat1, zb[:, 3].max())
    lon0, lon1 = max(plon0, zb[:, 0].min()), min(plon1, zb[:, 2].max())
    cell = CELL_DEG
    while True:
        ny = int((lat1 - lat0) / cell) + 1
        nx = int((lon1 - lon0) / cell) + 1
        if ny * nx <= _MAX_CELLS:
            break
        cell *= 2
    return np.flatnonzero(keep), (lat0, lon0, cell, ny, nx)


def _points_in_cells(lat, lon, grid, occupied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(points, their cell index) of the points inside the grid whose cell is ``occupied``;
    computed in blocks (small scratch arrays, no per-point array over all points)."""
    lat0, lon0, cell, ny, nx = grid
    pts, cells = [], []
    for s in range(0, len(lat), BLOCK_ROWS):
        fy = (lat[s:s + BLOCK_ROWS] - lat0) / cell
        fx = (lon[s:s + BLOCK_ROWS] - lon0) / cell
        o = (fy >= 0) & (fy < ny) & (fx >= 0) & (fx < nx)  # False for NaN
        with np.errstate(invalid="ignore"):  # (NaN and out-of-grid cells are masked out)
            c = np.where(o, fy.astype(np.int64) * nx + fx.astype(np.int64), 0)
        hit = np.flatnonzero(o & occupied[c])
        pts.append(hit + s)
        cells.append(c[hit])
    if not pts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(pts), np.concatenate(cells)


def assign_zone(lat: np.ndarray, lon: np.ndarray, gaz: Gazetteer) -> np.ndarray:
    """Index (into ``gaz.zones``) of the zone containing each point, -1 for none (int32).

    Where zones overlap, the one whose centre is nearest wins (ties: the lower zone index).
    Circles are tested with an equirectangular distance (error far below 0.1 % at port scales),
    polygons exactly with shapely. Work is proportional to the number of (point, zone) pairs that
    share a grid cell, never points x zones.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    n = len(lat)
    out = np.full(n, -1, dtype=np.int32)
    if n == 0 or gaz.zones.empty or np.isnan(lat).all():
        return out
    found = _grid_for(gaz._bounds, lat, lon)
    if found is None:
        return out
    zsel, grid = found
    lat0, lon0, cell, ny, nx = grid
    # register each selected zone in every cell its bounding box touches
    zb = gaz._bounds[zsel]
    y0 = np.clip(((zb[:, 1] - lat0) / cell).astype(np.int64), 0, ny - 1)
    y1 = np.clip(((zb[:, 3] - lat0) / cell).astype(np.int64), 0, ny - 1)
    x0 = np.clip(((zb[:, 0] - lon0) / cell).astype(np.int64), 0, nx - 1)
    x1 = np.clip(((zb[:, 2] - lon0) / cell).astype(np.int64), 0, nx - 1)
    h, w = y1 - y0 + 1, x1 - x0 + 1
    k = h * w
    zrep = np.repeat(np.arange(len(zsel)), k)
    off = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    keys = (y0[zrep] + off // w[zrep]) * nx + x0[zrep] + off % w[zrep]
    order = np.lexsort((zsel[zrep], keys))
    keys, zlist = keys[order], zsel[zrep][order].astype(np.int32)
    start = np.zeros(ny * nx, dtype=np.int64)
    count = np.zeros(ny * nx, dtype=np.int32)
    uk, first, cnt = np.unique(keys, return_index=True, return_counts=True)
    start[uk] = first
    count[uk] = cnt

    pts, pcell = _points_in_cells(lat, lon, grid, count > 0)
    if pts.size == 0:
        return out
    pstart = start[pcell]
    pcount = count[pcell]
    best_d2 = np.full(pts.size, np.inf)
    best_z = np.full(pts.size, -1, dtype=np.int32)
    plat, plon = lat[pts], lon[pts]
    j = 0
    active = np.arange(pts.size)
    while active.size:
        z = zlist[pstart[active] + j]
        dy = (plat[active] - gaz._zlat[z]) * _M_PER_DEG_LAT
        dx = (plon[active] - gaz._zlon[z]) * (_M_PER_DEG_LAT * gaz._zcos[z])
        d2 = dx * dx + dy * dy
        inside = d2 <= gaz._zr2[z]
        if gaz.polygons:
            ispoly = gaz._is_poly[z]
            for pz in np.unique(z[ispoly]):
                sel = np.flatnonzero(ispoly & (z == pz))
                inside[sel] = shapely.contains_xy(gaz.polygons[int(pz)], plon[active[sel]], plat[active[sel]])
        better = inside & (d2 < best_d2[active])
        best_d2[active[better]] = d2[better]
        best_z[active[better]] = z[better]
        j += 1
        active = active[pcount[active] > j]
    out[pts] = best_z
    return out


def nearest_sensitive(
    lat: np.ndarray, lon: np.ndarray, gaz: Gazetteer, *, chunk: int = 200_000
) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) to, and zone index of, the nearest sensitive zone centre for each point.

    NaN / -1 where there are no sensitive zones or the point is NaN. Brute force over the
    (few) sensitive zones, in chunks of points to bound memory.
    """
    n = len(lat)
    dist = np.full(n, np.nan)
    idx = np.full(n, -1, dtype=np.int32)
    sens = np.flatnonzero(gaz.sensitive)
    if n == 0 or sens.size == 0:
        return dist, idx
    slat = gaz.zones["lat"].to_numpy(float)[sens]
    slon = gaz.zones["lon"].to_numpy(float)[sens]
    for s in range(0, n, chunk):
        la, lo = lat[s:s + chunk, None], lon[s:s + chunk, None]
        d = haversine_m(la, lo, slat[None], slon[None]) / 1000.0
        valid = ~np.isnan(d).all(axis=1)
        j = np.zeros(len(d), dtype=np.int64)
        j[valid] = np.nanargmin(d[valid], axis=1)
        dist[s:s + chunk] = np.where(valid, d[np.arange(len(d)), j], np.nan)
        idx[s:s + chunk] = np.where(valid, sens[j], -1)
    return dist, idx


def _shore_grid() -> tuple[np.ndarray, float, float, float]:
    """The shipped 0.1-degree grid (km, res, north, west): the far-field source of shore distances."""
    from vesseltrack import shore

    return shore._coarse()


def shore_distance_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Signed distance to the coastline in km: positive at sea, negative on land; NaN for NaN input.

    See :func:`vesseltrack.shore.shore_distance_km`: Natural Earth 1:10m land within ~20 km of a
    coast (harbours and rivers a few km wide are sea), the shipped 0.1-degree grid farther out.
    Capped at +-1000 km.
    """
    from vesseltrack import shore

    return shore.shore_distance_km(lat, lon)


def nearest_zone(lat: np.ndarray, lon: np.ndarray, gaz: Gazetteer) -> tuple[np.ndarray, np.ndarray]:
    """(distance in km, zone index) of the nearest zone centre of the gazetteer (any port, sensitive
    or not) for each point; (inf, -1) when there are no zones, (NaN, -1) for NaN points. A KD-tree
    on unit vectors."""
    from scipy.spatial import cKDTree

    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    km = np.full(len(lat), np.nan if len(gaz.zones) else np.inf)
    idx = np.full(len(lat), -1, dtype=np.int64)
    ok = ~(np.isnan(lat) | np.isnan(lon))
    if len(gaz.zones) == 0 or not ok.any():
        return km, idx

    def unit(la, lo):
        la, lo = np.radians(la), np.radians(lo)
        return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])

    tree = cKDTree(unit(gaz.zones["lat"].to_numpy(float), gaz.zones["lon"].to_numpy(float)))
    chord, j = tree.query(unit(lat[ok], lon[ok]))
    km[ok] = 2.0 * np.arcsin(np.clip(chord / 2.0, 0, 1)) * EARTH_RADIUS_M / 1000.0
    idx[ok] = j
    return km, idx


def nearest_zone_km(lat: np.ndarray, lon: np.ndarray, gaz: Gazetteer) -> np.ndarray:
    """Distance (km) from each point to the nearest zone centre (:func:`nearest_zone`)."""
    return nearest_zone(lat, lon, gaz)[0]
