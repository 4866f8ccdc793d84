"""Gap detection throughput: positions per second of the gap stage on 1M and 10M positions.

    python benchmarks/bench_gaps.py [--sizes 1000000 10000000]

Times, on data from ``vesseltrack.scenarios.generate_bulk`` (time-ordered, interleaved vessels,
with every vessel silenced 8 h in every 4 days, sorted once by the pipeline's own sort): steps
(distances, speeds, segments), the reception map
learnt from all vessels, and gap events with everything they carry (reception, neighbours heard,
distance from shore and sensitive ports, reachable ports, changes across the gap). Also times the
naive equivalent an analyst might write with pandas (groupby + diff + boolean mask, no reception)
for comparison (it finds the same silences but carries none of the evidence). Prints positions/s
and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import time

from vesseltrack import tracks, zones
from vesseltrack.detect.gaps import detect_gaps
from vesseltrack.reception import build_reception
from vesseltrack.scenarios import generate_bulk


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = ap.parse_args()
    gaz = zones.build_gazetteer()
    print(
        f"{'positions':>11} {'steps s':>8} {'reception s':>11} {'gaps s':>7} {'total pos/s':>12} {'pandas naive pos/s':>19} {'gaps':>7} {'peak MB':>8}"  # noqa: E501
    )
    for n in args.sizes:
        pos = generate_bulk(n, seed=1)
        # silence every vessel for 8 h in every 4 days (at a vessel-specific phase): gaps to find
        hour = pos["timestamp"].array.asi8 // 3_600_000_000_000
        pos = tracks.sort_positions(pos[((hour + pos["mmsi"].to_numpy() % 97) % 96) >= 8].reset_index(drop=True))
        t0 = time.perf_counter()
        steps = tracks.add_steps(pos, segment_gap_h=6.0)
        t1 = time.perf_counter()
        rmap = build_reception(steps)
        t2 = time.perf_counter()
        gaps = detect_gaps(steps, gaz, reception=rmap)
        t3 = time.perf_counter()
        naive_t = time.perf_counter()
        dt = pos.groupby("mmsi")["timestamp"].diff().dt.total_seconds()
        naive = pos[dt > 6 * 3600]
        naive_t = time.perf_counter() - naive_t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        n = len(pos)
        print(
            f"{n:>11,} {t1 - t0:>8.2f} {t2 - t1:>11.2f} {t3 - t2:>7.2f} {n / (t3 - t0):>12,.0f} {n / naive_t:>19,.0f} "
            f"{len(gaps):>7,} {peak:>8.0f}",
            flush=True,
        )
        del naive


if __name__ == "__main__":
    main()
