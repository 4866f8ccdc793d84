"""End-to-end benchmark: positions per second and peak memory of `vesseltrack score`'s pipeline.

    python benchmarks/bench_pipeline.py                 # 1M and 10M positions, Parquet and CSV
    python benchmarks/bench_pipeline.py --sizes 1000000 --formats parquet

Data comes from ``vesseltrack.scenarios.generate_bulk`` (time-ordered, interleaved vessels, all
canonical columns), written once to benchmarks/data/ (git-ignored). Each case runs in a fresh
process so that its peak RSS (``ru_maxrss``) is its own; the figure includes the Python
interpreter and imported libraries (~150 MB), which the bytes-per-position figure also carries.
Outputs are written too (the whole `score` job), to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

CHILD = r"""
import json, resource, sys, tempfile, time
from vesseltrack import export, pipeline
from vesseltrack.allocator import retain_freed_memory
retain_freed_memory()  # as the vesseltrack command does
path = sys.argv[1]
t = time.perf_counter()
stages = []
res = pipeline.run([path], progress=lambda m: stages.append((round(time.perf_counter() - t, 3), m)))
t_run = time.perf_counter() - t
with tempfile.TemporaryDirectory() as out:
    export.write_outputs(out, res.tables(), res.summary)
elapsed = time.perf_counter() - t
print(json.dumps({"positions": res.summary["positions"], "rows_read": res.summary["rows"]["rows_read"],
                  "seconds": elapsed, "seconds_without_export": t_run,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "stages": stages,
                  "voyages": len(res.voyages), "events": len(res.events), "alerts": len(res.alerts)}))
"""


def make(n: int, fmt: str) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    label = f"{n // 1_000_000}M" if n % 1_000_000 == 0 else str(n)
    path = DATA / f"bulk_{label}.{ 'parquet' if fmt == 'parquet' else 'csv'}"
    if path.exists():
        return path
    from vesseltrack.scenarios import generate_bulk, write_bulk

    write_bulk(generate_bulk(n, seed=0), path, fmt=fmt)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--formats", nargs="+", default=["parquet", "csv"], choices=["parquet", "csv"])
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the fastest is reported")
    args = ap.parse_args()
    print(f"{'format':8} {'positions':>11} {'seconds':>8} {'pos/s':>11} {'peak MB':>8} {'B/pos':>6}  stages")
    for fmt in args.formats:
        for n in args.sizes:
            path = make(n, fmt)
            best = None
            for _ in range(args.repeat):
                proc = subprocess.run(
                    [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
                )
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                if best is None or r["seconds"] < best["seconds"]:
                    best = r
            r = best
            stages = " | ".join(f"{t:.1f}s {m.split(':')[0]}" for t, m in r["stages"] if not m.startswith("read "))
            print(f"{fmt:8} {r['positions']:>11,} {r['seconds']:>8.2f} {r['positions'] / r['seconds']:>11,.0f} "
                  f"{r['peak_rss'] / 1e6:>8.0f} {r['peak_rss'] / r['positions']:>6.0f}  {stages}", flush=True)


if __name__ == "__main__":
    main()
