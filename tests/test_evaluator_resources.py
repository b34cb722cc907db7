"""Intermediate scores of the split evaluators: a report after each fold, and ``resource=`` budgets
(``n_samples`` subsets, estimator parameters continued with ``warm_start``)."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from spacedsl import hookimpl, plugins
from spacedsl.evaluators import Evaluation
from spacedsl.evaluators.base import get_scorer
from spacedsl.evaluators.resource import Resource, grow_mode, nested_order, schedule

X, Y = load_iris(return_X_y=True)
XC, YC = make_classification(300, 8, n_informative=5, random_state=0)


@pytest.fixture(autouse=True)
def one_thread():
    """HistGradientBoosting's OpenMP threads crawl on a shared machine; one thread is fast."""
    with threadpool_limits(1):
        yield


def make(name="kfold", seed=0, **options):
    return plugins.evaluator(name)(seed=seed, **options)


class Reporter:
    """A trial's ``report``: keeps every ``(step, value)``, says stop at ``stop_at``; has ``max_step``."""

    def __init__(self, stop_at=None, max_step=None):
        self.calls, self.stop_at, self.max_step = [], stop_at, max_step

    def __call__(self, step, value):
        self.calls.append((step, value))
        return self.stop_at is not None and step >= self.stop_at

    @property
    def steps(self):
        return [s for s, _ in self.calls]


def growers(judge, estimator, params, X, y):
    """The per-split models of one configuration, to look inside while the budgets grow."""
    splits = judge.split(estimator, X, y)
    low, high, _ = judge.resource_range(estimator, y, splits)
    return [judge._resource.grower(estimator, params, X, y, tr, te, high, [0, i], True)
            for i, (tr, te) in enumerate(splits)], (low, high)


# ------------------------------------------------------------------ per fold
def test_kfold_reports_the_running_mean_after_each_fold():
    report = Reporter()
    ev = make(k=4).evaluate(SVC(), {"C": 1.0}, X, Y, "accuracy", report=report)
    assert report.steps == [1, 2, 3, 4]
    running = [np.mean(ev.fold_scores[:i]) for i in range(1, 5)]
    assert [v for _, v in report.calls] == pytest.approx(running)
    assert ev.step == 4 and not ev.stopped and ev.score == pytest.approx(running[-1])


def test_a_stop_after_fold_two_gives_a_two_fold_evaluation():
    full = make(k=5).evaluate(SVC(), {"C": 1.0}, X, Y, None)
    report = Reporter(stop_at=2)
    ev = make(k=5).evaluate(SVC(), {"C": 1.0}, X, Y, None, report=report)
    assert report.steps == [1, 2]
    assert ev.fold_scores == full.fold_scores[:2] and len(ev.fit_times) == len(ev.score_times) == 2
    assert ev.score == pytest.approx(np.mean(full.fold_scores[:2])) and ev.step == 2 and ev.stopped


def test_max_step_caps_the_folds_and_holdout_reports_once():
    report = Reporter(max_step=3)
    ev = make(k=5).evaluate(SVC(), {}, X, Y, None, report=report)
    assert report.steps == [1, 2, 3] and len(ev.fold_scores) == 3 and ev.stopped
    report = Reporter()
    ev = make("holdout").evaluate(SVC(), {}, X, Y, None, report=report)
    assert report.steps == [1] and ev.step == 1 and not ev.stopped


def test_a_failed_fold_ends_the_evaluation_without_a_report():
    report = Reporter()
    ev = make().evaluate(SVC(), {"C": -1.0}, X, Y, None, report=report)
    assert ev.failed and "C" in ev.error and report.calls == [] and len(ev.fit_times) == 1


# ------------------------------------------------------------------ schedule
def test_the_schedule_is_the_strategies_rungs_capped_at_max_step():
    assert schedule(1, 81, 3) == [1, 3, 9, 27, 81]
    assert schedule(37, 1000, 3) == [37, 111, 333, 1000]  # no 999 just below the top
    assert schedule(3, 100, 3) == [3, 9, 27, 100]
    assert schedule(3, 100, 3, max_step=27) == [3, 9, 27]
    assert schedule(3, 100, 3, max_step=20) == [3, 9, 20]  # exactly max_step
    assert schedule(3, 100, 3, max_step=2) == [2]
    assert schedule(3, 100, 3, max_step=500) == [3, 9, 27, 100]
    assert schedule(1, 100, 2.5) == [1, 3, 7, 16, 40, 100]  # rounded up, so step >= max_step
    assert schedule(5, 5, 3) == [5]


# ------------------------------------------------------------------ n_samples
def test_n_samples_defaults_and_budgets():
    judge = make(k=5, resource="n_samples")
    splits = judge.split(SVC(), X, Y)
    assert judge.resource_range(SVC(), Y, splits) == (30, 120, 3)  # 2 per split per class; a training fold
    report = Reporter()
    ev = judge.evaluate(SVC(), {"C": 1.0}, X, Y, None, report=report)
    assert report.steps == [30, 120] and ev.step == 120 and not ev.stopped  # 90: less than a factor below
    full = make(k=5).evaluate(SVC(), {"C": 1.0}, X, Y, None)
    assert ev.fold_scores == full.fold_scores  # the top budget is the whole training fold
    assert judge.resource_range(Ridge(), XC[:, 0], judge.split(Ridge(), XC, XC[:, 0]))[0] == 10  # no classes
    big = np.arange(5400) % 2
    assert make(k=3, resource="n_samples").resource_range(SVC(), big, make(k=3).split(SVC(), big, big)) \
        == (133, 3600, 3)  # four budgets: 3600 // 27, more than 2 * 3 * 2


def test_n_samples_with_a_max_resource_fits_that_many_rows_at_the_top():
    XI = np.column_stack([np.arange(len(X)), X])
    judge = make(k=3, resource="n_samples", min_resource=20, max_resource=60)
    [grower, *_], (low, high) = growers(judge, Recorder(max_iter=500), {}, XI, Y)
    assert schedule(low, high, 3) == [20, 60] and len(grower.train) == 100
    assert [len(grower.grow(b)[0].rows_) for b in (20, 60)] == [20, 60]  # not the whole fold at 60


class Recorder(LogisticRegression):
    """A logistic regression that remembers the rows it was fitted on (the first feature is the row)."""

    def fit(self, X, y, sample_weight=None):
        self.rows_ = frozenset(X[:, 0].astype(int))
        return super().fit(X[:, 1:], y, sample_weight)

    def predict(self, X):
        return super().predict(X[:, 1:])


def test_n_samples_subsets_are_nested_stratified_seeded_and_the_same_for_every_configuration():
    XI = np.column_stack([np.arange(len(X)), X])
    judge = make(k=3, resource="n_samples", min_resource=12)
    seen = {}
    for C in (0.1, 10.0):
        fold_growers, (low, high) = growers(judge, Recorder(), {"C": C}, XI, Y)
        for i, grower in enumerate(fold_growers):
            before = frozenset()
            for budget in schedule(low, high, 3):
                model = grower.grow(budget)[0]
                assert len(model.rows_) == budget and before < model.rows_  # nested, growing
                assert set(model.rows_) <= set(grower.train)  # never a validation row
                counts = np.bincount(Y[list(model.rows_)], minlength=3)
                assert counts.max() - counts.min() <= 1  # stratified: the classes' shares kept
                seen.setdefault((i, budget), model.rows_)
                assert seen[(i, budget)] == model.rows_  # the same subsets for another configuration
                before = model.rows_
    other = growers(make(k=3, seed=1, resource="n_samples", min_resource=12), Recorder(), {}, XI, Y)[0]
    assert other[0].grow(12)[0].rows_ != seen[(0, 12)]  # another seed, other subsets


def test_nested_order_keeps_class_shares_in_every_prefix():
    labels = np.array([0] * 90 + [1] * 10)
    order = nested_order(labels, 100, 0)
    assert sorted(order) == list(range(100))
    for b in (10, 20, 50):
        assert abs(np.sum(labels[order[:b]] == 1) - b / 10) <= 1
    assert not np.array_equal(order, nested_order(labels, 100, 1))


def test_every_budget_holds_every_class_of_the_training_fold():
    labels = np.array([0] * 590 + [1] * 390 + [2] * 20)
    for seed in range(20):
        order = nested_order(labels, 1000, seed)
        assert sorted(labels[order[:3]]) == [0, 1, 2]  # a class of 2 % in the first three
        assert abs(np.sum(labels[order[:100]] == 1) - 39) <= 2  # the shares are still kept
        assert np.array_equal(order, nested_order(labels, 1000, seed))  # seeded


def test_a_rare_class_does_not_fail_a_probability_scorer_at_the_bottom_budget():
    Xr, yr = make_classification(900, 10, n_informative=5, n_classes=3, weights=[0.59, 0.39, 0.02], random_state=0)
    judge = make(k=5, resource="n_samples")
    report = Reporter()
    est = LogisticRegression(max_iter=500)
    ev = judge.evaluate(est, {}, Xr, yr, get_scorer(est, "neg_log_loss"), report=report)
    assert ev.error is None and report.steps == [30, 90, 720]


# ------------------------------------------------------------------ estimator parameters
def test_parameter_defaults_are_the_estimators_own_value_over_factor_cubed():
    judge = make(k=3, resource="max_iter")
    splits = judge.split(SGDClassifier(), XC, YC)
    assert judge.resource_range(SGDClassifier(), YC, splits) == (37, 1000, 3)
    assert judge.resource_range(HistGradientBoostingClassifier(), YC, splits) == (3, 100, 3)
    assert make(resource="max_iter", factor=2).resource_range(MLPClassifier(max_iter=64), YC, splits) == (8, 64, 2)
    assert make(resource="max_iter", min_resource=5, max_resource=50).resource_range(SGDClassifier(), YC, splits) \
        == (5, 50, 3)
    assert make().resource_range(SVC(), Y, splits) is None
    assert make(resource="max_iter", max_resource=50).refit_params(SGDClassifier()) == {"max_iter": 50}
    assert make(resource="max_iter").refit_params(SGDClassifier()) == {}
    assert make(resource="n_samples").refit_params(SVC()) == {}


def test_hist_gradient_boosting_continues_with_warm_start():
    est = HistGradientBoostingClassifier(random_state=0, early_stopping=False)
    judge = make(k=3, resource="max_iter")
    [grower, *_], (low, high) = growers(judge, est, {"learning_rate": 0.2}, XC, YC)
    assert grower.mode == "total"
    model, first = grower.grow(3)[0], None
    first = list(model._predictors)
    for budget in (9, 27, 100):
        assert grower.grow(budget)[0] is model and model.n_iter_ == budget
    assert model._predictors[:3] == first  # the first trees kept: added to, not refit
    report = Reporter()
    ev = judge.evaluate(est, {"learning_rate": 0.2}, XC, YC, None, report=report)
    assert report.steps == [3, 9, 27, 100]
    scratch = cross_val_score(clone(est).set_params(learning_rate=0.2), XC, YC, cv=judge.split(est, XC, YC))
    assert ev.fold_scores == pytest.approx(tuple(scratch))  # continued = fitted at once


def test_an_early_stopped_boosting_is_kept_as_a_fit_at_once_would_stop():
    Xb, yb = make_classification(600, 5, n_informative=3, flip_y=0.3, random_state=1)
    est = HistGradientBoostingClassifier(random_state=0, max_iter=243, learning_rate=0.5, early_stopping=True,
                                         n_iter_no_change=3)
    judge = make(k=3, resource="max_iter")
    [grower, *_], (low, high) = growers(judge, est, {}, Xb, yb)
    budgets = schedule(low, high, 3)
    for rate in (0.5, 0.3):
        grower.model, grower.converged = None, False
        grower.params = {"learning_rate": rate}
        once = clone(est).set_params(learning_rate=rate).fit(*grower.train_data)
        assert once.n_iter_ < 81  # the data stops it early
        for budget in budgets:
            model = grower.grow(budget)[0]
        # the same trees (a warm fit past the stop would add one each time); one more when the stop
        # fell exactly on a budget, which the fit that ended there cannot tell
        assert grower.converged and model.n_iter_ == once.n_iter_ + (once.n_iter_ in budgets)


def test_random_forest_n_estimators_adds_trees():
    est = RandomForestClassifier(n_estimators=27, max_depth=4, random_state=0)
    judge = make(k=3, resource="n_estimators")
    [grower, *_], (low, high) = growers(judge, est, {}, XC, YC)
    assert (low, high, grower.mode) == (1, 27, "total")
    model = grower.grow(1)[0]
    tree = model.estimators_[0]
    for budget in (3, 9, 27):
        assert len(grower.grow(budget)[0].estimators_) == budget
    assert model.estimators_[0] is tree
    ev = judge.evaluate(est, {}, XC, YC, None, report=Reporter())
    scratch = cross_val_score(est, XC, YC, cv=judge.split(est, XC, YC))
    assert ev.fold_scores == pytest.approx(tuple(scratch))  # same trees as a forest grown at once


def test_mlp_warm_fits_run_the_increment_more_epochs():
    est = MLPClassifier((8,), max_iter=27, random_state=0, tol=0.0, n_iter_no_change=1000)
    judge = make(k=3, resource="max_iter")
    [grower, *_], (low, high) = growers(judge, est, {}, XC, YC)
    assert (low, high, grower.mode) == (1, 27, "more")
    model = grower.grow(1)[0]
    for budget in (3, 9, 27):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert grower.grow(budget)[0] is model
        assert len(model.loss_curve_) == budget  # one curve: each fit continued the last
        assert model.n_iter_ == budget - {3: 1, 9: 3, 27: 9}[budget]  # the increment, not the total
    assert any("a warm start continued the fit at 9" in str(w.message) for w in caught
               if issubclass(w.category, ConvergenceWarning))


def test_sgd_in_a_pipeline_continues_and_stops_refitting_once_converged():
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SGDClassifier(random_state=0, max_iter=729))])
    judge = make(k=3, resource="clf__max_iter", min_resource=3)
    [grower, *_], (low, high) = growers(judge, pipe, {"clf__alpha": 0.001}, XC, YC)
    assert (low, high, grower.mode) == (3, 729, "more")
    sgd, done, budgets = grower.grow(low)[0].named_steps["clf"], low, iter(schedule(low, high, 3)[1:])
    assert sgd.n_iter_ == low and not grower.converged  # still learning after 3 epochs
    while not grower.converged:
        budget = next(budgets)
        increment, done = budget - done, budget
        assert grower.grow(budget)[0].named_steps["clf"] is sgd
        assert sgd.n_iter_ <= increment  # each warm fit runs at most the increment
    assert sgd.n_iter_ < increment and budget < high  # tol stopped the last warm fit early: converged
    coef = sgd.coef_.copy()
    grower.grow(high)
    assert np.array_equal(sgd.coef_, coef)  # a bigger max_iter changes nothing, as from scratch


def test_a_warm_start_continues_only_the_count_it_is_about():
    assert grow_mode(RandomForestClassifier(), "n_estimators") == "total"
    assert grow_mode(HistGradientBoostingClassifier(), "max_iter") == "total"
    assert grow_mode(GradientBoostingClassifier(), "n_estimators") == "total"
    assert grow_mode(SGDClassifier(), "max_iter") == "more"
    assert grow_mode(LogisticRegression(), "max_iter") == "more"
    assert grow_mode(RandomForestClassifier(), "max_depth") == "refit"  # a warm fit would add no tree
    assert grow_mode(HistGradientBoostingClassifier(), "max_leaf_nodes") == "refit"
    assert grow_mode(GradientBoostingClassifier(n_iter_no_change=3), "n_estimators") == "refit"
    assert grow_mode(LogisticRegression(solver="liblinear"), "max_iter") == "refit"  # ignores warm_start
    assert grow_mode(SVC(), "max_iter") == "refit"


def test_random_forest_max_depth_is_refit_at_each_depth():
    est = RandomForestClassifier(n_estimators=5, random_state=0)
    judge = make(k=3, resource="max_depth", min_resource=1, max_resource=9)
    [grower, *_], _ = growers(judge, est, {}, XC, YC)
    assert grower.mode == "refit"
    for budget in (1, 3, 9):
        model = grower.grow(budget)[0]
        once = clone(est).set_params(max_depth=budget).fit(*grower.train_data)
        assert [t.get_depth() for t in model.estimators_] == [t.get_depth() for t in once.estimators_]
        assert np.array_equal(model.predict_proba(grower.test_data[0]), once.predict_proba(grower.test_data[0]))
    assert max(t.get_depth() for t in model.estimators_) > 3


def test_gradient_boosting_with_n_iter_no_change_is_a_fit_at_each_budget():
    Xb, yb = make_classification(600, 20, n_informative=5, flip_y=0.2, random_state=0)
    est = GradientBoostingClassifier(n_iter_no_change=3, validation_fraction=0.2, random_state=0, learning_rate=0.3,
                                     max_depth=2)
    judge = make(k=3, resource="n_estimators", min_resource=3, max_resource=81)
    [grower, *_], _ = growers(judge, est, {}, Xb, yb)
    grown = [grower.grow(b)[0].n_estimators_ for b in (3, 9, 27, 81)]
    once = [clone(est).set_params(n_estimators=b).fit(*grower.train_data).n_estimators_ for b in (3, 9, 27, 81)]
    assert grown == once and once[-1] < 27 and grower.converged  # stopped early: bigger budgets keep it


def test_liblinear_ignores_warm_start_so_each_budget_is_a_fit_at_it():
    est = LogisticRegression(solver="liblinear", tol=1e-8, C=1e3)
    judge = make(k=3, resource="max_iter", min_resource=3, max_resource=100)
    Xs = StandardScaler().fit_transform(XC)
    [grower, *_], _ = growers(judge, est, {}, Xs, YC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for budget in (3, 9, 27):
            model = grower.grow(budget)[0]
            once = clone(est).set_params(max_iter=budget).fit(*grower.train_data)
            assert np.array_equal(model.coef_, once.coef_)


def test_an_estimator_without_warm_start_is_refit_at_each_budget():
    est = SVC(max_iter=27)
    judge = make(k=3, resource="max_iter")
    [grower, *_], _ = growers(judge, est, {}, XC, YC)
    assert grower.mode == "refit"
    a = grower.grow(3)[0]
    b = grower.grow(9)[0]
    assert a is not b and b.max_iter == 9


# ------------------------------------------------------------------ stopping
def test_max_step_runs_exactly_to_it_and_stops():
    est = HistGradientBoostingClassifier(random_state=0, early_stopping=False)
    report = Reporter(max_step=20)
    ev = make(k=3, resource="max_iter").evaluate(est, {}, XC, YC, None, report=report)
    assert report.steps == [3, 9, 20] and ev.step == 20 and ev.stopped
    scratch = cross_val_score(clone(est).set_params(max_iter=20), XC, YC, cv=make(k=3).split(est, XC, YC))
    assert ev.fold_scores == pytest.approx(tuple(scratch))


def test_a_report_that_says_stop_ends_the_budgets():
    report = Reporter(stop_at=9)
    ev = make(k=3, resource="max_iter").evaluate(HistGradientBoostingClassifier(random_state=0), {}, XC, YC,
                                                  None, report=report)
    assert report.steps == [3, 9] and ev.step == 9 and ev.stopped
    assert ev.score == pytest.approx(report.calls[-1][1]) and len(ev.fold_scores) == 3
    assert all(t > 0 for t in ev.fit_times)  # the time of both budgets, per fold


def test_without_report_a_resource_fits_the_top_budget_once():
    ev = make(k=3, resource="n_samples").evaluate(SVC(), {}, X, Y, None)
    assert ev.step == 100 and ev.fold_scores == make(k=3).evaluate(SVC(), {}, X, Y, None).fold_scores


def test_a_failing_budget_fails_the_evaluation():
    report = Reporter()
    ev = make(k=3, resource="max_iter").evaluate(LogisticRegression(), {"C": -1.0}, X, Y, None, report=report)
    assert ev.failed and "C" in ev.error and report.calls == []


def test_search_task_passes_the_report_to_the_evaluator():
    from spacedsl.running.search import SearchTask

    judge = make(k=3, resource="max_iter")
    est = HistGradientBoostingClassifier(random_state=0)
    task = SearchTask(est, judge, XC, YC, None, get_scorer(est, None), None)
    report = Reporter(stop_at=9)
    outcome = task({"learning_rate": 0.3}, report)
    assert report.steps == [3, 9] and outcome.value == pytest.approx(report.calls[-1][1])
    assert len(outcome.info["fold_scores"]) == 3


def test_convergence_warnings_below_the_top_budget_are_silenced_and_kept_at_the_top():
    from spacedsl.running.search import SearchTask

    est = MLPClassifier((4,), max_iter=27, random_state=0)
    judge = make(k=3, resource="max_iter")
    task = SearchTask(est, judge, XC, YC, None, get_scorer(est, None), None, collect_warnings=True)
    stopped = task({}, Reporter(stop_at=9))
    assert "warnings" not in stopped.info  # 1, 3 and 9 epochs do not converge: expected
    full = task({}, Reporter())
    assert any(w.startswith("ConvergenceWarning") and "max_iter=27" in w for w in full.info["warnings"])


def test_search_checks_the_resource_first_and_refits_at_max_resource():
    from spacedsl import search

    space = "max_depth in [2, 4]; random_state = 0"
    with pytest.raises(ValueError, match="did you mean 'n_estimators'"):
        search(RandomForestClassifier(), space, XC, YC, strategy="grid", evaluator_options={"resource": "n_estimator"})
    with pytest.raises(ValueError, match="the configuration sets 'n_estimators'"):
        search(RandomForestClassifier(), space + "; n_estimators in [5, 10]", XC, YC, strategy="grid",
               evaluator_options={"resource": "n_estimators"})
    result = search(RandomForestClassifier(), space, XC, YC, strategy="grid", n_trials=2,
                    evaluator_options={"k": 3, "resource": "n_estimators", "max_resource": 9})
    assert result.best_estimator.n_estimators == 9 and len(result.best_estimator.estimators_) == 9
    scratch = cross_val_score(RandomForestClassifier(n_estimators=9, **result.best_params),
                              XC, YC, cv=make(k=3).split(RandomForestClassifier(), XC, YC))
    assert result.best_score == pytest.approx(np.mean(scratch))


class Probe:
    """A budgeted strategy: two trials capped at the bottom budget, then two full ones."""

    budgeted = True

    def __init__(self, space, seed=None, **options):
        self.space, self.options, self.asked = space, options, 0
        Probe.last = self

    def ask(self, n):
        from spacedsl.strategies import Suggestion

        if self.asked >= 4:
            return []
        self.asked += 1
        config = {"max_depth": 2 + self.asked, "random_state": 0}
        return [Suggestion(config, self.options["min_resource"] if self.asked <= 2 else None)]

    def tell(self, config, loss):
        pass


class ProbePlugin:
    @hookimpl
    def spacedsl_strategies(self):
        return {"probe-budgeted": Probe}


def test_search_fills_a_budgeted_strategys_options_and_caps_its_trials():
    from spacedsl import search

    plugin = ProbePlugin()
    plugins.register(plugin, name="probe_budgeted")
    try:
        space = "max_depth in 3..6; random_state = 0"
        result = search(RandomForestClassifier(), space, XC, YC, strategy="probe-budgeted", n_trials=4,
                        evaluator_options={"k": 3, "resource": "n_estimators", "max_resource": 9})
        assert Probe.last.options == {"min_resource": 1, "max_resource": 9, "factor": 3}
        assert [(t.state, t.step) for t in result.trials] == [("pruned", 1), ("pruned", 1), ("complete", 9),
                                                              ("complete", 9)]
        search(RandomForestClassifier(n_estimators=5), space, XC, YC, strategy="probe-budgeted", n_trials=4,
               strategy_options={"max_resource": 3}, evaluator_options={"k": 3})
        assert Probe.last.options == {"min_resource": 1, "max_resource": 3, "factor": 3}  # the folds
    finally:
        plugins.unregister(plugin)


class OddOut:
    """A pruner that stops every odd-numbered trial at its first report, and remembers the reports."""

    def __init__(self):
        self.seen = []

    def prune(self, number, step, loss):
        self.seen.append((number, step, loss))
        return number % 2 == 1


def test_search_with_a_pruner_stops_trials_at_their_first_budget():
    from spacedsl import search

    pruner = OddOut()
    result = search(RandomForestClassifier(), "max_depth in 2..8; random_state = 0", XC, YC, strategy="random",
                    n_trials=4, prune=pruner, evaluator_options={"k": 3, "resource": "n_estimators",
                                                                 "max_resource": 9})
    states = [(t.number, t.state, t.step) for t in result.trials]
    assert states == [(0, "complete", 9), (1, "pruned", 1), (2, "complete", 9), (3, "pruned", 1)]
    assert sorted({s for n, s, _ in pruner.seen if n % 2 == 0}) == [1, 3, 9]
    pruned, evaluation = result.trials[1], result.evaluations[1]
    assert pruned.value == pytest.approx(-[loss for n, _, loss in pruner.seen if n == 1][0])  # a score
    assert evaluation.stopped and evaluation.step == 1 and evaluation.score == pruned.value
    assert evaluation.score == pytest.approx(np.mean(evaluation.fold_scores))  # the folds at budget 1
    assert not result.evaluations[0].stopped and result.evaluations[0].step == 9


class Thirds:
    """A third-party evaluator (no `SplitEvaluator`) that reports, when asked to, after each third."""

    def __init__(self, seed=None):
        self.seed = seed

    def evaluate(self, estimator, params, X, y, scoring, report=None):
        n = len(X) // 3
        scores = []
        for i in range(1, 3):
            model = clone(estimator).set_params(**params).fit(X[:i * n], y[:i * n])
            scores.append(model.score(X[2 * n:], y[2 * n:]))
            if report is not None and report(i, scores[-1]):
                break
        return Evaluation(scores[-1], scores[-1:], step=len(scores))


class ThirdsPlugin:
    @hookimpl
    def spacedsl_evaluators(self):
        return {"thirds": Thirds}


def test_a_plugin_evaluator_whose_evaluate_takes_report_gets_the_trials():
    from spacedsl import search

    plugin, pruner = ThirdsPlugin(), OddOut()
    plugins.register(plugin, name="thirds_plugin")
    try:
        result = search(LogisticRegression(), "C ~ loguniform(0.01, 10)", XC, YC, strategy="random", n_trials=2,
                        evaluator="thirds", prune=pruner)
    finally:
        plugins.unregister(plugin)
    assert [(t.state, t.step) for t in result.trials] == [("complete", 2), ("pruned", 1)]


# ------------------------------------------------------------------ bad options
@pytest.mark.parametrize("options, message", [
    ({"resource": "max_iter", "factor": 1}, "factor must be a number greater than 1"),
    ({"resource": "max_iter", "factor": "3"}, "factor must be"),
    ({"resource": "max_iter", "min_resource": 50, "max_resource": 10}, r"min_resource < max_resource"),
    ({"resource": "max_iter", "min_resource": 0}, "min_resource must be a whole number, 1 or more"),
    ({"resource": "max_iter", "max_resource": 2.5}, "max_resource must be a whole number"),
    ({"min_resource": 3}, "min_resource only applies with a resource"),
    ({"factor": 2}, "factor only applies with a resource"),
    ({"resource": 3}, "resource must be 'n_samples' or the name of an estimator parameter"),
])
def test_bad_options_are_clear_value_errors(options, message):
    for name in ("kfold", "holdout"):
        with pytest.raises(ValueError, match=message):
            make(name, **options)


def test_the_resource_is_checked_against_the_estimator_on_first_use():
    judge = make(resource="max_iters")  # fine until it meets an estimator
    with pytest.raises(ValueError, match=r"resource='max_iters' is not a parameter of SGDClassifier; did you "
                                         r"mean 'max_iter'\?.*whole-number parameters: .*n_iter_no_change"):
        judge.evaluate(SGDClassifier(), {}, XC, YC, None, report=Reporter())
    with pytest.raises(ValueError, match="the configuration sets 'max_iter', which is the evaluator's resource"):
        make(resource="max_iter").evaluate(SGDClassifier(), {"max_iter": 5}, XC, YC, None)
    with pytest.raises(ValueError, match="max_resource=500 is more than the 240 samples"):
        make(resource="n_samples", max_resource=500).evaluate(SVC(), {}, XC, YC, None)
    with pytest.raises(ValueError, match="cannot be the default max_resource; pass max_resource"):
        make(resource="max_depth").evaluate(RandomForestClassifier(), {}, XC, YC, None)
    with pytest.raises(ValueError, match=r"min_resource < max_resource must hold, but got \(min_resource=200, "
                                         r"max_resource=100: HistGradientBoostingClassifier's own max_iter\)"):
        make(resource="max_iter", min_resource=200).evaluate(HistGradientBoostingClassifier(), {}, XC, YC, None)


def test_min_resource_equal_to_max_resource_is_refused_given_or_by_default():
    """A single budget stops nothing early: the same error whether max_resource is given or not."""
    message = r"min_resource < max_resource must hold, but got \(min_resource=100.*a single budget stops nothing"
    with pytest.raises(ValueError, match=message):
        make(resource="max_iter", min_resource=100, max_resource=100)
    with pytest.raises(ValueError, match=message):  # LogisticRegression's max_iter is 100
        make(resource="max_iter", min_resource=100).evaluate(LogisticRegression(), {}, XC, YC, None)
    with pytest.raises(ValueError, match=r"min_resource < max_resource must hold, but got \(min_resource=200, "
                                         r"max_resource=200: the smallest training fold\)"):
        make(k=3, resource="n_samples", min_resource=200).evaluate(SVC(), {}, XC, YC, None)


def test_the_options_show_in_the_repr_and_resource_options_round_trip():
    assert "resource='max_iter'" in repr(make(resource="max_iter")) and "_subset_seed" not in repr(make())
    assert Resource.from_options(None) is None
    assert Resource.from_options("n_samples", 10, None, 2) == Resource("n_samples", 10, None, 2)
