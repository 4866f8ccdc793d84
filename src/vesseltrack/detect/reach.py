"""Where could a ship have gone while it was dark?

For a gap of T hours, a ship that can make ``v`` knots needs ``d(start, end) / v`` hours for the
straight run; the rest, ``spare_h``, is time it had for something else. A sensitive port P was
reachable with time to stay if the detour start -> P -> end fits: ``stay_P = T - (d(start, P) +
d(P, end)) / v >= min_stay_h``. For a gap still open at the end of the data only the outbound leg
counts. ``v`` is the vessel's own 90th-percentile speed while under way (its sustainable speed),
or a default by vessel type when it was never seen moving.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.geo import M_PER_NM, haversine_m
from vesseltrack.zones import Gazetteer

MIN_STAY_H = 2.0
UNDER_WAY_KN = 3.0
#: Default sustainable speed by AIS type decade (kn) when a vessel was never seen under way.
DEFAULT_SPEED_KN = {3: 10.0, 5: 10.0, 6: 18.0, 7: 14.0, 8: 13.0}
FALLBACK_SPEED_KN = 12.0
#: Reachable ports listed per country of the sensitive list.
MAX_CANDIDATES = 3


def typical_speed(steps: pd.DataFrame, mmsi: np.ndarray) -> np.ndarray:
    """For each of ``mmsi``: 90th percentile of its reported SOG while under way (> 3 kn), to
    0.25 kn, or a default by AIS type when it was never seen under way.

    Only the rows of the vessels asked for are touched, counted into one speed histogram per vessel.
    """
    all_mmsi = steps["mmsi"].to_numpy()
    wanted = np.unique(mmsi)
    rows = np.flatnonzero(np.isin(all_mmsi, wanted))
    sog = steps["sog_kn"].to_numpy(dtype=float)[rows]
    vt = steps["vessel_type"].to_numpy(dtype=float, na_value=np.nan)[rows]
    code = np.searchsorted(wanted, all_mmsi[rows])
    # default by type: the first reported type of each vessel
    first = np.full(len(wanted), np.nan)
    ok_t = ~np.isnan(vt)
    first[code[ok_t][::-1]] = vt[ok_t][::-1]
    by_decade = np.full(11, FALLBACK_SPEED_KN)  # index 10: type unknown
    by_decade[list(DEFAULT_SPEED_KN)] = list(DEFAULT_SPEED_KN.values())
    speed = by_decade[np.where(np.isnan(first), 10, np.clip(first // 10, 0, 9)).astype(np.int64)]
    # 90th percentile from a per-vessel histogram of speeds in 0.25-kn bins up to 60 kn (no sort)
    moving = (sog > UNDER_WAY_KN) & (sog < 60.0)
    c, b = code[moving], (sog[moving] * 4).astype(np.int64)
    if len(c):
        hist = np.bincount(c * 240 + b, minlength=len(wanted) * 240).reshape(len(wanted), 240).astype(np.int32)
        cum = np.cumsum(hist, axis=1, dtype=np.int64)
        total = cum[:, -1]
        seen = total > 0
        q_bin = np.argmax(cum >= np.ceil(0.9 * total)[:, None], axis=1)
        speed = np.where(seen, (q_bin + 0.5) / 4.0, speed)
    return np.clip(speed, 5.0, 40.0)[np.searchsorted(wanted, mmsi)]


def port_names(reachable_ports: pd.Series) -> pd.Series:
    """The port names of ``reachable_ports`` cells ("WONSAN 61 h; HUNGNAM 57 h", as
    :func:`reachable` writes them), one row per name, indexed by the cell's label (empty cells give
    none): the one reader of that text."""
    parts = reachable_ports.dropna().astype(str).str.split("; ").explode()
    names = parts.str.replace(r"\s+\d+(?:\.\d+)?\s*h$", "", regex=True).str.strip()
    return names[names != ""]


def _candidates(stay: np.ndarray, country: np.ndarray) -> np.ndarray:
    """Columns of ``stay`` (gaps x ports) to list per gap: the :data:`MAX_CANDIDATES` ports with
    most time to stay of each country, most time to stay first. Per country, so that the ports a
    ship sailed from (a round trip from Vostochny has Nakhodka and Kozmino beside it, with the most
    time to stay) never hide the other side's ports it could have reached."""
    picks = []
    for c in sorted(set(country.tolist()), key=str):  # a loop over countries, not rows
        cols = np.flatnonzero(country == c)
        top = np.argsort(-stay[:, cols], axis=1, kind="stable")[:, :MAX_CANDIDATES]
        picks.append(cols[top])
    cand = np.concatenate(picks, axis=1)
    by_stay = np.argsort(-np.take_along_axis(stay, cand, axis=1), axis=1, kind="stable")
    return np.take_along_axis(cand, by_stay, axis=1)


def reachable(
    gaps: pd.DataFrame, speed_kn: np.ndarray, gaz: Gazetteer, *, min_stay_h: float = MIN_STAY_H
) -> dict[str, np.ndarray]:
    """Per gap: ``typical_speed_kn``, ``spare_h`` and ``reachable_ports`` ("NAMPO 18 h; RAJIN 9 h",
    most time to stay first, at most three per country: :func:`_candidates`)."""
    n = len(gaps)
    v_mps = np.asarray(speed_kn, dtype=float) * M_PER_NM / 3600.0
    T = gaps["duration_h"].to_numpy(dtype=float)
    la0, lo0 = gaps["start_lat"].to_numpy(), gaps["start_lon"].to_numpy()
    la1, lo1 = gaps["end_lat"].to_numpy(dtype=float), gaps["end_lon"].to_numpy(dtype=float)
    closed = ~np.isnan(la1)
    direct_h = np.where(closed, haversine_m(la0, lo0, la1, lo1) / v_mps / 3600.0, 0.0)
    spare = T - direct_h
    text = np.full(n, "", dtype=object)
    sens = np.flatnonzero(gaz.sensitive)
    if n and sens.size:
        plat = gaz.zones["lat"].to_numpy(float)[sens][None]
        plon = gaz.zones["lon"].to_numpy(float)[sens][None]
        out_leg = haversine_m(la0[:, None], lo0[:, None], plat, plon)
        back_leg = np.where(closed[:, None], haversine_m(la1[:, None], lo1[:, None], plat, plon), 0.0)
        stay = T[:, None] - (out_leg + back_leg) / v_mps[:, None] / 3600.0
        stay = np.where(stay >= min_stay_h, stay, -np.inf)
        order = _candidates(stay, gaz.zones["country"].to_numpy(dtype=object)[sens])
        names = gaz.names[sens]
        for k in range(order.shape[1]):  # a few candidates: a loop over ranks, not rows
            s_k = np.take_along_axis(stay, order[:, k:k + 1], axis=1)[:, 0]
            ok = np.isfinite(s_k)
            piece = np.char.add(
                np.char.add(names[order[:, k]].astype(str), " "), np.char.mod("%.0f h", np.where(ok, s_k, 0))
            )
            text = np.where(ok, np.where(text == "", piece, text + "; " + piece), text)
    return {"typical_speed_kn": np.asarray(speed_kn, dtype=float), "spare_h": spare,
            "reachable_ports": np.where(text == "", None, text)}  # type: ignore[call-overload]
