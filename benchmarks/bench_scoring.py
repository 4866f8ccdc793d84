"""Benchmark of the voyage scorer: fit, score and explain 100k and 1M voyages.

    python benchmarks/bench_scoring.py                        # 100k and 1M rows
    python benchmarks/bench_scoring.py --sizes 100000 --contrib-budget 600

The feature table is realistic rather than uniform noise: the bundled sample scenario
(data/samples/sea_of_japan.csv.gz) is run through the pipeline once, and its voyages' raw features
(schema.VOYAGE_FEATURES) are resampled with replacement to the wanted size, every continuous
feature multiplied by log-normal noise (sigma 0.2; fractions clipped to [0, 1], sensitive-port
distances capped), counts and flags kept; then ``features.voyage_matrix`` as in the pipeline. So the
sparsity of the event features (most voyages have no encounter, loitering or spoofing) is real.

Each size runs in a fresh process, so its peak RSS (``ru_maxrss``, interpreter and libraries
included, ~150-200 MB) is its own; the figure is read after each phase (it only grows).
Timed separately: ``IsolationScorer.fit`` (200 trees, the pipeline's default, with the pipeline's
one-sided features and evidence), ``score_samples`` and ``contributions``, which re-scores, for each
feature, only the rows whose value differs from the reference median (for the others occlusion
changes nothing and the contribution is exactly 0). Compared, in the same run, with the former
dense method (every row re-scored once per feature: 20 + 1 passes), which is checked to give the
same result. When the dense method is predicted to exceed ``--contrib-budget`` seconds (from the
score time x passes), it is timed on the first 100k rows and extrapolated linearly, and the table
says so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "sea_of_japan.csv.gz"

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
from vesseltrack import features, pipeline, schema
from vesseltrack.scoring import IsolationScorer

n, budget, sample = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

def contributions_dense(scorer, X):
    # the former IsolationScorer.contributions: every row re-scored once per feature
    A = np.maximum(X.to_numpy(dtype=float), scorer.floors_)
    base = scorer._score(A)
    out = np.empty_like(A)
    for j in range(A.shape[1]):
        B = A.copy()
        B[:, j] = scorer.reference_[j]
        out[:, j] = base - scorer._score(B)
    return pd.DataFrame(out, columns=list(scorer.feature_names_in_), index=X.index)

base = pipeline.run([sample]).voyages
raw = base[[c.name for c in schema.VOYAGE_FEATURES]]
rng = np.random.default_rng(0)
t = time.perf_counter()
feat = raw.iloc[rng.integers(0, len(raw), n)].reset_index(drop=True)
for c in schema.VOYAGE_FEATURES:
    if c.dtype == "float64":
        feat[c.name] = feat[c.name] * rng.lognormal(0.0, 0.2, n)
feat["dark_fraction"] = feat["dark_fraction"].clip(0.0, 1.0)
feat["gap_near_sensitive_km"] = feat["gap_near_sensitive_km"].clip(upper=features.FAR_KM)
X = features.voyage_matrix(feat)
out = {
    "rows": n,
    "features": X.shape[1],
    "base_voyages": len(raw),
    "build_s": time.perf_counter() - t,
    "rss_table": rss(),
}

scorer = IsolationScorer(one_sided=features.VOYAGE_ONE_SIDED, evidence=features.VOYAGE_EVIDENCE)
t = time.perf_counter(); scorer.fit(X); out["fit_s"] = time.perf_counter() - t; out["rss_fit"] = rss()
t = time.perf_counter(); s = scorer.score_samples(X); out["score_s"] = time.perf_counter() - t; out["rss_score"] = rss()
out["passes"] = X.shape[1] + 1
t = time.perf_counter()
C = scorer.contributions(X)
out["contrib_s"] = time.perf_counter() - t
out["rss_contrib"] = rss()
out["rows_rescored_share"] = float(np.mean(np.maximum(X.to_numpy(), scorer.floors_) != scorer.reference_))
m = min(n, 100_000)
Xc = X.iloc[:m] if out["score_s"] * out["passes"] > budget and n > m else X
out["dense_rows_timed"] = len(Xc)
t = time.perf_counter(); D = contributions_dense(scorer, Xc); el = time.perf_counter() - t
out["dense_s"] = el * n / len(Xc)
out["dense_max_abs_diff"] = float(np.abs(C.to_numpy()[: len(Xc)] - D.to_numpy()).max())
out["rss_peak"] = rss()
print(json.dumps(out))
"""


def run_case(n: int, budget: float) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(budget), str(SAMPLE)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"rows={n}: child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--contrib-budget", type=float, default=120.0,
                    help="seconds beyond which contributions are timed on 100k rows and extrapolated (default 120)")
    args = ap.parse_args()
    mb = 1024 * 1024
    rows = [run_case(n, args.contrib_budget) for n in args.sizes]
    print(f"voyage scorer: 200 trees, max_samples=64; features resampled from the sample's "
          f"{rows[0]['base_voyages']} voyages with noise; {rows[0]['features']} features\n")
    print(f"{'rows':>9} {'fit s':>6} {'score s':>8} {'score rows/s':>12} {'contrib s':>10} {'contrib rows/s':>14} "
          f"{'dense s':>9} {'rescored':>8}  {'RSS table':>9} {'fit':>6} {'score':>6} {'contrib':>7} MB")
    for r in rows:
        est = "*" if r["dense_rows_timed"] < r["rows"] else " "
        print(f"{r['rows']:>9,} {r['fit_s']:>6.2f} {r['score_s']:>8.2f} {r['rows'] / r['score_s']:>12,.0f} "
              f"{r['contrib_s']:>10.1f} {r['rows'] / r['contrib_s']:>14,.0f} {r['dense_s']:>8.1f}{est} "
              f"{r['rows_rescored_share']:>8.0%}  {r['rss_table'] / mb:>9.0f} {r['rss_fit'] / mb:>6.0f} "
              f"{r['rss_score'] / mb:>6.0f} {r['rss_contrib'] / mb:>7.0f}")
    print(
        "contrib s: IsolationScorer.contributions, which re-scores, per feature, only the rows whose value differs "
        "from the reference median (rescored: share of (row, feature) cells); dense s: every row re-scored per feature "
        "(the former method), max abs difference " + ", ".join(f"{r['dense_max_abs_diff']:.1e}" for r in rows)
    )
    if any(r["dense_rows_timed"] < r["rows"] for r in rows):
        print("* dense predicted over the budget: timed on the first 100,000 rows and extrapolated linearly")

if __name__ == "__main__":
    main()
