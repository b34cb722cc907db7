"""Intermediate reports and stopped trials: ``report(step, value)`` from every kind of worker to
the driver, the ``pruned`` state in the store and on resume, and budgeted `Suggestion` runs."""

import concurrent.futures as cf
import sqlite3

import pytest

import spacedsl
from spacedsl import hookimpl, plugins
from spacedsl.storage import Store
from spacedsl.strategies import Strategy, Suggestion

SPACE = "x: float ~ uniform(0, 1)"


class OddTrialsStopAtStep3:
    """A pruner that stops every odd-numbered trial at its third step."""

    def __init__(self):
        self.seen = []

    def prune(self, number, step, loss):
        self.seen.append((number, step, loss))
        return step >= 3 and number % 2 == 1


def reporting_loss(config, report):
    for step in range(1, 6):
        if report(step, config["x"] * step):
            return 999.0  # ignored: a stopped trial keeps its last report
    return config["x"] * 5


def summary(result):
    return [(t.number, t.state, t.value, t.step) for t in result.trials]


@pytest.mark.parametrize("workers", ["inline", "loky", "threads"])
def test_a_pruned_trial_keeps_its_last_report_and_counts(workers, tmp_path):
    kwargs = {"inline": {}, "loky": {"n_jobs": 2}, "threads": {"executor": cf.ThreadPoolExecutor(2)}}[workers]
    pruner = OddTrialsStopAtStep3()
    result = spacedsl.minimize(reporting_loss, SPACE, strategy="random", n_trials=6, seed=0, prune=pruner,
                               storage=tmp_path / "runs.sqlite", **kwargs)
    assert len(result.trials) == 6
    for t in result.trials:
        if t.number % 2:
            assert (t.state, t.step, t.value) == ("pruned", 3.0, pytest.approx(3 * t.params["x"]))
        else:
            assert (t.state, t.step, t.value) == ("complete", 5.0, pytest.approx(5 * t.params["x"]))
    assert sorted(n for n, _, _ in pruner.seen) == sorted([n for n in range(6) for _ in range(3 if n % 2 else 5)])
    with Store(tmp_path / "runs.sqlite") as store:
        stored = store.trials_with_info("default")
    assert [(t.state, t.value, t.step) for t, _ in stored] == [(t.state, t.value, t.step) for t in result.trials]
    assert stored[1][1]["reports"] == [[float(s), pytest.approx(stored[1][0].params["x"] * s)] for s in (1, 2, 3)]
    assert result.best_value == min(t.value for t in result.trials if t.state == "complete")


def test_pruned_trials_survive_resume_and_are_never_run_again(tmp_path):
    path = tmp_path / "runs.sqlite"
    calls = []

    def loss(config, report):
        calls.append(config["x"])
        return reporting_loss(config, report)

    spacedsl.minimize(loss, SPACE, strategy="random", n_trials=4, seed=0, prune=OddTrialsStopAtStep3(), storage=path)
    pruner = OddTrialsStopAtStep3()
    again = spacedsl.minimize(loss, SPACE, strategy="random", n_trials=7, seed=0, prune=pruner, storage=path)
    assert len(again.trials) == 7 and len(calls) == 7  # 4 + 3: nothing ran twice
    assert len(set(calls)) == 7
    assert [t.state for t in again.trials[:4]] == ["complete", "pruned", "complete", "pruned"]
    replayed = [(n, s) for n, s, _ in pruner.seen if n < 4]
    assert replayed == [(n, float(s)) for n in range(4) for s in range(1, 4 if n % 2 else 6)]


class Rungs(Strategy):
    """Two configurations at max_step 2, then the better one again at no limit."""

    defaults_first = False

    def __init__(self, space, seed=None):
        super().__init__(space, seed)
        self.jobs = [Suggestion({"x": 0.25}, 2), Suggestion({"x": 0.75}, 2)]
        self.promoted = False

    def propose(self, n):
        if self.jobs:
            return [self.jobs.pop(0)]
        if len(self.history) < 2:
            return []  # nothing now: the rung is not full
        if len(self.history) == 2 and not self.promoted:
            self.promoted = True
            best = min(self.history, key=lambda item: item[1])[0]
            return [Suggestion(best, None)]
        return []

    def tell(self, config, loss):
        assert isinstance(config, Suggestion)
        super().tell(config, loss)


class RungsPlugin:
    @hookimpl
    def spacedsl_strategies(self):
        return {"test-rungs": Rungs}


@pytest.fixture
def rungs():
    plugin = RungsPlugin()
    plugins.register(plugin, name="test-rungs")
    yield "test-rungs"
    plugins.unregister(plugin)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_suggestions_stop_at_their_max_step_and_run_again_at_the_next(n_jobs, rungs, tmp_path):
    result = spacedsl.minimize(reporting_loss, SPACE, strategy=rungs, n_trials=10, n_jobs=n_jobs,
                               storage=tmp_path / "runs.sqlite", study="rungs")
    assert sorted(summary(result)) == [(0, "pruned", 0.5, 2.0), (1, "pruned", 1.5, 2.0), (2, "complete", 1.25, 5.0)]
    assert [t.max_step for t in result.trials] == [2.0, 2.0, None]
    assert result.best_params == {"x": 0.25}


def test_a_bad_report_fails_the_trial_with_a_clear_message():
    def loss(config, report):
        report("three", 1.0)
        return 0.0

    with pytest.raises(RuntimeError, match=r"step must be a finite number"):
        spacedsl.minimize(loss, SPACE, strategy="random", n_trials=2)


def test_a_trial_that_raises_after_being_stopped_is_pruned_not_failed():
    def loss(config, report):
        for step in range(1, 6):
            if report(step, config["x"]):
                raise RuntimeError("stopped")
        return config["x"]

    result = spacedsl.minimize(loss, SPACE, strategy="random", n_trials=4, prune=OddTrialsStopAtStep3())
    assert [t.state for t in result.trials] == ["complete", "pruned", "complete", "pruned"]


FIRST_SCHEMA = """
CREATE TABLE studies (name TEXT PRIMARY KEY, space TEXT NOT NULL, space_sha256 TEXT NOT NULL,
                      strategy TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE trials (study TEXT NOT NULL REFERENCES studies(name), number INTEGER NOT NULL,
                     params TEXT NOT NULL, value REAL,
                     state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'failed')),
                     error TEXT, started REAL NOT NULL, finished REAL, duration REAL, worker TEXT,
                     UNIQUE (study, number));
"""  # the store's first schema, before the pruned state and the later columns


def test_an_old_store_without_the_pruned_state_is_upgraded(tmp_path):
    path = tmp_path / "old.sqlite"
    spacedsl.minimize(lambda c: c["x"], SPACE, strategy="random", n_trials=3, storage=tmp_path / "new.sqlite")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(FIRST_SCHEMA)
    conn.execute(f"ATTACH DATABASE '{tmp_path / 'new.sqlite'}' AS new")
    conn.execute("INSERT INTO studies SELECT name, space, space_sha256, strategy, created FROM new.studies")
    conn.execute("INSERT INTO trials SELECT study, number, params, value, state, error, started, finished,"
                 " duration, worker FROM new.trials")
    conn.close()
    result = spacedsl.minimize(reporting_loss, SPACE, strategy="random", n_trials=6, storage=path,
                               prune=OddTrialsStopAtStep3())
    assert [t.state for t in result.trials] == ["complete"] * 3 + ["pruned", "complete", "pruned"]
    with sqlite3.connect(path) as conn:
        (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'trials'").fetchone()
    assert "'pruned'" in sql


class Repeats(Strategy):
    """Proposes x = 0.5 for ever, counting what it is told."""

    defaults_first = False

    def propose(self, n):
        return [{"x": 0.5}] * n


class RepeatsPlugin:
    @hookimpl
    def spacedsl_strategies(self):
        return {"test-repeats": Repeats}


def test_a_proposal_skipped_as_done_is_still_told(tmp_path):
    plugin = RepeatsPlugin()
    plugins.register(plugin, name="test-repeats")
    told = []
    try:
        original = Repeats.tell
        Repeats.tell = lambda self, config, loss: told.append(loss) or original(self, config, loss)
        path = tmp_path / "runs.sqlite"
        spacedsl.minimize(lambda c: c["x"], SPACE, strategy="test-repeats", n_trials=1, storage=path)
        told.clear()
        again = spacedsl.minimize(lambda c: c["x"], SPACE, strategy="test-repeats", n_trials=2, storage=path)
    finally:
        Repeats.tell = original
        plugins.unregister(plugin)
    assert len(again.trials) == 2  # after MAX_SKIPS repeats it runs anyway
    assert told[0] == 0.5 and len(told) == 1 + 100 + 1  # resume, the skips, the trial run


def test_a_report_says_whether_anything_watches_the_trial():
    seen = []

    def loss(config, report):
        seen.append((report.watched, report.max_step))
        return config["x"]

    spacedsl.minimize(loss, SPACE, strategy="random", n_trials=1)
    spacedsl.minimize(loss, SPACE, strategy="random", n_trials=1, prune="median")
    spacedsl.minimize(loss, SPACE, strategy="asha", n_trials=1, strategy_options={"max_resource": 9})
    assert seen == [(False, None), (True, None), (True, None)]


def test_full_budget_random_fits_only_the_top_budget(tmp_path):
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    X, y = make_classification(300, 5, random_state=0)
    path = tmp_path / "runs.sqlite"
    with threadpool_limits(1):  # OpenMP threads crawl on a shared machine
        for study, prune in (("plain", None), ("watched", "median")):
            spacedsl.search(HistGradientBoostingClassifier(), "learning_rate ~ loguniform(0.01, 0.5)", X, y,
                            strategy="random", evaluator="holdout", n_trials=2, storage=path, study=study,
                            evaluator_options={"resource": "max_iter", "max_resource": 27}, prune=prune)
    with Store(path) as store:
        plain = [info["reports"] for _, info in store.trials_with_info("plain")]
        watched = [info["reports"] for _, info in store.trials_with_info("watched")]
    assert [[step for step, _ in r] for r in plain] == [[27.0], [27.0]]
    assert [[step for step, _ in r] for r in watched] == [[1.0, 3.0, 9.0, 27.0]] * 2


# ------------------------------------------------------------ review fixes (issue 12 follow-up)
class RunsInSubmit(cf.Executor):
    """An executor that runs the call inside ``submit``, in the caller's thread (common for debugging)."""

    def submit(self, fn, *args, **kwargs):
        future = cf.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_an_executor_that_runs_trials_inside_submit_is_answered_at_once():
    result = spacedsl.minimize(reporting_loss, SPACE, strategy="random", n_trials=4, seed=0,
                               prune=OddTrialsStopAtStep3(), executor=RunsInSubmit())
    assert [t.state for t in result.trials] == ["complete", "pruned"] * 2  # was a deadlock
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier
    X, y = load_iris(return_X_y=True)  # the evaluators report after each fold: no pruning needed to hang
    found = spacedsl.search(DecisionTreeClassifier(), "max_depth in [2, 3]", X, y, strategy="grid",
                            executor=RunsInSubmit(), seed=0)
    assert len(found.trials) == 2


def _ours():
    import threading
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("spacedsl-report"))


@pytest.mark.parametrize("workers", ["threads", "loky"])
def test_searches_on_workers_leave_no_report_threads_or_sockets_behind(workers):
    import os
    kwargs = {"threads": {}, "loky": {"n_jobs": 2}}[workers]
    with cf.ThreadPoolExecutor(2) as pool:
        if workers == "threads":
            kwargs["executor"] = pool
        fds = None
        for seed in range(3):
            spacedsl.minimize(reporting_loss, SPACE, strategy="random", n_trials=2, seed=seed, prune="median",
                              **kwargs)
            assert _ours() == []
            now = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
            fds = now if fds is None else fds
            assert now <= fds  # was one socket and a thread more per search


def test_a_connection_that_never_authenticates_delays_no_report(monkeypatch):
    import pickle
    import socket
    import threading
    import time

    from spacedsl.running import reports

    monkeypatch.setattr(reports, "HANDSHAKE_TIMEOUT", 1.0)
    def decide(number, step, value):
        return step >= 2

    hub = reports.ReportHub(decide)
    try:
        worker = pickle.loads(pickle.dumps(hub.reporter(7)))  # as a worker process receives it
        stray = socket.socket(socket.AF_UNIX)
        stray.connect(hub.address)  # connects first, then says nothing
        answers = []
        thread = threading.Thread(target=lambda: answers.extend([worker(1, 0.5), worker(2, 0.4)]), daemon=True)
        thread.start()
        deadline = time.monotonic() + 5
        while len(answers) < 2 and time.monotonic() < deadline:
            for number, step, value, answer in hub.take():
                answer(decide(number, step, value))
            time.sleep(0.02)
        assert answers == [False, True]
        stray.settimeout(3.0)
        while stray.recv(1024):  # the challenge, then the end: dropped after HANDSHAKE_TIMEOUT
            pass
        stray.close()
    finally:
        hub.close()
    assert _ours() == []


def test_an_objective_with_an_optional_second_parameter_gets_no_report():
    def scaled(config, scale=2.0):
        return config["x"] * scale

    def named(config, report=None):
        report(1, config["x"])
        return config["x"]

    assert spacedsl.minimize(scaled, SPACE, strategy="random", n_trials=2, seed=0).best_value < 2.0
    assert all(t.step == 1.0 for t in spacedsl.minimize(named, SPACE, strategy="random", n_trials=2, seed=0).trials)


def test_a_pruned_trial_that_reported_nan_is_never_the_best(tmp_path):
    class StopAt2:
        def prune(self, number, step, loss):
            return step >= 2

    def diverging(config, report):
        loss = float("nan") if config["x"] > 0.5 else config["x"]
        for step in (1, 2):
            if report(step, loss):
                break
        return loss

    for storage in (None, tmp_path / "nan.sqlite"):
        result = spacedsl.minimize(diverging, SPACE, strategy="random", n_trials=6, seed=5, prune=StopAt2(),
                                   storage=storage)
        assert all(t.value is None for t in result.trials if t.params["x"] > 0.5)  # as the store keeps it
        assert result.best_value == min(t.params["x"] for t in result.trials if t.params["x"] <= 0.5)


def test_an_evaluator_taking_only_kwargs_is_not_given_report():
    from sklearn.base import clone
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    from spacedsl.evaluators import Evaluation

    class FitKwargs:  # forwards its keyword arguments to fit (sample_weight=...)
        def __init__(self, seed=0):
            pass

        def evaluate(self, estimator, params, X, y, scoring, **fit_kwargs):
            return Evaluation(clone(estimator).set_params(**params).fit(X, y, **fit_kwargs).score(X, y))

    class Plugin:
        @hookimpl
        def spacedsl_evaluators(self):
            return {"fit-kwargs": FitKwargs}

    plugin = Plugin()
    plugins.register(plugin, name="fit_kwargs_plugin")
    try:
        X, y = load_iris(return_X_y=True)
        result = spacedsl.search(LogisticRegression(max_iter=300), "C ~ loguniform(0.1, 10)", X, y,
                                 strategy="random", evaluator="fit-kwargs", n_trials=2, seed=0)
    finally:
        plugins.unregister(plugin)
    assert [t.state for t in result.trials] == ["complete", "complete"]  # was: fit() got 'report'


def test_a_worker_that_cannot_reach_the_driver_warns_once_and_runs_on(tmp_path):
    import pickle

    from spacedsl.running import reports

    hub = reports.ReportHub(lambda number, step, value: True)
    try:
        far = pickle.loads(pickle.dumps(hub.reporter(0)))
        far._address = str(tmp_path / "not-a-socket")  # as a worker on another machine sees a Unix socket
        with pytest.warns(RuntimeWarning, match="cannot reach the search's driver"):
            assert far(1, 0.5) is False
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert far(2, 0.4) is False  # once: no second warning, no error
        assert caught == []
    finally:
        hub.close()
