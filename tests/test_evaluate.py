import json

import numpy as np
import pandas as pd
import pytest

from vesseltrack import schema
from vesseltrack.errors import InputError
from vesseltrack.evaluate import (
    NUISANCE_KINDS,
    RULE_WEIGHTS,
    alert_precision_top,
    dark_gap_recall,
    dark_vessel_ranks,
    evaluate,
    event_metrics,
    feature_importance,
    load_truth,
    naive_scores,
    nuisance_alerts,
    ranking_metrics,
    rule_hits,
    rules_scores,
)

TRUTH = {
    "format": "vesseltrack-truth/1",
    "vessels": [{"mmsi": m, "anomalous": m in (1, 2)} for m in (1, 2, 3, 4, 5)],
    "anomalies": [
        {"type": "dark_voyage", "mmsi": 1, "start_time": "2024-03-01T00:00:00Z", "end_time": "2024-03-02T00:00:00Z"},
        {"type": "dark_voyage", "mmsi": 2, "start_time": "2024-03-05T00:00:00Z", "end_time": "2024-03-06T00:00:00Z"},
    ],
}


def events():
    return pd.DataFrame(
        {
            "event_type": ["gap", "gap", "gap", "port_visit"],
            "mmsi": [1, 2, 3, 2],
            "start_time": pd.to_datetime(
                ["2024-03-01T01:00Z", "2024-03-06T20:00Z", "2024-03-01T00:00Z", "2024-03-05T00:00Z"]
            ),
            "end_time": pd.to_datetime(
                ["2024-03-01T23:00Z", "2024-03-07T00:00Z", "2024-03-03T00:00Z", "2024-03-05T10:00Z"]
            ),
            "duration_h": [22.0, 4.0, 48.0, 10.0],
        }
    )


def test_gap_recall_needs_overlap_with_the_dark_period():
    assert dark_gap_recall(events(), TRUTH) == (0.5, 1, 2)  # vessel 2's gap misses its dark period


def test_ranking_metrics_and_baseline():
    ours = pd.Series({1: 0.9, 2: 0.8, 3: 0.5})
    m = ranking_metrics(ours, TRUTH, ks=(2,))
    assert (
        m["average_precision"] == pytest.approx(1.0)
        and m["precision_at_2"] == 1.0
        and m["ranks_of_anomalous"] == [1, 2]
    )
    naive = naive_scores(events())
    assert naive.to_dict() == {1: 22.0, 3: 48.0}  # vessel 2's 4 h gap is below 6 h
    mb = ranking_metrics(naive, TRUTH, ks=(2,))
    assert mb["ranks_of_anomalous"][0] == 2 and mb["average_precision"] < 1.0
    assert dark_vessel_ranks(naive, TRUTH) == [2, None]


def test_evaluate_reads_a_results_folder(tmp_path):
    pd.DataFrame({"mmsi": [1, 3, 2], "score": [0.9, 0.7, 0.6]}).to_csv(tmp_path / "alerts.csv", index=False)
    events().to_csv(tmp_path / "events.csv", index=False)
    (tmp_path / "truth.json").write_text(json.dumps(TRUTH))
    rep = evaluate(tmp_path, tmp_path / "truth.json")
    assert rep["gap_recall"] == 0.5 and rep["ours"]["dark_vessel_ranks"] == [1, 3]


def test_evaluate_of_an_old_truth_counts_no_nuisances(tmp_path):
    pd.DataFrame({"rank": [1, 2, 3], "mmsi": [1, 3, 2], "score": [0.9, 0.7, 0.6]}).to_csv(
        tmp_path / "alerts.csv", index=False
    )
    events().to_csv(tmp_path / "events.csv", index=False)
    rep = evaluate(tmp_path, TRUTH)  # written before nuisances existed: no "nuisances" key
    assert rep["nuisance_alerts"] == {"any": 0, **{k: 0 for k in NUISANCE_KINDS}}
    assert rep["alert_precision_top20"] == pytest.approx(2 / 3)  # vessels 1 and 2 of the 3 listed are anomalous


NUISANCE_TRUTH = {
    "format": "vesseltrack-truth/1",
    "vessels": [
        {"mmsi": 1, "anomalous": True},
        {"mmsi": 2, "anomalous": False},
        *(
            {"mmsi": m, "anomalous": False, "nuisance": g}
            for m, g in ((11, "harbour_craft"), (12, "marina"), (13, "marina"), (14, "anchorage"))
        ),
    ],
    "nuisances": [
        {
            "kind": "harbour_craft",
            "mmsi": 11,
            "other_mmsi": None,
            "start_time": "2024-03-01T00:00:00Z",
            "end_time": "2024-03-10T00:00:00Z",
        },
        {
            "kind": "berth_shutdown",
            "mmsi": 11,
            "other_mmsi": None,
            "start_time": "2024-03-02T10:00:00Z",
            "end_time": "2024-03-02T22:00:00Z",
        },
        {
            "kind": "marina_moored",
            "mmsi": 12,
            "other_mmsi": 13,
            "start_time": "2024-03-03T00:00:00Z",
            "end_time": "2024-03-04T00:00:00Z",
        },
        {
            "kind": "censored_end",
            "mmsi": 14,
            "other_mmsi": None,
            "start_time": "2024-03-09T00:00:00Z",
            "end_time": "2024-03-10T00:00:00Z",
        },
    ],
}


def test_nuisance_alerts_by_kind_and_precision_of_the_top_alerts():
    alerts = pd.DataFrame(
        {
            "rank": [1, 2, 3, 4, 5, 6],
            "mmsi": [1, 11, 13, SHARED + 1, 14, 2],
            "start_time": [
                "2024-03-01T00:00Z",
                "2024-03-02T10:00Z",
                "2024-03-03T12:00Z",
                "2024-03-05T00:00Z",
                "2024-03-05T00:00Z",
                "2024-03-05T00:00Z",
            ],
            "end_time": [
                "2024-03-02T00:00Z",
                "2024-03-02T22:00Z",
                "2024-03-03T14:00Z",
                "2024-03-06T00:00Z",
                "2024-03-06T00:00Z",
                "2024-03-06T00:00Z",
            ],
        }
    )
    got = nuisance_alerts(alerts, NUISANCE_TRUTH)
    # the tug's gap alert is both its berth shutdown and a harbour craft's; 13 is the other side of a marina pair;
    # 14's alert is days before its censored end: a nuisance vessel, but not that nuisance
    assert got == {
        "any": 3,
        **{k: 0 for k in NUISANCE_KINDS},
        "harbour_craft": 1,
        "berth_shutdown": 1,
        "marina_moored": 1,
    }
    assert (
        nuisance_alerts(alerts.drop(columns=["start_time", "end_time"]), NUISANCE_TRUTH)["censored_end"] == 1
    )  # no times: the vessel alone
    assert alert_precision_top(alerts, NUISANCE_TRUTH) == pytest.approx(2 / 6)  # 1 and the 2nd ship of 1
    assert alert_precision_top(alerts.iloc[::-1], NUISANCE_TRUTH, k=2) == 0.5  # ordered by rank, not by row
    assert np.isnan(alert_precision_top(alerts.head(0), NUISANCE_TRUTH))
    assert nuisance_alerts(alerts.head(0), NUISANCE_TRUTH)["any"] == 0


def test_bad_truth_file(tmp_path):
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputError, match="truth format is 'other'; expected 'vesseltrack-truth/1'"):
        load_truth(f)


# --- per-type event metrics and the rules-only baseline -------------------------------------------

SHARED = 1_000_000_000  # detect.identity.SPLIT_OFFSET: id of the second ship of a shared MMSI

FULL_TRUTH = {
    "format": "vesseltrack-truth/1",
    "vessels": [{"mmsi": m, "anomalous": m != 8} for m in range(1, 9)],
    "anomalies": [
        {
            "type": "dark_voyage",
            "mmsi": 1,
            "other_mmsi": None,
            "start_time": "2024-03-01T00:00:00Z",
            "end_time": "2024-03-02T00:00:00Z",
        },
        {
            "type": "dark_voyage",
            "mmsi": 2,
            "other_mmsi": None,
            "start_time": "2024-03-05T00:00:00Z",
            "end_time": "2024-03-06T00:00:00Z",
        },
        {
            "type": "sts",
            "mmsi": 3,
            "other_mmsi": 4,
            "start_time": "2024-03-03T10:00:00Z",
            "end_time": "2024-03-03T14:00:00Z",
        },
        {
            "type": "dark_sts",
            "mmsi": 5,
            "other_mmsi": 2,
            "start_time": "2024-03-05T06:00:00Z",
            "end_time": "2024-03-05T12:00:00Z",
        },
        {
            "type": "spoofing",
            "mmsi": 6,
            "other_mmsi": None,
            "start_time": "2024-03-07T00:00:00Z",
            "end_time": "2024-03-07T04:00:00Z",
        },
        {
            "type": "identity_clash",
            "mmsi": 7,
            "other_mmsi": None,
            "start_time": "2024-03-01T00:00:00Z",
            "end_time": "2024-03-10T00:00:00Z",
        },
    ],
}


def full_events():
    """One or two events per truth type, each a known hit or miss (see the comments)."""
    # type, mmsi, other, start, end, duration_h, likely_dark, possible_dark_sts, port_km, port_sensitive, vessel_type
    rows = [
        ("gap", 1, None, "03-01T01:00", "03-01T23:00", 22.0, True, None, 50.0, None, 70),  # 22/24 of dark 1: hit
        (
            "gap",
            SHARED + 2,
            None,
            "03-05T00:00",
            "03-06T00:00",
            24.0,
            False,
            None,
            500.0,
            None,
            82,
        ),  # 2nd ship of 2: hit, not flagged
        (
            "gap",
            3,
            None,
            "03-08T00:00",
            "03-09T00:00",
            24.0,
            True,
            None,
            500.0,
            None,
            82,
        ),  # flagged, no dark voyage: miss
        (
            "port_visit",
            2,
            None,
            "03-04T00:00",
            "03-04T10:00",
            10.0,
            None,
            None,
            None,
            True,
            82,
        ),  # tanker at a sensitive port
        ("port_visit", 8, None, "03-04T00:00", "03-04T10:00", 10.0, None, None, None, True, 70),  # cargo ship: no rule
        ("encounter", 4, 3, "03-03T11:00", "03-03T13:00", 2.0, None, None, None, None, 82),  # pair reversed: hit
        ("encounter", 3, 6, "03-03T11:00", "03-03T13:00", 2.0, None, None, None, None, 82),  # wrong pair: miss
        ("loitering", 5, None, "03-05T05:00", "03-05T10:00", 5.0, None, True, None, None, 82),  # hit
        ("loitering", 5, None, "03-09T00:00", "03-09T05:00", 5.0, None, True, None, None, 82),  # after it: miss
        ("loitering", 8, None, "03-05T05:00", "03-05T10:00", 5.0, None, False, None, None, 30),  # not flagged: ignored
        ("spoofing", 6, None, "03-07T05:00", "03-07T06:00", 1.0, None, None, None, None, 70),  # an hour late: miss
        (
            "identity_clash",
            SHARED + 7,
            None,
            "03-02T00:00",
            "03-02T01:00",
            1.0,
            None,
            None,
            None,
            None,
            70,
        ),  # MMSI only: hit
    ]
    cols = [
        "event_type",
        "mmsi",
        "other_mmsi",
        "start_time",
        "end_time",
        "duration_h",
        "likely_dark",
        "possible_dark_sts",
        "start_sensitive_port_km",
        "port_sensitive",
        "vessel_type",
    ]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("start_time", "end_time"):
        df[c] = pd.to_datetime("2024-" + df[c] + "Z", utc=True)
    df["mmsi"] = df["mmsi"].astype("int64")
    df["other_mmsi"] = df["other_mmsi"].astype("Int32")
    df["end_sensitive_port_km"] = np.nan
    for c in ("likely_dark", "possible_dark_sts", "port_sensitive"):
        df[c] = df[c].astype("boolean")
    df["vessel_type"] = df["vessel_type"].astype("Int16")
    return df


def test_event_metrics_per_type_known_answers():
    m = event_metrics(full_events(), FULL_TRUTH)
    got = {k: (v["found"], v["truth"], v["matched"], v["events"]) for k, v in m.items()}
    assert got == {
        "dark_voyage": (2, 2, 2, 3),               # both dark voyages (one by the 2nd ship of a shared MMSI)
        "dark_voyage_likely_dark": (1, 2, 1, 2),   # only vessel 1's gap is flagged; vessel 3's flag is false
        "sts": (1, 1, 1, 2),
        "dark_sts": (1, 1, 1, 2),
        "spoofing": (0, 1, 0, 1),
        "identity_clash": (1, 1, 1, 1),
    }
    assert m["dark_voyage"]["precision"] == pytest.approx(2 / 3) and m["dark_voyage_likely_dark"]["recall"] == 0.5
    assert m["spoofing"]["recall"] == 0.0 and m["sts"]["precision"] == 0.5


def test_dark_voyage_match_needs_half_the_dark_period():
    ev = full_events()
    ev.loc[0, "end_time"] = pd.Timestamp("2024-03-01T11:00Z")  # covers 10 h of 24
    assert event_metrics(ev, FULL_TRUTH)["dark_voyage_likely_dark"]["found"] == 0
    assert event_metrics(ev, FULL_TRUTH, min_overlap=0.4)["dark_voyage_likely_dark"]["found"] == 1


def test_event_metrics_without_events_or_truth_of_a_type():
    m = event_metrics(
        full_events()[lambda d: d["event_type"] == "gap"], {**FULL_TRUTH, "anomalies": FULL_TRUTH["anomalies"][:2]}
    )
    assert m["sts"]["truth"] == 0 and np.isnan(m["sts"]["recall"]) and np.isnan(m["sts"]["precision"])
    assert m["dark_voyage"]["found"] == 2


def test_rules_only_baseline_points_and_tie_break():
    hits = rule_hits(full_events())
    assert set(map(tuple, hits.to_numpy().tolist())) == {
        (1, "likely_dark_gap"),
        (1, "gap_near_sensitive_port"),
        (3, "likely_dark_gap"),
        (2, "tanker_sensitive_port_call"),
        (4, "encounter"),
        (3, "encounter"),
        (6, "encounter"),
        (5, "possible_dark_sts"),
        (6, "spoofing"),
        (7, "identity_clash"),
    }
    s = rules_scores(full_events())
    # points + longest gap / (fleet's longest gap 24 h + 1): vessels 1 and 3 tie on 5 points, 3's gap is longer
    assert s.to_dict() == pytest.approx(
        {1: 5 + 22 / 25, 3: 5 + 24 / 25, 2: 1 + 24 / 25, 4: 2.0, 5: 2.0, 6: 4.0, 7: 2.0}
    )
    assert list(s.sort_values(ascending=False, kind="stable").index[:3]) == [3, 1, 6]
    assert 8 not in s.index  # meets no rule: unlisted
    assert rules_scores(full_events(), weights={**RULE_WEIGHTS, "spoofing": 0})[6] == 2.0


def test_evaluate_reports_types_and_rules_from_csv(tmp_path):
    pd.DataFrame({"mmsi": [3, 1, 6], "score": [0.9, 0.8, 0.7]}).to_csv(tmp_path / "alerts.csv", index=False)
    full_events().to_csv(tmp_path / "events.csv", index=False)  # flags come back from CSV as True/False/empty
    rep = evaluate(tmp_path, FULL_TRUTH)
    assert rep["events"]["dark_voyage_likely_dark"]["matched"] == 1 and rep["events"]["sts"]["found"] == 1
    assert rep["rules_baseline"]["ranks_of_anomalous"][:3] == [1, 2, 3]
    assert rep["naive_baseline"]["dark_vessel_ranks"] == [3, 1]  # the 2nd ship's 24 h gap counts for MMSI 2


def test_feature_importance_names_the_feature_that_isolates_the_top_voyage():
    rng = np.random.default_rng(0)
    n = 60
    v = pd.DataFrame({c.name: np.zeros(n) for c in schema.VOYAGE_FEATURES})
    v["duration_h"] = rng.uniform(20, 60, n)
    v["n_positions"] = rng.integers(100, 300, n)
    v["gap_near_sensitive_km"] = 1000.0
    v.loc[0, ["sea_dark_hours", "longest_gap_h"]] = 200.0
    imp = feature_importance(v, top_k=1, n_estimators=50)
    assert (
        imp.index[0] in {"log_sea_dark_hours", "log_longest_gap_h"} and imp["mean_positive_contribution"].iloc[0] > 0.02
    )
    assert imp.loc["spoofing_events", "mean_positive_contribution"] == 0.0  # constant everywhere: nothing to say
    assert imp["share_in_top3"].max() == 1.0
    assert feature_importance(v.head(3)).empty  # too few voyages to fit a scorer


def test_dark_vs_benign_ap_leaves_other_anomalies_out():
    from vesseltrack.evaluate import dark_vs_benign_ap
    truth = {"vessels": [{"mmsi": 1, "role": "dark"}, {"mmsi": 2, "role": "normal"}, {"mmsi": 3, "role": "sts"},
                         {"mmsi": 4, "role": "normal"}]}
    assert dark_vs_benign_ap(pd.Series({3: 0.99, 1: 0.9, 2: 0.5}), truth) == 1.0   # the STS vessel above does not count
    assert dark_vs_benign_ap(pd.Series({2: 0.9, 1: 0.5}), truth) == 0.5


def test_a_development_scenario_ranks_every_kind_of_anomaly_above_benign_vessels(tmp_path):
    """End to end on a development seed (3; designs were chosen on seeds 1-30 only, never on the
    evaluation seeds): the vessels with findings that are suspicious by definition are listed
    above the benign vessels, and the ranking beats both baselines."""
    from vesseltrack import export, pipeline, scenarios
    from vesseltrack.detect.identity import SPLIT_OFFSET

    sc = scenarios.generate(3)
    res = pipeline.analyse(sc.positions)
    export.write_outputs(tmp_path, res.tables(), res.summary)
    rep = evaluate(tmp_path, sc.truth)
    assert rep["ours"]["average_precision"] >= 0.95
    assert (
        rep["ours"]["average_precision"]
        > rep["rules_baseline"]["average_precision"]
        > rep["naive_baseline"]["average_precision"]
    )
    assert set(rep["nuisance_alerts"]) == {"any", *NUISANCE_KINDS} and 0 <= rep["alert_precision_top20"] <= 1
    ev = res.events
    found = (ev["event_type"].isin(["spoofing", "identity_clash", "encounter"])
             | ((ev["event_type"] == "loitering") & ev["possible_dark_sts"].fillna(False))).to_numpy(dtype=bool)
    with_findings = set(ev.loc[found, "mmsi"] % SPLIT_OFFSET) | set(
        ev.loc[ev["event_type"] == "encounter", "other_mmsi"].dropna().astype(int)
    )
    best = res.alerts.assign(mmsi=res.alerts["mmsi"] % SPLIT_OFFSET).groupby("mmsi")["score"].max()
    benign = [v["mmsi"] for v in sc.truth["vessels"] if not v["anomalous"]]
    assert len(with_findings) >= 5 and best.reindex(sorted(with_findings)).min() > best.reindex(benign).max()


def _results(tmp_path, alerts=None, events_text=None):
    """A results folder with the known-answer alerts and events, one of them replaced by text."""
    if alerts is None:
        pd.DataFrame({"mmsi": [1, 3, 2], "score": [0.9, 0.7, 0.6]}).to_csv(tmp_path / "alerts.csv", index=False)
    else:
        (tmp_path / "alerts.csv").write_bytes(alerts)
    if events_text is None:
        events().to_csv(tmp_path / "events.csv", index=False)
    else:
        (tmp_path / "events.csv").write_bytes(events_text)
    (tmp_path / "truth.json").write_text(json.dumps(TRUTH))
    return tmp_path


def _events_with(column: str, value: str) -> bytes:
    e = events().astype(object)
    e.loc[1, column] = value
    return e.to_csv(index=False).encode()


@pytest.mark.parametrize("alerts, events_text, message", [
    (b"", None, r"alerts.csv: the file is empty; expected a file written by 'vesseltrack score --out'"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\xff\xfe", None, r"alerts.csv: (not a readable CSV|columns \[)"),
    (b"mmsi,rank\n1,1\n", None, r"alerts.csv: columns \['score'\] missing; received columns \['mmsi', 'rank'\]"),
    (b"mmsi,score\n1,0.9\nabc,0.5\n", None,
     r"alerts.csv: column 'mmsi' has 1 value\(s\) that are not whole numbers, first 'abc' in row 3"),
    (b"mmsi,score\n1,0.9\n,0.5\n", None, r"column 'mmsi' has 1 value\(s\) that are not whole numbers, first nan"),
    (b"mmsi,score\n1,high\n", None, r"column 'score' has 1 value\(s\) that are not numbers, first 'high' in row 2"),
    (b'mmsi,score\n1,"0.9\n', None, r"alerts.csv: not a readable CSV \(ParserError"),
    (None, b"mmsi,start_time,end_time,duration_h\n1,2024-03-01,2024-03-02,24\n",
     r"events.csv: columns \['event_type'\]"),
    (None, _events_with("start_time", "yesterday"),
     r"events.csv: column 'start_time' has 1 value\(s\) that are not ISO 8601 times, first 'yesterday' in row 3"),
    (None, _events_with("duration_h", "long"), r"column 'duration_h' has 1 value\(s\) that are not numbers"),
    (None, _events_with("likely_dark", "maybe"),
     r"column 'likely_dark' has 1 value\(s\) that are not True or False, first 'maybe' in row 3"),
])
def test_broken_results_csvs_are_one_input_error(tmp_path, alerts, events_text, message):
    folder = _results(tmp_path, alerts, events_text)
    with pytest.raises(InputError, match=message):
        evaluate(folder, folder / "truth.json")


def test_a_results_folder_without_its_csvs(tmp_path):
    (tmp_path / "truth.json").write_text(json.dumps(TRUTH))
    with pytest.raises(InputError, match=r"alerts.csv: cannot read results \(No such file or directory\); expected"):
        evaluate(tmp_path, tmp_path / "truth.json")
