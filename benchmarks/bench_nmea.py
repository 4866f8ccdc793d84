"""Benchmark: vesseltrack's vectorised NMEA reader against pyais on the same file, in one run.

Builds (once) ``benchmarks/data/bench_nmea_<N>.nmea``: N lines made from the real sentences of the
shared DMA / aisdb / pyais captures, each behind an NMEA 4.0 tag block with a rising ``c:`` time,
mostly single-part position reports (types 1/2/3/18) plus two-part type 5 static messages (about
2% of messages) and a few other types, as a receiver log looks. Then times

- ``vesseltrack.ingest.nmea.read`` over the whole file (file -> canonical frame, statics merged);
- ``pyais.FileReaderStream`` + ``decode()`` of every message over the first ``--pyais-lines`` lines
  (pyais is an order of magnitude slower; its rate is measured on that subset and said so);

and prints sentences/s for both (best of 3 runs for ours, wall clock and CPU time: on a shared
machine the CPU time is the steadier figure), the ratio, and peak memory (tracemalloc peak of our
run, plus the process's max RSS).

    /tmp/venv/bin/python benchmarks/bench_nmea.py                 # 2,000,000 lines
    /tmp/venv/bin/python benchmarks/bench_nmea.py --lines 500000 --pyais-lines 100000
    PYTHONPATH=../main/src /tmp/venv/bin/python benchmarks/bench_nmea.py  # time another checkout, same file
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = (REPO / ".." / "shared" / "data" / "ais").resolve()
if not os.environ.get("PYTHONPATH"):  # else PYTHONPATH names the checkout to time (e.g. another branch)
    sys.path.insert(0, str(REPO / "src"))

from vesseltrack.ingest import nmea  # noqa: E402 (after choosing which src to time)


def _checksum(body: str) -> str:
    c = 0
    for ch in body.encode():
        c ^= ch
    return f"{c:02X}"


def _real_sentences() -> tuple[list[str], list[tuple[str, str]]]:
    """Valid single-part sentences (types 1/2/3/18 and a few 4/8/24) and two-part type-5 pairs
    from the shared captures."""
    singles: list[str] = []
    pairs: list[tuple[str, str]] = []
    files = [SHARED / "dma_aislib" / "stream_example.txt", SHARED / "aisdb_testdata" / "test_data_20211101.nm4",
             SHARED / "pyais_tests" / "nmea_data_sample.txt", SHARED / "gpsd_tests" / "ais-nmea-type6-fid55.log"]

    def ok(s: str) -> bool:
        return "*" in s and s[s.index("*") + 1: s.index("*") + 3] == _checksum(s[1: s.index("*")])

    for f in files:
        if not f.exists():
            continue
        lines = [ln[ln.index("!"):].strip() for ln in f.read_text(errors="replace").splitlines() if "VDM," in ln]
        for k, s in enumerate(lines):
            p = s.split(",")
            if len(p) < 7 or not ok(s):
                continue
            if p[1] == "1" and p[5] and p[5][0] in "123B48H":
                singles.append(s)
            elif p[1] == "2" and p[2] == "1" and p[5][:1] == "5" and k + 1 < len(lines):
                q = lines[k + 1].split(",")
                if len(q) >= 7 and q[2] == "2" and q[3] == p[3] and ok(lines[k + 1]):
                    pairs.append((s, lines[k + 1]))
    if not singles:
        raise SystemExit(f"no real sentences found under {SHARED}")
    return singles, pairs


def build(path: Path, n_lines: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    singles, pairs = _real_sentences()
    t0 = 1_700_000_000
    out = []
    i = 0
    while i < n_lines:
        t = t0 + i // 50
        if pairs and rng.random() < 0.01 and i + 1 < n_lines:
            a, b = pairs[int(rng.integers(len(pairs)))]
            seq = int(rng.integers(10))
            fa = a.split(",")
            fb = b.split(",")
            fa[3] = fb[3] = str(seq)
            a2 = ",".join(fa)
            b2 = ",".join(fb)
            a2 = a2[: a2.index("*")]
            b2 = b2[: b2.index("*")]
            a2 += "*" + _checksum(a2[1:])
            b2 += "*" + _checksum(b2[1:])
            for k, s in enumerate((a2, b2)):
                tag = f"g:{k + 1}-2-{i % 10000},s:bench,c:{t}"
                out.append(f"\\{tag}*{_checksum(tag)}\\{s}")
            i += 2
            continue
        s = singles[int(rng.integers(len(singles)))]
        tag = f"s:bench,c:{t}"
        out.append(f"\\{tag}*{_checksum(tag)}\\{s}")
        i += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n")


def bench_ours(path: Path) -> tuple[float, int, int, int]:
    tracemalloc.start()
    t = time.perf_counter()
    rows = sentences = 0
    for chunk in nmea.read(path):
        rows += len(chunk.frame)
        sentences += chunk.rows_read
    dt = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return dt, sentences, rows, peak


def bench_ours_untraced(path: Path) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    for _ in nmea.read(path):
        pass
    return time.perf_counter() - t, time.process_time() - c


def bench_pyais(path: Path, n_lines: int) -> tuple[float, int, int]:
    from pyais.stream import FileReaderStream

    sub = path.with_name(path.stem + f"_first{n_lines}.nmea")
    if not sub.exists():
        with open(path) as src, open(sub, "w") as dst:
            for k, line in enumerate(src):
                if k >= n_lines:
                    break
                dst.write(line)
    t = time.process_time()
    msgs = 0
    for msg in FileReaderStream(str(sub)):
        try:
            msg.decode()
        except Exception:  # pyais raises on empty payloads and unknown types; we count them as rejects
            pass
        msgs += 1
    return time.process_time() - t, n_lines, msgs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--pyais-lines", type=int, default=200_000)
    args = ap.parse_args()
    path = HERE / "data" / f"bench_nmea_{args.lines}.nmea"
    if not path.exists():
        t = time.perf_counter()
        build(path, args.lines)
        print(f"built {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t:.1f} s")
    size_mb = path.stat().st_size / 1e6
    print(f"timing {Path(nmea.__file__).parent}")
    bench_ours_untraced(path)  # warm the page cache and imports
    runs = [bench_ours_untraced(path) for _ in range(3)]
    wall = min(r[0] for r in runs)
    cpu = min(r[1] for r in runs)
    _, sentences, rows, peak = bench_ours(path)
    ours = sentences / cpu
    print(f"vesseltrack nmea.read: {sentences:,} sentences ({size_mb:.0f} MB) -> {rows:,} position rows "
          f"in {wall:.2f} s wall / {cpu:.2f} s CPU = {sentences / wall:,.0f} sentences/s wall, "
          f"{ours:,.0f} sentences/s CPU; tracemalloc peak {peak / 1e6:.0f} MB")
    pdt, plines, pmsgs = bench_pyais(path, min(args.pyais_lines, args.lines))
    theirs = plines / pdt
    print(f"pyais FileReaderStream+decode (first {plines:,} lines only): {pmsgs:,} messages in {pdt:.2f} s CPU "
          f"= {theirs:,.0f} sentences/s")
    print(f"ratio (CPU time): {ours / theirs:.1f}x pyais")
    print(f"load average during the run: {' '.join(f'{x:.2f}' for x in __import__('os').getloadavg())} "
          f"on {__import__('os').cpu_count()} CPUs")
    print(f"max RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


if __name__ == "__main__":
    main()
