"""Where terrestrial AIS stations hear ships: a coverage grid over the region from the gazetteer's ports."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

from vesseltrack.geo import M_PER_NM, haversine_m
from vesseltrack.scenarios._shared import _M_PER_DEG

#: Region boxes (lat_min, lat_max, lon_min, lon_max) in degrees.
REGIONS: dict[str, tuple[float, float, float, float]] = {"sea_of_japan": (33.0, 47.0, 119.0, 142.5)}
_GRID_RES = 0.05


@cache
def _gazetteer() -> pd.DataFrame:
    with files("vesseltrack").joinpath("data/ports.csv").open("rb") as fh:
        return pd.read_csv(fh)


@cache
def _coverage(region: str) -> np.ndarray:
    """Boolean grid: True where a terrestrial AIS station is in range.

    Shore stations are approximated by the gazetteer's ports in and around the region, except North
    Korean ones (no AIS shore stations feed the public networks there); range 40-60 nm by port size.
    """
    lat0, lat1, lon0, lon1 = REGIONS[region]
    g = _gazetteer()
    g = g[g["lat"].between(lat0 - 1, lat1 + 1) & g["lon"].between(lon0 - 1, lon1 + 1) & (g["country"] != "KP")]
    rng_m = np.where(g["radius_m"] >= 8000, 60.0, np.where(g["radius_m"] >= 4000, 50.0, 40.0)) * M_PER_NM
    glat = lat0 + (np.arange(int(round((lat1 - lat0) / _GRID_RES))) + 0.5) * _GRID_RES
    glon = lon0 + (np.arange(int(round((lon1 - lon0) / _GRID_RES))) + 0.5) * _GRID_RES
    la, lo = np.meshgrid(glat, glon, indexing="ij")
    cov = np.zeros(la.shape, dtype=bool)
    for s_lat, s_lon, r in zip(g["lat"].to_numpy(), g["lon"].to_numpy(), rng_m):
        near = (np.abs(la - s_lat) < r / _M_PER_DEG + 0.1) & (np.abs(lo - s_lon) < r / (_M_PER_DEG * 0.7) + 0.1)
        if near.any():
            cov[near] |= haversine_m(la[near], lo[near], s_lat, s_lon) < r
    return cov


def _covered(region: str, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    cov = _coverage(region)
    lat0, _, lon0, _ = REGIONS[region]
    i = np.clip(((lat - lat0) / _GRID_RES).astype(np.int64), 0, cov.shape[0] - 1)
    j = np.clip(((lon - lon0) / _GRID_RES).astype(np.int64), 0, cov.shape[1] - 1)
    return cov[i, j]
