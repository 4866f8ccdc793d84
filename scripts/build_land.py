"""Build src/vesseltrack/data/land.npz: Natural Earth 1:10m land, simplified and cut into 1-degree tiles.

Source: ``ne_10m_land`` + ``ne_10m_minor_islands`` (Natural Earth, public domain; see
../shared/data/geo/PROVENANCE.md), read here only, at build time. Steps:

1. every polygon is made valid and simplified with a tolerance of ``TOL_DEG`` (0.0005 degree, ~55 m
   north-south; Natural Earth 1:10m itself is ~1 km precise, so this loses nothing that matters);
2. each polygon is cut into 1-degree tiles by recursive halving (big continents cost O(n log n), not
   one full clip per tile), and the pieces of a tile are unioned (islands that overlap the land layer);
3. tile geometries are snapped to a 1e-5 degree grid (~1 m) with ``shapely.set_precision`` (which
   keeps them valid), so coordinates are stored exactly as int32 in 1e-5 degree, delta-encoded,
   x and y apart, in a compressed npz with the ragged offsets of ``shapely.to_ragged_array``;
4. a 0.1-degree "near the coast" mask, aligned with the coarse grid of ``shore.npz``: a cell is near
   when the Natural Earth coastline is within ``NEAR_KM`` of its centre plus half its diagonal, or
   when the coarse grid puts the cell within ``NEAR_KM`` of its own coastline, or when the two
   disagree on the side of the cell's centre (the coarse grid has the Caspian Sea as land, and
   Antarctic ice shelves as sea). Only points in near cells are refined at run time; elsewhere the
   coarse grid is kept.

Segments that lie on a tile edge are not coastline; the reader drops them (both ends on the same
integer meridian or parallel), so the tiles carry the coastline too and nothing is stored twice.

Run:  python scripts/build_land.py   (needs only numpy, scipy and shapely)
"""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT.parent / "shared" / "data" / "geo"
OUT = ROOT / "src" / "vesseltrack" / "data" / "land.npz"
SHORE = ROOT / "src" / "vesseltrack" / "data" / "shore.npz"
LAYERS = ("ne_10m_land", "ne_10m_minor_islands")
TOL_DEG = 0.0005
QUANT = 100_000  # units per degree (1e-5 degree, ~1.1 m)
NEAR_KM = 20.0
R_KM = 6371.0088


def load_polygons() -> np.ndarray:
    geoms = []
    for layer in LAYERS:
        with gzip.open(GEO / f"{layer}.geojson.gz", "rt") as fh:
            geoms += [shapely.geometry.shape(f["geometry"]) for f in json.load(fh)["features"]]
    parts = shapely.get_parts(shapely.make_valid(np.array(geoms, dtype=object)))
    parts = parts[shapely.get_type_id(parts) == 3]  # polygons only
    parts = shapely.simplify(parts, TOL_DEG, preserve_topology=True)
    return parts[~shapely.is_empty(parts)]


def cut(g, x0: int, y0: int, x1: int, y1: int, out: dict) -> None:
    """Pieces of g in each 1-degree tile of the box (x0, y0, x1, y1), halving the longer side."""
    if x1 - x0 <= 1 and y1 - y0 <= 1:
        out[(x0, y0)].append(g)
        return
    if x1 - x0 >= y1 - y0:
        xm = (x0 + x1) // 2
        halves = ((x0, y0, xm, y1), (xm, y0, x1, y1))
    else:
        ym = (y0 + y1) // 2
        halves = ((x0, y0, x1, ym), (x0, ym, x1, y1))
    for b in halves:
        h = shapely.clip_by_rect(g, *b)
        if not h.is_empty and h.area > 0:
            cut(h, *b, out)


def tiles(parts: np.ndarray) -> dict:
    pieces: dict = defaultdict(list)
    for g in parts:  # build time: a loop over ~7,000 polygons
        minx, miny, maxx, maxy = g.bounds
        x0, y0 = math.floor(minx), math.floor(miny)
        x1, y1 = max(math.ceil(maxx), x0 + 1), max(math.ceil(maxy), y0 + 1)
        cut(g, x0, y0, x1, y1, pieces)
    out = {}
    for key, ps in pieces.items():
        g = shapely.union_all(ps) if len(ps) > 1 else ps[0]
        g = shapely.set_precision(shapely.make_valid(g), 1.0 / QUANT)
        polys = shapely.get_parts(g)
        polys = polys[(shapely.get_type_id(polys) == 3) & (shapely.area(polys) > 0)]
        if len(polys):
            out[key] = polys
    return out


def coast_points(polys: np.ndarray) -> np.ndarray:
    """Midpoints of coastline segments (tile-edge segments dropped), densified to ~1 km: for the mask."""
    _, coords, (ring_off, _) = shapely.to_ragged_array(polys)
    q = np.rint(coords * QUANT).astype(np.int64)
    a, b = q[:-1], q[1:]
    same_ring = np.ones(len(a), bool)
    same_ring[ring_off[1:-1] - 1] = False
    edge = ((a[:, 0] == b[:, 0]) & (a[:, 0] % QUANT == 0)) | ((a[:, 1] == b[:, 1]) & (a[:, 1] % QUANT == 0))
    keep = same_ring & ~edge
    a, b = coords[:-1][keep], coords[1:][keep]
    n = np.maximum(1, np.ceil(np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]) * 111.2).astype(int))
    seg = np.repeat(np.arange(len(a)), n)
    t = (np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n) + 0.5) / np.repeat(n, n)
    return a[seg] + (b[seg] - a[seg]) * t[:, None]


def unit(lat, lon):
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def land_at(by_tile: dict, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Natural Earth land at the points (intersects: a tile edge inside land is land)."""
    keys = list(by_tile)
    geoms = np.array([shapely.multipolygons(by_tile[k]) for k in keys], dtype=object)
    shapely.prepare(geoms)
    code = np.full(180 * 360, -1, dtype=np.int64)
    code[[(y + 90) * 360 + (x + 180) for x, y in keys]] = np.arange(len(keys))
    c = code[
        np.clip(np.floor(lat).astype(np.int64) + 90, 0, 179) * 360
        + np.clip(np.floor(lon).astype(np.int64) + 180, 0, 359)
    ]
    out = np.zeros(len(lat), dtype=bool)
    has = c >= 0
    out[has] = shapely.intersects_xy(geoms[c[has]], lon[has], lat[has])
    return out


def near_mask(polys: np.ndarray, by_tile: dict) -> np.ndarray:
    with np.load(SHORE) as z:
        q = z["q"].astype(np.float32)
        coarse_km = np.sign(q) * np.square(q / np.float32(z["scale"]))
        res, north, west = float(z["res"]), float(z["north"]), float(z["west"])
    ny, nx = coarse_km.shape
    pts = coast_points(polys)
    tree = cKDTree(unit(pts[:, 1], pts[:, 0]))
    glat = north - (np.arange(ny) + 0.5) * res
    glon = west + (np.arange(nx) + 0.5) * res
    mask = np.abs(coarse_km) < NEAR_KM
    for r0 in range(0, ny, 100):  # build time: blocks of grid rows
        LA, LO = np.meshgrid(glat[r0:r0 + 100], glon, indexing="ij")
        half_diag_km = 0.5 * res * 111.2 * np.sqrt(1 + np.cos(np.radians(LA)) ** 2)
        reach = NEAR_KM + half_diag_km.max()
        chord, _ = tree.query(
            unit(LA.ravel(), LO.ravel()), distance_upper_bound=2 * math.sin(reach / R_KM / 2), workers=-1
        )
        d = 2 * R_KM * np.arcsin(np.clip(chord / 2, 0, 1))  # inf beyond the bound
        mask[r0:r0 + 100] |= (d <= NEAR_KM + half_diag_km.ravel()).reshape(LA.shape)
        # and where the two sources disagree on the side (the coarse grid has the Caspian as land)
        ne_land = land_at(by_tile, LA.ravel(), LO.ravel()).reshape(LA.shape)
        mask[r0:r0 + 100] |= ne_land != (coarse_km[r0:r0 + 100] < 0)
    return mask


def main() -> None:
    parts = load_polygons()
    by_tile = tiles(parts)
    keys = sorted(by_tile, key=lambda k: ((k[1] + 90) * 360 + (k[0] + 180)))
    tile_id = np.array([(y + 90) * 360 + (x + 180) for x, y in keys], dtype=np.int32)
    n_poly = np.array([len(by_tile[k]) for k in keys], dtype=np.int32)
    polys = np.concatenate([by_tile[k] for k in keys])
    _, coords, (ring_off, poly_off) = shapely.to_ragged_array(polys)
    q = np.rint(coords * QUANT).astype(np.int64)
    assert np.array_equal(q / QUANT, coords) or np.abs(q / QUANT - coords).max() < 1e-9
    dq = np.diff(q, axis=0, prepend=0).astype(np.int32)
    mask = near_mask(polys, by_tile)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT, dx=dq[:, 0], dy=dq[:, 1], ring_offsets=ring_off.astype(np.int32), poly_offsets=poly_off.astype(np.int32),
        tile_id=tile_id, tile_polys=n_poly, quant=np.int64(QUANT), tile_deg=np.int64(1), tol_deg=np.float64(TOL_DEG),
        near=np.packbits(mask, axis=None), near_shape=np.array(mask.shape, dtype=np.int64), near_km=np.float64(NEAR_KM))
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB): {len(keys):,} tiles, {len(polys):,} polygons, "
          f"{len(coords):,} vertices; near-coast cells {mask.mean():.1%}")


if __name__ == "__main__":
    main()
