"""Local vs Dask engine on the same bulk data: seconds per run, interleaved (A B A B ...), medians.

    python benchmarks/bench_engines.py                        # 1M positions, 2 workers, 2 rounds
    python benchmarks/bench_engines.py --size 10000000 --workers 2 --rounds 3
    python benchmarks/bench_engines.py --store --buckets 16   # both engines score a store of the same data
    python benchmarks/bench_engines.py --store-path benchmarks/data/store_bulk_100M --engines dask --rounds 1

Data comes from ``vesseltrack.scenarios.generate_bulk`` (as bench_pipeline.py; written once to
benchmarks/data/). Each run is a fresh process (with the memory setting of the vesseltrack command,
vesseltrack.allocator) calling ``pipeline.run`` with the engine (the Dask
run includes starting its LocalCluster of ``--workers`` single-threaded worker processes) and
writing the outputs; the Dask run's files are compared with the local run's (``identical``).
With ``--store``, the data is first ingested (once, untimed) into a store of ``--buckets`` vessel
buckets under benchmarks/data/, and both engines score that store: the Dask engine then reads its
buckets (grouped into tasks, dask_engine.bucket_groups) on its workers instead of reading the file
here and sending the partitions out. Each run reports its peak memory: the resident memory of
its process and all their children (Dask's scheduler, nannies and workers) summed, sampled every
0.1 s. ``--keep`` is what the Dask engine keeps of the positions (pipeline.run ``keep``; "none",
as ``vesseltrack score`` without --map or --case-files, is what keeps it out of core).
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
import json, sys, threading, time
import psutil
from vesseltrack import export, pipeline
from vesseltrack.allocator import retain_freed_memory
retain_freed_memory()  # as the vesseltrack command does (in this process; Dask's workers run without it)
path, engine, workers, out, keep = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
peak = [0]
each = {}


def watch():  # resident memory of this process and all its children (Dask's scheduler, nannies, workers), summed
    me = psutil.Process()
    while True:
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                rss = p.memory_info().rss
            except psutil.Error:
                continue
            total += rss
            each[p.pid] = max(each.get(p.pid, 0), rss)
        peak[0] = max(peak[0], total)
        time.sleep(0.1)


if __name__ == "__main__":
    threading.Thread(target=watch, daemon=True).start()
    t = time.perf_counter()
    kw = {"workers": workers, "keep": keep} if engine == "dask" else {}
    res = pipeline.run([path], engine=engine, **kw)
    export.write_outputs(out, res.tables(), res.summary)
    print(json.dumps({"seconds": time.perf_counter() - t, "positions": res.summary["positions"],
                      "peak_rss_gb": peak[0] / 1e9,
                      "largest_process_peaks_gb": sorted((round(v / 1e9, 2) for v in each.values()),
                                                         reverse=True)[:4]}))
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
    ap.add_argument("--store-path", type=Path, help="score this existing store instead (e.g. from make_store.py)")
    ap.add_argument("--keep", default="none", choices=["all", "shown", "none"],
                    help="positions the Dask engine keeps (pipeline.run keep=; default none, as score without --map)")
    ap.add_argument("--engines", default="local,dask", help="engines to run, in this order each round")
    args = ap.parse_args()
    if args.store_path:
        path = args.store_path
    else:
        path = make(args.size, "parquet")
        if args.store:
            path = make_store(path, args.buckets)
    engines = args.engines.split(",")
    times: dict[str, list[float]] = {e: [] for e in engines}
    peaks: dict[str, list[float]] = {e: [] for e in engines}
    identical = True
    positions = 0
    for r in range(args.rounds):
        for engine in engines:
            out = Path(args.out) / f"{engine}{r}"
            got = subprocess.run([sys.executable, "-c", CHILD, str(path), engine, str(args.workers), str(out),
                                  args.keep], capture_output=True, text=True)
            if got.returncode:
                sys.exit(f"round {r} {engine} failed (exit {got.returncode}):\n{got.stderr[-3000:]}")
            rec = json.loads(got.stdout.strip().splitlines()[-1])
            times[engine].append(rec["seconds"])
            peaks[engine].append(rec["peak_rss_gb"])
            positions = rec["positions"]
            print(f"round {r} {engine}: {rec['seconds']:.1f} s, peak {rec['peak_rss_gb']:.2f} GB of all processes "
                  f"(largest process peaks {rec['largest_process_peaks_gb']} GB; {positions:,} positions, "
                  f"{positions / rec['seconds']:,.0f} positions/s)", flush=True)
        if len(engines) == 2:
            a, b = Path(args.out) / f"{engines[0]}{r}", Path(args.out) / f"{engines[1]}{r}"
            identical &= all((a / f).read_bytes() == (b / f).read_bytes() for f in FILES)
    med = {k: statistics.median(v) for k, v in times.items()}
    summary = {"positions": positions, "workers": args.workers, "rounds": args.rounds, "keep": args.keep,
               "input": "store" if args.store or args.store_path else "parquet", "seconds": times,
               "median_s": med, "positions_per_s": {k: positions / v for k, v in med.items()},
               "peak_rss_gb": {k: max(v) for k, v in peaks.items()}}
    if len(engines) == 2:
        summary.update(ratio=med[engines[1]] / med[engines[0]], identical_files=identical)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
