"""Scripted anomalies of the main fleet: dark voyages, ship-to-ship transfers, one-sided (dark) STS."""

from __future__ import annotations

import numpy as np

from vesseltrack.geo import haversine_m
from vesseltrack.scenarios._shared import _DAY, _HOUR, _MS_PER_KN, table
from vesseltrack.scenarios.behaviours import _RU_OIL, _continue_merchant
from vesseltrack.scenarios.identities import _Vessel
from vesseltrack.scenarios.lanes import (
    _DEST,
    _graph,
    _moved,
    _node_pos,
    _offset,
    _path,
    _route,
    _route_len_m,
)
from vesseltrack.scenarios.movement import (
    DRIFT,
    MOORED,
    SAIL,
    STS,
    _dest,
    _go_to_point,
    _loiter,
    _start_in_port,
    _Track,
)

_TRAFFIC = table("traffic")
#: Where two-sided transfers happen; the first two within terrestrial coverage.
_STS_AREAS: tuple[str, ...] = tuple(_TRAFFIC["sts_areas"])
_DARK_STS_AREAS: tuple[str, ...] = tuple(_TRAFFIC["dark_sts_areas"])
#: Ports the cargo ship of an identity clash trades between.
_EAST_SEA_PORTS: tuple[str, ...] = tuple(_TRAFFIC["east_sea_ports"])
#: Dark-voyage itineraries: (load port, node where AIS goes off, delivery port, node where it comes back, next port).
_DARK_PLANS: tuple[tuple[str, ...], ...] = tuple(tuple(p) for p in _TRAFFIC["dark_plans"])


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
    tr.cargo(v.laden)  # loaded
    tr.cur_dest = str(rng.choice(["CN ZOS", "FOR ORDERS", _DEST[Z], "KR PUS", "CN DLC"]))
    tr.stay(2 * _HOUR, MOORED, 5)
    tr.go(L, X, speed, rng)
    t_off = tr.now + rng.uniform(0.2, 0.6) * _HOUR
    tr.stay(t_off - tr.now, SAIL, 0, to=_moved(tr.pos, rng.normal(0, 500), rng.normal(0, 500)))
    travel = (_route_len_m(X, P) + _route_len_m(P, Y)) / (speed * _MS_PER_KN)
    d_max = min(4 * _DAY, T - 0.5 * _DAY - t_off)
    target = rng.uniform(1.2, 3.5) * _DAY
    dwell = min(max(target - travel, 8 * _HOUR), d_max - travel)
    if dwell < 2 * _HOUR:
        return None
    tr.go(X, P, speed, rng)
    tr.cargo(v.ballast, crew_skips=rng.random() >= 0.6)  # discharged; the crew may not update until the next port
    tr.stay(dwell, MOORED, 5)
    tr.go(P, Y, speed, rng)
    t_on = tr.now
    tr.cur_dest = _dest(Z, rng)
    tr.go(Y, Z, speed, rng)
    tr.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
    tr.port = Z
    _continue_merchant(tr, v, rng, T + _DAY, (*_RU_OIL, "BUSAN", "ULSAN", "DALIAN"))
    return tr, (t_off, t_on), P




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
    mid, (tm, t1) = _meet(
        trs, R, tm, dur, rng, rng.uniform(50, 250), (int(rng.choice([0, 1, 3])), int(rng.choice([0, 1, 3])))
    )
    for v, tr, laden_after in ((va, trs[0], False), (vb, trs[1], True)):
        tr.stay(
            rng.uniform(0.5, 3) * _HOUR,
            DRIFT,
            0,
            to=_moved(tr.pos, rng.normal(0, 800), rng.normal(0, 800)),
        )
        tr.cargo(v.laden if laden_after else v.ballast, "sts", vb if v is va else va, (tm, t1))
        nxt = str(
            rng.choice(
                ("BUSAN", "ULSAN", "DALIAN", "NAKHODKA", "QINGDAO GANG") if laden_after else (*_RU_OIL, "DALIAN")
            )
        )
        tr.cur_dest = _dest(nxt, rng)
        tr.sail(*_node_pos(area), 11.0)
        tr.go(area, nxt, 11.5, rng)
        tr.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
        tr.port = nxt
        _continue_merchant(tr, v, rng, T + _DAY, (*_RU_OIL, "BUSAN", "ULSAN", "DALIAN"))
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
    trb.cargo(vb.laden)
    trb.cur_dest = str(rng.choice(["FOR ORDERS", "CN ZOS", "KR PUS"]))
    trb.stay(2 * _HOUR, MOORED, 5)
    trb.go(ob, x_node, speed_b, rng)
    t_off = trb.now
    _go_to_point(trb, x_node, area, _offset(R[0], R[1], 1200, 0), speed_b, rng)
    mid, (t_meet_start, t_meet_end) = _meet([tra, trb], R, tm, dur, rng, rng.uniform(60, 200), (0, 0))
    _loiter(tra, tra.pos, 1000, rng.uniform(1, 4), rng, kind=DRIFT, status=0, speed=(0.3, 0.9))
    nxt_a = str(rng.choice(("DALIAN", "YANTAI", "INCHON") if west else ("BUSAN", "ULSAN")))
    tra.cur_dest = _dest(nxt_a, rng)
    tra.cargo(va.laden, "sts", vb, (t_meet_start, t_meet_end))
    tra.sail(*_node_pos(area), 11.0)
    tra.go(area, nxt_a, 11.0, rng)
    tra.port = nxt_a
    tra.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
    _continue_merchant(tra, va, rng, T + _DAY, ("BUSAN", "ULSAN", "DALIAN", "INCHON", "QINGDAO GANG"))
    trb.cargo(vb.ballast, "sts", va, (t_meet_start, t_meet_end), crew_skips=rng.random() >= 0.6)
    trb.stay(rng.uniform(0.3, 1) * _HOUR, DRIFT, 0, to=_moved(trb.pos, 900, 900))
    trb.sail(*_node_pos(area), speed_b)
    trb.go(area, x_node, speed_b, rng)
    t_on = trb.now + rng.uniform(0.5, 2) * _HOUR
    trb.stay(t_on - trb.now, SAIL, 0, to=_moved(trb.pos, rng.normal(0, 3000), rng.normal(0, 3000)))
    trb.cur_dest = _dest(ob, rng)
    lats, lons = _route(x_node, ob)
    trb.sail(lats, lons, speed_b)
    trb.port = ob
    trb.stay(rng.uniform(12, 36) * _HOUR, MOORED, 5)
    _continue_merchant(trb, vb, rng, T + _DAY, (*_RU_OIL, "BUSAN", "DALIAN"))
    return tra, trb, (t_meet_start, t_meet_end), (t_off, t_on), mid
