"""A crowd in one spot: ``n`` ships within about 100 m of each other, reporting every 10 minutes for
a day, at sea (a busy anchorage, or one spoofer broadcasting many MMSIs from one place). Fixed seed.

``python tests/_crowd.py N PATH [RADIUS_M]`` writes the CSV (for profiling ``vesseltrack score``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: Centre of the crowd: the open sea east of Japan, far from any port or shore.
CENTRE = (31.0, 145.0)


def crowd_positions(n: int, *, seed: int = 15, hours: float = 24.0, every_min: float = 10.0,
                    radius_m: float = 50.0) -> pd.DataFrame:
    """Positions of ``n`` ships within ``radius_m`` of ``CENTRE`` (each drifts a few metres around its
    own spot), one report every ``every_min`` minutes (at a per-ship offset) for ``hours``, in the
    MarineCadastre CSV layout of the bundled sample."""
    rng = np.random.default_rng(seed)
    per = int(hours * 60 / every_min)
    ship = np.repeat(np.arange(n), per)
    t0 = pd.Timestamp("2024-03-01T00:00:00")
    offset_s = rng.integers(0, int(every_min * 60), n)[ship]
    t = t0 + pd.to_timedelta(np.tile(np.arange(per), n) * every_min * 60 + offset_s, unit="s")
    # each ship's spot within radius_m of the centre; drift of a few metres around it
    r = radius_m * np.sqrt(rng.random(n))
    th = 2 * np.pi * rng.random(n)
    dy = (r * np.sin(th))[ship] + rng.normal(0, 3.0, len(ship))
    dx = (r * np.cos(th))[ship] + rng.normal(0, 3.0, len(ship))
    lat = CENTRE[0] + dy / 111_195.0
    lon = CENTRE[1] + dx / (111_195.0 * np.cos(np.radians(CENTRE[0])))
    mmsi = 412_000_000 + ship
    vtype = np.where(ship % 3 == 0, 80, 70)
    return pd.DataFrame({
        "MMSI": mmsi, "BaseDateTime": t.strftime("%Y-%m-%dT%H:%M:%S"), "LAT": lat.round(6), "LON": lon.round(6),
        "SOG": rng.uniform(0.0, 0.3, len(ship)).round(1), "COG": rng.uniform(0, 360, len(ship)).round(1),
        "Heading": 511, "VesselName": [f"CROWD {i}" for i in ship], "IMO": "", "CallSign": "",
        "VesselType": vtype, "Status": 1, "Length": 120, "Width": 20, "Draft": 8.0, "Cargo": vtype,
        "TransceiverClass": "A",
    })


def write_crowd(path: Path, n: int, *, seed: int = 15, radius_m: float = 50.0) -> Path:
    """Write :func:`crowd_positions` as CSV to ``path``; returns ``path``."""
    crowd_positions(n, seed=seed, radius_m=radius_m).to_csv(path, index=False)
    return path


if __name__ == "__main__":
    write_crowd(Path(sys.argv[2]), int(sys.argv[1]), radius_m=float(sys.argv[3]) if len(sys.argv) > 3 else 50.0)
