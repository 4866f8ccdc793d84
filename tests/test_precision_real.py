"""False-positive classes seen on real AIS, on small real excerpts (tests/data/real/README.md says
which rows were cut): each used to be raised as a finding and must not be any more."""

from pathlib import Path

import numpy as np
import pandas as pd

import vesseltrack as vt
from vesseltrack.detect import gaps as gaps_mod

REAL = Path(__file__).resolve().parent / "data" / "real"


def test_berth_shutdown_is_a_stationary_gap_and_no_alert():
    res = vt.run([REAL / "vb_berth_shutdown.csv"])
    g = res.events[res.events["event_type"] == "gap"]
    long = g[g["duration_h"] > 40].iloc[0]
    assert long["gap_kind"] == "stationary" and not long["likely_dark"] and long["distance_m"] < 5
    v = res.voyages
    assert (v["likely_dark_hours"] == 0).all() and (v["dark_hours"] < 40).all()
    assert len(res.alerts) == 0


def test_ships_falling_silent_together_are_a_feed_outage_not_dark():
    res = vt.run([REAL / "suez_outage.csv"])
    g = res.events[(res.events["event_type"] == "gap") & (res.events["gap_kind"] == "open")]
    ids = {1, 96, 105, 166, 195, 203}
    late = g[g["mmsi"].isin(ids) & (g["start_time"] < pd.Timestamp("2021-03-20T15:00Z"))]
    assert set(late["mmsi"]) == ids and not late["likely_dark"].any()
    # the reason is the outage itself: each has at least two others falling silent within an hour nearby
    together = gaps_mod._silent_together(late["start_lat"].to_numpy(), late["start_lon"].to_numpy(),
                                         late["start_time"].array.asi8, np.ones(len(late), dtype=bool))
    assert (together >= gaps_mod.OPEN_TOGETHER).all()
    assert not res.alerts["mmsi"].isin(ids).any()


def test_ships_waiting_at_an_anchorage_are_no_ship_to_ship_transfer():
    res = vt.run([REAL / "suez_anchorage.csv"])
    assert (res.stop_areas["kind"] == "anchorage").any()
    enc = res.events[res.events["event_type"] == "encounter"]
    assert len(enc) >= 1  # they did lie within 500 m of each other for hours ...
    assert (enc["context"] == "anchorage").all() and not enc["sts_candidate"].any()  # ... at an anchorage, untyped
    assert (res.voyages["encounter_hours"] == 0).all()
    assert not (res.alerts["reasons"].fillna("").str.contains("ship-to-ship")).any()


def test_a_short_harbour_extract_raises_no_alert_on_forest_noise_or_harbour_craft():
    # 13 minutes of New York harbour (data/samples/README.md): tugs, ferries, yachts and a few
    # tankers; the old version's top alerts were "voyage of 0 h" of tugs and pleasure craft
    res = vt.run([REAL.parents[2] / "data" / "samples" / "ny_harbor_excerpt.csv"])
    assert len(res.alerts) == 0
    pops = res.summary["populations"]
    assert pops.get("harbour craft", 0) > 0 and pops.get("pleasure", 0) > 0


def test_simulated_harbour_life_raises_no_alert():
    import tempfile

    from vesseltrack import export, scenarios
    from vesseltrack.evaluate import evaluate

    sc = scenarios.generate(11, n_vessels=30, days=6)
    with tempfile.TemporaryDirectory() as tmp:
        files = scenarios.write(sc, Path(tmp) / "in", fmt="csv")
        res = vt.run([next(p for p in files if p.suffix == ".csv")])
        export.write_outputs(Path(tmp) / "out", res.tables(), res.summary)
        report = evaluate(Path(tmp) / "out", sc.truth)
    kinds = {n["kind"] for n in sc.truth["nuisances"]}
    assert {"berth_shutdown", "marina_moored", "ferry_berth", "harbour_craft"} <= kinds
    bad = report["nuisance_alerts"]
    assert all(
        bad[k] == 0 for k in ("berth_shutdown", "marina_moored", "ferry_berth", "harbour_craft", "fast_craft")
    ), bad
