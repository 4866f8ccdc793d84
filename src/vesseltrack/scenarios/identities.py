"""Who the ships are: MMSI, IMO number (with its check digit), name, call sign, type, size, class."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vesseltrack.scenarios._shared import table

_ID = table("identities")
#: Flag -> MMSI maritime identification digits.
_MIDS: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in _ID["mids"].items()}
_CALL_PREFIX: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _ID["call_prefix"].items()}
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
#: Flag -> (first words, second words) of ship names; "*" for any other flag.
_NAME_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    k: (tuple(a), tuple(b)) for k, (a, b) in _ID["name_parts"].items()}
_FLAGS_BY_KIND = {
    "tanker": (("RU", "KR", "PA", "LR", "MH", "CN", "HK"), (0.3, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1)),
    "cargo": (("KR", "CN", "PA", "RU", "JP", "LR", "HK"), (0.25, 0.2, 0.2, 0.15, 0.1, 0.05, 0.05)),
    "fishing": (("CN", "KR", "JP", "RU"), (0.35, 0.3, 0.2, 0.15)),
    "tug": (("KR", "RU", "CN", "JP"), (0.35, 0.3, 0.2, 0.15)),
}
_DARK_FLAGS = ("PW", "SL", "TG", "MN", "PA", "RU")


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
        prefix, middle = rng.choice(["LU", "ZHE", "LIAO", "SU"]), rng.choice(["RONG", "DAI", "DAN", "YAN"])
        return f"{prefix} {middle} YU {int(rng.integers(10000, 99999))}"
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
    crew: str | None = None  # how the crew enters the draught (merchant ships of the main fleet)
    cwp: float | None = None  # waterplane coefficient
    lwl: float | None = None  # waterline length, m
    designation: dict | None = None  # the sanctions-list entry whose identity the ship carries


def _new_mmsi(rng: np.random.Generator, flag: str, used: set[int]) -> int:
    """An MMSI of the flag's MIDs not in ``used`` (and not ending in 000); added to ``used``."""
    while True:
        mmsi = int(rng.choice(_MIDS[flag])) * 1_000_000 + int(rng.integers(0, 1_000_000))
        if mmsi not in used and mmsi % 1000 != 0:
            used.add(mmsi)
            return mmsi


def _vessel(
    rng: np.random.Generator,
    mmsi: int,
    kind: str,
    flag: str,
    vtype: int,
    cls: str,
    length: float,
    width: float,
    has_imo: bool,
    ballast: float,
    laden: float,
    role: str = "normal",
) -> _Vessel:
    """The vessel record; then its transceiver: class B ones often send no heading and are rarely
    heard by satellites."""
    v = _Vessel(mmsi=mmsi, name=_name(rng, flag, kind), imo=_imo_number(rng) if has_imo else None,
                call_sign=_call_sign(rng, flag), vessel_type=int(vtype), length=float(round(length)),
                width=float(round(width)), ais_class=cls, flag=flag, kind=kind,
                ballast=ballast, laden=laden, role=role)
    v.heading_na = cls == "B" and rng.random() < 0.6
    v.sat_p = float(rng.uniform(0.55, 0.9) if cls == "A" else rng.uniform(0.15, 0.4))
    return v


def _make_vessel(rng: np.random.Generator, kind: str, flag: str, used: set[int], role: str = "normal") -> _Vessel:
    """A merchant ship, ferry, fishing boat or tug of the main fleet."""
    mmsi = _new_mmsi(rng, flag, used)
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
    return _vessel(rng, mmsi, kind, flag, vtype, cls, length, width, has_imo,
                   round(float(ballast), 1), round(float(laden), 1), role)


def _small_vessel(
    rng: np.random.Generator, kind: str, flag: str, used: set[int], vtype: int, cls: str, length: float
) -> _Vessel:
    """A harbour craft, pleasure boat, domestic ferry or high-speed craft (not a merchant ship)."""
    mmsi = _new_mmsi(rng, flag, used)
    width = length / (
        rng.uniform(2.8, 4.0) if kind in ("tug", "pilot", "pleasure", "port_tender") else rng.uniform(4.5, 6.5)
    )
    draught = round(float(1.0 + length * rng.uniform(0.04, 0.08)), 1)
    has_imo = cls == "A" and kind in ("passenger", "high_speed_craft", "dredger", "law_enforcement")
    return _vessel(rng, mmsi, kind, flag, vtype, cls, length, width, has_imo, draught, draught)
