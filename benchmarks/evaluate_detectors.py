"""Precision and recall of the encounter, loitering (one-sided STS), spoofing and identity-clash
detectors on generated scenarios with known truth.

    python benchmarks/evaluate_detectors.py --seeds 1 2 3 4 5

For each seed, ``scenarios.generate(seed)``: identity clashes are split first, then encounters
(both presets), loitering and spoofing run on the separated tracks. An event is a true positive
when it overlaps in time an injected anomaly of its type with the same vessel(s):

- ``sts``: encounter events (``gfw`` and ``ballinger2024`` separately) with the same pair;
- ``dark_sts``: loitering events with ``possible_dark_sts`` of the loitering vessel;
- ``spoofing``: spoofing events (returned and one-way) of the vessel;
- ``identity_clash``: identity_clash events of the MMSI.

Precision = events matching some truth / events; recall = truth records matched / truth records.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from vesseltrack import scenarios, tracks, zones
from vesseltrack.detect.encounters import detect_encounters
from vesseltrack.detect.identity import SPLIT_OFFSET, detect_spoofing, split_identity_clashes
from vesseltrack.detect.loitering import detect_loitering

TYPES = ("sts/gfw", "sts/ballinger2024", "dark_sts", "spoofing", "identity_clash")


def run_detectors(positions: pd.DataFrame, gaz) -> dict[str, pd.DataFrame]:
    split, clashes = split_identity_clashes(positions)
    pos = tracks.sort_positions(split.assign(mmsi=split.pop("track_id").astype("int32")))
    steps = tracks.add_steps(pos, segment_gap_h=6.0)
    enc = {p: detect_encounters(steps, gaz, params=p) for p in ("gfw", "ballinger2024")}
    loit = detect_loitering(steps, gaz, encounters=enc["gfw"])
    spoof = detect_spoofing(steps)
    real = lambda df, col="mmsi": df.assign(**{col: df[col].to_numpy(np.int64) % SPLIT_OFFSET})  # noqa: E731
    return {
        "sts/gfw": real(real(enc["gfw"]), "other_mmsi"),
        "sts/ballinger2024": real(real(enc["ballinger2024"]), "other_mmsi"),
        "dark_sts": real(loit[loit["possible_dark_sts"].fillna(False).to_numpy(bool)]),
        "spoofing": real(spoof),
        "identity_clash": clashes,
        "loitering_all": loit,
    }


def _match(events: pd.DataFrame, truth: list[dict], pair: bool) -> tuple[np.ndarray, np.ndarray]:
    """(event matched?, truth matched?) by vessel(s) and time overlap (a small loop over truth records)."""
    ev_hit = np.zeros(len(events), dtype=bool)
    tr_hit = np.zeros(len(truth), dtype=bool)
    m = events["mmsi"].to_numpy(np.int64)
    o = events["other_mmsi"].to_numpy(np.int64, na_value=-1)
    t0 = events["start_time"].array.asi8
    t1 = events["end_time"].array.asi8
    for i, a in enumerate(truth):
        s, e = pd.Timestamp(a["start_time"]).value, pd.Timestamp(a["end_time"]).value
        if pair:
            same = ((m == a["mmsi"]) & (o == a["other_mmsi"])) | ((o == a["mmsi"]) & (m == a["other_mmsi"]))
        else:
            same = m == a["mmsi"]
        hit = same & (t0 <= e) & (t1 >= s)
        ev_hit |= hit
        tr_hit[i] = hit.any()
    return ev_hit, tr_hit


def evaluate(seed: int, gaz) -> dict[str, tuple[int, int, int, int]]:
    """Per type: (events, events matched, truth records, truth matched)."""
    sc = scenarios.generate(seed)
    got = run_detectors(sc.positions, gaz)
    truth = sc.truth["anomalies"]
    out = {}
    for t in TYPES:
        kind = t.split("/")[0]
        tr = [a for a in truth if a["type"] == kind]
        eh, th = _match(got[t], tr, pair=kind == "sts")
        out[t] = (len(eh), int(eh.sum()), len(th), int(th.sum()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    args = ap.parse_args()
    gaz = zones.build_gazetteer()
    tot = {t: np.zeros(4, dtype=int) for t in TYPES}
    print(f"{'seed':>4} " + " ".join(f"{t:>22}" for t in TYPES))
    for s in args.seeds:
        r = evaluate(s, gaz)
        cells = (f"ev {v[1]}/{v[0]} tr {v[3]}/{v[2]}" for v in r.values())
        print(f"{s:>4} " + " ".join(f"{c:>22}" for c in cells))
        for t in TYPES:
            tot[t] += np.array(r[t])
    print("\ntype                 events  precision  truth  recall")
    for t, (ne, me, nt, mt) in tot.items():
        prec = me / ne if ne else float("nan")
        rec = mt / nt if nt else float("nan")
        print(f"{t:<20} {ne:>6} {prec:>10.2f} {nt:>6} {rec:>7.2f}")


if __name__ == "__main__":
    main()
