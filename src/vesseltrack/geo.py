"""Great-circle helpers over numpy arrays (degrees in, metres out)."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8
M_PER_NM = 1852.0
KN_PER_M_S = 3600.0 / M_PER_NM


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres between arrays of points given in degrees (broadcasts)."""
    lat1 = np.radians(lat1)
    lat2 = np.radians(lat2)
    dlat = lat2 - lat1
    dlon = np.radians(lon2) - np.radians(lon1)
    a = np.sin(dlat * 0.5) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon * 0.5) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
