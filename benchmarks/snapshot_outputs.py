"""Fingerprint every output of vesseltrack on the sample, dev seeds and the shared real files.

Used to show a refactor changes nothing: run it before and after, then ``diff`` the two manifests.

    python benchmarks/snapshot_outputs.py /tmp/snap_before            # on the old commit
    python benchmarks/snapshot_outputs.py /tmp/snap_after             # on the new one
    diff /tmp/snap_before/MANIFEST /tmp/snap_after/MANIFEST && echo identical

Runs ``vesseltrack score`` (default settings, and ``--all-vessels`` on the real files) in a
subprocess per input, so each run starts as a user's would; also fingerprints the simulator's
own output (positions and truth) for the dev seeds. Inputs that the CLI refuses are recorded with
their exit code and message, so a change in what is refused shows up too. Takes a few minutes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "ais"
DEV_SEEDS = (1, 2, 3)
SUFFIXES = {".csv", ".parquet", ".nmea", ".nm4", ".txt", ".log", ".gz", ".zip", ".json"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _score(inp: Path, out: Path, extra: list[str]) -> str:
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "vesseltrack", "score", str(inp), "--out", str(out), "--quiet", *extra]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"})
    (out / "exit").write_text(f"{p.returncode}\n{p.stderr.strip()}\n")
    return f"exit={p.returncode}"


def _real_inputs() -> list[Path]:
    if not REAL.is_dir():
        return []
    files = [p for p in sorted(REAL.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIXES]
    return [p for p in files if p.name not in {"MANIFEST.sha256"} and "reference_ports" not in str(p)
            and not p.name.endswith((".json",)) and p.stat().st_size < 200_000_000]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--no-real", action="store_true", help="skip the shared real files")
    args = ap.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    runs: list[tuple[str, Path, list[str]]] = []
    for sample in sorted((ROOT / "data" / "samples").glob("*.csv*")):
        runs.append((f"sample/{sample.name}", sample, []))
    sim = out / "sim"
    sim.mkdir(exist_ok=True)
    try:
        from vesseltrack import scenarios as generator
    except ImportError:  # before the simulator became the scenarios package
        from vesseltrack import simulate as generator  # type: ignore[no-redef]
    for seed in DEV_SEEDS:
        files = generator.write(generator.generate(seed), sim / f"seed{seed}", fmt="csv")
        csv = next(p for p in files if p.suffix == ".csv")
        runs.append((f"seed/{seed}", csv, []))
    for f in ([] if args.no_real else _real_inputs()):
        rel = f.relative_to(REAL)
        runs.append((f"real/{rel}", f, []))
        runs.append((f"real_all/{rel}", f, ["--all-vessels"]))
    lines = []
    for f in sorted(p for p in sim.rglob("*") if p.is_file()):
        lines.append(f"{f.relative_to(out)} {_digest(f)}")
    for i, (name, inp, extra) in enumerate(runs, 1):
        dest = out / "runs" / name
        status = _score(inp, dest, extra)
        for f in sorted(p for p in dest.rglob("*") if p.is_file()):
            lines.append(f"{f.relative_to(out)} {_digest(f)}")
        print(f"[{i}/{len(runs)}] {name} {status}", file=sys.stderr)
    (out / "MANIFEST").write_text("\n".join(lines) + "\n")
    print(json.dumps({"runs": len(runs), "files": len(lines), "manifest": str(out / "MANIFEST")}))


if __name__ == "__main__":
    main()
