"""Tracks of everyday harbour life: harbour craft, pleasure boats, day ferries, work vessels, ships
waiting at anchor, ships that go quiet or leave the region, high-speed craft.

On real AIS nearly every alert of a naive detector is a false alarm from ordinary port life: harbour
craft that switch AIS off at their berth overnight, boats moored side by side in a marina, ferries
at adjacent berths, ships waiting at anchor a few hundred metres apart, tracks cut off by the end
of the data, high-speed craft. Each builder returns the track and the windows its truth needs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.geo import haversine_m
from vesseltrack.scenarios._shared import _DAY, _HOUR, _MS_PER_KN, table
from vesseltrack.scenarios.behaviours import _CARGO_PORTS, _continue_merchant
from vesseltrack.scenarios.coverage import REGIONS
from vesseltrack.scenarios.identities import _Vessel
from vesseltrack.scenarios.lanes import (
    _DEST,
    _LANES,
    _PORT_COUNTRY,
    _berth,
    _node_pos,
    _outer,
    _route,
    _route_len_m,
    _toward,
)
from vesseltrack.scenarios.movement import (
    ANCHOR,
    DRIFT,
    MOORED,
    SAIL,
    _dest,
    _start_in_port,
    _Track,
)

_MERCHANT_PORTS = tuple(p for p in _CARGO_PORTS if _PORT_COUNTRY[p] != "KP")
#: Ports near the Tsugaru strait that ships leave the region from.
_EXIT_PORTS: tuple[str, ...] = tuple(table("traffic")["exit_ports"])
#: Out of the region through the Tsugaru strait into the Pacific, south of Cape Erimo.
_PACIFIC_EXIT: tuple[tuple[float, float], ...] = tuple(tuple(p) for p in _LANES["pacific_exit"])


def _local_days(start_ns: int, tz_h: float, t1: float) -> list[tuple[float, int]]:
    """(local midnight in scenario seconds, weekday with 0 = Monday) of each local day, from two days
    before the data start until ``t1``."""
    off = int(round(tz_h * 3600)) * 1_000_000_000
    local = pd.Timestamp(start_ns + off).normalize()
    m0 = (local.value - off - start_ns) / 1e9
    return [(m0 + d * _DAY, (local.weekday() + d) % 7) for d in range(-2, int(np.ceil((t1 - m0) / _DAY)) + 1)]



def _harbour_craft(rng: np.random.Generator, home: tuple[float, float], port: str, speed: float, pilot: bool,
                   switches_off: bool, days, t_end: float) -> tuple[_Track, list]:
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




def _moored_with_outings(tr: _Track, slot: tuple[float, float], days, t_end: float, departure, outing) -> list:
    """Moored at ``slot``; on each local day that ``departure(midnight, weekday)`` gives a time for
    (None: the vessel stays in), cast off then for ``outing()``, which brings it back to the slot.
    Returns the moored windows."""
    moored, t_arr = [], tr.now
    for midnight, weekday in days:
        dep = departure(midnight, weekday)
        if dep is None or dep < tr.now + _HOUR:
            continue
        tr.stay(dep - tr.now, MOORED, 5, to=slot)
        moored.append((t_arr, tr.now))
        outing()
        t_arr = tr.now
    tr.stay(max(t_end - tr.now, 0.0) + _HOUR, MOORED, 5, to=slot)
    moored.append((t_arr, tr.now))
    return moored


def _pleasure_boat(rng: np.random.Generator, slot: tuple[float, float], port: str, speed: float, days,
                   t_end: float) -> tuple[_Track, list]:
    """Moored at a marina slot for days, now and then out in the bay for a few hours (mostly at
    weekends). Returns the track and the moored windows."""
    out = _outer(port)
    tr = _Track(days[0][0], *slot, 1.0, None)

    def departure(midnight: float, weekday: int) -> float | None:
        if rng.random() >= (0.3 if weekday >= 5 else 0.08):
            return None
        return midnight + rng.uniform(8.5, 13.0) * _HOUR

    def outing() -> None:
        tr.sail(*_toward(slot, out, rng.uniform(0.5, 1.0), rng, 400), speed)
        tr.stay(rng.uniform(0.5, 3.0) * _HOUR, DRIFT, 0)  # fishing, swimming, a picnic
        tr.sail(*slot, speed * rng.uniform(0.6, 0.9))

    return tr, _moored_with_outings(tr, slot, days, t_end, departure, outing)


def _work_vessel(rng: np.random.Generator, slot: tuple[float, float], port: str, speed: float, days,
                 t_end: float) -> tuple[_Track, list]:
    """A dredger / work vessel moored with others; on some working days it dredges the channel at
    1-3 kn for hours. Returns the track and the moored windows."""
    out = _outer(port)
    tr = _Track(days[0][0], *slot, 3.0, None)

    def departure(midnight: float, weekday: int) -> float | None:
        if weekday >= 5 or rng.random() >= 0.4:
            return None
        return midnight + rng.uniform(6.5, 8.5) * _HOUR

    def outing() -> None:
        f = rng.uniform(0.3, 0.7)
        ends = [_toward(slot, out, f, rng, 50), _toward(slot, out, f + rng.uniform(0.05, 0.12), rng, 50)]
        tr.sail(*ends[0], speed)
        stop = tr.now + rng.uniform(4, 9) * _HOUR
        k = 1
        while tr.now < stop:  # up and down the channel, restricted in her ability to manoeuvre
            tr.sail(*ends[k], rng.uniform(1.0, 3.0), status=3)
            k = 1 - k
        tr.sail(*slot, speed)

    return tr, _moored_with_outings(tr, slot, days, t_end, departure, outing)


def _terminal_ferry(rng: np.random.Generator, slot: tuple[float, float], port: str, dest: str, speed: float,
                    dep_h: float, days, t_end: float) -> tuple[_Track, list]:
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


def _anchor_wait(v: _Vessel, rng: np.random.Generator, port: str, spot: tuple[float, float], t_arr: float,
                 t_leave: float, t_end: float) -> tuple[_Track, tuple[float, float]]:
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
