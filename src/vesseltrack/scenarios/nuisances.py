"""The nuisance fleet: everyday harbour life added on top of a scenario, with its pending truth records.

These vessels are drawn from their own generator, ``default_rng([seed, 7])``, one group after the
other in a fixed order, and added to the fleet after every other vessel, so the rest of a scenario
does not change when they are switched on or off.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np

from vesseltrack.geo import haversine_m
from vesseltrack.scenarios._shared import _DAY, _HOUR, table
from vesseltrack.scenarios.harbour import (
    _anchor_wait,
    _fast_ferry,
    _harbour_craft,
    _leaver,
    _local_days,
    _off_for_good,
    _overlaps,
    _pleasure_boat,
    _terminal_ferry,
    _work_vessel,
)
from vesseltrack.scenarios.identities import (
    _FLAGS_BY_KIND,
    _make_vessel,
    _small_vessel,
    _Vessel,
)
from vesseltrack.scenarios.lanes import (
    _PORT_COUNTRY,
    _PORTS,
    _anchorage,
    _graph,
    _moved,
    _path,
    _site,
    _toward,
)
from vesseltrack.scenarios.movement import _Ship, _Track

#: ``boat(j, port, flag, slot)`` of :meth:`moored_rows`: builds a vessel, returns its index and moored windows.
_Boat = Callable[[int, str, str, tuple[float, float]], tuple[int, list]]

#: Kinds of truth["nuisances"] records (see the package docstring).
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
_SITES = table("traffic")
#: Ports whose berth lies at least 3 km from its first waypoint out: room for berths along that line.
_HARBOUR_BASES: tuple[str, ...] = tuple(_SITES["harbour_bases"])
_MARINAS: tuple[str, ...] = tuple(_SITES["marinas"])
#: Ferry terminals and their ferries' day-trip destinations.
_TERMINALS: dict[str, tuple[str, ...]] = {p: tuple(d) for p, d in _SITES["ferry_terminals"].items()}
_WORK_RAFTS: tuple[str, ...] = tuple(_SITES["work_rafts"])
#: Anchorages with open water around them (first waypoint out 8-19 km from the berth).
_ANCHORAGES: tuple[str, ...] = tuple(_SITES["anchorages"])
_FAST_ROUTES: tuple[tuple[str, str], ...] = tuple(tuple(r) for r in _SITES["fast_routes"])


def _nuisance_fleet(seed: int, n_vessels: int, T: float, start_ns: int, used: set[int]) -> tuple[list, list]:
    """The nuisance vessels (``_Ship``s with their group in ``nuisance``) and their pending truth
    records (times in seconds, ships as indices into the returned list). Draws only from
    ``default_rng([seed, 7])``; adds the new MMSIs to ``used``."""
    fleet = _NuisanceFleet(seed, n_vessels, T, start_ns, used)
    fleet.harbour_craft()
    fleet.marina()
    fleet.ferry_terminal()
    fleet.work_raft()
    fleet.anchorage()
    fleet.censored()
    fleet.fast_craft()
    return fleet.ships, fleet.pend


class _NuisanceFleet:
    """The nuisance vessels being built, group by group, and their pending truth records."""

    def __init__(self, seed: int, n_vessels: int, T: float, start_ns: int, used: set[int]):
        self.rng = np.random.default_rng([seed, 7])
        scale = n_vessels / 60.0
        self.n = {k: max(least, int(round(c * scale))) for k, (c, least) in _NUISANCE_FLEET.items()}
        self.T, self.t_end, self.used = T, T + _DAY, used
        self.days = {tz: _local_days(start_ns, tz, self.t_end) for tz in set(_UTC_OFFSET_H.values())}
        self.ships: list[_Ship] = []
        self.pend: list[dict] = []

    # --- bookkeeping ---------------------------------------------------------------------------------
    def add(self, v: _Vessel, tr: _Track, group: str, **kw) -> int:
        self.ships.append(_Ship(v, tr, nuisance=group, **kw))
        return len(self.ships) - 1

    def rec(
        self, mode: str, kind: str, si: int, t0: float, t1: float, pos, port, detail: str, other=None, **extra
    ) -> None:
        """A pending truth record: ``mode`` "window" (clipped to the data), "span" (first to last
        report) or "gap" (last report before to first after)."""
        self.pend.append({"mode": mode, "kind": kind, "ship": si, "other": other, "t0": t0, "t1": t1, "lat": pos[0],
                          "lon": pos[1], "port": port, "detail": detail, "extra": extra})

    def who(self, si: int) -> str:
        v = self.ships[si].v
        return f"{v.name} ({v.flag}, {v.vessel_type})"

    def local_days(self, flag: str) -> list[tuple[float, int]]:
        return self.days[_UTC_OFFSET_H[flag]]

    def rafted(self, idx: list, windows: dict, slots: dict, kind: str, port: str, what: str) -> None:
        """Records for neighbours in a row while both are moored at least 2 h."""
        for i, j in pairwise(idx):
            d = float(haversine_m(*slots[i], *slots[j]))
            mid = ((slots[i][0] + slots[j][0]) / 2, (slots[i][1] + slots[j][1]) / 2)
            for s, e in _overlaps(windows[i], windows[j], 2 * _HOUR):
                self.rec(
                    "window",
                    kind,
                    i,
                    s,
                    e,
                    mid,
                    port,
                    f"{self.who(i)} and {self.who(j)} {what} {d:.0f} m apart in {port}",
                    other=j,
                    distance_m=round(d, 1),
                )

    def moored_rows(self, group: str, per_row: int, sites: Sequence[str], along_m: tuple[float, float],
                    spacing_m: tuple[float, float], side_m: float, boat: _Boat, kind: str, what: str) -> None:
        """The ``group``'s vessels in rows of about ``per_row``, one row per port of ``sites`` in turn:
        slots ``along_m`` from the berth towards open water then every ``spacing_m``, a random offset
        of up to ``side_m`` to the side (none when 0). ``boat(j, port, flag, slot)`` builds the j-th
        vessel of a row and returns its index and moored windows; neighbours get ``kind`` records."""
        rng, total = self.rng, self.n[group]
        n_rows = int(np.ceil(total / per_row))
        for k in range(n_rows):
            port = sites[k % len(sites)]
            flag = _PORT_COUNTRY[port]
            count = total // n_rows + (k < total % n_rows)
            along = rng.uniform(*along_m) + np.cumsum(rng.uniform(*spacing_m, count))
            side = rng.uniform(-side_m, side_m) if side_m else 0.0
            idx, windows, slots = [], {}, {}
            for j in range(count):
                slot = _site(port, float(along[j]), side)
                si, windows_j = boat(j, port, flag, slot)
                idx.append(si)
                windows[si], slots[si] = windows_j, slot
            self.rafted(idx, windows, slots, kind, port, what)

    # --- the groups, in drawing order ------------------------------------------------------------------
    def harbour_craft(self) -> None:
        """Tugs, pilot boats, port tenders, work boats, law enforcement."""
        rng, T = self.rng, self.T
        for i in range(self.n["harbour_craft"]):
            kind, vtype, cls, length, speed = _HARBOUR_CRAFT[i % len(_HARBOUR_CRAFT)]
            port = _HARBOUR_BASES[(i // 2) % len(_HARBOUR_BASES)]
            flag = _PORT_COUNTRY[port]
            v = _small_vessel(rng, kind, flag, self.used, vtype, cls, rng.uniform(*length))
            home = _site(port, rng.uniform(100, 300), rng.normal(0, 30))
            switches_off = kind != "pilot" and rng.random() < 0.75
            tr, off = _harbour_craft(rng, home, port, rng.uniform(*speed), kind == "pilot", switches_off,
                                     self.local_days(flag), self.t_end)
            si = self.add(v, tr, "harbour_craft", silent=list(off), off_in_port=list(off))
            self.rec("span", "harbour_craft", si, 0.0, T, home, port,
                     f"{self.who(si)}, a {kind.replace('_', ' ')} based in {port}: short trips in the harbour"
                     + ("; AIS off at its berth overnight and at weekends" if off else ""))
            for a, b in off:
                self.rec(
                    "gap",
                    "berth_shutdown",
                    si,
                    a,
                    b,
                    home,
                    port,
                    f"{self.who(si)} switched AIS off at its berth in {port} "
                    + ("over the weekend" if b - a > 30 * _HOUR else "overnight"),
                )

    def marina(self) -> None:
        """Pleasure craft moored side by side, with occasional outings."""
        rng, T = self.rng, self.T

        def boat(j: int, port: str, flag: str, slot) -> tuple[int, list]:
            cls = "A" if rng.random() < 0.2 else "B"
            v = _small_vessel(
                rng, "pleasure", flag, self.used, 37, cls, rng.uniform(14, 24) if cls == "A" else rng.uniform(6, 15)
            )
            tr, moored = _pleasure_boat(rng, slot, port, rng.uniform(6, 18), self.local_days(flag), self.t_end)
            off = []
            if rng.random() < 0.3:  # the owner switches the transponder off at the berth for a while
                long = [(a, b) for a, b in moored if b - a >= 20 * _HOUR and b > 0 and a < T]
                if long:
                    a, b = long[int(rng.integers(0, len(long)))]
                    s = a + rng.uniform(1.5, 4) * _HOUR
                    off.append((s, min(b - rng.uniform(1.5, 3) * _HOUR, s + rng.uniform(24, 70) * _HOUR)))
            si = self.add(v, tr, "marina", silent=list(off), off_in_port=list(off))
            for a, b in off:
                self.rec(
                    "gap",
                    "berth_shutdown",
                    si,
                    a,
                    b,
                    slot,
                    port,
                    f"{self.who(si)} switched AIS off at its marina berth in {port}",
                )
            return si, moored

        self.moored_rows("marina", 12, _MARINAS, (800, 1000), (10, 40), 40, boat,
                         "marina_moored", "moored side by side in the marina")

    def ferry_terminal(self) -> None:
        """Day ferries at adjacent berths of a terminal overnight."""
        rng = self.rng

        def boat(j: int, port: str, flag: str, slot) -> tuple[int, list]:
            v = _small_vessel(
                rng, "passenger", flag, self.used, int(rng.choice([60, 60, 69])), "A", rng.uniform(60, 140)
            )
            dests = _TERMINALS[port]
            tr, nights = _terminal_ferry(
                rng,
                slot,
                port,
                dests[j % len(dests)],
                rng.uniform(15, 19),
                rng.uniform(6.5, 8.5),
                self.local_days(flag),
                self.t_end,
            )
            return self.add(v, tr, "ferry_terminal"), nights

        self.moored_rows("ferry_terminal", 3, tuple(_TERMINALS), (400, 450), (40, 70), 0, boat,
                         "ferry_berth", "at adjacent berths of the ferry terminal")

    def work_raft(self) -> None:
        """Dredgers / work vessels moored together."""
        rng, T = self.rng, self.T

        def boat(j: int, port: str, flag: str, slot) -> tuple[int, list]:
            cls = "A" if j == 0 or rng.random() < 0.5 else "B"
            v = _small_vessel(
                rng, "dredger", flag, self.used, 33, cls, rng.uniform(30, 80) if cls == "A" else rng.uniform(15, 30)
            )
            tr, moored = _work_vessel(rng, slot, port, rng.uniform(6, 9), self.local_days(flag), self.t_end)
            si = self.add(v, tr, "work_raft")
            self.rec(
                "span",
                "harbour_craft",
                si,
                0.0,
                T,
                slot,
                port,
                f"{self.who(si)}, a dredger / work vessel based in {port}, "
                "moored with others; dredges the channel at 1-3 kn on some working days",
            )
            return si, moored

        self.moored_rows("work_raft", 3, _WORK_RAFTS, (1400, 1500), (10, 30), 30, boat,
                         "harbour_craft", "moored together (work vessels)")

    def anchorage(self) -> None:
        """Merchant ships waiting at anchor, some a few hundred metres apart, some with AIS off for hours."""
        rng, T, n_anch = self.rng, self.T, self.n["anchorage"]
        for k in range(int(np.ceil(n_anch / 3))):
            port = _ANCHORAGES[k % len(_ANCHORAGES)]
            centre = _anchorage(port, rng)
            count = min(3, n_anch - 3 * k)
            t_arr = rng.uniform(-0.5, max(0.6 * T / _DAY - 0.5, 0.0)) * _DAY
            t_leave = t_arr + rng.uniform(1, 4) * _DAY
            idx = [self.waiting_ship(j, port, centre, t_arr, t_leave) for j in range(count)]
            for si, spot, a, b in idx:
                other = [(sj, float(haversine_m(*spot, *sp))) for sj, sp, _, _ in idx if sj != si]
                near = min(other, key=lambda x: x[1]) if other else None
                pair = near if near is not None and near[1] <= 1000 else None
                self.rec(
                    "window",
                    "anchorage_wait",
                    si,
                    a,
                    b,
                    spot,
                    port,
                    f"{self.who(si)} waiting at anchor off {port}"
                    + (f", {pair[1]:.0f} m from {self.who(pair[0])} (not a ship-to-ship transfer)" if pair else ""),
                    other=pair[0] if pair else None,
                    **({"distance_m": round(pair[1], 1)} if pair else {}),
                )

    def waiting_ship(self, j: int, port: str, centre: tuple[float, float], t_arr: float,
                     t_leave: float) -> tuple[int, tuple[float, float], float, float]:
        """The j-th ship at an anchorage: at its centre, a neighbour 300-800 m away, or further along
        the fairway. Returns its index, spot and time at anchor."""
        rng = self.rng
        _, bla, blo = _PORTS[port]
        kind = "tanker" if rng.random() < 0.5 else "cargo"
        flags, p = _FLAGS_BY_KIND[kind]
        v = _make_vessel(rng, kind, str(rng.choice(flags, p=p)), self.used)
        if j == 0:
            spot = centre
        elif j == 1:  # a neighbour 300-800 m away: close, but not alongside
            ang, d = rng.uniform(0, 2 * np.pi), rng.uniform(300, 800)
            spot = _moved(centre, d * np.cos(ang), d * np.sin(ang))
        else:  # further along the fairway
            f = rng.uniform(1500, 2500) / float(haversine_m(*centre, bla, blo)) * (1 if rng.random() < 0.5 else -1)
            spot = _toward(centre, (bla, blo), f, rng, 100)
        arr = t_arr + (0.0 if j == 0 else rng.uniform(-8, 8) * _HOUR)
        leave = t_leave + (0.0 if j == 0 else rng.uniform(-12, 12) * _HOUR)
        tr, (a, b) = _anchor_wait(v, rng, port, spot, arr, leave, self.t_end)
        off = []
        if j % 2 == 1 and b - a > 8 * _HOUR:  # AIS off for hours at anchor
            g0 = a + rng.uniform(1.0, max(1.5, (b - a) / _HOUR - 7.0)) * _HOUR
            off.append((g0, min(g0 + rng.uniform(3, 12) * _HOUR, b - _HOUR)))
        si = self.add(v, tr, "anchorage", silent=list(off), off_at_anchor=list(off))
        for g0, g1 in off:
            self.rec(
                "gap",
                "anchorage_gap",
                si,
                g0,
                g1,
                spot,
                port,
                f"{self.who(si)} switched AIS off while at anchor off {port}",
            )
        return si, spot, a, b

    def censored(self) -> None:
        """Censored ends: AIS off at the berth for the rest of the data, or out of the region."""
        rng, T = self.rng, self.T
        span = min(T, 3 * _DAY)
        for i in range(self.n["censored"]):
            kind = "cargo" if i % 2 == 0 else "tanker"
            flags, p = _FLAGS_BY_KIND[kind]
            v = _make_vessel(rng, kind, str(rng.choice(flags, p=p)), self.used)
            t_last = T - rng.uniform(0.25, 0.6) * span
            if i % 2 == 0:
                tr, win, _, _ = _off_for_good(v, rng, t_last - 6 * _HOUR, self.t_end)
                self.add(v, tr, "censored", silent=[win], off_in_port=[win])
            else:
                self.add(v, _leaver(v, rng, t_last, self.t_end), "censored", left=True)

    def fast_craft(self) -> None:
        """High-speed craft at 35-40 kn."""
        rng = self.rng
        for i in range(self.n["fast_craft"]):
            a, b = _FAST_ROUTES[i % len(_FAST_ROUTES)]
            flag = _PORT_COUNTRY[a] if i % 2 == 0 else _PORT_COUNTRY[b]
            v = _small_vessel(
                rng, "high_speed_craft", flag, self.used, int(rng.choice([40, 40, 49])), "A", rng.uniform(30, 45)
            )
            speed = rng.uniform(35, 40)
            tr, crossings = _fast_ferry(rng, a, b, speed, self.local_days(flag), self.t_end)
            si = self.add(v, tr, "fast_craft")
            for t0, t1, x, y in crossings:
                path = _path(x, y)
                mid = _graph()[2][path[len(path) // 2]], _graph()[3][path[len(path) // 2]]
                self.rec(
                    "window",
                    "fast_craft",
                    si,
                    t0,
                    t1,
                    (float(mid[0]), float(mid[1])),
                    None,
                    f"{self.who(si)}, a high-speed craft, crossing {x} -> {y} at about {speed:.0f} kn (not spoofing)",
                    speed_kn=round(float(speed), 1),
                )
