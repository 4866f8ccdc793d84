"""Plain-words reasons from the features that drove each score.

For each scored row the scorer's occlusion contributions name the top features; each feature has a
phrase built from the row's own figures (vectorised per feature over all rows), and a row's reason
is its top features' phrases joined with "; ".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.detect.gaps import NEAR_PORT_KM as NAME_PORT_KM
from vesseltrack.features import FAR_KM, telling_gaps
from vesseltrack.scoring import top_features


def _fmt(values, spec: str) -> pd.Series:
    return pd.Series(np.char.mod("%" + spec, np.asarray(values, dtype=float)).astype(object))


def _blank_where_nan(phrase: pd.Series, values) -> pd.Series:
    """An empty phrase where the figure it states is missing (e.g. speed across an open gap)."""
    return phrase.where(~np.isnan(np.asarray(values, dtype=float)), "")


def _improbable(improbability) -> pd.Series:
    """'ships there go silent this long once in ~1,000 ship-days' where that is rarer than 1 in 100."""
    x = np.asarray(improbability, dtype=float)
    days = np.char.mod("%d", np.round(np.power(10.0, np.nan_to_num(np.clip(x, 0, 6)))).astype(np.int64))
    txt = "ships there go silent this long once in ~" + pd.Series(days.astype(object)) + " ship-days"
    return txt.where(np.nan_to_num(x) >= 2.0, "")


def _gap_phrase(dur_h, d_start_km, d_end_km, port) -> pd.Series:
    dur = _fmt(dur_h, ".0f")
    d0 = np.asarray(d_start_km, dtype=float)
    d1 = np.asarray(d_end_km, dtype=float)
    port = pd.Series(np.asarray(port, dtype=object)).fillna("")
    start_near = np.nan_to_num(d0, nan=np.inf) <= np.nan_to_num(d1, nan=np.inf)
    d = np.where(start_near, d0, d1)
    where = np.where(start_near, "starting", "ending")
    near = (np.nan_to_num(d, nan=np.inf) <= NAME_PORT_KM) & (port != "").to_numpy()
    base = dur + " h AIS gap"
    loc = " " + pd.Series(where) + " " + _fmt(d, ".0f") + " km from " + port
    return base.where(~near, base + loc)


def _draught_phrase(before, after, change) -> pd.Series:
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    across = ~np.isnan(a) & ~np.isnan(b) & (np.abs(a - b) >= 0.3)
    gap_txt = "draught " + _fmt(b, ".1f") + " m -> " + _fmt(a, ".1f") + " m across the gap"
    any_txt = "draught changed by " + _fmt(change, ".1f") + " m"
    return gap_txt.where(across, any_txt)


def _join(tops: list[list[str]], phrases: dict[str, pd.Series], n: int) -> np.ndarray:
    out = np.full(n, "", dtype=object)
    k = max((len(t) for t in tops), default=0)
    for r in range(k):
        name_r = np.array([t[r] if len(t) > r else "" for t in tops], dtype=object)
        for feat, phrase in phrases.items():
            m = name_r == feat
            m &= phrase.to_numpy(dtype=object) != ""
            if m.any():
                p = phrase.to_numpy(dtype=object)[m]
                out[m] = np.where(out[m] == "", p, out[m] + "; " + p)
    # the same phrase can come from two features (e.g. dark hours and longest gap): keep it once
    return np.array(["; ".join(dict.fromkeys(s.split("; "))) if s else "" for s in out], dtype=object)


def voyage_reasons(voyages: pd.DataFrame, contrib: pd.DataFrame, longest_gap: pd.DataFrame,
                   sensitive_calls: pd.Series) -> np.ndarray:
    """Reasons for each voyage. ``longest_gap``: per voyage (same order) the longest gap's
    duration_h, start/end_port_distance_km, port, draught_before_m, draught_after_m (NaN if none).
    ``sensitive_calls``: per voyage, the sensitive ports it starts or ends at, as text."""
    n = len(voyages)
    if n == 0:
        return np.empty(0, dtype=object)
    tops = top_features(contrib)
    gap = _gap_phrase(longest_gap["duration_h"], longest_gap["start_port_distance_km"],
                      longest_gap["end_port_distance_km"], longest_gap["port"])
    gap = gap + " (" + voyages["n_gaps"].astype(str).to_numpy() + " gaps, " + _fmt(voyages["dark_hours"], ".0f") + " h dark)"
    calls = "calls at sensitive port " + sensitive_calls.reset_index(drop=True)
    has_dark = voyages["likely_dark_hours"].to_numpy() > 0
    tanker = voyages["is_tanker"].to_numpy() == 1
    dark = _fmt(voyages["likely_dark_hours"], ".0f") + " h dark that local reception does not explain"
    reach = longest_gap["reachable_ports"].reset_index(drop=True) if "reachable_ports" in longest_gap else pd.Series([None] * n)
    gap_reach = gap.where(reach.isna().to_numpy(), gap + "; could have reached " + reach.fillna(""))
    b = longest_gap["draught_before_m"].to_numpy(dtype=float)
    a = longest_gap["draught_after_m"].to_numpy(dtype=float)
    cargo = ~np.isnan(a) & ~np.isnan(b) & (np.abs(a - b) >= 0.3)
    gap_reach = gap_reach.where(~cargo, gap_reach + "; draught " + _fmt(b, ".1f") + " m -> " + _fmt(a, ".1f") + " m across the gap")
    tanker_dark = "tanker with " + dark + ": " + gap_reach
    phrases = {
        "log_sea_dark_hours": gap, "dark_fraction": gap, "log_longest_gap_h": gap,
        "gap_sensitive_closeness": gap,
        "gap_improbability": _improbable(voyages["gap_improbability"]),
        # a tanker's likely-dark hours and likely-dark hours state one fact: one phrase (kept once)
        "log_likely_dark_hours": _blank_where_nan(pd.Series(np.where(tanker, tanker_dark, dark)), np.where(has_dark, 1.0, np.nan)),
        "log_tanker_likely_dark_hours": _blank_where_nan(tanker_dark, np.where(has_dark & tanker, 1.0, np.nan)),
        "log_gap_spare_h": _blank_where_nan(_fmt(voyages["max_gap_spare_h"], ".0f") + " h unaccounted for in a gap (time for a detour)",
                                            np.where(voyages["max_gap_spare_h"].to_numpy() >= 2, 1.0, np.nan)),
        "sensitive_port_calls": calls.where(sensitive_calls.reset_index(drop=True) != "", ""),
        "draught_change_m": _draught_phrase(longest_gap["draught_before_m"], longest_gap["draught_after_m"], voyages["draught_change_m"]),
        "log_max_speed_kn": "implied speed " + _fmt(voyages["max_implied_speed_kn"], ".0f") + " kn between reports",
        "is_tanker": pd.Series(np.where(voyages["is_tanker"].to_numpy() == 1, "tanker", "not a tanker")),
        "log_duration_h": "voyage of " + _fmt(voyages["duration_h"], ".0f") + " h",
        "log_encounter_hours": "alongside another ship for " + _fmt(voyages["encounter_hours"], ".0f") + " h away from berths and ports (ship-to-ship)",
        "encounter_draught_change_m": "draught changed by " + _fmt(voyages["encounter_draught_change_m"], ".1f")
                                      + " m across a ship-to-ship encounter",
        "log_loitering_hours": "loitering " + _fmt(voyages["loitering_hours"], ".0f") + " h at sea",
        "log_dark_sts_hours": "stopped " + _fmt(voyages["dark_sts_hours"], ".0f") + " h at sea with no partner visible (possible dark STS)",
        "spoofing_events": voyages["spoofing_events"].astype(str) + " spoofed position jump(s) away and back",
        "identity_clash": pd.Series(np.where(voyages["identity_clash"].to_numpy() == 1, "MMSI broadcast by two ships at once", "")),
        "identity_changes": voyages["identity_changes"].astype(str) + " extra names / IMOs / call signs broadcast",
        "invalid_identity": pd.Series(np.where(voyages["invalid_identity"].to_numpy() == 1,
                                               "invalid identity: " + voyages["identity_issues"].fillna("").astype(str).to_numpy(dtype=object)
                                               if "identity_issues" in voyages else "invalid identity", "")),
    }
    phrases = {k: v.reset_index(drop=True) for k, v in phrases.items()}
    return _join(tops, phrases, n)


def gap_reasons(gaps: pd.DataFrame, contrib: pd.DataFrame) -> np.ndarray:
    """Reasons for each gap event."""
    n = len(gaps)
    if n == 0:
        return np.empty(0, dtype=object)
    tops = top_features(contrib)
    gap = _gap_phrase(gaps["duration_h"], gaps["start_port_distance_km"], gaps["end_port_distance_km"], gaps["port"])
    likely = gaps["likely_dark"].fillna(False).to_numpy(dtype=bool)
    gap = gap.where(~likely, "likely dark: " + gap)
    is_open = ~gaps["is_closed"].fillna(True).to_numpy(dtype=bool)
    gap = gap.where(~is_open, gap + ", still dark at the end of the data")
    reach = gaps["reachable_ports"].reset_index(drop=True)
    gap = gap.where(reach.isna().to_numpy(), gap + "; could have reached " + reach.fillna(""))
    spare = gaps["spare_h"].to_numpy(dtype=float, na_value=np.nan)
    change = np.abs(gaps["draught_after_m"].to_numpy(dtype=float) - gaps["draught_before_m"].to_numpy(dtype=float))
    phrases = {
        "log_duration_h": gap, "gap_sensitive_closeness": gap,
        "log_spare_h": _blank_where_nan(_fmt(spare, ".0f") + " h spare beyond the straight run", np.where(spare >= 2, 1.0, np.nan)),
        # an open gap's silence is censored and the reception map learns from closed ones: no rate for it
        "improbability": _improbable(np.where(is_open, np.nan, -gaps["silence_per_day_log10"].to_numpy(dtype=float, na_value=np.nan))),
        "log_others_heard": _blank_where_nan("other ships heard " + gaps["others_heard"].astype(str).reset_index(drop=True)
                                            + " times in its area meanwhile", np.where(gaps["others_heard"].to_numpy(dtype=float, na_value=0.0) >= 10, 1.0, np.nan)),
        "draught_change_m": _draught_phrase(gaps["draught_before_m"], gaps["draught_after_m"], np.nan_to_num(change)),
        "in_port": pd.Series(np.where(gaps["in_port"].fillna(False).to_numpy(dtype=bool), "", "at sea, not in port")),
        "is_tanker": pd.Series(np.where(gaps["vessel_type"].between(80, 89).fillna(False).to_numpy(dtype=bool), "tanker", "not a tanker")),
    }
    phrases = {k: v.reset_index(drop=True) for k, v in phrases.items()}
    # a gap's own description always leads
    phrases = {"_lead": gap.reset_index(drop=True), **phrases}
    return _join([["_lead", *t] for t in tops], phrases, n)


def longest_gap_per_voyage(events: pd.DataFrame, voyage_ids: pd.Series) -> pd.DataFrame:
    cols = ["duration_h", "start_port_distance_km", "end_port_distance_km", "port", "draught_before_m", "draught_after_m",
            "reachable_ports"]
    gaps = events[(events["event_type"] == "gap") & events["voyage_id"].notna()]
    gaps = gaps[telling_gaps(gaps)]  # the gaps the voyage's features count
    if gaps.empty:
        return pd.DataFrame({c: pd.Series([np.nan] * len(voyage_ids), dtype=object if c in ("port", "reachable_ports") else float)
                             for c in cols})
    best = gaps.sort_values(["voyage_id", "duration_h"], ascending=[True, False], kind="stable").drop_duplicates("voyage_id")
    out = best.set_index("voyage_id")[cols].reindex(voyage_ids.to_numpy()).reset_index(drop=True)
    out["start_port_distance_km"] = out["start_port_distance_km"].fillna(FAR_KM)
    return out


def contributions_text(contrib: pd.DataFrame, *, k: int = 5, min_contribution: float = 0.001) -> np.ndarray:
    """Per row, the ``k`` features that pushed the score up most: 'feature=+0.061; other=+0.012'.

    Built column by column over all rows at once (k passes), not row by row.
    """
    n = len(contrib)
    out = np.full(n, "", dtype=object)
    if n == 0 or contrib.shape[1] == 0:
        return out
    C = contrib.to_numpy()
    names = np.asarray(contrib.columns, dtype=str)
    order = np.argsort(-C, axis=1, kind="stable")[:, :k]
    for r in range(order.shape[1]):
        j = order[:, r]
        v = C[np.arange(n), j]
        ok = v > min_contribution
        piece = np.char.add(np.char.add(names[j], "=+"), np.char.mod("%.3f", v)).astype(object)
        out = np.where(ok, np.where(out == "", piece, out + "; " + piece), out)
    return out
