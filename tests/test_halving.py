"""sha, hyperband and asha by ask/tell/prune: rung budgets and sizes against the papers, promotions,
asha's decisions, the model-based sampler, bad options."""

import concurrent.futures as cf
import time

import pytest

import spacedsl
from spacedsl import plugins
from spacedsl.strategies import Rungs, Suggestion

SPACE = spacedsl.parse("x ~ uniform(0, 1)\ny ~ uniform(0, 1)")


def make(name, **options):
    return plugins.strategy(name)(SPACE, seed=0, **options)


def loss(config, step=None):
    """Better for small x; a longer run lowers every loss a little."""
    return config["x"] + 1.0 / (1.0 + (step or 81))


# ------------------------------------------------------------------ rungs
def test_rungs_for_r81_eta3():
    rungs = Rungs.from_options("sha", 1, 81, 3)
    assert rungs.budgets == (1, 3, 9, 27, 81) and rungs.levels == 4
    assert all(isinstance(b, int) for b in rungs.budgets)
    assert rungs.sizes(rungs.first_size(), 5) == (81, 27, 9, 3, 1)


def test_hyperband_brackets_are_the_papers_table():
    """Li et al. 2018, Table 1 (R = 81, eta = 3)."""
    brackets = Rungs.from_options("hyperband", 1, 81, 3).brackets()
    assert brackets == [((1, 3, 9, 27, 81), (81, 27, 9, 3, 1)),
                        ((3, 9, 27, 81), (34, 11, 3, 1)),
                        ((9, 27, 81), (15, 5, 1)),
                        ((27, 81), (8, 2)),
                        ((81,), (5,))]


def test_rungs_when_the_range_is_not_a_power_of_the_factor():
    assert Rungs.from_options("sha", 1, 100, 3).budgets == (1, 3, 9, 27, 100)
    assert Rungs.from_options("sha", 10, 10, 3).budgets == (10,)
    assert Rungs.from_options("sha", 0.5, 2, 2.0).budgets == (0.5, 1, 2)
    rungs = Rungs.from_options("sha", 1, 16, 2.5)
    assert rungs.budgets[:3] == (1, 2.5, 6.25) and rungs.budgets[-1] == 16


@pytest.mark.parametrize("options, message", [
    ({}, r"sha: max_resource is missing: pass the full budget of a trial.*strategy_options=\{'max_resource': 81\}"),
    ({"max_resource": 9, "min_resource": 10}, r"sha: min_resource \(10\) must be at most max_resource \(9\)"),
    ({"max_resource": 9, "factor": 1}, r"sha: factor must be a number > 1, got 1"),
    ({"max_resource": -1}, r"sha: max_resource must be a number > 0, got -1"),
    ({"max_resource": 9, "min_resource": "a"}, r"min_resource must be a number"),
    ({"max_resource": 9, "n_configs": 0}, r"sha: n_configs must be a whole number >= 1, got 0"),
    ({"max_resource": 9, "sampler": 3}, r"sha: sampler must be a strategy name"),
    ({"max_resource": 9, "sampler": "sha"}, r"sha: sampler='sha' is itself a budgeted strategy"),
    ({"max_resource": 9, "min_results": 0}, r"min_results must be a whole number >= 1"),
])
def test_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        make("sha", **options)


def test_unknown_options_and_samplers():
    with pytest.raises(TypeError, match=r"asha got unknown option\(s\) 'eta'; known: min_resource"):
        make("asha", max_resource=9, eta=3)
    with pytest.raises(TypeError, match="hyperband got unknown option 'n_configs'"):
        make("hyperband", max_resource=9, n_configs=5)
    with pytest.raises(plugins.PluginError, match="unknown strategy 'gp_ei'; did you mean 'gp-ei'"):
        make("asha", max_resource=9, sampler="gp_ei")
    with pytest.raises(ValueError, match="max_resource is missing"):
        make("asha")


# ------------------------------------------------------------------ sha and hyperband
def run_sync(strategy, rounds, fail=lambda config: False):
    """Ask everything there is, tell it all, again; ``[(budget, [configs])]`` per round."""
    out = []
    for _ in range(rounds):
        jobs = strategy.ask(1000)
        assert jobs and strategy.ask(5) == []  # the rung waits for its trials
        steps = {job.max_step for job in jobs}
        assert len(steps) == 1
        out.append((steps.pop(), jobs))
        for job in jobs:
            strategy.tell(job, None if fail(job) else loss(job, job.max_step))
    return out


def test_sha_rungs_promote_the_best_third():
    sha = make("sha", max_resource=81)
    rounds = run_sync(sha, 6)
    assert [(b, len(jobs)) for b, jobs in rounds] == [(1, 81), (3, 27), (9, 9), (27, 3), (None, 1), (1, 81)]
    for (_, lower), (_, upper) in zip(rounds[:4], rounds[1:5]):
        best = sorted(lower, key=lambda c: c["x"])[:len(upper)]
        assert [dict(c) for c in upper] == [dict(c) for c in best]
    assert all(isinstance(c, Suggestion) for _, jobs in rounds for c in jobs)
    # the next bracket draws new configurations
    assert not {c["x"] for c in rounds[5][1]} & {c["x"] for c in rounds[0][1]}


def test_sha_asks_in_pieces_and_counts_failures_as_worst():
    sha = make("sha", max_resource=9, n_configs=6)
    first = sha.ask(4) + sha.ask(4)
    assert len(first) == 6 and sha.ask(1) == []
    best = min(first, key=lambda c: c["x"])
    for job in first:  # all but the best fail: it goes up alone with the first failure (ties by order)
        sha.tell(job, loss(job, 1) if job is best else None)
    second = sha.ask(10)
    assert [job.max_step for job in second] == [3, 3] and dict(second[0]) == dict(best)
    sha.tell(second[0], 0.5)
    assert sha.ask(3) == []  # one still out
    sha.tell(second[1], 0.1)
    top = sha.ask(3)
    assert len(top) == 1 and top[0].max_step is None and dict(top[0]) == dict(second[1])


def test_sha_ignores_results_it_did_not_ask_for():
    sha = make("sha", max_resource=3, n_configs=3)
    jobs = sha.ask(3)
    sha.tell(Suggestion({"x": 0.5, "y": 0.5}, max_step=1), 0.0)  # e.g. a resumed study's trial
    sha.tell(dict(jobs[0]), 0.0)  # not the same job: no max_step
    assert sha.ask(1) == []
    for job in jobs:
        sha.tell(job, loss(job, 1))
    assert len(sha.ask(3)) == 1
    assert len(sha.results[1]) == 4 and len(sha.results[3]) == 1  # all recorded for the sampler


def test_hyperband_cycles_through_the_brackets():
    hb = make("hyperband", max_resource=81)
    rounds = run_sync(hb, 5 + 4 + 3 + 2 + 1 + 1)
    shape = [(b, len(jobs)) for b, jobs in rounds]
    assert shape == [(1, 81), (3, 27), (9, 9), (27, 3), (None, 1),
                     (3, 34), (9, 11), (27, 3), (None, 1),
                     (9, 15), (27, 5), (None, 1),
                     (27, 8), (None, 2),
                     (None, 5),
                     (1, 81)]
    assert hb.brackets_started == 6


# ------------------------------------------------------------------ asha
def test_asha_never_waits():
    asha = make("asha", max_resource=27)
    for i in range(50):
        jobs = asha.ask(2)
        assert len(jobs) == 2 and all(job.max_step is None for job in jobs)
        if i % 2:
            asha.tell(jobs[0], loss(jobs[0]))
    assert len(asha.seen) == 100


def test_asha_stops_all_but_the_best_third_at_each_rung():
    asha = make("asha", max_resource=9)  # rungs at 1 and 3; 9 is the full run
    assert not asha.prune(0, 1, 0.5)   # one recorded: too few to stop (floor(1/3) = 0)
    assert not asha.prune(1, 1, 0.9)   # two
    assert asha.prune(2, 1, 0.7)       # three: keep the best 1 (0.5)
    assert not asha.prune(3, 1, 0.1)   # the new best
    assert asha.prune(2, 2, 0.0)       # stopped stays stopped
    assert not asha.prune(0, 2, 0.4)   # between rungs: nothing decided
    assert not asha.prune(0, 3, 0.4)   # rung 3: first one there
    assert not asha.prune(0, 9, 0.3)   # the top is a full run: never stopped there
    assert asha.recorded[0] == {0: 0.5, 1: 0.9, 2: 0.7, 3: 0.1} and asha.recorded[1] == {0: 0.4}
    assert asha.prune(4, 1, float("nan"))  # 5 recorded, keep 1: NaN is the worst


def test_asha_records_every_rung_a_report_jumps_past():
    asha = make("asha", max_resource=27, min_resource=1)
    for number, value in enumerate([0.1, 0.2, 0.3]):
        asha.prune(number, 1, value)
    assert not asha.prune(0, 20, 0.05)  # past rungs 3 and 9 at once: recorded at both
    assert asha.recorded[1] == {0: 0.05} and asha.recorded[2] == {0: 0.05}


def test_asha_links_rung_losses_to_configurations_for_the_sampler():
    asha = make("asha", max_resource=9)
    jobs = asha.ask(4)
    for number, job in enumerate(jobs):  # no `started`: found by their last loss
        value = job["x"]
        stopped = asha.prune(number, 1, value)
        if not stopped:
            asha.prune(number, 3, value / 2)
            asha.prune(number, 9, value / 4)
        asha.tell(job, value if stopped else value / 4)
    assert len(asha.results[1]) == 4
    survivors = len(asha.results[3])
    assert 1 <= survivors < 4 and len(asha.results[9]) == survivors
    linked = make("asha", max_resource=9)
    job = linked.ask(1)[0]
    linked.started(7, job)
    linked.prune(7, 1, 0.3)
    assert linked.results[1] == [(dict(job), 0.3)]  # known at once


# ------------------------------------------------------------------ with a pruner too, and on resume
def test_sha_ranks_a_trial_a_pruner_stopped_below_its_rung_last_and_records_it_nowhere():
    sha = make("sha", max_resource=9, n_configs=6)  # rungs of 6 at 1, 2 at 3, 1 at 9
    bottom = sha.ask(6)
    for number, job in enumerate(bottom):
        sha.started(number, job)
        sha.prune(number, 1, job["x"])
        sha.tell(job, job["x"])
    early, full = sha.ask(2)
    assert early.max_step == full.max_step == 3
    sha.started(6, early)
    sha.started(7, full)
    sha.prune(6, 1, 0.0)  # a pruner stops trial 6 at step 1, below its rung's budget (3)...
    sha.prune(7, 1, 0.6)
    sha.prune(7, 3, 0.5)
    sha.tell(early, 0.0)  # ...so its best-looking loss is from step 1
    sha.tell(full, 0.5)
    assert sha.results[3] == [(dict(full), 0.5)]
    assert [dict(job) for job in sha.ask(2)] == [dict(full)]  # promoted: the one that ran its rung
    sha.tell(early, 0.0)  # the loop's copy of that result (a repeated proposal, a twin): no trial of ours
    assert sha.results[3] == [(dict(full), 0.5)]


class StopTrialZeroAt(object):
    """A pruner that stops trial 0 at ``step`` (between asha's rungs 9 and 27) and nothing else."""

    def __init__(self, step):
        self.step = step

    def prune(self, number, step, loss):
        return number == 0 and step >= self.step


def test_asha_with_a_pruner_records_a_stopped_trial_only_at_the_rungs_it_reached():
    from spacedsl.running.loop import run_trials
    from spacedsl.running.minimize import Objective
    from spacedsl.running.workers import Workers

    asha = make("asha", max_resource=27)
    run = run_trials(asha, Objective(train), 3, workers=Workers(1), pruner=StopTrialZeroAt(10))
    first = run.trials[0]
    assert (first.state, first.step) == ("pruned", 10)
    assert first.value not in [loss for _, loss in asha.results[27]]  # its step-10 loss is no full run
    assert len(asha.results[27]) == sum(t.state == "complete" for t in run.trials)
    assert dict(first.params) in [c for c, _ in asha.results[9]]  # rung 9, which it passed, has it
    asha.tell(Suggestion(first.params, None), first.value)  # the loop's copy of it, for a repeat
    assert first.value not in [loss for _, loss in asha.results[27]]


def replay(strategy, trials):
    """What the loop does for a resumed study's finished trials, in trial-number order."""
    for number, (config, reports, value) in enumerate(trials):
        job = Suggestion(config, None)
        strategy.started(number, job)
        for step, loss in reports:
            strategy.prune(number, step, loss)
        strategy.tell(job, value)


def test_asha_replays_a_resumed_study_by_the_steps_the_trials_reached():
    """Replayed in number order, the rungs decide otherwise than live: trial 0 was stopped at rung
    3 live (trials 1 and 2 had got there first) and would pass now; trial 2 passed every rung live
    (it was first at each) and would be stopped at rung 1 now. Each is recorded where it got."""
    x = [{"x": v, "y": 0.5} for v in (0.1, 0.2, 0.9)]
    asha = make("asha", max_resource=9)  # rungs at 1 and 3
    replay(asha, [(x[0], [(1, 0.1), (3, 0.9)], 0.9),
                  (x[1], [(1, 0.2), (3, 0.1), (9, 0.05)], 0.05),
                  (x[2], [(1, 0.95), (3, 0.3), (9, 0.2)], 0.2)])
    assert sorted(asha.results[9], key=lambda r: r[1]) == [(x[1], 0.05), (x[2], 0.2)]  # not trial 0's 0.9
    assert asha.recorded[1] == {0: 0.9, 1: 0.1, 2: 0.3}  # trial 2's rung-3 loss too


# ------------------------------------------------------------------ the sampler
def test_gp_ei_sampler_models_the_largest_budget_with_enough_results():
    cheap = {"n_candidates": 256, "n_local": 64, "n_starts": 1}
    sha = make("sha", max_resource=9, sampler="gp-ei", min_results=5, sampler_options=cheap)
    assert sha.adaptive
    rounds = run_sync(sha, 3)  # 9 at 1, 3 at 3, 1 at 9
    assert sha.sampler.model_budget is None  # the first rung was drawn before any result
    jobs = sha.ask(9)
    assert len(jobs) == 9 and sha.sampler.model_budget == 1  # 9 results at 1 (3 at budget 3: too few)
    for job in jobs:
        SPACE.validate(dict(job))
    assert not {c["x"] for c in jobs} & {c["x"] for _, r in rounds for c in r}
    # the model was fitted on the good region: small x (loss is x)
    assert sorted(c["x"] for c in jobs)[4] < 0.5


def test_sampler_waits_for_enough_results_and_takes_the_top_budget():
    asha = make("asha", max_resource=3, sampler="gp-ei", min_results=3)
    assert asha.sampler.budget({1: [({"x": 0.1, "y": 0}, 1.0)] * 5, 3: [({"x": 0.1, "y": 0}, 1.0)] * 2}) == 1
    assert asha.sampler.budget({1: [({}, None)] * 5}) is None  # failures do not count
    assert asha.sampler.budget({1: [({}, 1.0)] * 5, 3: [({}, 1.0)] * 3}) == 3
    asha.ask(1)
    assert asha.sampler.model_budget is None  # nothing told yet: drawn at random


def test_defaults_first_and_non_adaptive_samplers():
    space = spacedsl.parse("x ~ uniform(0, 1) = 0.25\ny ~ uniform(0, 1)")
    for name in ("sha", "hyperband", "asha"):
        s = plugins.strategy(name)(space, seed=1, max_resource=9, sampler="sobol")
        jobs = s.ask(3)
        assert jobs[0]["x"] == 0.25 and not s.adaptive
        assert len({(c["x"], c["y"]) for c in jobs}) == 3


# ------------------------------------------------------------------ end to end, through minimize
def train(config, report):
    """27 epochs; the loss falls with the epochs and is best at x = 0.3 (picklable, for workers)."""
    value = None
    for epoch in range(1, 28):
        value = (config["x"] - 0.3) ** 2 + 1.0 / epoch
        if report(epoch, value):
            break
    return value


def states(result):
    import collections
    return collections.Counter((t.state, t.max_step, t.step) for t in result.trials)


def test_minimize_sha_runs_one_bracket_and_keeps_the_best():
    result = spacedsl.minimize(train, SPACE, strategy="sha", strategy_options={"max_resource": 27}, n_trials=40)
    assert states(result) == {("pruned", 1, 1): 27, ("pruned", 3, 3): 9, ("pruned", 9, 9): 3,
                              ("complete", None, 27): 1}
    first_rung = [t for t in result.trials if t.max_step == 1]
    assert result.best_params == min(first_rung, key=lambda t: t.value).params
    assert result.best_value == pytest.approx((result.best_params["x"] - 0.3) ** 2 + 1 / 27)


def test_minimize_hyperband_cycles_its_brackets(tmp_path):
    result = spacedsl.minimize(train, SPACE, strategy="hyperband", strategy_options={"max_resource": 27},
                               n_trials=69, storage=tmp_path / "s.db")
    counts = states(result)
    assert counts[("complete", None, 27)] == 1 + 1 + 2 + 4
    assert counts[("pruned", 1, 1)] == 27 and counts[("pruned", 3, 3)] == 9 + 12 and counts[("pruned", 9, 9)] == 3 + 4 + 6
    assert abs(result.best_params["x"] - 0.3) < 0.1
    resumed = spacedsl.minimize(train, SPACE, strategy="hyperband", strategy_options={"max_resource": 27},
                                n_trials=80, storage=tmp_path / "s.db")
    assert len(resumed.trials) == 80 and [t.params for t in resumed.trials[:69]] == [t.params for t in result.trials]


def test_minimize_asha_with_two_workers():
    result = spacedsl.minimize(train, SPACE, strategy="asha", strategy_options={"max_resource": 27},
                               n_trials=12, n_jobs=2, seed=1)
    pruned = [t for t in result.trials if t.state == "pruned"]
    assert len(result.trials) == 12 and pruned and len(pruned) < 12
    assert all(t.max_step is None and t.step in (1, 3, 9) for t in pruned)
    complete = [t for t in result.trials if t.state == "complete"]
    assert complete and all(t.step == 27 for t in complete)
    assert result.best_value == min(t.value for t in complete)


def test_minimize_asha_and_hyperband_with_the_gp_sampler():
    cheap = {"n_candidates": 128, "n_local": 32, "n_starts": 1}
    for name, n in (("asha", 14), ("hyperband", 13)):
        result = spacedsl.minimize(train, SPACE, strategy=name, n_trials=n, seed=0,
                                   strategy_options={"max_resource": 9, "sampler": "gp-ei", "sampler_options": cheap})
        assert len(result.trials) == n and any(t.state == "pruned" for t in result.trials)
        assert abs(result.best_params["x"] - 0.3) < 0.15


def test_minimize_with_a_pruner_on_any_strategy():
    for prune in ("median", "percentile:25", spacedsl.Median(min_trials=2, warmup_steps=5)):
        result = spacedsl.minimize(train, SPACE, strategy="random", n_trials=20, prune=prune, seed=0)
        pruned = [t for t in result.trials if t.state == "pruned"]
        assert pruned and all(t.value is not None and t.step < 27 for t in pruned)
        if not isinstance(prune, str):
            assert all(t.step >= 5 for t in pruned)
    with pytest.raises(ValueError, match="unknown pruner 'mean'"):
        spacedsl.minimize(train, SPACE, strategy="random", n_trials=2, prune="mean")


def test_minimize_without_max_resource_says_so():
    with pytest.raises(ValueError, match=r"asha: max_resource is missing"):
        spacedsl.minimize(train, SPACE, strategy="asha", n_trials=2)


def test_budget_options_fill_what_the_user_left_out():
    from spacedsl.strategies import budget_options
    sha, random = plugins.strategy("sha"), plugins.strategy("random")
    assert budget_options(sha, None, (10, 270, 3)) == {"min_resource": 10, "max_resource": 270, "factor": 3}
    assert budget_options(sha, {"max_resource": 90, "n_configs": 9}, (10, 270, 3)) == {
        "min_resource": 10, "max_resource": 90, "factor": 3, "n_configs": 9}
    assert budget_options(sha, {"factor": 2}, None) == {"factor": 2}  # no resource: nothing to fill
    assert budget_options(random, None, (10, 270, 3)) == {}  # not budgeted: left alone



def flat(config, report):
    """Every trial reports the same losses: only the loop's `started` tells them apart (when they
    run at once: one at a time, asha finds a trial by its last loss)."""
    for step in range(1, 10):
        time.sleep(0.002)
        if report(step, 1.0):
            break
    return 1.0


def test_the_loop_links_trial_numbers_to_configurations_for_asha(tmp_path):
    from spacedsl.running.loop import run_trials
    from spacedsl.running.minimize import Objective
    from spacedsl.running.workers import Workers
    from spacedsl.storage import open_storage, open_study
    from spacedsl.strategies import config_key

    spacedsl.minimize(flat, SPACE, strategy="asha", strategy_options={"max_resource": 9}, n_trials=6,
                      storage=tmp_path / "s.db")
    with open_storage(tmp_path / "s.db") as store:
        open_study(store, "default", SPACE, "asha")
        asha = make("asha", max_resource=9)
        with cf.ThreadPoolExecutor(3) as pool:
            run = run_trials(asha, Objective(flat), 12, workers=Workers(1, pool), store=store, study="default")
    assert len(run.trials) == 12 and sorted(asha.configs) == list(range(12))  # 6 resumed, 6 new
    assert len(asha.results[1]) == 12  # every trial's rung-1 loss reached the sampler, with its config
    assert {config_key(c) for c, _ in asha.results[1]} == {config_key(t.params) for t in run.trials}


def test_sha_alone_leaves_its_top_rung_unwatched_and_a_pruner_watches_it():
    seen = []

    def loss(config, report):
        seen.append((report.max_step, report.watched))
        return config["x"]

    spacedsl.minimize(loss, "x ~ uniform(0, 1)", strategy="sha", n_trials=13,
                      strategy_options={"max_resource": 9, "factor": 3, "n_configs": 9}, seed=0)
    assert {(m, w) for m, w in seen} == {(1, True), (3, True), (None, False)}  # its prune only takes notes
    seen.clear()
    spacedsl.minimize(loss, "x ~ uniform(0, 1)", strategy="sha", n_trials=13, prune="median",
                      strategy_options={"max_resource": 9, "factor": 3, "n_configs": 9}, seed=0)
    assert {w for _, w in seen} == {True}
