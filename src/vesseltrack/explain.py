"""Plain-words reasons from the features that drove each score.

For each scored row the scorer's occlusion contributions name the top features; each feature has a
phrase (``features.ModelFeature.phrase``, declared beside the feature) built from the row's own
figures (vectorised per feature over all rows), and a row's reason is its top features' phrases
joined with "; ". The phrases read from a story of the rows (:class:`VoyageStory`,
:class:`GapStory`), which builds the parts several phrases share (the longest gap, the ports in
reach) once. Reasons of port visits, and the sensitive ports a voyage calls at, are told here too.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from vesseltrack.detect.gaps import NEAR_PORT_KM as NAME_PORT_KM
from vesseltrack.features import (
    FAR_KM,
    GAP_MODEL,
    VOYAGE_MODEL,
    ModelFeature,
    telling_gaps,
)
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
    loc = " " + pd.Series(where) + " " + _fmt(d, ".0f") + " km from " + port  # type: ignore[operator]
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


class VoyageStory:
    """What the voyage phrases (``features.VOYAGE_MODEL``) are told from, one row per voyage: the
    voyages table, its longest telling gap (:func:`longest_gap_per_voyage`) and the sensitive ports
    it calls at (:func:`sensitive_port_calls`). Phrases shared by several features are built once."""

    def __init__(self, voyages: pd.DataFrame, longest_gap: pd.DataFrame, sensitive_calls: pd.Series):
        self.voyages = voyages
        self.longest_gap = longest_gap
        self.calls = sensitive_calls.reset_index(drop=True)

    def fmt(self, col: str, spec: str) -> pd.Series:
        """The voyages' ``col`` as text, printf-style ``spec`` (".0f")."""
        return _fmt(self.voyages[col], spec)

    def flag(self, col: str, text: str, otherwise: str = "") -> pd.Series:
        """``text`` where the 0/1 column ``col`` is 1, else ``otherwise``."""
        return pd.Series(np.where(self.voyages[col].to_numpy() == 1, text, otherwise))

    @cached_property
    def gap(self) -> pd.Series:
        lg = self.longest_gap
        gap = _gap_phrase(lg["duration_h"], lg["start_port_distance_km"], lg["end_port_distance_km"], lg["port"])
        return (
            gap
            + " ("
            + self.voyages["n_gaps"].astype(str).to_numpy()
            + " gaps, "
            + self.fmt("dark_hours", ".0f")
            + " h dark)"
        )

    @cached_property
    def _gap_reach(self) -> pd.Series:
        """The longest gap, the ports the ship could have reached meanwhile, and cargo moved across it."""
        lg = self.longest_gap
        reach = (
            lg["reachable_ports"].reset_index(drop=True)
            if "reachable_ports" in lg
            else pd.Series([None] * len(self.voyages))
        )
        gap_reach = self.gap.where(reach.isna().to_numpy(), self.gap + "; could have reached " + reach.fillna(""))
        b = lg["draught_before_m"].to_numpy(dtype=float)
        a = lg["draught_after_m"].to_numpy(dtype=float)
        cargo = ~np.isnan(a) & ~np.isnan(b) & (np.abs(a - b) >= 0.3)
        return gap_reach.where(
            ~cargo, gap_reach + "; draught " + _fmt(b, ".1f") + " m -> " + _fmt(a, ".1f") + " m across the gap"
        )

    @cached_property
    def _dark(self) -> pd.Series:
        return self.fmt("likely_dark_hours", ".0f") + " h dark that local reception does not explain"

    @cached_property
    def _tanker_dark(self) -> pd.Series:
        return "tanker with " + self._dark + ": " + self._gap_reach

    @property
    def tanker_likely_dark(self) -> pd.Series:
        has_dark = self.voyages["likely_dark_hours"].to_numpy() > 0
        tanker = self.voyages["is_tanker"].to_numpy() == 1
        return _blank_where_nan(self._tanker_dark, np.where(has_dark & tanker, 1.0, np.nan))

    @property
    def likely_dark(self) -> pd.Series:
        """A tanker's likely-dark hours are told as :attr:`tanker_likely_dark` (one fact, one phrase)."""
        has_dark = self.voyages["likely_dark_hours"].to_numpy() > 0
        tanker = self.voyages["is_tanker"].to_numpy() == 1
        return _blank_where_nan(
            pd.Series(np.where(tanker, self._tanker_dark, self._dark)), np.where(has_dark, 1.0, np.nan)
        )

    @property
    def improbable(self) -> pd.Series:
        return _improbable(self.voyages["gap_improbability"])

    @property
    def spare(self) -> pd.Series:
        spare_h = self.voyages["max_gap_spare_h"].to_numpy()
        return _blank_where_nan(self.fmt("max_gap_spare_h", ".0f") + " h unaccounted for in a gap (time for a detour)",
                                np.where(spare_h >= 2, 1.0, np.nan))

    @property
    def sensitive_calls(self) -> pd.Series:
        return ("calls at sensitive port " + self.calls).where(self.calls != "", "")

    @property
    def draught(self) -> pd.Series:
        return _draught_phrase(self.longest_gap["draught_before_m"], self.longest_gap["draught_after_m"],
                               self.voyages["draught_change_m"])

    @property
    def invalid_identity(self) -> pd.Series:
        v = self.voyages
        text: Any = "invalid identity"
        if "identity_issues" in v:  # the identity checks that failed
            text = text + ": " + v["identity_issues"].fillna("").astype(str).to_numpy(dtype=object)
        return pd.Series(np.where(v["invalid_identity"].to_numpy() == 1, text, ""))


class GapStory:
    """What the gap phrases (``features.GAP_MODEL``) are told from: the gap events (fresh index)."""

    def __init__(self, gaps: pd.DataFrame):
        self.gaps = gaps
        self.is_open = ~gaps["is_closed"].fillna(True).to_numpy(dtype=bool)

    @cached_property
    def gap(self) -> pd.Series:
        """The gap's own description (it leads every gap's reasons)."""
        g = self.gaps
        gap = _gap_phrase(g["duration_h"], g["start_port_distance_km"], g["end_port_distance_km"], g["port"])
        likely = g["likely_dark"].fillna(False).to_numpy(dtype=bool)
        gap = gap.where(~likely, "likely dark: " + gap)
        gap = gap.where(~self.is_open, gap + ", still dark at the end of the data")
        reach = g["reachable_ports"].reset_index(drop=True)
        return gap.where(reach.isna().to_numpy(), gap + "; could have reached " + reach.fillna(""))

    @property
    def spare(self) -> pd.Series:
        spare = self.gaps["spare_h"].to_numpy(dtype=float, na_value=np.nan)
        return _blank_where_nan(
            _fmt(spare, ".0f") + " h spare beyond the straight run", np.where(spare >= 2, 1.0, np.nan)
        )

    @property
    def improbable(self) -> pd.Series:
        # an open gap's silence is censored and the reception map learns from closed ones: no rate for it
        rate = -self.gaps["silence_per_day_log10"].to_numpy(dtype=float, na_value=np.nan)
        return _improbable(np.where(self.is_open, np.nan, rate))

    @property
    def others_heard(self) -> pd.Series:
        heard = self.gaps["others_heard"]
        return _blank_where_nan(
            "other ships heard " + heard.astype(str).reset_index(drop=True) + " times in its area meanwhile",
            np.where(heard.to_numpy(dtype=float, na_value=0.0) >= 10, 1.0, np.nan),
        )

    @property
    def draught(self) -> pd.Series:
        g = self.gaps
        change = np.abs(g["draught_after_m"].to_numpy(dtype=float) - g["draught_before_m"].to_numpy(dtype=float))
        return _draught_phrase(g["draught_before_m"], g["draught_after_m"], np.nan_to_num(change))

    @property
    def at_sea(self) -> pd.Series:
        return pd.Series(np.where(self.gaps["in_port"].fillna(False).to_numpy(dtype=bool), "", "at sea, not in port"))

    @property
    def tanker(self) -> pd.Series:
        tanker = self.gaps["vessel_type"].between(80, 89).fillna(False).to_numpy(dtype=bool)
        return pd.Series(np.where(tanker, "tanker", "not a tanker"))


def _phrases(model: tuple[ModelFeature, ...], story) -> dict[str, pd.Series]:
    return {f.name: f.phrase(story).reset_index(drop=True) for f in model}


def sensitive_port_calls(voyages: pd.DataFrame, sensitive_ports: set[str]) -> pd.Series:
    """Per voyage, the sensitive ports it starts or ends at ("A and B", "A", or "")."""
    start_s = voyages["start_port"].where(voyages["start_port"].isin(sensitive_ports)).fillna("")
    end_s = (
        voyages["end_port"]
        .where(voyages["end_port"].isin(sensitive_ports) & (voyages["end_port"] != start_s))
        .fillna("")
    )
    return (start_s + " and " + end_s).str.removeprefix(" and ").str.removesuffix(" and ")


def voyage_reasons(voyages: pd.DataFrame, contrib: pd.DataFrame, events: pd.DataFrame,
                   sensitive_ports: set[str]) -> np.ndarray:
    """Reasons for each voyage, from its top contributions (``contrib``), its longest telling gap in
    ``events`` and the ``sensitive_ports`` it calls at."""
    n = len(voyages)
    if n == 0:
        return np.empty(0, dtype=object)
    story = VoyageStory(voyages, longest_gap_per_voyage(events, voyages["voyage_id"]),
                        sensitive_port_calls(voyages, sensitive_ports))
    return _join(top_features(contrib), _phrases(VOYAGE_MODEL, story), n)


def gap_reasons(gaps: pd.DataFrame, contrib: pd.DataFrame) -> np.ndarray:
    """Reasons for each gap event (``gaps`` with a fresh index): its own description, then its top
    contributions' phrases."""
    n = len(gaps)
    if n == 0:
        return np.empty(0, dtype=object)
    story = GapStory(gaps)
    # a gap's own description always leads
    phrases = {"_lead": story.gap.reset_index(drop=True), **_phrases(GAP_MODEL, story)}
    return _join([["_lead", *t] for t in top_features(contrib)], phrases, n)


def port_visit_reasons(visits: pd.DataFrame) -> np.ndarray:
    """Reasons for each port-visit event: a visit to a sensitive port says so; others have none."""
    sensitive = visits["port_sensitive"].fillna(False).to_numpy(dtype=bool)
    return np.where(sensitive, "visit to sensitive port " + visits["port"].astype(str), None)  # type: ignore[call-overload]


def longest_gap_per_voyage(events: pd.DataFrame, voyage_ids: pd.Series) -> pd.DataFrame:
    cols = [
        "duration_h",
        "start_port_distance_km",
        "end_port_distance_km",
        "port",
        "draught_before_m",
        "draught_after_m",
        "reachable_ports",
    ]
    gaps = events[(events["event_type"] == "gap") & events["voyage_id"].notna()]
    gaps = gaps[telling_gaps(gaps)]  # the gaps the voyage's features count
    if gaps.empty:
        return pd.DataFrame(
            {
                c: pd.Series([np.nan] * len(voyage_ids), dtype=object if c in ("port", "reachable_ports") else float)
                for c in cols
            }
        )
    best = gaps.sort_values(["voyage_id", "duration_h"], ascending=[True, False], kind="stable").drop_duplicates(
        "voyage_id"
    )
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
