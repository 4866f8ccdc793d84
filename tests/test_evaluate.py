import json

import pandas as pd
import pytest

from vesseltrack.errors import InputError
from vesseltrack.evaluate import dark_gap_recall, dark_vessel_ranks, evaluate, load_truth, naive_scores, ranking_metrics

TRUTH = {
    "format": "vesseltrack-truth/1",
    "vessels": [{"mmsi": m, "anomalous": m in (1, 2)} for m in (1, 2, 3, 4, 5)],
    "anomalies": [
        {"type": "dark_voyage", "mmsi": 1, "start_time": "2024-03-01T00:00:00Z", "end_time": "2024-03-02T00:00:00Z"},
        {"type": "dark_voyage", "mmsi": 2, "start_time": "2024-03-05T00:00:00Z", "end_time": "2024-03-06T00:00:00Z"},
    ],
}


def events():
    return pd.DataFrame({
        "event_type": ["gap", "gap", "gap", "port_visit"],
        "mmsi": [1, 2, 3, 2],
        "start_time": pd.to_datetime(["2024-03-01T01:00Z", "2024-03-06T20:00Z", "2024-03-01T00:00Z", "2024-03-05T00:00Z"]),
        "end_time": pd.to_datetime(["2024-03-01T23:00Z", "2024-03-07T00:00Z", "2024-03-03T00:00Z", "2024-03-05T10:00Z"]),
        "duration_h": [22.0, 4.0, 48.0, 10.0],
    })


def test_gap_recall_needs_overlap_with_the_dark_period():
    assert dark_gap_recall(events(), TRUTH) == (0.5, 1, 2)  # vessel 2's gap misses its dark period


def test_ranking_metrics_and_baseline():
    ours = pd.Series({1: 0.9, 2: 0.8, 3: 0.5})
    m = ranking_metrics(ours, TRUTH, ks=(2,))
    assert m["average_precision"] == pytest.approx(1.0) and m["precision_at_2"] == 1.0 and m["ranks_of_anomalous"] == [1, 2]
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


def test_bad_truth_file(tmp_path):
    f = tmp_path / "t.json"
    f.write_text(json.dumps({"format": "other"}))
    with pytest.raises(InputError, match="truth format is 'other'; expected 'vesseltrack-truth/1'"):
        load_truth(f)
