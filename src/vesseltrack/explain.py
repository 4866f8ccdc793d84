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

from vesseltrack import schema
from vesseltrack.detect.encounters import both_ways
from vesseltrack.detect.gaps import NEAR_PORT_KM as NAME_PORT_KM
from vesseltrack.features import (
    FAR_KM,
    GAP_MODEL,
    VOYAGE_MODEL,
    ModelFeature,
    telling_gaps,
)
from vesseltrack.scoring import top_features
from vesseltrack.voyages import voyage_of


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
    """'66 h AIS gap ending 88 km from sensitive port KOZMINO': the port named when within NAME_PORT_KM."""
    dur = _fmt(dur_h, ".0f")
    d0 = np.asarray(d_start_km, dtype=float)
    d1 = np.asarray(d_end_km, dtype=float)
    port = pd.Series(np.asarray(port, dtype=object)).fillna("")
    start_near = np.nan_to_num(d0, nan=np.inf) <= np.nan_to_num(d1, nan=np.inf)
    d = np.where(start_near, d0, d1)
    where = np.where(start_near, "starting", "ending")
    near = (np.nan_to_num(d, nan=np.inf) <= NAME_PORT_KM) & (port != "").to_numpy()
    base = dur + " h AIS gap"
    loc = " " + pd.Series(where) + " " + _fmt(d, ".0f") + " km from sensitive port " + port  # type: ignore[operator]
    return base.where(~near, base + loc)


def _reach_phrase(reach: pd.Series) -> pd.Series:
    """'could have reached WONSAN (61 h to stay), HUNGNAM (57 h) or KIMCHAEK (53 h)' from a gap's
    ``reachable_ports`` ('WONSAN 61 h; HUNGNAM 57 h; KIMCHAEK 53 h'); '' where it has none."""
    r = reach.reset_index(drop=True).astype(object)
    txt = r.fillna("").astype(str)
    txt = txt.str.replace(r"^(.+?) (\d+) h", r"\1 (\2 h to stay)", n=1, regex=True)
    txt = txt.str.replace(r"; (.+?) (\d+) h", r", \1 (\2 h)", regex=True)
    txt = txt.str.replace(r", ([^,]+)$", r" or \1", regex=True)
    return ("could have reached " + txt).where(r.notna().to_numpy() & (txt != "").to_numpy(), "")


def _draught_across(before, after, dur_h) -> pd.Series:
    """'draught 7.4 m -> 4.4 m across the 66 h gap' where it changed by 0.3 m or more, else ''."""
    b = np.asarray(before, dtype=float)
    a = np.asarray(after, dtype=float)
    across = ~np.isnan(a) & ~np.isnan(b) & (np.abs(a - b) >= 0.3)
    txt = "draught " + _fmt(b, ".1f") + " m -> " + _fmt(a, ".1f") + " m across the " + _fmt(dur_h, ".0f") + " h gap"
    return txt.where(across, "")


def _plural(n, one: str, many: str) -> pd.Series:
    """'1 gap' / '3 gaps' per row of counts ``n``."""
    k = np.asarray(n, dtype=float)
    return pd.Series(np.char.mod("%d", np.nan_to_num(k).astype(np.int64)).astype(object)) + pd.Series(
        np.where(k == 1, " " + one, " " + many)
    )


def _sentences(*parts: pd.Series, sep: str = ", ") -> pd.Series:
    """Row-wise join of the non-empty ``parts`` with ``sep``."""
    out = parts[0].reset_index(drop=True).astype(object)
    for p in parts[1:]:
        p = p.reset_index(drop=True).astype(object)
        out = pd.Series(np.where(out == "", p, np.where(p == "", out, out + sep + p)), dtype=object)
    return out


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
    return np.array([_once(s) for s in out], dtype=object)


def _once(reasons: str) -> str:
    """Each fact once: a '; '-separated part already said (the same, or inside a longer part, e.g. a
    gap told within a tanker's dark hours) is dropped."""
    parts = list(dict.fromkeys(p for p in reasons.split("; ") if p)) if reasons else []
    return "; ".join(p for i, p in enumerate(parts) if not any(p in q for j, q in enumerate(parts) if j != i))


def _longest(frame: pd.DataFrame, voyage_ids: pd.Series, cols: list[str], key: str = "duration_h") -> pd.DataFrame:
    """Per voyage (``voyage_ids``), the row of ``frame`` with the largest ``key`` (``cols``, NaN/None
    where it has none), plus ``n``: its rows in ``frame``."""
    frame = frame[frame["voyage_id"].notna()]
    best = frame.sort_values(["voyage_id", key], ascending=[True, False], kind="stable").drop_duplicates("voyage_id")
    out = best.set_index("voyage_id")[cols].reindex(voyage_ids.to_numpy()).reset_index(drop=True)
    out["n"] = frame.groupby("voyage_id").size().reindex(voyage_ids.to_numpy()).fillna(0).to_numpy(dtype=np.int64)
    return out


_GAP_COLS = ["duration_h", "start_sensitive_port_km", "end_sensitive_port_km", "port", "draught_before_m",
             "draught_after_m", "reachable_ports"]


class VoyageStory:
    """What the voyage phrases (``features.VOYAGE_MODEL``) are told from, one row per voyage: the
    voyages table, its longest telling gap (:func:`longest_gap_per_voyage`), the sensitive ports
    it calls at (:func:`sensitive_port_calls`) and, when given, its ``events`` (the likely-dark gaps,
    ship-to-ship encounters and loitering each figure comes from). Phrases shared by several features
    are built once. A figure summed over several events or causes says so ('in all', 'summed')."""

    def __init__(self, voyages: pd.DataFrame, longest_gap: pd.DataFrame, sensitive_calls: pd.Series,
                 events: pd.DataFrame | None = None):
        self.voyages = voyages.reset_index(drop=True)
        self.longest_gap = longest_gap.reset_index(drop=True)
        self.calls = sensitive_calls.reset_index(drop=True)
        self.events = events

    def fmt(self, col: str, spec: str) -> pd.Series:
        """The voyages' ``col`` as text, printf-style ``spec`` (".0f")."""
        return _fmt(self.voyages[col], spec)

    def flag(self, col: str, text: str, otherwise: str = "") -> pd.Series:
        """``text`` where the 0/1 column ``col`` is 1, else ``otherwise``."""
        return pd.Series(np.where(self.voyages[col].to_numpy() == 1, text, otherwise))

    def _of_type(self, event_type: str) -> pd.DataFrame:
        ev = self.events
        if ev is None or ev.empty:
            return pd.DataFrame(columns=[*schema.names(schema.EVENTS)])
        return ev[ev["event_type"] == event_type]

    @cached_property
    def gap(self) -> pd.Series:
        """The longest telling gap and, when there are several, how many and their hours in all."""
        lg = self.longest_gap
        gap = _gap_phrase(lg["duration_h"], lg["start_sensitive_port_km"], lg["end_sensitive_port_km"], lg["port"])
        n = self.voyages["n_gaps"].to_numpy()
        several = _plural(n, "gap", "AIS gaps") + ", " + self.fmt("dark_hours", ".0f") + " h silent in all"
        return gap.where(n <= 1, gap + "; " + several)

    @cached_property
    def _dark_gap(self) -> pd.DataFrame:
        """Per voyage, its longest likely-dark telling gap and (``n``) how many it has."""
        if self.events is None:  # told from the longest telling gap, one gap
            return self.longest_gap.assign(n=1)
        g = self._of_type("gap")
        g = g[telling_gaps(g) & g["likely_dark"].fillna(False).to_numpy(dtype=bool)]
        return _longest(g, self.voyages["voyage_id"], _GAP_COLS)

    @cached_property
    def _dark_story(self) -> pd.Series:
        """The likely-dark gap told: where, the ports in reach, cargo moved across it."""
        lg = self._dark_gap
        gap = _gap_phrase(lg["duration_h"], lg["start_sensitive_port_km"], lg["end_sensitive_port_km"], lg["port"])
        gap = ("the longest, " + gap).where(lg["n"].to_numpy() > 1, gap)
        reach = _reach_phrase(lg["reachable_ports"]) if "reachable_ports" in lg else pd.Series([""] * len(lg))
        return _sentences(gap, reach, _draught_across(lg["draught_before_m"], lg["draught_after_m"], lg["duration_h"]))

    @cached_property
    def _dark(self) -> pd.Series:
        n = self._dark_gap["n"].to_numpy()
        hours = self.fmt("likely_dark_hours", ".0f") + " h dark that local reception does not explain"
        return hours.where(n <= 1, hours + " (" + _plural(n, "gap", "gaps") + ", summed)")

    @cached_property
    def _tanker_dark(self) -> pd.Series:
        return "tanker with " + self._dark + ": " + self._dark_story

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
        other = self._dark + ": " + self._dark_story
        return _blank_where_nan(pd.Series(np.where(tanker, self._tanker_dark, other)), np.where(has_dark, 1.0, np.nan))

    @property
    def improbable(self) -> pd.Series:
        return _improbable(self.voyages["gap_improbability"])

    @property
    def spare(self) -> pd.Series:
        spare_h = self.voyages["max_gap_spare_h"].to_numpy()
        txt = self.fmt("max_gap_spare_h", ".0f") + " h unaccounted for in one gap (time for a detour)"
        return _blank_where_nan(txt, np.where(spare_h >= 2, 1.0, np.nan))

    @property
    def sensitive_calls(self) -> pd.Series:
        two = self.calls.str.contains(" and ").to_numpy()
        ports = np.where(two, "calls at sensitive ports ", "calls at sensitive port ")
        return (pd.Series(ports) + self.calls).where(self.calls != "", "")

    @property
    def draught(self) -> pd.Series:
        lg = self.longest_gap
        across = _draught_across(lg["draught_before_m"], lg["draught_after_m"], lg["duration_h"])
        voyage = "reported draught varied by " + self.fmt("draught_change_m", ".1f") + " m over the voyage"
        return across.where(across != "", voyage)

    @cached_property
    def _encounters(self) -> pd.DataFrame:
        """Per voyage, its ship-to-ship candidate encounters (counted for both ships, as the features
        count them): the longest, the one with the largest draught change, how many and with how many ships."""
        enc = self._of_type("encounter")
        vid = self.voyages["voyage_id"] if "voyage_id" in self.voyages else pd.Series([None] * len(self.voyages))
        if len(enc):
            enc = both_ways(enc)
            enc = enc[enc["sts_candidate"].fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)
        cols = ["duration_h", "other_mmsi", "other_vessel_name"]
        if enc.empty:
            out = pd.DataFrame({c: pd.Series([None] * len(vid), dtype=object) for c in cols}).assign(n=0, ships=0)
            return out.assign(dd=np.nan, dd_text="")
        enc["voyage_id"] = voyage_of(enc, self.voyages)
        own = (enc["draught_after_m"] - enc["draught_before_m"]).abs().to_numpy(dtype=float, na_value=np.nan)
        d_other = enc["other_draught_after_m"] - enc["other_draught_before_m"]
        oth = d_other.abs().to_numpy(dtype=float, na_value=np.nan)
        enc["dd"] = np.fmax(own, oth)
        enc["dd_text"] = _encounter_draught(enc, np.nan_to_num(own, nan=-1.0) >= np.nan_to_num(oth, nan=-1.0))
        out = _longest(enc, vid, cols)
        by_dd = _longest(enc.assign(dd=enc["dd"].fillna(-1.0)), vid, ["dd", "dd_text"], key="dd")
        ships = enc.dropna(subset=["voyage_id"]).groupby("voyage_id")["other_mmsi"].nunique()
        out["ships"] = ships.reindex(vid.to_numpy()).fillna(0).to_numpy(dtype=np.int64)
        return out.assign(dd=by_dd["dd"].to_numpy(), dd_text=by_dd["dd_text"].fillna("").to_numpy())

    @property
    def encounter(self) -> pd.Series:
        """'alongside NAME (MMSI 1) for 9 h ...' for one encounter; several: how many, with how many
        ships, the hours in all, and the longest with its partner."""
        e = self._encounters
        hours = self.fmt("encounter_hours", ".0f")
        if self.events is None or not e["n"].any():
            return "alongside other ships for " + hours + " h in all, away from berths and ports (ship-to-ship)"
        who = _ship(e["other_vessel_name"], e["other_mmsi"])
        one = "alongside " + who + " for " + hours + " h away from berths and ports (ship-to-ship)"
        many = (_plural(e["n"], "ship-to-ship encounter", "ship-to-ship encounters") + " with "
                + _plural(e["ships"], "ship", "ships") + ", " + hours + " h in all; the longest "
                + _fmt(e["duration_h"], ".0f") + " h alongside " + who)
        return pd.Series(np.where(e["n"].to_numpy() > 1, many, one))

    @property
    def encounter_draught(self) -> pd.Series:
        e = self._encounters
        generic = ("draught changed by " + self.fmt("encounter_draught_change_m", ".1f")
                   + " m across a ship-to-ship encounter")
        return generic.where(e["dd_text"].fillna("").to_numpy() == "", e["dd_text"].fillna(""))

    @cached_property
    def _loitering(self) -> pd.DataFrame:
        lo = self._of_type("loitering")
        lo = lo[lo["context"] == "at sea"]
        dark = lo[lo["possible_dark_sts"].fillna(False).to_numpy(dtype=bool)]
        vid = self.voyages["voyage_id"]
        return pd.DataFrame({"n": _longest(lo, vid, ["duration_h"])["n"],
                             "n_dark": _longest(dark, vid, ["duration_h"])["n"]})

    @property
    def loitering(self) -> pd.Series:
        txt = "loitering " + self.fmt("loitering_hours", ".0f") + " h at sea"
        n = self._loitering["n"].to_numpy() if self.events is not None else np.ones(len(self.voyages))
        return txt.where(n <= 1, txt + " in " + _plural(n, "episode", "episodes") + " (summed)")

    @property
    def dark_sts(self) -> pd.Series:
        txt = "stopped " + self.fmt("dark_sts_hours", ".0f") + " h at sea with no partner visible (possible dark STS)"
        n = self._loitering["n_dark"].to_numpy() if self.events is not None else np.ones(len(self.voyages))
        return txt.where(n <= 1, txt + ", " + _plural(n, "episode", "episodes") + " summed")

    @property
    def spoofing(self) -> pd.Series:
        n = self.voyages["spoofing_events"]
        return _plural(n, "spoofed position jump away and back", "spoofed position jumps away and back")

    @property
    def identity_changes(self) -> pd.Series:
        """The names, IMO numbers and call signs broadcast, each with its own count when known."""
        v = self.voyages
        n = v["identity_changes"].astype(str).to_numpy(dtype=object)
        generic = pd.Series(n + " extra names, IMO numbers and call signs broadcast, in all")
        if "identity_changes_detail" not in v:
            return generic
        detail = v["identity_changes_detail"].fillna("").astype(str).reset_index(drop=True)
        return ("broadcast " + detail).where(detail != "", generic)

    @property
    def invalid_identity(self) -> pd.Series:
        """'invalid identity: ' and each check that failed with its own figure (``identity_issues``)."""
        v = self.voyages
        text: Any = "invalid identity"
        if "identity_issues" in v:  # the identity checks that failed
            issues = v["identity_issues"].fillna("").astype(str).str.replace("; ", ", ", regex=False)
            text = np.where(issues != "", "invalid identity: " + issues, text)
        return pd.Series(np.where(v["invalid_identity"].to_numpy() == 1, text, ""))


def _ship(name: pd.Series, mmsi: pd.Series) -> pd.Series:
    """'NAME (MMSI 123456789)', or 'MMSI 123456789' without a name."""
    m = "MMSI " + pd.Series(mmsi).reset_index(drop=True).astype(object).astype(str).str.removesuffix(".0")
    nm = pd.Series(name).reset_index(drop=True).astype(object).fillna("").astype(str)
    return (nm + " (" + m + ")").where(nm != "", m)


def _encounter_draught(enc: pd.DataFrame, own: np.ndarray) -> pd.Series:
    """Per encounter row, the larger draught change of the two ships, told with whose it was."""
    who = _ship(enc["other_vessel_name"], enc["other_mmsi"])
    ob, oa = enc["draught_before_m"].to_numpy(dtype=float), enc["draught_after_m"].to_numpy(dtype=float)
    pb = enc["other_draught_before_m"].to_numpy(dtype=float)
    pa = enc["other_draught_after_m"].to_numpy(dtype=float)
    mine = ("own draught " + _fmt(ob, ".1f") + " m -> " + _fmt(oa, ".1f") + " m across the ship-to-ship encounter with "
            + who)
    theirs = ("draught of " + who + " " + _fmt(pb, ".1f") + " m -> " + _fmt(pa, ".1f")
              + " m across its ship-to-ship encounter with this ship")
    return pd.Series(np.where(own, mine, theirs))


class GapStory:
    """What the gap phrases (``features.GAP_MODEL``) are told from: the gap events (fresh index)."""

    def __init__(self, gaps: pd.DataFrame):
        self.gaps = gaps
        self.is_open = ~gaps["is_closed"].fillna(True).to_numpy(dtype=bool)

    @cached_property
    def gap(self) -> pd.Series:
        """The gap's own description (it leads every gap's reasons)."""
        g = self.gaps
        gap = _gap_phrase(g["duration_h"], g["start_sensitive_port_km"], g["end_sensitive_port_km"], g["port"])
        likely = g["likely_dark"].fillna(False).to_numpy(dtype=bool)
        gap = gap.where(~likely, "likely dark: " + gap)
        gap = gap.where(~self.is_open, gap + ", still dark at the end of the data")
        return _sentences(gap, _reach_phrase(g["reachable_ports"]))

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
        b, a = g["draught_before_m"].to_numpy(dtype=float), g["draught_after_m"].to_numpy(dtype=float)
        txt = "draught " + _fmt(b, ".1f") + " m -> " + _fmt(a, ".1f") + " m across the gap"
        return txt.where(~np.isnan(a) & ~np.isnan(b) & (np.abs(a - b) >= 0.3), "")

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
                        sensitive_port_calls(voyages, sensitive_ports), events)
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
    """Per voyage, its longest telling gap (the gaps its features count): ``_GAP_COLS``."""
    gaps = events[(events["event_type"] == "gap") & events["voyage_id"].notna()]
    gaps = gaps[telling_gaps(gaps)]
    if gaps.empty:
        return pd.DataFrame(
            {
                c: pd.Series([np.nan] * len(voyage_ids), dtype=object if c in ("port", "reachable_ports") else float)
                for c in _GAP_COLS
            }
        )
    out = _longest(gaps, voyage_ids, _GAP_COLS).drop(columns="n")
    out["start_sensitive_port_km"] = out["start_sensitive_port_km"].fillna(FAR_KM)
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
