"""What the AIS networks receive: report times through terrestrial coverage and satellite passes,
the reported kinematics (with noise) at those times, and spoofed stretches."""

from __future__ import annotations

import numpy as np

from vesseltrack.geo import KN_PER_M_S, haversine_m
from vesseltrack.scenarios._shared import _DAY, _HOUR, _MS_PER_KN
from vesseltrack.scenarios.coverage import _covered
from vesseltrack.scenarios.identities import _Vessel
from vesseltrack.scenarios.lanes import _NODES, _bearing_deg, _graph, _offset
from vesseltrack.scenarios.movement import ANCHOR, FISH, MOORED, SAIL, _Track

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
    t, i, lat, lon, kind, cov = _received(v, a, rng, region, passes, T, silent)
    return _reports(v, a, rng, t, i, lat, lon, kind, cov)


def _received(v: _Vessel, a: dict, rng: np.random.Generator, region: str, passes, T: float, silent) -> tuple:
    """Times of the reports received (the transponder's schedule, thinned by terrestrial coverage
    and satellite passes, minus the silences), the track interval each falls in and the true
    position, activity and coverage there."""
    lo, hi = (60.0, 300.0) if v.ais_class == "A" else (180.0, 720.0)
    n_est = int(T / ((lo + hi) / 2) * 1.15) + 50
    t = np.round(rng.uniform(0, hi) + np.cumsum(rng.uniform(lo, hi, size=n_est)))
    t = t[t < T]
    T_k = a["t"]
    i = np.clip(np.searchsorted(T_k, t, side="right") - 1, 0, len(T_k) - 2)
    f = np.clip((t - T_k[i]) / np.diff(T_k)[i], 0.0, 1.0)
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
    return t[keep], i[keep], lat[keep], lon[keep], kind[keep], cov[keep]


def _reports(v: _Vessel, a: dict, rng: np.random.Generator, t, i, lat, lon, kind, cov) -> dict[str, np.ndarray]:
    """The reports at times ``t``: noisy position, speed, course and heading from the track interval
    ``i`` each falls in, and the voyage fields (class B sends none)."""
    n = len(t)
    seg_dt = np.diff(a["t"])
    seg_len = haversine_m(a["lat"][:-1], a["lon"][:-1], a["lat"][1:], a["lon"][1:])
    seg_kn = seg_len / seg_dt * KN_PER_M_S
    seg_brg = _bearing_deg(a["lat"][:-1], a["lon"][:-1], a["lat"][1:], a["lon"][1:])
    seg_head = rng.uniform(0, 360, size=len(seg_dt))
    v_kn, brg = seg_kn[i], seg_brg[i]
    lat, lon, theta = _jitter(rng, t, lat, lon, kind, brg)
    sog, cog, heading = _motion(rng, kind, v_kn, brg, theta, seg_head[i])
    if v.heading_na:
        heading = np.full(n, np.nan)
    status = a["status"][i].astype(float)
    if "rep_t" in a:  # what the crew entered (main-fleet merchant ships)
        draught = a["rep_d"][np.clip(np.searchsorted(a["rep_t"], t, side="right") - 1, 0, None)].astype(float)
    else:
        draught = a["draught"][i].astype(float)
    dest = a["dest"][i]
    if v.ais_class == "B":
        status = np.full(n, np.nan)
        draught = np.full(n, np.nan)
        dest = np.full(n, None, dtype=object)
    return {"t": t, "lat": np.round(lat, 5), "lon": np.round(lon, 5), "sog": sog, "cog": cog,
            "heading": heading, "status": status, "draught": np.round(draught, 1), "dest": dest,
            "kind": kind, "cov": cov}


def _jitter(rng: np.random.Generator, t, lat, lon, kind, brg) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reported positions: GPS noise, gentle cross-track wander under way, swinging round the anchor
    at anchor. Returns lat, lon and the swing angle (radians)."""
    n = len(t)
    sail = kind == SAIL
    amp, period, phase = rng.uniform(30, 150), rng.uniform(1, 3) * _HOUR, rng.uniform(0, 2 * np.pi)
    wander = np.where(sail, amp * np.sin(2 * np.pi * t / period + phase), 0.0)
    perp = np.radians(brg + 90.0)
    swing_r, tide_p, tide_ph = rng.uniform(60, 180), rng.uniform(5, 12.4) * _HOUR, rng.uniform(0, 2 * np.pi)
    theta = 2 * np.pi * t / tide_p + tide_ph
    anchor = kind == ANCHOR
    north = wander * np.cos(perp) + np.where(anchor, swing_r * np.cos(theta), 0.0) + rng.normal(0, 4, n)
    east = wander * np.sin(perp) + np.where(anchor, swing_r * np.sin(theta), 0.0) + rng.normal(0, 4, n)
    lat, lon = _offset(lat, lon, north, east)
    return lat, lon, theta


def _motion(rng: np.random.Generator, kind, v_kn, brg, theta, seg_head) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reported speed, course and heading, by activity, rounded as AIS sends them."""
    n = len(kind)
    sail, anchor = kind == SAIL, kind == ANCHOR
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
                        default=seg_head + rng.normal(0, 1.5, n))
    sog = np.round(np.clip(sog, 0, 102.2), 1)
    cog = np.round(cog % 360.0, 1) % 360.0
    heading = np.round(heading % 360.0) % 360.0
    return sog, cog, heading


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
