"""Make benchmark data: a large, realistic positions table from ``vesseltrack.scenarios.generate_bulk``.

    python benchmarks/make_data.py --positions 10000000 --out benchmarks/data/
    python benchmarks/make_data.py --positions 1000000 --out benchmarks/data/ --csv

Writes ``positions_<N>.parquet`` (canonical schema.POSITIONS columns) and, with ``--csv``, also
``positions_<N>.csv`` in the MarineCadastre layout. Rows are time-ordered with vessels interleaved,
like real exports. Same seed, same data. benchmarks/data/ is git-ignored.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from vesseltrack.scenarios import generate_bulk, write_bulk


def label(n: int) -> str:
    """10000000 -> '10M', 250000 -> '250k', 1234 -> '1234'."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--positions", type=int, default=10_000_000, help="number of rows (default 10,000,000)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "data", help="output folder")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vessels", type=int, default=None, help="number of vessels (default: positions / 2000)")
    ap.add_argument("--csv", action="store_true", help="also write a MarineCadastre-layout CSV")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    df = generate_bulk(args.positions, seed=args.seed, n_vessels=args.vessels)
    t1 = time.perf_counter()
    print(f"generated {len(df):,} positions of {df['mmsi'].nunique():,} vessels in {t1 - t0:.1f} s")
    stem = f"positions_{label(args.positions)}"
    fmts = ["parquet"] + (["csv"] if args.csv else [])
    for fmt in fmts:
        t = time.perf_counter()
        path = write_bulk(df, args.out / f"{stem}.{fmt}", fmt=fmt)
        print(f"wrote {path} ({path.stat().st_size / 1e6:,.1f} MB) in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
