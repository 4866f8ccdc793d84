"""Build src/vesseltrack/data/land_50m.npz: Natural Earth 1:50m land, simplified, for maps of wide areas.

Maps of a harbour or a sea draw the 1:10m land of ``data/land.npz`` (:func:`vesseltrack.shore.land_in_bbox`);
cutting that out for an ocean or the world takes too long and gives far more detail than a screen
can show, so maps wider than ``maps.WIDE_DEG`` use this file instead.

Source: ``ne_50m_land`` (Natural Earth, public domain; see ../shared/data/geo/PROVENANCE.md), read
here only, at build time. Every polygon is made valid, simplified with a tolerance of ``TOL_DEG``
(0.01 degree, ~1 km; 1:50m is itself ~5 km precise), snapped to a 1e-4 degree grid and stored as
int32 in 1e-4 degree, delta-encoded, with the ragged offsets of ``shapely.to_ragged_array``.

Run:  python scripts/build_map_land.py   (needs only numpy and shapely)
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT.parent / "shared" / "data" / "geo"
OUT = ROOT / "src" / "vesseltrack" / "data" / "land_50m.npz"
TOL_DEG = 0.01
QUANT = 10_000  # units per degree (1e-4 degree, ~11 m)


def main() -> None:
    with gzip.open(GEO / "ne_50m_land.geojson.gz", "rt") as fh:
        geoms = [shapely.geometry.shape(f["geometry"]) for f in json.load(fh)["features"]]
    parts = shapely.get_parts(shapely.make_valid(np.array(geoms, dtype=object)))
    parts = parts[shapely.get_type_id(parts) == 3]
    parts = shapely.simplify(parts, TOL_DEG, preserve_topology=True)
    parts = shapely.set_precision(parts, 1.0 / QUANT)
    parts = shapely.get_parts(parts[~shapely.is_empty(parts)])
    parts = parts[shapely.get_type_id(parts) == 3]
    _, coords, (ring_offsets, poly_offsets) = shapely.to_ragged_array(parts)
    q = np.round(coords * QUANT).astype(np.int64)
    d = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))  # the reader takes the cumulative sum
    np.savez_compressed(OUT, dxy=d.astype(np.int32), ring_offsets=ring_offsets.astype(np.int64),
                        poly_offsets=poly_offsets.astype(np.int64), quant=np.int64(QUANT))
    print(f"{len(parts):,} polygons, {len(q):,} vertices -> {OUT} ({OUT.stat().st_size / 1e3:,.0f} kB)")


if __name__ == "__main__":
    main()
