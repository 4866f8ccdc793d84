"""Build src/vesseltrack/data/ports.csv: the shipped port gazetteer.

Two sources, merged:
1. SENSITIVE below: hand-curated ports of the Russian Far East and North Korea that sanctions
   investigations of oil shipments to the DPRK name (UN Panel of Experts reports; open-source
   investigations of Vostochny -> DPRK tanker runs). Coordinates are of the harbour, to ~1 km.
2. NGA World Port Index (Pub. 150, public domain), ../shared/data/ais/reference_ports_nga_wpi: every
   port, with a radius from its harbour size. WPI entries within 5 km of a sensitive port are dropped
   (the curated entry wins).

Run:  python scripts/build_gazetteer.py ../shared/data/ais/reference_ports_nga_wpi/UpdatedPub150.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "src" / "vesseltrack" / "data" / "ports.csv"

# name, country (ISO 3166 alpha-2), lat, lon, radius_m
SENSITIVE = [
    ("VOSTOCHNY", "RU", 42.745, 133.075, 5000),
    ("KOZMINO", "RU", 42.720, 133.030, 4000),
    ("NAKHODKA", "RU", 42.800, 132.885, 5000),
    ("VLADIVOSTOK", "RU", 43.105, 131.890, 8000),
    ("SLAVYANKA", "RU", 42.865, 131.385, 4000),
    ("ZARUBINO", "RU", 42.635, 131.080, 4000),
    ("POSYET", "RU", 42.650, 130.805, 4000),
    ("RAJIN", "KP", 42.235, 130.300, 5000),
    ("SONBONG", "KP", 42.330, 130.400, 4000),
    ("CHONGJIN", "KP", 41.770, 129.820, 6000),
    ("KIMCHAEK", "KP", 40.660, 129.200, 5000),
    ("HUNGNAM", "KP", 39.830, 127.620, 6000),
    ("WONSAN", "KP", 39.170, 127.450, 6000),
    ("NAMPO", "KP", 38.717, 125.390, 8000),
    ("SONGRIM", "KP", 38.750, 125.630, 4000),
    ("HAEJU", "KP", 38.000, 125.700, 5000),
]

RADIUS_BY_SIZE = {"Very Small": 3000, "Small": 4000, "Medium": 6000, "Large": 8000}

COUNTRY = {  # WPI country names -> ISO alpha-2, for the few we need to print; others keep the name
    "Russia": "RU", "North Korea": "KP", "South Korea": "KR", "China": "CN", "Japan": "JP",
    "United States": "US", "Egypt": "EG", "Denmark": "DK", "Norway": "NO", "France": "FR",
}


def main(wpi_path: str) -> None:
    wpi = pd.read_csv(wpi_path, dtype=str, keep_default_na=False)
    ports = pd.DataFrame({
        "port": wpi["Main Port Name"].str.upper().str.strip(),
        "country": wpi["Country Code"].map(lambda c: COUNTRY.get(c, c)),
        "lat": wpi["Latitude"].astype(float).round(5),
        "lon": wpi["Longitude"].astype(float).round(5),
        "radius_m": wpi["Harbor Size"].map(RADIUS_BY_SIZE).fillna(3000).astype(int),
        "sensitive": False,
    })
    sens = pd.DataFrame(SENSITIVE, columns=["port", "country", "lat", "lon", "radius_m"]).assign(sensitive=True)
    lat0, lon0 = np.radians(sens["lat"].to_numpy())[:, None], np.radians(sens["lon"].to_numpy())[:, None]
    lat1, lon1 = np.radians(ports["lat"].to_numpy())[None], np.radians(ports["lon"].to_numpy())[None]
    a = np.sin((lat1 - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat1) * np.sin((lon1 - lon0) / 2) ** 2
    d = 2 * 6371008.8 * np.arcsin(np.sqrt(a))
    ports = ports[~(d < 5000).any(axis=0)]
    out = pd.concat([sens, ports]).sort_values(["sensitive", "port", "lat"], ascending=[False, True, True])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {len(out)} ports ({int(out['sensitive'].sum())} sensitive) to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ais/reference_ports_nga_wpi/UpdatedPub150.csv")
