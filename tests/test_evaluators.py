"""The built-in evaluators `holdout` and `kfold`, and the shared fit-and-score helper."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from spacedsl import plugins
from spacedsl.evaluators import Evaluation, SplitEvaluator, get_scorer

EVALUATORS = sorted(plugins.evaluators())
X, Y = load_iris(return_X_y=True)
XR, YR = (a[:200] for a in load_diabetes(return_X_y=True))


def make(name, seed=0, **options):
    return plugins.evaluator(name)(seed=seed, **options)


class Boom(SVC):
    """An SVC whose fit raises when C is large."""

    def fit(self, X, y, sample_weight=None):
        if self.C > 5:
            raise ArithmeticError(f"C={self.C} is too large")
        return super().fit(X, y, sample_weight)


def test_the_built_in_evaluators_are_registered_as_plugins():
    assert {"holdout", "kfold"} <= set(EVALUATORS)
    provided = {name: prov.package for kind, name, prov in plugins.listing() if kind == "evaluator"}
    assert provided["holdout"] == provided["kfold"] == "spacedsl"


# ------------------------------------------------------------------ contract
@pytest.mark.parametrize("name", EVALUATORS)
def test_evaluate_returns_an_evaluation(name):
    ev = make(name).evaluate(SVC(), {"C": 1.0}, X, Y, "accuracy")
    assert isinstance(ev, Evaluation) and not ev.failed and ev.error is None
    assert 0.8 < ev.score <= 1.0
    assert ev.score == pytest.approx(np.mean(ev.fold_scores))
    assert len(ev.fit_times) == len(ev.score_times) == len(ev.fold_scores) >= 1
    assert all(t >= 0 for t in ev.fit_times + ev.score_times)
    assert ev.duration == pytest.approx(ev.fit_time + ev.score_time)


@pytest.mark.parametrize("name", EVALUATORS)
def test_same_seed_same_splits_and_scores(name):
    a = make(name, seed=3).evaluate(SVC(), {"C": 0.5}, X, Y, None)
    b = make(name, seed=3).evaluate(SVC(), {"C": 0.5}, X, Y, None)
    assert a.fold_scores == b.fold_scores
    c = make(name, seed=4)
    if isinstance(c, SplitEvaluator):
        split_a = make(name, seed=3).split(SVC(), X, Y)
        split_c = c.split(SVC(), X, Y)
        assert any(not np.array_equal(t1, t2) for (_, t1), (_, t2) in zip(split_a, split_c))


@pytest.mark.parametrize("name", EVALUATORS)
def test_a_fit_that_raises_is_a_failed_evaluation_not_an_exception(name):
    ev = make(name).evaluate(Boom(), {"C": 10.0}, X, Y, "accuracy")
    assert ev.failed and ev.score is None and ev.fold_scores == ()
    assert ev.error == "ArithmeticError: C=10.0 is too large"
    assert not make(name).evaluate(Boom(), {"C": 1.0}, X, Y, "accuracy").failed


@pytest.mark.parametrize("name", EVALUATORS)
def test_pipeline_parameter_names_work(name):
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())])
    ev = make(name).evaluate(pipe, {"clf__C": 0.5, "scale__with_std": True}, X, Y, "accuracy")
    assert not ev.failed, ev.error
    assert pipe.get_params()["clf__C"] == 1.0  # the estimator passed in is never changed
    assert not hasattr(pipe.named_steps["clf"], "coef_")  # nor fitted


@pytest.mark.parametrize("name", EVALUATORS)
def test_an_unknown_parameter_fails_the_evaluation(name):
    ev = make(name).evaluate(SVC(), {"not_a_param": 1}, X, Y, None)
    assert ev.failed and "not_a_param" in ev.error


# -------------------------------------------------------------------- kfold
def test_kfold_is_stratified_kfold_with_seeded_shuffling_for_classifiers():
    folds = make("kfold", seed=7).split(SVC(), X, Y)
    expected = StratifiedKFold(5, shuffle=True, random_state=7).split(X, Y)
    assert len(folds) == 5
    for (train, test), (train2, test2) in zip(folds, expected):
        assert np.array_equal(train, train2) and np.array_equal(test, test2)
    assert sorted(np.concatenate([t for _, t in folds])) == list(range(len(X)))


def test_kfold_scores_match_cross_val_score_with_the_same_splitter():
    ev = make("kfold", seed=1, k=4).evaluate(SVC(), {"C": 2.0}, X, Y, "f1_macro")
    cv = StratifiedKFold(4, shuffle=True, random_state=1)
    expected = cross_val_score(SVC(C=2.0), X, Y, cv=cv, scoring="f1_macro")
    assert ev.fold_scores == tuple(expected)


def test_kfold_is_plain_kfold_for_regressors():
    judge = make("kfold", seed=2, k=3)
    assert isinstance(judge.splitter(Ridge(), YR), KFold)
    ev = judge.evaluate(Ridge(), {"alpha": 1.0}, XR, YR, "neg_mean_squared_error")
    expected = cross_val_score(Ridge(), XR, YR, cv=KFold(3, shuffle=True, random_state=2),
                               scoring="neg_mean_squared_error")
    assert ev.fold_scores == pytest.approx(tuple(expected))
    assert ev.score < 0  # greater is better: the negated error


def test_kfold_without_shuffle_is_scikit_learns_default_cv():
    folds = make("kfold", seed=None, shuffle=False).split(SVC(), X, Y)
    for (train, test), (train2, test2) in zip(folds, StratifiedKFold(5).split(X, Y)):
        assert np.array_equal(test, test2)


def test_kfold_with_groups_keeps_each_group_on_one_side():
    groups = np.arange(len(X)) // 10  # 15 groups of 10
    judge = make("kfold", seed=0)
    assert isinstance(judge.splitter(SVC(), Y, groups), GroupKFold)
    for train, test in judge.split(SVC(), X, Y, groups):
        assert not set(groups[train]) & set(groups[test])
    assert not judge.evaluate(SVC(), {"C": 1.0}, X, Y, None, groups=groups).failed


def test_kfold_options_are_checked():
    with pytest.raises(ValueError, match="k must be"):
        make("kfold", k=1)
    with pytest.raises(TypeError):
        make("kfold", folds=3)


# ------------------------------------------------------------------ holdout
def test_holdout_is_one_stratified_seeded_split():
    [(train, test)] = make("holdout", seed=0).split(SVC(), X, Y)
    assert len(test) == 30 and len(train) == 120
    assert not set(train) & set(test)
    assert np.bincount(Y[test]).tolist() == [10, 10, 10]  # stratified: the class shares are kept


def test_holdout_fraction_and_count():
    [(train, test)] = make("holdout", validation_fraction=0.5).split(SVC(), X, Y)
    assert len(test) == 75
    [(train, test)] = make("holdout", validation_fraction=20).split(SVC(), X, Y)
    assert len(test) == 20
    with pytest.raises(ValueError, match="validation_fraction"):
        make("holdout", validation_fraction=1.5)


def test_holdout_is_not_stratified_for_regressors_and_respects_groups():
    [(train, test)] = make("holdout", seed=0).split(Ridge(), XR, YR)
    assert len(test) == 40
    groups = np.arange(len(X)) // 10
    [(train, test)] = make("holdout", seed=0).split(SVC(), X, Y, groups)
    assert not set(groups[train]) & set(groups[test])


# ------------------------------------------------------------------ scoring
def test_scoring_by_name_callable_or_default():
    judge = make("kfold", k=3)
    default = judge.evaluate(SVC(), {}, X, Y, None)
    assert default.fold_scores == judge.evaluate(SVC(), {}, X, Y, "accuracy").fold_scores

    def always_half(estimator, X_, y_):
        return 0.5
    assert judge.evaluate(SVC(), {}, X, Y, always_half).fold_scores == (0.5, 0.5, 0.5)


def test_a_nan_score_fails_the_evaluation():
    ev = make("kfold", k=3).evaluate(SVC(), {}, X, Y, lambda est, X_, y_: math.nan)
    assert ev.failed and "nan" in ev.error


def test_unknown_scoring_names_are_rejected_with_a_suggestion():
    with pytest.raises(ValueError, match="did you mean 'accuracy'"):
        get_scorer(SVC(), "acuracy")
    with pytest.raises(ValueError, match="one metric"):
        get_scorer(SVC(), ["accuracy", "f1_macro"])
