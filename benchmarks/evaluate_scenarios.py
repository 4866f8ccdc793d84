"""Evaluate detection and ranking on generated scenarios with known truth, against two baselines.

    python benchmarks/evaluate_scenarios.py                      # seeds 101..105
    python benchmarks/evaluate_scenarios.py --seeds 201 202 --json
    python benchmarks/evaluate_scenarios.py --no-nuisances       # without the harbour-life nuisances

For each seed: ``vesseltrack.scenarios.generate(seed)`` -> MarineCadastre CSV -> the full
``score`` pipeline -> ``vesseltrack.evaluate``. Reports, per seed and on average:

- recall of gap events over the injected dark voyages, and precision / recall of the gaps flagged
  ``likely_dark``;
- per anomaly type, recall and precision of the events meant to catch it
  (``evaluate.event_metrics``), per seed, pooled over seeds and as the mean of the seeds;
- vessel-ranking average precision and precision@5/@10, and the ranks of the dark vessels, for
  vesseltrack's alerts, the naive baseline (every gap over 6 h, ranked by the longest) and the
  rules-only baseline (untuned points per kind of event, ``evaluate.rules_scores``);
- false alarms from everyday harbour life (``truth["nuisances"]``: harbour craft switching AIS off
  at their berth, a marina, ferries at adjacent berths, ships at anchor, censored ends, a
  high-speed craft): alerts on nuisance vessels by kind (``evaluate.nuisance_alerts``) and the
  share of the top 20 alerts whose vessel is a true anomaly vessel (``alert_precision_top20``);
  ``--no-nuisances`` generates the scenarios without them, as before they existed;
- which model features carry the top of the voyage ranking: the mean positive occlusion
  contribution of each feature over the ``--top-k`` highest-scored voyages, and the share of
  those voyages that list it among their top-3 reasons, averaged over the seeds
  (``evaluate.feature_importance``, with the very forest the run scored with).

The development seeds (1..30, on which scoring designs were chosen) and the bundled sample's seed
(2024) are not among the default seeds, and nothing was tuned on these seeds. Takes about 5-10 s
per seed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from vesseltrack import export, features, pipeline, scenarios
from vesseltrack.evaluate import NUISANCE_KINDS, evaluate, feature_importance
from vesseltrack.scoring import fit_scorer

RANKINGS = (("ours", "ours"), ("naive", "naive_baseline"), ("rules", "rules_baseline"))
UNLISTED_RANK = 99


def one(seed: int, config: pipeline.Config, top_k: int, nuisances: bool = True) -> tuple[dict, pd.DataFrame]:
    """(evaluate() report, feature importance) of one generated scenario."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sc = scenarios.generate(seed, nuisances=nuisances)
        files = scenarios.write(sc, tmp / "in", fmt="csv")
        csv = next(p for p in files if p.suffix == ".csv")
        res = pipeline.run([csv], config)
        export.write_outputs(tmp / "out", res.tables(), res.summary)
        report = evaluate(tmp / "out", sc.truth)
    # the run scored the batch against itself: the same seed and trees rebuild its forest exactly
    X = features.voyage_matrix(res.voyages)
    scorer = fit_scorer(
        X,
        random_state=config.random_state,
        n_estimators=config.n_estimators,
        one_sided=features.VOYAGE_ONE_SIDED,
        evidence=features.VOYAGE_EVIDENCE,
    )
    if scorer is not None and not np.allclose(scorer.score_samples(X), res.voyages["score"].to_numpy(dtype=float)):
        raise RuntimeError(f"seed {seed}: the refitted voyage scorer does not reproduce the run's scores")
    return report, feature_importance(res.voyages, scorer, top_k=top_k)


def _mean_rank(ranks: list[int | None]) -> float:
    return float(np.mean([r if r is not None else UNLISTED_RANK for r in ranks])) if ranks else float("nan")


def _f(x: float, spec: str = ".2f") -> str:
    return "   -" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)


def print_ranking(reports: dict[int, dict]) -> None:
    print("== gaps and vessel ranking (ours / naive / rules-only) ==")
    print(f"{'seed':>4} {'dark':>4} {'gap R':>5} {'ldark P':>7} {'ldark R':>7}   {'AP o/n/r':<17}  {'P@5 o/n/r':<14}  "
          f"{'P@10 o/n/r':<14}  dark ranks ours | naive | rules")
    rows = []
    for s, r in reports.items():
        ld = r["events"]["dark_voyage_likely_dark"]
        ap = [r[k]["average_precision"] for _, k in RANKINGS]
        p5 = [r[k]["precision_at_5"] for _, k in RANKINGS]
        p10 = [r[k]["precision_at_10"] for _, k in RANKINGS]
        ranks = [r[k]["dark_vessel_ranks"] for _, k in RANKINGS]
        print(
            f"{s:>4} {r['dark_voyages']:>4} {_f(r['gap_recall']):>5} {_f(ld['precision']):>7} {_f(ld['recall']):>7}   "
            f"{'/'.join(_f(x, '.3f') for x in ap):<17}  {'/'.join(_f(x) for x in p5):<14}  {'/'.join(_f(x) for x in p10):<14}  "  # noqa: E501
            + " | ".join(str(x) for x in ranks)
        )
        rows.append([r["gap_recall"], ld["precision"], ld["recall"], *ap, *p5, *p10, *(_mean_rank(x) for x in ranks)])
    m = np.nanmean(np.array(rows, dtype=float), axis=0)
    print(f"mean {'':>4} {_f(m[0]):>5} {_f(m[1]):>7} {_f(m[2]):>7}   {'/'.join(_f(x, '.3f') for x in m[3:6]):<17}  "
          f"{'/'.join(_f(x) for x in m[6:9]):<14}  {'/'.join(_f(x) for x in m[9:12]):<14}  "
          f"mean rank {' | '.join(_f(x, '.1f') for x in m[12:15])} (unlisted = {UNLISTED_RANK})")
    print()
    dvb = np.nanmean(
        np.array([[r[k]["dark_vs_benign_ap"] for _, k in RANKINGS] for r in reports.values()], dtype=float), axis=0
    )
    for i, (name, _) in enumerate(RANKINGS):
        print(
            f"mean {name:<5}: AP {m[3 + i]:.3f}  P@5 {m[6 + i]:.2f}  P@10 {m[9 + i]:.2f}  mean rank of dark vessels {m[12 + i]:.1f}"  # noqa: E501
            f"  AP dark vs benign vessels {dvb[i]:.3f}"
        )


def print_types(reports: dict[int, dict]) -> None:
    types = list(next(iter(reports.values()))["events"])
    print("\n== per anomaly type: recall (found/truth) and precision (matched/our events) ==")
    print(f"{'seed':>4} " + " ".join(f"{t[:23]:>23}" for t in types))
    for s, r in reports.items():
        cells = [f"R {_f(v['recall'])} P {_f(v['precision'])}" for v in r["events"].values()]
        print(f"{s:>4} " + " ".join(f"{c:>23}" for c in cells))
    print(f"\n{'type':<24} {'our events':<33} {'truth':>5} {'found':>5} {'recall':>6} {'events':>6} {'matched':>7} "
          f"{'precision':>9}  {'mean R':>6} {'mean P':>6}")
    for t in types:
        rows = [r["events"][t] for r in reports.values()]
        tot = {k: sum(v[k] for v in rows) for k in ("truth", "found", "events", "matched")}
        rec = tot["found"] / tot["truth"] if tot["truth"] else float("nan")
        prec = tot["matched"] / tot["events"] if tot["events"] else float("nan")
        mean_r = np.nanmean([v["recall"] for v in rows]) if any(v["truth"] for v in rows) else float("nan")
        mean_p = np.nanmean([v["precision"] for v in rows]) if any(v["events"] for v in rows) else float("nan")
        print(
            f"{t:<24} {rows[0]['our_events']:<33} {tot['truth']:>5} {tot['found']:>5} {_f(rec):>6} {tot['events']:>6} "
            f"{tot['matched']:>7} {_f(prec):>9}  {_f(mean_r):>6} {_f(mean_p):>6}"
        )
    print("(recall / precision: pooled over seeds; mean R / mean P: mean of the seeds)")


def print_nuisances(reports: dict[int, dict]) -> None:
    kinds = list(NUISANCE_KINDS)
    print(
        "\n== false alarms from harbour life: alerts on nuisance vessels (any, then by kind) and precision of the top 20 =="  # noqa: E501
    )
    print(f"{'seed':>4} {'P@20':>5} {'any':>4} " + " ".join(f"{k[:14]:>14}" for k in kinds))
    rows = []
    for s, r in reports.items():
        na = r["nuisance_alerts"]
        print(f"{s:>4} {_f(r['alert_precision_top20']):>5} {na['any']:>4} " + " ".join(f"{na[k]:>14}" for k in kinds))
        rows.append([r["alert_precision_top20"], na["any"], *(na[k] for k in kinds)])
    m = np.nanmean(np.array(rows, dtype=float), axis=0)
    print(f"mean {_f(m[0]):>5} {m[1]:>4.1f} " + " ".join(f"{x:>14.1f}" for x in m[2:]))
    print("(P@20: share of the top 20 alerts whose vessel is a true anomaly vessel; an alert counts under each kind of "
          "nuisance record of its vessel that overlaps it in time)")


def print_importance(imps: dict[int, pd.DataFrame], top_k: int) -> pd.DataFrame:
    frames = [imp.assign(seed=s) for s, imp in imps.items() if len(imp)]
    print(f"\n== features carrying the ranking: top {top_k} voyages per seed, mean over {len(frames)} seeds ==")
    if not frames:
        print("(no scorer fitted)")
        return pd.DataFrame()
    allimp = pd.concat(frames).reset_index()
    allimp["rank"] = allimp.groupby("seed")["mean_positive_contribution"].rank(ascending=False, method="min")
    table = allimp.groupby("feature").agg(mean_positive_contribution=("mean_positive_contribution", "mean"),
                                          mean_contribution=("mean_contribution", "mean"),
                                          share_in_top3=("share_in_top3", "mean"),
                                          best_rank=("rank", "min"))
    table = table.sort_values("mean_positive_contribution", ascending=False, kind="stable")
    print(f"{'feature':<28} {'mean +contrib':>13} {'mean contrib':>12} {'in top-3 reasons':>16} {'best rank':>9}")
    for f, r in table.iterrows():
        print(
            f"{f:<28} {r['mean_positive_contribution']:>13.4f} {r['mean_contribution']:>12.4f} {r['share_in_top3']:>16.2f} "  # noqa: E501
            f"{int(r['best_rank']):>9}"
        )
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104, 105])
    ap.add_argument("--gap-preset", default="gfw")
    ap.add_argument(
        "--top-k",
        type=int,
        default=20,
        help="voyages whose contributions say which features carry the ranking (default 20)",
    )
    ap.add_argument("--json", action="store_true", help="print the full reports as JSON first")
    ap.add_argument("--no-nuisances", action="store_true", help="generate the scenarios without harbour-life nuisances "
                    "(scenarios.generate(..., nuisances=False), as before they existed)")
    args = ap.parse_args()
    config = pipeline.Config(gap_preset=args.gap_preset)
    out = {s: one(s, config, args.top_k, nuisances=not args.no_nuisances) for s in args.seeds}
    reports = {s: r for s, (r, _) in out.items()}
    imps = {s: i for s, (_, i) in out.items()}
    if args.json:
        print(
            json.dumps(
                {"reports": reports, "feature_importance": {s: i.to_dict(orient="index") for s, i in imps.items()}},
                indent=2,
                default=float,
            )
        )
    print_ranking(reports)
    print_types(reports)
    print_nuisances(reports)
    print_importance(imps, args.top_k)


if __name__ == "__main__":
    main()
