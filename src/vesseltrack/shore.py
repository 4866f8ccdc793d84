"""Land and sea at coastal precision: signed distance to the shore and point-on-land tests.

Two shipped sources, both built offline (nothing is downloaded at run time):

- ``data/shore.npz`` (``scripts/build_shore.py``): signed distance to the coast on a 0.1-degree grid
  (GLOBE land mask), ~10 km coarse. Far from any coast it is all we need, and it is one array
  lookup per point.
- ``data/land.npz`` (``scripts/build_land.py``): Natural Earth 1:10m land and minor islands
  (public domain), simplified at ~55 m, snapped to 1e-5 degree and cut into 1-degree tiles
  (2.3 MB), plus a 0.1-degree mask of the cells within ~20 km of either coastline.

Points in a near-coast cell are refined. Distances are measured once per distinct 1e-3 degree
cell (~110 m) met in the call, at its centre: the distance to the Natural Earth coastline by a
KD-tree over the midpoints of coastline pieces at most ``COAST_STEP_KM`` long (built per 10-degree
block when first needed), then the exact point-to-segment distance to the ``COAST_K`` nearest pieces
(equirectangular projection around the point: under 0.5% off at 30 km); the side by point-in-polygon
on the prepared tile (``shapely.intersects_xy``: a point on a tile edge inside land is land). A cell
whose centre is more than ``CERTAIN_KM`` from the coast lies wholly on one side, and its points take
its value (at most 80 m off); points of cells nearer the coast are measured each, at the centre of
their 1e-4 degree cell (~11 m). So a ship at berth costs one test, ships on a lane share their
cells, and the result for a point never depends on the other points passed.

Precision is that of Natural Earth 1:10m: about 1 km along most coasts. Harbours, straits and
estuaries it draws as sea are resolved down to ~1 km wide (New York's Upper Bay and the Hudson, the
Bosporus, the lower Elbe); canals, rivers, basins and lakes it counts as land are land here too
(the Suez Canal and its Great Bitter Lake, Vladivostok's Golden Horn, the Elbe at Hamburg, the
Nieuwe Waterweg, the Great Lakes, the Caspian - the last ones as on the coarse grid).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely import GeometryType

from vesseltrack.errors import ConfigError
from vesseltrack.geo import BLOCK_ROWS, EARTH_RADIUS_M

__all__ = ["coarse_shore_distance_km", "land_in_bbox", "on_land", "shore_distance_km"]

#: Coastline pieces are at most this long (km) in the KD-tree of their midpoints.
COAST_STEP_KM = 1.0
#: Nearest pieces measured exactly per point (the worst-case error is COAST_STEP_KM / 2, when the
#: nearest piece is not among these; in practice the error is that of Natural Earth).
COAST_K = 4
#: Land points get at least this distance (km), so that on land always means d < 0.
MIN_LAND_KM = 0.001
#: Exact tests are made at the centre of each point's 1e-4 degree cell (~11 m) ...
EXACT_PER_DEG = 10_000
#: ... and distances first at the centre of its 1e-3 degree cell (~110 m, half-diagonal <= 80 m).
CELL_PER_DEG = 1_000
#: A 1e-3 cell whose centre is farther than this (km) from the coast is wholly on one side: its
#: half-diagonal plus a 1e-4 cell, plus COAST_STEP_KM / 2 for a nearest piece the KD-tree missed.
CERTAIN_KM = 0.09 + COAST_STEP_KM / 2

_KM_PER_DEG = np.pi * EARTH_RADIUS_M / 180.0 / 1000.0
_NO_COAST_KM = 110.0  # the reach of a coast block's margin
_SEA, _LAND = -1, -2  # tile lookup codes; >= 0 is an index into _Land.tiles
_PREPARE_LOCK = threading.Lock()  # tiles are prepared in place, once, whichever thread first needs them


@dataclass(frozen=True)
class _Land:
    tiles: np.ndarray        # one (multi)polygon per tile that has land, not yet prepared
    tile_code: np.ndarray    # (180 * 360,) int32: _SEA, _LAND (whole tile is land) or index into tiles
    tile_index: np.ndarray   # (180 * 360,) int32: index into tiles of every tile with land, else -1
    near: np.ndarray         # (1800, 3600) bool, aligned with the coarse grid: refine here
    coords: np.ndarray       # (n, 2) float64 lon, lat of all tile rings
    coast_seg: np.ndarray    # (n - 1,) bool: vertex i to i + 1 is coastline (same ring, not a tile edge)
    tile_coords: np.ndarray  # (tiles + 1,) offsets of each tile's vertices in coords
    quant: int


@dataclass(frozen=True)
class _Coast:
    tree: Any                # scipy cKDTree over unit vectors of piece midpoints (None: no coast near)
    a: np.ndarray            # (m, 2) lon, lat of piece starts
    b: np.ndarray            # (m, 2) lon, lat of piece ends


@lru_cache(maxsize=1)
def _coarse() -> tuple[np.ndarray, float, float, float]:
    """The 0.1-degree grid: (km, res, north, west), km as float32, row 0 the northmost."""
    with files("vesseltrack").joinpath("data/shore.npz").open("rb") as fh:
        z = np.load(fh)
        q = z["q"].astype(np.float32)
        km = np.sign(q) * np.square(q / np.float32(z["scale"]))
        return km, float(z["res"]), float(z["north"]), float(z["west"])


@lru_cache(maxsize=1)
def _land() -> _Land:
    with files("vesseltrack").joinpath("data/land.npz").open("rb") as fh:
        z = np.load(fh)
        quant = int(z["quant"])
        q = np.column_stack([np.cumsum(z["dx"], dtype=np.int64), np.cumsum(z["dy"], dtype=np.int64)])
        ring_off = z["ring_offsets"].astype(np.int64)
        poly_off = z["poly_offsets"].astype(np.int64)
        tile_id, tile_polys = z["tile_id"], z["tile_polys"]
        near = (
            np.unpackbits(z["near"], count=int(np.prod(z["near_shape"]))).astype(bool).reshape(tuple(z["near_shape"]))
        )
    coords = q / quant
    polys = shapely.from_ragged_array(GeometryType.POLYGON, coords, (ring_off, poly_off))
    # a tile that is one 5-vertex ring of area 1 is the whole tile: land without a polygon test
    last = np.cumsum(tile_polys) - 1
    whole = (tile_polys == 1) & (np.diff(poly_off)[last] == 1) & (np.diff(ring_off)[poly_off[last]] == 5)
    whole &= np.isclose(shapely.area(polys[last]), 1.0, rtol=0, atol=1e-12)
    tiles = shapely.multipolygons(polys, indices=np.repeat(np.arange(len(tile_id)), tile_polys))
    code = np.full(180 * 360, _SEA, dtype=np.int32)
    code[tile_id] = np.where(whole, _LAND, np.arange(len(tile_id), dtype=np.int32))
    index = np.full(180 * 360, -1, dtype=np.int32)
    index[tile_id] = np.arange(len(tile_id), dtype=np.int32)
    # coastline segments (vertex i to i + 1): same ring, and not along a tile edge
    coast_seg = np.ones(len(q) - 1, dtype=bool)
    coast_seg[ring_off[1:-1] - 1] = False
    qa, qb = q[:-1], q[1:]
    coast_seg &= ~(
        ((qa[:, 0] == qb[:, 0]) & (qa[:, 0] % quant == 0)) | ((qa[:, 1] == qb[:, 1]) & (qa[:, 1] % quant == 0))
    )
    first_poly = np.r_[0, np.cumsum(tile_polys)]
    tile_coords = ring_off[poly_off[first_poly]]  # tile i's vertices: tile_coords[i]:tile_coords[i + 1]
    return _Land(tiles, code, index, near, coords, coast_seg, tile_coords, quant)


#: Coastline KD-trees are built per block of BLOCK_DEG x BLOCK_DEG degrees, when first needed, over
#: the coast of the block and a margin of one degree of latitude (and as much in km of longitude)
#: around it: a point's nearest coast is found when it is within ~110 km.
COAST_BLOCK_DEG = 10


@cache
def _coast(block: int) -> _Coast:
    """Coastline pieces of one block (and its margin), split to COAST_STEP_KM, and their KD-tree."""
    from scipy.spatial import cKDTree

    land = _land()
    by, bx = divmod(block, 360 // COAST_BLOCK_DEG)
    lat0, lon0 = by * COAST_BLOCK_DEG - 90, bx * COAST_BLOCK_DEG - 180
    lat_a, lat_b = max(lat0 - 1, -90), min(lat0 + COAST_BLOCK_DEG + 1, 90)
    m = int(np.ceil(1.0 / max(np.cos(np.radians(max(abs(lat_a), abs(lat_b)))), 1e-3)))
    ty = np.arange(lat_a, lat_b) + 90
    tx = (np.arange(lon0 - m, lon0 + COAST_BLOCK_DEG + m) + 180) % 360 if m < 180 else np.arange(360)
    idx = land.tile_index[(ty[:, None] * 360 + np.unique(tx)[None, :]).ravel()]
    idx = idx[idx >= 0]
    lo, hi = land.tile_coords[idx], land.tile_coords[idx + 1] - 1  # segments lo .. hi - 1 of each tile
    n = hi - lo
    seg = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())
    seg = seg[land.coast_seg[seg]]
    a, b = land.coords[seg], land.coords[seg + 1]
    if len(a) == 0:
        return _Coast(None, a, b)
    coslat = np.cos(np.radians(0.5 * (a[:, 1] + b[:, 1])))
    length_km = np.hypot((b[:, 0] - a[:, 0]) * coslat, b[:, 1] - a[:, 1]) * _KM_PER_DEG
    k = np.maximum(1, np.ceil(length_km / COAST_STEP_KM)).astype(np.int64)
    rep = np.repeat(np.arange(len(a)), k)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
    d = b[rep] - a[rep]
    pa = a[rep] + d * (j / k[rep])[:, None]
    pb = a[rep] + d * ((j + 1) / k[rep])[:, None]
    mid = 0.5 * (pa + pb)
    return _Coast(cKDTree(_unit(mid[:, 1], mid[:, 0])), pa, pb)


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    c = np.cos(la)
    return np.column_stack([c * np.cos(lo), c * np.sin(lo), np.sin(la)])


def _cells(
    lat: np.ndarray, lon: np.ndarray, shape: tuple[int, int], res: float, north: float, west: float
) -> np.ndarray:
    """Flat 0.1-degree cell index of each point (NaN points get cell 0: mask them)."""
    ny, nx = shape
    iy = ((north - lat) / res).astype(np.int64)
    np.clip(iy, 0, ny - 1, out=iy)
    ix = ((lon - west) / res).astype(np.int64)
    np.clip(ix, 0, nx - 1, out=ix)
    iy *= nx
    iy += ix
    return iy


def _distinct_cells(lat: np.ndarray, lon: np.ndarray, per_deg: int) -> tuple[np.ndarray, np.ndarray]:
    """(each point's index into the distinct keys, the distinct int64 keys) of the cells of
    1/per_deg degree holding the points (a hash table, pandas.factorize: linear time, no sort)."""
    key = np.rint(lat * per_deg).astype(np.int64)
    key += 90 * per_deg + 1
    key <<= 24
    key += np.rint(lon * per_deg).astype(np.int64)
    key += 180 * per_deg + 1
    return pd.factorize(key, sort=False)


def _dedupe(lat: np.ndarray, lon: np.ndarray, per_deg: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres of the distinct cells of 1/per_deg degree holding the points, and each point's cell."""
    inv, uk = _distinct_cells(lat, lon, per_deg)
    return ((uk >> 24) - (90 * per_deg + 1)) / per_deg, ((uk & 0xFFFFFF) - (180 * per_deg + 1)) / per_deg, inv


def _inside(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Exact Natural Earth land test (lat, lon without NaN)."""
    land = _land()
    ty = np.clip(np.floor(lat).astype(np.int64) + 90, 0, 179)
    tx = np.clip(np.floor(lon).astype(np.int64) + 180, 0, 359)
    code = land.tile_code[ty * 360 + tx]
    out = code == _LAND
    poly = np.flatnonzero(code >= 0)
    if len(poly):
        geoms = land.tiles[code[poly]]
        with _PREPARE_LOCK:
            shapely.prepare(land.tiles[np.unique(code[poly])])  # once per tile; prepared tiles are kept
        out[poly] = shapely.intersects_xy(geoms, lon[poly], lat[poly])  # a tile edge inside land is land
    return out


def _coast_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Distance (km, >= 0) to the Natural Earth coastline (lat, lon without NaN); inf when no coast
    is within about 110 km."""
    nb = 360 // COAST_BLOCK_DEG
    block = np.clip(np.floor((lat + 90) / COAST_BLOCK_DEG).astype(np.int64), 0, 180 // COAST_BLOCK_DEG - 1) * nb
    block += np.clip(np.floor((lon + 180) / COAST_BLOCK_DEG).astype(np.int64), 0, nb - 1)
    order = np.argsort(block, kind="stable")
    blocks, starts = np.unique(block[order], return_index=True)
    out = np.full(len(lat), np.inf)
    for blk, rows in zip(blocks, np.split(order, starts[1:])):  # one pass per 10-degree block
        coast = _coast(int(blk))
        if coast.tree is not None:
            out[rows] = _segments_km(coast, lat[rows], lon[rows])
    return out


def _segments_km(coast: _Coast, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Exact distance (km) to the nearest of the COAST_K pieces whose midpoints are nearest."""
    k = min(COAST_K, len(coast.a))
    _, idx = coast.tree.query(_unit(lat, lon), k=k)
    idx = idx.reshape(len(lat), k)
    best = np.full(len(lat), np.inf)
    coslat = np.cos(np.radians(lat))
    for c in range(k):  # COAST_K candidates, each a vectorised pass over all points
        i = idx[:, c]
        ax = (coast.a[i, 0] - lon + 180.0) % 360.0 - 180.0
        bx = (coast.b[i, 0] - lon + 180.0) % 360.0 - 180.0
        ax *= coslat
        bx *= coslat
        ay = coast.a[i, 1] - lat
        by = coast.b[i, 1] - lat
        dx, dy = bx - ax, by - ay
        dd = dx * dx + dy * dy
        t = np.clip(-(ax * dx + ay * dy) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
        np.minimum(best, np.hypot(ax + t * dx, ay + t * dy), out=best)
    return best * _KM_PER_DEG


def _exact(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Signed km at the centre of each point's 1e-4 degree cell (land: at least MIN_LAND_KM)."""
    ulat, ulon, inv = _dedupe(lat, lon, EXACT_PER_DEG)
    land = _inside(ulat, ulon)
    d = _coast_km(ulat, ulon)
    d = np.where(land, -np.maximum(d, MIN_LAND_KM), d)
    return d[inv]


class _CellCache:
    """Signed km at the centres of the 1e-3 degree cells met so far in one call: each cell is measured
    once per call, not once per block (ships shuttle through the same cells). Memory grows with the
    distinct cells, not with the points."""

    def __init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)
        self.km = np.empty(0)

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        inv, uk = _distinct_cells(lat, lon, CELL_PER_DEG)
        pos = np.searchsorted(self.keys, uk)
        np.minimum(pos, len(self.keys) - 1, out=pos)
        hit = (self.keys[pos] == uk) if len(self.keys) else np.zeros(len(uk), dtype=bool)
        km = np.empty(len(uk))
        km[hit] = self.km[pos[hit]]
        new = uk[~hit]
        if len(new):
            clat = ((new >> 24) - (90 * CELL_PER_DEG + 1)) / CELL_PER_DEG
            clon = ((new & 0xFFFFFF) - (180 * CELL_PER_DEG + 1)) / CELL_PER_DEG
            d = _coast_km(clat, clon)
            km[~hit] = np.where(_inside(clat, clon), -d, d)
            keys = np.concatenate([self.keys, new])
            order = np.argsort(keys, kind="stable")
            self.keys, self.km = keys[order], np.concatenate([self.km, km[~hit]])[order]
        return km[inv]


def _refined(lat: np.ndarray, lon: np.ndarray, cache: _CellCache) -> np.ndarray:
    """Signed km for near-coast points (no NaN).

    First on the distinct 1e-3 degree cells (~110 m); a cell whose centre is more than CERTAIN_KM
    from the coast is wholly
    on one side, and its points take the centre's value (off by at most 80 m: a tenth of Natural
    Earth's precision); points of the other cells, near the coast, get the exact test each.
    """
    out = cache.lookup(lat, lon)
    unsure = np.flatnonzero(~(np.abs(out) > CERTAIN_KM))
    if len(unsure):
        out[unsure] = _exact(lat[unsure], lon[unsure])
    return out


def _block(lat: np.ndarray, lon: np.ndarray, cache: _CellCache) -> np.ndarray:
    km, res, north, west = _coarse()
    nan = np.isnan(lat) | np.isnan(lon)
    any_nan = bool(nan.any())
    if any_nan:
        lat, lon = np.where(nan, 0.0, lat), np.where(nan, 0.0, lon)
    cell = _cells(lat, lon, km.shape, res, north, west)
    out = km.ravel().take(cell).astype(np.float64)
    near = _land().near.ravel().take(cell)
    del cell
    if any_nan:
        near &= ~nan
    rows = np.flatnonzero(near)
    if len(rows):
        d = _refined(lat[rows], lon[rows], cache)
        far = np.flatnonzero(np.isinf(d))  # no Natural Earth coast within ~110 km: at least that far,
        if len(far):                       # or the coarse grid's distance when it is on the same side
            c = out[rows[far]]
            same = np.sign(c) == np.sign(d[far])
            d[far] = np.sign(d[far]) * np.where(same, np.maximum(np.abs(c), _NO_COAST_KM), _NO_COAST_KM)
        out[rows] = d
    if any_nan:
        out[nan] = np.nan
    return out


def _blocks(lat, lon) -> np.ndarray:
    lat = np.asarray(lat, dtype=float).ravel()
    lon = np.asarray(lon, dtype=float).ravel()
    if lat.shape != lon.shape:
        raise ConfigError(f"lat and lon differ in length: {len(lat)} and {len(lon)}; pass one value of each per point")
    out = np.empty(len(lat))
    cache = _CellCache()
    for s in range(0, len(lat), BLOCK_ROWS):  # blocks: bounded scratch memory
        out[s:s + BLOCK_ROWS] = _block(lat[s:s + BLOCK_ROWS], lon[s:s + BLOCK_ROWS], cache)
    return out


def shore_distance_km(lat, lon) -> np.ndarray:
    """Signed distance to the coastline in km: positive at sea, negative on land; NaN for NaN input.

    Within ~20 km of a coast, from Natural Earth 1:10m land (about 1 km precise: harbours and rivers
    a few km wide are sea, quays and basins are not resolved); farther out, the shipped 0.1-degree
    grid. Capped at +-1000 km. ``shore_distance_km(lat, lon) < 0`` equals ``on_land(lat, lon)``.
    """
    return _blocks(lat, lon)


def on_land(lat, lon) -> np.ndarray:
    """True where a point is on land (Natural Earth 1:10m near coasts, the 0.1-degree grid elsewhere);
    False for NaN input. The same as ``shore_distance_km(lat, lon) < 0``, at the same cost (the
    distances of 1e-3 degree cells, cached within the call, are what make most signs certain)."""
    d = _blocks(lat, lon)
    return d < 0  # NaN < 0 is False


def coarse_shore_distance_km(lat, lon) -> np.ndarray:
    """The 0.1-degree grid alone (the far-field source of :func:`shore_distance_km`): one lookup per
    point, good to a few km away from coasts, wrong in harbours and estuaries."""
    km, res, north, west = _coarse()
    lat = np.asarray(lat, dtype=float).ravel()
    lon = np.asarray(lon, dtype=float).ravel()
    out = np.empty(len(lat))
    for s in range(0, len(lat), BLOCK_ROWS):
        la, lo = lat[s:s + BLOCK_ROWS], lon[s:s + BLOCK_ROWS]
        nan = np.isnan(la) | np.isnan(lo)
        cell = _cells(np.where(nan, 0.0, la), np.where(nan, 0.0, lo), km.shape, res, north, west)
        out[s:s + BLOCK_ROWS] = np.where(nan, np.nan, km.ravel().take(cell))
    return out


def land_in_bbox(lon0: float, lat0: float, lon1: float, lat1: float) -> shapely.Geometry:
    """Natural Earth land inside the box (degrees, lon0 < lon1, lat0 < lat1), tile seams dissolved:
    a (Multi)Polygon, empty when the box is all sea. For maps: ~55 m simplified, ~1 km precise."""
    if not (lon0 < lon1 and lat0 < lat1):
        raise ConfigError(
            f"bbox ({lon0}, {lat0}, {lon1}, {lat1}) invalid; expected lon0 < lon1 and lat0 < lat1 (split a box across the antimeridian into two calls)"  # noqa: E501
        )
    land = _land()
    tx = np.arange(max(int(np.floor(lon0)), -180), min(int(np.ceil(lon1)), 180)) + 180
    ty = np.arange(max(int(np.floor(lat0)), -90), min(int(np.ceil(lat1)), 90)) + 90
    idx = land.tile_index[(ty[:, None] * 360 + tx[None, :]).ravel()]
    pieces = land.tiles[idx[idx >= 0]]
    if len(pieces) == 0:
        return shapely.Polygon()
    clipped = shapely.clip_by_rect(pieces, lon0, lat0, lon1, lat1)
    return shapely.union_all(clipped, grid_size=1.0 / land.quant)
