"""Routine traffic of the main fleet: merchant ships trading port to port, ferries, tugs, fishing boats."""

from __future__ import annotations

import numpy as np

from vesseltrack.scenarios._shared import _DAY, _HOUR, table
from vesseltrack.scenarios.identities import _Vessel
from vesseltrack.scenarios.lanes import (
    _DEST,
    _berth,
    _node_pos,
    _offset,
    _outer,
    _route,
)
from vesseltrack.scenarios.movement import (
    DRIFT,
    MOORED,
    _dest,
    _loiter,
    _port_call,
    _start_in_port,
    _Track,
)

_TRAFFIC = table("traffic")
#: Russian Far East oil terminals where tankers load.
_RU_OIL: tuple[str, ...] = tuple(_TRAFFIC["ru_oil"])
_TANKER_DISCHARGE: tuple[str, ...] = tuple(_TRAFFIC["tanker_discharge"])
_CARGO_PORTS: tuple[str, ...] = tuple(_TRAFFIC["cargo_ports"])
#: Ferry routes (A, B, speed kn, departure hour UTC from A, from B).
_FERRIES: tuple[tuple, ...] = tuple(tuple(f) for f in _TRAFFIC["ferries"])
_TUG_BASES: tuple[str, ...] = tuple(_TRAFFIC["tug_bases"])
#: Fishing grounds: flag -> (grounds as graph nodes, home ports).
_FISHING: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    flag: (tuple(f["grounds"]), tuple(f["home_ports"])) for flag, f in _TRAFFIC["fishing"].items()}

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
            tr.cargo(v.laden if here in _RU_OIL or (not russia_trade and rng.random() < 0.5) else v.ballast)
        else:
            tr.cargo(float(rng.uniform(v.ballast, v.laden)))  # true draught; a prompt crew reports it to 0.1 m
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
        meet = _offset(
            home[0] + f * (ala - home[0]), home[1] + f * (alo - home[1]), rng.normal(0, 400), rng.normal(0, 400)
        )
        tr.sail(float(meet[0]), float(meet[1]), rng.uniform(8, 11))
        tr.stay(rng.uniform(0.1, 0.4) * _HOUR, DRIFT, 0)
        tr.sail(*_berth(base, rng), rng.uniform(4, 7), status=3)  # escorting a ship in: restricted manoeuvrability
        tr.sail(*home, 6.0)
    tr.port = base
    return tr


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
        tr.cargo(v.laden if tr.port in _RU_OIL else v.ballast)
        tr.stay(rng.uniform(0.5, 2) * _HOUR, MOORED, 5)
        _port_call(tr, nxt, 12.0, rng.uniform(12, 48) * _HOUR, rng, anchor_p=0.2)
