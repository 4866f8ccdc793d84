import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from vesseltrack.errors import ModelError
from vesseltrack.scoring import IsolationScorer, fit_score, top_features


def data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n), "c": rng.normal(0, 1, n)})
    X.loc[0, "b"] = 12.0  # one clear outlier, on feature b
    return X


def test_estimator_contract():
    s = IsolationScorer(n_estimators=50, random_state=3)
    assert s.get_params() == {"n_estimators": 50, "max_samples": 64, "random_state": 3, "one_sided": ()}
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
    with pytest.raises(ModelError, match=r"feature columns \['a', 'c', 'b'\] do not match the fitted model's \['a', 'b', 'c'\]"):
        s.score_samples(data()[["a", "c", "b"]])
    bad = data()
    bad.loc[3, "a"] = np.nan
    with pytest.raises(ModelError, match=r"features \['a'\] contain NaN or infinite values"):
        IsolationScorer().fit(bad)
    with pytest.raises(ModelError, match="must be a pandas DataFrame"):
        IsolationScorer().fit(data().to_numpy())
    with pytest.raises(ModelError, match="cannot fit on 3 rows; expected at least 8"):
        IsolationScorer().fit(data().head(3))


def test_fit_score_small_batches_get_nan():
    score, contrib = fit_score(data().head(3))
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
