"""Movement: a track of knots with what the vessel does between them, port calls and loitering."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vesseltrack.geo import haversine_m
from vesseltrack.scenarios._shared import _HOUR, _MS_PER_KN
from vesseltrack.scenarios.identities import _Vessel
from vesseltrack.scenarios.lanes import (
    _DEST,
    _anchorage,
    _berth,
    _node,
    _offset,
    _route,
)

#: What a vessel does over an interval of its track.
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
        self.cur_draught = float(draught)  # the true (physical) draught
        self.cur_dest = dest
        self.port: str | None = None  # port the vessel is at, when it is
        #: Cargo operations: the true draught changed at ``t`` (see :meth:`cargo`).
        self.ops: list[dict] = []
        #: What AIS reports as draught: a step function (times, values), set by ``cargo.crew_reports``;
        #: None to report the true draught (rounded to 0.1 m) of the interval, as nuisance vessels do.
        self.reported: tuple[np.ndarray, np.ndarray] | None = None

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

    def cargo(self, draught: float, where: str = "port", other: _Vessel | None = None,
              window: tuple[float, float] | None = None, crew_skips: bool = False) -> None:
        """A cargo operation: the true draught becomes ``draught`` now. ``where``: "port" (the
        operation spans the moored stay around now) or "sts" (``window``: the meeting, ``other``: the
        partner). ``crew_skips``: the crew does not report it promptly (updated at the next port)."""
        before, self.cur_draught = self.cur_draught, float(draught)
        if abs(self.cur_draught - before) >= 0.005:
            self.ops.append({"t": self.now, "before": before, "after": self.cur_draught, "where": where,
                             "port": self.port if where == "port" else None, "other": other,
                             "window": window, "crew_skips": crew_skips})

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
                "draught": np.array(self.draught), "dest": np.array(self.dest, dtype=object),
                **({} if self.reported is None else {"rep_t": self.reported[0], "rep_d": self.reported[1]})}


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


def _go_to_point(tr: _Track, src: str, node: str, point: tuple[float, float], speed: float, rng) -> None:
    tr.go(src, node, speed, rng)
    tr.sail(*point, speed * 0.7)


@dataclass
class _Ship:
    """A vessel, its true track, its AIS silences and (once emitted) its reports."""

    v: _Vessel
    tr: _Track
    silent: list = field(default_factory=list)
    off_in_port: list = field(default_factory=list)
    rep: dict | None = None
    off_at_anchor: list = field(default_factory=list)
    drawn_tr: _Track | None = None  # a designated ship's replaced track: its reports' draws are still made
    nuisance: str | None = None  # group of a nuisance vessel (harbour_craft, marina, ...), None for the main fleet
    left: bool = False  # sails out of the region before the end of the data
