"""`SpaceSearchCV`: a real BaseSearchCV, identical to GridSearchCV on a grid, and consistent with `search`."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, load_wine
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.model_selection._search import BaseSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import spacedsl
from spacedsl import hookimpl, plugins
from spacedsl.running.search import search
from spacedsl.running.sklearn import SpaceSearchCV
from spacedsl.strategies import Strategy

X, Y = load_iris(return_X_y=True)
XW, YW = load_wine(return_X_y=True)
GRID_TEXT = "C in [0.1, 1, 10]\nkernel in ['linear', 'rbf']\n"
GRID = {"C": [0.1, 1, 10], "kernel": ["linear", "rbf"]}
SVM = "C ~ loguniform(1e-2, 1e2)\nkernel in ['linear', 'rbf']\n"


def by_params(results, key):
    return {tuple(sorted(p.items())): results[key][i] for i, p in enumerate(results["params"])}


def assert_same_results(ours, theirs, keys):
    assert len(ours["params"]) == len(theirs["params"])
    for key in keys:
        assert by_params(ours, key) == by_params(theirs, key), key


class Teller(Strategy):
    """Random draws, one at a time; records what it is told."""

    last = None

    def __init__(self, space, seed=None):
        super().__init__(space, seed)
        Teller.last = self

    def propose(self, n):
        return self.space.sample(n, seed=self.rng)


class TellerPlugin:
    @hookimpl
    def spacedsl_strategies(self):
        return {"teller": Teller}


@pytest.fixture
def teller():
    plugin = TellerPlugin()
    plugins.register(plugin, name="test-sklearn-teller")
    try:
        yield
    finally:
        plugins.unregister(plugin)


# --------------------------------------------------------- GridSearchCV parity
def test_it_is_a_base_search_cv():
    assert issubclass(SpaceSearchCV, BaseSearchCV)
    assert "_run_search" in SpaceSearchCV.__dict__


@pytest.mark.parametrize("cv", [5, StratifiedKFold(3, shuffle=True, random_state=0)])
def test_grid_strategy_scores_are_identical_to_grid_search_cv(cv):
    ours = SpaceSearchCV(SVC(), GRID_TEXT, strategy="grid", n_iter=100, cv=cv, return_train_score=True).fit(X, Y)
    theirs = GridSearchCV(SVC(), GRID, cv=cv, return_train_score=True).fit(X, Y)
    splits = [f"split{i}_{kind}_score" for i in range(ours.n_splits_) for kind in ("test", "train")]
    assert_same_results(ours.cv_results_, theirs.cv_results_,
                        ["mean_test_score", "std_test_score", "rank_test_score", "mean_train_score"] + splits)
    assert ours.best_params_ == theirs.best_params_ and ours.best_score_ == theirs.best_score_
    assert ours.n_splits_ == theirs.n_splits_
    assert np.array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, Y) == theirs.score(X, Y)


def test_multi_metric_scoring_with_refit_by_name(teller):
    scoring = ["accuracy", "f1_macro"]
    ours = SpaceSearchCV(SVC(), GRID_TEXT, strategy="grid", n_iter=100, scoring=scoring, refit="f1_macro").fit(X, Y)
    theirs = GridSearchCV(SVC(), GRID, scoring=scoring, refit="f1_macro").fit(X, Y)
    assert_same_results(ours.cv_results_, theirs.cv_results_,
                        ["mean_test_accuracy", "mean_test_f1_macro", "rank_test_f1_macro"])
    assert ours.best_params_ == theirs.best_params_ and ours.best_score_ == theirs.best_score_
    assert set(ours.scorer_) == {"accuracy", "f1_macro"} and ours.multimetric_

    search_cv = SpaceSearchCV(SVC(), SVM, strategy="teller", n_iter=4, scoring=scoring, refit="f1_macro",
                              random_state=0).fit(X, Y)
    told = [loss for _, loss in Teller.last.history]
    assert told == pytest.approx(list(-search_cv.cv_results_["mean_test_f1_macro"]))
    with pytest.raises(ValueError, match="refit"):
        SpaceSearchCV(SVC(), SVM, strategy="random", n_iter=2, scoring=scoring).fit(X, Y)


def test_refit_false_and_callable_refit():
    search_cv = SpaceSearchCV(SVC(), SVM, strategy="random", n_iter=3, refit=False, random_state=0).fit(X, Y)
    assert not hasattr(search_cv, "best_estimator_") and hasattr(search_cv, "best_params_")
    with pytest.raises(AttributeError):
        search_cv.predict(X)
    search_cv = SpaceSearchCV(SVC(), SVM, strategy="random", n_iter=3, refit=lambda results: 1,
                              random_state=0).fit(X, Y)
    assert search_cv.best_index_ == 1 and search_cv.best_params_ == search_cv.cv_results_["params"][1]


def test_predict_score_and_friends_are_the_best_estimators():
    search_cv = SpaceSearchCV(LogisticRegression(max_iter=500), "C ~ loguniform(1e-2, 1e2)", strategy="sobol",
                              n_iter=3, random_state=0).fit(X, Y)
    best = search_cv.best_estimator_
    assert np.array_equal(search_cv.predict(X), best.predict(X))
    assert np.array_equal(search_cv.predict_proba(X), best.predict_proba(X))
    assert search_cv.score(X, Y) == best.score(X, Y)
    assert list(search_cv.classes_) == [0, 1, 2]
    with pytest.raises(NotFittedError):
        SpaceSearchCV(SVC(), SVM).predict(X)


# ---------------------------------------------------------------- the strategy
def test_the_strategy_is_told_the_negated_mean_test_score(teller):
    search_cv = SpaceSearchCV(SVC(), SVM, strategy="teller", n_iter=4, random_state=1).fit(X, Y)
    history = Teller.last.history
    assert [c for c, _ in history] == search_cv.cv_results_["params"]
    assert [loss for _, loss in history] == pytest.approx(list(-search_cv.cv_results_["mean_test_score"]))


def test_n_iter_and_random_state():
    a = SpaceSearchCV(SVC(), SVM, strategy="random", n_iter=5, random_state=3).fit(X, Y)
    b = SpaceSearchCV(SVC(), SVM, strategy="random", n_iter=5, random_state=3).fit(X, Y)
    c = SpaceSearchCV(SVC(), SVM, strategy="random", n_iter=5, random_state=4).fit(X, Y)
    assert len(a.cv_results_["params"]) == 5
    assert a.cv_results_["params"] == b.cv_results_["params"] != c.cv_results_["params"]
    d = SpaceSearchCV(SVC(), SVM, strategy="random", n_iter=2, random_state=np.random.RandomState(0)).fit(X, Y)
    assert len(d.cv_results_["params"]) == 2
    with pytest.raises(ValueError, match="n_iter"):
        SpaceSearchCV(SVC(), SVM, strategy="random", n_iter=0).fit(X, Y)


def test_n_jobs_does_not_change_the_results(teller):
    kwargs = dict(n_iter=3, random_state=0, cv=3)
    for strategy in ("sobol", "teller"):
        one = SpaceSearchCV(SVC(), SVM, strategy=strategy, n_jobs=1, **kwargs).fit(X, Y)
        two = SpaceSearchCV(SVC(), SVM, strategy=strategy, n_jobs=2, **kwargs).fit(X, Y)
        assert one.cv_results_["params"] == two.cv_results_["params"]
        assert list(one.cv_results_["mean_test_score"]) == list(two.cv_results_["mean_test_score"])


# -------------------------------------------------------------------- failures
def test_a_failing_candidate_alone_in_its_batch_does_not_end_the_search():
    space = "C ~ loguniform(1e-2, 1e2)\nkernel in ['linear', 'nonsense']\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search_cv = SpaceSearchCV(SVC(), space, strategy="random", n_iter=8, batch_size=1, random_state=0).fit(X, Y)
    scores = search_cv.cv_results_["mean_test_score"]
    kernels = [p["kernel"] for p in search_cv.cv_results_["params"]]
    assert all(np.isnan(s) == (k == "nonsense") for s, k in zip(scores, kernels))
    assert "nonsense" in kernels and search_cv.best_params_["kernel"] == "linear"


@pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")
def test_a_failing_batch_warns_as_scikit_learn_does():
    space = "C ~ loguniform(1e-2, 1e2)\nkernel in ['linear', 'nonsense']\n"
    with pytest.warns(FitFailedWarning):
        SpaceSearchCV(SVC(), space, strategy="random", n_iter=6, batch_size=1, random_state=0).fit(X, Y)


def test_every_fit_failing_raises_and_error_score_raise_raises_at_once():
    space = "C ~ uniform(1, 2)\nkernel in ['nonsense']\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"All the 15 fits failed(.|\n)*nonsense"):
            SpaceSearchCV(SVC(), space, strategy="random", n_iter=3, batch_size=1).fit(X, Y)
    with pytest.raises(ValueError, match="nonsense"):
        SpaceSearchCV(SVC(), space, strategy="random", n_iter=3, error_score="raise").fit(X, Y)


def test_the_batch_failure_hook_leaves_grid_search_cv_alone():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="All the 5 fits failed"):
            GridSearchCV(SVC(), {"kernel": ["nonsense"]}).fit(X, Y)


def test_a_grid_search_nested_inside_keeps_scikit_learns_all_failed_error():
    inner = GridSearchCV(SVC(), {"kernel": ["nonsense"]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=r"All the 4 fits failed(.|\n)*All the 2 fits failed"):
            SpaceSearchCV(inner, "cv in [2, 3]", strategy="grid", n_iter=2, cv=2, batch_size=1).fit(X, Y)


def test_error_score_number():
    space = "kernel in ['linear', 'nonsense']\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search_cv = SpaceSearchCV(SVC(), space, strategy="grid", n_iter=10, error_score=-1.0).fit(X, Y)
    assert list(search_cv.cv_results_["mean_test_score"])[1] == -1.0


# --------------------------------------------- estimator protocol and pipelines
@pytest.mark.parametrize("space", [SVM, spacedsl.parse(SVM)])
def test_pickle_round_trip(space):
    search_cv = SpaceSearchCV(SVC(), space, strategy="sobol", n_iter=3, random_state=0).fit(X, Y)
    again = pickle.loads(pickle.dumps(search_cv))
    assert again.space == search_cv.space and type(again.space) is type(search_cv.space)
    assert np.array_equal(again.predict(X), search_cv.predict(X))
    assert again.best_params_ == search_cv.best_params_


def test_clone_and_get_set_params_round_trip():
    space = spacedsl.parse(SVM)
    search_cv = SpaceSearchCV(SVC(), space, strategy="random", n_iter=7, cv=3, random_state=2,
                              strategy_options={"x": 1}, batch_size=2)
    params = search_cv.get_params()
    assert params["space"] is space and params["n_iter"] == 7 and params["estimator__C"] == 1.0
    copy = clone(search_cv)
    copy_params = copy.get_params()
    assert set(copy_params) == set(params)
    for key in ("space", "strategy", "n_iter", "cv", "random_state", "strategy_options", "batch_size"):
        assert copy_params[key] == params[key]
    copy.set_params(n_iter=2, space=GRID_TEXT, estimator__C=5.0)
    assert copy.n_iter == 2 and copy.space == GRID_TEXT and copy.estimator.C == 5.0
    assert search_cv.n_iter == 7 and search_cv.estimator.C == 1.0
    shallow = search_cv.get_params(deep=False)
    assert SpaceSearchCV(**shallow).get_params(deep=False) == shallow


def test_the_space_is_parsed_only_in_fit():
    search_cv = SpaceSearchCV(SVC(), "C ~ unifrom(0, 1)", strategy="random")  # no error yet
    with pytest.raises(spacedsl.DSLError, match="did you mean 'uniform'"):
        search_cv.fit(X, Y)


def test_searching_a_pipeline():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    space = "clf__C ~ loguniform(1e-2, 1e2)\nscale__with_mean in [true, false]\n"
    search_cv = SpaceSearchCV(pipe, space, strategy="sobol", n_iter=4, random_state=0).fit(XW, YW)
    assert set(search_cv.best_params_) == {"clf__C", "scale__with_mean"}
    assert search_cv.best_estimator_.named_steps["clf"].C == search_cv.best_params_["clf__C"]
    assert search_cv.score(XW, YW) > 0.9


def test_as_a_step_of_a_pipeline():
    inner = SpaceSearchCV(SVC(), SVM, strategy="sobol", n_iter=3, random_state=0, cv=3)
    pipe = Pipeline([("scale", StandardScaler()), ("search", inner)]).fit(XW, YW)
    fitted = pipe.named_steps["search"]
    assert hasattr(fitted, "best_params_") and pipe.score(XW, YW) > 0.9
    pipe.set_params(search__n_iter=2, search__strategy="random")
    assert pipe.get_params()["search__n_iter"] == 2
    refitted = clone(pipe).fit(XW, YW)
    assert len(refitted.named_steps["search"].cv_results_["params"]) == 2


def test_default_cv_is_five_folds():
    search_cv = SpaceSearchCV(DecisionTreeClassifier(random_state=0), "max_depth in 1..3", strategy="grid",
                              n_iter=10).fit(X, Y)
    assert search_cv.n_splits_ == 5 and len(search_cv.cv_results_["params"]) == 3


# ------------------------------------------------------ consistent with search
@pytest.mark.parametrize("strategy", ["sobol", "gp-ei"])
def test_search_and_space_search_cv_agree_on_the_same_seed(strategy):
    if strategy not in plugins.strategies():
        pytest.skip(f"{strategy} is not registered")
    result = search(SVC(), SVM, X, Y, strategy=strategy, evaluator="kfold", n_trials=5, seed=0, test_size=0.25)
    X_rest, X_test, y_rest, y_test = train_test_split(X, Y, test_size=0.25, random_state=0, stratify=Y)
    search_cv = SpaceSearchCV(SVC(), SVM, strategy=strategy, n_iter=5, random_state=0,
                              cv=StratifiedKFold(5, shuffle=True, random_state=0)).fit(X_rest, y_rest)
    assert [t.params for t in result.trials] == search_cv.cv_results_["params"]
    assert [t.value for t in result.trials] == list(search_cv.cv_results_["mean_test_score"])
    assert result.best_params == search_cv.best_params_ and result.best_score == search_cv.best_score_
    assert result.test_score == search_cv.score(X_test, y_test)
