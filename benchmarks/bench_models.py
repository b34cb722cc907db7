"""Choosing the model: gp-ei, random, Optuna TPE and GridSearchCV on a 3-model conditional space.

Three tasks (breast_cancer and digits classification, a generated regression), each a pipeline
``StandardScaler -> clf`` whose ``clf`` is one of three estimators with its own parameters (the
space below, with named objects). Every contender scores a configuration with the same function:
the mean of ``cross_val_score`` over the same shuffled 3-fold splits of the training part (75 %);
the best configuration of each run is refit on the training part and scored once on the held-out
25 % (the test score). Optuna TPE gets the same conditional space as its own define-by-run
objective; GridSearchCV gets ``space.grid(resolution=3)`` (the integer ranges cut to three values
each) as a list of one-candidate dicts: the equivalent grid, 21 configurations.

Then the time per ask on the conditional space: spacedsl gp-ei against Optuna's GPSampler (which
needs torch: ``pip install -r benchmarks/requirements-strategies.txt``), both asked 40 times on a
cheap deterministic loss over the same space, timing only the strategy.

    python benchmarks/bench_models.py                 # 5 seeds, 50 trials (the README table)
    python benchmarks/bench_models.py --seeds 2 --trials 20 --tasks breast_cancer

Everything runs on one core (n_jobs=1, one BLAS thread) with small estimators.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_digits, make_regression  # noqa: E402
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import check_scoring  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC, SVR  # noqa: E402

import spacedsl  # noqa: E402
from spacedsl import plugins  # noqa: E402

CLASSIFY = """\
clf in [@svc, @forest, @logistic]
if clf == @svc {
    svc.clf__C ~ loguniform(0.01, 1000.0)
    clf__gamma ~ loguniform(0.0001, 1.0)
}
if clf == @forest {
    clf__n_estimators in 10..60
    clf__max_depth in 2..16
}
if clf == @logistic {
    logistic.clf__C ~ loguniform(0.0001, 100.0)
}
"""

REGRESS = """\
clf in [@svr, @forest, @ridge]
if clf == @svr {
    clf__C ~ loguniform(0.01, 1000.0)
    clf__gamma ~ loguniform(0.0001, 1.0)
    clf__epsilon ~ loguniform(0.001, 1.0)
}
if clf == @forest {
    clf__n_estimators in 10..60
    clf__max_depth in 2..16
}
if clf == @ridge {
    clf__alpha ~ loguniform(0.0001, 1000.0)
}
"""


def _digits():
    X, y = load_digits(return_X_y=True)
    return X[:600], y[:600]


def _regression():
    X, y = make_regression(n_samples=300, n_features=12, n_informative=6, noise=10.0, random_state=0)
    return X, np.sin(X[:, 0]) * 30 + y  # a little non-linearity, so the three models differ


TASKS = {
    "breast_cancer": dict(data=lambda: load_breast_cancer(return_X_y=True), space=CLASSIFY, scoring="accuracy",
                          objects=lambda seed: {"svc": SVC(), "forest": RandomForestClassifier(random_state=seed),
                                                "logistic": LogisticRegression(max_iter=2000)}),
    "digits": dict(data=_digits, space=CLASSIFY, scoring="accuracy",
                   objects=lambda seed: {"svc": SVC(), "forest": RandomForestClassifier(random_state=seed),
                                         "logistic": LogisticRegression(max_iter=2000)}),
    "regression": dict(data=_regression, space=REGRESS, scoring="r2",
                       objects=lambda seed: {"svr": SVR(), "forest": RandomForestRegressor(random_state=seed),
                                             "ridge": Ridge()}),
}


def _pipe():
    return Pipeline([("scale", StandardScaler()), ("clf", Ridge())])


def _params(config):
    """set_params arguments: the objects (already put in by minimize) under their estimator keys."""
    return {key.rpartition(".")[2]: value for key, value in config.items()}


class Problem:
    """One task and seed: the train/test split, the CV splits and the scoring every contender shares."""

    def __init__(self, name, seed):
        task = TASKS[name]
        X, y = task["data"]()
        classify = task["scoring"] == "accuracy"
        self.X, self.X_test, self.y, self.y_test = train_test_split(
            X, y, test_size=0.25, random_state=seed, stratify=y if classify else None)
        self.cv = (StratifiedKFold if classify else KFold)(3, shuffle=True, random_state=seed)
        self.scoring, self.seed = task["scoring"], seed
        self.space = spacedsl.parse(task["space"])
        self.objects = task["objects"](seed)

    def cv_score(self, params):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = clone(_pipe()).set_params(**params)
            return float(np.mean(cross_val_score(est, self.X, self.y, cv=self.cv, scoring=self.scoring)))

    def test_score(self, params):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = clone(_pipe()).set_params(**params).fit(self.X, self.y)
            return float(check_scoring(est, scoring=self.scoring)(est, self.X_test, self.y_test))


# ------------------------------------------------------------------ contenders
def run_spacedsl(problem, strategy, n_trials):
    result = spacedsl.minimize(lambda c: -problem.cv_score(_params(c)), problem.space, strategy=strategy,
                               n_trials=n_trials, seed=problem.seed, objects=problem.objects)
    best = {k: (problem.objects[v.name] if isinstance(v, spacedsl.Ref) else v) for k, v in result.best_params.items()}
    return -result.best_value, problem.test_score(_params(best)), n_trials


def _optuna_objective(problem, task):
    """Optuna's own define-by-run version of the same conditional space."""
    regress = task == "regression"

    def params_of(trial):
        kind = trial.suggest_categorical("clf", ["svr", "forest", "ridge"] if regress else
                                         ["svc", "forest", "logistic"])
        p = {"clf": problem.objects[kind]}
        if kind in ("svc", "svr"):
            p["clf__C"] = trial.suggest_float(f"{kind}_C", 1e-2, 1e3, log=True)
            p["clf__gamma"] = trial.suggest_float("gamma", 1e-4, 1.0, log=True)
            if regress:
                p["clf__epsilon"] = trial.suggest_float("epsilon", 1e-3, 1.0, log=True)
        elif kind == "forest":
            p["clf__n_estimators"] = trial.suggest_int("n_estimators", 10, 60)
            p["clf__max_depth"] = trial.suggest_int("max_depth", 2, 16)
        elif kind == "logistic":
            p["clf__C"] = trial.suggest_float("logistic_C", 1e-4, 1e2, log=True)
        else:
            p["clf__alpha"] = trial.suggest_float("alpha", 1e-4, 1e3, log=True)
        return p

    return params_of


def run_tpe(problem, task, n_trials):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    params_of = _optuna_objective(problem, task)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=problem.seed))
    study.optimize(lambda trial: problem.cv_score(params_of(trial)), n_trials=n_trials)
    best = params_of(optuna.trial.FixedTrial(study.best_params))
    return study.best_value, problem.test_score(best), n_trials


def _coarse(space_text):
    """The grid's version of a space: the integer ranges at three points (distributions get
    ``resolution`` points from `Space.grid`, but finite ranges are enumerated whole)."""
    return (space_text.replace("clf__n_estimators in 10..60", "clf__n_estimators in [10, 35, 60]")
            .replace("clf__max_depth in 2..16", "clf__max_depth in [2, 9, 16]"))


def run_grid(problem, resolution=3):
    space = spacedsl.parse(_coarse(spacedsl.dumps(problem.space)))
    grid = [{k: [v] for k, v in _params({k: (problem.objects[v.name] if isinstance(v, spacedsl.Ref) else v)
                                          for k, v in c.items()}).items()}
            for c in space.grid(resolution=resolution)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(_pipe(), grid, cv=problem.cv, scoring=problem.scoring, n_jobs=1, refit=False)
        search.fit(problem.X, problem.y)
    best = {k: v[0] if isinstance(v, list) else v for k, v in grid[search.best_index_].items()}
    return float(search.best_score_), problem.test_score(best), len(grid)


# ----------------------------------------------------------------- time per ask
def _cheap_loss(config):
    """A deterministic loss over the conditional space (no fitting): the strategy's time only."""
    kind = str(config["clf"])
    total = {"@svc": 0.0, "@forest": 0.3, "@logistic": 0.6, "svc": 0.0, "forest": 0.3, "logistic": 0.6}[kind]
    for key, value in config.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total += (np.log10(value) - 1.0) ** 2 / 10 if value > 0 else 0.0
    return total


def time_gp_ei(n_asks, seed):
    space = spacedsl.parse(CLASSIFY)
    strategy = plugins.strategy("gp-ei")(space, seed=seed)
    times = []
    for _ in range(n_asks):
        start = time.perf_counter()
        (config,) = strategy.ask(1)
        times.append(time.perf_counter() - start)
        strategy.tell(config, _cheap_loss(config))
    return times


def time_gpsampler(n_asks, seed):
    """GPSampler on the same space flattened (every parameter suggested in every trial): on the
    conditional define-by-run version it models only ``clf`` and draws the rest at random."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
        times = []
        for _ in range(n_asks):
            start = time.perf_counter()
            trial = study.ask()
            config = {"clf": trial.suggest_categorical("clf", ["svc", "forest", "logistic"]),
                      "svc.clf__C": trial.suggest_float("svc.clf__C", 1e-2, 1e3, log=True),
                      "clf__gamma": trial.suggest_float("clf__gamma", 1e-4, 1.0, log=True),
                      "clf__n_estimators": trial.suggest_int("clf__n_estimators", 10, 60),
                      "clf__max_depth": trial.suggest_int("clf__max_depth", 2, 16),
                      "logistic.clf__C": trial.suggest_float("logistic.clf__C", 1e-4, 1e2, log=True)}
            times.append(time.perf_counter() - start)  # the sampler works inside suggest_* calls
            study.tell(trial, _cheap_loss(config))
    return times


# ------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--asks", type=int, default=40, help="asks timed for gp-ei and GPSampler")
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tasks = [t for t in args.tasks.split(",") if t]
    contenders = ["gp-ei", "random", "optuna-tpe", "gridsearchcv"]
    rows = {}
    for task in tasks:
        for seed in range(args.seeds):
            problem = Problem(task, seed)
            for name in contenders:
                t0 = time.perf_counter()
                if name in ("gp-ei", "random"):
                    out = run_spacedsl(problem, name, args.trials)
                elif name == "optuna-tpe":
                    out = run_tpe(problem, task, args.trials)
                else:
                    out = run_grid(problem)
                rows.setdefault((task, name), []).append(out + (time.perf_counter() - t0,))
                print(f"{task} seed {seed} {name}: cv {out[0]:.4f} test {out[1]:.4f} ({out[2]} trials, "
                      f"{time.perf_counter() - t0:.1f} s)", flush=True)
    print()
    print(f"Median over {args.seeds} seeds of the best CV score after {args.trials} trials / its test score "
          "(GridSearchCV: its whole grid)")
    print()
    print("| task | " + " | ".join(contenders) + " |")
    print("|---|" + "---:|" * len(contenders))
    for task in tasks:
        cells = []
        for name in contenders:
            r = rows[(task, name)]
            cv = statistics.median(x[0] for x in r)
            test = statistics.median(x[1] for x in r)
            extra = f" ({r[0][2]} configs)" if name == "gridsearchcv" else ""
            cells.append(f"{cv:.4f} / {test:.4f}{extra}")
        print(f"| {task} | " + " | ".join(cells) + " |")
    print()
    print("| task | " + " | ".join(f"{n} s/run" for n in contenders) + " |")
    print("|---|" + "---:|" * len(contenders))
    for task in tasks:
        print(f"| {task} | " + " | ".join(f"{statistics.median(x[3] for x in rows[(task, n)]):.1f}"
                                           for n in contenders) + " |")
    if not args.no_timing:
        print()
        ours = time_gp_ei(args.asks, 0)
        line = f"time per ask on the conditional space ({args.asks} asks, median of the last 10): gp-ei " \
               f"{statistics.median(ours[-10:]) * 1e3:.1f} ms (all: {statistics.median(ours) * 1e3:.1f} ms)"
        try:
            theirs = time_gpsampler(args.asks, 0)
            line += f"; Optuna GPSampler {statistics.median(theirs[-10:]) * 1e3:.1f} ms " \
                    f"(all: {statistics.median(theirs) * 1e3:.1f} ms); ratio " \
                    f"{statistics.median(ours[-10:]) / statistics.median(theirs[-10:]):.2f}"
        except ImportError as exc:
            line += f"; Optuna GPSampler not run ({exc}; pip install -r benchmarks/requirements-strategies.txt)"
        print(line)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
