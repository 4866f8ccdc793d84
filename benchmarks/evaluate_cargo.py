"""Evaluate cargo estimates (cargo.csv) against the true cargo operations of generated scenarios.

    python benchmarks/evaluate_cargo.py                   # held-out seeds 801..810
    python benchmarks/evaluate_cargo.py --seeds 1 2 3 --json

For each seed: ``vesseltrack.scenarios.generate(seed)`` -> MarineCadastre CSV (draught written to
0.1 m, as MarineCadastre does) -> the full ``score`` pipeline -> ``evaluate.match_cargo`` against
``truth["cargo_ops"]``: each true operation (a load or discharge at a port, in a ship-to-ship
transfer or in a dark window, with the tonnage its true draught change and hull displace, and the
draught its crew reported: promptly, late, roughly or never) is matched to the estimate of the same
ship and direction whose event overlaps it. Reports, per seed and pooled over seeds:

- how many true operations got an estimate, overall and per crew habit (a crew that never updates
  the draught leaves nothing to estimate from: vesseltrack says so instead of guessing);
- the absolute percentage error of the central estimate (median, 90th percentile);
- coverage: the share of estimated operations whose true tonnage lies in the low-high range;
- spurious estimates (draught-based operations that match no true operation);
- what the analyst's question turns on: tonnes tankers delivered to North Korean ports, the truth
  against the sum of the trips counted towards the UN cap (``to_dprk``, draught basis).

Seeds 801..810 were never used while building the estimator (it was written from the naval
architecture, before the first scenario was scored; development used seeds 1..5).
"""

from __future__ import annotations

import argparse
import json
import tempfile

import numpy as np
import pandas as pd

from vesseltrack import pipeline, scenarios, zones
from vesseltrack.evaluate import cargo_metrics, match_cargo


def to_north_korea(cargo: pd.DataFrame, truth: dict, kp_ports: set[str]) -> dict:
    """Tonnes tankers delivered to North Korean ports: the truth (discharges at those ports) and the
    estimate (counted tanker trips with ``to_dprk``, draught basis), with trip counts."""
    ops = pd.DataFrame(truth.get("cargo_ops", []))
    tankers = {int(v["mmsi"]) for v in truth.get("vessels", []) if 80 <= (v.get("vessel_type") or 0) <= 89}
    t = ops[(ops["kind"] == "discharge") & ops["port"].isin(kp_ports) & ops["mmsi"].isin(tankers)] if len(ops) else ops
    e = cargo[cargo["counted"].fillna(False).astype(bool) & cargo["to_dprk"].fillna(False).astype(bool)
              & (cargo["population"] == "tanker") & (cargo["basis"] == "draught")]
    return {"true_trips": len(t), "true_tonnes": float(t["true_tonnes"].sum()) if len(t) else 0.0,
            "est_trips": len(e), "est_tonnes_low": float(e["tonnes_low"].sum()),
            "est_tonnes_central": float(e["tonnes_central"].sum()), "est_tonnes_high": float(e["tonnes_high"].sum())}


def one(seed: int) -> tuple[dict, pd.DataFrame, int]:
    sc = scenarios.generate(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = scenarios.write(sc, tmp, fmt="csv")[0]
        result = pipeline.run([path], pipeline.Config())
    cargo = result.cargo
    z = zones.build_gazetteer().zones
    kp = to_north_korea(cargo, sc.truth, set(z.loc[z["country"] == "KP", "port"]))
    return ({**cargo_metrics(cargo, sc.truth), "to_north_korea": kp}, match_cargo(cargo, sc.truth),
            int((cargo["basis"] == "draught").sum()))


def pooled(matches: pd.DataFrame, n_draught: int) -> dict:
    hit = matches["est_tonnes_central"].notna().to_numpy()
    true = matches["true_tonnes"].to_numpy(dtype=float)
    ape = np.abs(matches["est_tonnes_central"].to_numpy(dtype=float) - true) / true
    inside = (matches["est_tonnes_low"].to_numpy(dtype=float) <= true) & (
        true <= matches["est_tonnes_high"].to_numpy(dtype=float))
    crew = {str(k): f"{int(g['est_tonnes_central'].notna().sum())}/{len(g)}"
            for k, g in matches.groupby("crew", sort=True)}
    where = {str(k): f"{int(g['est_tonnes_central'].notna().sum())}/{len(g)}"
             for k, g in matches.groupby("where", sort=True)}
    return {"operations": len(matches), "estimated": int(hit.sum()),
            "ape_median": float(np.median(ape[hit])), "ape_p90": float(np.quantile(ape[hit], 0.9)),
            "coverage": float(inside[hit].mean()),
            "spurious": n_draught - int(matches.loc[hit, "est_op_id"].nunique()),
            "estimated_by_crew": crew, "estimated_by_where": where}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=list(range(801, 811)))
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args()
    per_seed, all_matches, n_draught = {}, [], 0
    for seed in args.seeds:
        metrics, matches, n = one(seed)
        per_seed[seed] = metrics
        all_matches.append(matches)
        n_draught += n
        if not args.json:
            print(f"seed {seed}: {metrics['estimated']}/{metrics['operations']} estimated, APE median "
                  f"{metrics['ape_median']:.1%}, p90 {metrics['ape_p90']:.1%}, coverage {metrics['coverage']:.0%}, "
                  f"{metrics['spurious']} spurious", flush=True)
    report = {"seeds": args.seeds, "pooled": pooled(pd.concat(all_matches, ignore_index=True), n_draught),
              "per_seed": per_seed}
    kp = pd.DataFrame([m["to_north_korea"] for m in per_seed.values()]).sum()
    report["pooled"]["to_north_korea"] = {k: float(v) for k, v in kp.items()}
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        p = report["pooled"]
        print(f"pooled: {p['estimated']}/{p['operations']} operations estimated; APE median {p['ape_median']:.1%}, "
              f"p90 {p['ape_p90']:.1%}; true tonnage inside low-high: {p['coverage']:.0%}; {p['spurious']} spurious")
        print(f"estimated by crew habit: {p['estimated_by_crew']}; by where: {p['estimated_by_where']}")
        k = p["to_north_korea"]
        print(f"tanker deliveries to North Korean ports: truth {k['true_trips']:.0f} trips, {k['true_tonnes']:,.0f} t; "
              f"estimated {k['est_trips']:.0f} trips, {k['est_tonnes_low']:,.0f}-{k['est_tonnes_high']:,.0f} t "
              f"(central {k['est_tonnes_central']:,.0f} t)")


if __name__ == "__main__":
    main()
