"""The isolation-forest scorer (a scikit-learn estimator) and the reasons behind each score.

Scores are Liu et al.'s isolation-forest anomaly score s(x) = 2^(-E[h(x)] / c(n)) in (0, 1): about
0.5 for ordinary points, approaching 1 for points isolated in few splits. scikit-learn's
``IsolationForest.score_samples`` returns -s(x); the sign is flipped here, once, so that higher
means more anomalous everywhere in vesseltrack.

Detector findings that are suspicious by their definition (an MMSI broadcast by two ships at once, a
spoofed jump, a ship-to-ship encounter at sea, loitering with no partner in sight) are rare binary
facts, and an isolation forest weighs those poorly: a tree isolates a row on such a feature only
when it happens to pick that feature, so a voyage whose one anomaly is an encounter scores like an
ordinary voyage with a long reception gap. The scorer's ``evidence`` therefore names features whose
presence (a value above the reference median) is evidence in its own right, each with a weight w:
the score is a noisy-OR of the forest's score and the findings, ``1 - (1 - s) * prod(1 - w)``, so
each finding removes a share w of the remaining doubt. It keeps the forest's order among voyages
with the same findings, never lowers a score, and leaves rows without findings at the forest's own
score.

Explanations are occlusion contributions: for each feature, how much the score (findings included)
falls when that feature alone is set to the reference population's median. They are computed for all
rows and features at once (one scoring pass per feature, over only the rows whose value differs from
the median: for the others occlusion changes nothing and the contribution is exactly 0), never per
row.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.ensemble import IsolationForest
from sklearn.utils.validation import check_is_fitted

from vesseltrack.errors import ModelError

#: Fewer rows than this and a forest is not fitted: scores are NaN (nothing to compare against).
MIN_ROWS = 8


def noisy_or(score: np.ndarray, doubt: np.ndarray | float) -> np.ndarray:
    """A score raised by findings: ``1 - (1 - score) * doubt``, ``doubt`` the product of
    ``1 - weight`` over the findings (see the module docstring)."""
    return 1.0 - (1.0 - score) * doubt


class IsolationScorer(BaseEstimator):
    """Isolation forest over a named feature table; scores in (0, 1), higher = more anomalous.

    ``max_samples`` defaults to 64 rows per tree, not scikit-learn's 256: anomalies that come in
    small groups (several dark voyages from the same terminal) mask each other in large subsamples,
    and Liu et al. (2008) show that small subsamples reduce masking and swamping.

    ``one_sided`` names features for which only high values are suspicious (hours dark, closeness
    to a sensitive port, ...): values below the fitted population's median are raised to it, so
    the forest cannot isolate a row for being unusually innocent.

    ``evidence`` maps features that are detector findings (hours of ship-to-ship encounter, spoofed
    jumps, ...) to a weight in [0, 1): a row whose value is above the fitted population's median
    has that finding, and the score becomes ``1 - (1 - forest score) * prod(1 - weight)`` over its
    findings (see the module docstring). :meth:`forest_score_samples` gives the forest's own score.

    Parameters are stored untouched by ``__init__`` (scikit-learn's estimator contract); fitted
    state has a trailing underscore: ``model_``, ``feature_names_in_``, ``n_features_in_``,
    ``floors_`` (per-feature lower bounds, -inf for two-sided features), ``reference_``
    (per-feature medians used for explanations and findings) and ``evidence_weights_`` (per-feature
    weights, 0 for features that are not evidence).
    """

    def __init__(self, n_estimators: int = 200, max_samples: int | str = 64, random_state: int | None = 0,
                 one_sided: tuple[str, ...] = (), evidence: dict[str, float] | None = None):
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state
        self.one_sided = one_sided
        self.evidence = evidence

    def _check_X(self, X: pd.DataFrame, *, fitting: bool) -> np.ndarray:
        if not isinstance(X, pd.DataFrame):
            raise ModelError(
                f"features must be a pandas DataFrame with named columns; received {type(X).__name__}; pass features.voyage_matrix(...) or similar"  # noqa: E501
            )
        if not fitting:
            expected = list(self.feature_names_in_)
            if list(X.columns) != expected:
                raise ModelError(
                    f"feature columns {list(X.columns)} do not match the fitted model's {expected}; score with the same feature builder the model was fitted with"  # noqa: E501
                )
        A = X.to_numpy(dtype=float)
        if not np.isfinite(A).all():
            bad = [c for c, ok in zip(X.columns, np.isfinite(A).all(axis=0)) if not ok]
            raise ModelError(
                f"features {bad} contain NaN or infinite values; expected finite numbers; fill them before scoring"
            )
        return A

    def fit(self, X: pd.DataFrame, y=None) -> IsolationScorer:
        A = self._check_X(X, fitting=True)
        if len(A) < MIN_ROWS:
            raise ModelError(
                f"cannot fit on {len(A)} rows; expected at least {MIN_ROWS}; score more data at once or use a reference model"  # noqa: E501
            )
        unknown = sorted(set(self.one_sided) - set(X.columns))
        if unknown:
            raise ModelError(
                f"one_sided names {unknown}, which are not features; expected some of {list(X.columns)}; fix the feature names"  # noqa: E501
            )
        evidence = dict(self.evidence or {})
        unknown = sorted(set(evidence) - set(X.columns))
        if unknown:
            raise ModelError(
                f"evidence names {unknown}, which are not features; expected some of {list(X.columns)}; fix the feature names"  # noqa: E501
            )
        bad = {
            k: w
            for k, w in evidence.items()
            if isinstance(w, bool) or not (isinstance(w, numbers.Real) and 0.0 <= w < 1.0)
        }
        if bad:
            raise ModelError(
                f"evidence weights {bad} are out of range; expected numbers in [0, 1) (the share of doubt a finding removes); fix the weights"  # noqa: E501
            )
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = A.shape[1]
        median = np.median(A, axis=0)
        self.floors_ = np.where(np.isin(self.feature_names_in_, list(self.one_sided)), median, -np.inf)
        self.reference_ = median
        self.evidence_weights_ = np.array([float(evidence.get(c, 0.0)) for c in X.columns])
        max_samples = self.max_samples if isinstance(self.max_samples, str) else min(self.max_samples, len(A))
        self.model_ = IsolationForest(n_estimators=self.n_estimators, max_samples=max_samples,
                                      random_state=self.random_state).fit(np.maximum(A, self.floors_))
        return self

    def _floored(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "model_")
        return np.maximum(self._check_X(X, fitting=False), self.floors_)

    def _score(self, A: np.ndarray) -> np.ndarray:
        """Score of floored rows: the forest's, raised by the rows' findings (noisy-OR)."""
        s = -self.model_.score_samples(A)
        ev = np.flatnonzero(self.evidence_weights_ > 0)
        if len(ev) == 0 or len(A) == 0:
            return s
        doubt = np.where(A[:, ev] > self.reference_[ev], 1.0 - self.evidence_weights_[ev], 1.0).prod(axis=1)
        return np.where(doubt < 1.0, noisy_or(s, doubt), s)  # rows without findings keep the forest's score exactly

    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        """Anomaly score in (0, 1) per row, findings included; higher = more anomalous."""
        return self._score(self._floored(X))

    def forest_score_samples(self, X: pd.DataFrame) -> np.ndarray:
        """The isolation forest's own score in (0, 1) per row, without the ``evidence`` findings."""
        return -self.model_.score_samples(self._floored(X))

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Occlusion contributions: score minus the score with one feature set to the reference median.

        Only rows whose value of the feature differs from the median are re-scored (for the others
        the occluded row is the row itself: contribution exactly 0), in one vectorised pass per
        feature.
        """
        A = self._floored(X)
        base = self._score(A)
        out = np.zeros_like(A)
        for j in range(A.shape[1]):  # one vectorised pass per feature, not per row
            rows = np.flatnonzero(A[:, j] != self.reference_[j])
            if len(rows):
                B = A[rows]
                B[:, j] = self.reference_[j]
                out[rows, j] = base[rows] - self._score(B)
        return pd.DataFrame(out, columns=list(self.feature_names_in_), index=X.index)


def fit_scorer(X: pd.DataFrame, *, random_state: int = 0, n_estimators: int = 200,
               one_sided: tuple[str, ...] = (), evidence: dict[str, float] | None = None) -> IsolationScorer | None:
    """A scorer fitted on X, or None when X has too few rows to learn from."""
    if len(X) < MIN_ROWS:
        return None
    return IsolationScorer(n_estimators=n_estimators, random_state=random_state, one_sided=one_sided,
                           evidence=evidence).fit(X)


def apply_scorer(scorer: IsolationScorer | None, X: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """(scores, contributions) of X under ``scorer``; NaN scores and zero contributions without one."""
    if scorer is None or len(X) == 0:
        return np.full(len(X), np.nan), pd.DataFrame(np.zeros(X.shape), columns=X.columns, index=X.index)
    return scorer.score_samples(X), scorer.contributions(X)


def top_features(contrib: pd.DataFrame, *, k: int = 3, min_contribution: float = 0.005) -> list[list[str]]:
    """Per row, up to ``k`` feature names with the largest positive contributions, strongest first."""
    if contrib.empty:
        return [[] for _ in range(len(contrib))]
    C = contrib.to_numpy()
    order = np.argsort(-C, axis=1, kind="stable")[:, :k]
    names = np.asarray(contrib.columns, dtype=object)
    keep = np.take_along_axis(C, order, axis=1) > min_contribution
    return [list(names[o[m]]) for o, m in zip(order, keep)]


def _damaged(what: str, part: str, expected: str, received: str) -> ModelError:
    return ModelError(
        f"{what}: {part} is {received}; expected {expected}; the model file is damaged or was altered; retrain it with 'vesseltrack train'"  # noqa: E501
    )


def _is_count(value: object, n: int) -> bool:
    """``value`` is the whole number ``n`` (not a bool, an array or a string)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and int(value) == n


def _array(what: str, part: str, value: object, n: int) -> np.ndarray:
    """``value`` as a float vector of length ``n``, or a ModelError."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu" or value.shape != (n,):
        got = f"an array of shape {value.shape} and dtype {value.dtype}" if isinstance(value, np.ndarray) else \
            f"a {type(value).__name__}"
        raise _damaged(what, part, f"{n} numbers (one per feature)", got)
    return value.astype(float)


def _check_trees(what: str, forest: IsolationForest, n: int) -> None:
    """The forest's trees can only give finite depths >= 0, hence scores 2^(-depth / c) in (0, 1]:
    children after their parent (no cycles, no index outside the tree), split features among the
    ``n`` features, finite thresholds, path lengths >= 1 and average path lengths >= 0 (a row's
    depth in a tree is ``path length + average path length - 1``, scikit-learn's
    ``_parallel_compute_tree_depths``). One vectorised check per tree (a few hundred trees), on load
    only."""
    from sklearn.tree import ExtraTreeRegressor
    from sklearn.tree._tree import Tree

    trees = forest.estimators_
    if not isinstance(trees, list) or not trees:
        raise _damaged(what, "the forest's list of trees", "a non-empty list", repr(type(trees).__name__))
    per_tree = {"estimators_features_": forest.estimators_features_,
                "_decision_path_lengths": forest._decision_path_lengths,
                "_average_path_length_per_tree": forest._average_path_length_per_tree}
    for part, values in per_tree.items():
        if not isinstance(values, (list, tuple)) or len(values) != len(trees):
            got = f"{len(values)} entries" if isinstance(values, (list, tuple)) else f"a {type(values).__name__}"
            raise _damaged(what, f"the forest's {part}", f"one entry per tree ({len(trees)})", got)
    for k, est in enumerate(trees):
        tree = getattr(est, "tree_", None)
        if not isinstance(est, ExtraTreeRegressor) or not isinstance(tree, Tree):
            raise _damaged(what, f"tree {k}", "an ExtraTreeRegressor with a fitted tree", f"a {type(est).__name__}")
        m = tree.node_count
        left, right, feature, threshold = tree.children_left, tree.children_right, tree.feature, tree.threshold
        idx = np.arange(m)
        leaf = left == -1
        ok_nodes = (
            m >= 1 and tree.n_features == n
            and np.array_equal(leaf, right == -1)
            and bool(np.all(leaf | ((left > idx) & (right > idx) & (left < m) & (right < m))))
            and bool(np.all(leaf | ((feature >= 0) & (feature < n) & np.isfinite(threshold))))
        )
        if not ok_nodes:
            raise _damaged(what, f"the node table of tree {k}",
                           f"a tree over {n} features whose children follow their parent", "inconsistent")
        cols = forest.estimators_features_[k]
        if not isinstance(cols, np.ndarray) or cols.dtype.kind not in "iu" or not np.all((cols >= 0) & (cols < n)):
            raise _damaged(what, f"the features of tree {k}", f"indices in [0, {n})", repr(cols)[:80])
        for part, least in (("_decision_path_lengths", 1), ("_average_path_length_per_tree", 0)):
            v = getattr(forest, part)[k]
            if not (isinstance(v, np.ndarray) and v.shape == (m,) and v.dtype.kind in "fiu"
                    and bool(np.all(np.isfinite(v) & (v >= least)))):
                got = (f"{v.size} values from {np.nanmin(v) if v.size else None} to {np.nanmax(v) if v.size else None}"
                       if isinstance(v, np.ndarray) and v.dtype.kind in "fiu" else f"a {type(v).__name__}")
                raise _damaged(what, f"{part} of tree {k}", f"{m} finite numbers >= {least} (one per node)", got)


def check_fitted(scorer: object, feature_names: Sequence[str], *, what: str) -> None:
    """Raise ModelError unless ``scorer`` is a fitted :class:`IsolationScorer` over exactly
    ``feature_names`` whose state can only give scores in [0, 1].

    For models read from a file (:func:`vesseltrack.model_io.load_model`): skops checks the types a
    file holds, this checks the values: parameters, the shapes of the fitted arrays and the
    features they name, finite medians, evidence weights in [0, 1), and the forest's trees (see
    :func:`_check_trees`). The forest's score is then in (0, 1] and the noisy-OR of weights in
    [0, 1) keeps it in [0, 1]. ``what`` names the scorer in messages (e.g. ``"normal.skops: the
    voyage scorer"``).
    """
    if not isinstance(scorer, IsolationScorer):
        raise _damaged(what, "the scorer", "an IsolationScorer", f"a {type(scorer).__name__}")
    names = list(feature_names)
    n = len(names)
    state = vars(scorer)
    missing = [a for a in ("n_estimators", "max_samples", "random_state", "one_sided", "evidence",
                           "feature_names_in_", "n_features_in_", "floors_", "reference_", "evidence_weights_",
                           "model_") if a not in state]
    if missing:
        raise _damaged(what, "its state", "every fitted attribute", f"missing {missing}")
    got = scorer.feature_names_in_
    got_names = list(got) if isinstance(got, np.ndarray) and got.ndim == 1 else None
    if got_names != names:
        if got_names is None:
            received = f"a {type(got).__name__}"
        else:
            received = (f"{len(got_names)} names, missing {[c for c in names if c not in got_names][:5]}, unknown "
                        f"{[c for c in got_names if c not in names][:5]}")
        raise _damaged(what, "its feature names", f"the {n} features this version computes, in order", received)
    if not _is_count(scorer.n_features_in_, n):
        raise _damaged(what, "n_features_in_", str(n), repr(scorer.n_features_in_))
    one_sided, evidence = scorer.one_sided, scorer.evidence
    if not isinstance(one_sided, (tuple, list)) or not all(isinstance(c, str) and c in names for c in one_sided):
        raise _damaged(what, "one_sided", "a tuple of feature names", repr(one_sided)[:80])
    if evidence is None:
        evidence = {}
    if not isinstance(evidence, dict) or not set(evidence) <= set(names) or any(
            isinstance(w, bool) or not isinstance(w, numbers.Real) or not 0.0 <= w < 1.0 for w in evidence.values()):
        raise _damaged(what, "evidence", "feature names with weights in [0, 1)", repr(evidence)[:120])
    reference = _array(what, "reference_ (the reference medians)", scorer.reference_, n)
    sane = np.isfinite(reference) & (np.abs(reference) <= np.finfo(np.float32).max)  # the forest works in float32
    if not sane.all():
        raise _damaged(what, "reference_ (the reference medians)", "finite numbers (within float32 range)",
                       f"NaN, infinite or huge for {[c for c, ok in zip(names, sane) if not ok][:5]}")
    weights = _array(what, "evidence_weights_", scorer.evidence_weights_, n)
    if not np.array_equal(weights, [float(evidence.get(c, 0.0)) for c in names]):
        raise _damaged(what, "evidence_weights_", f"the weights of evidence {evidence} in [0, 1), 0 elsewhere",
                       np.array2string(weights, precision=3, threshold=30))
    floors = _array(what, "floors_", scorer.floors_, n)
    if not np.array_equal(floors, np.where(np.isin(names, list(one_sided)), reference, -np.inf)):
        raise _damaged(what, "floors_", "the medians of the one-sided features, -inf elsewhere",
                       np.array2string(floors, precision=3, threshold=30))
    forest = scorer.model_
    if not isinstance(forest, IsolationForest):
        raise _damaged(what, "model_", "a fitted IsolationForest", f"a {type(forest).__name__}")
    fstate = vars(forest)
    if not all(a in fstate for a in ("estimators_", "estimators_features_", "_decision_path_lengths",
                                     "_average_path_length_per_tree", "_max_samples", "_max_features",
                                     "n_features_in_", "verbose")):
        raise _damaged(what, "model_", "a fitted IsolationForest", "an IsolationForest missing fitted attributes")
    if not (_is_count(forest.n_features_in_, n) and _is_count(forest._max_features, n)):
        raise _damaged(what, "the forest's feature count", str(n),
                       f"{forest.n_features_in_!r} (trees use {forest._max_features!r})")
    if isinstance(forest._max_samples, bool) or not isinstance(forest._max_samples, numbers.Integral) \
            or forest._max_samples < 1:
        raise _damaged(what, "the forest's _max_samples", "a positive whole number", repr(forest._max_samples))
    if not _is_count(forest.verbose, 0):  # scoring passes it to joblib: no progress printing from a model file
        raise _damaged(what, "the forest's verbose", "0", repr(forest.verbose)[:40])
    _check_trees(what, forest, n)
