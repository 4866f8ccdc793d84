"""Local vs Dask engine on the same bulk data: seconds per run, interleaved (A B A B ...), medians.

    python benchmarks/bench_engines.py                        # 1M positions, 2 workers, 2 rounds
    python benchmarks/bench_engines.py --size 10000000 --workers 2 --rounds 3

Data comes from ``vesseltrack.scenarios.generate_bulk`` (as bench_pipeline.py; written once to
benchmarks/data/). Each run is a fresh process calling ``pipeline.run`` with the engine (the Dask
run includes starting its LocalCluster of ``--workers`` single-threaded worker processes) and
writing the outputs; the Dask run's files are compared with the local run's (``identical``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_pipeline import make

CHILD = r"""
import json, sys, time
from vesseltrack import export, pipeline
path, engine, workers, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if __name__ == "__main__":
    t = time.perf_counter()
    kw = {"workers": workers} if engine == "dask" else {}
    res = pipeline.run([path], engine=engine, **kw)
    export.write_outputs(out, res.tables(), res.summary)
    print(json.dumps({"seconds": time.perf_counter() - t, "positions": res.summary["positions"]}))
"""

FILES = ("alerts.csv", "events.csv", "voyages.csv", "summary.json", "stop_areas.csv", "cargo.csv")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", default="/tmp/vesseltrack_bench_engines")
    args = ap.parse_args()
    path = make(args.size, "parquet")
    times: dict[str, list[float]] = {"local": [], "dask": []}
    identical = True
    for r in range(args.rounds):
        for engine in ("local", "dask"):
            out = Path(args.out) / f"{engine}{r}"
            got = subprocess.run([sys.executable, "-c", CHILD, str(path), engine, str(args.workers), str(out)],
                                 check=True, capture_output=True, text=True)
            rec = json.loads(got.stdout.strip().splitlines()[-1])
            times[engine].append(rec["seconds"])
            print(f"round {r} {engine}: {rec['seconds']:.1f} s ({rec['positions']:,} positions)", flush=True)
        a, b = Path(args.out) / f"local{r}", Path(args.out) / f"dask{r}"
        identical &= all((a / f).read_bytes() == (b / f).read_bytes() for f in FILES)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({"size": args.size, "workers": args.workers, "rounds": args.rounds, "seconds": times,
                      "median_s": med, "ratio_dask_over_local": med["dask"] / med["local"],
                      "identical_files": identical}))


if __name__ == "__main__":
    main()
