"""Evaluation against a scenario's known truth (``truth.json`` from :mod:`vesseltrack.simulate`).

Measures what the end-to-end issue asks: for injected dark voyages, the recall of ``gap`` events
and the rank of those vessels; for the vessel ranking, average precision and precision@k, next to
a naive baseline (every gap longer than 6 h, ranked by its length).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from vesseltrack.detect.identity import SPLIT_OFFSET
from vesseltrack.errors import InputError

TRUTH_FORMAT = "vesseltrack-truth/1"


def load_truth(path: str | Path) -> dict:
    path = Path(path)
    try:
        truth = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"{path}: cannot read the truth file ({err}); expected JSON written by vesseltrack.simulate; check the path") from err
    if not isinstance(truth, dict) or truth.get("format") != TRUTH_FORMAT:
        got = truth.get("format") if isinstance(truth, dict) else type(truth).__name__
        raise InputError(f"{path}: truth format is {got!r}; expected {TRUTH_FORMAT!r}; regenerate it with vesseltrack.simulate")
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
    overlap = (np.minimum(m["end_time"], m["end_time_g"]) - np.maximum(m["start_time"], m["start_time_g"])).dt.total_seconds()
    span = (m["end_time"] - m["start_time"]).dt.total_seconds().clip(lower=1)
    found = m.loc[overlap / span >= min_overlap, "index"].nunique()
    return found / len(dark), int(found), int(len(dark))


def vessel_scores(alerts: pd.DataFrame) -> pd.Series:
    """Each vessel's best alert score (the order in which an analyst meets vessels in alerts.csv).

    The second ship of a shared MMSI (id MMSI + 1,000,000,000) counts for that MMSI.
    """
    return alerts.assign(mmsi=alerts["mmsi"] % SPLIT_OFFSET).groupby("mmsi")["score"].max()


def naive_scores(events: pd.DataFrame, *, min_gap_h: float = 6.0) -> pd.Series:
    """Baseline: every gap longer than ``min_gap_h``, vessels ranked by their longest gap."""
    g = events[(events["event_type"] == "gap") & (events["duration_h"] > min_gap_h)]
    return g.groupby("mmsi")["duration_h"].max()


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
    out = {"average_precision": float(average_precision_score(y, s)) if y.any() else float("nan"),
           "positives": int(y.sum()), "vessels": int(len(y))}
    for k in ks:
        out[f"precision_at_{k}"] = float(ranked[:k].mean()) if len(ranked) else float("nan")
    pos_ranks = np.flatnonzero(ranked) + 1
    out["ranks_of_anomalous"] = pos_ranks.tolist()
    return out


def dark_vessel_ranks(scores: pd.Series, truth: dict) -> list[int | None]:
    """Rank (1 = first) of each dark-voyage vessel in a score ranking; None when not ranked."""
    dark = _anomalies(truth, "dark_voyage")
    order = scores.sort_values(ascending=False, kind="stable")
    rank = {m: i + 1 for i, m in enumerate(order.index)}
    return [rank.get(m) for m in dark["mmsi"]] if len(dark) else []


def evaluate(results_dir: str | Path, truth: dict | str | Path) -> dict:
    """Read a results folder written by ``vesseltrack score`` and report against the truth."""
    results_dir = Path(results_dir)
    if not isinstance(truth, dict):
        truth = load_truth(truth)
    try:
        alerts = pd.read_csv(results_dir / "alerts.csv")
        events = pd.read_csv(results_dir / "events.csv", parse_dates=["start_time", "end_time"])
    except OSError as err:
        raise InputError(f"{results_dir}: cannot read results ({err}); expected a folder written by 'vesseltrack score --out'; run score first") from err
    ours = vessel_scores(alerts)
    naive = naive_scores(events)
    recall, found, total = dark_gap_recall(events, truth)
    return {
        "dark_voyages": total,
        "gap_recall": recall,
        "gap_found": found,
        "ours": {**ranking_metrics(ours, truth), "dark_vessel_ranks": dark_vessel_ranks(ours, truth)},
        "naive_baseline": {**ranking_metrics(naive, truth), "dark_vessel_ranks": dark_vessel_ranks(naive, truth)},
    }
