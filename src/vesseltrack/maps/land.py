"""Land under the tracks, offline: Natural Earth polygons cut to the map's extent and simplified for it.

Two shipped sources, both public domain and built offline:

- ``data/land.npz`` (Natural Earth 1:10m land and minor islands, ~55 m simplified, in 1-degree tiles;
  :func:`vesseltrack.shore.land_in_bbox`) for harbours, coasts and seas up to ``WIDE_DEG`` across;
- ``data/land_50m.npz`` (Natural Earth 1:50m land, ~1 km simplified; ``scripts/build_map_land.py``)
  for anything wider, where cutting the 1:10m tiles would be slow and the detail invisible.

The land is cut to a box around the data (wide enough to fill the screen, with a margin for
zooming out), simplified to about a third of a screen pixel at the fitted zoom (``span / TOL_PER_SPAN``),
polygons smaller than a pixel dropped, and coordinates rounded to match: a harbour keeps the full
1:10m detail, an ocean basin costs a few hundred kB.
"""

from __future__ import annotations

import math
from functools import cache
from importlib.resources import files

import numpy as np
import shapely
from shapely import GeometryType

from vesseltrack import shore

#: Boxes wider or taller than this (degrees) use the 1:50m land.
WIDE_DEG = 25.0
#: Simplification tolerance = box span / TOL_PER_SPAN (about a third of a pixel on a 1200-pixel map).
TOL_PER_SPAN = 4000.0
#: The box drawn is the data's extent widened to a 3:2 screen, then by this factor.
MARGIN = 2.2


@cache
def _wide_polygons() -> np.ndarray:
    """The shipped 1:50m land polygons (shapely array)."""
    with files("vesseltrack").joinpath("data/land_50m.npz").open("rb") as fh, np.load(fh) as z:
        coords = np.cumsum(z["dxy"].astype(np.int64), axis=0) / float(z["quant"])
        offsets = (z["ring_offsets"], z["poly_offsets"])
    return shapely.from_ragged_array(GeometryType.POLYGON, coords, offsets)


def land_box(bounds: list[list[float]]) -> tuple[float, float, float, float]:
    """(lon0, lat0, lon1, lat1) of the land to draw for data within ``bounds`` [[s, w], [n, e]]:
    widened to a 3:2 screen around the data's centre, times ``MARGIN``, at least 0.1 degree, kept
    within +-180 / +-85."""
    (s, w), (n, e) = bounds
    clat = (s + n) / 2
    k = max(math.cos(math.radians(min(abs(clat), 80.0))), 0.2)
    half_lat = max((n - s) / 2, (e - w) * k / 2 / 1.5, 0.05) * MARGIN
    half_lon = max((e - w) / 2, (n - s) / k / 2 * 1.5, 0.05 / k) * MARGIN
    clon = (w + e) / 2
    return (max(clon - half_lon, -180.0), max(clat - half_lat, -85.0),
            min(clon + half_lon, 180.0), min(clat + half_lat, 85.0))


def land_geometry(box: tuple[float, float, float, float]) -> tuple[shapely.Geometry, float]:
    """(land inside ``box``, simplified; the tolerance used, degrees)."""
    lon0, lat0, lon1, lat1 = box
    span = max(lon1 - lon0, lat1 - lat0)
    tol = span / TOL_PER_SPAN
    if span > WIDE_DEG:
        polys = _wide_polygons()
        b = shapely.bounds(polys)
        hit = (b[:, 0] < lon1) & (b[:, 2] > lon0) & (b[:, 1] < lat1) & (b[:, 3] > lat0)
        parts = shapely.clip_by_rect(polys[hit], lon0, lat0, lon1, lat1)
    else:
        parts = shapely.get_parts(shore.land_in_bbox(lon0, lat0, lon1, lat1))
    parts = shapely.get_parts(shapely.simplify(parts, tol, preserve_topology=True))
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > tol * tol * 4)]
    return shapely.multipolygons(parts), tol


def decimals_for(tol: float) -> int:
    """Decimal places that keep rounding well under ``tol`` degrees (3 to 5)."""
    return int(min(5, max(3, math.ceil(-math.log10(tol)) + 1)))


def geojson_rings(geom: shapely.Geometry, decimals: int) -> list:
    """GeoJSON MultiPolygon coordinates of ``geom`` ([lon, lat], rounded)."""
    out = []
    for poly in shapely.get_parts(geom):
        rings = [poly.exterior, *poly.interiors]
        out.append([np.round(np.asarray(r.coords), decimals).tolist() for r in rings])
    return out


#: Around berths and port calls the land keeps the full 1:10m detail (``with_detail``), in cells of
#: this size (degrees) and their neighbours, at most MAX_DETAIL_CELLS of them ...
DETAIL_CELL = 0.25
MAX_DETAIL_CELLS = 400
#: ... when the map's own tolerance is coarser than this (degrees).
DETAIL_TOL = 0.001


def detail_cells(lat: np.ndarray, lon: np.ndarray, box) -> np.ndarray:
    """(row, col) of the DETAIL_CELL cells around the points (each point's cell and its 8 neighbours)
    inside ``box``, sorted, the first MAX_DETAIL_CELLS."""
    if not len(lat):
        return np.empty((0, 2), dtype=np.int64)
    r = np.floor(np.asarray(lat) / DETAIL_CELL).astype(np.int64)
    c = np.floor(np.asarray(lon) / DETAIL_CELL).astype(np.int64)
    d = np.array([(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)])
    cells = np.unique((np.column_stack([r, c])[:, None, :] + d[None, :, :]).reshape(-1, 2), axis=0)
    lat0, lon0 = cells[:, 0] * DETAIL_CELL, cells[:, 1] * DETAIL_CELL
    inside = (lon0 + DETAIL_CELL > box[0]) & (lon0 < box[2]) & (lat0 + DETAIL_CELL > box[1]) & (lat0 < box[3])
    return cells[inside][:MAX_DETAIL_CELLS]


def with_detail(geom: shapely.Geometry, tol: float, lat: np.ndarray, lon: np.ndarray, box) -> shapely.Geometry:
    """``geom`` (land simplified at ``tol``) with the 1:10m land (~55 m) put back around the points
    (learnt stop areas, port calls): zoomed in on a berth, the quays' coast is as precise as Natural
    Earth allows, while the rest of an ocean-wide map stays light."""
    cells = detail_cells(lat, lon, box) if tol > DETAIL_TOL else np.empty((0, 2), dtype=np.int64)
    if not len(cells):
        return geom
    boxes = shapely.box(cells[:, 1] * DETAIL_CELL, cells[:, 0] * DETAIL_CELL,
                        (cells[:, 1] + 1) * DETAIL_CELL, (cells[:, 0] + 1) * DETAIL_CELL)
    patch = shapely.intersection(shapely.union_all(boxes), shapely.box(*box))
    pieces = []
    for part in shapely.get_parts(patch):  # one land cut per connected patch
        x0, y0, x1, y1 = part.bounds
        fine = shore.land_in_bbox(max(x0, -180.0), max(y0, -90.0), min(x1, 180.0), min(y1, 90.0))
        pieces.append(shapely.intersection(fine, part))
    out = shapely.union_all([shapely.difference(geom, patch), *pieces], grid_size=1e-5)
    parts = shapely.get_parts(out)
    return shapely.multipolygons(parts[shapely.get_type_id(parts) == 3])
