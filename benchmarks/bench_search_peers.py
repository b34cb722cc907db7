"""Same-budget comparison of ``spacedsl.search`` with other tuners (issue 4, "How good and how fast", item 2).

Contenders, each given the same number of trials, the same training data and the same CV splitter
(``StratifiedKFold(5, shuffle=True, random_state=seed)`` for classifiers, ``KFold`` for regressors,
which is what spacedsl's ``kfold`` evaluator uses):

* ``spacedsl gp-ei`` and ``spacedsl random``: ``spacedsl.search(..., evaluator="kfold")``;
* scikit-learn ``RandomizedSearchCV`` with the equivalent scipy distributions;
* scikit-optimize ``BayesSearchCV`` (``n_points=1``);
* Optuna: a plain study with ``TPESampler(seed=seed)``, objective = mean ``cross_val_score``.

On the conditional task, Optuna (define-by-run) and ``RandomizedSearchCV`` (a list of dicts) get the
conditional space; ``BayesSearchCV``, which cannot condition one dimension on another, gets the flat
version (every parameter always present; the SVC ignores the inactive ones).

Also reported: each method's mean rank over seeds (paired per seed, 1 = best), which uses every
seed where a median over seeds can hinge on one.

Tasks:

1. ``svc-conditional``: ``StandardScaler + SVC`` on breast_cancer; kernel in linear/rbf/poly, C,
   gamma only for rbf/poly, degree only for poly (accuracy).
2. ``tree-6params``: ``DecisionTreeClassifier`` on wine; max_depth, min_samples_split,
   min_samples_leaf, max_features, criterion, ccp_alpha (accuracy).
3. ``elasticnet-reg``: ``ElasticNet`` on diabetes; alpha, l1_ratio (neg_mean_squared_error).

Per seed the data are split with ``train_test_split(test_size=0.25, random_state=seed,
stratify=y for classifiers)``; each method tunes on the training part, its best configuration is
refit on the training part and scored once on the test part. Reported per task and method: the
median over seeds of the best-so-far CV score at 10/20/30 trials, the median test score, and the
total wall time. A contender that raises is reported as "error" and the run goes on.

Run:  python benchmarks/bench_search_peers.py [--seeds 5] [--trials 30] [--quick] [--json FILE]
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.stats as st  # noqa: E402
import sklearn  # noqa: E402
from sklearn.base import clone, is_classifier  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine  # noqa: E402
from sklearn.linear_model import ElasticNet  # noqa: E402
from sklearn.metrics import get_scorer  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

import spacedsl  # noqa: E402

warnings.filterwarnings("ignore")  # ConvergenceWarning from ElasticNet/SVC, skopt "point evaluated before"

CHECKPOINTS = (10, 20, 30)
TOL = 1e-9  # median CV scores closer than this are a tie


# --------------------------------------------------------------------------- tasks
# Each task: estimator, data loader, scoring, the spacedsl space text, and the same space for
# every peer (scipy distributions, skopt dimensions, an Optuna suggest function).

def _svc_optuna(trial):
    # Optuna is define-by-run, so it gets the conditional space itself: gamma only for rbf/poly,
    # degree only for poly (as in the spacedsl space).
    kernel = trial.suggest_categorical("svc__kernel", ["linear", "rbf", "poly"])
    params = {"svc__kernel": kernel, "svc__C": trial.suggest_float("svc__C", 1e-2, 1e2, log=True)}
    if kernel in ("rbf", "poly"):
        params["svc__gamma"] = trial.suggest_float("svc__gamma", 1e-4, 1.0, log=True)
    if kernel == "poly":
        params["svc__degree"] = trial.suggest_int("svc__degree", 2, 4)
    return params


def _tree_optuna(trial):
    return {"max_depth": trial.suggest_int("max_depth", 1, 20),
            "min_samples_split": trial.suggest_int("min_samples_split", 2, 20),
            "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 10),
            "max_features": trial.suggest_float("max_features", 0.1, 1.0),
            "criterion": trial.suggest_categorical("criterion", ["gini", "entropy", "log_loss"]),
            "ccp_alpha": trial.suggest_float("ccp_alpha", 0.0, 0.1)}


def _enet_optuna(trial):
    return {"alpha": trial.suggest_float("alpha", 1e-4, 10.0, log=True),
            "l1_ratio": trial.suggest_float("l1_ratio", 0.0, 1.0)}


def make_tasks():
    from skopt.space import Categorical, Integer, Real

    return {
        "svc-conditional": dict(
            estimator=Pipeline([("scale", StandardScaler()), ("svc", SVC())]),
            load=lambda: load_breast_cancer(return_X_y=True),
            scoring="accuracy",
            space="""
svc__kernel in ["linear", "rbf", "poly"]
svc__C ~ loguniform(0.01, 100)
if svc__kernel in ["rbf", "poly"] {
    svc__gamma ~ loguniform(0.0001, 1)
}
if svc__kernel == "poly" {
    svc__degree in 2..4
}
""",
            # RandomizedSearchCV expresses the condition as a list of dicts: it picks one dict
            # uniformly (so the kernel is uniform, as in the space), then samples that dict.
            scipy=[{"svc__kernel": ["linear"], "svc__C": st.loguniform(1e-2, 1e2)},
                   {"svc__kernel": ["rbf"], "svc__C": st.loguniform(1e-2, 1e2),
                    "svc__gamma": st.loguniform(1e-4, 1.0)},
                   {"svc__kernel": ["poly"], "svc__C": st.loguniform(1e-2, 1e2),
                    "svc__gamma": st.loguniform(1e-4, 1.0), "svc__degree": st.randint(2, 5)}],
            # skopt's BayesSearchCV cannot condition one dimension on another (a list of subspaces
            # splits the budget in fixed shares instead), so it gets the flat space; SVC ignores
            # gamma for "linear" and degree for anything but "poly".
            skopt={"svc__kernel": Categorical(["linear", "rbf", "poly"]),
                   "svc__C": Real(1e-2, 1e2, prior="log-uniform"),
                   "svc__gamma": Real(1e-4, 1.0, prior="log-uniform"), "svc__degree": Integer(2, 4)},
            optuna=_svc_optuna,
        ),
        "tree-6params": dict(
            estimator=DecisionTreeClassifier(random_state=0),
            load=lambda: load_wine(return_X_y=True),
            scoring="accuracy",
            space="""
max_depth in 1..20
min_samples_split in 2..20
min_samples_leaf in 1..10
max_features ~ uniform(0.1, 1.0)
criterion in ["gini", "entropy", "log_loss"]
ccp_alpha ~ uniform(0.0, 0.1)
""",
            scipy={"max_depth": st.randint(1, 21), "min_samples_split": st.randint(2, 21),
                   "min_samples_leaf": st.randint(1, 11), "max_features": st.uniform(0.1, 0.9),
                   "criterion": ["gini", "entropy", "log_loss"], "ccp_alpha": st.uniform(0.0, 0.1)},
            skopt={"max_depth": Integer(1, 20), "min_samples_split": Integer(2, 20),
                   "min_samples_leaf": Integer(1, 10), "max_features": Real(0.1, 1.0),
                   "criterion": Categorical(["gini", "entropy", "log_loss"]), "ccp_alpha": Real(0.0, 0.1)},
            optuna=_tree_optuna,
        ),
        "elasticnet-reg": dict(
            estimator=ElasticNet(max_iter=5000),
            load=lambda: load_diabetes(return_X_y=True),
            scoring="neg_mean_squared_error",
            space="""
alpha ~ loguniform(0.0001, 10)
l1_ratio ~ uniform(0.0, 1.0)
""",
            scipy={"alpha": st.loguniform(1e-4, 10.0), "l1_ratio": st.uniform(0.0, 1.0)},
            skopt={"alpha": Real(1e-4, 10.0, prior="log-uniform"), "l1_ratio": Real(0.0, 1.0)},
            optuna=_enet_optuna,
        ),
    }


def splitter(estimator, seed):
    cls = StratifiedKFold if is_classifier(estimator) else KFold
    return cls(5, shuffle=True, random_state=seed)


def check_same_splits(task, X_tr, y_tr, seed):
    """Does spacedsl's ``kfold`` score a configuration exactly as ``cross_val_score`` does with the
    peers' splitter? Scores spacedsl's first random configuration both ways (a fairness check)."""
    result = spacedsl.search(task["estimator"], task["space"], X_tr, y_tr, strategy="random",
                             evaluator="kfold", n_trials=1, scoring=task["scoring"], seed=seed, n_jobs=1)
    trial = result.trials[0]
    est = clone(task["estimator"]).set_params(**trial.params)
    theirs = float(np.mean(cross_val_score(est, X_tr, y_tr, cv=splitter(task["estimator"], seed),
                                           scoring=task["scoring"], n_jobs=1)))
    return trial.value, theirs


# --------------------------------------------------------------------------- contenders
# Each returns (list of per-trial CV scores in order, NaN for a failure; test score of the refit best).

def run_spacedsl(strategy):
    def run(task, X_tr, y_tr, X_te, y_te, n_trials, seed):
        result = spacedsl.search(task["estimator"], task["space"], X_tr, y_tr, strategy=strategy,
                                 evaluator="kfold", n_trials=n_trials, scoring=task["scoring"],
                                 seed=seed, n_jobs=1)
        scores = [np.nan if t.value is None else t.value for t in result.trials]
        # best_estimator is already refit on all the data search() saw, i.e. the training part.
        return scores, get_scorer(task["scoring"])(result.best_estimator, X_te, y_te)
    return run


def _cv_scores_in_order(search):
    return [float(v) for v in search.cv_results_["mean_test_score"]]


def run_randomized(task, X_tr, y_tr, X_te, y_te, n_trials, seed):
    search = RandomizedSearchCV(clone(task["estimator"]), task["scipy"], n_iter=n_trials,
                                scoring=task["scoring"], cv=splitter(task["estimator"], seed),
                                random_state=seed, n_jobs=1, refit=True)
    search.fit(X_tr, y_tr)
    return _cv_scores_in_order(search), search.score(X_te, y_te)


def run_bayessearch(task, X_tr, y_tr, X_te, y_te, n_trials, seed):
    from skopt import BayesSearchCV

    search = BayesSearchCV(clone(task["estimator"]), task["skopt"], n_iter=n_trials, n_points=1,
                           scoring=task["scoring"], cv=splitter(task["estimator"], seed),
                           random_state=seed, n_jobs=1, refit=True)
    search.fit(X_tr, y_tr)
    return _cv_scores_in_order(search), search.score(X_te, y_te)


def run_optuna(task, X_tr, y_tr, X_te, y_te, n_trials, seed):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    cv = splitter(task["estimator"], seed)

    def objective(trial):
        est = clone(task["estimator"]).set_params(**task["optuna"](trial))
        return float(np.mean(cross_val_score(est, X_tr, y_tr, cv=cv, scoring=task["scoring"], n_jobs=1)))

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=n_trials, catch=(Exception,))
    scores = [np.nan if t.value is None else t.value for t in study.trials]
    best = clone(task["estimator"]).set_params(**task["optuna"](optuna.trial.FixedTrial(study.best_params)))
    best.fit(X_tr, y_tr)
    return scores, get_scorer(task["scoring"])(best, X_te, y_te)


METHODS = {
    "spacedsl gp-ei": run_spacedsl("gp-ei"),
    "spacedsl random": run_spacedsl("random"),
    "RandomizedSearchCV": run_randomized,
    "BayesSearchCV": run_bayessearch,
    "Optuna TPE": run_optuna,
}


# --------------------------------------------------------------------------- driver

def best_so_far(scores):
    arr = np.array([(-np.inf if (s is None or np.isnan(s)) else s) for s in scores], dtype=float)
    return np.maximum.accumulate(arr)


def mean_ranks(per_method, n):
    """Each method's rank (1 = best, ties share the average rank) by best CV score after ``n`` trials,
    among the methods that ran, per seed, averaged over seeds. The median over seeds compares one
    seed's numbers when seeds differ more than methods do (diabetes: seeds differ by ~150 MSE,
    methods by ~1); the paired rank uses every seed."""
    ok = [m for m, recs in per_method.items() if all(r["error"] is None for r in recs)]
    if not ok:
        return {}
    n_seeds = len(per_method[ok[0]])
    totals = dict.fromkeys(ok, 0.0)
    for i in range(n_seeds):
        best = np.array([best_so_far(per_method[m][i]["scores"])[min(n, len(per_method[m][i]["scores"])) - 1]
                         for m in ok])
        best = np.round(best, 9)  # same predictions, different float rounding: a tie
        for m, r in zip(ok, st.rankdata(-best, method="average")):
            totals[m] += r
    return {m: totals[m] / n_seeds for m in ok}


def versions():
    out = {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__}
    for name in ("spacedsl", "optuna", "skopt", "scipy"):
        try:
            out[name] = __import__(name).__version__
        except Exception:  # noqa: BLE001 -- a missing peer is reported, not fatal
            out[name] = "not installed"
    out["cpu_count"] = os.cpu_count()
    return out


def fmt(x, reg):
    if x is None:
        return "error"
    return f"{x:.2f}" if reg else f"{x:.4f}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--trials", type=int, default=30)
    p.add_argument("--quick", action="store_true", help="2 seeds x 10 trials")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--tasks", nargs="*", help="subset of task names")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.trials = 2, 10
    checkpoints = [c for c in CHECKPOINTS if c <= args.trials] or [args.trials]
    if args.trials not in checkpoints:
        checkpoints.append(args.trials)

    tasks = make_tasks()
    if args.tasks:
        tasks = {k: v for k, v in tasks.items() if k in args.tasks}
    vers = versions()
    raw = {}  # task -> method -> list of per-seed records
    split_checks = {}  # task -> spacedsl kfold score vs cross_val_score with the peers' splitter
    t_start = time.perf_counter()
    for tname, task in tasks.items():
        X, y = task["load"]()
        clf = is_classifier(task["estimator"])
        raw[tname] = {m: [] for m in METHODS}
        for seed in range(args.seeds):
            X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=seed,
                                                      stratify=y if clf else None)
            if seed == 0:
                try:
                    ours, theirs = check_same_splits(task, X_tr, y_tr, seed)
                    split_checks[tname] = {"spacedsl": ours, "cross_val_score": theirs, "same": ours == theirs}
                except Exception as exc:  # noqa: BLE001
                    split_checks[tname] = {"error": f"{type(exc).__name__}: {exc}", "same": False}
                print(f"[{tname}] same-splits check: {split_checks[tname]}", file=sys.stderr, flush=True)
            for mname, run in METHODS.items():
                t0 = time.perf_counter()
                try:
                    scores, test = run(task, X_tr, y_tr, X_te, y_te, args.trials, seed)
                    rec = {"scores": [float(s) for s in scores], "test": float(test), "error": None}
                except Exception as exc:  # noqa: BLE001 -- a failing contender must not kill the run
                    rec = {"scores": None, "test": None, "error": f"{type(exc).__name__}: {exc}"}
                    traceback.print_exc(limit=3, file=sys.stderr)
                rec["seconds"] = time.perf_counter() - t0
                raw[tname][mname].append(rec)
                status = "error" if rec["error"] else f"best {max(rec['scores']):.4f} test {rec['test']:.4f}"
                print(f"[{tname} seed {seed}] {mname:<18} {rec['seconds']:6.1f}s  {status}", file=sys.stderr,
                      flush=True)

    summary = {}
    goals = {}
    lines = [f"## Same-budget comparison: {args.seeds} seeds x {args.trials} trials, 5-fold CV, n_jobs=1", ""]
    lines.append("Versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    lines.append("")
    for tname, per_method in raw.items():
        reg = not is_classifier(tasks[tname]["estimator"])
        summary[tname] = {}
        lines.append(f"### {tname} (scoring: {tasks[tname]['scoring']}; medians over seeds)")
        lines.append("")
        head = ("| method | " + " | ".join(f"best CV @{c}" for c in checkpoints)
                + f" | mean rank @{checkpoints[-1]} | test | wall s (total) |")
        lines.append(head)
        lines.append("|" + "---|" * (len(checkpoints) + 4))
        ranks = mean_ranks(per_method, checkpoints[-1])
        for mname, recs in per_method.items():
            row = {"errors": [r["error"] for r in recs if r["error"]],
                   "seconds": sum(r["seconds"] for r in recs)}
            if row["errors"]:
                row.update({f"cv@{c}": None for c in checkpoints}, test=None)
            else:
                curves = [best_so_far(r["scores"]) for r in recs]
                for c in checkpoints:
                    row[f"cv@{c}"] = float(statistics.median(cv[min(c, len(cv)) - 1] for cv in curves))
                row["test"] = float(statistics.median(r["test"] for r in recs))
            row["mean_rank"] = ranks.get(mname)
            summary[tname][mname] = row
            rank_cell = "error" if row["mean_rank"] is None else f"{row['mean_rank']:.1f}"
            cells = [fmt(row[f"cv@{c}"], reg) for c in checkpoints] + [rank_cell, fmt(row["test"], reg)]
            lines.append(f"| {mname} | " + " | ".join(cells) + f" | {row['seconds']:.1f} |")
        lines.append("")
        # The goal: gp-ei at or above every peer at the last checkpoint, above RandomizedSearchCV.
        # Scores within TOL are equal: the same fold predictions can average to values that differ
        # in the last bits, and a peer must not "win" on rounding.
        last = f"cv@{checkpoints[-1]}"
        ours = summary[tname]["spacedsl gp-ei"][last]
        peers = {m: r[last] for m, r in summary[tname].items() if not m.startswith("spacedsl")}
        if ours is None:
            verdict = {"every_peer": None, "behind": None, "above_randomized": None}
        else:
            behind = {m: v - ours for m, v in peers.items() if v is not None and v > ours + TOL}
            rs = peers.get("RandomizedSearchCV")
            verdict = {"every_peer": not behind, "behind": behind,
                       "above_randomized": None if rs is None else ours > rs + TOL}
        goals[tname] = verdict
        if ours is not None:
            behind_txt = ", ".join(f"{m} (by {d:.3g})" for m, d in verdict["behind"].items())
            lines.append(f"gp-ei @{checkpoints[-1]}: "
                         f"{'at or above every peer' if verdict['every_peer'] else 'behind ' + behind_txt}; "
                         f"{'above' if verdict['above_randomized'] else 'NOT above'} RandomizedSearchCV.")
            lines.append("")
    lines.append(f"### Issue 4 goal at {checkpoints[-1]} trials (median best CV; ties within {TOL:g} count as equal)")
    lines.append("")
    lines.append("| task | gp-ei >= every peer | gp-ei > RandomizedSearchCV | behind |")
    lines.append("|---|---|---|---|")
    yn = {True: "yes", False: "**no**", None: "error"}
    for tname, v in goals.items():
        behind_txt = "error" if v["behind"] is None else (
            ", ".join(f"{m} by {d:.3g}" for m, d in v["behind"].items()) or "-")
        errored = [m for m, r in summary[tname].items() if r["errors"]]
        if errored:
            behind_txt += f" (errored, not compared: {', '.join(errored)})"
        lines.append(f"| {tname} | {yn[v['every_peer']]} | {yn[v['above_randomized']]} | {behind_txt} |")
    lines.append("")
    lines.append("Total wall time per method (all tasks and seeds, n_jobs=1, tuning + refit + test): "
                 + ", ".join(f"{m} {sum(sum(r['seconds'] for r in raw[t][m]) for t in raw):.1f} s" for m in METHODS)
                 + f"; whole run {time.perf_counter() - t_start:.0f} s.")
    lines.append("")
    lines.append("Same-splits check (spacedsl kfold vs cross_val_score with the peers' splitter, seed 0): "
                 + ", ".join(f"{t} {'identical' if c.get('same') else 'DIFFERENT ' + str(c)}"
                             for t, c in split_checks.items()))
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"args": vars(args), "versions": vers, "summary": summary, "goals": goals,
                       "split_checks": split_checks, "raw": raw}, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
