"""Pruned trials on the command line: `spacedsl studies` and `trials` list them (state, step,
max_step), `spacedsl tune` counts them in its progress line, summary and ``--json``, and takes
``--prune``, ``--resource``, ``--min-resource``, ``--max-resource``, ``--factor`` and
``--strategy-option``."""

import inspect
import io
import json
import re
import sqlite3

import pytest

import spacedsl
from spacedsl import hookimpl, plugins
from spacedsl.cli import main
from spacedsl.cli.console import Progress
from spacedsl.cli.tune import print_table
from spacedsl.storage import COMPLETE, Store, Trial
from spacedsl.strategies import Strategy
from siblings import sibling  # noqa: E402  (tests/ is on sys.path)

SPACE = "x: float ~ uniform(0, 1)"


def evaluators_have_resources():
    return "resource" in inspect.signature(plugins.evaluator("holdout")).parameters


needs_resources = pytest.mark.skipif(not evaluators_have_resources(), reason="the evaluators take no resource= yet")


reports = sibling("tests/test_reports.py")  # the pruner and the reporting objective the core tests use


def run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def json_lines(out):
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def pruned_db(tmp_path):
    """Study "demo": 6 trials of `minimize`, the odd ones pruned at step 3."""
    path = tmp_path / "runs.sqlite"
    spacedsl.minimize(reports.reporting_loss, SPACE, strategy="random", n_trials=6, seed=0, storage=path, study="demo",
                      prune=reports.OddTrialsStopAtStep3())
    return path


# ------------------------------------------------------------------ listing
def test_studies_count_pruned_trials(capsys, pruned_db):
    status, out, err = run(capsys, "studies", pruned_db)
    assert (status, err) == (0, "")
    header, row = (line.split() for line in out.splitlines())
    assert header[:9] == ["name", "strategy", "direction", "trials", "complete", "pruned", "failed", "running", "best"]
    assert row[:8] == ["demo", "random", "minimize", "6", "3", "3", "0", "0"]
    [study] = json_lines(run(capsys, "studies", pruned_db, "--json")[1])
    result_best = min(t.value for t in Store(pruned_db, readonly=True).trials("demo") if t.state == "complete")
    assert (study["complete"], study["pruned"], study["best"]) == (3, 3, result_best)  # best: complete trials


def test_trials_show_the_state_and_the_step_reached(capsys, pruned_db):
    status, out, err = run(capsys, "trials", pruned_db)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["number", "state", "value", "step", "duration", "started", "seed", "error", "param_x"]
    cells = [line.split() for line in lines[1:]]
    assert [(c[1], c[3]) for c in cells] == [("complete", "5"), ("pruned", "3")] * 3
    trials = json_lines(run(capsys, "trials", pruned_db, "--json")[1])
    assert [(t["state"], t["step"], t["max_step"]) for t in trials] == [("complete", 5.0, None), ("pruned", 3.0, None)] * 3
    assert trials[1]["value"] == pytest.approx(3 * trials[1]["params"]["x"])  # its last report
    csv_header = run(capsys, "trials", pruned_db, "--csv")[1].splitlines()[0]
    assert csv_header == "number,state,value,step,duration,started,seed,error,param_x"


def test_trials_of_a_budgeted_strategy_show_max_step(capsys, tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("rungs", SPACE, "asha")
        store.record("rungs", Trial(0, {"x": 0.5}, 0.7, "pruned", step=9.0, max_step=9.0))
        store.record("rungs", Trial(1, {"x": 0.25}, 0.9, COMPLETE, step=81.0, max_step=None))
        store.record("rungs", Trial(2, {"x": 0.75}, 0.6, "pruned", step=2.5, max_step=27.0))
    status, out, err = run(capsys, "trials", path)
    lines = out.splitlines()
    assert lines[0].split()[:5] == ["number", "state", "value", "step", "max_step"]
    at = lines[0].index("max_step") + len("max_step")  # right-aligned: the column ends there
    assert [line.split()[1:4] + [line[:at].split()[-1]] for line in lines[1:]] == [
        ["pruned", "0.7", "9", "9"], ["complete", "0.9", "81", "81"], ["pruned", "0.6", "2.5", "27"]]
    assert lines[2][at - 1] == " "  # no max_step: blank
    trials = json_lines(run(capsys, "trials", path, "--json")[1])
    assert [(t["step"], t["max_step"]) for t in trials] == [(9.0, 9.0), (81.0, None), (2.5, 27.0)]


def test_a_study_of_pruned_trials_only_has_the_furthest_best(capsys, tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("early", SPACE, "sha", direction="maximize")
        store.record("early", Trial(0, {"x": 0.5}, 0.95, "pruned", step=1.0, max_step=1.0))
        store.record("early", Trial(1, {"x": 0.25}, 0.8, "pruned", step=3.0, max_step=3.0))
        store.record("early", Trial(2, {"x": 0.75}, 0.7, "pruned", step=3.0, max_step=3.0))
    [study] = json_lines(run(capsys, "studies", path, "--json")[1])
    assert (study["pruned"], study["best"]) == (3, 0.8)  # as search's best: of those that got furthest


def test_a_running_trial_of_a_dead_process_is_listed_as_interrupted(capsys, tmp_path):
    path = tmp_path / "runs.sqlite"
    with Store(path) as store:
        store.create_or_load_study("demo", SPACE, "random")
        store.start_trial("demo", {"x": 0.1})  # this store closes: nobody runs it any more
    with Store(path) as live:
        number = live.start_trial("demo", {"x": 0.2})  # still running
        trials = json_lines(run(capsys, "trials", path, "--json")[1])
        assert [(t["state"], t["error"]) for t in trials] == [("failed", "interrupted"), ("running", None)]
        assert trials[1]["number"] == number
        [study] = json_lines(run(capsys, "studies", path, "--json")[1])
        assert (study["failed"], study["running"]) == (1, 1)
    with sqlite3.connect(path) as conn:  # read only: the row itself is as it was
        assert conn.execute("SELECT state FROM trials WHERE number = 0").fetchone() == ("running",)
    conn.close()


# ------------------------------------------------------------------- tune
def test_progress_counts_pruned_trials_apart():
    out = io.StringIO()
    progress = Progress(4, out, tty=False)
    progress(Trial(0, {}, 0.9, COMPLETE))
    progress(Trial(1, {}, 0.95, "pruned", step=2.0))  # an intermediate score: not the best
    progress(Trial(2, {}, None, "failed", "ValueError: no"))
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("trial 1/4: 0.9000  best 0.9000  ")
    assert lines[1].startswith("trial 2/4: pruned at step 2 (0.9500)  best 0.9000, 1 pruned so far  ")
    assert lines[2].startswith("trial 3/4: failed  best 0.9000, 1 pruned so far  ")
    bar = io.StringIO()
    progress = Progress(50, bar, tty=True, done=10)
    progress(Trial(10, {}, 0.93, COMPLETE))
    progress(Trial(11, {}, 0.5, "pruned", step=1.0))
    assert "12/50 trials, 1 pruned  best 0.9300" in bar.getvalue().split("\r")[-1]


def summary(**changes):
    base = {"best_params": {"x": 0.5}, "best_score": 0.93, "test_score": 0.9, "scoring": "accuracy",
            "evaluator": "kfold", "test_size": 0.2, "n_trials": 12, "n_complete": 6, "n_pruned": 5, "n_failed": 1,
            "n_interrupted": 0, "strategy": "asha", "prune": None, "resource": "max_iter", "seed": 0, "seconds": 1.5,
            "best_trial": {"number": 3, "state": "complete", "step": 100.0, "max_step": None}}
    return {**base, **changes}


def test_the_summary_table_counts_pruned_trials():
    out = io.StringIO()
    print_table(summary(), out)
    assert "trials      12 (5 pruned, 1 failed)  (asha, resource max_iter, seed 0)" in out.getvalue()
    out = io.StringIO()
    print_table(summary(n_pruned=12, n_complete=0, n_failed=0, strategy="random", prune="median", resource=None,
                        best_trial={"number": 3, "state": "pruned", "step": 3.0, "max_step": None}), out)
    text = out.getvalue()
    assert "12 (12 pruned)  (random, prune median, seed 0)" in text
    assert "no trial ran to the end: the best of those that got furthest, step 3" in text


@pytest.fixture
def space_file(tmp_path):
    path = tmp_path / "lr.space"
    path.write_text("C ~ loguniform(1e-2, 1e2)\n")
    return str(path)


TUNE = ["--estimator", "sklearn.linear_model.LogisticRegression", "--data", "builtin:iris", "--trials", "3", "-q"]


@pytest.mark.parametrize("flags, needle", [
    (["--prune", "mean"], "expected median or percentile:P"),
    (["--prune", "percentile:101"], "the percentile must be a number in 0..100"),
    (["--factor", "1"], "must be greater than 1"),
    (["--min-resource", "0"], "must be 1 or more"),
    (["--strategy-option", "sampler"], "expected KEY=VALUE"),
])
def test_bad_early_stopping_flags_are_usage_errors(capsys, space_file, flags, needle):
    status, out, err = run(capsys, "tune", space_file, *TUNE, "--strategy", "random", *flags)
    assert status == 2 and out == ""
    assert needle in err


def test_an_option_the_strategy_does_not_take_is_one_line(capsys, space_file):
    status, out, err = run(capsys, "tune", space_file, *TUNE, "--strategy", "random", "--strategy-option", "eta=2")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "--strategy-option: the strategy 'random' takes no option 'eta'" in err


@pytest.mark.parametrize("strategy, option", [("asha", "eta"), ("hyperband", "n_configs"), ("sha", "eta")])
def test_an_option_a_halving_strategy_does_not_take_is_one_line_before_anything_runs(capsys, space_file,
                                                                                     strategy, option):
    """Their constructors take **options, so the signature alone accepts anything: their `options` say."""
    status, out, err = run(capsys, "tune", space_file, *TUNE, "--strategy", strategy, "--strategy-option",
                           f"{option}=2")
    assert status == 2 and out == "" and err.count("\n") == 1
    assert f"--strategy-option: the strategy {strategy!r} takes no option {option!r} (it takes " in err
    assert "min_resource, max_resource, factor, sampler" in err


class Budgeted(Strategy):
    """A budgeted strategy that records the options it was made with, then samples at random."""

    budgeted = True
    made = []

    def __init__(self, space, seed=None, min_resource=1, max_resource=None, factor=3, sampler="random"):
        super().__init__(space, seed)
        Budgeted.made.append({"min_resource": min_resource, "max_resource": max_resource, "factor": factor,
                              "sampler": sampler})

    def propose(self, n):
        return self.space.sample(n, seed=self.rng)


class BudgetedPlugin:
    @hookimpl
    def spacedsl_strategies(self):
        return {"test-budgeted": Budgeted}


@pytest.fixture
def budgeted():
    plugin = BudgetedPlugin()
    plugins.register(plugin, name="test-budgeted")
    Budgeted.made.clear()
    yield "test-budgeted"
    plugins.unregister(plugin)


@needs_resources
def test_strategy_options_and_the_resource_range_reach_a_budgeted_strategy(capsys, space_file, budgeted):
    status, out, err = run(capsys, "tune", space_file, *TUNE, "--strategy", budgeted, "--json",
                           "--strategy-option", "sampler=gp-ei", "--strategy-option", "factor=4",
                           "--resource", "max_iter", "--min-resource", "2", "--factor", "2", "--evaluator", "holdout")
    assert status == 0, err
    # --strategy-option wins over --factor for the strategy; max_resource is the estimator's max_iter
    assert Budgeted.made == [{"min_resource": 2, "max_resource": 100, "factor": 4, "sampler": "gp-ei"}]
    result = json.loads(out)
    assert (result["n_trials"], result["n_pruned"]) == (3, 0)


# ------------------------------------------------------- end to end (evaluators with resources)

SGD = ["--estimator", "sklearn.linear_model.SGDClassifier", "--data", "builtin:iris", "--evaluator", "holdout",
       "--resource", "max_iter", "--max-resource", "27"]


@pytest.fixture
def sgd_file(tmp_path):
    path = tmp_path / "sgd.space"
    path.write_text('alpha ~ loguniform(1e-6, 1e-1)\nloss in ["hinge", "log_loss", "modified_huber"]\ntol = none\n')
    return str(path)


def test_resource_flags_need_a_resource(capsys, space_file):
    status, out, err = run(capsys, "tune", space_file, *TUNE, "--strategy", "random", "--factor", "2",
                           "--min-resource", "3")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "--min-resource, --factor need --resource NAME" in err


@needs_resources
def test_an_unknown_resource_is_one_line_and_status_2(capsys, sgd_file):
    status, out, err = run(capsys, "tune", sgd_file, *SGD[:-4], "--resource", "max_iters", "--strategy", "asha",
                           "--trials", "2", "-q")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "'max_iters' is not a parameter of SGDClassifier" in err and "max_iter" in err


@needs_resources
def test_tune_asha_on_max_iter_with_workers_and_a_store_resumes_to_exactly_the_trials(capsys, sgd_file, tmp_path):
    db = tmp_path / "runs.sqlite"
    status, out, err = run(capsys, "tune", sgd_file, *SGD, "--strategy", "asha", "--trials", "6", "--jobs", "2",
                           "--storage", db, "--json", "-q")
    assert status == 0, err
    first = json.loads(out)
    assert (first["n_trials"], first["strategy"], first["resource"]) == (6, "asha", "max_iter")
    assert first["n_complete"] + first["n_pruned"] + first["n_failed"] == 6 and first["n_pruned"] >= 1
    before = trials = json_lines(run(capsys, "trials", db, "--json")[1])
    pruned = [t for t in trials if t["state"] == "pruned"]
    assert len(pruned) == first["n_pruned"] and all(t["step"] < 27 for t in pruned)
    assert all(t["step"] == 27 for t in trials if t["state"] == "complete")
    # the same command with more trials resumes: pruned trials count and are never run again
    status, out, err = run(capsys, "tune", sgd_file, *SGD, "--strategy", "asha", "--trials", "9",
                           "--storage", db, "--json")
    assert status == 0, err
    assert "resuming study 'sgd'" in err and f"6 trials already there ({first['n_pruned']} pruned)" in err
    counted = re.search(r", (\d+) pruned so far", err.splitlines()[1])  # the progress goes on counting
    assert counted and int(counted.group(1)) >= first["n_pruned"]
    assert "best -" not in err  # nor does it forget the best so far
    again = json.loads(out)
    assert again["n_trials"] == 9 and again["n_pruned"] >= first["n_pruned"]
    trials = json_lines(run(capsys, "trials", db, "--json")[1])
    assert len(trials) == 9 and trials[:6] == before  # kept as they were
    assert len({json.dumps(t["params"], sort_keys=True) for t in trials}) == 9  # none ran twice
    [study] = json_lines(run(capsys, "studies", db, "--json")[1])
    assert study["complete"] + study["pruned"] + study["failed"] == 9 and study["pruned"] == again["n_pruned"]


@needs_resources
def test_tune_random_with_the_median_pruner_on_folds(capsys, sgd_file, tmp_path):
    db = tmp_path / "runs.sqlite"
    status, out, err = run(capsys, "tune", sgd_file, "--estimator", "sklearn.linear_model.SGDClassifier", "--data",
                           "builtin:iris", "--strategy", "random", "--prune", "median", "--trials", "10",
                           "--storage", db, "--json", "-q", "--report", tmp_path / "tune.html")
    assert status == 0, err
    result = json.loads(out)
    page = (tmp_path / "tune.html").read_text(encoding="utf-8")  # from the store: its reports, tune's test score
    assert 'alt="intermediate values"' in page and f"{result['test_score']:.6g}" in page
    assert result["prune"] == "median" and result["n_trials"] == 10
    trials = json_lines(run(capsys, "trials", db, "--json")[1])
    assert sum(t["state"] == "pruned" for t in trials) == result["n_pruned"]
    assert all(t["step"] == 5 for t in trials if t["state"] == "complete")  # kfold: a report after each fold
    assert all(1 <= t["step"] < 5 for t in trials if t["state"] == "pruned")
