"""The truth of a scenario: anomalies, natural gaps, vessels and nuisances, resolved against the
reports as they ended up in the data (times are those of real reports, not of the plan)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.scenarios._shared import _HOUR
from vesseltrack.scenarios.cargo import op_window, true_tonnes
from vesseltrack.scenarios.lanes import _area

TRUTH_FORMAT = "vesseltrack-truth/1"
#: Silences at least this long (hours) that are not anomalies are listed in truth["natural_gaps"].
NATURAL_GAP_MIN_H = 1.0
_ANOMALOUS_ROLES = {"dark", "sts", "dark_sts", "dark_sts_partner", "spoof", "shared_mmsi"}


def _iso(t_s: float, start_ns: int) -> str:
    return pd.Timestamp(start_ns + int(round(t_s)) * 1_000_000_000, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


class _Rows:
    """The positions frame as arrays (times in scenario seconds), and each ship's rows in it."""

    def __init__(self, positions: pd.DataFrame, ships: list, start_ns: int):
        self.positions = positions
        self.mm = positions["mmsi"].to_numpy()
        self.ts = (positions["timestamp"].array.asi8 - start_ns) // 1_000_000_000
        self.lat, self.lon = positions["lat"].to_numpy(), positions["lon"].to_numpy()
        mmsis = [s.v.mmsi for s in ships]
        self.bounds = np.searchsorted(self.mm, mmsis, side="left"), np.searchsorted(self.mm, mmsis, side="right")

    def of(self, si: int) -> slice:
        return slice(self.bounds[0][si], self.bounds[1][si])


def _truth(seed, ships, pending, spoof_truth, positions, start_ns, T, params, region) -> dict:
    rows = _Rows(positions, ships, start_ns)
    anomalies, dark_windows = _anomalies(ships, pending, spoof_truth, rows, start_ns)
    gaps = _natural_gaps(ships, rows, dark_windows, start_ns)
    vessels = [{"mmsi": int(s.v.mmsi), "name": s.v.name, "imo": s.v.imo, "call_sign": s.v.call_sign,
                "vessel_type": int(s.v.vessel_type), "kind": s.v.kind, "flag": s.v.flag, "ais_class": s.v.ais_class,
                "role": s.v.role, "anomalous": s.v.role in _ANOMALOUS_ROLES, "n_positions": len(s.rep["t"]),
                **({"nuisance": s.nuisance} if s.nuisance else {})}
               for s in ships]
    vessels.sort(key=lambda x: (x["mmsi"], x["name"]))
    designated = sorted(({"mmsi": int(s.v.mmsi), "imo": s.v.imo, "name": s.v.name, **s.v.designation}
                         for s in ships if s.v.designation), key=lambda d: (d["mmsi"], d["name"]))
    return {"format": TRUTH_FORMAT, "seed": int(seed), "params": params, "region": region,
            "start_time": _iso(0, start_ns), "end_time": _iso(T, start_ns),
            "natural_gap_min_h": NATURAL_GAP_MIN_H, "vessels": vessels, "anomalies": anomalies, "natural_gaps": gaps,
            "cargo_ops": _cargo_ops(ships, start_ns, T), "designated": designated}


def _reported_around(rep: dict, w0: float, w1: float) -> tuple[float | None, float | None]:
    """The reported draught of the last report before ``w0`` and the one that finally reflects an
    operation ending at ``w1``: the first report after it, or the first within 48 h after it that
    differs from the one before."""
    t, d = rep["t"], rep["draught"]
    before, after = np.flatnonzero(t < w0), np.flatnonzero(t > w1)
    d0 = float(d[before[-1]]) if len(before) and np.isfinite(d[before[-1]]) else None
    if not len(after):
        return d0, None
    d1 = float(d[after[0]])
    if d0 is not None and d1 == d0:
        later = after[(t[after] <= w1 + 48 * _HOUR) & (d[after] != d0) & np.isfinite(d[after])]
        d1 = float(d[later[0]]) if len(later) else d1
    return d0, (d1 if np.isfinite(d1) else None)


def _cargo_ops(ships, start_ns: int, T: float) -> list[dict]:
    """truth["cargo_ops"]: every cargo operation of the main fleet overlapping the data."""
    out = []
    for s in ships:
        v, a = s.v, s.tr.arrays()
        if v.crew is None:  # nuisance vessels: no crew model (they report their true draught)
            continue
        dark = [w for w in s.silent if w not in s.off_in_port]
        for op in s.tr.ops:
            w0, w1 = op_window(a, op)
            if w1 <= 0 or w0 >= T:
                continue
            where = op["where"] if op["where"] == "sts" else (
                "dark" if any(w0 >= a0 - _HOUR and w1 <= a1 + _HOUR for a0, a1 in dark) else "port")
            r0, r1 = _reported_around(s.rep, w0, w1)
            d0, d1 = round(op["before"], 3), round(op["after"], 3)
            out.append({
                "mmsi": int(v.mmsi), "kind": "load" if d1 > d0 else "discharge", "where": where, "port": op["port"],
                "other_mmsi": None if op["other"] is None else int(op["other"].mmsi),
                "start_time": _iso(w0, start_ns), "end_time": _iso(w1, start_ns),
                "true_draught_before_m": d0, "true_draught_after_m": d1,
                "reported_draught_before_m": r0, "reported_draught_after_m": r1, "crew": v.crew,
                "length_m": float(v.length), "width_m": float(v.width), "cwp": v.cwp, "lwl_m": v.lwl,
                "true_tonnes": round(true_tonnes(d0, d1, v.cwp, v.lwl, float(v.width)), 1),
            })
    out.sort(key=lambda r: (r["start_time"], r["mmsi"], r["kind"]))
    return out


def _who(v) -> str:
    return f"{v.name} ({v.flag}, {v.vessel_type})"


def _anomalies(ships, pending, spoof_truth, rows: _Rows, start_ns: int) -> tuple[list[dict], dict[int, list]]:
    """truth["anomalies"], sorted, and the dark windows (report times) by MMSI."""
    anomalies = []
    dark_windows: dict[int, list[tuple[int, int]]] = {}
    for p in pending:
        si = p["ship"]
        mmsi = ships[si].v.mmsi
        rec = {"type": p["type"], "mmsi": int(mmsi), "other_mmsi": None}
        if "other" in p:
            rec["other_mmsi"] = int(ships[p["other"]].v.mmsi)
        if p["type"] == "dark_voyage":
            more = _dark_voyage_record(p, ships, rows, start_ns)
            if more is None:
                continue
            dark_windows.setdefault(int(mmsi), []).append(more.pop("window"))
        elif p["type"] in ("sts", "dark_sts"):
            more = _meeting_record(p, ships, start_ns)
        elif p["type"] == "spoofing":
            more = _spoofing_record(p, ships, spoof_truth, rows, start_ns)
        else:  # identity_clash
            rec["other_mmsi"] = None
            more = _clash_record(p, ships, start_ns)
        rec.update(more)
        anomalies.append(rec)
    anomalies.sort(key=lambda a: (a["start_time"], a["mmsi"], a["type"]))
    return anomalies, dark_windows


def _dark_voyage_record(p: dict, ships, rows: _Rows, start_ns: int) -> dict | None:
    """From the last report before AIS went off to the first after it came back; None when the data
    holds no report on one side. The dict's "window" is the silence in report times."""
    si = p["ship"]
    positions, r = rows.positions, rows.of(si)
    t_v = rows.ts[r]
    off, on = p["window"]
    before = np.flatnonzero(t_v <= off)
    after = np.flatnonzero(t_v >= on)
    if not len(before) or not len(after):
        return None
    b, a = before[-1], after[0]
    s0, s1 = int(t_v[b]), int(t_v[a])
    d_before = float(positions["draught_m"].iloc[r.start + b])
    d_after = float(positions["draught_m"].iloc[r.start + a])
    dest_b = positions["destination"].iloc[r.start + b]
    dest_a = positions["destination"].iloc[r.start + a]
    who = _who(ships[si].v)
    if p.get("port") and not p.get("plan"):
        detail = f"{who} {p['what']}; reported draught {d_before:g} -> {d_after:g} m, destination {dest_b} -> {dest_a}"
    elif p.get("port"):
        L, X, P, Y, Z = p["plan"]
        detail = (f"{who} loaded at {L}, AIS off in {_area(X)}, discharged at {P} unseen, AIS on in {_area(Y)}, "
                  f"then to {Z}; reported draught {d_before:g} -> {d_after:g} m, destination {dest_b} -> {dest_a}")
    else:
        detail = (f"{who} AIS off to meet {int(ships[p['other']].v.mmsi)} in {_area(p['area'])} (dark STS); "
                  f"reported draught {d_before:g} -> {d_after:g} m, destination {dest_b} -> {dest_a}")
    return {
        "window": (s0, s1),
        "start_time": _iso(s0, start_ns),
        "end_time": _iso(s1, start_ns),
        "lat": round(p["lat"], 5),
        "lon": round(p["lon"], 5),
        "port": p["port"],
        "duration_h": round((s1 - s0) / _HOUR, 3),
        "start_lat": float(rows.lat[r.start + b]),
        "start_lon": float(rows.lon[r.start + b]),
        "end_lat": float(rows.lat[r.start + a]),
        "end_lon": float(rows.lon[r.start + a]),
        "draught_before_m": d_before,
        "draught_after_m": d_after,
        "detail": detail,
    }


def _meeting_record(p: dict, ships, start_ns: int) -> dict:
    """A ship-to-ship transfer (two-sided, or one-sided with the partner dark): the planned meeting."""
    m0, m1 = p["window"]
    other = ships[p["other"]].v
    me = ships[p["ship"]].v
    who = _who(me)
    if p["type"] == "sts":
        detail = (f"{who} alongside {other.name} ({other.mmsi}) in {_area(p['area'])}, discharging: "
                  f"draughts {me.laden:g} -> {me.ballast:g} m and {other.ballast:g} -> {other.laden:g} m")
    else:
        detail = (
            f"{who} loitering in {_area(p['area'])}, alongside {other.name} ({other.mmsi}) whose AIS "
            f"is off, receiving: draughts {me.ballast:g} -> {me.laden:g} m and {other.laden:g} -> {other.ballast:g} m"
        )
    return {"start_time": _iso(m0, start_ns), "end_time": _iso(m1, start_ns), "lat": round(p["lat"], 5),
            "lon": round(p["lon"], 5), "port": None, "duration_h": round((round(m1) - round(m0)) / _HOUR, 3),
            "detail": detail}


def _spoofing_record(p: dict, ships, spoof_truth: dict, rows: _Rows, start_ns: int) -> dict:
    """The spoofed stretch, placed at the last true report before it."""
    si = p["ship"]
    s0, s1, (c_lat, c_lon), dist = spoof_truth[si]
    r = rows.of(si)
    k0 = np.searchsorted(rows.ts[r], s0) - 1
    return {"start_time": _iso(s0, start_ns), "end_time": _iso(s1, start_ns), "lat": float(rows.lat[r.start + k0]),
            "lon": float(rows.lon[r.start + k0]), "port": None, "duration_h": round((s1 - s0) / _HOUR, 3),
            "spoofed_lat": round(c_lat, 5), "spoofed_lon": round(c_lon, 5),
            "detail": (f"{_who(ships[si].v)} reported positions about {dist / 1000:.0f} km away from its true track, "
                       "then jumped back")}


def _clash_record(p: dict, ships, start_ns: int) -> dict:
    """Two ships on one MMSI: while both report, placed at the second ship's first report then."""
    r1, r2 = ships[p["ship"]].rep["t"], ships[p["other"]].rep["t"]
    s0, s1 = max(r1.min(), r2.min()), min(r1.max(), r2.max())
    v1, v2 = ships[p["ship"]].v, ships[p["other"]].v
    rep2 = ships[p["other"]].rep
    k2 = int(np.searchsorted(rep2["t"], s0))
    return {"start_time": _iso(s0, start_ns), "end_time": _iso(s1, start_ns), "lat": float(rep2["lat"][k2]),
            "lon": float(rep2["lon"][k2]), "port": None, "duration_h": round((s1 - s0) / _HOUR, 3),
            "detail": f"MMSI {v1.mmsi} broadcast at once by {v1.name} (cargo) and {v2.name} (fishing), far apart"}


def _natural_gaps(ships, rows: _Rows, dark_windows: dict, start_ns: int) -> list[dict]:
    """Silences of at least NATURAL_GAP_MIN_H that are not anomalies, with their cause."""
    off_windows: dict[int, list] = {}
    anchor_off: dict[int, list] = {}
    for s in ships:
        for w in s.off_in_port:
            off_windows.setdefault(int(s.v.mmsi), []).append(w)
        for w in s.off_at_anchor:
            anchor_off.setdefault(int(s.v.mmsi), []).append(w)
    mm, ts = rows.mm, rows.ts
    same = mm[1:] == mm[:-1]
    dt = np.diff(ts)
    gi = np.flatnonzero(same & (dt >= NATURAL_GAP_MIN_H * _HOUR))
    gaps = []
    for g in gi:
        m, g0, g1 = int(mm[g]), int(ts[g]), int(ts[g + 1])
        if any(g0 < b and g1 > a for a, b in dark_windows.get(m, [])):
            continue
        cause = ("ais_off_in_port" if any(g0 < b and g1 > a for a, b in off_windows.get(m, []))
                 else "ais_off_at_anchor" if any(g0 < b and g1 > a for a, b in anchor_off.get(m, [])) else "reception")
        gaps.append({"mmsi": m, "start_time": _iso(g0, start_ns), "end_time": _iso(g1, start_ns),
                     "duration_h": round((g1 - g0) / _HOUR, 3), "cause": cause})
    return gaps


def _nuisance_truth(ships: list, pend: list, start_ns: int, T: float) -> list[dict]:
    """truth["nuisances"]: pending records resolved against the reports, and censored ends."""
    out = []

    def one(p, si, other, t0, t1, lat, lon, **more) -> None:
        v = ships[si].v
        out.append(
            {
                "kind": p["kind"],
                "mmsi": int(v.mmsi),
                "other_mmsi": None if other is None else int(ships[other].v.mmsi),
                "start_time": _iso(t0, start_ns),
                "end_time": _iso(t1, start_ns),
                "duration_h": round((round(t1) - round(t0)) / _HOUR, 3),
                "lat": round(float(lat), 5),
                "lon": round(float(lon), 5),
                "port": p["port"],
                **p["extra"],
                **more,
                "detail": p["detail"],
            }
        )

    for p in pend:
        t = ships[p["ship"]].rep["t"]
        if p["mode"] == "window":
            t0, t1 = max(p["t0"], 0.0), min(p["t1"], T)
            if t1 - t0 >= 0.5 * _HOUR:
                one(p, p["ship"], p["other"], t0, t1, p["lat"], p["lon"])
        elif p["mode"] == "span":
            if len(t):
                one(p, p["ship"], None, t[0], t[-1], p["lat"], p["lon"])
        else:  # a silence: from the last report before AIS went off to the first after it came back
            before, after = np.flatnonzero(t <= p["t0"]), np.flatnonzero(t >= p["t1"])
            if len(before) and len(after):
                one(p, p["ship"], None, t[before[-1]], t[after[0]], p["lat"], p["lon"])
    for si, s in enumerate(ships):
        t = s.rep["t"]
        if not len(t) or T - t[-1] < NATURAL_GAP_MIN_H * _HOUR:
            continue
        if s.left:
            cause, what = "left_area", "sailed out of the region (into the Pacific)"
        elif any(a < T <= b and a >= t[-1] - _HOUR for a, b in s.silent):
            cause, what = "ais_off", "switched AIS off at its berth until after the end of the data"
        else:
            cause, what = "reception", "not heard again before the end of the data"
        p = {
            "kind": "censored_end",
            "port": None,
            "extra": {},
            "detail": f"{s.v.name} ({s.v.flag}, {s.v.vessel_type}) {what}",
        }
        one(p, si, None, t[-1], T, s.rep["lat"][-1], s.rep["lon"][-1], cause=cause)
    out.sort(key=lambda r: (r["start_time"], r["mmsi"], r["kind"], r["other_mmsi"] or 0))
    return out
