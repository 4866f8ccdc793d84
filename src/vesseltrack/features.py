"""Per-voyage features (schema.VOYAGE_FEATURES) and the matrices the scorers see.

Position-level figures are ``reduceat`` over the contiguous voyage codes; event-level figures are
grouped by ``voyage_id``. The model matrices turn raw features into what an isolation forest can
use well: log scales for heavy-tailed hours and speeds, closeness to sensitive ports rather than
distance (so that "far" saturates instead of standing out). Each model feature is declared once,
in :data:`VOYAGE_MODEL` or :data:`GAP_MODEL` (a :class:`ModelFeature`: its name, how it is
computed, whether it is one-sided, its evidence weight and the phrase that explains it); the
matrices, the scorers' ``one_sided`` and ``evidence`` and the reasons (explain.py) derive from them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.detect.encounters import both_ways
from vesseltrack.detect.identity import SPLIT_OFFSET
from vesseltrack.geo import BLOCK_ROWS
from vesseltrack.tracks import vessel_starts
from vesseltrack.voyages import Voyages, voyage_of

#: Distance to a sensitive port beyond which it does not matter (km); also the value when no gap.
FAR_KM = 1000.0
#: Scale of sensitive-port closeness: closeness = exp(-distance_km / CLOSENESS_KM).
CLOSENESS_KM = 100.0
#: Steps shorter than this are ignored for max implied speed (GPS jitter over seconds).
MIN_SPEED_STEP_S = 30.0


def is_tanker(vessel_type: pd.Series) -> np.ndarray:
    vt = vessel_type.to_numpy(dtype=float, na_value=np.nan)
    return ((vt >= 80) & (vt <= 89)).astype(np.int64)


#: Vessel populations (:func:`vessel_population`). Merchant ships (the mission: cargo and, above
#: all, tankers) are what alerts rank by default; the rest keep their events.
POPULATIONS = ("tanker", "cargo", "merchant (type unknown)", "fishing", "pleasure", "harbour craft", "passenger",
               "high-speed craft", "military or law enforcement", "small (type unknown)", "other")
MERCHANT = ("tanker", "cargo", "merchant (type unknown)")
#: A ship of unknown or "other" type counts as merchant from this length (m), or when its length is unknown.
SEAGOING_LENGTH_M = 50.0


def vessel_population(vessel_type: np.ndarray, ais_class: np.ndarray, length_m: np.ndarray) -> np.ndarray:
    """Population of each vessel (object array of :data:`POPULATIONS`) from its AIS type code, class
    ('A', 'B' or missing) and length. Unknown or "other" (90-99) types of class A (or unknown class)
    and seagoing size (or unknown length) are ``merchant (type unknown)``: anonymised feeds carry no
    static data, and a ship that hides its type is not thereby off the list."""
    vt = np.asarray(vessel_type, dtype=float)
    cls = np.asarray(ais_class, dtype=object)
    length = np.asarray(length_m, dtype=float)
    untyped = np.isnan(vt) | (vt >= 90) | (vt < 20)
    seagoing = (cls != "B") & ~(length < SEAGOING_LENGTH_M)
    conds = [(vt >= 80) & (vt <= 89), (vt >= 70) & (vt <= 79), untyped & seagoing, vt == 30, (vt == 36) | (vt == 37),
             np.isin(vt, (31, 32, 33, 34, 50, 52, 53, 54, 56, 57, 58, 59)) , (vt >= 60) & (vt <= 69),
             (vt >= 40) & (vt <= 49), np.isin(vt, (35, 51, 55)), untyped]
    return np.select(conds, POPULATIONS[:len(conds)], default="other").astype(object)


def voyage_population(steps: pd.DataFrame, voy: Voyages) -> np.ndarray:
    """Population (:func:`vessel_population`) of each voyage's vessel, from what the vessel broadcast
    over the whole data (static reports often come after the first position): its highest type code
    and length, and class A if it ever reported as class A."""
    mmsi = steps["mmsi"].to_numpy()
    if len(mmsi) == 0:
        return np.zeros(0, dtype=object)
    vs = np.flatnonzero(vessel_starts(mmsi))
    vt = np.fmax.reduceat(steps["vessel_type"].to_numpy(dtype=float, na_value=np.nan), vs)
    ln = np.fmax.reduceat(steps["length_m"].to_numpy(dtype=float, na_value=np.nan), vs)
    c = steps["ais_class"].astype(object).to_numpy()
    code = np.maximum.reduceat(np.where(c == "A", 2, np.where(c == "B", 1, 0)), vs)
    cls = np.array([None, "B", "A"], dtype=object)[code]
    pop = vessel_population(vt, cls, ln)
    return pop[np.searchsorted(vs, voy.first, side="right") - 1]


def _step_reductions(steps: pd.DataFrame, f: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per voyage (rows f[i] up to f[i+1]): distance sailed, highest implied speed and the highest
    and lowest draught, over the steps to the next report of the same vessel (step j -> j+1 belongs
    to the voyage of j, so a silence before arrival stays with its voyage).

    Worked out per block of rows (small scratch arrays): each block is reduced by the voyage
    segments in it, then segments of one voyage are combined.
    """
    n = len(steps)
    mmsi = steps["mmsi"].to_numpy()
    dist = steps["distance_m"].to_numpy()
    dt = steps["dt_s"].to_numpy()
    spd = steps["implied_speed_kn"].to_numpy()
    dr = steps["draught_m"].to_numpy()
    parts: list[list[np.ndarray]] = [[], [], [], []]
    seg_voyage = []
    for s in range(int(f[0]), n, BLOCK_ROWS):
        e = min(s + BLOCK_ROWS, n)
        m = min(e, n - 1) - s  # rows of the block that have a next row
        same = np.zeros(e - s, dtype=bool)
        same[:m] = mmsi[s + 1:s + 1 + m] == mmsi[s:s + m]
        nxt = slice(s + 1, s + 1 + m)
        dist_next = np.zeros(e - s)
        dist_next[:m] = np.where(same[:m], np.nan_to_num(dist[nxt]), 0.0)
        spd_next = np.zeros(e - s)
        spd_next[:m] = np.where(same[:m] & (dt[nxt] >= MIN_SPEED_STEP_S), np.nan_to_num(spd[nxt]), 0.0)
        d = dr[s:e].astype(float)
        d_next = np.full(e - s, np.nan)
        d_next[:m] = np.where(same[:m], dr[nxt], np.nan)
        with np.errstate(invalid="ignore"):
            hi = np.fmax(d, d_next)
            lo = np.fmin(d, d_next)
        v0 = np.searchsorted(f, s, side="right") - 1  # the voyage the block starts in
        v1 = np.searchsorted(f, e, side="left")       # voyages starting before the block ends
        idx = np.r_[s, f[v0 + 1:v1]] - s
        parts[0].append(np.add.reduceat(dist_next, idx))
        parts[1].append(np.fmax.reduceat(spd_next, idx))
        parts[2].append(np.fmax.reduceat(np.where(np.isnan(hi), -np.inf, hi), idx))
        parts[3].append(np.fmin.reduceat(np.where(np.isnan(lo), np.inf, lo), idx))
        seg_voyage.append(np.arange(v0, v1))
    sv = np.concatenate(seg_voyage)
    starts = np.flatnonzero(np.r_[True, sv[1:] != sv[:-1]])  # segments of one voyage are adjacent
    return tuple(u.reduceat(np.concatenate(p), starts) for u, p in zip((np.add, np.fmax, np.fmax, np.fmin), parts))


def voyage_features(steps: pd.DataFrame, voy: Voyages, events: pd.DataFrame, visit_sensitive_ports: set[str],
                    identity_flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """``distance_m`` and the schema.VOYAGE_FEATURES columns, one row per voyage of ``voy.table``.

    ``identity_flags``: one row per MMSI from ``detect.identity.vessel_identity_flags``.
    """
    nv = len(voy.first)
    if nv == 0:
        return pd.DataFrame(
            {
                c.name: pd.Series([], dtype=c.dtype)
                for c in (schema.Column("distance_m", "float64"), *schema.VOYAGE_FEATURES)
            }
        )
    f = voy.first
    dist_sum, spd_max, hi_v, lo_v = _step_reductions(steps, f)
    draught_change = np.where(np.isfinite(hi_v) & np.isfinite(lo_v), hi_v - lo_v, 0.0)

    t = voy.table
    duration_h = (t["end_time"] - t["start_time"]).dt.total_seconds().to_numpy() / 3600.0
    n_pos = (voy.last - voy.first + 1).astype(np.int64)

    gaps = events[(events["event_type"] == "gap") & events["voyage_id"].notna()]
    gaps = gaps[telling_gaps(gaps)]
    at_sea = ~gaps["in_port"].fillna(False).to_numpy(dtype=bool)
    g = gaps.assign(
        near=np.fmin(gaps["start_sensitive_port_km"].to_numpy(), gaps["end_sensitive_port_km"].to_numpy()),
        sea_h=np.where(at_sea, gaps["duration_h"].to_numpy(), 0.0),
        improb=-gaps["silence_per_day_log10"].to_numpy(dtype=float, na_value=np.nan),
        spare=gaps["spare_h"].to_numpy(dtype=float, na_value=np.nan),
        ldark_h=np.where(gaps["likely_dark"].fillna(False).to_numpy(dtype=bool), gaps["duration_h"].to_numpy(), 0.0),
    )
    agg = g.groupby("voyage_id", sort=False).agg(
        n_gaps=("duration_h", "size"), dark_hours=("duration_h", "sum"), sea_h=("sea_h", "sum"),
        longest_gap_h=("duration_h", "max"), max_gap_speed=("implied_speed_kn", "max"), near=("near", "min"),
        improb=("improb", "max"), spare=("spare", "max"), ldark_h=("ldark_h", "sum"),
    ).reindex(t["voyage_id"])
    sens = t["start_port"].isin(visit_sensitive_ports).to_numpy().astype(np.int64) + t["end_port"].isin(
        visit_sensitive_ports
    ).to_numpy().astype(np.int64)
    dark = agg["dark_hours"].fillna(0.0).to_numpy()
    dark_sea = agg["sea_h"].fillna(0.0).to_numpy()
    other = _other_event_features(events, t, identity_flags)
    out = pd.DataFrame({
        "distance_m": dist_sum,
        "duration_h": duration_h,
        "n_positions": n_pos,
        "positions_per_h": n_pos / np.maximum(duration_h, 1.0 / 60.0),
        "n_gaps": agg["n_gaps"].fillna(0).to_numpy().astype(np.int64),
        "dark_hours": dark,
        "sea_dark_hours": dark_sea,
        "dark_fraction": np.clip(np.divide(dark_sea, duration_h, out=np.zeros(nv), where=duration_h > 0), 0.0, 1.0),
        "longest_gap_h": agg["longest_gap_h"].fillna(0.0).to_numpy(),
        "max_gap_implied_speed_kn": agg["max_gap_speed"].fillna(0.0).to_numpy(),
        "gap_near_sensitive_km": np.minimum(agg["near"].fillna(FAR_KM).to_numpy(), FAR_KM),
        "max_gap_spare_h": agg["spare"].fillna(0.0).clip(lower=0.0).to_numpy(),
        "likely_dark_hours": agg["ldark_h"].fillna(0.0).to_numpy(),
        "gap_improbability": agg["improb"].fillna(0.0).clip(lower=0.0).to_numpy(),
        "sensitive_port_calls": sens,
        "draught_change_m": draught_change,
        "max_implied_speed_kn": spd_max,
        **other,
        "is_tanker": is_tanker(t["vessel_type"]),
    })
    return out


def telling_gaps(gaps: pd.DataFrame) -> np.ndarray:
    """Which gap events say something about a voyage: moving gaps, unless an end lies at the edge of
    the data's extent (the ship may have been outside the covered box); stationary ones (AIS off
    while lying still at a berth or anchor) only inside a sensitive port zone; open ones (censored
    by the end of the data) only when likely dark on strong evidence (detect/gaps.py)."""
    kind = gaps["gap_kind"].to_numpy(dtype=object)
    edge = gaps["at_extent_edge"].fillna(False).to_numpy(dtype=bool)
    return (
        (kind == "moving") & ~edge
        | ((kind == "stationary") & gaps["at_sensitive_port"].fillna(False).to_numpy(dtype=bool))
        | ((kind == "open") & gaps["likely_dark"].fillna(False).to_numpy(dtype=bool))
    )


def _other_event_features(events: pd.DataFrame, t: pd.DataFrame, flags: pd.DataFrame | None) -> dict[str, np.ndarray]:
    """Per voyage (rows of ``t``): encounter, loitering, spoofing and identity features."""
    vid = t["voyage_id"]
    enc = both_ways(events)  # an encounter counts for both vessels
    enc = enc[enc["sts_candidate"].fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)  # not moored side by side
    enc["voyage_id"] = voyage_of(enc, t)
    enc["dd"] = np.fmax(
        (enc["draught_after_m"] - enc["draught_before_m"]).abs().to_numpy(dtype=float, na_value=np.nan),
        (enc["other_draught_after_m"] - enc["other_draught_before_m"]).abs().to_numpy(dtype=float, na_value=np.nan),
    )
    e = enc.groupby("voyage_id", sort=False).agg(h=("duration_h", "sum"), dd=("dd", "max")).reindex(vid)
    lo = events[(events["event_type"] == "loitering") & (events["context"] == "at sea")]
    lo = lo.assign(
        dark_h=np.where(lo["possible_dark_sts"].fillna(False).to_numpy(dtype=bool), lo["duration_h"].to_numpy(), 0.0)
    )
    lg = lo.groupby("voyage_id", sort=False).agg(h=("duration_h", "sum"), dark_h=("dark_h", "sum")).reindex(vid)
    # a spoofed episode goes away and comes back; a one-way jump is a bad fix or a feed glitch (it
    # stays in events.csv as data quality, not a finding)
    spoof = events[(events["event_type"] == "spoofing") & events["returned"].fillna(False).to_numpy(dtype=bool)]
    sp = spoof.groupby("voyage_id", sort=False).size().reindex(vid)
    mmsi = t["mmsi"].to_numpy()
    real = mmsi % SPLIT_OFFSET
    clash_ids = events.loc[events["event_type"] == "identity_clash", "mmsi"].to_numpy() % SPLIT_OFFSET
    out = {
        "encounter_hours": e["h"].fillna(0.0).to_numpy(),
        "encounter_draught_change_m": e["dd"].fillna(0.0).to_numpy(),
        "loitering_hours": lg["h"].fillna(0.0).to_numpy(),
        "dark_sts_hours": lg["dark_h"].fillna(0.0).to_numpy(),
        "spoofing_events": sp.fillna(0).to_numpy().astype(np.int64),
        "identity_clash": np.isin(real, clash_ids).astype(np.int64),
        "identity_changes": np.zeros(len(t), dtype=np.int64),
        "invalid_identity": np.zeros(len(t), dtype=np.int64),
    }
    if flags is not None and len(flags):
        fl = flags.set_index("mmsi").reindex(real)
        changes = fl[["n_names", "n_imos", "n_call_signs"]].fillna(1).clip(lower=1).sum(axis=1) - 3
        out["identity_changes"] = changes.to_numpy().astype(np.int64)
        bad = (fl["unallocated_mid"].fillna(False).astype(bool) | fl["invalid_imo"].fillna(False).astype(bool)
               | (fl["placeholder_speed_reports"].fillna(0) > 0) | (fl["on_land_reports"].fillna(0) > 0))
        out["invalid_identity"] = bad.to_numpy().astype(np.int64)
    return out


def identity_issues(mmsi: np.ndarray, flags: pd.DataFrame | None) -> np.ndarray:
    """Per voyage (its ``mmsi``), which identity checks failed, in words ("unallocated MID 000;
    3 reports well inland"), None when none did: the causes behind ``invalid_identity``."""
    out = np.full(len(mmsi), "", dtype=object)
    if flags is None or len(flags) == 0 or len(mmsi) == 0:
        return np.full(len(mmsi), None, dtype=object)
    real = np.asarray(mmsi) % SPLIT_OFFSET
    fl = flags.set_index("mmsi").reindex(real)
    mid = pd.Series(real // 1_000_000 % 1000).map("{:03d}".format).to_numpy(dtype=object)
    ph = fl["placeholder_speed_reports"].fillna(0).to_numpy(dtype=np.int64)
    land = fl["on_land_reports"].fillna(0).to_numpy(dtype=np.int64)
    causes = [
        (fl["unallocated_mid"].fillna(False).to_numpy(dtype=bool), "unallocated MID " + mid),
        (
            fl["invalid_imo"].fillna(False).to_numpy(dtype=bool),
            np.full(len(real), "IMO number fails its check digit", dtype=object),
        ),
        (ph > 0, ph.astype(str).astype(object) + " reports at a placeholder speed (51.2, 63 or 102.3 kn)"),
        (land > 0, land.astype(str).astype(object) + " reports more than 5 km inland"),
    ]
    for fired, text in causes:
        out = np.where(fired, np.where(out == "", text, out + "; " + text), out)
    return np.where(out == "", None, out).astype(object)  # type: ignore[call-overload]


def identity_changes_detail(mmsi: np.ndarray, flags: pd.DataFrame | None) -> np.ndarray:
    """Per voyage (its ``mmsi``), what makes up ``identity_changes``, each with its own count ("3 names,
    2 call signs"; only those broadcast more than once), None when none: for the reasons only."""
    if flags is None or len(flags) == 0 or len(mmsi) == 0:
        return np.full(len(mmsi), None, dtype=object)
    fl = flags.set_index("mmsi").reindex(np.asarray(mmsi) % SPLIT_OFFSET)
    out = np.full(len(mmsi), "", dtype=object)
    for col, what in (("n_names", " different names"), ("n_imos", " different IMO numbers"),
                      ("n_call_signs", " different call signs")):
        n = fl[col].fillna(1).to_numpy(dtype=np.int64)
        text = n.astype(str).astype(object) + what
        out = np.where(n > 1, np.where(out == "", text, out + ", " + text), out)
    return np.where(out == "", None, out).astype(object)  # type: ignore[call-overload]


# --- model features: each declared once ---------------------------------------------------------

@dataclass(frozen=True)
class ModelFeature:
    """One column of a scorer's input, declared once; the matrix, the scorer's ``one_sided`` and
    ``evidence`` and the reasons are all derived from tables of these.

    ``compute``: the column, from the voyages table (:data:`VOYAGE_MODEL`) or the gap events
    (:data:`GAP_MODEL`). ``phrase``: the words that explain it, per row, from the story of the same
    rows (``explain.VoyageStory`` / ``explain.GapStory``); an empty phrase says nothing. ``one_sided``:
    only high values are suspicious (scoring.IsolationScorer). ``evidence``: for a detector finding
    suspicious by its definition, the share of the remaining doubt it removes (0: not evidence).
    """

    name: str
    compute: Callable[[pd.DataFrame], pd.Series | np.ndarray]
    phrase: Callable[[Any], pd.Series]
    one_sided: bool = False
    evidence: float = 0.0


#: Weight of the voyage features that are detector findings suspicious by their definition: an MMSI
#: broadcast by two ships at once, a spoofed jump away and back, hours alongside another ship at sea
#: (the encounter detector already excludes ports), loitering at sea with no partner in sight
#: (possible dark STS), and a tanker's likely-dark hours: a tanker silent at sea where local
#: reception should hear it, with time for a detour, is the sanctions-evasion pattern itself (the
#: oil trade with the sensitive ports moves on tankers, and a tanker has no working reason to switch
#: AIS off at sea). Likely-dark hours alone are not a finding: fishing vessels go silent on their
#: grounds (about 40% of likely-dark gaps on the development scenarios), so for other ships
#: reception, sea and detour evidence are graded by the forests (voyage and gap) only.
#: The forest weighs such rare binary facts poorly (see scoring.py). With 0.4, an ordinary voyage
#: (forest score ~0.5) with one finding scores 0.70, above the default alert threshold (0.6) and
#: above the forest scores of benign voyages; two findings 0.82. One weight for all: they are not
#: ranked against each other.
FINDING_WEIGHT = 0.4


def _log1p(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda t: np.log1p(t[col])


def _as_float(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda t: t[col].astype(float)


def _column(col: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda t: t[col]


F = ModelFeature

#: The voyage scorer's features, in matrix order (:func:`voyage_matrix`).
VOYAGE_MODEL: tuple[ModelFeature, ...] = (
    F("log_duration_h", _log1p("duration_h"), lambda s: "voyage of " + s.fmt("duration_h", ".0f") + " h"),
    F("log_sea_dark_hours", _log1p("sea_dark_hours"), lambda s: s.gap, one_sided=True),
    F("dark_fraction", _column("dark_fraction"), lambda s: s.gap, one_sided=True),
    F("log_longest_gap_h", _log1p("longest_gap_h"), lambda s: s.gap, one_sided=True),
    F(
        "gap_sensitive_closeness",
        lambda t: np.exp(-t["gap_near_sensitive_km"] / CLOSENESS_KM),
        lambda s: s.gap,
        one_sided=True,
    ),
    F("gap_improbability", _log1p("gap_improbability"), lambda s: s.improbable, one_sided=True),
    F("log_gap_spare_h", _log1p("max_gap_spare_h"), lambda s: s.spare, one_sided=True),
    # a tanker's likely-dark hours and likely-dark hours state one fact: one phrase (kept once)
    F("log_likely_dark_hours", _log1p("likely_dark_hours"), lambda s: s.likely_dark, one_sided=True),
    F(
        "log_tanker_likely_dark_hours",
        lambda t: np.log1p(t["likely_dark_hours"]) * t["is_tanker"],
        lambda s: s.tanker_likely_dark,
        one_sided=True,
        evidence=FINDING_WEIGHT,
    ),
    F("sensitive_port_calls", _as_float("sensitive_port_calls"), lambda s: s.sensitive_calls, one_sided=True),
    F("draught_change_m", _column("draught_change_m"), lambda s: s.draught, one_sided=True),
    F(
        "log_max_speed_kn",
        lambda t: np.log1p(np.minimum(t["max_implied_speed_kn"], 1000.0)),
        lambda s: "implied speed " + s.fmt("max_implied_speed_kn", ".0f") + " kn between reports",
        one_sided=True,
    ),
    F(
        "log_encounter_hours",
        _log1p("encounter_hours"),
        lambda s: s.encounter,
        one_sided=True,
        evidence=FINDING_WEIGHT,
    ),
    F(
        "encounter_draught_change_m",
        _column("encounter_draught_change_m"),
        lambda s: s.encounter_draught,
        one_sided=True,
    ),
    F(
        "log_loitering_hours",
        _log1p("loitering_hours"),
        lambda s: s.loitering,
        one_sided=True,
    ),
    F(
        "log_dark_sts_hours",
        _log1p("dark_sts_hours"),
        lambda s: s.dark_sts,
        one_sided=True,
        evidence=FINDING_WEIGHT,
    ),
    F(
        "spoofing_events",
        _as_float("spoofing_events"),
        lambda s: s.spoofing,
        one_sided=True,
        evidence=FINDING_WEIGHT,
    ),
    F(
        "identity_clash",
        _as_float("identity_clash"),
        lambda s: s.flag("identity_clash", "MMSI broadcast by two ships at once"),
        one_sided=True,
        evidence=FINDING_WEIGHT,
    ),
    F(
        "identity_changes",
        _as_float("identity_changes"),
        lambda s: s.identity_changes,
        one_sided=True,
    ),
    F("invalid_identity", _as_float("invalid_identity"), lambda s: s.invalid_identity, one_sided=True),
    F("is_tanker", _as_float("is_tanker"), lambda s: s.flag("is_tanker", "tanker", "not a tanker"), one_sided=True),
)


def _gap_near_km(gaps: pd.DataFrame) -> np.ndarray:
    """Distance from a gap's nearer end to a sensitive port (km), saturating at FAR_KM."""
    near = np.fmin(gaps["start_sensitive_port_km"].to_numpy(), gaps["end_sensitive_port_km"].to_numpy())
    return np.where(np.isnan(near), FAR_KM, np.minimum(near, FAR_KM))


def _gap_draught_change_m(gaps: pd.DataFrame) -> np.ndarray:
    dd = np.abs(gaps["draught_after_m"].to_numpy(dtype=float) - gaps["draught_before_m"].to_numpy(dtype=float))
    return np.nan_to_num(dd)


#: The gap-event scorer's features, in matrix order (:func:`gap_matrix`).
GAP_MODEL: tuple[ModelFeature, ...] = (
    F("log_duration_h", lambda g: np.log1p(g["duration_h"].to_numpy()), lambda s: s.gap, one_sided=True),
    F("gap_sensitive_closeness", lambda g: np.exp(-_gap_near_km(g) / CLOSENESS_KM), lambda s: s.gap, one_sided=True),
    F("draught_change_m", _gap_draught_change_m, lambda s: s.draught, one_sided=True),
    F(
        "log_spare_h",
        lambda g: np.log1p(np.clip(np.nan_to_num(g["spare_h"].to_numpy(dtype=float, na_value=np.nan)), 0, None)),
        lambda s: s.spare,
        one_sided=True,
    ),
    F(
        "improbability",
        lambda g: np.log1p(np.nan_to_num(-g["silence_per_day_log10"].to_numpy(dtype=float, na_value=np.nan))),
        lambda s: s.improbable,
        one_sided=True,
    ),
    F(
        "log_others_heard",
        lambda g: np.log1p(g["others_heard"].to_numpy(dtype=float, na_value=0.0)),
        lambda s: s.others_heard,
        one_sided=True,
    ),
    F("in_port", lambda g: g["in_port"].fillna(False).to_numpy(dtype=bool).astype(float), lambda s: s.at_sea),
    F("is_tanker", lambda g: is_tanker(g["vessel_type"]).astype(float), lambda s: s.tanker, one_sided=True),
)
del F


def one_sided(model: tuple[ModelFeature, ...]) -> tuple[str, ...]:
    """Names of the features of ``model`` for which only high values are suspicious."""
    return tuple(f.name for f in model if f.one_sided)


def evidence(model: tuple[ModelFeature, ...]) -> dict[str, float]:
    """Weight of each feature of ``model`` that is evidence in its own right."""
    return {f.name: f.evidence for f in model if f.evidence > 0}


#: Derived from :data:`VOYAGE_MODEL` and :data:`GAP_MODEL` (scoring.IsolationScorer parameters).
VOYAGE_ONE_SIDED = one_sided(VOYAGE_MODEL)
VOYAGE_EVIDENCE = evidence(VOYAGE_MODEL)
GAP_ONE_SIDED = one_sided(GAP_MODEL)
GAP_EVIDENCE = evidence(GAP_MODEL)


def voyage_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """The voyage scorer's input: engineered, all-finite, named columns (:data:`VOYAGE_MODEL`)."""
    return pd.DataFrame({f.name: f.compute(features) for f in VOYAGE_MODEL}).astype(float)


def gap_matrix(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gap-event scorer's input (:data:`GAP_MODEL`)."""
    return pd.DataFrame({f.name: f.compute(gaps) for f in GAP_MODEL})
