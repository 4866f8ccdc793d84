"""Benchmark of encounter detection: positions per second, candidate pairs per second, peak memory.

    python benchmarks/bench_encounters.py                        # 1M and 10M positions
    python benchmarks/bench_encounters.py --sizes 1000000 --preset ballinger2024

Data: ``vesseltrack.scenarios.generate_bulk(n)`` (time-ordered, interleaved vessels on the region's
sea lanes). Each size runs in a fresh process so its peak RSS (``ru_maxrss``, including the
interpreter, libraries and the positions table itself) is its own; the RSS before detection is
printed too, so the detector's own share is the difference. Timed: ``detect_encounters`` on
sorted positions with steps (sorting and steps are timed separately). "All-pairs" is the number of
distance computations a per-time-bin all-pairs join would need, for comparison with the spatial
hash's candidate pairs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np
from vesseltrack import scenarios, tracks, zones
from vesseltrack.detect.encounters import ENCOUNTER_PRESETS, detect_encounters, resample
n, preset = int(sys.argv[1]), sys.argv[2]
pos = scenarios.generate_bulk(n, seed=0)
gaz = zones.build_gazetteer()
t = time.perf_counter()
steps = tracks.add_steps(tracks.sort_positions(pos), segment_gap_h=6.0)
del pos
t_prep = time.perf_counter() - t
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
stats = {}
t = time.perf_counter()
ev = detect_encounters(steps, gaz, params=preset, stats=stats)
secs = time.perf_counter() - t
p = ENCOUNTER_PRESETS[preset]
s = resample(steps, bin_min=p.bin_min, max_interp_gap_h=p.max_interp_gap_h, max_stationary_gap_h=p.max_stationary_gap_h)
per_bin = np.bincount(s.k - s.k.min()).astype(np.float64)
print(json.dumps({"positions": len(steps), "vessels": int(steps["mmsi"].nunique()), "prep_s": t_prep, "seconds": secs,
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "rss_before": rss_before,
                  "events": len(ev), "all_pairs": float((per_bin * (per_bin - 1) / 2).sum()), **stats}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--preset", default="gfw")
    args = ap.parse_args()
    print(
        f"{'positions':>11} {'vessels':>7} {'detect s':>8} {'pos/s':>11} {'samples':>10} {'cand. pairs':>11} {'pairs/s':>11} "  # noqa: E501
        f"{'all-pairs':>10} {'close':>8} {'events':>6} {'RSS before':>10} {'peak RSS':>9}"
    )
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n), args.preset], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['positions']:>11,} {r['vessels']:>7,} {r['seconds']:>8.2f} {r['positions'] / r['seconds']:>11,.0f} {r['samples']:>10,} "  # noqa: E501
            f"{r['candidate_pairs']:>11,} {r['candidate_pairs'] / r['seconds']:>11,.0f} {r['all_pairs']:>10.3g} {r['close_pairs']:>8,} "  # noqa: E501
            f"{r['events']:>6} {r['rss_before'] / 2**20:>8.0f}MB {r['peak_rss'] / 2**20:>7.0f}MB"
        )


if __name__ == "__main__":
    main()
