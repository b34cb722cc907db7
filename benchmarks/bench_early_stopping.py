"""Stopping bad trials early: asha and hyperband against full-budget random, HalvingRandomSearchCV and Optuna.

Issue 12, "How fast". Three tasks where the budget matters, on generated data of 20,000 rows:

1. ``hgb-max_iter``: ``HistGradientBoostingClassifier`` (``early_stopping=False``), resource
   ``max_iter`` from 3 to 81 boosting rounds (``warm_start`` continues a longer run);
2. ``mlp-max_iter``: ``MLPClassifier`` on ``make_hastie_10_2``, resource ``max_iter`` from 1 to 27
   epochs (its own convergence stop switched off, so ``max_iter`` is what it runs);
3. ``rf-n_samples``: ``RandomForestClassifier`` (10 trees), resource ``n_samples``: trained on
   1/27 of the training rows up to all of them.

Every method gets the same data and the same number of configurations, 27 (one successive-halving
bracket of factor 3 over a resource range of 27x: HalvingRandomSearchCV's ``n_candidates``, Optuna's
``n_trials``, spacedsl's ``n_trials`` for ``asha``, which stops trials in place, and ``random``),
except ``hyperband``: it gets one full pass over its four brackets, 49 configurations in 69 trials
(a promoted configuration is a new trial, run from scratch at its rung's budget). Its first bracket
alone is the very schedule of HalvingRandomSearchCV (27, 9, 3, 1), and its later, less aggressive
brackets are where ``sampler="gp-ei"`` has results to model. Per seed, 20 % is held out as the test set
(``train_test_split(stratify=y, random_state=seed)``); every method validates on the same holdout
split of the rest (spacedsl's ``holdout`` evaluator: 20 %, stratified, ``random_state=seed``), which
HalvingRandomSearchCV gets as ``cv=[(train, validation)]`` and Optuna as the split it fits and scores
on. Each method's best configuration is refit on all the non-test rows at the full budget and scored
once on the test set. Wall time is the tuning plus that refit, one process, one BLAS thread.

Methods: spacedsl ``asha`` and ``hyperband``, each with the random sampler and with
``sampler="gp-ei"``; spacedsl ``random`` at the full budget (no resource); scikit-learn's
``HalvingRandomSearchCV`` (same resource, ``min_resources``, ``max_resources``, ``factor=3``, the
space as ``spacedsl.convert(space, "sklearn", kind="distributions")``); Optuna's ``TPESampler`` with
its ``HyperbandPruner`` (define-by-run through ``spacedsl.integrations.optuna.suggest``, reporting
the validation score at each budget of the same schedule, continuing with ``warm_start``); and
spacedsl ``asha`` with ``n_jobs=2`` (for the trials-per-second ratio).

Ratios (medians over seeds):

* speed-up to the same test score: the wall time full-budget random needed until its incumbent
  (best validation score so far) had a test score at least the method's, over the method's wall
  time. Random's time to its k-th trial comes from ``callback`` timestamps, plus the refit of that
  incumbent; when none of its 27 trials gets there, the ratio is a lower bound (">").
* against HalvingRandomSearchCV: test score at or above its score, in at most its wall time.
* asha ``n_jobs=2`` against ``n_jobs=1``: trials (pruned ones included) per second, over the whole
  search (with the start-up of spacedsl's loky pool for the run's first such search; later ones
  reuse it) and while running (from the first trial's end to the last's).

    python benchmarks/bench_early_stopping.py                  # 5 seeds (the README table)
    python benchmarks/bench_early_stopping.py --quick          # 1 seed, tiny data (the smoke test)
    python benchmarks/bench_early_stopping.py --tasks hgb-max_iter --methods asha,halving --seeds 2

Peers: ``pip install -r benchmarks/requirements-early-stopping.txt`` (Optuna; scikit-learn is ours).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import make_classification, make_hastie_10_2  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402,F401
from sklearn.model_selection import HalvingRandomSearchCV, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

import spacedsl  # noqa: E402
from spacedsl.evaluators import holdout_split  # noqa: E402

warnings.filterwarnings("ignore")  # ConvergenceWarning from short MLP runs, HalvingRandomSearchCV's notes

FACTOR = 3
SCORING = "accuracy"
GOAL_SPEEDUP = 3.0
GOAL_JOBS = 1.8

HGB_SPACE = """\
learning_rate ~ loguniform(0.01, 1.0)
max_leaf_nodes in 4..32
min_samples_leaf in 5..100
l2_regularization ~ loguniform(0.0001, 10.0)
max_features ~ uniform(0.3, 1.0)
"""

MLP_SPACE = """\
hidden_layer_sizes in [8, 16, 32, 64]
activation in ["relu", "tanh"]
alpha ~ loguniform(0.000001, 0.1)
learning_rate_init ~ loguniform(0.0001, 0.1)
"""

RF_SPACE = """\
max_depth in 4..24
min_samples_leaf in 1..20
max_features ~ uniform(0.05, 0.3)
criterion in ["gini", "entropy"]
"""


def _hgb_data(n):
    return make_classification(n_samples=n, n_features=20, n_informative=10, n_redundant=4, flip_y=0.05,
                               class_sep=0.8, random_state=0)


def _mlp_data(n):
    return make_hastie_10_2(n_samples=n, random_state=0)


def _rf_data(n):
    return make_classification(n_samples=n, n_features=20, n_informative=8, flip_y=0.03, random_state=1)


def make_tasks(quick=False):
    """The tasks; ``quick``: tiny data and budgets (seconds for everything), for the smoke test."""
    n = 1500 if quick else 20000
    hgb_max, mlp_max = (9, 9) if quick else (81, 27)
    return {
        "hgb-max_iter": dict(
            estimator=HistGradientBoostingClassifier(max_iter=hgb_max, early_stopping=False, random_state=0),
            data=lambda: _hgb_data(n), space=HGB_SPACE, resource="max_iter", grow="total",
            max_resource=hgb_max),
        "mlp-max_iter": dict(
            # n_iter_no_change above any budget: it runs max_iter epochs, so max_iter is the resource.
            estimator=MLPClassifier(max_iter=mlp_max, batch_size=256, n_iter_no_change=10**6, random_state=0),
            data=lambda: _mlp_data(n), space=MLP_SPACE, resource="max_iter", grow="more",
            max_resource=mlp_max),
        "rf-n_samples": dict(
            estimator=RandomForestClassifier(n_estimators=10, random_state=0, n_jobs=1),
            data=lambda: _rf_data(n), space=RF_SPACE, resource="n_samples", grow="subsample",
            max_resource=None),  # every training row of the validation split
    }


class Problem:
    """One task and seed: the test split, the validation split, the resource schedule.

    Attributes:
        X, y: The non-test rows (what every method tunes on and refits on).
        X_test, y_test: The held-out test set.
        train, valid: Index arrays into ``X`` of the holdout validation split.
        min_resource, max_resource: The schedule's ends, in the resource's units.
        budgets: ``min_resource * 3**k`` up to ``max_resource``.
    """

    def __init__(self, name, task, seed, n_configs):
        self.name, self.task, self.seed, self.n_configs = name, task, seed, n_configs
        self.estimator = task["estimator"]
        self.space = spacedsl.parse(task["space"])
        X, y = task["data"]()
        self.X, self.X_test, self.y, self.y_test = train_test_split(X, y, test_size=0.2, random_state=seed,
                                                                    stratify=y)
        self.train, self.valid = holdout_split(self.estimator, self.X, self.y, None, 0.2, seed)
        rungs = round(math.log(n_configs, FACTOR))
        self.max_resource = task["max_resource"] or len(self.train)
        self.min_resource = max(1, self.max_resource // FACTOR**rungs)
        self.budgets = [self.min_resource * FACTOR**k for k in range(rungs)] + [self.max_resource]
        self.order = np.random.RandomState(seed).permutation(self.train)  # nested subsets for n_samples

    def score(self, est, X, y):
        return float(sklearn.metrics.get_scorer(SCORING)(est, X, y))

    def refit_test(self, params):
        """Fit ``params`` on every non-test row at the full budget: (test score, seconds)."""
        t0 = time.perf_counter()
        est = clone(self.estimator).set_params(**params).fit(self.X, self.y)
        seconds = time.perf_counter() - t0
        return self.score(est, self.X_test, self.y_test), seconds

    def grow(self, params):
        """Fit ``params`` on the training split budget after budget; yields (budget, validation score)."""
        X_va, y_va = self.X[self.valid], self.y[self.valid]
        grow = self.task["grow"]
        est = clone(self.estimator).set_params(**params)
        if grow != "subsample":
            est.set_params(warm_start=True)
        done = 0
        for budget in self.budgets:
            if grow == "subsample":
                rows = self.order[:budget]
                est = clone(est).fit(self.X[rows], self.y[rows])
            else:
                # HistGradientBoosting's max_iter is the total; MLP's warm start runs max_iter more epochs.
                est.set_params(max_iter=budget if grow == "total" else budget - done)
                est.fit(self.X[self.train], self.y[self.train])
            done = budget
            yield budget, self.score(est, X_va, y_va)


def _key(params):
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


# --------------------------------------------------------------------------- contenders
# Each returns a record: best validation score, test score, configurations, trials (fits started),
# and for spacedsl the trials with their finish times (for random's time-to-target walk).

def hyperband_iteration(levels):
    """Trials and configurations of one pass over Hyperband's brackets s = levels..0 (Li et al. 2018):
    bracket s starts ``ceil((levels + 1) / (s + 1) * FACTOR**s)`` configurations and keeps
    ``floor(n / FACTOR**i)`` at rung i; each rung is a trial of its own."""
    trials = configs = 0
    for s in range(levels, -1, -1):
        n = -(-(levels + 1) * FACTOR**s // (s + 1))
        configs += n
        trials += sum(max(1, n // FACTOR**i) for i in range(s + 1))
    return trials, configs


def run_spacedsl(strategy, sampler=None, n_jobs=1, full_budget=False):
    def run(problem):
        n_trials = problem.n_configs
        if strategy == "hyperband":  # one full pass over its brackets (see the module docstring)
            n_trials = hyperband_iteration(len(problem.budgets) - 1)[0]
        options = {"sampler": sampler} if sampler else {}
        evaluator_options = {"validation_fraction": 0.2}
        if not full_budget:
            evaluator_options.update(resource=problem.task["resource"], min_resource=problem.min_resource,
                                     max_resource=problem.max_resource, factor=FACTOR)
        finished = []
        t0 = time.perf_counter()
        result = spacedsl.search(problem.estimator, problem.space, problem.X, problem.y, strategy=strategy,
                                 strategy_options=options, evaluator="holdout", evaluator_options=evaluator_options,
                                 n_trials=n_trials, scoring=SCORING, seed=problem.seed, n_jobs=n_jobs,
                                 callback=lambda trial: finished.append((time.perf_counter() - t0, trial)))
        seconds = time.perf_counter() - t0
        times = sorted(t for t, _ in finished)
        search_seconds = times[-1] if times else seconds
        # From the first trial's end to the last's: the rate once the workers run (pool start-up out).
        steady = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else None
        states = [t.state for t in result.trials]
        return {"best": float(result.best_score),
                "test": problem.score(result.best_estimator, problem.X_test, problem.y_test),
                "seconds": seconds, "search_seconds": search_seconds, "steady_rate": steady,
                "configs": len({_key(t.params) for t in result.trials}), "trials": len(result.trials),
                "pruned": states.count("pruned"),
                "timeline": [(t, trial.value, trial.params) for t, trial in sorted(finished, key=lambda f: f[0])]}
    return run


def run_halving(problem):
    dists = spacedsl.convert(problem.space, "sklearn", kind="distributions")
    resource = problem.task["resource"]
    if resource == "n_samples":
        # HalvingRandomSearchCV counts n_samples in rows of the X it gets (train + validation) and
        # subsamples both sides of each split by the same fraction: the fractions match our schedule.
        n = len(problem.X)
        min_resources, max_resources = n // FACTOR ** (len(problem.budgets) - 1), n
    else:
        min_resources, max_resources = problem.min_resource, problem.max_resource
    t0 = time.perf_counter()
    search = HalvingRandomSearchCV(clone(problem.estimator), dists, n_candidates=problem.n_configs, factor=FACTOR,
                                   resource=resource, min_resources=min_resources, max_resources=max_resources,
                                   cv=[(problem.train, problem.valid)], scoring=SCORING, refit=True,
                                   random_state=problem.seed, n_jobs=1)
    search.fit(problem.X, problem.y)
    seconds = time.perf_counter() - t0
    params = search.cv_results_["params"]  # one a fit, with the resource's value among them
    configs = {_key({k: v for k, v in p.items() if k != resource}) for p in params}
    return {"best": float(search.best_score_), "test": problem.score(search, problem.X_test, problem.y_test),
            "seconds": seconds, "configs": len(configs), "trials": len(params),
            "pruned": None}


def run_optuna(problem):
    import optuna

    from spacedsl.integrations.optuna import suggest

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fits = [0]

    def objective(trial):
        config = suggest(trial, problem.space)
        score = None
        for budget, score in problem.grow(config):
            fits[0] += 1
            trial.report(score, budget)
            if budget < problem.max_resource and trial.should_prune():
                raise optuna.TrialPruned()
        return score

    t0 = time.perf_counter()
    pruner = optuna.pruners.HyperbandPruner(min_resource=problem.min_resource, max_resource=problem.max_resource,
                                            reduction_factor=FACTOR)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=problem.seed),
                                pruner=pruner)
    study.optimize(objective, n_trials=problem.n_configs)
    best = suggest(optuna.trial.FixedTrial(study.best_params), problem.space)
    est = clone(problem.estimator).set_params(**best).fit(problem.X, problem.y)
    seconds = time.perf_counter() - t0
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    return {"best": float(study.best_value), "test": problem.score(est, problem.X_test, problem.y_test),
            "seconds": seconds, "configs": len(study.trials), "trials": len(study.trials), "pruned": pruned}


METHODS = {
    "asha": ("spacedsl asha", run_spacedsl("asha")),
    "asha-gp": ("spacedsl asha, gp-ei", run_spacedsl("asha", sampler="gp-ei")),
    "hyperband": ("spacedsl hyperband", run_spacedsl("hyperband")),
    "hyperband-gp": ("spacedsl hyperband, gp-ei", run_spacedsl("hyperband", sampler="gp-ei")),
    "random": ("spacedsl random, full budget", run_spacedsl("random", full_budget=True)),
    "halving": ("HalvingRandomSearchCV", run_halving),
    "optuna": ("Optuna TPE + HyperbandPruner", run_optuna),
    "asha-2jobs": ("spacedsl asha, n_jobs=2", run_spacedsl("asha", n_jobs=2)),
}
EARLY = ("asha", "asha-gp", "hyperband", "hyperband-gp", "asha-2jobs")  # spacedsl methods with a resource


def random_time_to(problem, record, target, cache):
    """Seconds full-budget random needed until its incumbent scored ``target`` or more on the test
    set (finish time of that trial plus the incumbent's refit), or None if it never did."""
    best = -math.inf
    for t, value, params in record["timeline"]:
        if value is None or value <= best:
            continue
        best = value
        key = _key(params)
        if key not in cache:
            cache[key] = problem.refit_test(params)
        test, refit_seconds = cache[key]
        if test >= target:
            return t + refit_seconds
    return None


def same_split_check(problem, record):
    """Does spacedsl's ``holdout`` validate on the peers' split? Random's first trial, scored by hand
    on ``problem.train`` / ``problem.valid``: (spacedsl's value, ours)."""
    _, value, params = min(record["timeline"], key=lambda t: t[0])
    est = clone(problem.estimator).set_params(**params).fit(problem.X[problem.train], problem.y[problem.train])
    return value, problem.score(est, problem.X[problem.valid], problem.y[problem.valid])


# --------------------------------------------------------------------------- driver

def versions():
    out = {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__}
    try:
        import optuna
        out["optuna"] = optuna.__version__
    except ImportError:
        out["optuna"] = "not installed"
    out["cpu_count"] = os.cpu_count()
    return out


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(x, spec=".4f"):
    return "-" if x is None else format(x, spec)


def run_all(args):
    tasks = make_tasks(args.quick)
    if args.tasks:
        unknown = set(args.tasks) - set(tasks)
        if unknown:
            raise SystemExit(f"unknown task(s) {sorted(unknown)}; choose from {sorted(tasks)}")
        tasks = {k: v for k, v in tasks.items() if k in args.tasks}
    methods = list(METHODS) if not args.methods else args.methods
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise SystemExit(f"unknown method(s) {sorted(unknown)}; choose from {sorted(METHODS)}")
    raw, checks = {}, {}
    for tname in tasks:
        raw[tname] = {m: [] for m in methods}
        if args.quick and tname != next(iter(tasks)):
            raw[tname].pop("asha-2jobs", None)  # --quick: the pool's start-up once, on the first task only
    # Seed by seed, every task in each: a run cut short still has whole seeds of every task.
    for seed in range(args.seeds):
        for tname, task in tasks.items():
            problem = Problem(tname, task, seed, args.configs)
            for m in raw[tname]:
                label, run = METHODS[m]
                try:
                    rec = run(problem)
                    rec["error"] = None
                except Exception as exc:  # noqa: BLE001 -- a failing contender must not kill the run
                    traceback.print_exc(limit=4, file=sys.stderr)
                    rec = {"error": f"{type(exc).__name__}: {exc}"}
                raw[tname][m].append(rec)
                status = rec["error"] or (f"best {rec['best']:.4f} test {rec['test']:.4f} "
                                          f"{rec['configs']} configs {rec['trials']} trials")
                print(f"[{tname} seed {seed}] {label:<30} {rec.get('seconds', 0):6.1f}s  {status}",
                      file=sys.stderr, flush=True)
            # Full-budget random's time to each early-stopping method's test score, this seed.
            rnd = raw[tname].get("random", [None])[-1]
            if seed == 0 and rnd and rnd["error"] is None:
                checks[tname] = same_split_check(problem, rnd)
            cache = {}
            for m in raw[tname]:
                rec = raw[tname][m][-1]
                if m in EARLY and rec["error"] is None and rnd and rnd["error"] is None:
                    reach = random_time_to(problem, rnd, rec["test"], cache)
                    rec["random_reach"] = reach
                    rec["speedup"] = (reach if reach is not None else rnd["seconds"]) / rec["seconds"]
                    rec["speedup_bound"] = reach is None
            if args.json:  # what is done so far, should a long run be cut short
                with open(args.json + ".partial", "w") as fh:
                    json.dump({"args": vars(args), "raw": _jsonable(raw), "same_split": checks}, fh, default=str)
    return tasks, methods, raw, checks


def _jsonable(raw):
    return {t: {m: [{k: v for k, v in r.items() if k != "timeline"} for r in recs] for m, recs in per.items()}
            for t, per in raw.items()}


def summarize(tasks, methods, raw, args):
    out, lines = {}, []
    for tname, per in raw.items():
        problem = Problem(tname, tasks[tname], 0, args.configs)
        unit = "rows" if tasks[tname]["resource"] == "n_samples" else "iterations"
        lines.append(f"### {tname}: resource {tasks[tname]['resource']} {problem.min_resource}..{problem.max_resource} "
                     f"{unit}, factor {FACTOR}, {args.configs} configurations; medians over "
                     f"{max(len(recs) for recs in per.values())} seed(s)")
        lines.append("")
        lines.append("| method | configurations / trials (pruned) | best validation score | test score | wall s "
                     "| full-budget random's time to that test score / this |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        out[tname] = {}
        for m in per:
            recs = per[m]
            ok = [r for r in recs if r["error"] is None]
            row = {"errors": [r["error"] for r in recs if r["error"]]}
            if ok:
                row.update(best=med(r["best"] for r in ok), test=med(r["test"] for r in ok),
                           seconds=med(r["seconds"] for r in ok), configs=med(r["configs"] for r in ok),
                           trials=med(r["trials"] for r in ok), pruned=med(r["pruned"] for r in ok),
                           speedup=med(r.get("speedup") for r in ok),
                           speedup_bounds=sum(bool(r.get("speedup_bound")) for r in ok),
                           trials_per_s=med(r["trials"] / r["search_seconds"] for r in ok if "search_seconds" in r),
                           steady_rate=med(r.get("steady_rate") for r in ok))
            out[tname][m] = row
            label = METHODS[m][0]
            if not ok:
                lines.append(f"| {label} | error: {row['errors'][0][:80]} | | | | |")
                continue
            counts = f"{row['configs']:g} / {row['trials']:g}" + ("" if row["pruned"] is None else f" ({row['pruned']:g})")
            speed = "-"
            if row["speedup"] is not None:
                speed = f"{row['speedup']:.2f}x"
                if row["speedup_bounds"]:
                    speed += f" ({row['speedup_bounds']} of {len(ok)} seeds: random never got there, a lower bound)"
            lines.append(f"| {label} | {counts} | {fmt(row['best'])} | {fmt(row['test'])} | {fmt(row['seconds'], '.1f')} "
                         f"| {speed} |")
        lines.append("")
    return out, lines


def goals(out, methods, args):
    lines = ["### Goals (medians over seeds)", "",
             f"| task | method | speed-up to full-budget random's same test score (>= {GOAL_SPEEDUP:g}x) "
             "| test score vs HalvingRandomSearchCV | wall s vs HalvingRandomSearchCV | at or above it in at most its time |",
             "|---|---|---:|---:|---:|:---:|"]
    verdicts = {}
    for tname, rows in out.items():
        halving = rows.get("halving", {})
        for m in rows:
            if m not in EARLY or m == "asha-2jobs" or "test" not in rows[m]:
                continue
            row = rows[m]
            v = {"speedup": row["speedup"], "speedup_met": None if row["speedup"] is None else row["speedup"] >= GOAL_SPEEDUP}
            if "test" in halving:
                v["vs_halving"] = row["test"] >= halving["test"] and row["seconds"] <= halving["seconds"]
            else:
                v["vs_halving"] = None
            verdicts[(tname, m)] = v
            yn = {True: "yes", False: "**no**", None: "-"}
            sp = "-" if row["speedup"] is None else f"{row['speedup']:.2f}x {yn[v['speedup_met']]}"
            ht = "-" if "test" not in halving else f"{row['test']:.4f} vs {halving['test']:.4f}"
            hs = "-" if "test" not in halving else f"{row['seconds']:.1f} vs {halving['seconds']:.1f}"
            lines.append(f"| {tname} | {METHODS[m][0]} | {sp} | {ht} | {hs} | {yn[v['vs_halving']]} |")
    lines.append("")
    if "asha" in methods and "asha-2jobs" in methods:
        lines += [f"asha trials per second, pruned trials included (goal: n_jobs=2 >= {GOAL_JOBS:g}x n_jobs=1). "
                  "Whole search: trials over the time from the call to the last trial's end, the pool's start-up "
                  "included (spacedsl's loky pool is started by the run's first n_jobs=2 search and kept for the "
                  "later ones, as in any process); running: trials after the first over the "
                  "time from the first trial's end to the last's.", "",
                  "| task | n_jobs=1 whole / running | n_jobs=2 whole / running | ratio whole | ratio running | met? |",
                  "|---|---:|---:|---:|---:|:---:|"]
        for tname, rows in out.items():
            one, two = rows["asha"], rows.get("asha-2jobs", {})
            if one.get("trials_per_s") and two.get("trials_per_s") and one.get("steady_rate") and two.get("steady_rate"):
                whole = two["trials_per_s"] / one["trials_per_s"]
                running = two["steady_rate"] / one["steady_rate"]
                met = {(True, True): "yes", (False, True): "running only", (True, False): "whole only"}.get(
                    (whole >= GOAL_JOBS, running >= GOAL_JOBS), "**no**")
                lines.append(f"| {tname} | {one['trials_per_s']:.2f} / {one['steady_rate']:.2f} "
                             f"| {two['trials_per_s']:.2f} / {two['steady_rate']:.2f} | {whole:.2f}x | {running:.2f}x | {met} |")
                verdicts[(tname, "jobs")] = {"whole": whole, "running": running}
        lines.append("")
    return verdicts, lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--configs", type=int, default=27, help="configurations per method (a power of 3)")
    p.add_argument("--quick", action="store_true", help="1 seed, 9 configurations, 1,500 rows")
    p.add_argument("--tasks", type=lambda s: s.split(","), help="comma-separated subset of the tasks")
    p.add_argument("--methods", type=lambda s: s.split(","), help=f"comma-separated subset of {', '.join(METHODS)}")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--tables-from", metavar="FILE",
                   help="print the tables of a run's --json file (or its .partial) instead of running")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.configs = 1, 9
    t_start, load = time.perf_counter(), os.getloadavg()
    if args.tables_from:
        with open(args.tables_from) as fh:
            saved = json.load(fh)
        raw = saved.get("raw", saved)  # a .partial holds the raw records only
        for key in ("quick", "seeds", "configs"):
            setattr(args, key, saved.get("args", {}).get(key, getattr(args, key)))
        checks = {t: tuple(c) for t, c in saved.get("same_split", {}).items()}
        tasks = {t: task for t, task in make_tasks(args.quick).items() if t in raw}
        methods = [m for m in METHODS if any(m in per for per in raw.values())]
    else:
        tasks, methods, raw, checks = run_all(args)
    out, lines = summarize(tasks, methods, raw, args)
    verdicts, goal_lines = goals(out, methods, args)
    vers = versions()
    text = "\n".join(
        [f"## Stopping bad trials early: {args.seeds} seed(s) x {args.configs} configurations, holdout validation", "",
         "Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()), ""]
        + lines + goal_lines
        + ["Same-split check (random's first trial: spacedsl's holdout score, the peers' split by hand): "
           + (", ".join(f"{t} {'identical' if a == b else f'DIFFERENT {a} vs {b}'}" for t, (a, b) in checks.items())
              or "not run"), ""]
        + [f"Whole run {time.perf_counter() - t_start:.0f} s; load average before {load[0]:.2f}, "
           f"after {os.getloadavg()[0]:.2f}.", ""])
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "versions": vers, "summary": out, "raw": _jsonable(raw), "same_split": checks,
                       "goals": {f"{t} {m}": v for (t, m), v in verdicts.items()}}, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
