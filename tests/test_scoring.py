import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from vesseltrack.errors import ModelError
from vesseltrack.scoring import IsolationScorer, apply_scorer, fit_scorer, top_features


def data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n), "c": rng.normal(0, 1, n)})
    X.loc[0, "b"] = 12.0  # one clear outlier, on feature b
    return X


def test_estimator_contract():
    s = IsolationScorer(n_estimators=50, random_state=3)
    assert s.get_params() == {
        "n_estimators": 50,
        "max_samples": 64,
        "random_state": 3,
        "one_sided": (),
        "evidence": None,
    }
    assert not hasattr(s, "model_")
    with pytest.raises(NotFittedError):
        s.score_samples(data())
    fitted = s.fit(data())
    assert fitted is s and list(s.feature_names_in_) == ["a", "b", "c"] and s.n_features_in_ == 3
    assert not hasattr(clone(s), "model_")


def test_scores_higher_is_more_anomalous_and_reproducible():
    X = data()
    a = IsolationScorer(random_state=0, max_samples=256).fit(X).score_samples(X)
    b = IsolationScorer(random_state=0, max_samples=256).fit(X).score_samples(X)
    assert np.array_equal(a, b)
    assert a.argmax() == 0 and 0 < a.min() and a.max() < 1
    assert np.median(a) < 0.55


def test_contributions_name_the_feature_that_isolates():
    X = data()
    s = IsolationScorer(random_state=0).fit(X)
    c = s.contributions(X)
    assert list(c.columns) == ["a", "b", "c"]
    assert c.loc[0].idxmax() == "b" and c.loc[0, "b"] > 0.1
    assert top_features(c.iloc[[0]])[0][0] == "b"


def test_bad_input_is_refused():
    s = IsolationScorer().fit(data())
    with pytest.raises(
        ModelError, match=r"feature columns \['a', 'c', 'b'\] do not match the fitted model's \['a', 'b', 'c'\]"
    ):
        s.score_samples(data()[["a", "c", "b"]])
    bad = data()
    bad.loc[3, "a"] = np.nan
    with pytest.raises(ModelError, match=r"features \['a'\] contain NaN or infinite values"):
        IsolationScorer().fit(bad)
    with pytest.raises(ModelError, match="must be a pandas DataFrame"):
        IsolationScorer().fit(data().to_numpy())
    with pytest.raises(ModelError, match="cannot fit on 3 rows; expected at least 8"):
        IsolationScorer().fit(data().head(3))


def test_small_batches_get_no_scorer_and_nan_scores():
    X = data().head(3)
    assert fit_scorer(X) is None
    score, contrib = apply_scorer(fit_scorer(X), X)
    assert np.isnan(score).all() and contrib.shape == (3, 3)


def test_one_sided_features_cannot_isolate_innocent_rows():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"dark": rng.normal(5, 1, 300), "other": rng.normal(0, 1, 300)})
    X.loc[0, "dark"] = -20.0  # unusually innocent
    X.loc[1, "dark"] = 30.0   # unusually dark
    two = IsolationScorer(random_state=0).fit(X).score_samples(X)
    one = IsolationScorer(random_state=0, one_sided=("dark",)).fit(X).score_samples(X)
    assert two[0] > 0.6 and one[0] < 0.55 and one[1] > 0.6
    with pytest.raises(ModelError, match=r"one_sided names \['nope'\]"):
        IsolationScorer(one_sided=("nope",)).fit(X)


def test_small_subsamples_reduce_masking_of_clustered_anomalies():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(0, 1, 300), "b": rng.normal(0, 1, 300)})
    X.loc[:11, ["a", "b"]] = rng.normal(4.0, 0.1, (12, 2))  # a tight group of 12 anomalies
    small = IsolationScorer(random_state=0).fit(X).score_samples(X)            # 64 rows per tree
    large = IsolationScorer(random_state=0, max_samples=300).fit(X).score_samples(X)
    assert small[:12].mean() > large[:12].mean()
    assert np.median(small[12:]) < 0.55


def flagged(n=300, seed=4):
    """Ordinary rows; three of them carry a rare finding ("flag") and are otherwise ordinary."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n), "c": rng.normal(0, 1, n), "flag": np.zeros(n)}
    )
    X.loc[[5, 6, 7], "flag"] = 1.0
    return X


def test_evidence_raises_scores_by_noisy_or_and_leaves_other_rows_alone():
    X = flagged()
    plain = IsolationScorer(random_state=0, one_sided=("flag",)).fit(X)
    s = IsolationScorer(random_state=0, one_sided=("flag",), evidence={"flag": 0.4}).fit(X)
    forest = s.forest_score_samples(X)
    np.testing.assert_array_equal(forest, plain.score_samples(X))  # same forest: evidence is applied after it
    score = s.score_samples(X)
    has = X["flag"].to_numpy() > 0
    np.testing.assert_array_equal(score[~has], forest[~has])
    np.testing.assert_allclose(score[has], 1 - (1 - forest[has]) * 0.6)
    # the forest alone does not single out a rare binary finding on an otherwise ordinary row ...
    assert forest[has].max() < 0.6 and forest[has].min() < forest[~has].max()
    # ... the finding lifts those rows above every other row, keeping their order
    assert score[has].min() > 0.69 and score[has].min() > score[~has].max()
    assert np.argsort(score[has]).tolist() == np.argsort(forest[has]).tolist()
    # two findings compound: each removes 40% of the remaining doubt
    two = IsolationScorer(random_state=0, evidence={"flag": 0.4, "c": 0.4}).fit(X.assign(c=X["flag"]))
    f2 = two.forest_score_samples(X.assign(c=X["flag"]))
    np.testing.assert_allclose(two.score_samples(X.assign(c=X["flag"]))[has], 1 - (1 - f2[has]) * 0.36)


def test_evidence_is_explained_by_occlusion():
    X = flagged()
    s = IsolationScorer(random_state=0, one_sided=("flag",), evidence={"flag": 0.4}).fit(X)
    c = s.contributions(X)
    assert (c.loc[[5, 6, 7]].idxmax(axis=1) == "flag").all()
    occluded = s.score_samples(X.assign(flag=0.0))  # the reference median of flag is 0
    np.testing.assert_allclose(c["flag"], s.score_samples(X) - occluded, atol=1e-15)
    assert (c.loc[~X.index.isin([5, 6, 7]), "flag"] == 0.0).all()


def test_contributions_equal_full_occlusion_of_every_row():
    X = flagged()
    s = IsolationScorer(random_state=0, one_sided=("a", "flag"), evidence={"flag": 0.4}).fit(X)
    base = s.score_samples(X)
    full = np.column_stack(
        [base - s.score_samples(X.assign(**{col: s.reference_[j]})) for j, col in enumerate(X.columns)]
    )
    np.testing.assert_array_equal(s.contributions(X).to_numpy(), full)  # rows at the median are 0, exactly


def test_bad_evidence_is_refused():
    X = flagged()
    with pytest.raises(
        ModelError,
        match=r"evidence names \['nope'\], which are not features; expected some of \['a', 'b', 'c', 'flag'\]",
    ):
        IsolationScorer(evidence={"nope": 0.4}).fit(X)
    with pytest.raises(
        ModelError, match=r"evidence weights \{'flag': 1.0\} are out of range; expected numbers in \[0, 1\)"
    ):
        IsolationScorer(evidence={"flag": 1.0}).fit(X)


def test_a_tankers_likely_dark_hours_are_evidence_and_a_fishing_vessels_are_not():
    from vesseltrack import features, schema

    n = 60
    rng = np.random.default_rng(0)
    f = pd.DataFrame({c.name: np.zeros(n) for c in schema.VOYAGE_FEATURES})
    f["duration_h"] = rng.uniform(20, 80, n)
    f["n_positions"] = 100
    f["is_tanker"] = (np.arange(n) % 2).astype(np.int64)  # odd rows are tankers
    f.loc[[0, 1], "likely_dark_hours"] = 40.0              # a fishing vessel and a tanker, each 40 h likely dark
    X = features.voyage_matrix(f)
    assert X["log_tanker_likely_dark_hours"].tolist()[:3] == [0.0, np.log1p(40.0), 0.0]
    s = IsolationScorer(random_state=0, one_sided=features.VOYAGE_ONE_SIDED, evidence=features.VOYAGE_EVIDENCE).fit(X)
    score, forest = s.score_samples(X), s.forest_score_samples(X)
    assert score[0] == forest[0]  # the fishing vessel is graded by the forest alone
    assert score[1] == pytest.approx(
        1 - (1 - forest[1]) * (1 - features.VOYAGE_EVIDENCE["log_tanker_likely_dark_hours"])
    )
    assert score[1] > score[0]
