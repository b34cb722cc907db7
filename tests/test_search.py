"""`spacedsl.search`: the test set held out first, maximising the scorer, failures, n_jobs, the table."""

import sys
import types

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import Ridge
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GroupShuffleSplit, train_test_split
from sklearn.svm import SVC

import spacedsl
from spacedsl import hookimpl, plugins
from spacedsl.evaluators import Evaluation
from spacedsl.running.search import MAX_BATCH, SearchResult, search
from spacedsl.strategies import Strategy
from spacedsl.storage import Trial

X, Y = load_iris(return_X_y=True)
XR, YR = (a[:150] for a in load_diabetes(return_X_y=True))
SVM = "C ~ loguniform(1e-2, 1e2)\nkernel in ['linear', 'rbf']\n"
ROW = np.arange(len(X))


# ------------------------------------------------------------- helpers
class Recorder(Strategy):
    """Random draws; records every ask size and every told loss."""

    log = None

    def __init__(self, space, seed=None, adaptive=True):
        super().__init__(space, seed)
        self.adaptive = adaptive
        self.asks, self.tells = [], []
        Recorder.log = self

    def ask(self, n=1):
        self.asks.append(n)
        return super().ask(n)

    def propose(self, n):
        return self.space.sample(n, seed=self.rng)

    def tell(self, config, loss):
        self.tells.append((dict(config), loss))
        super().tell(config, loss)


class Loud:
    """A third-party evaluator with only `evaluate` (no groups argument); raises when C > 10."""

    def __init__(self, seed=None):
        self.seed = seed

    def evaluate(self, estimator, params, X, y, scoring):
        if params["C"] > 10:
            raise RuntimeError("too loud")
        return Evaluation(params["C"] / 100, (params["C"] / 100,), (0.0,), (0.0,))


class TestPlugin:
    @hookimpl
    def spacedsl_strategies(self):
        return {"recorder": Recorder}

    @hookimpl
    def spacedsl_evaluators(self):
        return {"loud": Loud}


@pytest.fixture
def recorder():
    plugin = TestPlugin()
    plugins.register(plugin, name="test-search-plugin")
    try:
        yield
    finally:
        plugins.unregister(plugin)


class RowSpy(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; its first feature is the row number, and it records the rows it sees."""

    seen = set()

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, X, y):
        RowSpy.seen.update(int(r) for r in X[:, 0])
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[np.argmax(counts)]
        self.n_fit_ = len(X)
        return self

    def predict(self, X):
        RowSpy.seen.update(int(r) for r in X[:, 0])
        return np.full(len(X), self.majority_)


def values(result):
    return [(t.params, t.value, t.state) for t in result.trials]


# ------------------------------------------------------------------ basics
def test_search_finds_the_best_configuration():
    result = search(SVC(), SVM, X, Y, strategy="sobol", n_trials=8, seed=0)
    assert isinstance(result, SearchResult)
    assert len(result.trials) == 8 and all(isinstance(t, Trial) for t in result.trials)
    assert [t.number for t in result.trials] == list(range(8))
    assert result.best_score == max(t.value for t in result.trials)
    assert result.best_params == result.best_trial.params
    spacedsl.parse(SVM).validate(result.best_params)
    assert result.test_score is None  # no test set, no test score
    assert result.best_estimator.get_params()["C"] == result.best_params["C"]
    assert accuracy_score(Y, result.best_estimator.predict(X)) > 0.9  # fitted on all the data
    assert all(t.duration > 0 for t in result.trials)


def test_trial_params_include_constants_and_only_active_parameters():
    space = "kernel in ['linear', 'rbf']\nif kernel == 'rbf' { gamma ~ loguniform(1e-3, 1) }\nC = 2.0\n"
    result = search(SVC(), space, X, Y, strategy="random", n_trials=6, seed=1, evaluator="holdout")
    for t in result.trials:
        assert t.params["C"] == 2.0
        assert ("gamma" in t.params) == (t.params["kernel"] == "rbf")


def test_the_score_is_maximised_and_the_strategy_is_told_its_negative(recorder):
    result = search(Ridge(), "alpha ~ loguniform(1e-3, 1e3)", XR, YR, strategy="recorder", n_trials=5,
                    scoring="neg_mean_squared_error", seed=0)
    assert all(t.value < 0 for t in result.trials)
    assert result.best_score == max(t.value for t in result.trials)
    assert [loss for _, loss in Recorder.log.tells] == [-t.value for t in result.trials]


def test_same_seed_same_results_and_another_seed_differs():
    a = search(SVC(), SVM, X, Y, strategy="random", n_trials=4, seed=5, test_size=0.2)
    b = search(SVC(), SVM, X, Y, strategy="random", n_trials=4, seed=5, test_size=0.2)
    c = search(SVC(), SVM, X, Y, strategy="random", n_trials=4, seed=6, test_size=0.2)
    assert values(a) == values(b) and a.test_score == b.test_score
    assert values(a) != values(c)


def test_the_grid_stops_when_it_is_done():
    result = search(SVC(), "C in [0.1, 1, 10]", X, Y, strategy="grid", n_trials=50, seed=0)
    assert [t.params["C"] for t in result.trials] == [0.1, 1, 10]


# --------------------------------------------------------------- test set
def test_the_test_set_is_held_out_before_anything_else():
    RowSpy.seen = set()
    data = np.column_stack([ROW, X])
    result = search(RowSpy(), "alpha ~ uniform(0, 1)", data, Y, strategy="random", n_trials=3, test_size=0.2,
                    seed=3)
    rest, test = train_test_split(ROW, test_size=0.2, random_state=3, stratify=Y)
    assert result.best_estimator.n_fit_ == len(rest) == 120  # refit on all the rest
    RowSpy.seen -= set(test)  # the final scoring looks at the test rows, once
    assert RowSpy.seen == set(rest)  # the search itself never saw one


def test_test_score_is_the_refit_best_estimator_on_the_held_out_split():
    result = search(SVC(), SVM, X, Y, strategy="sobol", n_trials=4, test_size=0.25, seed=2, scoring="f1_macro")
    X_rest, X_test, y_rest, y_test = train_test_split(X, Y, test_size=0.25, random_state=2, stratify=Y)
    expected = SVC(**result.best_params).fit(X_rest, y_rest)
    from sklearn.metrics import f1_score
    assert result.test_score == pytest.approx(f1_score(y_test, expected.predict(X_test), average="macro"))


def test_groups_keep_each_group_on_one_side_of_the_test_split():
    RowSpy.seen = set()
    groups = ROW // 10
    data = np.column_stack([ROW, X])
    result = search(RowSpy(), "alpha ~ uniform(0, 1)", data, Y, strategy="random", n_trials=2, test_size=0.2,
                    seed=0, groups=groups)
    rest, test = next(GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0).split(data, Y, groups))
    assert not set(groups[rest]) & set(groups[test])
    assert result.best_estimator.n_fit_ == len(rest)
    RowSpy.seen -= set(test)
    assert RowSpy.seen == set(rest)


# ---------------------------------------------------------------- failures
def test_failed_trials_carry_their_error_and_the_search_goes_on():
    space = "C ~ loguniform(1e-2, 1e2)\nkernel in ['linear', 'nonsense']\n"
    result = search(SVC(), space, X, Y, strategy="random", n_trials=8, seed=0)
    failed = [t for t in result.trials if t.state == "failed"]
    assert failed and len(failed) < 8
    for t in failed:
        assert t.value is None and t.params["kernel"] == "nonsense"
        assert "kernel" in t.error and t.error.startswith("InvalidParameterError: ")
    assert result.best_params["kernel"] == "linear"


def test_every_trial_failing_ends_the_search_showing_the_first_failure():
    with pytest.raises(RuntimeError, match=r"every trial failed \(3 of them\); the first error: "
                                           r"InvalidParameterError: .*'nonsense'"):
        search(SVC(), "kernel in ['nonsense']; C ~ uniform(1, 2)", X, Y, strategy="random", n_trials=3)


def test_a_parameter_the_estimator_does_not_take_is_an_error_before_any_fit():
    with pytest.raises(ValueError, match=r"'Cc' is not a parameter of SVC; did you mean 'C'\?"):
        search(SVC(), "Cc ~ uniform(1, 2)", X, Y, strategy="random", n_trials=3)
    with pytest.raises(ValueError, match="'seed' is not a parameter"):
        search(SVC(), "C ~ uniform(1, 2); seed = 3", X, Y, strategy="random", n_trials=3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_trials"):
        search(SVC(), SVM, X, Y, strategy="random", n_trials=0)
    with pytest.raises(ValueError, match="test_size"):
        search(SVC(), SVM, X, Y, strategy="random", n_trials=2, test_size=1.5)
    with pytest.raises(ValueError, match="did you mean 'accuracy'"):
        search(SVC(), SVM, X, Y, strategy="random", n_trials=2, scoring="acuracy")
    with pytest.raises(spacedsl.PluginError, match="unknown evaluator 'kfolds'; did you mean 'kfold'"):
        search(SVC(), SVM, X, Y, strategy="random", n_trials=2, evaluator="kfolds")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        search(SVC(), SVM, X, Y, strategy="random", n_trials=2, timeout=0)
    with pytest.raises(ValueError, match="batch_size"):
        search(SVC(), SVM, X, Y, strategy="random", n_trials=2, batch_size=0)
    with pytest.raises(TypeError, match="executor must be"):
        search(SVC(), SVM, X, Y, strategy="random", n_trials=2, executor=object())


# ---------------------------------------------------- evaluators & options
def test_evaluator_and_strategy_options_are_passed_on():
    result = search(SVC(), SVM, X, Y, strategy="grid", n_trials=100, evaluator="kfold",
                    evaluator_options={"k": 3}, strategy_options={"resolution": 2})
    assert len(result.trials) == 4  # 2 values of C x 2 kernels
    assert all(len(ev.fold_scores) == 3 for ev in result.evaluations)


def test_a_third_party_evaluator_with_only_evaluate_works_and_its_exceptions_fail_trials(recorder):
    result = search(SVC(), "C ~ uniform(1, 20)", X, Y, strategy="random", evaluator="loud", n_trials=6, seed=0)
    for t in result.trials:
        if t.params["C"] > 10:
            assert t.state == "failed" and t.error == "RuntimeError: too loud"
        else:
            assert t.value == pytest.approx(t.params["C"] / 100)


def test_batches_adaptive_strategies_one_at_a_time_others_all_at_once(recorder):
    search(SVC(), SVM, X, Y, strategy="recorder", n_trials=3, evaluator="holdout")
    assert Recorder.log.asks == [1, 1, 1]
    search(SVC(), SVM, X, Y, strategy="recorder", n_trials=3, evaluator="holdout",
           strategy_options={"adaptive": False})
    assert Recorder.log.asks == [3]
    search(SVC(), SVM, X, Y, strategy="recorder", n_trials=5, evaluator="holdout", batch_size=2, n_jobs=2)
    assert Recorder.log.asks == [2, 2, 1]
    assert MAX_BATCH >= 1000


def test_callback_sees_every_trial_in_order():
    seen = []
    result = search(SVC(), SVM, X, Y, strategy="sobol", n_trials=4, callback=seen.append, evaluator="holdout")
    assert seen == list(result.trials)


@pytest.mark.parametrize("evaluator", ["kfold", "holdout"])
def test_n_jobs_changes_nothing_but_the_wall_time(evaluator):
    kwargs = dict(strategy="sobol", n_trials=6, seed=4, test_size=0.2, evaluator=evaluator)
    one = search(SVC(), SVM, X, Y, n_jobs=1, **kwargs)
    two = search(SVC(), SVM, X, Y, n_jobs=2, **kwargs)
    assert values(one) == values(two)
    assert (one.best_params, one.best_score, one.test_score) == (two.best_params, two.best_score, two.test_score)


def test_n_jobs_with_sequential_batches(recorder):
    kwargs = dict(strategy="recorder", n_trials=3, seed=1, evaluator="kfold", evaluator_options={"k": 3})
    assert values(search(SVC(), SVM, X, Y, n_jobs=1, **kwargs)) == values(search(SVC(), SVM, X, Y, n_jobs=2,
                                                                                  **kwargs))


# -------------------------------------------------------------------- table
def test_table_is_a_list_of_dicts_without_pandas(monkeypatch):
    space = "kernel in ['linear', 'rbf']\nif kernel == 'rbf' { gamma ~ loguniform(1e-3, 1) }\nC = 2.0\n"
    result = search(SVC(), space, X, Y, strategy="random", n_trials=4, seed=1, evaluator="holdout")
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    rows = result.table()
    assert isinstance(rows, list) and len(rows) == 4
    assert list(rows[0])[:8] == ["number", "score", "std", "state", "fit_time", "score_time", "duration", "error"]
    assert {k for k in rows[0] if k.startswith("param_")} == {"param_kernel", "param_gamma", "param_C"}
    for row, t in zip(rows, result.trials):
        assert row["score"] == t.value and row["param_gamma"] == t.params.get("gamma")
    with pytest.raises(ImportError):
        result.table(as_dataframe=True)


def test_table_is_a_dataframe_when_pandas_is_installed(monkeypatch):
    result = search(SVC(), SVM, X, Y, strategy="random", n_trials=2, evaluator="holdout")
    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda rows, columns: ("frame", rows, columns)
    monkeypatch.setitem(sys.modules, "pandas", fake)
    kind, rows, columns = result.table()
    assert kind == "frame" and rows == result.table(as_dataframe=False)
    assert columns[-2:] == ["param_C", "param_kernel"]
