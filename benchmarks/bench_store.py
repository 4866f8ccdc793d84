"""Benchmark: `vesseltrack ingest --store` rate (positions/s) from CSV and NMEA, and the store's bytes per position.

    python benchmarks/bench_store.py                        # 1M positions, CSV and NMEA, --jobs 1 and 2, 3 runs
    python benchmarks/bench_store.py --positions 200000 --repeat 1 --jobs 1
    python benchmarks/bench_store.py --what store --src before=/tmp/before/src --src after=src   # A/B two versions

Data (written once to benchmarks/data/, git-ignored) comes from ``vesseltrack.scenarios.generate_bulk``
(time-ordered, interleaved vessels, all canonical columns) cut into ``--files`` consecutive time
slices, so that ``--jobs`` has files to read in parallel:

- CSV: the MarineCadastre layout (``write_bulk(fmt="csv")``), as bench_pipeline.py writes it;
- NMEA: the same positions as AIVDM type 1 sentences behind NMEA 4.0 tag blocks (``c:`` time),
  encoded here, vectorised (position reports only: no static messages, so names and types are
  empty in the store).

Each case runs in a fresh process (so its peak RSS is its own: ``ru_maxrss`` of the process and of
its worker processes), into a fresh store. Runs are interleaved (case 1, case 2, ..., case 1, ...)
and the median is reported, wall clock and CPU time (the process's and its workers': on a shared
machine the CPU time is the steadier figure). The reference a user would otherwise run is ``ingest.load`` (what
``score`` does with the raw files before analysing them), timed the same way on the same files.

``--src NAME=DIR`` (repeatable) runs every case with ``PYTHONPATH=DIR`` for each version, interleaved
(A B A B ...): to compare two versions of vesseltrack (e.g. a ``git archive`` of the previous commit's
``src``) on the same data, in the same conditions. Without it, the child processes use this one's path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"

CHILD = r"""
import json, resource, sys, tempfile, time
from vesseltrack.allocator import retain_freed_memory
retain_freed_memory()  # as the vesseltrack command does
what, jobs, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
t = time.perf_counter()
if what == "store":
    from vesseltrack import store
    with tempfile.TemporaryDirectory() as d:
        report = store.ingest(files, d + "/store", jobs=jobs)
        seconds = time.perf_counter() - t
        m = report.manifest
        out = {"positions": m["totals"]["positions"], "rows_read": m["rows"]["rows_read"],
               "bytes": m["totals"]["bytes"], "buckets": len(m["buckets"]), "vessels": m["totals"]["vessels"]}
else:
    from vesseltrack import ingest
    got = ingest.load(files)
    seconds = time.perf_counter() - t
    out = {"positions": len(got.positions), "rows_read": got.counts["rows_read"]}
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps({**out, "seconds": seconds, "cpu_seconds": cpu, "peak_rss": max(me.ru_maxrss, kids.ru_maxrss) * 1024}))
"""


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else str(n)


def _checksums(rows: np.ndarray) -> np.ndarray:
    """NMEA checksum (XOR of the bytes) of each row of a (n, width) uint8 array."""
    return np.bitwise_xor.reduce(rows, axis=1) if rows.shape[1] else np.zeros(len(rows), np.uint8)


def _hex(x: np.ndarray) -> np.ndarray:
    digits = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
    return np.stack([digits[x >> 4], digits[x & 15]], axis=1)


def encode_type1(positions) -> bytes:
    """The positions as tag-blocked AIVDM type 1 sentences, one a line (vectorised)."""
    n = len(positions)
    ts = positions["timestamp"].array.asi8 // 1_000_000_000

    def num(col: str, scale: float, missing: int) -> np.ndarray:
        v = positions[col].to_numpy(dtype=np.float64, na_value=np.nan)
        return np.where(np.isnan(v), missing, np.round(np.nan_to_num(v) * scale)).astype(np.int64)

    fields = [
        (np.full(n, 1), 6), (np.zeros(n), 2), (positions["mmsi"].to_numpy(), 30), (num("nav_status", 1, 15), 4),
        (np.full(n, -128), 8), (num("sog_kn", 10, 1023), 10), (np.zeros(n), 1),
        (num("lon", 600_000, 181 * 600_000), 28), (num("lat", 600_000, 91 * 600_000), 27),
        (num("cog_deg", 10, 3600), 12), (num("heading_deg", 1, 511), 9),
        (ts % 60, 6), (np.zeros(n), 2), (np.zeros(n), 3), (np.zeros(n), 1), (np.zeros(n), 19),
    ]
    bits = np.zeros((n, 168), dtype=np.uint8)
    pos = 0
    for values, width in fields:
        v = np.asarray(values).astype(np.int64) & ((1 << width) - 1)
        for k in range(width):
            bits[:, pos + k] = (v >> (width - 1 - k)) & 1
        pos += width
    six = bits.reshape(n, 28, 6) @ np.array([32, 16, 8, 4, 2, 1], dtype=np.uint8)
    payload = np.where(six < 40, six + 48, six + 56).astype(np.uint8)
    head, tail = np.frombuffer(b"AIVDM,1,1,,A,", np.uint8), np.frombuffer(b",0", np.uint8)
    body = np.hstack([np.broadcast_to(head, (n, len(head))), payload, np.broadcast_to(tail, (n, 2))])
    tags = np.char.encode(np.char.add("s:bench,c:", ts.astype("U10")), "ascii")
    tag = np.frombuffer(tags.tobytes(), np.uint8).reshape(n, -1)
    line = np.hstack([
        np.full((n, 1), ord("\\"), np.uint8), tag, np.full((n, 1), ord("*"), np.uint8), _hex(_checksums(tag)),
        np.frombuffer(b"\\!", np.uint8)[None, :].repeat(n, 0), body, np.full((n, 1), ord("*"), np.uint8),
        _hex(_checksums(body)), np.full((n, 1), ord("\n"), np.uint8),
    ])
    return line.tobytes()


def make(n: int, n_files: int, fmt: str) -> list[Path]:
    """``n_files`` consecutive time slices of ``n`` bulk positions, as CSV or NMEA (written once)."""
    paths = [DATA / f"store_{_label(n)}_{i + 1}of{n_files}.{fmt}" for i in range(n_files)]
    if all(p.exists() for p in paths):
        return paths
    from vesseltrack.scenarios import generate_bulk, write_bulk

    DATA.mkdir(parents=True, exist_ok=True)
    positions = generate_bulk(n, seed=0)
    cuts = np.linspace(0, len(positions), n_files + 1).astype(int)
    for p, a, b in zip(paths, cuts[:-1], cuts[1:]):
        part = positions.iloc[a:b].reset_index(drop=True)
        if fmt == "csv":
            write_bulk(part, p, fmt="csv")
        else:
            p.write_bytes(encode_type1(part))
    return paths


def run(what: str, jobs: int, files: list[Path], src: str | None = None) -> dict:
    env = None if src is None else {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
    proc = subprocess.run([sys.executable, "-c", CHILD, what, str(jobs), *map(str, files)],
                          capture_output=True, text=True, check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--positions", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=4, help="input files the positions are cut into")
    ap.add_argument("--formats", nargs="+", default=["csv", "nmea"], choices=["csv", "nmea"])
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs per case; the median is reported")
    ap.add_argument("--what", nargs="+", default=["store", "load"], choices=["store", "load"],
                    help="store: ingest --store; load: ingest.load, the reference")
    ap.add_argument("--src", action="append", default=[], metavar="NAME=DIR",
                    help="a version to run (PYTHONPATH=DIR), repeatable: the versions are interleaved")
    args = ap.parse_args()
    if any("=" not in v for v in args.src):
        ap.error(f"--src {args.src}: expected NAME=DIR, e.g. --src before=/tmp/before/src")
    versions: list[tuple[str, str | None]] = [(v.split("=", 1)[0], v.split("=", 1)[1]) for v in args.src]
    versions = versions or [("", None)]

    inputs = {fmt: make(args.positions, args.files, fmt) for fmt in args.formats}
    cases = [(fmt, "store", j) for fmt in args.formats for j in args.jobs if "store" in args.what]
    cases += [(fmt, "load", 1) for fmt in args.formats if "load" in args.what]
    runs: dict[tuple, list[dict]] = {(v, *c): [] for c in cases for v, _ in versions}
    for _ in range(args.repeat):
        for c in cases:
            for v, src in versions:
                runs[(v, *c)].append(run(c[1], c[2], inputs[c[0]], src))
    print(f"{args.positions:,} bulk positions in {args.files} files; median of {args.repeat} interleaved runs")
    print(f"{'version':8} {'format':6} {'what':28} {'seconds':>8} {'positions/s':>12} {'CPU s':>6} {'pos/CPU s':>10} "
          f"{'peak RSS':>9} {'bytes/pos':>9}  input")
    for (v, fmt, what, jobs), rs in runs.items():
        sec = statistics.median(r["seconds"] for r in rs)
        cpu = statistics.median(r["cpu_seconds"] for r in rs)
        n = rs[0]["positions"]
        raw = sum(p.stat().st_size for p in inputs[fmt])
        label = f"ingest --store --jobs {jobs}" if what == "store" else "ingest.load (score's read)"
        per = f"{rs[0]['bytes'] / n:9.1f}" if what == "store" else f"{'':9}"
        rss = statistics.median(r["peak_rss"] for r in rs) / 2**20
        print(f"{v:8} {fmt:6} {label:28} {sec:8.2f} {n / sec:12,.0f} {cpu:6.1f} {n / cpu:10,.0f} {rss:7.0f}MB {per}"
              f"  {raw / n:.1f} bytes/pos raw, {n:,} positions kept")
    print(json.dumps({f"{v}/{fmt}/{what}/jobs{jobs}": rs for (v, fmt, what, jobs), rs in runs.items()}))


if __name__ == "__main__":
    main()
