"""Benchmark of the results tools: the HTML report of a large study, and how right importance is.

Run from the repository root (optuna is a benchmark-only dependency:
``pip install -r benchmarks/requirements-results.txt``):

    python benchmarks/bench_results.py                 # ~3 min on 2 cores
    python benchmarks/bench_results.py --quick         # fewer seeds and repeats, ~1 min
    python benchmarks/bench_results.py --screenshot docs/report.png   # also the README's picture

1. **Report of a 10,000-trial, 20-parameter study** (`tests/studies.py`: 12 uniform floats, 3
   loguniform, 3 categoricals, an integer range and an ``int`` draw; 2 % failed, 1 % pruned),
   written into a store in one transaction. Timed: ``spacedsl.write_report(db, out)`` in a fresh
   process (imports of matplotlib and scikit-learn included: what ``spacedsl report`` costs), and
   in a warm process (median of ``--repeats``); the file's size; and how long headless Chromium
   (network off) takes from navigation to the page's load event (median of ``--repeats`` tabs).
   Goals: <= 5 s, <= 5 MB, <= 2 s.
2. **Importance against the truth.** Three functions whose per-parameter main-effect variances
   are known, random search of ``--trials`` trials (``spacedsl.minimize(strategy="random")``),
   ``--seeds`` seeds each. On the same trials: ``spacedsl.importance`` and Optuna's
   ``FanovaImportanceEvaluator`` (64 trees, seeded) and ``PedAnovaImportanceEvaluator`` (defaults),
   through ``optuna.importance.get_param_importances`` on a study holding the same trials with the
   same distributions. Reported: median Spearman correlation between each method's importances and
   the true first-order shares over every parameter (a parameter a method leaves out counts as 0),
   and the median time per call.

   * ``six``: ``8a + 6b^2 + 2c + 0.6 log10(d) + 1.2 [e = y] + 0.1 f`` over a, b, c ~ U(0, 1),
     d ~ loguniform(1e-3, 1), e in [x, y, z], f in 1..10; additive, so the shares are exact:
     a 0.559, b 0.335 (together 89.5 %), c 0.035, e 0.034, d 0.028, f 0.009.
   * ``hartmann6``: Hartmann6 on [0, 1]^6; the shares are first-order Sobol indices by Saltelli's
     estimator on 2^17 base points (computed at start).
   * ``conditional``: ``model in [linear, tree]`` switching on two parameters each, plus one shared
     parameter; additive inside each branch, so the variance splits exactly into Var(E[f | model])
     (``model``'s share) and, for each other parameter, P(its branch is taken) times the variance of
     its term in that branch (computed on 200,000 draws of the space). Optuna's evaluators only see
     the parameters every trial has (``model``, ``scale``): the others count 0.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (_ROOT, os.path.join(_ROOT, "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import spacedsl  # noqa: E402
from studies import big_store  # noqa: E402  (tests/studies.py: the same study the tests use)


# ------------------------------------------------------------------ 1. the report
def bench_report(repeats, screenshot=None):
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "big.sqlite")
        t0 = time.perf_counter()
        big_store(db)
        rows["store"] = time.perf_counter() - t0
        out = os.path.join(tmp, "big.html")
        code = ("import time; t, c = time.perf_counter(), time.process_time(); import spacedsl; "
                "spacedsl.write_report(%r, %r); print(time.perf_counter() - t, time.process_time() - c)" % (db, out))
        cold, cold_cpu = (float(v) for v in subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=_ROOT).stdout.split()[-2:])
        warm, warm_cpu = [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            spacedsl.write_report(db, out)
            warm.append(time.perf_counter() - t0)
            warm_cpu.append(time.process_time() - c0)
        rows["cold"], rows["warm"] = cold, statistics.median(warm)
        rows["cold_cpu"], rows["warm_cpu"] = cold_cpu, statistics.median(warm_cpu)
        rows["size"] = os.path.getsize(out)
        try:
            from chromium import Browser, chromium_path
        except ImportError:
            chromium_path = None
        if chromium_path is not None and chromium_path():
            loads = []
            with Browser() as browser:
                for _ in range(repeats):
                    page = browser.open("file://" + out)
                    assert page.evaluate("document.documentElement.getAttribute('data-ready')") == "1"
                    assert page.errors() == [], page.errors()
                    loads.append(page.load_seconds)
            rows["open"] = statistics.median(loads)
        if screenshot:
            _screenshot(screenshot, tmp)
    return rows


def _screenshot(path, tmp):
    """The README's picture: the report of a 200-trial random search on the conditional SVM-like space."""
    from chromium import Browser
    from studies import conditional_store

    here = os.getcwd()
    os.chdir(tmp)  # so that the page says "read from svm.sqlite"
    try:
        db = conditional_store("svm.sqlite", n_trials=200, pruned=6)
        out = os.path.join(tmp, "svm.html")
        spacedsl.write_report(db, out, title="spacedsl report svm.sqlite")
    finally:
        os.chdir(here)
    path = os.path.join(here, path)
    with Browser(width=1280, height=2300) as browser:
        page = browser.open("file://" + out)
        page.click("#trial-table th[data-col='2']")  # sorted by value, as a reader would
        page.evaluate("window.scrollTo(0, 0)")
        png = page.screenshot()
    with open(path, "wb") as fh:
        fh.write(png)
    print(f"wrote {path}", file=sys.stderr)


# --------------------------------------------------------------- 2. importance
SIX = """\
a ~ uniform(0, 1)
b ~ uniform(0, 1)
c ~ uniform(0, 1)
d ~ loguniform(1e-3, 1)
e in ["x", "y", "z"]
f in 1..10
"""
SIX_TRUTH = {"a": 64 / 12, "b": 36 * (1 / 5 - 1 / 9), "c": 4 / 12, "d": 0.36 * 0.75, "e": 1.44 * 2 / 9,
             "f": 0.01 * 8.25}


def six(p):
    return (8 * p["a"] + 6 * p["b"] ** 2 + 2 * p["c"] + 0.6 * math.log10(p["d"]) + (1.2 if p["e"] == "y" else 0.0)
            + 0.1 * p["f"])


HARTMANN = "\n".join(f"x{i} ~ uniform(0, 1)" for i in range(1, 7)) + "\n"
_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6_array(x):
    return -np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x[:, None, :] - _H6_P) ** 2, axis=2)), axis=1)


def hartmann6(p):
    return float(hartmann6_array(np.array([[p[f"x{i}"] for i in range(1, 7)]]))[0])


def hartmann_truth(n=2 ** 17, seed=0):
    """First-order Sobol indices (Saltelli 2010's estimator) of Hartmann6 on the unit cube."""
    rng = np.random.default_rng(seed)
    a, b = rng.random((n, 6)), rng.random((n, 6))
    fa, fb = hartmann6_array(a), hartmann6_array(b)
    var = np.var(np.concatenate([fa, fb]))
    out = {}
    for i in range(6):
        ab = a.copy()
        ab[:, i] = b[:, i]
        out[f"x{i + 1}"] = float(np.mean(fb * (hartmann6_array(ab) - fa)) / var)
    return out


CONDITIONAL = """\
model in ["linear", "tree"]
if model == "linear" {
    alpha ~ loguniform(1e-4, 1)
    l1_ratio ~ uniform(0, 1)
}
if model == "tree" {
    depth in 1..10
    leaf ~ uniform(0, 1)
}
scale ~ uniform(0, 1)
"""


TERMS = {  # the conditional function, term by term: parameter -> (the branch it lives in, its term)
    "alpha": ("linear", lambda p: 0.4 * (math.log10(p["alpha"]) + 2) ** 2),
    "l1_ratio": ("linear", lambda p: 0.3 * p["l1_ratio"]),
    "depth": ("tree", lambda p: 0.6 + 0.25 * abs(p["depth"] - 6)),
    "leaf": ("tree", lambda p: 0.1 * p["leaf"]),
    "scale": (None, lambda p: 0.5 * p["scale"]),
}


def conditional(p):
    return sum(term(p) for branch, term in TERMS.values() if branch in (None, p["model"]))


def conditional_truth(n=200_000, seed=0):
    """The exact variance decomposition of `conditional` (additive inside each branch):
    Var f = Var E[f | model] + sum over parameters of P(its branch) Var(its term | its branch)."""
    configs = spacedsl.parse(CONDITIONAL).sample(n, seed=seed)
    f = np.array([conditional(c) for c in configs])
    model = np.array([c["model"] for c in configs])
    out = {"model": float(sum((model == m).mean() * (f[model == m].mean() - f.mean()) ** 2
                              for m in ("linear", "tree")))}
    for name, (branch, term) in TERMS.items():
        inside = [c for c in configs if branch is None or c["model"] == branch]
        out[name] = len(inside) / n * float(np.var([term(c) for c in inside]))
    total = sum(out.values())
    return {k: v / total for k, v in out.items()}


def optuna_distributions(case):
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if case == "six":
        return {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1), "c": FloatDistribution(0, 1),
                "d": FloatDistribution(1e-3, 1, log=True), "e": CategoricalDistribution(["x", "y", "z"]),
                "f": IntDistribution(1, 10)}
    if case == "hartmann6":
        return {f"x{i}": FloatDistribution(0, 1) for i in range(1, 7)}
    return {"model": CategoricalDistribution(["linear", "tree"]), "alpha": FloatDistribution(1e-4, 1, log=True),
            "l1_ratio": FloatDistribution(0, 1), "depth": IntDistribution(1, 10), "leaf": FloatDistribution(0, 1),
            "scale": FloatDistribution(0, 1)}


def optuna_study(result, distributions):
    import optuna

    study = optuna.create_study(direction="minimize")
    trials = []
    for t in result.trials:
        if t.state != "complete":
            continue
        params = {k: v for k, v in t.params.items() if k in distributions}
        trials.append(optuna.trial.create_trial(params=params, distributions={k: distributions[k] for k in params},
                                                value=t.value))
    study.add_trials(trials)
    return study


def spearman(truth, estimate):
    from scipy.stats import spearmanr

    names = list(truth)
    return float(spearmanr([truth[n] for n in names], [estimate.get(n, 0.0) for n in names]).statistic)


def bench_importance(seeds, n_trials):
    import optuna
    from optuna.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator, get_param_importances

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    total = sum(SIX_TRUTH.values())
    cases = {"six": (SIX, six, {k: v / total for k, v in SIX_TRUTH.items()}),
             "hartmann6": (HARTMANN, hartmann6, hartmann_truth()),
             "conditional": (CONDITIONAL, conditional, conditional_truth())}
    table = {}
    for case, (space, fn, truth) in cases.items():
        scores = {"spacedsl": [], "optuna-fanova": [], "optuna-pedanova": []}
        times = {k: [] for k in scores}
        for seed in range(seeds):
            result = spacedsl.minimize(fn, space, strategy="random", n_trials=n_trials, seed=seed)
            study = optuna_study(result, optuna_distributions(case))
            methods = {
                "spacedsl": lambda: spacedsl.importance(result, space=space, seed=seed),
                "optuna-fanova": lambda: get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed)),
                "optuna-pedanova": lambda: get_param_importances(study, evaluator=PedAnovaImportanceEvaluator()),
            }
            for name, call in methods.items():
                t0 = time.perf_counter()
                got = call()
                times[name].append(time.perf_counter() - t0)
                scores[name].append(spearman(truth, got))
            print(f"{case} seed {seed}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in scores.items()), file=sys.stderr)
        table[case] = (truth, {k: statistics.median(v) for k, v in scores.items()},
                       {k: statistics.median(v) for k, v in times.items()},
                       {k: min(v) for k, v in scores.items()})
    return table


# ------------------------------------------------------------------------ main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds, 1 repeat")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--screenshot", metavar="PNG", help="also write the README's screenshot here")
    parser.add_argument("--skip-report", action="store_true")
    parser.add_argument("--skip-importance", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.seeds, args.repeats = 3, 1
    started = time.perf_counter()
    import matplotlib
    import optuna
    import sklearn

    print(f"Python {platform.python_version()}, numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
          f"matplotlib {matplotlib.__version__}, optuna {optuna.__version__}; {datetime.date.today()}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores\n")
    if not args.skip_report:
        r = bench_report(args.repeats, args.screenshot)
        print("| 10,000 trials, 20 parameters | measured (CPU time of the process) | goal | met? |\n"
              "|---|---:|---:|:---:|")
        print(f"| `write_report` in a fresh process (imports included) | {r['cold']:.2f} s ({r['cold_cpu']:.2f} s) "
              f"| <= 5 s | {'yes' if r['cold'] <= 5 else '**no**'} |")
        print(f"| `write_report` in a warm process (median of {args.repeats}) | {r['warm']:.2f} s "
              f"({r['warm_cpu']:.2f} s) | <= 5 s | {'yes' if r['warm'] <= 5 else '**no**'} |")
        print(f"| HTML size | {r['size'] / 1e6:.2f} MB | <= 5 MB | {'yes' if r['size'] <= 5e6 else '**no**'} |")
        if "open" in r:
            print(f"| headless Chromium: navigation to load event (median of {args.repeats}) | {r['open']:.2f} s | "
                  f"<= 2 s | {'yes' if r['open'] <= 2 else '**no**'} |")
        print(f"\n(store of 10,000 trials written in {r['store']:.2f} s)\n")
    if not args.skip_importance:
        table = bench_importance(args.seeds, args.trials)
        print(f"Median Spearman correlation with the true ranking ({args.seeds} seeds, {args.trials} random-search "
              "trials; worst seed in brackets) and median time per call:\n")
        print("| function | spacedsl | Optuna fANOVA | Optuna PED-ANOVA | time: spacedsl | fANOVA | PED-ANOVA |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for case, (truth, score, secs, worst) in table.items():
            best = max(score.values())
            cells = [(f"**{score[k]:.3f}**" if score[k] == best else f"{score[k]:.3f}") + f" ({worst[k]:.2f})"
                     for k in ("spacedsl", "optuna-fanova", "optuna-pedanova")]
            print(f"| {case} | " + " | ".join(cells) + " | "
                  + " | ".join(f"{secs[k] * 1000:.0f} ms" for k in ("spacedsl", "optuna-fanova", "optuna-pedanova"))
                  + " |")
        print()
        for case, (truth, *_rest) in table.items():
            print(f"truth, {case}: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(truth.items(), key=lambda p: -p[1])))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
