"""Train once, score many: a saved model scores identically; foreign and tampered files are refused."""

import numpy as np
import pytest
import skops.io as sio
from conftest import dark_tanker_rows, write_marinecadastre

from vesseltrack import features, pipeline
from vesseltrack.cli import main
from vesseltrack.errors import ModelError
from vesseltrack.model_io import MODEL_FORMAT, ScoringModel, load_model
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
    sio.dump({"format": MODEL_FORMAT, "vesseltrack_version": "x", "voyage": LinearRegression(), "gap": None}, bad)
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
