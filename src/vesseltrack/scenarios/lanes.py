"""Sea lanes: the waypoint graph and its ports (package data), shortest routes, and geometry helpers."""

from __future__ import annotations

import heapq
from functools import cache, lru_cache

import numpy as np

from vesseltrack.errors import ConfigError
from vesseltrack.geo import haversine_m
from vesseltrack.scenarios._shared import _M_PER_DEG, table

_LANES = table("lanes")
_PORT_TABLE = table("ports")["ports"]
#: Open-water waypoints (lat, lon); see data/lanes.json.
_NODES: dict[str, tuple[float, float]] = {k: tuple(v) for k, v in _LANES["nodes"].items()}
#: Sea lanes as (node, node) pairs, in table order (it breaks routing ties).
_EDGES: tuple[tuple[str, str], ...] = tuple(tuple(e.split("-")) for e in _LANES["edges"])
#: Gazetteer port name -> (approach node, berth lat, berth lon).
_PORTS: dict[str, tuple[str, float, float]] = {p: (r["approach"], *r["berth"]) for p, r in _PORT_TABLE.items()}
#: Inner waypoints between a berth and its approach node, where the straight leg would cut a headland.
_PORT_INNER: dict[str, tuple[float, float]] = {p: tuple(r["inner"]) for p, r in _PORT_TABLE.items() if "inner" in r}
#: How ships write their destination (UN/LOCODE style or plain), as broadcast.
_DEST: dict[str, str] = {p: r["destination"] for p, r in _PORT_TABLE.items()}
_PORT_COUNTRY: dict[str, str] = {p: r["country"] for p, r in _PORT_TABLE.items()}
#: Plain names of waypoints that appear in the truth's descriptions.
_AREA_NAMES: dict[str, str] = _LANES["area_names"]


def _area(node: str) -> str:
    return _AREA_NAMES.get(node, f"waypoint {node}")


# --- graph and routing -----------------------------------------------------------------------------
@cache
def _graph():
    names = list(_NODES) + [f"P:{p}" for p in _PORTS] + [f"I:{p}" for p in _PORT_INNER]
    index = {n: i for i, n in enumerate(names)}
    lat = np.array(
        [_NODES[n][0] for n in _NODES] + [_PORTS[p][1] for p in _PORTS] + [v[0] for v in _PORT_INNER.values()]
    )
    lon = np.array(
        [_NODES[n][1] for n in _NODES] + [_PORTS[p][2] for p in _PORTS] + [v[1] for v in _PORT_INNER.values()]
    )
    adj: list[list[tuple[int, float]]] = [[] for _ in names]
    pairs = list(_EDGES)
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
    _, index, _, _, adj = _graph()
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


# --- geometry --------------------------------------------------------------------------------------
def _bearing_deg(lat1, lon1, lat2, lon2) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dl) * np.cos(p2)
    x = np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360.0


def _offset(lat, lon, north_m, east_m):
    """Move points by metres north / east (small offsets)."""
    lat = np.asarray(lat, dtype=float)
    return lat + np.asarray(north_m) / _M_PER_DEG, np.asarray(lon) + np.asarray(east_m) / (
        _M_PER_DEG * np.cos(np.radians(lat))
    )


def _moved(pos: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    """``pos`` moved by metres north / east, as a (lat, lon) pair of floats."""
    la, lo = _offset(pos[0], pos[1], north_m, east_m)
    return float(la), float(lo)


def _toward(
    a: tuple[float, float], b: tuple[float, float], f: float, rng: np.random.Generator, sd_m: float
) -> tuple[float, float]:
    la, lo = _offset(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), rng.normal(0, sd_m), rng.normal(0, sd_m))
    return float(la), float(lo)


# --- places in and off a port ----------------------------------------------------------------------
def _berth(port: str, rng: np.random.Generator) -> tuple[float, float]:
    _, la, lo = _PORTS[port]
    blat, blon = _offset(la, lo, rng.normal(0, 150), rng.normal(0, 150))
    return float(blat), float(blon)


def _outer(port: str) -> tuple[float, float]:
    """First waypoint out from the berth: the inner waypoint, or the approach node."""
    return _PORT_INNER.get(port) or _NODES[_PORTS[port][0]]


def _anchorage(port: str, rng: np.random.Generator) -> tuple[float, float]:
    """A waiting position off the port: between the first waypoint out and the berth."""
    _, la, lo = _PORTS[port]
    ala, alo = _outer(port)
    f = rng.uniform(0.15, 0.4)
    alat, alon = _offset(ala + f * (la - ala), alo + f * (lo - alo), rng.normal(0, 600), rng.normal(0, 600))
    return float(alat), float(alon)


def _site(port: str, along_m: float, side_m: float = 0.0) -> tuple[float, float]:
    """A point ``along_m`` from the port's berth towards its first waypoint out (open water), ``side_m``
    to the right of that line."""
    _, la, lo = _PORTS[port]
    brg = np.radians(float(_bearing_deg(la, lo, *_outer(port))))
    north = along_m * np.cos(brg) - side_m * np.sin(brg)
    east = along_m * np.sin(brg) + side_m * np.cos(brg)
    slat, slon = _offset(la, lo, north, east)
    return float(slat), float(slon)
