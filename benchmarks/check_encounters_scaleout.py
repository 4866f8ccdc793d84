"""Scaled-out encounters against detect_encounters on the whole: partitions of whole vessels
(store.bucket_of) x time slots (split_slots), pieces joined in a shuffled order; events and merged
stats must be identical, and the samples' bytes per sample are printed.

    python benchmarks/check_encounters_scaleout.py                    # a generated 6-day scenario
    python benchmarks/check_encounters_scaleout.py --vessels 1000 --days 8 --preset ballinger2024
"""

from __future__ import annotations

import argparse
import random

import numpy as np
import pandas as pd

from vesseltrack import clean, tracks, zones
from vesseltrack.detect import encounters as E
from vesseltrack.scenarios.scenario import generate
from vesseltrack.store import bucket_of


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vessels", type=int, default=300)
    ap.add_argument("--days", type=float, default=6.0)
    ap.add_argument("--preset", default="gfw")
    args = ap.parse_args()
    sc = generate(3, n_vessels=args.vessels, n_sts=max(2, args.vessels // 10), days=args.days)
    steps = tracks.add_steps(tracks.sort_positions(clean.clean(sc.positions, file="scenario")[0]), segment_gap_h=6.0)
    gaz = zones.build_gazetteer()
    whole_stats: dict = {}
    whole = E.detect_encounters(steps, gaz, params=args.preset, stats=whole_stats)
    print(f"{len(steps):,} positions, {len(whole):,} events, {whole_stats['samples']:,} samples, "
          f"{len(whole_stats['crowds']):,} crowded cells")
    mmsi = steps["mmsi"].to_numpy()
    for n_parts, slot_bins in ((3, 144), (8, 7), (1, 1)):
        part = bucket_of(mmsi, n_parts)
        pieces: dict[int, list] = {}
        per_sample = []
        for p in range(n_parts):
            es = E.encounter_samples(steps.iloc[np.flatnonzero(part == p)].reset_index(drop=True), args.preset)
            per_sample.append(es.table.memory_usage(deep=True, index=False).sum() / max(len(es.table), 1))
            for slot, piece in E.split_slots(es, slot_bins).items():
                pieces.setdefault(slot, []).append(piece)
        rnd = random.Random(n_parts)
        rows, stats = [], []
        for ps in pieces.values():
            rnd.shuffle(ps)
            st: dict = {}
            rows.append(E.close_pair_rows(E.concat_samples(ps), args.preset, stats=st))
            stats.append(st)
        rnd.shuffle(rows)
        events = E.encounter_events(pd.concat(rows, ignore_index=True), gaz, args.preset)
        pd.testing.assert_frame_equal(events, whole, check_exact=True)
        merged = E.merge_stats(stats)
        pd.testing.assert_frame_equal(merged["crowds"], whole_stats["crowds"], check_exact=True)
        assert all(merged[c] == whole_stats[c] for c in ("samples", "close_pairs", "crowded_samples"))
        print(f"{n_parts} partitions x {len(pieces)} slots of {slot_bins} bins: identical events and stats; "
              f"{sum(len(r) for r in rows):,} rows sent to the final step; {np.mean(per_sample):.1f} bytes per sample")


if __name__ == "__main__":
    main()
