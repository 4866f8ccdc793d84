"""Make a benchmark store: N bulk positions generated chunk by chunk straight into a store (never all in memory).

    python benchmarks/make_store.py --positions 100000000 --out benchmarks/data/store_bulk_100M
    python benchmarks/make_store.py --positions 10000000 --out benchmarks/data/store_bulk_10M --buckets 64 \\
        --chunk-rows 2000000 --jobs 2

The rows come from ``scenarios.generate_bulk_chunks`` (one continuous dataset: same fleet, continuing
clock; default vessels min(60000, N / 2000); same seed, same data, whatever ``--chunk-rows``) and are
written by ``store.write_frames`` (the store ``vesseltrack ingest`` would write from the same tables as
files). Prints the time, the rate, the peak RSS (this process, and the largest of its worker processes
when ``--jobs`` > 1) and the store's bytes per position. benchmarks/data/ is git-ignored.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from vesseltrack import store
from vesseltrack.scenarios import generate_bulk_chunks


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--positions", type=int, required=True, help="number of positions, e.g. 100000000")
    ap.add_argument("--out", type=Path, required=True, help="the store folder (new, or a store to add to)")
    ap.add_argument("--buckets", type=int, default=store.DEFAULT_BUCKETS, help="vessel buckets of a new store")
    ap.add_argument("--chunk-rows", type=int, default=2_000_000, help="rows generated and staged at a time")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vessels", type=int, default=None, help="number of vessels (default: min(60000, N / 2000))")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes merging the buckets")
    args = ap.parse_args(argv)

    chunks = generate_bulk_chunks(args.positions, seed=args.seed, n_vessels=args.vessels, chunk_rows=args.chunk_rows)
    vessels = args.vessels or max(1, min(60_000, args.positions // 2_000))
    source = f"scenarios.generate_bulk_chunks(n_positions={args.positions}, seed={args.seed}, n_vessels={vessels})"
    t0 = time.perf_counter()
    report = store.write_frames(chunks, args.out, source=source, n_buckets=args.buckets, jobs=args.jobs,
                                progress=lambda msg: print(f"[{time.perf_counter() - t0:7.1f} s] {msg}", flush=True))
    seconds = time.perf_counter() - t0
    if report.already:
        print(f"{args.out} already holds {source}; nothing to do")
        return
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    totals = report.manifest["totals"]
    n = report.added_rows["rows_kept"]
    print(f"wrote {n:,} positions of {totals['vessels']:,} vessels into {args.out} ({len(report.manifest['buckets'])} "
          f"buckets) in {seconds:,.1f} s: {n / seconds:,.0f} positions/s, {n / cpu:,.0f} per CPU-second")
    print(f"peak RSS {me.ru_maxrss / 2**20:.2f} GB (this process), {kids.ru_maxrss / 2**20:.2f} GB (largest worker); "
          f"store {totals['bytes'] / 1e6:,.1f} MB, {totals['bytes'] / totals['positions']:.1f} bytes/position")


if __name__ == "__main__":
    main()
