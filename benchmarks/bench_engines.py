"""Local vs Dask engine on the same bulk data: seconds per run, interleaved (A B A B ...), medians.

    python benchmarks/bench_engines.py                        # 1M positions, 2 workers, 2 rounds
    python benchmarks/bench_engines.py --size 10000000 --workers 2 --rounds 3
    python benchmarks/bench_engines.py --store --buckets 16   # both engines score a store of the same data

Data comes from ``vesseltrack.scenarios.generate_bulk`` (as bench_pipeline.py; written once to
benchmarks/data/). Each run is a fresh process (with the memory setting of the vesseltrack command,
vesseltrack.allocator) calling ``pipeline.run`` with the engine (the Dask
run includes starting its LocalCluster of ``--workers`` single-threaded worker processes) and
writing the outputs; the Dask run's files are compared with the local run's (``identical``).
With ``--store``, the data is first ingested (once, untimed) into a store of ``--buckets`` vessel
buckets under benchmarks/data/, and both engines score that store: the Dask engine then reads its
buckets (grouped into tasks, dask_engine.bucket_groups) on its workers instead of reading the file
here and sending the partitions out.
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
from vesseltrack.allocator import retain_freed_memory
retain_freed_memory()  # as the vesseltrack command does (in this process; Dask's workers run without it)
path, engine, workers, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
if __name__ == "__main__":
    t = time.perf_counter()
    kw = {"workers": workers} if engine == "dask" else {}
    res = pipeline.run([path], engine=engine, **kw)
    export.write_outputs(out, res.tables(), res.summary)
    print(json.dumps({"seconds": time.perf_counter() - t, "positions": res.summary["positions"]}))
"""

FILES = ("alerts.csv", "events.csv", "voyages.csv", "summary.json", "stop_areas.csv", "cargo.csv")


def make_store(path: Path, buckets: int) -> Path:
    """A store of ``buckets`` vessel buckets holding the positions of ``path``, ingested once."""
    from vesseltrack import store

    root = path.with_name(f"store_{path.stem}_{buckets}b")
    if not store.is_store(root):
        store.ingest([path], root, n_buckets=buckets)
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--out", default="/tmp/vesseltrack_bench_engines")
    ap.add_argument("--store", action="store_true", help="score a store of the data (ingested once, untimed)")
    ap.add_argument("--buckets", type=int, default=16, help="vessel buckets of that store (default: 16)")
    args = ap.parse_args()
    path = make(args.size, "parquet")
    if args.store:
        path = make_store(path, args.buckets)
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
    print(json.dumps({"size": args.size, "workers": args.workers, "rounds": args.rounds,
                      "input": "store" if args.store else "parquet", "seconds": times,
                      "median_s": med, "ratio_dask_over_local": med["dask"] / med["local"],
                      "identical_files": identical}))


if __name__ == "__main__":
    main()
