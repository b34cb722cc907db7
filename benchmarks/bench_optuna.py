"""Optuna's samplers through spacedsl (``strategy="optuna:NAME"``) against Optuna's own ask/tell loop.

Run from the repository root (``pip install -e '.[optuna]' cmaes`` for CmaEsSampler):

    python benchmarks/bench_optuna.py                       # 10 seeds x 50 trials, branin and mixed
    python benchmarks/bench_optuna.py --seeds 3 --trials 20 --samplers TPESampler

For every sampler, problem and seed, the same sampler class with the same seed runs twice:

  spacedsl  ``plugins.strategy("optuna:NAME")(space, seed=seed)`` on the problem's ``.space`` text,
            ``ask(1)`` / ``tell(config, loss)``: the loop ``spacedsl.minimize`` runs;
  optuna    ``study.ask()``, one ``trial.suggest_*`` per parameter written by hand (what an Optuna
            user writes), ``study.tell(trial, loss)``.

The two loops run in lock-step, trial by trial, so both meet the same load on a shared
machine. The problems are ``benchmarks/bench_strategies.py``'s (imported, not copied). Reported:
the median simple regret after the last trial over the seeds, how many seeds gave the very same
configurations in both loops, the median time per trial with the objective excluded (ask +
tell; the sampler's own work is in both), and the overhead: the median over every trial of
spacedsl's time minus Optuna's for the same trial number and seed. ``mixed`` declares
``m: int ~ uniform(-10, 10)``, which spacedsl asks as ``suggest_float`` and rounds (its end values
weigh half), while the hand-written Optuna loop asks ``suggest_int``: the configurations differ
there, by design.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_strategies import PROBLEMS  # noqa: E402 - the problems, one definition

import optuna  # noqa: E402

import spacedsl  # noqa: E402
from spacedsl import plugins  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)

SAMPLERS = ("TPESampler", "RandomSampler", "CmaEsSampler", "NSGAIISampler")
OPTIONS = {"CmaEsSampler": {"warn_independent_sampling": False}}  # the same options for both loops


class Ours:
    """``optuna:NAME`` through spacedsl: ``ask(1)`` / ``tell(config, loss)``, the loop ``minimize`` runs."""

    def __init__(self, sampler, problem, seed):
        space = spacedsl.parse(problem.text)
        self.strategy = plugins.strategy(f"optuna:{sampler}")(space, seed=seed, **OPTIONS.get(sampler, {}))

    def ask(self):
        return self.strategy.ask(1)[0]

    def tell(self, config, y):
        self.strategy.tell(config, y)


class Theirs:
    """Optuna's own loop: ``study.ask()``, one ``trial.suggest_*`` per parameter, ``study.tell``."""

    def __init__(self, sampler, problem, seed):
        cls = getattr(optuna.samplers, sampler)
        self.study = optuna.create_study(direction="minimize", sampler=cls(seed=seed, **OPTIONS.get(sampler, {})))
        self.doms = problem.doms
        self.trial = None

    def ask(self):
        self.trial = self.study.ask()
        return {d.name: _suggest(self.trial, d) for d in self.doms}

    def tell(self, config, y):
        self.study.tell(self.trial, y)


def _suggest(trial, dom):
    if dom.kind == "float":
        return trial.suggest_float(dom.name, dom.low, dom.high)
    if dom.kind == "int":
        return trial.suggest_int(dom.name, int(dom.low), int(dom.high))
    return trial.suggest_categorical(dom.name, list(dom.choices))


def run_pair(sampler, problem, seed, n):
    """Both loops in lock-step, trial by trial, so that both meet the same load on a shared machine."""
    loops = {"spacedsl": Ours(sampler, problem, seed), "optuna": Theirs(sampler, problem, seed)}
    values = {k: [] for k in loops}
    configs = {k: [] for k in loops}
    times = {k: [] for k in loops}
    for _ in range(n):
        for key, loop in loops.items():
            t0 = time.perf_counter()
            config = loop.ask()
            t1 = time.perf_counter()
            y = problem.fn(config)
            t2 = time.perf_counter()
            loop.tell(config, y)
            t3 = time.perf_counter()
            values[key].append(y)
            configs[key].append(config)
            times[key].append((t1 - t0) + (t3 - t2))
    return values, configs, times


def fmt(x):
    return f"{x:.2g}" if abs(x) < 1e-2 or abs(x) >= 1e3 else f"{x:.3g}"


def fmt_ms(seconds):
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-4 else f"{seconds * 1e6:.0f} µs"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--problems", default="branin,mixed")
    args = parser.parse_args(argv)
    samplers = [s for s in args.samplers.split(",") if s]
    started = time.perf_counter()
    rows = []
    for problem_name in args.problems.split(","):
        problem = PROBLEMS[problem_name]
        for sampler in samplers:
            regrets = {"spacedsl": [], "optuna": []}
            times = {"spacedsl": [], "optuna": []}
            extra = []  # per trial: ours minus theirs, paired
            same = 0
            for seed in range(args.seeds):
                values, configs, ts = run_pair(sampler, problem, seed, args.trials)
                for key in regrets:
                    regrets[key].append(min(values[key]) - problem.optimum)
                    times[key].extend(ts[key])
                extra.extend(a - b for a, b in zip(ts["spacedsl"], ts["optuna"]))
                same += configs["spacedsl"] == configs["optuna"]
            t_ours, t_theirs = statistics.median(times["spacedsl"]), statistics.median(times["optuna"])
            rows.append((problem_name, sampler, statistics.median(regrets["spacedsl"]),
                         statistics.median(regrets["optuna"]), same, t_ours, t_theirs, statistics.median(extra)))
            print(f"  {problem_name} {sampler}: done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    print(f"Median simple regret after {args.trials} trials over {args.seeds} seeds, and median time per trial "
          "(ask + tell, objective excluded):\n")
    print("| problem | sampler | regret, through spacedsl | regret, Optuna's loop | same configurations | "
          "time per trial, spacedsl | Optuna | overhead (median of paired differences) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for problem_name, sampler, r_ours, r_theirs, same, t_ours, t_theirs, extra in rows:
        print(f"| {problem_name} | {sampler} | {fmt(r_ours)} | {fmt(r_theirs)} | {same} of {args.seeds} | "
              f"{fmt_ms(t_ours)} | {fmt_ms(t_theirs)} | {extra * 1e3:+.2f} ms |")
    print(f"\nPython {platform.python_version()}, optuna {optuna.__version__}; "
          f"{time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
