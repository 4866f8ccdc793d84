"""Evaluation against a scenario's known truth (``truth.json`` from :mod:`vesseltrack.scenarios`).

Measures what the end-to-end issue asks: for injected dark voyages, the recall of ``gap`` events
and the rank of those vessels; per injected anomaly type, the recall and precision of the events
meant to catch it (:func:`event_metrics`); for the vessel ranking, average precision and
precision@k next to two baselines: a naive one (every gap longer than 6 h, ranked by its length)
and a rules-only one (points per kind of event, :func:`rules_scores`). :func:`feature_importance`
says which model features carry the top of the voyage ranking. :func:`nuisance_alerts` and
:func:`alert_precision_top` measure the false alarms that everyday harbour life raises (the
scenario's ``truth["nuisances"]``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from vesseltrack import features
from vesseltrack.detect.identity import SPLIT_OFFSET
from vesseltrack.errors import InputError
from vesseltrack.scoring import IsolationScorer, fit_scorer, top_features

TRUTH_FORMAT = "vesseltrack-truth/1"
#: Kinds of truth["nuisances"] records (vesseltrack.scenarios.NUISANCE_KINDS).
NUISANCE_KINDS = ("berth_shutdown", "marina_moored", "ferry_berth", "anchorage_wait", "anchorage_gap", "censored_end",
                  "fast_craft", "harbour_craft")


def load_truth(path: str | Path) -> dict:
    path = Path(path)
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(
            f"{path}: cannot read the truth file ({err}); expected JSON written by vesseltrack.scenarios; check the path"  # noqa: E501
        ) from err
    if not isinstance(truth, dict) or truth.get("format") != TRUTH_FORMAT:
        got = truth.get("format") if isinstance(truth, dict) else type(truth).__name__
        raise InputError(
            f"{path}: truth format is {got!r}; expected {TRUTH_FORMAT!r}; regenerate it with vesseltrack.scenarios"
        )
    return truth


def _anomalies(truth: dict, kind: str) -> pd.DataFrame:
    rows = [a for a in truth.get("anomalies", []) if a.get("type") == kind]
    df = pd.DataFrame(rows, columns=["type", "mmsi", "start_time", "end_time"]) if not rows else pd.DataFrame(rows)
    if len(df):
        df["start_time"] = pd.to_datetime(df["start_time"], utc=True)
        df["end_time"] = pd.to_datetime(df["end_time"], utc=True)
    return df


def dark_gap_recall(events: pd.DataFrame, truth: dict, *, min_overlap: float = 0.5) -> tuple[float, int, int]:
    """(recall, found, total): dark voyages covered by a gap event of the same vessel over at least
    ``min_overlap`` of the dark period."""
    dark = _anomalies(truth, "dark_voyage")
    if dark.empty:
        return float("nan"), 0, 0
    gaps = events[events["event_type"] == "gap"][["mmsi", "start_time", "end_time"]]
    m = dark.reset_index().merge(gaps, on="mmsi", how="inner", suffixes=("", "_g"))
    overlap = pd.Series(
        np.minimum(m["end_time"], m["end_time_g"]) - np.maximum(m["start_time"], m["start_time_g"])
    ).dt.total_seconds()
    span = (m["end_time"] - m["start_time"]).dt.total_seconds().clip(lower=1)
    found = m.loc[overlap / span >= min_overlap, "index"].nunique()
    return found / len(dark), int(found), len(dark)


def vessel_scores(alerts: pd.DataFrame) -> pd.Series:
    """Each vessel's best alert score (the order in which an analyst meets vessels in alerts.csv).

    The second ship of a shared MMSI (id MMSI + 1,000,000,000) counts for that MMSI.
    """
    return alerts.assign(mmsi=alerts["mmsi"] % SPLIT_OFFSET).groupby("mmsi")["score"].max()


def naive_scores(events: pd.DataFrame, *, min_gap_h: float = 6.0) -> pd.Series:
    """Baseline: every gap longer than ``min_gap_h``, vessels ranked by their longest gap.

    The second ship of a shared MMSI counts for that MMSI, as in :func:`vessel_scores`.
    """
    g = events[(events["event_type"] == "gap") & (events["duration_h"] > min_gap_h)]
    return g.assign(mmsi=g["mmsi"] % SPLIT_OFFSET).groupby("mmsi")["duration_h"].max()


# --- rules-only baseline ---------------------------------------------------------------------------

#: Points of the rules-only baseline, each scored at most once per vessel. Chosen by hand to mirror
#: what an analyst checks first; they are NOT tuned (on the evaluation seeds or any other data).
RULE_WEIGHTS: dict[str, int] = {
    "likely_dark_gap": 3,             # a gap flagged likely_dark (local reception does not explain it)
    "gap_near_sensitive_port": 2,     # a gap starting or ending within RULE_NEAR_KM of a sensitive port
    "tanker_sensitive_port_call": 1,  # a port visit to a sensitive port by a tanker (AIS type 80-89)
    "encounter": 2,                   # a ship-to-ship encounter (either side of it)
    "possible_dark_sts": 2,           # loitering at sea with no visible partner
    "spoofing": 2,                    # a spoofing event
    "identity_clash": 2,              # its MMSI is broadcast by two ships
}
#: "Near a sensitive port" for the rules-only baseline (km).
RULE_NEAR_KM = 100.0


def _flag(df: pd.DataFrame, col: str) -> np.ndarray:
    """A boolean column read back from CSV (True/False/empty), False when missing."""
    if col not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df[col].astype("boolean").fillna(False).to_numpy(dtype=bool)


def _num(df: pd.DataFrame, col: str, fill: float) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), fill)
    return pd.to_numeric(df[col]).to_numpy(dtype=float, na_value=np.nan)


def rule_hits(events: pd.DataFrame, *, near_km: float = RULE_NEAR_KM) -> pd.DataFrame:
    """(mmsi, rule) for every rule of :data:`RULE_WEIGHTS` a vessel meets, once each.

    MMSIs are real ones (the second ship of a shared MMSI counts for it); an encounter counts for
    both vessels.
    """
    et = events["event_type"].to_numpy()
    mmsi = events["mmsi"].to_numpy(np.int64) % SPLIT_OFFSET
    gap = et == "gap"
    near = (
        np.fmin(_num(events, "start_sensitive_port_km", np.nan), _num(events, "end_sensitive_port_km", np.nan))
        < near_km
    )
    tanker = (
        features.is_tanker(events["vessel_type"]).astype(bool)
        if "vessel_type" in events.columns
        else np.zeros(len(events), bool)
    )
    masks = {
        "likely_dark_gap": gap & _flag(events, "likely_dark"),
        "gap_near_sensitive_port": gap & near,
        "tanker_sensitive_port_call": (et == "port_visit") & _flag(events, "port_sensitive") & tanker,
        "encounter": et == "encounter",
        "possible_dark_sts": (et == "loitering") & _flag(events, "possible_dark_sts"),
        "spoofing": et == "spoofing",
        "identity_clash": et == "identity_clash",
    }
    parts = [pd.DataFrame({"mmsi": mmsi[m], "rule": rule}) for rule, m in masks.items()]
    enc = masks["encounter"]
    if "other_mmsi" in events.columns and enc.any():
        other = pd.to_numeric(events["other_mmsi"]).to_numpy(dtype=float, na_value=np.nan)[enc]
        other = other[~np.isnan(other)].astype(np.int64) % SPLIT_OFFSET
        parts.append(pd.DataFrame({"mmsi": other, "rule": "encounter"}))
    return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)


def rules_scores(events: pd.DataFrame, *, weights: Mapping[str, float] | None = None,
                 near_km: float = RULE_NEAR_KM) -> pd.Series:
    """Baseline: a transparent rule score per vessel, built only from events.

    Each rule of ``weights`` (default :data:`RULE_WEIGHTS`) a vessel meets adds its points once:
    a likely_dark gap 3, a gap within ``near_km`` (100 km) of a sensitive port 2, a sensitive port
    call by a tanker 1, an encounter 2, loitering with possible_dark_sts 2, spoofing 2, an identity
    clash 2. The weights were set by hand and are not tuned. Ties are broken by the vessel's longest
    gap: score = points + longest_gap_h / (fleet's longest gap + 1), so the fraction never
    outweighs a point. Vessels that meet no rule are not listed.
    """
    weights = RULE_WEIGHTS if weights is None else weights
    hits = rule_hits(events, near_km=near_km)
    points = hits["rule"].astype(object).map(weights).astype(float).fillna(0.0).groupby(hits["mmsi"]).sum()
    points = points[points > 0]
    gaps = events[events["event_type"] == "gap"]
    longest = gaps["duration_h"].groupby(gaps["mmsi"].to_numpy(np.int64) % SPLIT_OFFSET).max()
    tie = longest.reindex(points.index).fillna(0.0) / (longest.max() + 1.0 if len(longest) else 1.0)
    return (points + tie).rename("rules_score").rename_axis("mmsi")


# --- events against injected anomalies -------------------------------------------------------------

def _ns(values) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("ns").asi8


def _ids(df: pd.DataFrame, col: str) -> np.ndarray:
    """Real MMSIs of a column (second ship of a shared MMSI -> the MMSI; missing -> -1)."""
    if col not in df.columns:
        return np.full(len(df), -1, dtype=np.int64)
    v = pd.to_numeric(df[col]).to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isnan(v), -1, v).astype(np.int64) % SPLIT_OFFSET


def match_events(events: pd.DataFrame, anomalies: pd.DataFrame, *, pair: bool = False, timed: bool = True,
                 min_overlap: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(event matched?, anomaly matched?): same vessel(s) and overlapping in time.

    ``pair``: match the unordered pair (mmsi, other_mmsi) rather than mmsi alone. ``timed=False``:
    the vessel alone matches. ``min_overlap``: the overlap must cover at least this share of the
    anomaly's period (otherwise touching periods, ends included, are enough). Done with one merge
    on the vessel key, not a loop over rows.
    """
    e = pd.DataFrame({"ei": np.arange(len(events)), "k1": _ids(events, "mmsi"), "s_e": _ns(events["start_time"]),
                      "t_e": _ns(events["end_time"])})
    a = pd.DataFrame(
        {
            "ai": np.arange(len(anomalies)),
            "k1": _ids(anomalies, "mmsi"),
            "s_a": _ns(anomalies["start_time"]),
            "t_a": _ns(anomalies["end_time"]),
        }
    )
    keys = ["k1"]
    if pair:
        for df, src in ((e, events), (a, anomalies)):
            other = _ids(src, "other_mmsi")
            df["k1"], df["k2"] = np.minimum(df["k1"], other), np.maximum(df["k1"], other)
        keys = ["k1", "k2"]
    m = e.merge(a, on=keys, how="inner")
    ok = np.ones(len(m), dtype=bool)
    if timed:
        overlap = pd.Series(np.minimum(m["t_e"], m["t_a"]) - np.maximum(m["s_e"], m["s_a"]))
        if min_overlap is None:
            ok = (overlap >= 0).to_numpy()
        else:
            ok = (overlap / (m["t_a"] - m["s_a"]).clip(lower=1e9) >= min_overlap).to_numpy()
    return np.isin(e["ei"], m.loc[ok, "ei"]), np.isin(a["ai"], m.loc[ok, "ai"])


def _all_anomalies(truth: dict) -> pd.DataFrame:
    cols = ["type", "mmsi", "other_mmsi", "start_time", "end_time"]
    rows = [{c: a.get(c) for c in cols} for a in truth.get("anomalies", [])]
    return pd.DataFrame(rows, columns=cols)


def event_metrics(events: pd.DataFrame, truth: dict, *, min_overlap: float = 0.5) -> dict[str, dict]:
    """Recall and precision of our events per injected anomaly type.

    Rows (truth type <- our events):

    - ``dark_voyage`` <- ``gap`` events of the vessel covering at least ``min_overlap`` of the dark
      period; ``dark_voyage_likely_dark`` the same with only gaps flagged ``likely_dark``;
    - ``sts`` <- ``encounter`` events of the pair (either way round) overlapping in time;
    - ``dark_sts`` <- ``loitering`` events with ``possible_dark_sts`` of the vessel, overlapping;
    - ``spoofing`` <- ``spoofing`` events of the vessel, overlapping;
    - ``identity_clash`` <- ``identity_clash`` events of the MMSI (any time).

    Vessels are real MMSIs (the second ship of a shared MMSI counts for it). Recall = anomalies
    matched / anomalies; precision = our events matching some anomaly of the type / our events
    (NaN when there are none). Each row: ``our_events``, ``truth``, ``found``, ``recall``,
    ``events``, ``matched``, ``precision``.
    """
    an = _all_anomalies(truth)
    et = events["event_type"]
    gaps = events[(et == "gap").to_numpy()]
    loit = events[(et == "loitering").to_numpy()]
    rows: list[tuple[str, str, pd.DataFrame, dict[str, Any]]] = [
        ("dark_voyage", "gap", gaps, {"min_overlap": min_overlap}),
        (
            "dark_voyage_likely_dark",
            "gap with likely_dark",
            gaps[_flag(gaps, "likely_dark")],
            {"min_overlap": min_overlap},
        ),
        ("sts", "encounter", events[(et == "encounter").to_numpy()], {"pair": True}),
        ("dark_sts", "loitering with possible_dark_sts", loit[_flag(loit, "possible_dark_sts")], {}),
        ("spoofing", "spoofing", events[(et == "spoofing").to_numpy()], {}),
        ("identity_clash", "identity_clash", events[(et == "identity_clash").to_numpy()], {"timed": False}),
    ]
    out: dict[str, Any] = {}
    for key, desc, ev, kw in rows:
        kind = "dark_voyage" if key.startswith("dark_voyage") else key
        a = an[(an["type"] == kind).to_numpy()]
        ev_hit, an_hit = match_events(ev, a, **kw)
        out[key] = {"our_events": desc, "truth": len(a), "found": int(an_hit.sum()),
                    "recall": float(an_hit.mean()) if len(a) else float("nan"),
                    "events": len(ev), "matched": int(ev_hit.sum()),
                    "precision": float(ev_hit.mean()) if len(ev) else float("nan")}
    return out


# --- which features carry the ranking --------------------------------------------------------------

def feature_importance(voyages: pd.DataFrame, scorer: IsolationScorer | None = None, *, top_k: int = 20,
                       random_state: int = 0, n_estimators: int = 200) -> pd.DataFrame:
    """Which model features carry the top of the voyage ranking.

    ``voyages``: a table with the schema.VOYAGE_FEATURES columns (``Result.voyages``, voyages.csv,
    ``pipeline.Detected.voyages``). ``scorer``: the fitted voyage scorer; None fits one on these
    voyages as ``vesseltrack score`` does without ``--model`` (same seed and trees give the same
    forest). Over the ``top_k`` highest-scored voyages, per feature: ``mean_positive_contribution``
    (mean of the occlusion contribution clipped at 0, :meth:`IsolationScorer.contributions`),
    ``mean_contribution`` (signed) and ``share_in_top3`` (share of those voyages whose reasons
    list it among their top 3). Sorted by mean positive contribution, strongest first; empty when
    there are too few voyages to fit a scorer.
    """
    X = features.voyage_matrix(voyages)
    if scorer is None:
        scorer = fit_scorer(
            X,
            random_state=random_state,
            n_estimators=n_estimators,
            one_sided=features.VOYAGE_ONE_SIDED,
            evidence=features.VOYAGE_EVIDENCE,
        )
    cols = ["mean_positive_contribution", "mean_contribution", "share_in_top3"]
    if scorer is None:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="feature"), dtype=float)
    scores = scorer.score_samples(X)
    top = np.argsort(-scores, kind="stable")[:top_k]
    C = scorer.contributions(X.iloc[top])
    named = pd.Series([n for names in top_features(C, k=3) for n in names], dtype=object)
    out = pd.DataFrame({
        "mean_positive_contribution": C.clip(lower=0).mean(),
        "mean_contribution": C.mean(),
        "share_in_top3": named.value_counts().reindex(C.columns).fillna(0).to_numpy() / max(len(C), 1),
    })
    return out.rename_axis("feature").sort_values("mean_positive_contribution", ascending=False, kind="stable")


def ranking_metrics(scores: pd.Series, truth: dict, *, ks: tuple[int, ...] = (5, 10)) -> dict:
    """Average precision and precision@k of a vessel ranking against the truth's anomalous vessels.

    Every vessel in the truth is ranked; vessels without a score rank last (score -inf), so a
    method that never lists a bad vessel is charged for it.
    """
    vessels = pd.DataFrame(truth["vessels"]).drop_duplicates("mmsi")
    y = vessels["anomalous"].astype(bool).to_numpy()
    s = vessels["mmsi"].map(scores).astype(float).to_numpy()
    listed = ~np.isnan(s)
    s = np.where(listed, s, s[listed].min() - 1.0 if listed.any() else 0.0)  # unlisted vessels tie, last
    order = np.lexsort((vessels["mmsi"].to_numpy(), -s))
    ranked = y[order]
    out: dict[str, Any] = {"average_precision": float(average_precision_score(y, s)) if y.any() else float("nan"),
           "positives": int(y.sum()), "vessels": len(y)}
    for k in ks:
        out[f"precision_at_{k}"] = float(ranked[:k].mean()) if len(ranked) else float("nan")
    pos_ranks = np.flatnonzero(ranked) + 1
    out["ranks_of_anomalous"] = pos_ranks.tolist()
    return out


def dark_vs_benign_ap(scores: pd.Series, truth: dict) -> float:
    """Average precision of a ranking of the dark-voyage vessels against the vessels that did
    nothing anomalous (vessels with other anomalies are left out): do dark voyages rank above
    benign outages? Unlisted vessels rank last."""
    v = pd.DataFrame(truth["vessels"]).drop_duplicates("mmsi")
    if "role" not in v:
        return float("nan")
    v = v[v["role"].isin(["dark", "normal"])]
    y = (v["role"] == "dark").to_numpy()
    s = v["mmsi"].map(scores).astype(float).to_numpy()
    listed = ~np.isnan(s)
    s = np.where(listed, s, s[listed].min() - 1.0 if listed.any() else 0.0)
    return float(average_precision_score(y, s)) if y.any() and (~y).any() else float("nan")


def dark_vessel_ranks(scores: pd.Series, truth: dict) -> list[int | None]:
    """Rank (1 = first) of each dark-voyage vessel in a score ranking; None when not ranked."""
    dark = _anomalies(truth, "dark_voyage")
    order = scores.sort_values(ascending=False, kind="stable")
    rank = {m: i + 1 for i, m in enumerate(order.index)}
    return [rank.get(m) for m in dark["mmsi"]] if len(dark) else []


# --- false alarms from everyday harbour life ------------------------------------------------------

def nuisance_alerts(alerts: pd.DataFrame, truth: dict) -> dict[str, int]:
    """Alerts on nuisance vessels (``truth["nuisances"]``), by kind of nuisance.

    ``any``: alerts whose vessel is a nuisance vessel (one marked ``nuisance`` in
    ``truth["vessels"]``, or named as ``mmsi`` or ``other_mmsi`` by a nuisance record). Per kind:
    alerts of a vessel with a record of that kind (either side of a pair) whose period overlaps the
    alert's (ends touching count; an alert without times counts on the vessel alone), so one alert
    can count under several kinds (a tug's gap alert is both ``berth_shutdown`` and
    ``harbour_craft``). Vessels are real MMSIs (the second ship of a shared MMSI counts for it).
    Every kind is listed, 0 when there are none; a truth without ``nuisances`` gives zeros.
    """
    out = {"any": 0, **{k: 0 for k in NUISANCE_KINDS}}
    recs = truth.get("nuisances") or []
    marked = {int(v["mmsi"]) for v in truth.get("vessels", []) if v.get("nuisance")}
    if not len(alerts) or not (recs or marked):
        return out
    a = pd.DataFrame({"ai": np.arange(len(alerts)), "mmsi": _ids(alerts, "mmsi")})
    nat = np.iinfo(np.int64).min  # NaT in nanoseconds
    for col, c in (("s_a", "start_time"), ("t_a", "end_time")):
        a[col] = _ns(alerts[c]) if c in alerts.columns else nat
    timeless = (a["s_a"] == nat) | (a["t_a"] == nat)
    n = pd.DataFrame(recs, columns=["kind", "mmsi", "other_mmsi", "start_time", "end_time"])
    sides = pd.concat(
        [
            n[["kind", "mmsi", "start_time", "end_time"]],
            n[["kind", "other_mmsi", "start_time", "end_time"]].rename(columns={"other_mmsi": "mmsi"}),
        ],
        ignore_index=True,
    )
    sides = sides[sides["mmsi"].notna()]
    r = pd.DataFrame({"kind": sides["kind"].to_numpy(), "mmsi": _ids(sides, "mmsi"), "s_n": _ns(sides["start_time"]),
                      "t_n": _ns(sides["end_time"])})
    vessels = marked | set(r["mmsi"].tolist())
    out["any"] = int(a["mmsi"].isin(vessels).sum())
    m = a.assign(timeless=timeless.to_numpy()).merge(r, on="mmsi", how="inner")
    ok = m["timeless"] | ((np.minimum(m["t_a"], m["t_n"]) - np.maximum(m["s_a"], m["s_n"])) >= 0)
    counts = m.loc[ok.to_numpy(), ["ai", "kind"]].drop_duplicates()["kind"].value_counts()
    out.update({k: int(counts.get(k, 0)) for k in NUISANCE_KINDS})
    return out


def alert_precision_top(alerts: pd.DataFrame, truth: dict, k: int = 20) -> float:
    """Share of the first ``k`` alerts (by ``rank``, else file order) whose vessel is a true anomaly
    vessel (``anomalous`` in ``truth["vessels"]``; the second ship of a shared MMSI counts for it).
    With fewer than ``k`` alerts, the share of those listed; NaN without alerts."""
    if not len(alerts):
        return float("nan")
    top = alerts.sort_values("rank", kind="stable") if "rank" in alerts.columns else alerts
    bad = {int(v["mmsi"]) for v in truth.get("vessels", []) if v.get("anomalous")}
    return float(np.isin(_ids(top.head(k), "mmsi"), list(bad)).mean())


#: The columns evaluation reads from a results folder, with their kind and whether they are required
#: (optional ones are read when present: alerts' times and rank, events' findings).
ALERTS_COLUMNS: dict[str, tuple[str, bool]] = {
    "mmsi": ("id", True), "score": ("number", True), "rank": ("number", False),
    "start_time": ("time", False), "end_time": ("time", False),
}
EVENTS_COLUMNS: dict[str, tuple[str, bool]] = {
    "event_type": ("text", True), "mmsi": ("id", True), "start_time": ("time", True), "end_time": ("time", True),
    "duration_h": ("number", True), "other_mmsi": ("number", False), "likely_dark": ("flag", False),
    "port_sensitive": ("flag", False), "possible_dark_sts": ("flag", False),
    "start_sensitive_port_km": ("number", False), "end_sensitive_port_km": ("number", False),
    "vessel_type": ("number", False),
}


def _parsed(values: pd.Series, kind: str) -> pd.Series:
    """A results column in its kind (NaN / NaT / <NA> where a value does not parse)."""
    if kind in ("id", "number"):
        return pd.to_numeric(values, errors="coerce")
    if kind == "time":
        return pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")
    if kind == "flag":
        text = values.astype("string").str.strip().str.lower()
        return text.map({"true": True, "false": False, "1": True, "0": False}).astype("boolean")
    return values


def read_results_csv(path: Path, columns: dict[str, tuple[str, bool]]) -> pd.DataFrame:
    """A CSV of a results folder with ``columns`` ({name: (kind, required)}) checked and parsed:
    kinds ``id`` (whole number, never empty), ``number``, ``time`` (ISO 8601), ``flag``
    (True/False) and ``text``. Anything else (a missing, empty or binary file, a missing column, a
    value of the wrong type) is an InputError naming the file, the column and the first bad row."""
    run_score = "expected a file written by 'vesseltrack score --out'; run score again into a fresh folder"
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except OSError as err:
        raise InputError(f"{path}: cannot read results ({err.strerror or err}); {run_score}") from err
    except pd.errors.EmptyDataError as err:
        raise InputError(f"{path}: the file is empty; {run_score}") from err
    except (ValueError, pd.errors.ParserError) as err:  # binary content, unbalanced quotes, ragged rows
        raise InputError(
            f"{path}: not a readable CSV ({type(err).__name__}: {' '.join(str(err).split())[:200]}); {run_score}"
        ) from err
    missing = [c for c, (_, required) in columns.items() if required and c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: columns {missing} missing; received columns {list(df.columns)[:20]}; {run_score}"
        )
    for col, (kind, _) in columns.items():
        if col not in df.columns or kind == "text":
            continue
        raw = df[col]
        parsed = _parsed(raw, kind)
        bad = parsed.isna().to_numpy() & raw.notna().to_numpy()
        if kind == "id":
            bad |= raw.isna().to_numpy() | (parsed.notna() & (parsed % 1 != 0)).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: column {col!r} has {int(bad.sum()):,} value(s) that are not {KINDS[kind]}, first {raw.iloc[row]!r} in row {row + 2}; {run_score}"  # noqa: E501
            )
        df[col] = parsed.astype(np.int64) if kind == "id" else parsed
    return df


#: What each kind of results column holds, in words.
KINDS = {"id": "whole numbers", "number": "numbers", "time": "ISO 8601 times", "flag": "True or False"}


def evaluate(results_dir: str | Path, truth: dict | str | Path) -> dict:
    """Read a results folder written by ``vesseltrack score`` and report against the truth.

    Keys: ``dark_voyages``, ``gap_recall``, ``gap_found`` (:func:`dark_gap_recall`), ``events``
    (:func:`event_metrics`), and for ``ours`` (alerts.csv), ``naive_baseline`` (:func:`naive_scores`)
    and ``rules_baseline`` (:func:`rules_scores`) the :func:`ranking_metrics` with
    ``dark_vessel_ranks`` and ``dark_vs_benign_ap``; ``nuisance_alerts`` (:func:`nuisance_alerts`,
    zeros for a truth without nuisances) and ``alert_precision_top20`` (:func:`alert_precision_top`).
    """
    results_dir = Path(results_dir)
    if not isinstance(truth, dict):
        truth = load_truth(truth)
    alerts = read_results_csv(results_dir / "alerts.csv", ALERTS_COLUMNS)
    events = read_results_csv(results_dir / "events.csv", EVENTS_COLUMNS)
    recall, found, total = dark_gap_recall(events, truth)
    rankings = {
        "ours": vessel_scores(alerts),
        "naive_baseline": naive_scores(events),
        "rules_baseline": rules_scores(events),
    }
    return {
        "dark_voyages": total,
        "gap_recall": recall,
        "gap_found": found,
        "events": event_metrics(events, truth),
        **{name: {**ranking_metrics(s, truth), "dark_vessel_ranks": dark_vessel_ranks(s, truth),
                  "dark_vs_benign_ap": dark_vs_benign_ap(s, truth)} for name, s in rankings.items()},
        "nuisance_alerts": nuisance_alerts(alerts, truth),
        "alert_precision_top20": alert_precision_top(alerts, truth, 20),
    }


#: How far (hours) an estimated operation's event may lie outside the true operation's window and
#: still be matched to it (a late crew update; a port visit that the detector cut differently).
CARGO_MATCH_SLACK_H = 12.0


def match_cargo(cargo: pd.DataFrame, truth: dict, *, slack_h: float = CARGO_MATCH_SLACK_H) -> pd.DataFrame:
    """The true cargo operations (``truth["cargo_ops"]``), each with the estimate that matches it:
    same vessel, same direction, a draught-based estimate whose event overlaps the true window
    widened by ``slack_h`` (the closest in start time when several do). Columns of the truth plus
    ``est_tonnes_low/central/high``, ``est_where`` and ``est_op_id`` (missing when none matched)."""
    ops = pd.DataFrame(truth.get("cargo_ops", []))
    if ops.empty:
        return ops
    ops["t0"] = _ns(ops["start_time"]) - int(slack_h * 3.6e12)
    ops["t1"] = _ns(ops["end_time"]) + int(slack_h * 3.6e12)
    est = cargo[cargo["basis"] == "draught"]
    est = pd.DataFrame({"mmsi": _ids(est, "mmsi"), "kind": est["direction"].to_numpy(), "e0": _ns(est["start_time"]),
                        "e1": _ns(est["end_time"]), "est_tonnes_low": est["tonnes_low"].to_numpy(),
                        "est_tonnes_central": est["tonnes_central"].to_numpy(),
                        "est_tonnes_high": est["tonnes_high"].to_numpy(), "est_where": est["where"].to_numpy(),
                        "est_op_id": est["op_id"].to_numpy()})
    pairs = ops.reset_index().merge(est, on=["mmsi", "kind"], how="inner")
    pairs = pairs[(pairs["e0"] <= pairs["t1"]) & (pairs["e1"] >= pairs["t0"])]
    pairs = pairs.assign(off=(pairs["e0"] - pairs["t0"]).abs()).sort_values(["index", "off", "est_op_id"])
    best = pairs.drop_duplicates("index").set_index("index")
    cols = ["est_tonnes_low", "est_tonnes_central", "est_tonnes_high", "est_where", "est_op_id"]
    return ops.drop(columns=["t0", "t1"]).join(best[cols])


def cargo_metrics(cargo: pd.DataFrame, truth: dict) -> dict:
    """How well cargo.csv estimates the true cargo operations of a scenario.

    ``operations``: true operations; ``estimated``: those matched by an estimate (:func:`match_cargo`),
    overall and per crew habit (``by_crew``); over the matched ones, the absolute percentage error of
    the central estimate (``ape_median``, ``ape_p90``) and ``coverage``, the share whose true tonnage
    lies in the low-high range; ``spurious``: draught-based estimates that match no true operation."""
    m = match_cargo(cargo, truth)
    if m.empty:
        return {"operations": 0}
    hit = m["est_tonnes_central"].notna().to_numpy()
    true = m["true_tonnes"].to_numpy(dtype=float)
    ape = np.abs(m["est_tonnes_central"].to_numpy(dtype=float) - true) / true
    inside = (m["est_tonnes_low"].to_numpy(dtype=float) <= true) & (true <= m["est_tonnes_high"].to_numpy(dtype=float))
    used = set(m.loc[hit, "est_op_id"])
    n_draught = int((cargo["basis"] == "draught").sum())
    by_crew = {str(k): {"operations": int(len(g)), "estimated": int(g["est_tonnes_central"].notna().sum()),
                        "ape_median": float(np.nanmedian(ape[g.index])) if g["est_tonnes_central"].notna().any()
                        else None}
               for k, g in m.groupby("crew", sort=True)} if "crew" in m else {}
    return {
        "operations": int(len(m)),
        "estimated": int(hit.sum()),
        "ape_median": float(np.median(ape[hit])) if hit.any() else None,
        "ape_p90": float(np.quantile(ape[hit], 0.9)) if hit.any() else None,
        "coverage": float(inside[hit].mean()) if hit.any() else None,
        "spurious": n_draught - len(used),
        "by_crew": by_crew,
    }
