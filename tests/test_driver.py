"""Parallel and asynchronous trials: local workers, executors, timeouts, Ctrl-C, a dying worker."""

import concurrent.futures as cf
import os
import threading
import time

import pytest
from sklearn.datasets import load_iris
from sklearn.svm import SVC

import spacedsl
from spacedsl.storage import Store
from spacedsl.strategies import config_key
from spacedsl.storage import COMPLETE, FAILED, INTERRUPTED

X, Y = load_iris(return_X_y=True)
SPACE = "x ~ uniform(-2, 2)\ny ~ uniform(-1, 1)\n"


def quadratic(c):
    return (c["x"] - 0.5) ** 2 + (c["y"] + 0.25) ** 2


def slow_quadratic(c):
    time.sleep(0.02)
    return quadratic(c)


class Concurrency:
    """An objective that sleeps and counts how many of its calls overlap (threads)."""

    def __init__(self, seconds=0.05, slow=None):
        self.seconds, self.slow = seconds, slow
        self.lock = threading.Lock()
        self.now = self.most = 0
        self.log = []  # (event, x) in order

    def __call__(self, c):
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
            self.log.append(("start", c["x"]))
        try:
            time.sleep(self.slow(c) if self.slow else self.seconds)
            return quadratic(c)
        finally:
            with self.lock:
                self.now -= 1
                self.log.append(("end", c["x"]))


def params(result):
    return [t.params for t in result.trials]


# ------------------------------------------------------------- local workers
def test_two_local_workers_give_a_non_adaptive_strategy_the_same_trials():
    one = spacedsl.minimize(quadratic, SPACE, strategy="random", n_trials=12, seed=5)
    two = spacedsl.minimize(quadratic, SPACE, strategy="random", n_trials=12, seed=5, n_jobs=2)
    assert params(one) == params(two)
    assert [t.value for t in one.trials] == [t.value for t in two.trials]
    assert [t.number for t in two.trials] == list(range(12))


def test_local_workers_run_in_other_processes(tmp_path):
    result = spacedsl.minimize(_pid_loss, "x ~ uniform(0, 1)", strategy="random", n_trials=6, n_jobs=2)
    pids = {int(t.value) for t in result.trials}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def _pid_loss(c):
    return float(os.getpid())


def test_gp_ei_with_two_workers_is_asynchronous_and_never_repeats_itself():
    calls = iter(range(10**6))
    objective = Concurrency(slow=lambda c: 1.0 if next(calls) == 1 else 0.02)  # the second trial is slow
    with cf.ThreadPoolExecutor(2) as pool:
        result = spacedsl.minimize(objective, SPACE, strategy="gp-ei", n_trials=14, seed=2, executor=pool)
    assert len(result.trials) == 14 and all(t.state == COMPLETE for t in result.trials)
    assert len({config_key(p) for p in params(result)}) == 14  # pending configurations are not re-proposed
    assert objective.most == 2  # two trials really ran at once
    # asynchronous: while the slow trial runs, the other worker goes on finishing trials
    slow_x = objective.log[[i for i, e in enumerate(objective.log) if e[0] == "start"][1]][1]
    i, j = objective.log.index(("start", slow_x)), objective.log.index(("end", slow_x))
    assert sum(event == "end" for event, _ in objective.log[i:j]) >= 3
    assert result.best_value < 0.1


def test_lock_step_batches_make_an_adaptive_strategy_reproducible():
    def run():
        with cf.ThreadPoolExecutor(2) as pool:
            objective = Concurrency(slow=lambda c: 0.01 + abs(c["y"]) * 0.05)
            return spacedsl.minimize(objective, SPACE, strategy="gp-ei", n_trials=10, seed=1, executor=pool,
                                     batch_size=2)

    assert params(run()) == params(run())


def test_search_with_local_workers_and_a_thread_pool_equals_the_inline_search():
    kwargs = dict(strategy="sobol", n_trials=6, seed=4, test_size=0.2, evaluator="kfold")
    space = "C ~ loguniform(1e-2, 1e2)\nkernel in ['linear', 'rbf']\n"
    one = spacedsl.search(SVC(), space, X, Y, **kwargs)
    two = spacedsl.search(SVC(), space, X, Y, n_jobs=2, **kwargs)
    with cf.ThreadPoolExecutor(2) as pool:
        three = spacedsl.search(SVC(), space, X, Y, executor=pool, **kwargs)
    for other in (two, three):
        assert [(t.params, t.value) for t in one.trials] == [(t.params, t.value) for t in other.trials]
        assert [e.fold_scores for e in one.evaluations] == [e.fold_scores for e in other.evaluations]
        assert (one.best_params, one.test_score) == (other.best_params, other.test_score)


def test_a_worker_that_dies_fails_its_trial_and_the_others_run_again():
    result = spacedsl.minimize(_dies_sometimes, "x ~ uniform(0, 1)", strategy="random", n_trials=20, seed=0,
                               n_jobs=2)
    finished = [t for t in result.trials if t.error != "interrupted"]
    assert len(finished) == 20
    culprits = [t for t in finished if 0.3 < t.params["x"] < 0.5]
    assert culprits and all(t.state == FAILED and t.error.startswith("WorkerError: ") for t in culprits)
    assert all(t.state == COMPLETE for t in finished if not 0.3 < t.params["x"] < 0.5)  # innocents ran again
    cut = [t for t in result.trials if t.error == "interrupted"]
    assert {config_key(t.params) for t in cut} <= {config_key(t.params) for t in finished}


def _dies_sometimes(c):
    if 0.3 < c["x"] < 0.5:
        os._exit(3)  # like a segfault in C code or the OS killing the worker for its memory
    time.sleep(0.01)
    return c["x"]


# ------------------------------------------------------------------ timeouts
def test_trial_timeout_inline_fails_the_trial_and_goes_on():
    slept = []  # configurations whose 5 s sleep ran to its end: none, the timeout cut them short

    def objective(c):
        if c["x"] > 0.5:
            time.sleep(5)
            slept.append(c)
        return c["x"]

    result = spacedsl.minimize(objective, "x ~ uniform(0, 1)", strategy="random", n_trials=6, seed=0,
                               trial_timeout=0.3)
    assert slept == []
    slow = [t for t in result.trials if t.params["x"] > 0.5]
    assert slow and all(t.state == FAILED and t.error.startswith("TimeoutError: ") for t in slow)
    assert all(t.state == COMPLETE for t in result.trials if t.params["x"] <= 0.5)


def test_trial_timeout_where_signals_cannot_reach_the_trial():
    with cf.ThreadPoolExecutor(4) as pool:  # worker threads: the driver stops waiting instead
        result = spacedsl.minimize(lambda c: time.sleep(2 if c["x"] > 0.8 else 0) or c["x"], "x ~ uniform(0, 1)",
                                   strategy="random", n_trials=8, seed=1, trial_timeout=0.2, executor=pool)
    assert len(result.trials) == 8
    slow = [t for t in result.trials if t.params["x"] > 0.8]
    assert slow and all(t.error.startswith("TimeoutError: ") for t in slow)


def test_search_timeout_stops_starting_trials():
    result = spacedsl.minimize(lambda c: time.sleep(0.1) or c["x"], "x ~ uniform(0, 1)", strategy="random",
                               n_trials=1000, timeout=0.5)
    assert 2 <= len(result.trials) <= 7


def test_bad_timeouts_and_executors_are_refused():
    with pytest.raises(ValueError, match="trial_timeout must be a positive number"):
        spacedsl.minimize(quadratic, SPACE, n_trials=2, trial_timeout=-1)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        spacedsl.minimize(quadratic, SPACE, n_trials=2, timeout=float("nan"))
    with pytest.raises(TypeError, match="executor must be"):
        spacedsl.minimize(quadratic, SPACE, n_trials=2, executor="dask")


# ------------------------------------------------------------------- Ctrl-C
def test_ctrl_c_with_workers_records_the_running_trials_and_resume_runs_them_again(tmp_path):
    path = tmp_path / "runs.sqlite"
    seen = []

    def stop_after_three(trial):
        seen.append(trial)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with cf.ThreadPoolExecutor(2) as pool, pytest.raises(KeyboardInterrupt):
        spacedsl.minimize(slow_quadratic, SPACE, strategy="random", n_trials=10, storage=path, executor=pool,
                          callback=stop_after_three)
    with Store(path) as store:
        trials = store.trials("default")
    assert [t.state for t in trials].count(COMPLETE) == 3
    cut = [t for t in trials if t.error == INTERRUPTED]
    assert cut and all(t.state == FAILED for t in cut) and not [t for t in trials if t.state == "running"]
    result = spacedsl.minimize(slow_quadratic, SPACE, strategy="random", n_trials=10, storage=path)
    complete = [t for t in result.trials if t.state == COMPLETE]
    assert len(complete) == 10
    assert all(config_key(t.params) in {config_key(c.params) for c in complete} for t in cut)


# ------------------------------------------------------------ search storage
def test_search_resumes_from_its_store_with_every_evaluation(tmp_path):
    path = tmp_path / "runs.sqlite"
    space = "C ~ loguniform(1e-2, 1e2)\ngamma ~ loguniform(1e-3, 1)\n"
    kwargs = dict(strategy="gp-ei", evaluator="kfold", evaluator_options={"k": 3}, seed=0, storage=path)
    first = spacedsl.search(SVC(), space, X, Y, n_trials=4, **kwargs)
    again = spacedsl.search(SVC(), space, X, Y, n_trials=7, **kwargs)
    assert len(again.trials) == 7 and again.trials[:4] == first.trials
    assert [e.fold_scores for e in again.evaluations[:4]] == [e.fold_scores for e in first.evaluations]
    assert all(len(e.fold_scores) == 3 for e in again.evaluations)
    assert again.best_score >= first.best_score
    with Store(path) as store:
        (study,) = store.studies()
    assert study["name"] == "default" and study["direction"] == "maximize"
    with pytest.raises(spacedsl.StoreError, match="different space"):
        spacedsl.search(SVC(), "C ~ loguniform(1e-2, 1e2)", X, Y, n_trials=2, **kwargs)


def test_the_default_study_is_named_after_the_space_file(tmp_path):
    file = tmp_path / "svm.space"
    file.write_text("C ~ loguniform(1e-2, 1e2)\n")
    spacedsl.search(SVC(), spacedsl.load(file), X, Y, strategy="random", n_trials=2, storage=tmp_path / "r.sqlite")
    with Store(tmp_path / "r.sqlite") as store:
        assert [s["name"] for s in store.studies()] == ["svm"]


# ------------------------------------------------------------ taken proposals (twins)
def _rung_loss(c, report):
    loss = {"a": 1.0, "b": 2.0, "c": 3.0}[c["x"]]
    time.sleep(0.05)
    for step in (1, 2, 3):
        if report(step, loss + 1 / step):
            break
    return loss


SHA = {"max_resource": 3, "n_configs": 6}


def test_a_proposal_whose_twin_runs_is_told_the_twins_result_so_a_rung_fills(tmp_path):
    """Three values, six configurations a rung: repeats are refused by the store while their twin runs
    (two threads); they are told the twin's loss, so sha goes on to its top rung and the budget."""
    with cf.ThreadPoolExecutor(2) as pool:
        result = spacedsl.minimize(_rung_loss, 'x in ["a", "b", "c"]', strategy="sha", strategy_options=SHA,
                                   n_trials=12, executor=pool, storage=tmp_path / "s.db", seed=1)
    assert len(result.trials) == 12  # was 3: the first rung never filled
    assert any(t.state == COMPLETE and t.max_step is None for t in result.trials)  # the top rung ran
    assert result.best_params == {"x": "a"}


def _other_process_runs_a(path):
    """A second store on the file, as another process would hold it, running ``a``'s first rung."""
    other = Store(path)
    other.create_or_load_study("shared", spacedsl.parse('x in ["a", "b"]'), "sha")
    return other, other.start_trial("shared", {"x": "a"}, max_step=1)


TWO = {"max_resource": 3, "n_configs": 2}


def test_a_twin_in_another_process_is_waited_for(tmp_path):
    other, number = _other_process_runs_a(tmp_path / "s.db")
    def finish():  # from another thread, so with its own connection (a Store belongs to its thread)
        with Store(tmp_path / "s.db") as late:
            late.finish_trial("shared", number, 2.0, "pruned", step=1.0)

    timer = threading.Timer(1.0, finish)
    started = time.monotonic()
    timer.start()
    try:
        result = spacedsl.minimize(_rung_loss, 'x in ["a", "b"]', strategy="sha", strategy_options=TWO,
                                   n_trials=10, storage=tmp_path / "s.db", study="shared", seed=1)
    finally:
        timer.join()
        other.close()
    assert time.monotonic() - started >= 1.0  # it waited for the twin instead of ending with the rung unfilled
    ours = [t for t in result.trials if t.number != number]
    assert next(t for t in ours if t.params == {"x": "a"}).max_step is None  # promoted on the other's result
    assert sum(t.finished for t in result.trials) == 10  # the other's trial, then the budget
    assert result.trials[number].state == "pruned" and result.trials[number].value == 2.0  # as the store has it
    assert result.best_params == {"x": "a"}


def test_a_twin_whose_process_is_gone_is_run_here(tmp_path, monkeypatch):
    from spacedsl.running import loop

    other, number = _other_process_runs_a(tmp_path / "s.db")
    monkeypatch.setattr(loop, "left_over", lambda row: row["number"] == number and row["state"] == "running")
    try:
        result = spacedsl.minimize(_rung_loss, 'x in ["a", "b"]', strategy="sha", strategy_options=TWO,
                                   n_trials=10, storage=tmp_path / "s.db", study="shared", seed=1)
    finally:
        other.close()
    with Store(tmp_path / "s.db") as store:
        gone = next(t for t in store.trials("shared") if t.number == number)
    assert (gone.state, gone.error) == (FAILED, INTERRUPTED)  # recorded as opening the study would have
    assert (result.trials[number].state, result.trials[number].error) == (FAILED, INTERRUPTED)
    assert any(t.params == {"x": "a"} and t.max_step == 1 and t.state == "pruned" for t in result.trials
               if t.number != number)  # and run here instead
    assert result.best_params == {"x": "a"}


class WhereAmI:
    """A loss that writes down which process ran it."""

    def __init__(self, target, log):
        self.target, self.log = target, log

    def __call__(self, c):
        with open(self.log, "a") as f:
            f.write(f"{os.getpid()}\n")
        return (c["x"] - self.target) ** 2


def test_the_pool_is_kept_between_searches_and_each_runs_its_own_task(tmp_path, monkeypatch):
    import glob
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the task files go here
    pids, results = [], []
    for target in (0.1, 0.9):
        log = tmp_path / f"pids-{target}"
        results.append(spacedsl.minimize(WhereAmI(target, log), "x ~ uniform(0, 1)", strategy="random",
                                         n_trials=6, n_jobs=2, seed=0))
        pids.append(set(log.read_text().split()))
        assert glob.glob(str(tmp_path / "spacedsl-task-*")) == []  # the search's task file is gone
    assert pids[1] <= pids[0] and str(os.getpid()) not in pids[0]  # the same workers served both searches
    assert abs(results[0].best_params["x"] - 0.1) < 0.2 and abs(results[1].best_params["x"] - 0.9) < 0.2
