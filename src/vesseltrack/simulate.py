"""Realistic synthetic AIS scenarios with known truth, for testing and evaluating detectors.

A scenario is a fleet of vessels sailing real sea lanes of the Sea of Japan / East Sea, the Korea
Strait and the Yellow Sea / Korea Bay between ports of the bundled gazetteer, seen through a model of
AIS reception (dense terrestrial coverage near shore stations, sparse satellite passes offshore, no
shore stations in North Korea), with injected anomalies whose truth is recorded:

- ``dark_voyage``: a tanker loads at a Russian Far East oil port, switches AIS off, delivers to a
  North Korean port (or meets a ship at sea) and reappears elsewhere, often with a new draught and
  destination;
- ``sts``: two tankers alongside in open sea (50-300 m, < 1 kn, 2-8 h), draughts swap;
- ``dark_sts``: one tanker loiters at sea while its partner is dark;
- ``spoofing``: reported positions jump tens to hundreds of km away and back;
- ``identity_clash``: two ships broadcast the same MMSI at the same time in different places.

Benign look-alikes are part of every scenario: satellite-only reception gaps offshore, long
anchorages, fishing loitering, ships that switch AIS off while moored. The natural gaps are listed in
the truth so an evaluation can count false alarms.

Nuisances (``generate(..., nuisances=True)``, the default): everyday harbour life, which on real AIS
raises nearly all the false alarms, added on top of the ``n_vessels`` ships (about 35 more vessels
for 60, scaled with ``n_vessels``) and listed in ``truth["nuisances"]``, one record per nuisance:
``{"kind", "mmsi", "other_mmsi" (the other vessel of a pair, else null), "start_time", "end_time",
"duration_h", "lat", "lon", "port", ..., "detail"}``. Kinds:

- ``harbour_craft``: a tug (52), pilot boat (50), port tender (53), work boat (31, 33) or law
  enforcement vessel (55), some class B, based at a berth of a real port, making short trips in
  the harbour on working days (start/end: its first and last report; lat/lon: its berth); with
  ``other_mmsi``, dredgers / work vessels (33) moored together 10-30 m apart (start/end: while
  both are at their berths; ``distance_m``);
- ``berth_shutdown``: a harbour craft or pleasure boat switches AIS off at its berth overnight or
  over the weekend, 8-70 h, and comes back on within metres of where it stopped, stationary
  (start/end: the last report before and the first after, as in ``natural_gaps``, where the same
  silence is listed with cause ``ais_off_in_port``);
- ``marina_moored``: pleasure craft (37, mostly class B) moored side by side 10-40 m apart for
  days (start/end: while both are at their slots; ``distance_m``), with occasional outings;
- ``ferry_berth``: day ferries (60-69) lying at adjacent berths of a terminal overnight
  (``distance_m`` 40-70 m);
- ``anchorage_wait``: a cargo ship (70s) or tanker (80s) waiting at a port's anchorage for 1-4
  days, with ``other_mmsi`` and ``distance_m`` when another waiting ship is anchored 300-800 m
  away (a benign neighbour, not a ship-to-ship transfer);
- ``anchorage_gap``: AIS off for 3-12 h while at anchor (as in ``natural_gaps``, cause
  ``ais_off_at_anchor``);
- ``censored_end``: a nuisance vessel's last report is at least ``NATURAL_GAP_MIN_H`` before the
  end of the data (start: that report; end: the data end; ``cause``: ``ais_off`` at its berth,
  ``left_area`` out of the region into the Pacific, or ``reception``). Short extracts, e.g.
  ``days=0.7`` with the anomaly counts set to 0, end during the nightly shutdowns;
- ``fast_craft``: a crossing of a high-speed craft (40-49) at 35-40 kn (not spoofing).

Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed gives the same frame and
byte-identical files; nuisance vessels from their own ``default_rng([seed, 7])`` (vessels and
tracks) and ``default_rng([seed, 7, 1])`` (reports), after every other vessel, so with or without
them the other vessels' rows are the same, and ``nuisances=False`` gives what the generator gave
before nuisances existed. Positions along a leg are produced with numpy; Python loops run over
vessels and legs only.
"""

from __future__ import annotations

import gzip
import heapq
import io
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.errors import ConfigError
from vesseltrack.geo import KN_PER_M_S, M_PER_NM, haversine_m

__all__ = ["Scenario", "generate", "write", "generate_bulk", "write_bulk", "to_marinecadastre", "imo_is_valid", "REGIONS", "TRUTH_FORMAT",
           "MARINECADASTRE_COLUMNS", "NUISANCE_KINDS"]

TRUTH_FORMAT = "vesseltrack-truth/1"
#: Region boxes (lat_min, lat_max, lon_min, lon_max) in degrees.
REGIONS: dict[str, tuple[float, float, float, float]] = {"sea_of_japan": (33.0, 47.0, 119.0, 142.5)}
#: Silences at least this long (hours) that are not anomalies are listed in truth["natural_gaps"].
NATURAL_GAP_MIN_H = 1.0
#: Column layout of MarineCadastre (NOAA / USCG) AIS CSV exports, 2018 onwards.
MARINECADASTRE_COLUMNS = (
    "MMSI", "BaseDateTime", "LAT", "LON", "SOG", "COG", "Heading", "VesselName", "IMO", "CallSign",
    "VesselType", "Status", "Length", "Width", "Draft", "Cargo", "TransceiverClass",
)

_DAY = 86_400.0
_HOUR = 3_600.0
_M_PER_DEG = 111_320.0
_MS_PER_KN = 1.0 / KN_PER_M_S

# --- sea lanes -------------------------------------------------------------------------------------
# Open-water waypoints. Every node and every edge below was checked against a 1 km land mask
# (global-land-mask, GLOBE data) while building this table; port berths connect to their approach
# node ("*_A") with one short leg.
_NODES: dict[str, tuple[float, float]] = {
    "VLA_B": (43.06, 131.95), "USS": (42.95, 132.05), "PGG": (42.75, 131.90), "PGG_S": (42.45, 132.10), "NAK_A":
    (42.72, 132.94), "VOS_A": (42.67, 133.15), "KOZ_A": (42.70, 132.99), "NAK_O": (42.50, 133.10), "ZAR_A":
    (42.56, 131.08), "POS_A": (42.55, 130.90), "SLA_A": (42.82, 131.50), "TUM": (42.15, 130.85), "GAM": (42.48,
    131.30), "RAJ_A": (42.18, 130.42), "CHO_A": (41.70, 129.98), "N3": (41.80, 130.60), "N2": (41.00, 130.20),
    "KIM_A": (40.58, 129.35), "N1": (40.10, 128.90), "HUN_A": (39.72, 127.85), "WON_A": (39.25, 127.75),
    "WON_O": (39.35, 128.30), "E6": (39.00, 128.60), "E5": (38.40, 128.90), "TON_A": (37.52, 129.30), "E4":
    (37.50, 129.55), "E3": (36.80, 129.70), "E2": (36.05, 129.80), "POH_A": (36.15, 129.50), "ULS_A": (35.42,
    129.50), "E1": (35.35, 129.70), "BUS_A": (35.02, 129.12), "KS_W": (34.75, 128.95), "KS_E": (34.05, 129.85),
    "KS_SW": (34.30, 128.40), "TSU_N": (34.82, 129.55), "GWA_O": (34.45, 127.88), "SK2": (33.95, 127.30), "SK1":
    (34.15, 127.70), "GWA_A": (34.70, 127.80), "JEJ": (33.85, 126.60), "SW1": (33.90, 125.30), "SW2": (34.60,
    124.90), "W1": (35.50, 125.40), "W2": (36.50, 125.60), "W3": (37.20, 125.70), "INC_A": (37.35, 126.30),
    "W4": (37.60, 124.50), "KB1": (38.10, 124.40), "NAM_A": (38.70, 124.92), "CHO": (38.40, 124.65), "KB2":
    (38.70, 124.20), "DAN_A": (39.65, 124.20), "KB3": (39.20, 123.50), "KB4": (38.85, 123.10), "DAL_A": (38.85,
    121.85), "DAL_O": (38.60, 122.20), "BOH": (38.50, 121.10), "BOH_C": (39.00, 120.30), "QHD_A": (39.85,
    119.70), "YAN_A": (37.70, 121.45), "WEI_A": (37.60, 122.25), "SD1": (37.45, 122.90), "SD2": (36.60, 122.40),
    "QIN_A": (35.95, 120.45), "SD3": (35.70, 121.00), "YS1": (36.00, 123.50), "YS2": (35.00, 124.00), "YS3":
    (37.00, 124.00), "MOJ_A": (34.02, 130.80), "HIB": (34.12, 130.72), "HAK_A": (33.75, 130.30), "J1": (34.50,
    130.60), "J2": (35.10, 131.60), "J3": (35.70, 132.70), "SKM_A": (35.62, 133.30), "J4": (35.80, 134.00),
    "J5": (35.80, 135.00), "MAI_A": (35.62, 135.35), "WAK": (35.85, 135.80), "MAI_O": (35.82, 135.28), "TSU_O":
    (35.80, 136.05), "ECH": (36.22, 136.00), "TSU_A": (35.72, 136.05), "J6": (36.40, 136.30), "KAN_A": (36.65,
    136.55), "J7": (37.10, 136.55), "NOTO": (37.50, 136.75), "J8": (37.70, 137.20), "TOY_A": (36.90, 137.25),
    "TOY_O": (37.45, 137.45), "J9": (37.75, 137.60), "J10": (37.75, 138.70), "NII_A": (38.00, 139.00), "J11":
    (38.40, 139.20), "SAK_A": (38.95, 139.70), "AWA": (38.52, 139.38), "AKI_A": (39.78, 139.90), "OGA": (39.92,
    139.60), "J12": (40.40, 139.70), "TSG_W": (41.30, 139.95), "TSG": (41.35, 140.30), "HKD_A": (41.70, 140.65),
    "TSG_E": (41.60, 141.10), "TSG_M": (41.47, 140.70), "OMA": (41.62, 140.90), "PAC": (41.50, 141.80), "HOK1":
    (42.00, 139.20), "HOK2": (43.00, 140.20), "OTA_A": (43.25, 140.95), "SHA": (43.45, 140.35), "HOK3": (43.60,
    140.30), "HOK4": (44.50, 140.80), "HOK5": (45.30, 140.80), "REB": (45.50, 140.90), "LAP": (45.75, 141.70),
    "LAP_E": (45.80, 142.40), "C1": (42.00, 132.50), "C2": (41.00, 134.00), "C3": (40.00, 136.00), "C4": (39.00,
    134.00), "C5": (38.00, 132.00), "C6": (40.50, 131.50), "C7": (39.00, 130.50), "C8": (37.00, 131.50), "C9":
    (36.50, 133.00), "OKI_E": (36.30, 133.50), "C10": (42.80, 137.50), "C11": (44.00, 138.50),
}
_EDGES = """
VLA_B-USS USS-PGG USS-PGG_S PGG-PGG_S PGG-SLA_A ZAR_A-GAM GAM-PGG_S GAM-PGG ZAR_A-POS_A POS_A-TUM TUM-PGG_S
PGG_S-NAK_O NAK_A-NAK_O KOZ_A-NAK_O VOS_A-NAK_O NAK_A-KOZ_A PGG_S-C1 NAK_O-C1 NAK_O-C2 NAK_O-C10 TUM-RAJ_A
RAJ_A-N3 TUM-N3 N3-CHO_A CHO_A-N2 N3-N2 N3-C1 N2-KIM_A N2-N1 KIM_A-N1 N1-HUN_A N1-WON_O HUN_A-WON_O WON_A-WON_O
WON_O-E6 E6-E5 N2-C6 C6-C1 C6-C7 E6-C7 E5-E4 E4-TON_A E4-E3 E3-E2 E2-POH_A E2-E1 E1-ULS_A E1-BUS_A E1-KS_W
BUS_A-KS_W E3-C8 E4-C7 C7-C8 C5-C8 KS_W-KS_SW KS_W-TSU_N TSU_N-KS_E BUS_A-TSU_N KS_SW-SK1 SK1-GWA_O GWA_O-GWA_A
SK1-SK2 SK2-JEJ JEJ-SW1 SW1-SW2 SW2-W1 SW2-YS2 W1-W2 W2-W3 W3-INC_A W3-W4 W2-YS3 W4-KB1 KB1-CHO CHO-NAM_A
KB1-KB2 W4-YS3 KB2-KB3 KB3-DAN_A KB3-KB4 KB4-DAL_O KB2-DAL_O DAL_O-DAL_A DAL_O-BOH BOH-BOH_C BOH_C-QHD_A
BOH-YAN_A YAN_A-WEI_A WEI_A-SD1 SD1-YS3 SD1-SD2 SD2-SD3 SD3-QIN_A SD2-YS1 YS1-YS2 YS1-YS3 YS2-SD3 DAL_O-SD1
YS3-KB2 KS_E-HAK_A KS_E-MOJ_A KS_E-J1 J1-HIB HIB-MOJ_A J1-J2 J2-J3 J3-SKM_A J3-J4 SKM_A-J4 J4-J5 J5-MAI_O
MAI_O-MAI_A J5-WAK WAK-TSU_O TSU_O-TSU_A WAK-ECH ECH-J6 J6-KAN_A J6-J7 J7-NOTO NOTO-J8 J8-J9 J9-TOY_O J8-TOY_O
TOY_O-TOY_A J9-J10 J10-NII_A NII_A-J11 J11-AWA AWA-SAK_A SAK_A-AKI_A AKI_A-OGA OGA-J12 J12-TSG_W TSG_W-TSG
TSG-HKD_A TSG-TSG_M TSG_M-OMA OMA-TSG_E TSG_E-PAC TSG_W-HOK1 HOK1-HOK2 HOK2-SHA SHA-OTA_A HOK2-HOK3 OTA_A-HOK3
HOK3-HOK4 HOK4-HOK5 HOK5-REB REB-LAP LAP-LAP_E C1-C2 C2-C3 C2-C4 C3-C4 C4-C5 C5-C9 C9-J3 C9-OKI_E OKI_E-J4 C4-J5
C3-J8 C3-J11 C3-C10 C10-C11 C11-HOK3 C11-HOK4 C10-HOK1 C2-C10 C3-SAK_A C4-J6 C5-C7 C8-C9 KS_W-C8 J2-C9 C10-TSG_W
C6-C2
"""

#: Gazetteer port name -> (approach node, berth lat, berth lon). Berths lie within the gazetteer
#: radius of the port, on water where the land mask resolves it.
_PORTS: dict[str, tuple[str, float, float]] = {
    "VLADIVOSTOK": ("VLA_B", 43.1050, 131.8900), "NAKHODKA": ("NAK_A", 42.7950, 132.8875),
    "KOZMINO": ("KOZ_A", 42.7200, 133.0125), "VOSTOCHNY": ("VOS_A", 42.7450, 133.0700),
    "ZARUBINO": ("ZAR_A", 42.6375, 131.0875), "POSYET": ("POS_A", 42.6375, 130.8075),
    "SLAVYANKA": ("SLA_A", 42.8700, 131.3975), "RAJIN": ("RAJ_A", 42.2300, 130.3025),
    "CHONGJIN": ("CHO_A", 41.7700, 129.8200), "KIMCHAEK": ("KIM_A", 40.6550, 129.2050),
    "HUNGNAM": ("HUN_A", 39.8125, 127.6275), "WONSAN": ("WON_A", 39.1700, 127.4500),
    "NAMPO": ("NAM_A", 38.7120, 125.3875), "BUSAN": ("BUS_A", 35.0950, 129.0458),
    "ULSAN": ("ULS_A", 35.4500, 129.4000), "POHANG": ("POH_A", 36.0500, 129.3883),
    "TONGHAE": ("TON_A", 37.5333, 129.1500), "INCHON": ("INC_A", 37.4667, 126.6117),
    "GWANGYANG HANG": ("GWA_A", 34.8500, 127.8000), "DALIAN": ("DAL_A", 38.9217, 121.6792),
    "QINGDAO GANG": ("QIN_A", 36.0333, 120.2667), "YANTAI": ("YAN_A", 37.5500, 121.4500),
    "QINHUANGDAO": ("QHD_A", 39.9208, 119.6392), "DANDONG": ("DAN_A", 39.8167, 124.1550),
    "MOJI KO": ("MOJ_A", 33.9450, 130.9617), "HAKATA": ("HAK_A", 33.6050, 130.3950),
    "SAKAIMINATO": ("SKM_A", 35.5333, 133.2333), "MAIZURU KO": ("MAI_A", 35.5117, 135.3383),
    "TSURUGA KO": ("TSU_A", 35.6625, 136.0667), "KANAZAWA": ("KAN_A", 36.6167, 136.5950),
    "FUSHIKI-TOYAMA": ("TOY_A", 36.7717, 137.1458), "NIIGATA KO": ("NII_A", 37.9367, 139.0450),
    "SAKATA KO": ("SAK_A", 38.9333, 139.8117), "AKITA-FUNAKAWA KO": ("AKI_A", 39.7814, 140.0150),
    "HAKODATE KO": ("HKD_A", 41.7833, 140.7167), "OTARU KO": ("OTA_A", 43.2050, 141.0142),
}

#: Inner waypoints between a berth and its approach node, where the straight leg would cut a headland.
_PORT_INNER: dict[str, tuple[float, float]] = {
    "VLADIVOSTOK": (43.085, 131.750), "NAKHODKA": (42.825, 132.918), "VOSTOCHNY": (42.705, 132.920),
    "ZARUBINO": (42.628, 131.118), "POSYET": (42.622, 130.808), "SLAVYANKA": (42.935, 131.483),
    "RAJIN": (42.170, 130.308), "CHONGJIN": (41.760, 129.835), "HUNGNAM": (39.798, 127.652),
    "WONSAN": (39.220, 127.485), "NAMPO": (38.687, 125.292), "BUSAN": (35.095, 129.081),
    "POHANG": (36.070, 129.423), "INCHON": (37.432, 126.462), "DALIAN": (38.932, 121.679),
    "MOJI KO": (33.940, 130.952), "HAKATA": (33.635, 130.335), "SAKAIMINATO": (35.533, 133.383),
    "MAIZURU KO": (35.567, 135.343), "HAKODATE KO": (41.778, 140.702), "OTARU KO": (43.230, 141.039),
}

#: How ships write their destination (UN/LOCODE style or plain), as broadcast.
_DEST = {
    "VLADIVOSTOK": "RU VVO", "NAKHODKA": "RU NJK", "VOSTOCHNY": "RU VYP", "KOZMINO": "KOZMINO",
    "ZARUBINO": "ZARUBINO", "POSYET": "POSYET", "SLAVYANKA": "SLAVYANKA", "BUSAN": "KR PUS",
    "ULSAN": "KR USN", "POHANG": "KR KPO", "TONGHAE": "DONGHAE", "INCHON": "KR INC",
    "GWANGYANG HANG": "KR KAN", "DALIAN": "CN DLC", "QINGDAO GANG": "CN TAO", "YANTAI": "CN YNT",
    "QINHUANGDAO": "QINHUANGDAO", "DANDONG": "DANDONG", "MOJI KO": "JP MOJ", "HAKATA": "JP HKT",
    "SAKAIMINATO": "SAKAIMINATO", "MAIZURU KO": "MAIZURU", "TSURUGA KO": "TSURUGA",
    "KANAZAWA": "KANAZAWA", "FUSHIKI-TOYAMA": "TOYAMA", "NIIGATA KO": "JP KIJ", "SAKATA KO": "SAKATA",
    "AKITA-FUNAKAWA KO": "AKITA", "HAKODATE KO": "HAKODATE", "OTARU KO": "OTARU",
    "RAJIN": "RAJIN", "CHONGJIN": "CHONGJIN", "NAMPO": "NAMPO", "WONSAN": "WONSAN",
    "KIMCHAEK": "KIMCHAEK", "HUNGNAM": "HUNGNAM",
}

#: Plain names of waypoints that appear in the truth's descriptions.
_AREA_NAMES = {
    "C1": "open sea SE of Peter the Great Gulf", "PGG_S": "the mouth of Peter the Great Gulf",
    "C6": "the East Sea off Chongjin", "C7": "the central East Sea", "E4": "the sea off Donghae",
    "E5": "the sea off Sokcho", "E6": "the sea off Wonsan", "N2": "the sea off Kimchaek",
    "W4": "the Yellow Sea south of Baengnyeong", "YS3": "the central Yellow Sea", "KB2": "Korea Bay",
    "NAK_O": "the sea off Nakhodka", "KS_SW": "the Korea Strait west of Tsushima",
}


def _area(node: str) -> str:
    return _AREA_NAMES.get(node, f"waypoint {node}")


_RU_OIL = ("VOSTOCHNY", "KOZMINO", "NAKHODKA")
_TANKER_DISCHARGE = ("ULSAN", "GWANGYANG HANG", "BUSAN", "INCHON", "DALIAN", "QINGDAO GANG", "YANTAI",
                     "NIIGATA KO", "AKITA-FUNAKAWA KO", "MOJI KO", "SAKATA KO", "POHANG")
_CARGO_PORTS = ("VLADIVOSTOK", "NAKHODKA", "VOSTOCHNY", "ZARUBINO", "BUSAN", "ULSAN", "POHANG", "TONGHAE",
                "INCHON", "DALIAN", "QINGDAO GANG", "YANTAI", "QINHUANGDAO", "DANDONG", "NIIGATA KO",
                "FUSHIKI-TOYAMA", "KANAZAWA", "TSURUGA KO", "MAIZURU KO", "SAKAIMINATO", "HAKATA", "MOJI KO",
                "HAKODATE KO", "OTARU KO", "SAKATA KO", "GWANGYANG HANG")
#: Ferry routes (A, B, speed kn, departure hour UTC from A, from B).
_FERRIES = (("BUSAN", "HAKATA", 20.0, 1, 7), ("BUSAN", "MOJI KO", 18.0, 11, 10), ("INCHON", "DALIAN", 17.0, 9, 8),
            ("INCHON", "QINGDAO GANG", 17.0, 10, 9), ("TONGHAE", "VLADIVOSTOK", 18.0, 8, 7),
            ("OTARU KO", "NIIGATA KO", 21.0, 8, 3), ("SAKAIMINATO", "TONGHAE", 18.0, 9, 9))
_TUG_BASES = ("BUSAN", "ULSAN", "VLADIVOSTOK", "NAKHODKA", "VOSTOCHNY", "INCHON", "NIIGATA KO", "DALIAN")
#: Fishing grounds: flag -> (grounds as graph nodes, home ports).
_FISHING = {
    "CN": (("YS1", "YS2", "YS3", "C6", "C7"), ("QINGDAO GANG", "YANTAI", "DALIAN")),
    "KR": (("E3", "E4", "W1", "E5"), ("BUSAN", "POHANG", "TONGHAE", "INCHON")),
    "JP": (("J4", "J5", "C9", "HOK2", "J11"), ("SAKAIMINATO", "HAKATA", "NIIGATA KO", "OTARU KO")),
    "RU": (("NAK_O", "PGG_S", "C1"), ("NAKHODKA", "VLADIVOSTOK", "ZARUBINO")),
}
_STS_AREAS = ("NAK_O", "KS_SW", "YS3", "KB2")  # the first two within terrestrial coverage
_EAST_SEA_PORTS = ("VLADIVOSTOK", "NAKHODKA", "VOSTOCHNY", "ZARUBINO", "POHANG", "TONGHAE", "NIIGATA KO",
                   "FUSHIKI-TOYAMA", "KANAZAWA", "TSURUGA KO", "MAIZURU KO", "SAKAIMINATO", "SAKATA KO", "OTARU KO")
_DARK_STS_AREAS = ("KB2", "YS3", "C7", "E6")
#: Dark-voyage itineraries: (load port, node where AIS goes off, delivery port, node where it comes back, next port).
_DARK_PLANS = (
    ("VOSTOCHNY", "C1", "RAJIN", "PGG_S", "NAKHODKA"),
    ("KOZMINO", "W4", "NAMPO", "YS3", "DALIAN"),
    ("NAKHODKA", "C6", "CHONGJIN", "C1", "VOSTOCHNY"),
    ("VOSTOCHNY", "E5", "WONSAN", "E4", "BUSAN"),
    ("KOZMINO", "N2", "KIMCHAEK", "C6", "ZARUBINO"),
)


# --- graph and routing -----------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _graph():
    names = list(_NODES) + [f"P:{p}" for p in _PORTS] + [f"I:{p}" for p in _PORT_INNER]
    index = {n: i for i, n in enumerate(names)}
    lat = np.array([_NODES[n][0] for n in _NODES] + [_PORTS[p][1] for p in _PORTS] + [v[0] for v in _PORT_INNER.values()])
    lon = np.array([_NODES[n][1] for n in _NODES] + [_PORTS[p][2] for p in _PORTS] + [v[1] for v in _PORT_INNER.values()])
    adj: list[list[tuple[int, float]]] = [[] for _ in names]
    pairs = [tuple(e.split("-")) for e in _EDGES.split()]
    for p, (a, _, _) in _PORTS.items():
        pairs += [(f"P:{p}", f"I:{p}"), (f"I:{p}", a)] if p in _PORT_INNER else [(f"P:{p}", a)]
    for a, b in pairs:
        ia, ib = index[a], index[b]
        d = float(haversine_m(lat[ia], lon[ia], lat[ib], lon[ib]))
        adj[ia].append((ib, d))
        adj[ib].append((ia, d))
    return names, index, lat, lon, adj


def _node(name: str) -> str:
    return name if name in _NODES or name.startswith("P:") else f"P:{name}"


@lru_cache(maxsize=4096)
def _path(a: str, b: str) -> tuple[int, ...]:
    """Node indices of the shortest path a -> b (Dijkstra; ties broken by node index)."""
    names, index, _, _, adj = _graph()
    src, dst = index[_node(a)], index[_node(b)]
    dist = {src: 0.0}
    prev: dict[int, int] = {}
    heap = [(0.0, src)]
    done = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        if u == dst:
            break
        for v, w in adj[u]:
            nd = d + w
            if nd < dist.get(v, np.inf) - 1e-9:
                dist[v] = nd
                prev[v] = u
                heapq.heappush(heap, (nd, v))
    if dst not in done:
        raise ConfigError(f"no sea route from {a} to {b}; expected connected waypoints")
    out = [dst]
    while out[-1] != src:
        out.append(prev[out[-1]])
    return tuple(reversed(out))


def _route(a: str, b: str) -> tuple[np.ndarray, np.ndarray]:
    """Waypoints (lat, lon) from node/port a to node/port b, excluding a itself."""
    _, _, lat, lon, _ = _graph()
    p = np.array(_path(a, b)[1:], dtype=np.int64)
    return lat[p], lon[p]


def _node_pos(name: str) -> tuple[float, float]:
    _, index, lat, lon, _ = _graph()
    i = index[_node(name)]
    return float(lat[i]), float(lon[i])


def _poly_len_m(lat0: float, lon0: float, lats: np.ndarray, lons: np.ndarray) -> float:
    la = np.concatenate([[lat0], lats])
    lo = np.concatenate([[lon0], lons])
    return float(haversine_m(la[:-1], lo[:-1], la[1:], lo[1:]).sum())


def _route_len_m(a: str, b: str) -> float:
    la, lo = _node_pos(a)
    return _poly_len_m(la, lo, *_route(a, b))


def _bearing_deg(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360.0


def _offset(lat, lon, north_m, east_m):
    """Move points by metres north / east (small offsets)."""
    lat = np.asarray(lat, dtype=float)
    return lat + np.asarray(north_m) / _M_PER_DEG, np.asarray(lon) + np.asarray(east_m) / (_M_PER_DEG * np.cos(np.radians(lat)))


# --- reception: terrestrial coverage ---------------------------------------------------------------
_GRID_RES = 0.05


@lru_cache(maxsize=None)
def _gazetteer() -> pd.DataFrame:
    with files("vesseltrack").joinpath("data/ports.csv").open("rb") as fh:
        return pd.read_csv(fh)


@lru_cache(maxsize=None)
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


# --- vessels: identities ---------------------------------------------------------------------------
_MIDS = {"RU": (273,), "KP": (445,), "KR": (440, 441), "JP": (431, 432), "CN": (412, 413),
         "PA": (351, 352, 353, 354, 355), "LR": (636,), "MH": (538,), "PW": (511,), "SL": (667,),
         "TG": (671,), "MN": (457,), "HK": (477,)}
_CALL_PREFIX = {"RU": ("UB", "UF", "UH"), "KP": ("HM",), "KR": ("DS", "D7", "D9"), "JP": ("JD", "7J", "JK"),
                "CN": ("BP", "BO", "BR"), "PA": ("3E", "3F", "HP", "HO"), "LR": ("A8", "D5"), "MH": ("V7",),
                "PW": ("T8",), "SL": ("9L",), "TG": ("5V",), "MN": ("JV",), "HK": ("VR",)}
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
_NAME_PARTS = {
    "RU": (("KAPITAN", "ZALIV", "MYS", "VOSTOK", "PRIMORYE", "SAKHALIN", "AMUR", "BOREY", "ZOLOTOY ROG"),
           ("BELOV", "SOROKIN", "MARKOV", "LEBEDEV", "NAKHODKA", "OLGA", "ASKOLD", "POSYET", "RUDNYY")),
    "KP": (("SONG", "RIM", "CHON", "KUM", "MYONG", "RYONG", "HWA", "PAEK", "SAM"),
           ("SAN", "GANG", "BONG", "MA", "RYO", "DO", "HAE")),
    "KR": (("DONG HAE", "HAN RA", "SAM YANG", "KUM YANG", "SUN", "SEA", "OCEAN", "PAN", "GREAT"),
           ("STAR", "GLORY", "PIONEER", "HOPE", "GRACE", "BRIDGE", "MASTER", "DREAM")),
    "JP": (("SHINSEI", "KAIYO", "TOYO", "HOKUYO", "NIPPON", "SHOYO", "KOHO", "ASAHI", "DAIO", "FUKU"),
           ("MARU",)),
    "CN": (("HUA", "XIN", "HAI", "JIN", "YUAN", "HONG", "TAI", "FU", "LIAO", "LU", "ZHE"),
           ("XIANG", "YANG", "SHUN", "DA", "RONG", "YU", "FENG", "TONG")),
    "*": (("OCEAN", "SEA", "GOLDEN", "PACIFIC", "ASIA", "ORIENT", "BLUE", "NEW", "GRAND", "LUCKY", "BRIGHT", "SILVER"),
          ("STAR", "DRAGON", "PEARL", "FORTUNE", "HARMONY", "SPIRIT", "VENTURE", "WAY", "LINK", "JADE", "PHOENIX")),
}
_FLAGS_BY_KIND = {
    "tanker": (("RU", "KR", "PA", "LR", "MH", "CN", "HK"), (0.3, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1)),
    "cargo": (("KR", "CN", "PA", "RU", "JP", "LR", "HK"), (0.25, 0.2, 0.2, 0.15, 0.1, 0.05, 0.05)),
    "fishing": (("CN", "KR", "JP", "RU"), (0.35, 0.3, 0.2, 0.15)),
    "tug": (("KR", "RU", "CN", "JP"), (0.35, 0.3, 0.2, 0.15)),
}
_DARK_FLAGS = ("PW", "SL", "TG", "MN", "PA", "RU")
_PORT_COUNTRY = {p: ("RU" if p in ("VLADIVOSTOK", "NAKHODKA", "VOSTOCHNY", "KOZMINO", "ZARUBINO", "POSYET", "SLAVYANKA")
                     else "KP" if p in ("RAJIN", "CHONGJIN", "KIMCHAEK", "HUNGNAM", "WONSAN", "NAMPO")
                     else "KR" if p in ("BUSAN", "ULSAN", "POHANG", "TONGHAE", "INCHON", "GWANGYANG HANG")
                     else "CN" if p in ("DALIAN", "QINGDAO GANG", "YANTAI", "QINHUANGDAO", "DANDONG")
                     else "JP") for p in _PORTS}


def _imo_number(rng: np.random.Generator) -> int:
    """A 7-digit IMO number with a valid check digit (weights 7..2 over the first six digits)."""
    d = [int(rng.choice([8, 9], p=[0.15, 0.85]))] + [int(x) for x in rng.integers(0, 10, 5)]
    check = sum(a * w for a, w in zip(d, (7, 6, 5, 4, 3, 2))) % 10
    return int("".join(map(str, d)) + str(check))


def imo_is_valid(imo: int) -> bool:
    """True when a 7-digit IMO number's check digit is right."""
    s = f"{int(imo):07d}"
    if len(s) != 7:
        return False
    return sum(int(a) * w for a, w in zip(s[:6], (7, 6, 5, 4, 3, 2))) % 10 == int(s[6])


def _name(rng: np.random.Generator, flag: str, kind: str) -> str:
    a, b = _NAME_PARTS.get(flag, _NAME_PARTS["*"])
    if flag == "JP":
        base = f"{rng.choice(a)} MARU"
        return base + (f" NO.{int(rng.integers(1, 88))}" if kind == "fishing" or rng.random() < 0.3 else "")
    if flag == "CN" and kind == "fishing":
        return f"{rng.choice(['LU', 'ZHE', 'LIAO', 'SU'])} {rng.choice(['RONG', 'DAI', 'DAN', 'YAN'])} YU {int(rng.integers(10000, 99999))}"
    if flag == "KP":
        return f"{rng.choice(a)} {rng.choice(b)}" + (f" {int(rng.integers(1, 9))}" if rng.random() < 0.5 else "")
    name = f"{rng.choice(a)} {rng.choice(b)}"
    if kind == "fishing" or rng.random() < 0.25:
        name += f" {int(rng.integers(1, 999))}"
    return name


def _call_sign(rng: np.random.Generator, flag: str) -> str:
    pre = str(rng.choice(_CALL_PREFIX.get(flag, ("3E",))))
    tail = "".join(rng.choice(_LETTERS, 2)) + str(int(rng.integers(0, 10)))
    return pre + tail


@dataclass
class _Vessel:
    mmsi: int
    name: str
    imo: int | None
    call_sign: str
    vessel_type: int
    length: float
    width: float
    ais_class: str
    flag: str
    kind: str
    ballast: float
    laden: float
    role: str = "normal"
    heading_na: bool = False
    sat_p: float = 0.7


def _make_vessel(rng: np.random.Generator, kind: str, flag: str, used: set[int], role: str = "normal") -> _Vessel:
    while True:
        mmsi = int(rng.choice(_MIDS[flag])) * 1_000_000 + int(rng.integers(0, 1_000_000))
        if mmsi not in used and mmsi % 1000 != 0:
            used.add(mmsi)
            break
    if kind == "tanker":
        length = float(rng.choice([rng.uniform(85, 130), rng.uniform(140, 250)], p=[0.45, 0.55]))
        vtype = int(rng.choice([80, 80, 81, 82, 84, 89]))
        design = 4.0 + length * 0.034
        ballast, laden = design * rng.uniform(0.52, 0.6), design * rng.uniform(0.9, 0.98)
        cls = "A"
    elif kind == "cargo":
        length = float(rng.uniform(90, 230))
        vtype = int(rng.choice([70, 70, 70, 71, 74, 79]))
        design = 3.5 + length * 0.035
        ballast, laden = design * 0.6, design * 0.92
        cls = "A"
    elif kind == "passenger":
        length = float(rng.uniform(120, 190))
        vtype = int(rng.choice([60, 69]))
        ballast = laden = 5.0 + length * 0.01
        cls = "A"
    elif kind == "fishing":
        cls = "B" if rng.random() < 0.6 else "A"  # small fishing boats carry class B transceivers
        length = float(rng.uniform(15, 40) if cls == "B" else rng.uniform(40, 75))
        vtype = 30
        ballast = laden = 2.0 + length * 0.04
    else:  # tug
        length = float(rng.uniform(22, 38))
        vtype = int(rng.choice([52, 31, 52]))
        ballast = laden = 3.5 + length * 0.03
        cls = "A"
    width = length / rng.uniform(5.5, 7.5)
    has_imo = cls == "A" and (kind in ("tanker", "cargo", "passenger") or rng.random() < 0.4)
    v = _Vessel(mmsi=mmsi, name=_name(rng, flag, kind), imo=_imo_number(rng) if has_imo else None,
                call_sign=_call_sign(rng, flag), vessel_type=vtype, length=float(round(length)),
                width=float(round(width)), ais_class=cls, flag=flag, kind=kind,
                ballast=round(float(ballast), 1), laden=round(float(laden), 1), role=role)
    v.heading_na = cls == "B" and rng.random() < 0.6
    v.sat_p = float(rng.uniform(0.55, 0.9) if cls == "A" else rng.uniform(0.15, 0.4))
    return v


# --- tracks: piecewise-linear movement with per-interval state -----------------------------------
SAIL, MOORED, ANCHOR, FISH, STS, DRIFT = range(6)


class _Track:
    """Knots (time, lat, lon) and, for each interval between knots, what the vessel does."""

    def __init__(self, t: float, lat: float, lon: float, draught: float, dest: str | None):
        self.t = [float(t)]
        self.lat = [float(lat)]
        self.lon = [float(lon)]
        self.kind: list[int] = []
        self.status: list[int] = []
        self.draught: list[float] = []
        self.dest: list[str | None] = []
        self.cur_draught = float(draught)
        self.cur_dest = dest
        self.port: str | None = None  # port the vessel is at, when it is

    @property
    def now(self) -> float:
        return self.t[-1]

    @property
    def pos(self) -> tuple[float, float]:
        return self.lat[-1], self.lon[-1]

    def _add(self, t: float, lat: float, lon: float, kind: int, status: int) -> None:
        self.t.append(float(t))
        self.lat.append(float(lat))
        self.lon.append(float(lon))
        self.kind.append(kind)
        self.status.append(status)
        self.draught.append(self.cur_draught)
        self.dest.append(self.cur_dest)

    def sail(self, lats, lons, speed_kn: float, kind: int = SAIL, status: int = 0) -> None:
        for la, lo in zip(np.atleast_1d(lats), np.atleast_1d(lons)):
            d = float(haversine_m(self.lat[-1], self.lon[-1], la, lo))
            if d < 1.0:
                continue
            self._add(self.now + d / (speed_kn * _MS_PER_KN), la, lo, kind, status)
        self.port = None

    def stay(self, seconds: float, kind: int, status: int, to: tuple[float, float] | None = None) -> None:
        la, lo = to if to is not None else self.pos
        self._add(self.now + max(float(seconds), 1.0), la, lo, kind, status)

    def go(self, a: str, b: str, speed_kn: float, rng: np.random.Generator) -> None:
        """Sail the sea lanes from node/port a to node/port b, with small per-leg speed changes."""
        lats, lons = _route(a, b)
        for la, lo in zip(lats, lons):
            self.sail(la, lo, speed_kn * rng.uniform(0.94, 1.06))
        self.port = b if _node(b).startswith("P:") else None

    def arrays(self) -> dict[str, np.ndarray]:
        return {"t": np.array(self.t), "lat": np.array(self.lat), "lon": np.array(self.lon),
                "kind": np.array(self.kind, dtype=np.int8), "status": np.array(self.status, dtype=np.int8),
                "draught": np.array(self.draught), "dest": np.array(self.dest, dtype=object)}


def _berth(port: str, rng: np.random.Generator) -> tuple[float, float]:
    _, la, lo = _PORTS[port]
    return tuple(float(x) for x in _offset(la, lo, rng.normal(0, 150), rng.normal(0, 150)))


def _outer(port: str) -> tuple[float, float]:
    """First waypoint out from the berth: the inner waypoint, or the approach node."""
    return _PORT_INNER.get(port) or _NODES[_PORTS[port][0]]


def _anchorage(port: str, rng: np.random.Generator) -> tuple[float, float]:
    """A waiting position off the port: between the first waypoint out and the berth."""
    _, la, lo = _PORTS[port]
    ala, alo = _outer(port)
    f = rng.uniform(0.15, 0.4)
    return tuple(float(x) for x in _offset(ala + f * (la - ala), alo + f * (lo - alo), rng.normal(0, 600), rng.normal(0, 600)))


def _dest(port: str | None, rng: np.random.Generator) -> str | None:
    if port is None:
        return None
    code = _DEST.get(port, port)
    return code if rng.random() < 0.8 else port.split(" ")[0]


def _port_call(tr: _Track, port: str, speed: float, dwell_s: float, rng: np.random.Generator, *,
               anchor_p: float = 0.25, moored_status: int = 5) -> None:
    """Sail from the current port to ``port``, maybe wait at anchor, berth and dwell."""
    src = tr.port
    if src is None:
        raise AssertionError("port call from sea")
    _, ap_lat, ap_lon = _PORTS[port]
    lats, lons = _route(src, port)
    for la, lo in zip(lats[:-1], lons[:-1]):
        tr.sail(la, lo, speed * rng.uniform(0.94, 1.06))
    if rng.random() < anchor_p:
        tr.sail(*_anchorage(port, rng), speed * 0.6)
        tr.stay(rng.uniform(4, 40) * _HOUR, ANCHOR, 1)
    tr.sail(*_berth(port, rng), min(speed, 8.0) * rng.uniform(0.6, 0.9))
    tr.stay(dwell_s, MOORED, moored_status)
    tr.port = port


def _start_in_port(port: str, v: _Vessel, rng: np.random.Generator, t0: float, laden: bool) -> _Track:
    la, lo = _berth(port, rng)
    tr = _Track(t0, la, lo, v.laden if laden else v.ballast, _dest(port, rng))
    tr.port = port
    return tr


def _merchant(v: _Vessel, rng: np.random.Generator, t_end: float, ports_only=None) -> _Track:
    """Tanker or cargo ship: port to port along the lanes until past the end of the window."""
    if ports_only is not None:
        russia_trade = False
        ports = ports_only
        speed = rng.uniform(12, 16)
    elif v.kind == "tanker":
        russia_trade = rng.random() < 0.6
        ports = _RU_OIL + _TANKER_DISCHARGE if russia_trade else _TANKER_DISCHARGE
        speed = rng.uniform(10, 14)
    else:
        russia_trade = False
        ports = _CARGO_PORTS
        speed = rng.uniform(12, 18)
    port = str(rng.choice(ports))
    tr = _start_in_port(port, v, rng, -rng.uniform(0.5, 3.0) * _DAY, laden=False)
    tr.stay(rng.uniform(2, 40) * _HOUR, MOORED, 5)
    while tr.now < t_end:
        here = tr.port
        if v.kind == "tanker" and russia_trade:
            nxt = str(rng.choice(_TANKER_DISCHARGE)) if here in _RU_OIL else str(rng.choice(_RU_OIL))
        else:
            nxt = str(rng.choice([p for p in ports if p != here]))
        if v.kind == "tanker":
            tr.cur_draught = v.laden if here in _RU_OIL or (not russia_trade and rng.random() < 0.5) else v.ballast
        else:
            tr.cur_draught = round(float(rng.uniform(v.ballast, v.laden)), 1)
        tr.cur_dest = _dest(nxt, rng)
        tr.stay(rng.uniform(0.3, 1.5) * _HOUR, MOORED, 5)  # draught and destination updated before sailing
        _port_call(tr, nxt, speed, rng.uniform(10, 60) * _HOUR, rng, anchor_p=0.3)
    return tr


def _ferry(v: _Vessel, rng: np.random.Generator, t_end: float, route) -> _Track:
    a, b, speed, ha, hb = route
    tr = _start_in_port(a, v, rng, -1.5 * _DAY, laden=True)
    here, there, hour = a, b, ha
    while tr.now < t_end:
        # wait for the scheduled departure (daily at a fixed hour UTC)
        day0 = np.floor(tr.now / _DAY) * _DAY
        dep = day0 + hour * _HOUR + rng.uniform(-600, 600)
        while dep < tr.now + 1.5 * _HOUR:
            dep += _DAY
        tr.cur_dest = _DEST.get(there, there)
        tr.stay(dep - tr.now, MOORED, 5)
        lats, lons = _route(here, there)
        for la, lo in zip(lats[:-1], lons[:-1]):
            tr.sail(la, lo, speed * rng.uniform(0.97, 1.03))
        tr.sail(*_berth(there, rng), 7.0)
        tr.port = there
        tr.stay(1800, MOORED, 5)
        here, there = there, here
        hour = hb if here == b else ha
    return tr


def _tug(v: _Vessel, rng: np.random.Generator, t_end: float, base: str) -> _Track:
    tr = _start_in_port(base, v, rng, -0.5 * _DAY, laden=False)
    tr.cur_dest = None
    ala, alo = _outer(base)
    home = tr.pos
    while tr.now < t_end:
        tr.stay(rng.uniform(1, 10) * _HOUR, MOORED, 5, to=home)
        f = rng.uniform(0.3, 0.9)
        meet = _offset(home[0] + f * (ala - home[0]), home[1] + f * (alo - home[1]), rng.normal(0, 400), rng.normal(0, 400))
        tr.sail(float(meet[0]), float(meet[1]), rng.uniform(8, 11))
        tr.stay(rng.uniform(0.1, 0.4) * _HOUR, DRIFT, 0)
        tr.sail(*_berth(base, rng), rng.uniform(4, 7), status=3)  # escorting a ship in: restricted manoeuvrability
        tr.sail(*home, 6.0)
    tr.port = base
    return tr


def _loiter(tr: _Track, centre: tuple[float, float], radius_m: float, hours: float, rng: np.random.Generator,
            kind: int = FISH, status: int = 7, speed=(1.0, 4.0)) -> None:
    """Wander around ``centre`` for ``hours``: short legs at fishing speed, with drifting spells."""
    end = tr.now + hours * _HOUR
    while tr.now < end:
        r = radius_m * np.sqrt(rng.random())
        a = rng.uniform(0, 2 * np.pi)
        la, lo = _offset(centre[0], centre[1], r * np.cos(a), r * np.sin(a))
        if rng.random() < 0.25:  # drift (e.g. squid jigging at night)
            tr.stay(rng.uniform(1, 5) * _HOUR, DRIFT, status, to=(float(la), float(lo)))
        else:
            tr.sail(float(la), float(lo), rng.uniform(*speed), kind=kind, status=status)


def _fishing(v: _Vessel, rng: np.random.Generator, t_end: float, grounds=None) -> _Track:
    grounds, homes = (grounds or _FISHING[v.flag][0]), _FISHING[v.flag][1]
    home = str(rng.choice(homes))
    ground = str(rng.choice(grounds))
    g_lat, g_lon = _offset(*_node_pos(ground), rng.normal(0, 5000), rng.normal(0, 5000))
    tr = _Track(-rng.uniform(0.2, 2.0) * _DAY, float(g_lat), float(g_lon), v.laden, None)
    while tr.now < t_end:
        _loiter(tr, (float(g_lat), float(g_lon)), rng.uniform(6000, 15000), rng.uniform(24, 96), rng)
        tr.sail(*_node_pos(ground), rng.uniform(8, 10))
        lats, lons = _route(ground, home)
        tr.sail(lats[:-1], lons[:-1], rng.uniform(8, 11))
        tr.sail(*_berth(home, rng), 6.0)
        tr.port = home
        tr.stay(rng.uniform(10, 40) * _HOUR, MOORED, 5)
        lats, lons = _route(home, ground)
        tr.sail(lats, lons, rng.uniform(8, 11))
    return tr


def _continue_merchant(tr: _Track, v: _Vessel, rng: np.random.Generator, t_end: float, ports) -> None:
    """After a scripted episode, keep trading between ``ports`` until past the end of the window."""
    while tr.now < t_end:
        nxt = str(rng.choice([p for p in ports if p != tr.port]))
        tr.cur_dest = _dest(nxt, rng)
        tr.cur_draught = v.laden if tr.port in _RU_OIL else v.ballast
        tr.stay(rng.uniform(0.5, 2) * _HOUR, MOORED, 5)
        _port_call(tr, nxt, 12.0, rng.uniform(12, 48) * _HOUR, rng, anchor_p=0.2)


# --- scripted anomalies ----------------------------------------------------------------------------
def _rendezvous(node: str, rng: np.random.Generator) -> tuple[float, float]:
    la, lo = _offset(*_node_pos(node), rng.normal(0, 2500), rng.normal(0, 2500))
    return float(la), float(lo)


def _dark_voyage(v: _Vessel, rng: np.random.Generator, T: float, plan, speed: float):
    """Load in Russia, AIS off at X, deliver to a DPRK port unseen, AIS on at Y, carry on to Z."""
    L, X, P, Y, Z = plan
    t_dep = rng.uniform(0.08, 0.22) * T
    tr = _start_in_port(L, v, rng, -rng.uniform(0.3, 1.0) * _DAY, laden=False)
    tr.cur_dest = _dest(L, rng)
    tr.stay(t_dep - 2 * _HOUR - tr.now, MOORED, 5)
    tr.cur_draught = v.laden  # loaded
    tr.cur_dest = str(rng.choice(["CN ZOS", "FOR ORDERS", _DEST[Z], "KR PUS", "CN DLC"]))
    tr.stay(2 * _HOUR, MOORED, 5)
    tr.go(L, X, speed, rng)
    t_off = tr.now + rng.uniform(0.2, 0.6) * _HOUR
    tr.stay(t_off - tr.now, SAIL, 0, to=tuple(float(x) for x in _offset(*tr.pos, rng.normal(0, 500), rng.normal(0, 500))))
    travel = (_route_len_m(X, P) + _route_len_m(P, Y)) / (speed * _MS_PER_KN)
    d_max = min(4 * _DAY, T - 0.5 * _DAY - t_off)
    target = rng.uniform(1.2, 3.5) * _DAY
    dwell = min(max(target - travel, 8 * _HOUR), d_max - travel)
    if dwell < 2 * _HOUR:
        return None
    tr.go(X, P, speed, rng)
    tr.cur_draught = v.ballast if rng.random() < 0.6 else v.laden  # discharged; the crew may not update
    tr.stay(dwell, MOORED, 5)
    tr.go(P, Y, speed, rng)
    t_on = tr.now
    tr.cur_dest = _dest(Z, rng)
    tr.go(Y, Z, speed, rng)
    tr.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
    tr.port = Z
    _continue_merchant(tr, v, rng, T + _DAY, _RU_OIL + ("BUSAN", "ULSAN", "DALIAN"))
    return tr, (t_off, t_on), P


def _go_to_point(tr: _Track, src: str, node: str, point, speed: float, rng) -> None:
    tr.go(src, node, speed, rng)
    tr.sail(*point, speed * 0.7)


def _meet(trs: list[_Track], R, tm: float, dur: float, rng: np.random.Generator, sep_m: float, statuses):
    """Bring tracks alongside at R from tm (or once all are there) for dur seconds, drifting together
    at < 1 kn. Returns the mid-point and the actual (start, end)."""
    tm = max(tm, max(tr.now for tr in trs) + _HOUR)
    drift_kn = rng.uniform(0.15, 0.7)
    ang = rng.uniform(0, 2 * np.pi)
    dist = drift_kn * _MS_PER_KN * dur
    end = _offset(R[0], R[1], dist * np.cos(ang), dist * np.sin(ang))
    perp = ang + np.pi / 2
    for k, (tr, st) in enumerate(zip(trs, statuses)):
        off = (k - 0.5) * sep_m
        s = _offset(R[0], R[1], off * np.cos(perp), off * np.sin(perp))
        e = _offset(end[0], end[1], off * np.cos(perp), off * np.sin(perp))
        tr.stay(tm - tr.now, DRIFT, 0, to=(float(s[0]), float(s[1])))
        tr.stay(dur, STS, st, to=(float(e[0]), float(e[1])))
    mid = _offset(R[0], R[1], dist / 2 * np.cos(ang), dist / 2 * np.sin(ang))
    return (float(mid[0]), float(mid[1])), (tm, tm + dur)


def _sts_pair(va: _Vessel, vb: _Vessel, rng: np.random.Generator, T: float, area: str):
    R = _rendezvous(area, rng)
    west = _node_pos(area)[1] < 127.0
    oa = str(rng.choice(("DALIAN", "YANTAI", "QINGDAO GANG") if west else _RU_OIL))
    ob = str(rng.choice(("INCHON", "DALIAN", "QINGDAO GANG") if west else ("BUSAN", "ULSAN", "GWANGYANG HANG")))
    if ob == oa:
        ob = "INCHON" if oa != "INCHON" else "BUSAN"
    tm = rng.uniform(0.3, 0.6) * T
    dur = rng.uniform(2, 8) * _HOUR
    trs = []
    for v, origin, wait, laden in ((va, oa, rng.uniform(1, 6), True), (vb, ob, rng.uniform(0.2, 2), False)):
        speed = rng.uniform(10.5, 13)
        travel = (_route_len_m(origin, area) + float(haversine_m(*_node_pos(area), *R))) / (speed * _MS_PER_KN) * 1.08
        dep = tm - wait * _HOUR - travel
        tr = _start_in_port(origin, v, rng, min(-0.3 * _DAY, dep - 0.5 * _DAY), laden=laden)
        tr.cur_dest = _dest(origin, rng)
        tr.stay(dep - 1 * _HOUR - tr.now, MOORED, 5)
        tr.cur_dest = "FOR ORDERS" if rng.random() < 0.5 else _dest(ob if v is va else oa, rng)
        tr.stay(1 * _HOUR, MOORED, 5)
        _go_to_point(tr, origin, area, _offset(R[0], R[1], rng.normal(0, 1500), rng.normal(0, 1500)), speed, rng)
        trs.append(tr)
    mid, (tm, t1) = _meet(trs, R, tm, dur, rng, rng.uniform(50, 250), (int(rng.choice([0, 1, 3])), int(rng.choice([0, 1, 3]))))
    for v, tr, laden_after in ((va, trs[0], False), (vb, trs[1], True)):
        tr.stay(rng.uniform(0.5, 3) * _HOUR, DRIFT, 0, to=tuple(float(x) for x in _offset(*tr.pos, rng.normal(0, 800), rng.normal(0, 800))))
        tr.cur_draught = v.laden if laden_after else v.ballast
        nxt = str(rng.choice(("BUSAN", "ULSAN", "DALIAN", "NAKHODKA", "QINGDAO GANG") if laden_after else _RU_OIL + ("DALIAN",)))
        tr.cur_dest = _dest(nxt, rng)
        tr.sail(*_node_pos(area), 11.0)
        tr.go(area, nxt, 11.5, rng)
        tr.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
        tr.port = nxt
        _continue_merchant(tr, v, rng, T + _DAY, _RU_OIL + ("BUSAN", "ULSAN", "DALIAN"))
    return trs, (tm, t1), mid


def _dark_sts(va: _Vessel, vb: _Vessel, rng: np.random.Generator, T: float, area: str):
    """va loiters at sea, visible; its partner vb meets it with AIS off (a dark voyage for vb)."""
    R = _rendezvous(area, rng)
    west = _node_pos(area)[1] < 127.0
    oa = str(rng.choice(("DALIAN", "YANTAI") if west else ("BUSAN", "ZARUBINO")))
    ob = str(rng.choice(("DALIAN", "QINGDAO GANG") if west else _RU_OIL))
    if ob == oa:
        ob = "QINGDAO GANG"
    path_b = _path(ob, area)
    names = _graph()[0]
    x_node = names[path_b[max(1, len(path_b) // 2)]] if len(path_b) > 2 else area
    tm = rng.uniform(0.35, 0.55) * T
    dur = rng.uniform(2, 6) * _HOUR
    loiter_before = rng.uniform(2, 6) * _HOUR
    # A: sail out, loiter, meet, loiter a little more, leave
    speed_a = rng.uniform(10, 12.5)
    travel_a = (_route_len_m(oa, area) + float(haversine_m(*_node_pos(area), *R))) / (speed_a * _MS_PER_KN) * 1.08
    dep_a = tm - loiter_before - travel_a
    tra = _start_in_port(oa, va, rng, min(-0.3 * _DAY, dep_a - 0.5 * _DAY), laden=False)
    tra.cur_dest = _dest(oa, rng)
    tra.stay(dep_a - tra.now, MOORED, 5)
    tra.cur_dest = str(rng.choice(["FOR ORDERS", "CN ZOS", "CN LYG"]))
    _go_to_point(tra, oa, area, R, speed_a, rng)
    if tm - tra.now > 1800:
        _loiter(tra, R, 1500, (tm - tra.now) / _HOUR - 0.2, rng, kind=DRIFT, status=0, speed=(0.3, 0.9))
    # B: leave Russia/China laden, AIS off halfway, meet A, back to where it went dark, AIS on
    speed_b = rng.uniform(10, 12.5)
    travel_b = (_route_len_m(ob, area) + float(haversine_m(*_node_pos(area), *R))) / (speed_b * _MS_PER_KN) * 1.08
    dep_b = tm - rng.uniform(0.5, 2) * _HOUR - travel_b
    trb = _start_in_port(ob, vb, rng, min(-0.3 * _DAY, dep_b - 0.5 * _DAY), laden=False)
    trb.cur_dest = _dest(ob, rng)
    trb.stay(dep_b - 2 * _HOUR - trb.now, MOORED, 5)
    trb.cur_draught = vb.laden
    trb.cur_dest = str(rng.choice(["FOR ORDERS", "CN ZOS", "KR PUS"]))
    trb.stay(2 * _HOUR, MOORED, 5)
    trb.go(ob, x_node, speed_b, rng)
    t_off = trb.now
    _go_to_point(trb, x_node, area, _offset(R[0], R[1], 1200, 0), speed_b, rng)
    mid, (t_meet_start, t_meet_end) = _meet([tra, trb], R, tm, dur, rng, rng.uniform(60, 200), (0, 0))
    _loiter(tra, tra.pos, 1000, rng.uniform(1, 4), rng, kind=DRIFT, status=0, speed=(0.3, 0.9))
    nxt_a = str(rng.choice(("DALIAN", "YANTAI", "INCHON") if west else ("BUSAN", "ULSAN")))
    tra.cur_dest = _dest(nxt_a, rng)
    tra.cur_draught = va.laden
    tra.sail(*_node_pos(area), 11.0)
    tra.go(area, nxt_a, 11.0, rng)
    tra.port = nxt_a
    tra.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
    _continue_merchant(tra, va, rng, T + _DAY, ("BUSAN", "ULSAN", "DALIAN", "INCHON", "QINGDAO GANG"))
    trb.cur_draught = vb.ballast if rng.random() < 0.6 else vb.laden
    trb.stay(rng.uniform(0.3, 1) * _HOUR, DRIFT, 0, to=tuple(float(x) for x in _offset(*trb.pos, 900, 900)))
    trb.sail(*_node_pos(area), speed_b)
    trb.go(area, x_node, speed_b, rng)
    t_on = trb.now + rng.uniform(0.5, 2) * _HOUR
    trb.stay(t_on - trb.now, SAIL, 0, to=tuple(float(x) for x in _offset(*trb.pos, rng.normal(0, 3000), rng.normal(0, 3000))))
    trb.cur_dest = _dest(ob, rng)
    lats, lons = _route(x_node, ob)
    trb.sail(lats, lons, speed_b)
    trb.port = ob
    trb.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
    _continue_merchant(trb, vb, rng, T + _DAY, _RU_OIL + ("BUSAN", "DALIAN"))
    return tra, trb, (t_meet_start, t_meet_end), (t_off, t_on), mid


# --- nuisances: everyday harbour life, with known truth --------------------------------------------
# On real AIS nearly every alert of a naive detector is a false alarm from ordinary port life: harbour
# craft that switch AIS off at their berth overnight, boats moored side by side in a marina, ferries
# at adjacent berths, ships waiting at anchor a few hundred metres apart, tracks cut off by the end
# of the data, high-speed craft. These vessels are drawn from their own generator and added to the
# fleet, so the rest of a scenario does not change when they are switched on or off.

#: Kinds of truth["nuisances"] records (see the module docstring).
NUISANCE_KINDS = ("berth_shutdown", "marina_moored", "ferry_berth", "anchorage_wait", "anchorage_gap", "censored_end",
                  "fast_craft", "harbour_craft")
#: Nuisance vessels per group for a 60-ship fleet (scaled with n_vessels), and the least of each.
_NUISANCE_FLEET = {"harbour_craft": (8, 2), "marina": (12, 3), "ferry_terminal": (3, 2), "work_raft": (3, 2),
                   "anchorage": (6, 2), "censored": (2, 2), "fast_craft": (1, 1)}
#: Local time (hours ahead of UTC) by flag of the port: work shifts and outings follow it.
_UTC_OFFSET_H = {"RU": 10, "KR": 9, "JP": 9, "CN": 8, "KP": 9}
#: Harbour craft, assigned in turn: (kind, AIS type, class, length m, trip speed kn).
_HARBOUR_CRAFT = (("tug", 52, "A", (24, 36), (8, 11)), ("pilot", 50, "A", (14, 20), (14, 18)),
                  ("port_tender", 53, "B", (10, 18), (7, 10)), ("law_enforcement", 55, "A", (25, 60), (12, 18)),
                  ("tug", 52, "A", (24, 36), (8, 11)), ("work_boat", 31, "A", (18, 30), (7, 9)),
                  ("work_boat", 33, "B", (12, 25), (6, 9)), ("tug", 52, "A", (24, 36), (8, 11)))
#: Ports whose berth lies at least 3 km from its first waypoint out: room for berths along that line.
_HARBOUR_BASES = ("BUSAN", "VLADIVOSTOK", "HAKATA", "ULSAN", "NIIGATA KO", "OTARU KO", "INCHON", "NAKHODKA")
_MARINAS = ("BUSAN", "HAKATA", "OTARU KO", "VLADIVOSTOK")
#: Ferry terminals and their ferries' day-trip destinations.
_TERMINALS = (("BUSAN", ("ULSAN", "POHANG", "ULSAN")), ("NAKHODKA", ("VOSTOCHNY", "VLADIVOSTOK", "VOSTOCHNY")))
_WORK_RAFTS = ("ULSAN", "INCHON", "VLADIVOSTOK")
#: Anchorages with open water around them (first waypoint out 8-19 km from the berth).
_ANCHORAGES = ("VOSTOCHNY", "ULSAN", "QINGDAO GANG", "NIIGATA KO", "INCHON", "VLADIVOSTOK")
_FAST_ROUTES = (("BUSAN", "HAKATA"), ("BUSAN", "MOJI KO"))
_EXIT_PORTS = ("HAKODATE KO", "AKITA-FUNAKAWA KO", "OTARU KO", "SAKATA KO")
#: Out of the region through the Tsugaru strait into the Pacific, south of Cape Erimo.
_PACIFIC_EXIT = ((41.30, 143.60), (41.00, 146.00))
_MERCHANT_PORTS = tuple(p for p in _CARGO_PORTS if _PORT_COUNTRY[p] != "KP")


def _site(port: str, along_m: float, side_m: float = 0.0) -> tuple[float, float]:
    """A point ``along_m`` from the port's berth towards its first waypoint out (open water), ``side_m``
    to the right of that line."""
    _, la, lo = _PORTS[port]
    brg = np.radians(float(_bearing_deg(la, lo, *_outer(port))))
    north = along_m * np.cos(brg) - side_m * np.sin(brg)
    east = along_m * np.sin(brg) + side_m * np.cos(brg)
    return tuple(float(x) for x in _offset(la, lo, north, east))


def _local_days(start_ns: int, tz_h: float, t1: float) -> list[tuple[float, int]]:
    """(local midnight in scenario seconds, weekday with 0 = Monday) of each local day, from two days
    before the data start until ``t1``."""
    off = int(round(tz_h * 3600)) * 1_000_000_000
    local = pd.Timestamp(start_ns + off).normalize()
    m0 = (local.value - off - start_ns) / 1e9
    return [(m0 + d * _DAY, (local.weekday() + d) % 7) for d in range(-2, int(np.ceil((t1 - m0) / _DAY)) + 1)]


def _small_vessel(rng: np.random.Generator, kind: str, flag: str, used: set[int], vtype: int, cls: str, length: float) -> _Vessel:
    """A harbour craft, pleasure boat, domestic ferry or high-speed craft (not a merchant ship)."""
    while True:
        mmsi = int(rng.choice(_MIDS[flag])) * 1_000_000 + int(rng.integers(0, 1_000_000))
        if mmsi not in used and mmsi % 1000 != 0:
            used.add(mmsi)
            break
    width = length / (rng.uniform(2.8, 4.0) if kind in ("tug", "pilot", "pleasure", "port_tender") else rng.uniform(4.5, 6.5))
    draught = round(float(1.0 + length * rng.uniform(0.04, 0.08)), 1)
    has_imo = cls == "A" and kind in ("passenger", "high_speed_craft", "dredger", "law_enforcement")
    v = _Vessel(mmsi=mmsi, name=_name(rng, flag, kind), imo=_imo_number(rng) if has_imo else None,
                call_sign=_call_sign(rng, flag), vessel_type=int(vtype), length=float(round(length)),
                width=float(round(width)), ais_class=cls, flag=flag, kind=kind, ballast=draught, laden=draught)
    v.heading_na = cls == "B" and rng.random() < 0.6
    v.sat_p = float(rng.uniform(0.55, 0.9) if cls == "A" else rng.uniform(0.15, 0.4))
    return v


def _toward(a: tuple[float, float], b: tuple[float, float], f: float, rng: np.random.Generator, sd_m: float) -> tuple[float, float]:
    la, lo = _offset(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), rng.normal(0, sd_m), rng.normal(0, sd_m))
    return float(la), float(lo)


def _harbour_craft(rng: np.random.Generator, home, port: str, speed: float, pilot: bool, switches_off: bool,
                   days, t_end: float) -> tuple[_Track, list]:
    """Short trips in the harbour from a home berth during the working day (Monday to Friday); a
    pilot boat round the clock. With ``switches_off``, AIS off at the berth overnight and over the
    weekend (8-70 h). Returns the track and the AIS-off windows."""
    out = _outer(port)
    tr = _Track(days[0][0], *home, 2.0, None)
    tr.port = port
    off: list[tuple[float, float]] = []

    def trip(reach) -> None:
        tr.sail(*_toward(home, out, rng.uniform(*reach), rng, 300), speed * rng.uniform(0.9, 1.1))
        tr.stay(rng.uniform(0.2, 1.5) * _HOUR, DRIFT, 0)  # alongside a ship, a pilot boarding, an inspection
        tr.sail(*home, rng.uniform(5, 8))

    if pilot:
        while tr.now < t_end:
            tr.stay(rng.uniform(1, 6) * _HOUR, MOORED, 5, to=home)
            trip((0.8, 1.0))
        return tr, off
    last = None
    for midnight, weekday in days:
        if weekday >= 5 or rng.random() < 0.05:  # the weekend, or a day without work
            continue
        s, e = midnight + rng.uniform(7.5, 9.0) * _HOUR, midnight + rng.uniform(16.0, 18.0) * _HOUR
        if s < tr.now + _HOUR:
            continue
        # AIS goes off 1.5-2.5 h after mooring and comes back on 1.5-2.5 h before leaving, so the
        # last report before the silence and the first after it are at the berth
        if switches_off and last is not None and rng.random() < 0.85:
            a, b = last + rng.uniform(1.5, 2.5) * _HOUR, s - rng.uniform(1.5, 2.5) * _HOUR
            if 8 * _HOUR <= b - a <= 70 * _HOUR:
                off.append((a, b))
        tr.stay(s - tr.now, MOORED, 5, to=home)
        while tr.now < e - _HOUR:
            trip((0.25, 0.9))
            tr.stay(rng.uniform(0.5, 3) * _HOUR, MOORED, 5, to=home)
        last = tr.now
    tr.stay(max(t_end - tr.now, 0.0) + _HOUR, MOORED, 5, to=home)
    if switches_off and last is not None:  # the last night: off until after the end of the data
        off.append((last + rng.uniform(1.5, 2.5) * _HOUR, tr.now + _DAY))
    return tr, off


def _pleasure_boat(rng: np.random.Generator, slot, port: str, speed: float, days, t_end: float) -> tuple[_Track, list]:
    """Moored at a marina slot for days, now and then out in the bay for a few hours (mostly at
    weekends). Returns the track and the moored windows."""
    out = _outer(port)
    tr = _Track(days[0][0], *slot, 1.0, None)
    moored, t_arr = [], tr.now
    for midnight, weekday in days:
        if rng.random() >= (0.3 if weekday >= 5 else 0.08):
            continue
        dep = midnight + rng.uniform(8.5, 13.0) * _HOUR
        if dep < tr.now + _HOUR:
            continue
        tr.stay(dep - tr.now, MOORED, 5, to=slot)
        moored.append((t_arr, tr.now))
        tr.sail(*_toward(slot, out, rng.uniform(0.5, 1.0), rng, 400), speed)
        tr.stay(rng.uniform(0.5, 3.0) * _HOUR, DRIFT, 0)  # fishing, swimming, a picnic
        tr.sail(*slot, speed * rng.uniform(0.6, 0.9))
        t_arr = tr.now
    tr.stay(max(t_end - tr.now, 0.0) + _HOUR, MOORED, 5, to=slot)
    moored.append((t_arr, tr.now))
    return tr, moored


def _terminal_ferry(rng: np.random.Generator, slot, port: str, dest: str, speed: float, dep_h: float, days,
                    t_end: float) -> tuple[_Track, list]:
    """A day ferry: out to ``dest`` in the morning, back in the evening, the night at its terminal
    berth. Returns the track and the nights at the berth."""
    tr = _Track(days[0][0], *slot, 4.0, _DEST.get(dest, dest))
    out_la, out_lo = _route(port, dest)
    back_la, back_lo = _route(dest, port)
    nights, t_arr = [], tr.now
    for midnight, _ in days:
        dep = midnight + dep_h * _HOUR + rng.uniform(-600, 600)
        if dep < tr.now + _HOUR:
            continue
        tr.cur_dest = _DEST.get(dest, dest)
        tr.stay(dep - tr.now, MOORED, 5, to=slot)
        nights.append((t_arr, tr.now))
        tr.sail(out_la[:-1], out_lo[:-1], speed * rng.uniform(0.97, 1.03))
        tr.sail(*_berth(dest, rng), 7.0)
        tr.cur_dest = _DEST.get(port, port)
        tr.stay(rng.uniform(0.7, 1.5) * _HOUR, MOORED, 5)
        tr.sail(back_la[:-1], back_lo[:-1], speed * rng.uniform(0.97, 1.03))
        tr.sail(*slot, 5.0)
        t_arr = tr.now
    tr.stay(max(t_end - tr.now, 0.0) + _HOUR, MOORED, 5, to=slot)
    nights.append((t_arr, tr.now))
    return tr, nights


def _work_vessel(rng: np.random.Generator, slot, port: str, speed: float, days, t_end: float) -> tuple[_Track, list]:
    """A dredger / work vessel moored with others; on some working days it dredges the channel at
    1-3 kn for hours. Returns the track and the moored windows."""
    out = _outer(port)
    tr = _Track(days[0][0], *slot, 3.0, None)
    moored, t_arr = [], tr.now
    for midnight, weekday in days:
        if weekday >= 5 or rng.random() >= 0.4:
            continue
        dep = midnight + rng.uniform(6.5, 8.5) * _HOUR
        if dep < tr.now + _HOUR:
            continue
        tr.stay(dep - tr.now, MOORED, 5, to=slot)
        moored.append((t_arr, tr.now))
        f = rng.uniform(0.3, 0.7)
        ends = [_toward(slot, out, f, rng, 50), _toward(slot, out, f + rng.uniform(0.05, 0.12), rng, 50)]
        tr.sail(*ends[0], speed)
        stop = tr.now + rng.uniform(4, 9) * _HOUR
        k = 1
        while tr.now < stop:  # up and down the channel, restricted in her ability to manoeuvre
            tr.sail(*ends[k], rng.uniform(1.0, 3.0), status=3)
            k = 1 - k
        tr.sail(*slot, speed)
        t_arr = tr.now
    tr.stay(max(t_end - tr.now, 0.0) + _HOUR, MOORED, 5, to=slot)
    moored.append((t_arr, tr.now))
    return tr, moored


def _arrive_from_elsewhere(v: _Vessel, rng: np.random.Generator, port: str, t_arr: float, speed: float) -> _Track:
    """A merchant ship that sails from another port so as to reach ``port``'s approach about ``t_arr``."""
    origin = str(rng.choice([p for p in _MERCHANT_PORTS if p != port]))
    t0 = t_arr - _route_len_m(origin, port) / (speed * _MS_PER_KN)
    tr = _start_in_port(origin, v, rng, min(t0, -0.3 * _DAY) - rng.uniform(6, 30) * _HOUR, laden=rng.random() < 0.6)
    tr.stay(max(t0 - tr.now - _HOUR, 1.0), MOORED, 5)
    tr.cur_dest = _dest(port, rng)
    tr.stay(_HOUR, MOORED, 5)
    lats, lons = _route(origin, port)
    for la, lo in zip(lats[:-1], lons[:-1]):
        tr.sail(la, lo, speed * rng.uniform(0.94, 1.06))
    return tr


def _anchor_wait(v: _Vessel, rng: np.random.Generator, port: str, spot, t_arr: float, t_leave: float,
                 t_end: float) -> tuple[_Track, tuple[float, float]]:
    """Arrive, wait at anchor at ``spot`` until ``t_leave`` (at least 12 h), berth, then trade on.
    Returns the track and the time at anchor."""
    tr = _arrive_from_elsewhere(v, rng, port, t_arr, rng.uniform(10, 14))
    tr.sail(*spot, 7.0)
    a = tr.now
    tr.stay(max(t_leave, a + 12 * _HOUR) - a, ANCHOR, 1)
    b = tr.now
    tr.sail(*_berth(port, rng), 6.0)
    tr.port = port
    tr.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
    _continue_merchant(tr, v, rng, t_end, _MERCHANT_PORTS)
    return tr, (a, b)


def _off_for_good(v: _Vessel, rng: np.random.Generator, t_arr: float, t_end: float) -> tuple[_Track, tuple, str, tuple]:
    """Arrive at a port, moor and switch AIS off for the rest of the data. Returns the track, the
    AIS-off window, the port and the berth."""
    port = str(rng.choice(_MERCHANT_PORTS))
    tr = _arrive_from_elsewhere(v, rng, port, t_arr, rng.uniform(11, 15))
    berth = _berth(port, rng)
    tr.sail(*berth, 6.0)
    tr.port = port
    a = tr.now + rng.uniform(1, 5) * _HOUR
    tr.stay(max(t_end, a) + _DAY - tr.now, MOORED, 5)
    return tr, (a, tr.now + _DAY), port, berth


def _leaver(v: _Vessel, rng: np.random.Generator, t_cross: float, t_end: float) -> _Track:
    """From a port near the Tsugaru strait out into the Pacific, crossing the region's eastern edge
    about ``t_cross``; reports outside the region are not in the data."""
    origin = str(rng.choice(_EXIT_PORTS))
    speed = rng.uniform(12, 16)
    (x1, y1), _ = _PACIFIC_EXIT
    pac = _node_pos("PAC")
    f = (REGIONS["sea_of_japan"][3] - pac[1]) / (y1 - pac[1])
    dist = _route_len_m(origin, "PAC") + f * float(haversine_m(*pac, x1, y1))
    dep = t_cross - dist / (speed * _MS_PER_KN)
    tr = _start_in_port(origin, v, rng, min(dep, -0.3 * _DAY) - rng.uniform(6, 30) * _HOUR, laden=True)
    tr.stay(max(dep - tr.now - _HOUR, 1.0), MOORED, 5)
    tr.cur_dest = "JP TYO"
    tr.stay(_HOUR, MOORED, 5)
    lats, lons = _route(origin, "PAC")
    tr.sail(lats, lons, speed)
    for la, lo in _PACIFIC_EXIT:
        tr.sail(la, lo, speed)
    tr.stay(max(t_end - tr.now, 0.0) + _HOUR, SAIL, 0)
    return tr


def _fast_ferry(rng: np.random.Generator, a: str, b: str, speed: float, days, t_end: float) -> tuple[_Track, list]:
    """A high-speed craft: two crossings a day between a and b at ``speed`` (35-40 kn), slower in the
    harbours. Returns the track and the crossings (start, end, from, to)."""
    tr = _Track(days[0][0], *_berth(a, rng), 1.5, _DEST.get(b, b))
    here, there = a, b
    crossings = []
    for midnight, _ in days:
        for dep_h in (8.5, 14.0):
            dep = midnight + dep_h * _HOUR + rng.uniform(-300, 300)
            if dep < tr.now + 0.5 * _HOUR:
                continue
            tr.cur_dest = _DEST.get(there, there)
            tr.stay(dep - tr.now, MOORED, 5)
            t0 = tr.now
            lats, lons = _route(here, there)
            tr.sail(lats[0], lons[0], 15.0)
            tr.sail(lats[1:-1], lons[1:-1], speed * rng.uniform(0.98, 1.02))
            tr.sail(*_berth(there, rng), 12.0)
            crossings.append((t0, tr.now, here, there))
            here, there = there, here
    tr.stay(max(t_end - tr.now, 0.0) + _HOUR, MOORED, 5)
    return tr, crossings


def _overlaps(wa: list, wb: list, min_s: float) -> list[tuple[float, float]]:
    """Intersections of two lists of (start, end) windows that last at least ``min_s``."""
    out = []
    for a0, a1 in wa:
        for b0, b1 in wb:
            s, e = max(a0, b0), min(a1, b1)
            if e - s >= min_s:
                out.append((s, e))
    return out


def _nuisance_fleet(seed: int, n_vessels: int, T: float, start_ns: int, used: set[int]) -> tuple[list, list]:
    """The nuisance vessels (``_Ship``s with their group in ``nuisance``) and their pending truth
    records (times in seconds, ships as indices into the returned list). Draws only from
    ``default_rng([seed, 7])``; adds the new MMSIs to ``used``."""
    rng = np.random.default_rng([seed, 7])
    scale = n_vessels / 60.0
    n = {k: max(least, int(round(c * scale))) for k, (c, least) in _NUISANCE_FLEET.items()}
    t_end = T + _DAY
    days = {tz: _local_days(start_ns, tz, t_end) for tz in set(_UTC_OFFSET_H.values())}
    ships: list[_Ship] = []
    pend: list[dict] = []

    def add(v: _Vessel, tr: _Track, group: str, **kw) -> int:
        ships.append(_Ship(v, tr, nuisance=group, **kw))
        return len(ships) - 1

    def rec(mode: str, kind: str, si: int, t0: float, t1: float, pos, port, detail: str, other=None, **extra) -> None:
        pend.append({"mode": mode, "kind": kind, "ship": si, "other": other, "t0": t0, "t1": t1, "lat": pos[0], "lon": pos[1],
                     "port": port, "detail": detail, "extra": extra})

    def who(si: int) -> str:
        v = ships[si].v
        return f"{v.name} ({v.flag}, {v.vessel_type})"

    def rafted(idx: list, windows: dict, slots: dict, kind: str, port: str, what: str) -> None:
        for i, j in zip(idx[:-1], idx[1:]):
            d = float(haversine_m(*slots[i], *slots[j]))
            mid = ((slots[i][0] + slots[j][0]) / 2, (slots[i][1] + slots[j][1]) / 2)
            for s, e in _overlaps(windows[i], windows[j], 2 * _HOUR):
                rec("window", kind, i, s, e, mid, port, f"{who(i)} and {who(j)} {what} {d:.0f} m apart in {port}",
                    other=j, distance_m=round(d, 1))

    # harbour craft: tugs, pilot boats, port tenders, work boats, law enforcement
    for i in range(n["harbour_craft"]):
        kind, vtype, cls, length, speed = _HARBOUR_CRAFT[i % len(_HARBOUR_CRAFT)]
        port = _HARBOUR_BASES[(i // 2) % len(_HARBOUR_BASES)]
        flag = _PORT_COUNTRY[port]
        v = _small_vessel(rng, kind, flag, used, vtype, cls, rng.uniform(*length))
        home = _site(port, rng.uniform(100, 300), rng.normal(0, 30))
        switches_off = kind != "pilot" and rng.random() < 0.75
        tr, off = _harbour_craft(rng, home, port, rng.uniform(*speed), kind == "pilot", switches_off,
                                 days[_UTC_OFFSET_H[flag]], t_end)
        si = add(v, tr, "harbour_craft", silent=list(off), off_in_port=list(off))
        rec("span", "harbour_craft", si, 0.0, T, home, port,
            f"{who(si)}, a {kind.replace('_', ' ')} based in {port}: short trips in the harbour"
            + ("; AIS off at its berth overnight and at weekends" if off else ""))
        for a, b in off:
            rec("gap", "berth_shutdown", si, a, b, home, port, f"{who(si)} switched AIS off at its berth in {port} "
                + ("over the weekend" if b - a > 30 * _HOUR else "overnight"))

    # a marina: pleasure craft moored side by side, with occasional outings
    n_marinas = int(np.ceil(n["marina"] / 12))
    for k in range(n_marinas):
        port = _MARINAS[k % len(_MARINAS)]
        flag = _PORT_COUNTRY[port]
        count = n["marina"] // n_marinas + (k < n["marina"] % n_marinas)
        along = rng.uniform(800, 1000) + np.cumsum(rng.uniform(10, 40, count))
        side = rng.uniform(-40, 40)
        idx, windows, slots = [], {}, {}
        for j in range(count):
            cls = "A" if rng.random() < 0.2 else "B"
            v = _small_vessel(rng, "pleasure", flag, used, 37, cls, rng.uniform(14, 24) if cls == "A" else rng.uniform(6, 15))
            slot = _site(port, float(along[j]), side)
            tr, moored = _pleasure_boat(rng, slot, port, rng.uniform(6, 18), days[_UTC_OFFSET_H[flag]], t_end)
            off = []
            if rng.random() < 0.3:  # the owner switches the transponder off at the berth for a while
                long = [(a, b) for a, b in moored if b - a >= 20 * _HOUR and b > 0 and a < T]
                if long:
                    a, b = long[int(rng.integers(0, len(long)))]
                    s = a + rng.uniform(1.5, 4) * _HOUR
                    off.append((s, min(b - rng.uniform(1.5, 3) * _HOUR, s + rng.uniform(24, 70) * _HOUR)))
            si = add(v, tr, "marina", silent=list(off), off_in_port=list(off))
            idx.append(si)
            windows[si], slots[si] = moored, slot
            for a, b in off:
                rec("gap", "berth_shutdown", si, a, b, slot, port, f"{who(si)} switched AIS off at its marina berth in {port}")
        rafted(idx, windows, slots, "marina_moored", port, "moored side by side in the marina")

    # ferries at adjacent berths of a terminal overnight
    n_terms = int(np.ceil(n["ferry_terminal"] / 3))
    for k in range(n_terms):
        port, dests = _TERMINALS[k % len(_TERMINALS)]
        flag = _PORT_COUNTRY[port]
        count = n["ferry_terminal"] // n_terms + (k < n["ferry_terminal"] % n_terms)
        along = rng.uniform(400, 450) + np.cumsum(rng.uniform(40, 70, count))
        idx, windows, slots = [], {}, {}
        for j in range(count):
            v = _small_vessel(rng, "passenger", flag, used, int(rng.choice([60, 60, 69])), "A", rng.uniform(60, 140))
            slot = _site(port, float(along[j]))
            tr, nights = _terminal_ferry(rng, slot, port, dests[j % len(dests)], rng.uniform(15, 19), rng.uniform(6.5, 8.5),
                                         days[_UTC_OFFSET_H[flag]], t_end)
            si = add(v, tr, "ferry_terminal")
            idx.append(si)
            windows[si], slots[si] = nights, slot
        rafted(idx, windows, slots, "ferry_berth", port, "at adjacent berths of the ferry terminal")

    # dredgers / work vessels moored together
    n_rafts = int(np.ceil(n["work_raft"] / 3))
    for k in range(n_rafts):
        port = _WORK_RAFTS[k % len(_WORK_RAFTS)]
        flag = _PORT_COUNTRY[port]
        count = n["work_raft"] // n_rafts + (k < n["work_raft"] % n_rafts)
        along = rng.uniform(1400, 1500) + np.cumsum(rng.uniform(10, 30, count))
        side = rng.uniform(-30, 30)
        idx, windows, slots = [], {}, {}
        for j in range(count):
            cls = "A" if j == 0 or rng.random() < 0.5 else "B"
            v = _small_vessel(rng, "dredger", flag, used, 33, cls, rng.uniform(30, 80) if cls == "A" else rng.uniform(15, 30))
            slot = _site(port, float(along[j]), side)
            tr, moored = _work_vessel(rng, slot, port, rng.uniform(6, 9), days[_UTC_OFFSET_H[flag]], t_end)
            si = add(v, tr, "work_raft")
            idx.append(si)
            windows[si], slots[si] = moored, slot
            rec("span", "harbour_craft", si, 0.0, T, slot, port, f"{who(si)}, a dredger / work vessel based in {port}, "
                "moored with others; dredges the channel at 1-3 kn on some working days")
        rafted(idx, windows, slots, "harbour_craft", port, "moored together (work vessels)")

    # merchant ships waiting at anchor, some a few hundred metres apart, some with AIS off for hours
    n_anch = n["anchorage"]
    for k in range(int(np.ceil(n_anch / 3))):
        port = _ANCHORAGES[k % len(_ANCHORAGES)]
        centre = _anchorage(port, rng)
        _, bla, blo = _PORTS[port]
        count = min(3, n_anch - 3 * k)
        t_arr = rng.uniform(-0.5, max(0.6 * T / _DAY - 0.5, 0.0)) * _DAY
        t_leave = t_arr + rng.uniform(1, 4) * _DAY
        idx = []
        for j in range(count):
            kind = "tanker" if rng.random() < 0.5 else "cargo"
            flags, p = _FLAGS_BY_KIND[kind]
            v = _make_vessel(rng, kind, str(rng.choice(flags, p=p)), used)
            if j == 0:
                spot = centre
            elif j == 1:  # a neighbour 300-800 m away: close, but not alongside
                ang, d = rng.uniform(0, 2 * np.pi), rng.uniform(300, 800)
                spot = tuple(float(x) for x in _offset(*centre, d * np.cos(ang), d * np.sin(ang)))
            else:  # further along the fairway
                f = rng.uniform(1500, 2500) / float(haversine_m(*centre, bla, blo)) * (1 if rng.random() < 0.5 else -1)
                spot = _toward(centre, (bla, blo), f, rng, 100)
            arr = t_arr + (0.0 if j == 0 else rng.uniform(-8, 8) * _HOUR)
            leave = t_leave + (0.0 if j == 0 else rng.uniform(-12, 12) * _HOUR)
            tr, (a, b) = _anchor_wait(v, rng, port, spot, arr, leave, t_end)
            off = []
            if j % 2 == 1 and b - a > 8 * _HOUR:  # AIS off for hours at anchor
                g0 = a + rng.uniform(1.0, max(1.5, (b - a) / _HOUR - 7.0)) * _HOUR
                off.append((g0, min(g0 + rng.uniform(3, 12) * _HOUR, b - _HOUR)))
            si = add(v, tr, "anchorage", silent=list(off), off_at_anchor=list(off))
            idx.append((si, spot, a, b))
            for g0, g1 in off:
                rec("gap", "anchorage_gap", si, g0, g1, spot, port, f"{who(si)} switched AIS off while at anchor off {port}")
        for si, spot, a, b in idx:
            other = [(sj, float(haversine_m(*spot, *sp))) for sj, sp, _, _ in idx if sj != si]
            near = min(other, key=lambda x: x[1]) if other else None
            pair = near is not None and near[1] <= 1000
            rec("window", "anchorage_wait", si, a, b, spot, port,
                f"{who(si)} waiting at anchor off {port}" + (f", {near[1]:.0f} m from {who(near[0])} (not a ship-to-ship transfer)" if pair else ""),
                other=near[0] if pair else None, **({"distance_m": round(near[1], 1)} if pair else {}))

    # censored ends: AIS off at the berth for the rest of the data, or out of the region
    span = min(T, 3 * _DAY)
    for i in range(n["censored"]):
        kind = "cargo" if i % 2 == 0 else "tanker"
        flags, p = _FLAGS_BY_KIND[kind]
        v = _make_vessel(rng, kind, str(rng.choice(flags, p=p)), used)
        t_last = T - rng.uniform(0.25, 0.6) * span
        if i % 2 == 0:
            tr, win, port, berth = _off_for_good(v, rng, t_last - 6 * _HOUR, t_end)
            add(v, tr, "censored", silent=[win], off_in_port=[win])
        else:
            add(v, _leaver(v, rng, t_last, t_end), "censored", left=True)

    # high-speed craft at 35-40 kn
    for i in range(n["fast_craft"]):
        a, b = _FAST_ROUTES[i % len(_FAST_ROUTES)]
        flag = _PORT_COUNTRY[a] if i % 2 == 0 else _PORT_COUNTRY[b]
        v = _small_vessel(rng, "high_speed_craft", flag, used, int(rng.choice([40, 40, 49])), "A", rng.uniform(30, 45))
        speed = rng.uniform(35, 40)
        tr, crossings = _fast_ferry(rng, a, b, speed, days[_UTC_OFFSET_H[flag]], t_end)
        si = add(v, tr, "fast_craft")
        for t0, t1, x, y in crossings:
            path = _path(x, y)
            mid = _graph()[2][path[len(path) // 2]], _graph()[3][path[len(path) // 2]]
            rec("window", "fast_craft", si, t0, t1, (float(mid[0]), float(mid[1])), None,
                f"{who(si)}, a high-speed craft, crossing {x} -> {y} at about {speed:.0f} kn (not spoofing)",
                speed_kn=round(float(speed), 1))
    return ships, pend


def _nuisance_truth(ships: list, pend: list, start_ns: int, T: float) -> list[dict]:
    """truth["nuisances"]: pending records resolved against the reports, and censored ends."""
    out = []

    def one(p, si, other, t0, t1, lat, lon, **more) -> None:
        v = ships[si].v
        out.append({"kind": p["kind"], "mmsi": int(v.mmsi), "other_mmsi": None if other is None else int(ships[other].v.mmsi),
                    "start_time": _iso(t0, start_ns), "end_time": _iso(t1, start_ns),
                    "duration_h": round((round(t1) - round(t0)) / _HOUR, 3), "lat": round(float(lat), 5),
                    "lon": round(float(lon), 5), "port": p["port"], **p["extra"], **more, "detail": p["detail"]})

    for p in pend:
        t = ships[p["ship"]].rep["t"]
        if p["mode"] == "window":
            t0, t1 = max(p["t0"], 0.0), min(p["t1"], T)
            if t1 - t0 >= 0.5 * _HOUR:
                one(p, p["ship"], p["other"], t0, t1, p["lat"], p["lon"])
        elif p["mode"] == "span":
            if len(t):
                one(p, p["ship"], None, t[0], t[-1], p["lat"], p["lon"])
        else:  # a silence: from the last report before AIS went off to the first after it came back
            before, after = np.flatnonzero(t <= p["t0"]), np.flatnonzero(t >= p["t1"])
            if len(before) and len(after):
                one(p, p["ship"], None, t[before[-1]], t[after[0]], p["lat"], p["lon"])
    for si, s in enumerate(ships):
        t = s.rep["t"]
        if not len(t) or T - t[-1] < NATURAL_GAP_MIN_H * _HOUR:
            continue
        if s.left:
            cause, what = "left_area", "sailed out of the region (into the Pacific)"
        elif any(a < T <= b and a >= t[-1] - _HOUR for a, b in s.silent):
            cause, what = "ais_off", "switched AIS off at its berth until after the end of the data"
        else:
            cause, what = "reception", "not heard again before the end of the data"
        p = {"kind": "censored_end", "port": None, "extra": {}, "detail": f"{s.v.name} ({s.v.flag}, {s.v.vessel_type}) {what}"}
        one(p, si, None, t[-1], T, s.rep["lat"][-1], s.rep["lon"][-1], cause=cause)
    out.sort(key=lambda r: (r["start_time"], r["mmsi"], r["kind"], r["other_mmsi"] or 0))
    return out


# --- reception and reports -------------------------------------------------------------------------
#: Share of candidate reports kept by terrestrial networks' export thinning, by activity (class A).
_KEEP_TERRESTRIAL = np.array([0.95, 0.2, 0.35, 0.8, 0.9, 0.8])  # SAIL MOORED ANCHOR FISH STS DRIFT


def _satellite_passes(rng: np.random.Generator, T: float) -> tuple[np.ndarray, np.ndarray]:
    """Region-wide satellite passes: 8-15 min of visibility, then 0.5-5.5 h of nothing."""
    gaps = rng.uniform(0.5, 5.5, size=int(T / (0.5 * _HOUR)) + 8) * _HOUR
    t0 = -_DAY + np.cumsum(gaps)
    t0 = t0[t0 < T + _DAY]
    return t0, rng.uniform(8, 15, size=len(t0)) * 60.0


def _emit(v: _Vessel, tr: _Track, rng: np.random.Generator, region: str, passes, T: float,
          silent: list[tuple[float, float]]) -> dict[str, np.ndarray]:
    """Report times the network receives (vectorised), and the reported kinematics at those times."""
    a = tr.arrays()
    lo, hi = (60.0, 300.0) if v.ais_class == "A" else (180.0, 720.0)
    n_est = int(T / ((lo + hi) / 2) * 1.15) + 50
    t = np.round(rng.uniform(0, hi) + np.cumsum(rng.uniform(lo, hi, size=n_est)))
    t = t[t < T]
    T_k = a["t"]
    i = np.clip(np.searchsorted(T_k, t, side="right") - 1, 0, len(T_k) - 2)
    seg_dt = np.diff(T_k)
    f = np.clip((t - T_k[i]) / seg_dt[i], 0.0, 1.0)
    lat = a["lat"][i] + f * (a["lat"][i + 1] - a["lat"][i])
    lon = a["lon"][i] + f * (a["lon"][i + 1] - a["lon"][i])
    kind = a["kind"][i]
    cov = _covered(region, lat, lon)
    n = len(t)
    p_keep = _KEEP_TERRESTRIAL[kind] if v.ais_class == "A" else np.full(n, 0.9)
    terr = cov & (rng.random(n) < p_keep) & (rng.random(n) > 0.03)
    p_t0, p_len = passes
    k = np.searchsorted(p_t0, t, side="right") - 1
    in_pass = (k >= 0) & (t < p_t0[np.maximum(k, 0)] + p_len[np.maximum(k, 0)])
    detected = rng.random(len(p_t0)) < v.sat_p
    sat = ~cov & in_pass & detected[np.maximum(k, 0)] & (rng.random(n) < 0.5)
    keep = terr | sat
    for s0, s1 in silent:
        keep &= ~((t > s0) & (t < s1))
    t, i, f, lat, lon, kind, cov = t[keep], i[keep], f[keep], lat[keep], lon[keep], kind[keep], cov[keep]
    n = len(t)
    # kinematics of the interval each report falls in
    seg_len = haversine_m(a["lat"][:-1], a["lon"][:-1], a["lat"][1:], a["lon"][1:])
    seg_kn = seg_len / seg_dt * KN_PER_M_S
    seg_brg = _bearing_deg(a["lat"][:-1], a["lon"][:-1], a["lat"][1:], a["lon"][1:])
    seg_head = rng.uniform(0, 360, size=len(seg_dt))
    v_kn, brg = seg_kn[i], seg_brg[i]
    sail = kind == SAIL
    # position: GPS noise, gentle cross-track wander under way, swinging round the anchor at anchor
    amp, period, phase = rng.uniform(30, 150), rng.uniform(1, 3) * _HOUR, rng.uniform(0, 2 * np.pi)
    wander = np.where(sail, amp * np.sin(2 * np.pi * t / period + phase), 0.0)
    perp = np.radians(brg + 90.0)
    swing_r, tide_p, tide_ph = rng.uniform(60, 180), rng.uniform(5, 12.4) * _HOUR, rng.uniform(0, 2 * np.pi)
    theta = 2 * np.pi * t / tide_p + tide_ph
    anchor = kind == ANCHOR
    north = wander * np.cos(perp) + np.where(anchor, swing_r * np.cos(theta), 0.0) + rng.normal(0, 4, n)
    east = wander * np.sin(perp) + np.where(anchor, swing_r * np.sin(theta), 0.0) + rng.normal(0, 4, n)
    lat, lon = _offset(lat, lon, north, east)
    # speed, course, heading
    sog = np.select(
        [sail, kind == FISH, kind == MOORED, anchor],
        [v_kn * (1 + rng.normal(0, 0.03, n)) + rng.normal(0, 0.1, n), v_kn * (1 + rng.normal(0, 0.12, n)),
         np.abs(rng.normal(0, 0.04, n)), np.minimum(np.abs(rng.normal(0, 0.25, n)), 1.2)],
        default=np.minimum(v_kn + np.abs(rng.normal(0, 0.12, n)), 0.9),
    )
    cog = np.select([sail, kind == FISH, (kind == MOORED) | anchor],
                    [brg + rng.normal(0, 1.5, n), brg + rng.normal(0, 8, n), rng.uniform(0, 360, n)],
                    default=brg + rng.normal(0, 20, n))
    heading = np.select([sail, kind == FISH, anchor],
                        [brg + rng.normal(0, 2.5, n) + rng.normal(0, 1.5), brg + rng.normal(0, 10, n),
                         np.degrees(theta) + 180.0],
                        default=seg_head[i] + rng.normal(0, 1.5, n))
    sog = np.round(np.clip(sog, 0, 102.2), 1)
    cog = np.round(cog % 360.0, 1) % 360.0
    heading = np.round(heading % 360.0) % 360.0
    if v.heading_na:
        heading = np.full(n, np.nan)
    status = a["status"][i].astype(float)
    draught = a["draught"][i].astype(float)
    dest = a["dest"][i]
    if v.ais_class == "B":
        status = np.full(n, np.nan)
        draught = np.full(n, np.nan)
        dest = np.full(n, None, dtype=object)
    return {"t": t, "lat": np.round(lat, 5), "lon": np.round(lon, 5), "sog": sog, "cog": cog,
            "heading": heading, "status": status, "draught": np.round(draught, 1), "dest": dest,
            "kind": kind, "cov": cov}


def _apply_spoof(rep: dict, rng: np.random.Generator, T: float):
    """Replace a few hours of reports by positions 80-300 km away; returns the truth or None."""
    t, cov, kind = rep["t"], rep["cov"], rep["kind"]
    ok = cov & (kind == SAIL) & (t > 0.25 * T) & (t < 0.7 * T)
    for s0_i in np.flatnonzero(ok)[::7]:
        dur = rng.uniform(2, 8) * _HOUR
        inside = np.flatnonzero((t > t[s0_i]) & (t < t[s0_i] + dur))
        if len(inside) < 5:
            continue
        last = inside[-1]
        if last + 1 >= len(t) or not cov[last + 1] or t[last + 1] - t[last] > 900 or t[inside[0]] - t[s0_i] > 900:
            continue
        names, _, glat, glon, _ = _graph()
        d = haversine_m(rep["lat"][s0_i], rep["lon"][s0_i], glat, glon)
        d_back = haversine_m(rep["lat"][last + 1], rep["lon"][last + 1], glat, glon)
        cand = [j for j in np.argsort(d) if 80e3 < d[j] < 300e3 and d_back[j] > 80e3
                and names[j] in _NODES and not names[j].endswith("_A")]
        if not cand:
            continue
        j = int(cand[int(rng.integers(0, len(cand)))])
        c_lat, c_lon = float(glat[j]), float(glon[j])
        # the false track circles slowly within a few km of an open-water waypoint
        sp, radius, phase = rng.uniform(0.8, 2.5), rng.uniform(1500, 3000), rng.uniform(0, 2 * np.pi)
        dt = t[inside] - t[inside[0]]
        ang = phase + sp * _MS_PER_KN * dt / radius
        la, lo = _offset(c_lat, c_lon, radius * np.cos(ang) + rng.normal(0, 5, len(dt)),
                         radius * np.sin(ang) + rng.normal(0, 5, len(dt)))
        rep["lat"][inside] = np.round(la, 5)
        rep["lon"][inside] = np.round(lo, 5)
        rep["sog"][inside] = np.round(np.abs(sp + rng.normal(0, 0.2, len(dt))), 1)
        rep["cog"][inside] = np.round((np.degrees(ang) + 90.0 + rng.normal(0, 3, len(dt))) % 360.0, 1) % 360.0
        rep["status"][inside] = np.where(np.isnan(rep["status"][inside]), np.nan, 0.0)
        return t[inside[0]], t[last], (c_lat, c_lon), float(d[j])
    return None


def _iso(t_s: float, start_ns: int) -> str:
    return pd.Timestamp(start_ns + int(round(t_s)) * 1_000_000_000, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


# --- public API ------------------------------------------------------------------------------------
@dataclass
class Scenario:
    """A generated scenario: positions (schema.POSITIONS, sorted by mmsi, timestamp) and its truth."""

    positions: pd.DataFrame
    truth: dict = field(default_factory=dict)


@dataclass
class _Ship:
    v: _Vessel
    tr: _Track
    silent: list = field(default_factory=list)
    off_in_port: list = field(default_factory=list)
    rep: dict | None = None
    off_at_anchor: list = field(default_factory=list)
    nuisance: str | None = None  # group of a nuisance vessel (harbour_craft, marina, ...), None for the main fleet
    left: bool = False  # sails out of the region before the end of the data


def _fleet_counts(n: int) -> dict[str, int]:
    shares = {"tanker": 0.26, "fishing": 0.2, "passenger": 0.08, "tug": 0.07}
    out = {k: int(np.floor(s * n)) for k, s in shares.items()}
    out["passenger"] = min(out["passenger"], len(_FERRIES))
    out["cargo"] = n - sum(out.values())
    return out


def _check_params(n_vessels, days, counts, region) -> int:
    if region not in REGIONS:
        raise ConfigError(f"region {region!r} unknown; expected one of {sorted(REGIONS)}")
    for k, c in counts.items():
        if int(c) != c or c < 0:
            raise ConfigError(f"{k}={c!r} invalid; expected a non-negative integer")
    n_special = counts["n_dark"] + 2 * counts["n_sts"] + 2 * counts["n_dark_sts"] + counts["n_spoof"] + 2 * counts["n_shared_mmsi"]
    if n_vessels < n_special:
        raise ConfigError(f"n_vessels={n_vessels} is smaller than the {n_special} ships the anomalies need; raise n_vessels")
    if n_special and days < 4:
        raise ConfigError(f"days={days} too short for the injected anomalies; expected at least 4 (or set the anomaly counts to 0)")
    if days <= 0:
        raise ConfigError(f"days={days} invalid; expected a positive number")
    return n_special


def generate(seed: int = 0, *, n_vessels: int = 60, days: float = 10.0, start: str = "2024-03-01T00:00:00Z",
             n_dark: int = 4, n_sts: int = 2, n_dark_sts: int = 1, n_spoof: int = 1, n_shared_mmsi: int = 1,
             region: str = "sea_of_japan", nuisances: bool = True) -> Scenario:
    """Generate a scenario with known truth.

    ``n_vessels`` counts ships (the two ships sharing an MMSI count twice). ``n_sts`` two-sided
    ship-to-ship transfers use two ships each, ``n_dark_sts`` one-sided ones two ships each (the
    partner's dark voyage is also listed as a ``dark_voyage``). Same seed, same result.

    ``nuisances`` adds everyday harbour life on top of those ``n_vessels`` ships (harbour craft,
    a marina, a ferry terminal, work vessels, ships at anchor, censored ends, a high-speed craft;
    about 35 more vessels for 60 ships, scaled with ``n_vessels``), listed in ``truth["nuisances"]``.
    They draw from their own generators, so the other vessels' rows are the same either way, and
    ``nuisances=False`` gives exactly what the generator gave before they existed. For a short
    extract whose silences run into the end of the data, e.g. ``days=0.7``, set the anomaly counts
    to 0.
    """
    counts = {"n_dark": n_dark, "n_sts": n_sts, "n_dark_sts": n_dark_sts, "n_spoof": n_spoof, "n_shared_mmsi": n_shared_mmsi}
    n_special = _check_params(n_vessels, days, counts, region)
    rng = np.random.default_rng(seed)
    T = float(days) * _DAY
    start_ts = pd.Timestamp(start)
    start_ts = start_ts.tz_localize("UTC") if start_ts.tzinfo is None else start_ts.tz_convert("UTC")
    start_ns = int(start_ts.value)
    t_end = T + _DAY
    used: set[int] = set()
    ships: list[_Ship] = []
    pending: list[dict] = []  # anomalies with times in seconds, resolved against the data at the end

    for k in range(n_dark):
        v = _make_vessel(rng, "tanker", str(rng.choice(_DARK_FLAGS)), used, role="dark")
        v.sat_p = max(v.sat_p, 0.7)
        for j in range(len(_DARK_PLANS)):
            plan = _DARK_PLANS[(k + j) % len(_DARK_PLANS)]
            out = _dark_voyage(v, rng, T, plan, rng.uniform(10.5, 13.5))
            if out is not None and out[1][1] < T - 0.5 * _DAY:
                break
        else:
            raise ConfigError(f"days={days} too short to fit a dark voyage; expected at least 4")
        tr, (t_off, t_on), port = out
        ships.append(_Ship(v, tr, silent=[(t_off, t_on)]))
        pl, po = _PORTS[port][1:]
        pending.append({"type": "dark_voyage", "ship": len(ships) - 1, "window": (t_off, t_on), "lat": pl, "lon": po,
                        "port": port, "plan": plan})

    for k in range(n_sts):
        area = str(rng.choice(_STS_AREAS[:2] if k == 0 else _STS_AREAS))  # the first within coastal coverage
        va = _make_vessel(rng, "tanker", str(rng.choice(["RU", "PA", "HK"])), used, role="sts")
        vb = _make_vessel(rng, "tanker", str(rng.choice(["PA", "LR", "SL", "PW", "MH"])), used, role="sts")
        for v in (va, vb):
            v.sat_p = max(v.sat_p, 0.75)
        (tra, trb), (m0, m1), mid = _sts_pair(va, vb, rng, T, area)
        ships += [_Ship(va, tra), _Ship(vb, trb)]
        pending.append({"type": "sts", "ship": len(ships) - 2, "other": len(ships) - 1, "window": (m0, m1),
                        "lat": mid[0], "lon": mid[1], "area": area})

    for k in range(n_dark_sts):
        area = str(rng.choice(_DARK_STS_AREAS))
        va = _make_vessel(rng, "tanker", str(rng.choice(["PA", "SL", "TG", "MN"])), used, role="dark_sts")
        vb = _make_vessel(rng, "tanker", str(rng.choice(_DARK_FLAGS)), used, role="dark_sts_partner")
        va.sat_p = max(va.sat_p, 0.8)
        tra, trb, (m0, m1), (t_off, t_on), mid = _dark_sts(va, vb, rng, T, area)
        ships += [_Ship(va, tra), _Ship(vb, trb, silent=[(t_off, t_on)])]
        pending.append({"type": "dark_sts", "ship": len(ships) - 2, "other": len(ships) - 1, "window": (m0, m1),
                        "lat": mid[0], "lon": mid[1], "area": area})
        pending.append({"type": "dark_voyage", "ship": len(ships) - 1, "other": len(ships) - 2, "window": (t_off, t_on),
                        "lat": mid[0], "lon": mid[1], "port": None, "area": area})

    for k in range(n_spoof):
        v = _make_vessel(rng, str(rng.choice(["cargo", "tanker"])), str(rng.choice(["PA", "KR", "CN", "RU"])), used, role="spoof")
        ships.append(_Ship(v, _merchant(v, rng, t_end)))
        pending.append({"type": "spoofing", "ship": len(ships) - 1})

    for k in range(n_shared_mmsi):
        v1 = _make_vessel(rng, "cargo", str(rng.choice(["PA", "KR", "RU"])), used, role="shared_mmsi")
        v2 = _make_vessel(rng, "fishing", "CN", used, role="shared_mmsi")
        used.discard(v2.mmsi)
        v2.mmsi, v2.ais_class, v2.heading_na, v2.sat_p = v1.mmsi, "A", False, 0.7
        ships += [_Ship(v1, _merchant(v1, rng, t_end, ports_only=_EAST_SEA_PORTS)),
                  _Ship(v2, _fishing(v2, rng, t_end, grounds=("YS1", "YS2", "YS3")))]
        pending.append({"type": "identity_clash", "ship": len(ships) - 2, "other": len(ships) - 1})

    fleet = _fleet_counts(n_vessels - n_special)
    ferry_i = tug_i = 0
    n_switch_off = max(2, (n_vessels - n_special) // 10)
    n_merchant = 0
    for kind in ("tanker", "cargo", "fishing", "passenger", "tug"):
        for _ in range(fleet[kind]):
            if kind == "passenger":
                route = _FERRIES[ferry_i % len(_FERRIES)]
                ferry_i += 1
                v = _make_vessel(rng, kind, _PORT_COUNTRY[route[0]], used)
                tr = _ferry(v, rng, t_end, route)
            elif kind == "tug":
                base = _TUG_BASES[tug_i % len(_TUG_BASES)]
                tug_i += 1
                v = _make_vessel(rng, kind, _PORT_COUNTRY[base], used)
                tr = _tug(v, rng, t_end, base)
            else:
                flags, p = _FLAGS_BY_KIND[kind]
                v = _make_vessel(rng, kind, str(rng.choice(flags, p=p)), used)
                tr = _fishing(v, rng, t_end) if kind == "fishing" else _merchant(v, rng, t_end)
            ship = _Ship(v, tr)
            if kind in ("tanker", "cargo") and rng.random() < 0.12:
                v.sat_p = float(rng.uniform(0.15, 0.3))  # benign: a weak transponder, rarely heard offshore
            if kind in ("tanker", "cargo") and n_switch_off > 0 and n_merchant % 3 == 1:
                # benign look-alike: AIS switched off while moored for a long stay
                a = tr.arrays()
                long_stays = np.flatnonzero((a["kind"] == MOORED) & (np.diff(a["t"]) > 24 * _HOUR)
                                            & (a["t"][:-1] > 0) & (a["t"][1:] < T))
                if len(long_stays):
                    s = int(long_stays[0])
                    ship.off_in_port.append((a["t"][s] + 3 * _HOUR, a["t"][s + 1] - 3 * _HOUR))
                    ship.silent.append(ship.off_in_port[-1])
                    n_switch_off -= 1
            n_merchant += kind in ("tanker", "cargo")
            ships.append(ship)

    passes = _satellite_passes(rng, T)
    spoof_truth = {}
    for si, ship in enumerate(ships):
        ship.rep = _emit(ship.v, ship.tr, rng, region, passes, T, ship.silent)
        if ship.v.role == "spoof":
            res = _apply_spoof(ship.rep, rng, T)
            if res is None:
                raise ConfigError(f"seed {seed}: no stretch of coastal reports long enough to spoof; try another seed")
            spoof_truth[si] = res

    params = {"n_vessels": n_vessels, "days": float(days), "start": _iso(0, start_ns), "n_dark": n_dark,
              "n_sts": n_sts, "n_dark_sts": n_dark_sts, "n_spoof": n_spoof, "n_shared_mmsi": n_shared_mmsi}
    nuisance_truth = None
    if nuisances:  # added after everything else, from their own generators: the rest is unchanged
        extra, pend = _nuisance_fleet(seed, n_vessels, T, start_ns, used)
        nrng = np.random.default_rng([seed, 7, 1])
        lat0, lat1, lon0, lon1 = REGIONS[region]
        for ship in extra:
            rep = _emit(ship.v, ship.tr, nrng, region, passes, T, ship.silent)
            inside = (rep["lat"] > lat0) & (rep["lat"] < lat1) & (rep["lon"] > lon0) & (rep["lon"] < lon1)
            ship.rep = {k: x[inside] for k, x in rep.items()}
        nuisance_truth = _nuisance_truth(extra, pend, start_ns, T)
        ships = ships + extra
        params["nuisances"] = True

    positions = _frame(ships, start_ns)
    truth = _truth(seed, ships, pending, spoof_truth, positions, start_ns, T, params, region)
    if nuisance_truth is not None:
        truth["nuisances"] = nuisance_truth
    schema.validate(positions, schema.POSITIONS, name="simulated positions")
    return Scenario(positions=positions, truth=truth)


def _frame(ships: list[_Ship], start_ns: int) -> pd.DataFrame:
    reps = [s.rep for s in ships]
    lens = np.array([len(r["t"]) for r in reps])
    owner = np.repeat(np.arange(len(ships)), lens)
    cat = lambda k: np.concatenate([r[k] for r in reps]) if reps else np.array([])  # noqa: E731
    t = cat("t").astype(np.int64)
    mmsi = np.array([s.v.mmsi for s in ships], dtype=np.int32)[owner]
    order = np.lexsort((t, mmsi))

    def static(attr, dtype=object):
        return np.array([getattr(s.v, attr) for s in ships], dtype=dtype)[owner][order]

    ts = pd.to_datetime(start_ns + t[order] * 1_000_000_000, utc=True).astype(schema.UTC_NS)
    dest = cat("dest")[order]
    imo = pd.array(np.array([np.nan if s.v.imo is None else s.v.imo for s in ships])[owner][order], dtype="Float64").astype("Int32")
    df = pd.DataFrame({
        "mmsi": mmsi[order],
        "timestamp": ts,
        "lat": cat("lat")[order].astype(np.float64),
        "lon": cat("lon")[order].astype(np.float64),
        "sog_kn": cat("sog")[order].astype(np.float32),
        "cog_deg": cat("cog")[order].astype(np.float32),
        "heading_deg": cat("heading")[order].astype(np.float32),
        "nav_status": pd.array(cat("status")[order], dtype="Float64").astype("Int8"),
        "draught_m": cat("draught")[order].astype(np.float32),
        "imo": imo,
        "vessel_name": pd.Categorical(static("name")),
        "call_sign": pd.Categorical(static("call_sign")),
        "vessel_type": pd.array(static("vessel_type", float), dtype="Float64").astype("Int16"),
        "destination": pd.Categorical(dest),
        "length_m": static("length", np.float32),
        "width_m": static("width", np.float32),
        "ais_class": pd.Categorical(static("ais_class")),
    })
    return df


def _truth(seed, ships, pending, spoof_truth, positions, start_ns, T, params, region) -> dict:
    mm = positions["mmsi"].to_numpy()
    ts = (positions["timestamp"].array.asi8 - start_ns) // 1_000_000_000
    lat, lon = positions["lat"].to_numpy(), positions["lon"].to_numpy()
    bounds = np.searchsorted(mm, [s.v.mmsi for s in ships], side="left"), np.searchsorted(mm, [s.v.mmsi for s in ships], side="right")

    def rows(si):
        return slice(bounds[0][si], bounds[1][si])

    def info(si):
        v = ships[si].v
        return v.mmsi, f"{v.name} ({v.flag}, {v.vessel_type})"

    anomalies = []
    dark_windows: dict[int, list[tuple[int, int]]] = {}
    for p in pending:
        si = p["ship"]
        mmsi, who = info(si)
        rec = {"type": p["type"], "mmsi": int(mmsi), "other_mmsi": None}
        if "other" in p:
            rec["other_mmsi"] = int(ships[p["other"]].v.mmsi)
        if p["type"] == "dark_voyage":
            r = rows(si)
            t_v = ts[r]
            off, on = p["window"]
            before = np.flatnonzero(t_v <= off)
            after = np.flatnonzero(t_v >= on)
            if not len(before) or not len(after):
                continue
            b, a = before[-1], after[0]
            s0, s1 = int(t_v[b]), int(t_v[a])
            dark_windows.setdefault(int(mmsi), []).append((s0, s1))
            d_before = float(positions["draught_m"].iloc[r.start + b])
            d_after = float(positions["draught_m"].iloc[r.start + a])
            dest_b = positions["destination"].iloc[r.start + b]
            dest_a = positions["destination"].iloc[r.start + a]
            if p.get("port"):
                L, X, P, Y, Z = p["plan"]
                detail = (f"{who} loaded at {L}, AIS off in {_area(X)}, discharged at {P} unseen, AIS on in {_area(Y)}, "
                          f"then to {Z}; reported draught {d_before:g} -> {d_after:g} m, destination {dest_b} -> {dest_a}")
            else:
                detail = (f"{who} AIS off to meet {int(ships[p['other']].v.mmsi)} in {_area(p['area'])} (dark STS); "
                          f"reported draught {d_before:g} -> {d_after:g} m, destination {dest_b} -> {dest_a}")
            rec.update(start_time=_iso(s0, start_ns), end_time=_iso(s1, start_ns), lat=round(p["lat"], 5),
                       lon=round(p["lon"], 5), port=p["port"], duration_h=round((s1 - s0) / _HOUR, 3),
                       start_lat=float(lat[r.start + b]), start_lon=float(lon[r.start + b]),
                       end_lat=float(lat[r.start + a]), end_lon=float(lon[r.start + a]),
                       draught_before_m=d_before, draught_after_m=d_after, detail=detail)
        elif p["type"] in ("sts", "dark_sts"):
            m0, m1 = p["window"]
            other = ships[p["other"]].v
            me = ships[si].v
            if p["type"] == "sts":
                detail = (f"{who} alongside {other.name} ({other.mmsi}) in {_area(p['area'])}, discharging: "
                          f"draughts {me.laden:g} -> {me.ballast:g} m and {other.ballast:g} -> {other.laden:g} m")
            else:
                detail = (f"{who} loitering in {_area(p['area'])}, alongside {other.name} ({other.mmsi}) whose AIS "
                          f"is off, receiving: draughts {me.ballast:g} -> {me.laden:g} m and {other.laden:g} -> {other.ballast:g} m")
            rec.update(start_time=_iso(m0, start_ns), end_time=_iso(m1, start_ns), lat=round(p["lat"], 5),
                       lon=round(p["lon"], 5), port=None, duration_h=round((round(m1) - round(m0)) / _HOUR, 3),
                       detail=detail)
        elif p["type"] == "spoofing":
            s0, s1, (c_lat, c_lon), dist = spoof_truth[si]
            r = rows(si)
            t_v = ts[r]
            k0 = np.searchsorted(t_v, s0) - 1
            rec.update(start_time=_iso(s0, start_ns), end_time=_iso(s1, start_ns), lat=float(lat[r.start + k0]),
                       lon=float(lon[r.start + k0]), port=None, duration_h=round((s1 - s0) / _HOUR, 3),
                       spoofed_lat=round(c_lat, 5), spoofed_lon=round(c_lon, 5),
                       detail=f"{who} reported positions about {dist / 1000:.0f} km away from its true track, then jumped back")
        elif p["type"] == "identity_clash":
            r1, r2 = ships[si].rep["t"], ships[p["other"]].rep["t"]
            s0, s1 = max(r1.min(), r2.min()), min(r1.max(), r2.max())
            v1, v2 = ships[si].v, ships[p["other"]].v
            rec["other_mmsi"] = None
            rep2 = ships[p["other"]].rep
            k2 = int(np.searchsorted(rep2["t"], s0))
            rec.update(start_time=_iso(s0, start_ns), end_time=_iso(s1, start_ns), lat=float(rep2["lat"][k2]),
                       lon=float(rep2["lon"][k2]), port=None, duration_h=round((s1 - s0) / _HOUR, 3),
                       detail=f"MMSI {v1.mmsi} broadcast at once by {v1.name} (cargo) and {v2.name} (fishing), far apart")
        anomalies.append(rec)
    anomalies.sort(key=lambda a: (a["start_time"], a["mmsi"], a["type"]))

    # natural gaps: silences that are not anomalies
    off_windows: dict[int, list] = {}
    anchor_off: dict[int, list] = {}
    for s in ships:
        for w in s.off_in_port:
            off_windows.setdefault(int(s.v.mmsi), []).append(w)
        for w in s.off_at_anchor:
            anchor_off.setdefault(int(s.v.mmsi), []).append(w)
    same = mm[1:] == mm[:-1]
    dt = np.diff(ts)
    gi = np.flatnonzero(same & (dt >= NATURAL_GAP_MIN_H * _HOUR))
    gaps = []
    for g in gi:
        m, g0, g1 = int(mm[g]), int(ts[g]), int(ts[g + 1])
        if any(g0 < b and g1 > a for a, b in dark_windows.get(m, [])):
            continue
        cause = ("ais_off_in_port" if any(g0 < b and g1 > a for a, b in off_windows.get(m, []))
                 else "ais_off_at_anchor" if any(g0 < b and g1 > a for a, b in anchor_off.get(m, [])) else "reception")
        gaps.append({"mmsi": m, "start_time": _iso(g0, start_ns), "end_time": _iso(g1, start_ns),
                     "duration_h": round((g1 - g0) / _HOUR, 3), "cause": cause})

    anomalous_roles = {"dark", "sts", "dark_sts", "dark_sts_partner", "spoof", "shared_mmsi"}
    vessels = [{"mmsi": int(s.v.mmsi), "name": s.v.name, "imo": s.v.imo, "call_sign": s.v.call_sign,
                "vessel_type": int(s.v.vessel_type), "kind": s.v.kind, "flag": s.v.flag, "ais_class": s.v.ais_class,
                "role": s.v.role, "anomalous": s.v.role in anomalous_roles, "n_positions": int(len(s.rep["t"])),
                **({"nuisance": s.nuisance} if s.nuisance else {})}
               for s in ships]
    vessels.sort(key=lambda x: (x["mmsi"], x["name"]))
    return {"format": TRUTH_FORMAT, "seed": int(seed), "params": params, "region": region,
            "start_time": _iso(0, start_ns), "end_time": _iso(T, start_ns),
            "natural_gap_min_h": NATURAL_GAP_MIN_H, "vessels": vessels, "anomalies": anomalies, "natural_gaps": gaps}


# --- files -----------------------------------------------------------------------------------------
def to_marinecadastre(positions: pd.DataFrame) -> pd.DataFrame:
    """Positions in the MarineCadastre CSV layout, time-ordered like their daily files.

    Not-available values are empty cells, except Heading, written 511 as MarineCadastre does.
    MarineCadastre has no destination column, so destinations are not written.
    """
    p = positions
    order = np.lexsort((p["mmsi"].to_numpy(), p["timestamp"].array.asi8))
    p = p.take(order).reset_index(drop=True)
    f64 = lambda c: p[c].to_numpy(dtype=np.float64, na_value=np.nan)  # noqa: E731
    codes, uniq = pd.factorize(p["imo"], use_na_sentinel=True)
    imo_s = np.array([f"IMO{int(x):07d}" for x in uniq] + [""], dtype=object)[codes]
    vt = p["vessel_type"]
    cls = p["ais_class"].astype(object).to_numpy()
    return pd.DataFrame({
        "MMSI": p["mmsi"].to_numpy(),
        "BaseDateTime": np.datetime_as_string(p["timestamp"].array.asi8.astype("datetime64[ns]").astype("datetime64[s]")),
        "LAT": np.round(f64("lat"), 5),
        "LON": np.round(f64("lon"), 5),
        "SOG": np.round(f64("sog_kn"), 1),
        "COG": np.round(f64("cog_deg"), 1),
        "Heading": np.nan_to_num(np.round(f64("heading_deg")), nan=511.0).astype(np.int64),
        "VesselName": p["vessel_name"].astype(object).to_numpy(),
        "IMO": imo_s,
        "CallSign": p["call_sign"].astype(object).to_numpy(),
        "VesselType": vt,
        "Status": p["nav_status"],
        "Length": p["length_m"].round().astype("Int32"),
        "Width": p["width_m"].round().astype("Int32"),
        "Draft": np.round(f64("draught_m"), 1),
        "Cargo": vt.where(pd.Series(cls == "A", index=vt.index)),
        "TransceiverClass": cls,
    })


def write(scenario: Scenario, out_dir, *, fmt: str = "csv", name: str | None = None) -> list[Path]:
    """Write positions and ``<name>.truth.json`` into ``out_dir``; returns the paths written.

    ``fmt``: "csv" or "csv.gz" (MarineCadastre layout, see :func:`to_marinecadastre`) or "parquet"
    (the canonical schema.POSITIONS table, destinations included). ``name`` defaults to the region.
    Files are byte-identical for the same scenario.
    """
    if fmt not in ("csv", "csv.gz", "parquet"):
        raise ConfigError(f"fmt {fmt!r} unknown; expected 'csv', 'csv.gz' or 'parquet'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = name or str(scenario.truth.get("region", "scenario"))
    pos_path = out / f"{stem}.{fmt}"
    if fmt == "parquet":
        buf = io.BytesIO()
        scenario.positions.to_parquet(buf, index=False, engine="pyarrow", compression="zstd")
        data = buf.getvalue()
    else:
        text = to_marinecadastre(scenario.positions).to_csv(index=False, lineterminator="\n", na_rep="")
        data = text.encode("utf-8")
        if fmt == "csv.gz":
            data = gzip.compress(data, compresslevel=9, mtime=0)
    pos_path.write_bytes(data)
    truth_path = out / f"{stem}.truth.json"
    truth_path.write_text(json.dumps(scenario.truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return [pos_path, truth_path]


def write_bulk(positions: pd.DataFrame, path, *, fmt: str = "parquet") -> Path:
    """Write a large positions table fast: "parquet" (canonical columns) or "csv" (MarineCadastre
    layout, written with pyarrow). Returns the path."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        positions.to_parquet(path, index=False, engine="pyarrow", compression="zstd")
    elif fmt == "csv":
        table = pa.Table.from_pandas(to_marinecadastre(positions), preserve_index=False)
        with open(path, "wb") as fh:  # header unquoted, as MarineCadastre writes it
            fh.write((",".join(MARINECADASTRE_COLUMNS) + "\n").encode())
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    else:
        raise ConfigError(f"fmt {fmt!r} unknown; expected 'parquet' or 'csv'")
    return path


# --- bulk data for benchmarks ----------------------------------------------------------------------
def generate_bulk(n_positions: int, *, seed: int = 0, n_vessels: int | None = None,
                  start: str = "2024-03-01T00:00:00Z") -> pd.DataFrame:
    """A large schema.POSITIONS table, fast and fully vectorised, for benchmarks.

    Vessels shuttle along the open-water sea lanes; rows are time-ordered with vessels interleaved,
    like real exports (not sorted by vessel). No anomalies and no truth: use :func:`generate` for that.
    """
    n = int(n_positions)
    if n < 0:
        raise ConfigError(f"n_positions={n_positions} invalid; expected >= 0")
    rng = np.random.default_rng(seed)
    nv = int(n_vessels) if n_vessels else max(1, min(60_000, n // 2_000))
    names, index, glat, glon, _ = _graph()
    edges = np.array([[index[a], index[b]] for a, b in (e.split("-") for e in _EDGES.split())])
    ve = edges[rng.integers(0, len(edges), nv)]
    a_lat, a_lon, b_lat, b_lon = glat[ve[:, 0]], glon[ve[:, 0]], glat[ve[:, 1]], glon[ve[:, 1]]
    leg_m = haversine_m(a_lat, a_lon, b_lat, b_lon)
    brg_ab = _bearing_deg(a_lat, a_lon, b_lat, b_lon)
    kind = rng.choice(5, size=nv, p=[0.28, 0.34, 0.22, 0.08, 0.08])  # tanker cargo fishing passenger tug
    speed = np.choose(kind, [rng.uniform(10, 14, nv), rng.uniform(12, 18, nv), rng.uniform(2, 9, nv),
                             rng.uniform(16, 22, nv), rng.uniform(6, 10, nv)])
    vtype = np.choose(kind, [np.full(nv, 80), np.full(nv, 70), np.full(nv, 30), np.full(nv, 60), np.full(nv, 52)]).astype(np.int16)
    class_b = (kind == 2) & (rng.random(nv) < 0.7)
    length = np.choose(kind, [rng.uniform(90, 250, nv), rng.uniform(90, 230, nv), rng.uniform(18, 75, nv),
                              rng.uniform(120, 190, nv), rng.uniform(22, 38, nv)]).round().astype(np.float32)
    width = (length / rng.uniform(5.5, 7.5, nv)).round().astype(np.float32)
    draught = np.round(2.0 + length * 0.04 * rng.uniform(0.6, 1.0, nv), 1).astype(np.float32)
    mids = np.array([273, 440, 441, 431, 412, 413, 351, 352, 353, 636, 538, 511, 667, 477])
    mmsi = np.unique(mids[rng.integers(0, len(mids), nv * 2)] * 1_000_000 + rng.integers(1, 999_999, nv * 2))
    mmsi = rng.permutation(mmsi)[:nv].astype(np.int32)
    nv = len(mmsi)
    phase = rng.random(nv)
    # rows: which vessel reports, in time order (class B report about a third as often)
    table = np.repeat(np.arange(nv, dtype=np.int32), np.where(class_b, 7, 20))  # weights 0.35 : 1
    vid = table[rng.integers(0, len(table), n)]
    span_s = max(n / nv * 150.0, 60.0)
    t_s = np.cumsum(rng.exponential(span_s / max(n, 1), n))
    start_ns = pd.Timestamp(start).value
    ts_ns = start_ns + (t_s * 1e9).astype(np.int64)
    # position along the leg, going back and forth
    L = leg_m[vid]
    s = (t_s * (speed[vid] * _MS_PER_KN) + phase[vid] * 2 * L) % (2 * L)
    back = s > L
    frac = np.where(back, 2.0 - s / L, s / L)
    def noise(sd: float) -> np.ndarray:
        return rng.standard_normal(n, dtype=np.float32) * np.float32(sd)

    lat = a_lat[vid] + frac * (b_lat[vid] - a_lat[vid]) + noise(2e-5)
    lon = a_lon[vid] + frac * (b_lon[vid] - a_lon[vid]) + noise(2e-5)
    del frac, s
    cog = (brg_ab.astype(np.float32)[vid] + np.where(back, np.float32(180), np.float32(0)) + noise(1.5)) % np.float32(360)
    sog = np.clip(speed.astype(np.float32)[vid] + noise(0.2), 0, 102.2)
    heading = np.round((cog + noise(2)) % np.float32(360)) % np.float32(360)
    heading = np.where(class_b[vid], np.nan, heading).astype(np.float32)
    vname = np.array([f"{p} {q} {i % 1000}" for i, (p, q) in enumerate(zip(
        rng.choice(_NAME_PARTS["*"][0], nv), rng.choice(_NAME_PARTS["*"][1], nv)))], dtype=object)
    cs_pre = np.array(["UB", "DS", "JD", "BP", "3E", "A8", "V7", "T8", "9L", "VR"])
    csign = np.char.add(np.char.add(cs_pre[rng.integers(0, len(cs_pre), nv)], _LETTERS[rng.integers(0, 26, nv)]),
                        rng.integers(100, 999, nv).astype(str)).astype(object)
    base = rng.integers(0, 100_000, nv)
    digits = np.stack([base // 10 ** k % 10 for k in (4, 3, 2, 1, 0)])
    check = (9 * 7 + (digits * np.array([6, 5, 4, 3, 2])[:, None]).sum(axis=0)) % 10
    imo = 9_000_000 + base * 10 + check
    imo_na = class_b | (kind == 4)

    def cat_from(values: np.ndarray) -> pd.Categorical:
        cats, codes = np.unique(values.astype(str), return_inverse=True)
        return pd.Categorical.from_codes(codes.astype(np.int32)[vid], categories=pd.Index(cats, dtype=object))

    dest_port = np.array([_DEST[p] for p in _PORTS], dtype=object)
    dest = dest_port[rng.integers(0, len(dest_port), nv)]
    ncat = pd.Categorical.from_codes(np.where(class_b, -1, pd.Categorical(dest).codes)[vid].astype(np.int32),
                                     categories=pd.Categorical(dest).categories)
    return pd.DataFrame(copy=False, data={
        "mmsi": mmsi[vid],
        "timestamp": pd.Series(ts_ns.view("datetime64[ns]")).dt.tz_localize("UTC"),
        "lat": lat,
        "lon": lon,
        "sog_kn": sog,
        "cog_deg": cog,
        "heading_deg": heading,
        "nav_status": pd.arrays.IntegerArray(np.where(kind == 2, 7, 0).astype(np.int8)[vid], class_b[vid]),
        "draught_m": np.where(class_b[vid], np.float32(np.nan), draught[vid]).astype(np.float32),
        "imo": pd.arrays.IntegerArray(imo.astype(np.int32)[vid], imo_na[vid]),
        "vessel_name": cat_from(vname),
        "call_sign": cat_from(csign),
        "vessel_type": pd.arrays.IntegerArray(vtype[vid], np.zeros(n, dtype=bool)),
        "destination": ncat,
        "length_m": length[vid],
        "width_m": width[vid],
        "ais_class": pd.Categorical.from_codes(class_b[vid].astype(np.int8), categories=["A", "B"]),
    })
