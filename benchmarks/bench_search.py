"""Benchmark of spacedsl's search against scikit-learn's GridSearchCV (issue 4, item 1).

Run from the repository root:

    python benchmarks/bench_search.py             # 3 paired repeats at n_jobs=1 and n_jobs=2
    python benchmarks/bench_search.py --quick     # 1 repeat
    python benchmarks/bench_search.py --repeats 5 --jobs 1 2 4

The task is the seed's grid on a random forest: ``n_estimators in [10, 50,
100, 200]``, ``max_depth in [3, 10, 20, 40]`` (16 configurations),
``RandomForestClassifier(random_state=0)``, 5-fold cross-validation, digits
(1,797 samples, 64 features); every search refits the best configuration on
all the data, as ``GridSearchCV(refit=True)`` does.

Two pairs are measured in the same run, at each ``n_jobs``:

* **A.** ``SpaceSearchCV(strategy="grid", cv=5)`` against
  ``GridSearchCV(cv=5)``: same (unshuffled, stratified) folds.
* **B.** ``spacedsl.search(strategy="grid", evaluator="kfold", seed=0)``
  against ``GridSearchCV(cv=StratifiedKFold(5, shuffle=True, random_state=0))``,
  the splitter our ``kfold`` evaluator uses.

For each pair the script checks that every configuration gets the same
per-fold scores on both sides (it stops with an error otherwise), then reports
the median wall time of each side and the median of the per-repeat ratios
ours / theirs. Within a repeat the two sides run back to back, in alternating
order, so load from other processes hits both alike. Goal: ratio <= 1.05.

Timing: wall clock (``time.perf_counter``) of the whole ``fit`` / ``search``
call, refit included; every side runs once on a tiny task before timing
(Lark's parser tables, lazy imports, joblib's worker pool).
At ``n_jobs=1`` the CPU time of the process (``time.process_time``) is
reported too: on a shared machine it is the steadier measure of the
overhead, since other processes' load does not enter it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import warnings

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.model_selection import GridSearchCV, StratifiedKFold  # noqa: E402

from spacedsl.running.search import SearchResult, search  # noqa: E402
from spacedsl.running.sklearn import SpaceSearchCV  # noqa: E402

SPACE = "n_estimators in [10, 50, 100, 200]\nmax_depth in [3, 10, 20, 40]\n"
GRID = {"n_estimators": [10, 50, 100, 200], "max_depth": [3, 10, 20, 40]}
GOAL = 1.05


def _key(params):
    return tuple(sorted(params.items()))


def _split_scores(cv_results, n_splits):
    return {_key(p): tuple(cv_results[f"split{k}_test_score"][i] for k in range(n_splits))
            for i, p in enumerate(cv_results["params"])}


def pair_a(X, y, n_jobs):
    """SpaceSearchCV against GridSearchCV with cv=5: (ours, theirs, scores) callables."""
    def ours():
        return SpaceSearchCV(RandomForestClassifier(random_state=0), SPACE, strategy="grid", n_iter=16, cv=5,
                             n_jobs=n_jobs).fit(X, y)

    def theirs():
        return GridSearchCV(RandomForestClassifier(random_state=0), GRID, cv=5, n_jobs=n_jobs).fit(X, y)

    return ours, theirs, lambda r: _split_scores(r.cv_results_, 5)


def pair_b(X, y, n_jobs):
    """spacedsl.search (kfold, seed 0) against GridSearchCV with the same shuffled StratifiedKFold."""
    def ours():
        return search(RandomForestClassifier(random_state=0), SPACE, X, y, strategy="grid", evaluator="kfold",
                      n_trials=16, seed=0, n_jobs=n_jobs)

    def theirs():
        return GridSearchCV(RandomForestClassifier(random_state=0), GRID,
                            cv=StratifiedKFold(5, shuffle=True, random_state=0), n_jobs=n_jobs).fit(X, y)

    def scores(result):
        if isinstance(result, SearchResult):
            return {_key(t.params): ev.fold_scores for t, ev in zip(result.trials, result.evaluations)}
        return _split_scores(result.cv_results_, 5)

    return ours, theirs, scores


def timed(fn):
    """(wall seconds, result); the CPU seconds of this process are kept in `timed.cpu`."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    timed.cpu = time.process_time() - cpu
    return time.perf_counter() - start, result


def measure(name, make_pair, X, y, n_jobs, repeats):
    ours, theirs, scores = make_pair(X, y, n_jobs)
    ours_t, theirs_t, ratios, cpu_ratios = [], [], [], []
    for r in range(repeats):
        if r % 2 == 0:
            t_ours, res_ours = timed(ours)
            c_ours = timed.cpu
            t_theirs, res_theirs = timed(theirs)
            c_theirs = timed.cpu
        else:
            t_theirs, res_theirs = timed(theirs)
            c_theirs = timed.cpu
            t_ours, res_ours = timed(ours)
            c_ours = timed.cpu
        a, b = scores(res_ours), scores(res_theirs)
        if a != b:
            raise SystemExit(f"{name}, n_jobs={n_jobs}: the scores differ from GridSearchCV's:\n{a}\n{b}")
        ours_t.append(t_ours)
        theirs_t.append(t_theirs)
        ratios.append(t_ours / t_theirs)
        cpu_ratios.append(c_ours / c_theirs)
        print(f"  {name} n_jobs={n_jobs} repeat {r + 1}: ours {t_ours:.2f} s, theirs {t_theirs:.2f} s, "
              f"ratio {t_ours / t_theirs:.3f} (CPU of this process: {c_ours:.2f} s / {c_theirs:.2f} s)",
              file=sys.stderr)
    return {"row": name, "n_jobs": n_jobs, "ours": statistics.median(ours_t),
            "theirs": statistics.median(theirs_t), "ratio": statistics.median(ratios),
            "cpu_ratio": statistics.median(cpu_ratios) if n_jobs == 1 else None, "configs": len(a)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="paired repeats per row (default 3)")
    parser.add_argument("--quick", action="store_true", help="one repeat")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="n_jobs values (default: 1 2)")
    parser.add_argument("--rows", nargs="+", default=["A", "B"], choices=["A", "B"], help="which pairs to run")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    X, y = load_digits(return_X_y=True)
    warnings.simplefilter("ignore")
    pairs = {"A": pair_a, "B": pair_b}
    for n_jobs in args.jobs:  # warm up: Lark's parser tables, lazy imports, joblib's worker pool
        small = RandomForestClassifier(n_estimators=2)
        SpaceSearchCV(small, "max_depth in [2]", strategy="grid", n_iter=1, cv=2, n_jobs=n_jobs).fit(X, y)
        search(small, "max_depth in [2]", X, y, strategy="grid", n_trials=1, n_jobs=n_jobs)
        GridSearchCV(small, {"max_depth": [2]}, cv=2, n_jobs=n_jobs).fit(X, y)
    rows = []
    for n_jobs in args.jobs:
        for key in args.rows:
            rows.append(measure(key, pairs[key], X, y, n_jobs, repeats))
    print(f"\nSeed grid (16 configurations) x 5 folds on digits, RandomForestClassifier(random_state=0); "
          f"median of {repeats} paired repeat(s). Scores identical to GridSearchCV's in every row.\n")
    print("| row | what | n_jobs | ours (s) | GridSearchCV (s) | ours / theirs | goal | met | CPU ours / theirs |")
    print("|---|---|---|---|---|---|---|---|---|")
    what = {"A": "`SpaceSearchCV(strategy=\"grid\", cv=5)` vs `GridSearchCV(cv=5)`",
            "B": "`search(strategy=\"grid\", evaluator=\"kfold\", seed=0)` vs `GridSearchCV(cv=StratifiedKFold(5, "
                 "shuffle=True, random_state=0))`"}
    for row in rows:
        met = "yes" if row["ratio"] <= GOAL else "no"
        cpu = "-" if row["cpu_ratio"] is None else f"{row['cpu_ratio']:.3f}"
        print(f"| {row['row']} | {what[row['row']]} | {row['n_jobs']} | {row['ours']:.2f} | {row['theirs']:.2f} | "
              f"{row['ratio']:.3f} | <= {GOAL} | {met} | {cpu} |")
    print(f"\nPython {platform.python_version()}, numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{v:.1f}' for v in os.getloadavg())} at the end")
    return 0 if all(row["ratio"] <= GOAL for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
