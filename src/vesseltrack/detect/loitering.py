"""Loitering: a vessel slow for hours, away from ports and shore, and one-sided ("dark") STS.

A loitering event is a run of consecutive reports of one vessel that are all slow (SOG, else the
implied speed of the step into the report, under ``max_speed_kn``), joined by steps that are slow
too (implied speed under ``max_speed_kn``) and no longer than ``max_silence_h``, lasting at least
``min_h`` hours, whose median position is more than ``min_shore_km`` from shore and more than
``min_port_km`` from any port centre. Vectorised: a boolean mask, run starts from the vessel and
continuity breaks, ``reduceat`` per run.

One-sided STS: the partner of a ship-to-ship transfer may have its AIS off, leaving one ship
stopped at sea with nobody visible alongside. We emit such cases as ``loitering`` events with
``possible_dark_sts = True`` (not as encounters with an empty ``other_mmsi``): a merchant ship (AIS
type 70-89, cargo or tanker; not an unknown type, so anonymised data without types, where whole
anchorage queues loiter, are not flagged) loitering more than ``dark_sts_min_port_km`` (20 km)
from any port centre (outer anchorages lie within that) where no encounter of that vessel
(``encounters``, when given) overlaps it. The draught before/after are reported so the scorer
can weigh a change of draught (the signature of a transfer). Fishing vessels (type 30) loiter for
a living: they are reported, with their ``vessel_type``, and never flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack import stopareas
from vesseltrack.detect import events as ev
from vesseltrack.detect.encounters import NEAR_PORT_KM, _draught_near
from vesseltrack.stopareas import StopAreas
from vesseltrack.tracks import vessel_starts
from vesseltrack.zones import Gazetteer, nearest_sensitive, nearest_zone_km, shore_distance_km

#: Defaults: slow (< 2 kn) for at least 4 h, more than 10 km from shore and from any port centre.
DEFAULT_MIN_H = 4.0
DEFAULT_MAX_SPEED_KN = 2.0
DEFAULT_MIN_SHORE_KM = 10.0
DEFAULT_MIN_PORT_KM = 10.0
#: Reports further apart than this do not continue a loitering run (offshore, satellite passes
#: leave silences of hours; a longer one is a gap, not loitering).
DEFAULT_MAX_SILENCE_H = 6.0
#: possible_dark_sts needs the loitering this far from any port centre (km): ships waiting at an
#: outer anchorage, 10-20 km off a port, are the commonest look-alike.
DEFAULT_DARK_STS_MIN_PORT_KM = 20.0


def detect_loitering(steps: pd.DataFrame, gaz: Gazetteer, *, min_h: float = DEFAULT_MIN_H,
                     max_speed_kn: float = DEFAULT_MAX_SPEED_KN, min_shore_km: float = DEFAULT_MIN_SHORE_KM,
                     min_port_km: float = DEFAULT_MIN_PORT_KM, max_silence_h: float = DEFAULT_MAX_SILENCE_H,
                     dark_sts_min_port_km: float = DEFAULT_DARK_STS_MIN_PORT_KM,
                     encounters: pd.DataFrame | None = None, stop_areas: StopAreas | None = None) -> pd.DataFrame:
    """Loitering events from (mmsi, timestamp)-sorted positions with schema.STEPS columns.

    ``stop_areas``: learnt berths and anchorages (stopareas.py): a run there gets that ``context``
    and is never ``possible_dark_sts`` (ships wait at anchorages; wind-farm and work boats idle at
    their sites day after day, which their many visits turn into stop areas too).

    ``encounters``: encounter events (detect_encounters); a loitering vessel that has a visible
    encounter overlapping in time is not flagged ``possible_dark_sts``.
    """
    n = len(steps)
    if n == 0:
        return ev.conform(pd.DataFrame())
    mmsi = steps["mmsi"].to_numpy()
    ts = steps["timestamp"].array.asi8
    sog = steps["sog_kn"].to_numpy(dtype=float)
    dt = steps["dt_s"].to_numpy()
    implied = steps["implied_speed_kn"].to_numpy()
    first = vessel_starts(mmsi)
    step_slow = ~first & (dt <= max_silence_h * 3600.0) & (np.nan_to_num(implied, nan=0.0) < max_speed_kn)
    speed = np.where(np.isnan(sog), np.where(first, np.nan, implied), sog)
    slow = np.nan_to_num(speed, nan=0.0) < max_speed_kn
    cont = np.zeros(n, dtype=bool)
    cont[1:] = slow[1:] & slow[:-1] & step_slow[1:]
    # runs: maximal chains of slow reports linked by slow steps
    rs = np.flatnonzero(slow & ~cont)
    in_run = slow
    # end of each run: last slow report whose successor does not continue it
    nxt_cont = np.zeros(n, dtype=bool)
    nxt_cont[:-1] = cont[1:]
    re = np.flatnonzero(in_run & ~nxt_cont)
    dur_h = (ts[re] - ts[rs]) / 3.6e12
    ok = dur_h >= min_h
    rs, re, dur_h = rs[ok], re[ok], dur_h[ok]
    if len(rs) == 0:
        return ev.conform(pd.DataFrame())
    lat = steps["lat"].to_numpy(dtype=float)
    lon = steps["lon"].to_numpy(dtype=float)
    mid = (rs + re) // 2  # median report of the run
    mlat, mlon = lat[mid], lon[mid]
    shore = shore_distance_km(mlat, mlon)
    port_km = nearest_zone_km(mlat, mlon, gaz)
    ok = (shore > min_shore_km) & (port_km > min_port_km)
    rs, re, dur_h, mlat, mlon, shore, port_km = rs[ok], re[ok], dur_h[ok], mlat[ok], mlon[ok], shore[ok], port_km[ok]
    if len(rs) == 0:
        return ev.conform(pd.DataFrame())
    dist = np.nan_to_num(steps["distance_m"].to_numpy(dtype=float))
    cum = np.cumsum(dist)
    path_m = cum[re] - cum[rs]  # steps rs+1 .. re
    mean_kn = np.where(dur_h > 0, path_m / 1852.0 / np.where(dur_h > 0, dur_h, 1), 0.0)
    vt = steps["vessel_type"].take(rs).to_numpy(dtype=float, na_value=np.nan)
    merchant = (vt >= 70) & (vt <= 89)
    m_run = mmsi[rs].astype(np.int64)
    seen = _overlaps_encounter(m_run, ts[rs], ts[re], encounters)
    d_s, p_s = nearest_sensitive(mlat, mlon, gaz)
    port = np.where((p_s >= 0) & (d_s <= NEAR_PORT_KM), gaz.names[np.maximum(p_s, 0)], None)
    after = ts[re] + 12 * 3_600_000_000_000
    ctx = stopareas.event_context(mlat, mlon, np.full(len(mlat), -1), stop_areas or stopareas.empty())
    return ev.build(
        "loitering", steps, rs, re,
        port=port,
        mean_speed_kn=mean_kn,
        draught_before_m=_draught_near(steps, m_run, ts[rs]),
        draught_after_m=_draught_near(steps, m_run, after),
        shore_km=shore,
        nearest_port_km=port_km,
        possible_dark_sts=merchant & ~seen & (port_km > dark_sts_min_port_km) & (ctx == stopareas.AT_SEA),
        context=stopareas.context_names(ctx),
        n_positions=re - rs + 1,
    )


def _overlaps_encounter(
    mmsi: np.ndarray, t0: np.ndarray, t1: np.ndarray, encounters: pd.DataFrame | None
) -> np.ndarray:
    """True where the vessel has an encounter (either side) overlapping [t0, t1]."""
    if encounters is None or len(encounters) == 0:
        return np.zeros(len(mmsi), dtype=bool)
    e = encounters[encounters["event_type"] == "encounter"]
    em = np.concatenate([e["mmsi"].to_numpy(np.int64), e["other_mmsi"].to_numpy(np.int64, na_value=-1)])
    e0 = np.tile(e["start_time"].array.asi8, 2)
    e1 = np.tile(e["end_time"].array.asi8, 2)
    o = np.lexsort((e0, em))
    em, e0, e1 = em[o], e0[o], e1[o]
    lo = np.searchsorted(em, mmsi, side="left")
    hi = np.searchsorted(em, mmsi, side="right")
    # an encounter overlaps if it starts before t1 and ends after t0; encounters of one vessel are few,
    # so test the candidates of each run with a bounded number of vectorised passes
    out = np.zeros(len(mmsi), dtype=bool)
    width = int((hi - lo).max()) if len(mmsi) else 0
    for j in range(width):  # loop over the k-th encounter of a vessel (a handful), not over vessels
        i = lo + j
        has = i < hi
        ii = np.minimum(i, len(em) - 1)
        out |= has & (e0[ii] <= t1) & (e1[ii] >= t0)
    return out
