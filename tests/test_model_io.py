"""Train once, score many: a saved model scores identically; foreign and tampered files are refused."""

import re

import numpy as np
import pytest
import skops.io as sio
from conftest import dark_tanker_rows, write_marinecadastre

from vesseltrack import features, pipeline
from vesseltrack.cli import main
from vesseltrack.errors import ModelError
from vesseltrack.model_io import MODEL_FORMAT, TRUSTED_TYPES, ScoringModel, load_model
from vesseltrack.scoring import IsolationScorer


@pytest.fixture(scope="module")
def fleet(fleet_csv):
    return fleet_csv


@pytest.fixture(scope="module")
def model_file(fleet, tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "normal.skops"
    pipeline.train([fleet]).save(path)
    return path


def test_saved_model_scores_identically(fleet, model_file):
    fresh = pipeline.train([fleet])
    loaded = load_model(model_file)
    d = pipeline.detect(pipeline.ingest.read_positions(fleet), pipeline.Config(), pipeline.zones.build_gazetteer())
    X = pipeline.features.voyage_matrix(d.voyages)
    np.testing.assert_array_equal(fresh.voyage.score_samples(X), loaded.voyage.score_samples(X))
    np.testing.assert_array_equal(fresh.voyage.contributions(X).to_numpy(), loaded.voyage.contributions(X).to_numpy())
    # the detector findings weighed into the score travel with the model
    assert loaded.voyage.evidence == features.VOYAGE_EVIDENCE
    np.testing.assert_array_equal(loaded.voyage.evidence_weights_, fresh.voyage.evidence_weights_)
    assert loaded.voyage.evidence_weights_.max() == 0.4
    a = pipeline.run([fleet])
    b = pipeline.run([fleet], pipeline.Config(model_path=str(model_file)))
    np.testing.assert_array_equal(a.voyages["score"].to_numpy(), b.voyages["score"].to_numpy())
    assert b.summary["model"]["scored_against"] == "reference model"


def test_cli_train_then_score(fleet, model_file, tmp_path, capsys):
    m = tmp_path / "m.skops"
    assert main(["train", str(fleet), "--model", str(m), "--quiet"]) == 0
    assert capsys.readouterr().out == f"learnt from 21 vessels, 21 voyages, 7 gaps; model written to {m}\n"
    assert main(["score", str(fleet), "--model", str(m), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert (tmp_path / "r" / "alerts.csv").read_text().splitlines()[1].split(",")[3] == "273000009"


class Evil:
    """Stands for any type a model file should never bring in."""


def test_foreign_types_are_refused(tmp_path):
    bad = tmp_path / "evil.skops"
    sio.dump({"format": "vesseltrack-model/1", "voyage": Evil()}, bad)
    with pytest.raises(
        ModelError,
        match=r"holds types a vesseltrack model never holds \(\['test_model_io.Evil'\]\).*refusing to load it",
    ):
        load_model(bad)
    from sklearn.linear_model import LinearRegression
    sio.dump({"format": MODEL_FORMAT, "vesseltrack_version": "x", "reference": {"voyages": 9, "gaps": 0, "vessels": 9},
              "voyage": LinearRegression(), "gap": None}, bad)
    with pytest.raises(ModelError, match="'voyage' holds a LinearRegression; expected an IsolationScorer"):
        load_model(bad)


def test_tampered_and_non_model_files_are_refused(model_file, tmp_path):
    raw = model_file.read_bytes()
    tampered = tmp_path / "tampered.skops"
    tampered.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelError, match="not a vesseltrack model"):
        load_model(tampered)
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(b"\x80\x04\x95...")
    with pytest.raises(ModelError, match="not a vesseltrack model"):
        load_model(pickled)
    with pytest.raises(ModelError, match="model file not found"):
        load_model(tmp_path / "none.skops")


def test_other_format_version_is_refused(tmp_path):
    old = tmp_path / "old.skops"
    # format 1 scorers had no evidence weights, format 2 voyage scorers no tanker likely-dark feature:
    # such a model must be retrained, not half-read
    for fmt in ("vesseltrack-model/1", "vesseltrack-model/2"):
        sio.dump({"format": fmt, "vesseltrack_version": "0.0.1", "voyage": None, "gap": None}, old)
        with pytest.raises(
            ModelError,
            match=rf"model format '{fmt}' \(written by vesseltrack 0.0.1\) is not 'vesseltrack-model/3'.*retrain",
        ):
            load_model(old)


def test_feature_mismatch_is_refused():
    import pandas as pd
    s = IsolationScorer(n_estimators=5).fit(pd.DataFrame({"a": np.arange(20.0)}))
    m = ScoringModel(voyage=s, gap=None, vesseltrack_version="x", reference={})
    with pytest.raises(ModelError, match="do not match the fitted model's"):
        m.voyage.score_samples(pd.DataFrame({"b": np.arange(3.0)}))


def test_train_needs_enough_reference(tmp_path):
    f = write_marinecadastre(dark_tanker_rows()[:50], tmp_path / "tiny.csv")
    with pytest.raises(pipeline.ConfigError, match="expected at least 8 to learn from"):
        pipeline.train([f])


@pytest.fixture(scope="module")
def trained(fleet, tmp_path_factory):
    """A valid model written by the train command, to tamper with."""
    path = tmp_path_factory.mktemp("trained") / "normal.skops"
    assert main(["train", str(fleet), "--model", str(path), "--quiet"]) == 0
    return path


def _voyage(change):
    return lambda b: change(b["voyage"])


def _renamed_first(v):
    v.feature_names_in_ = np.array(["renamed", *v.feature_names_in_[1:]], dtype=object)


def _weights(value):
    def change(v):
        v.evidence_weights_ = np.where(v.evidence_weights_ > 0, value, 0.0)
        v.evidence = {k: value for k in v.evidence}
    return change


def _tree_cycle(v):
    v.model_.estimators_[0].tree_.children_left[0] = 0  # unchecked, scoring would loop forever


TAMPERED = {
    "missing key": (lambda b: b.pop("reference"), r"the model's keys are wrong \(missing \['reference'\], unknown \[\]\)"),  # noqa: E501
    "unknown key": (lambda b: b.update(code="x"), r"missing \[\], unknown \['code'\]\); expected exactly"),
    "no scorers": (lambda b: b.update(voyage=None, gap=None), "the model has no voyage scorer; expected one"),
    "future format": (lambda b: b.update(format="vesseltrack-model/99"),
                      "model format 'vesseltrack-model/99' .* upgrade vesseltrack to read it"),
    "format not text": (lambda b: b.update(format=3), "model format 3 .* retrain it"),
    "format an array": (lambda b: b.update(format=np.array(["a", "b"])), r"model format array\(\['a', 'b'\]"),
    "reference of mixed keys": (lambda b: b.update(reference={1: 2, "gaps": 0}), r"'reference' is \{1: 2, 'gaps': 0\}"),
    "version not text": (lambda b: b.update(vesseltrack_version=1.5), "'vesseltrack_version' is a float; expected a"),
    "reference not counts": (lambda b: b.update(reference=[1, 2]), r"'reference' is \[1, 2\]; expected counts"),
    "reference negative": (lambda b: b["reference"].update(voyages=-1), "'reference' is .*whole numbers >= 0"),
    "scorer of another type": (lambda b: b.update(voyage={"a": 1}), "'voyage' holds a dict; expected an IsolationScorer"),  # noqa: E501
    "weights of 5.0": (_voyage(_weights(5.0)), r"the voyage scorer: evidence is \{.*5\.0.*expected feature names with weights in \[0, 1\)"),  # noqa: E501
    "weights of 1.0": (_voyage(_weights(1.0)), r"evidence is .*expected feature names with weights in \[0, 1\)"),
    "weights unlike evidence": (_voyage(lambda v: setattr(v, "evidence_weights_", v.evidence_weights_ * 10)),
                                r"evidence_weights_ is \[.*4\..*expected the weights of evidence"),
    "NaN median": (_voyage(lambda v: v.reference_.__setitem__(0, np.nan)),
                   r"reference_ \(the reference medians\) is NaN, infinite or huge for \['log_duration_h'\]"),
    "median of the wrong shape": (_voyage(lambda v: setattr(v, "reference_", v.reference_[:-1])),
                                  r"reference_ .* is an array of shape \(20,\) .*expected 21 numbers"),
    "floors unlike medians": (_voyage(lambda v: setattr(v, "floors_", np.zeros(21))), "floors_ is .*expected the medians"),  # noqa: E501
    "wrong feature names": (_voyage(_renamed_first), r"its feature names is 21 names, missing \['log_duration_h'\], unknown \['renamed'\]"),  # noqa: E501
    "gap scorer of voyage features": (lambda b: b.update(gap=b["voyage"]), "the gap scorer: its feature names is 21 names"),  # noqa: E501
    "missing attribute": (_voyage(lambda v: delattr(v, "floors_")), r"its state is missing \['floors_'\]"),
    "wrong-typed attribute": (_voyage(lambda v: setattr(v, "n_features_in_", "21")), "n_features_in_ is '21'; expected 21"),  # noqa: E501
    "one_sided not names": (_voyage(lambda v: setattr(v, "one_sided", 5)), "one_sided is 5; expected a tuple"),
    "forest of another type": (_voyage(lambda v: setattr(v, "model_", "forest")), "model_ is a str; expected a fitted IsolationForest"),  # noqa: E501
    "a forest that prints": (_voyage(lambda v: setattr(v.model_, "verbose", 100)), "the forest's verbose is 100; expected 0"),  # noqa: E501
    "cycle in a tree": (_voyage(_tree_cycle), "the node table of tree 0 is inconsistent"),
    "zero path lengths": (_voyage(lambda v: v.model_._decision_path_lengths[3].__setitem__(slice(None), 0)),
                          r"_decision_path_lengths of tree 3 is (\d+) values from 0 to 0; expected \1 finite numbers >= 1"),  # noqa: E501
    "path lengths of too few trees": (_voyage(lambda v: setattr(v.model_, "_average_path_length_per_tree", ())),
                                      r"the forest's _average_path_length_per_tree is 0 entries; expected one entry per tree \(200\)"),  # noqa: E501
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_tampered_model_is_one_line_exit_2(case, trained, fleet, tmp_path, capsys):
    change, message = TAMPERED[case]
    bundle = sio.load(trained, trusted=TRUSTED_TYPES)
    change(bundle)
    bad = tmp_path / "tampered.skops"
    sio.dump(bundle, bad)
    out = tmp_path / "r"
    assert main(["score", str(fleet), "--model", str(bad), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"vesseltrack: error: {bad}: ") and err.count("\n") == 1, err
    assert re.search(message, err), err
    assert "Traceback" not in err and not out.exists()


def test_valid_extremes_load_and_score_in_0_1(trained, fleet, tmp_path):
    """Evidence weights just under 1 are valid: scores stay in [0, 1]."""
    bundle = sio.load(trained, trusted=TRUSTED_TYPES)
    _weights(0.999)(bundle["voyage"])
    path = tmp_path / "strong.skops"
    sio.dump(bundle, path)
    model = load_model(path)
    d = pipeline.detect(pipeline.ingest.read_positions(fleet), pipeline.Config(), pipeline.zones.build_gazetteer())
    s = model.voyage.score_samples(features.voyage_matrix(d.voyages))
    assert np.isfinite(s).all() and s.min() >= 0 and s.max() <= 1 and s.max() > 0.99
