"""Benchmark of the trial driver behind ``spacedsl.minimize``: store overhead and parallel workers.

Run from the repository root:

    python benchmarks/bench_scale.py            # full run, ~3.5 min on 2 cores
    python benchmarks/bench_scale.py --quick    # fewer repeats, trials and seeds, ~40 s

It needs Dask (``pip install -e ".[dask]"``) for row 3 only; without it row 3 is skipped.
Every row runs in the same process and run; the table gives medians and ratios measured here.

1. **Store overhead.** ``minimize(strategy="random", n_trials=2000)`` of a trivial objective
   (``c["x"]``) over a 3-parameter space (a float, an integer range, a label), without and with
   ``storage=`` (a fresh SQLite file in a fresh temporary directory each repeat). Each repeat runs
   both, in alternating order. Reported: ms per trial both ways (medians) and the median of the
   per-repeat differences. Goal: difference <= 2 ms/trial.
2. **Local workers.** An objective that sleeps 0.5 s, ``strategy="random"``, 40 trials (``--quick``
   20): ``n_jobs=1`` against ``n_jobs=2`` (a loky pool of 2 processes, which the first such search of
   a process starts inside the call: each repeat stops the kept pool first, so its start-up is in
   the time, as a user pays it once). Median of the per-repeat speed-ups (1-worker time / 2-worker
   time). Goal: >= 1.8x. Row 2b: the same search run right after, finding the pool kept.
3. **Dask.** The same trials with ``executor=client``, where ``client = Client(LocalCluster(
   n_workers=2, threads_per_worker=1, processes=True, ...))`` is started before timing. Its start-up
   (cluster, client and a 2-trial warm-up ``minimize``, which imports spacedsl in the workers) is
   reported on its own. Speed-up against the 1-worker time of the same repeat. Goal: >= 1.7x.
4. **gp-ei with 2 workers.** Branin (x1 in [-5, 10], x2 in [0, 15], optimum 0.397887357729738), 50
   trials and 10 seeds (``--quick``: 20 trials, 3 seeds), ``strategy="gp-ei"``, once with
   ``n_jobs=1`` and once on ``concurrent.futures.ThreadPoolExecutor(2)``. The objective sleeps
   0.05 s plus a jitter in [0, 0.05) s drawn from the configuration and the seed, so trials overlap
   and finish out of order, and gp-ei proposes while a configuration is pending. Threads are a
   faithful stand-in for two workers here: the objective only sleeps (it releases the GIL), the
   driver is the same asynchronous loop, and there is no pool start-up to blur the wall time.
   Reported: median final regret (best value - optimum) of each, their ratio, the median wall time
   per run, and how many configurations the runs proposed twice (goal 0). Goal for the regret: the
   2-worker median is within the noise of the 1-worker one, taken as: it is no higher than the
   upper end of a distribution-free confidence interval for the 1-worker median (order statistics
   of the seeds' regrets; with 10 seeds the 8th smallest, ~89 % coverage).

Timing is wall clock (``time.perf_counter``) of the whole ``minimize`` call. The process parses a
space and runs each kind of call once before timing (Lark's parser tables, lazy imports).
Per-repeat numbers go to stderr.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import datetime
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import warnings

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

import spacedsl  # noqa: E402
from spacedsl.strategies import config_key  # noqa: E402
from spacedsl.running.workers import shutdown_pool  # noqa: E402

STORE_SPACE = 'x ~ uniform(0, 1)\ny in 1..10\nz in ["a", "b", "c"]\n'
SLEEP_SPACE = "x ~ uniform(0, 1)\ny in 1..10\n"
BRANIN_SPACE = "x1 ~ uniform(-5, 10)\nx2 ~ uniform(0, 15)\n"
BRANIN_MIN = 0.397887357729738

GOAL_STORE_MS = 2.0
GOAL_LOKY = 1.8
GOAL_DASK = 1.7


# ------------------------------------------------------------------ objectives (module level: they pickle)
def trivial(c):
    return c["x"]


def sleepy(c):
    time.sleep(0.5)
    return c["x"]


def branin(x1, x2):
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x2 - b * x1 ** 2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


class SlowBranin:
    """Branin that sleeps 0.05 s plus a jitter in [0, 0.05) s fixed by the seed and the configuration."""

    def __init__(self, seed):
        self.seed = seed

    def __call__(self, c):
        jitter = random.Random(hash((self.seed, c["x1"], c["x2"]))).random() * 0.05
        time.sleep(0.05 + jitter)
        return branin(c["x1"], c["x2"])


# ------------------------------------------------------------------ helpers
def log(text):
    print(text, file=sys.stderr, flush=True)


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def fmt_s(seconds):
    return f"{seconds:.2f} s"


def fmt_g(x):
    return f"{x:.2g}" if x >= 1e-3 or x == 0 else f"{x:.1e}"


def duplicates(trials):
    """How many trials repeat a configuration an earlier trial of the same run had."""
    keys = [config_key(t.params) for t in trials]
    return len(keys) - len(set(keys))


def median_upper_bound(values, target=0.85):
    """(index k, coverage): the k-th smallest value (1-based) is the upper end of the narrowest
    symmetric order-statistic interval [x(n+1-k), x(k)] for the median with coverage >= target
    (or the widest one, x(n), when n is too small for it)."""
    n = len(values)
    for lo in range(n // 2, 0, -1):
        hi = n + 1 - lo
        coverage = sum(math.comb(n, i) for i in range(lo, hi)) / 2 ** n
        if coverage >= target:
            return hi, coverage
    return n, 1 - 2 / 2 ** n


# ------------------------------------------------------------------ rows
def row_store(repeats, n_trials):
    without, with_, diffs = [], [], []
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "study.db")

            def plain():
                return spacedsl.minimize(trivial, STORE_SPACE, strategy="random", n_trials=n_trials, seed=r)

            def stored():
                return spacedsl.minimize(trivial, STORE_SPACE, strategy="random", n_trials=n_trials, seed=r,
                                         storage=path)

            if r % 2 == 0:
                t_plain, res_plain = timed(plain)
                t_stored, res_stored = timed(stored)
            else:
                t_stored, res_stored = timed(stored)
                t_plain, res_plain = timed(plain)
        assert len(res_plain.trials) == len(res_stored.trials) == n_trials
        assert res_plain.best_value == res_stored.best_value  # same seed, same trials
        a, b = t_plain / n_trials * 1e3, t_stored / n_trials * 1e3
        without.append(a)
        with_.append(b)
        diffs.append(b - a)
        log(f"  row 1 repeat {r + 1}: without storage {a:.3f} ms/trial, with {b:.3f} ms/trial")
    return statistics.median(without), statistics.median(with_), statistics.median(diffs)


def start_dask():
    """(client, cluster, start-up seconds), or None when Dask is not installed."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        return None
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    client = Client(cluster)
    cluster_s = time.perf_counter() - start
    spacedsl.minimize(trivial, SLEEP_SPACE, strategy="random", n_trials=2, seed=0, executor=client)
    return client, cluster, cluster_s, time.perf_counter() - start


def row_parallel(repeats, n_trials, dask):
    one, loky, kept, dsk, r_loky, r_kept, r_dask = [], [], [], [], [], [], []

    def run(**kw):
        res = spacedsl.minimize(sleepy, SLEEP_SPACE, strategy="random", n_trials=n_trials, seed=0, **kw)
        assert len(res.trials) == n_trials and all(t.state == "complete" for t in res.trials), res.trials
        return res

    for r in range(repeats):
        order = ["one", "loky", "dask"] if r % 2 == 0 else ["dask", "loky", "one"]
        times = {}
        for name in order:
            if name == "dask" and dask is None:
                continue
            kw = {"one": {"n_jobs": 1}, "loky": {"n_jobs": 2},
                  "dask": {"executor": dask[0] if dask else None}}[name]
            if name == "loky":  # a first search: the pool starts inside the call; then one that finds it kept
                shutdown_pool()
                times[name], _ = timed(lambda: run(**kw))
                times["kept"], _ = timed(lambda: run(**kw))
            else:
                times[name], _ = timed(lambda: run(**kw))
        one.append(times["one"])
        loky.append(times["loky"])
        kept.append(times["kept"])
        r_loky.append(times["one"] / times["loky"])
        r_kept.append(times["one"] / times["kept"])
        text = (f"  rows 2-3 repeat {r + 1}: 1 worker {times['one']:.2f} s, 2 loky {times['loky']:.2f} s "
                f"(pool kept: {times['kept']:.2f} s)")
        if "dask" in times:
            dsk.append(times["dask"])
            r_dask.append(times["one"] / times["dask"])
            text += f", 2 Dask {times['dask']:.2f} s"
        log(text)
    med = statistics.median
    return {"one": med(one), "loky": med(loky), "r_loky": med(r_loky), "kept": med(kept), "r_kept": med(r_kept),
            "dask": med(dsk) if dsk else None, "r_dask": med(r_dask) if r_dask else None}


def row_gp(seeds, n_trials):
    out = {"one": [], "two": [], "t_one": [], "t_two": [], "dup_one": 0, "dup_two": 0}
    for seed in range(seeds):
        fn = SlowBranin(seed)
        t1, res1 = timed(lambda: spacedsl.minimize(fn, BRANIN_SPACE, strategy="gp-ei", n_trials=n_trials,
                                                   seed=seed, n_jobs=1))
        with cf.ThreadPoolExecutor(2) as pool:
            t2, res2 = timed(lambda: spacedsl.minimize(fn, BRANIN_SPACE, strategy="gp-ei", n_trials=n_trials,
                                                       seed=seed, executor=pool))
        for res in (res1, res2):
            assert len(res.trials) == n_trials and all(t.state == "complete" for t in res.trials), res.trials
        reg1, reg2 = res1.best_value - BRANIN_MIN, res2.best_value - BRANIN_MIN
        d1, d2 = duplicates(res1.trials), duplicates(res2.trials)
        out["one"].append(reg1)
        out["two"].append(reg2)
        out["t_one"].append(t1)
        out["t_two"].append(t2)
        out["dup_one"] += d1
        out["dup_two"] += d2
        log(f"  row 4 seed {seed}: regret 1 worker {reg1:.3g} ({t1:.2f} s), 2 workers {reg2:.3g} ({t2:.2f} s); "
            f"duplicates {d1} / {d2}")
    return out


# ------------------------------------------------------------------ main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, trials and seeds (a smoke run)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats of rows 1-3 (default 5 / 3; quick 3 / 1)")
    parser.add_argument("--seeds", type=int, default=None, help="seeds of row 4 (default 10; quick 3)")
    args = parser.parse_args(argv)
    quick = args.quick
    store_repeats = args.repeats or (3 if quick else 5)
    par_repeats = args.repeats or (1 if quick else 3)
    par_trials = 20 if quick else 40
    seeds = args.seeds or (3 if quick else 10)
    gp_trials = 20 if quick else 50
    warnings.simplefilter("ignore")

    try:
        import dask
        dask_version = dask.__version__
    except ImportError:
        dask_version = "not installed"
    started = time.perf_counter()
    print(f"{datetime.date.today().isoformat()}; {platform.machine()}, {os.cpu_count()} CPUs; "
          f"Python {platform.python_version()}, numpy {np.__version__}, dask {dask_version}"
          f"{' (--quick)' if quick else ''}", flush=True)

    # warm up: Lark's tables, lazy imports (store, gp-ei, scipy), in this process
    spacedsl.minimize(trivial, STORE_SPACE, strategy="random", n_trials=20, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        spacedsl.minimize(trivial, STORE_SPACE, strategy="random", n_trials=20, seed=0,
                          storage=os.path.join(tmp, "w.db"))
    spacedsl.minimize(lambda c: branin(c["x1"], c["x2"]), BRANIN_SPACE, strategy="gp-ei", n_trials=12, seed=0)

    log("row 1: store overhead")
    plain, stored, diff = row_store(store_repeats, 2000)
    log("rows 2-3: parallel speed-up")
    cluster = start_dask()
    try:
        par = row_parallel(par_repeats, par_trials, cluster)
    finally:
        if cluster is not None:
            cluster[0].close()
            cluster[1].close()
    log("row 4: gp-ei, 1 worker vs 2")
    gp = row_gp(seeds, gp_trials)

    med = statistics.median
    reg1, reg2 = med(gp["one"]), med(gp["two"])
    k, coverage = median_upper_bound(gp["one"])
    bound = sorted(gp["one"])[k - 1]
    ideal = par_trials * 0.5 / 2
    rows = [
        ("1", f"store overhead: 2,000 trials, `random`, 3 parameters, trivial objective; median of "
              f"{store_repeats}", f"{plain:.3f} ms/trial without `storage=`", f"{stored:.3f} ms/trial with it",
         f"+{diff:.3f} ms/trial", f"<= {GOAL_STORE_MS:g} ms/trial", diff <= GOAL_STORE_MS),
        ("2", f"{par_trials} trials sleeping 0.5 s, `random`: `n_jobs=2` (loky, pool start-up included); "
              f"median of {par_repeats}; ideal {fmt_s(ideal)}", f"{fmt_s(par['one'])} (`n_jobs=1`)", fmt_s(par["loky"]),
         f"{par['r_loky']:.2f}x", f">= {GOAL_LOKY}x", par["r_loky"] >= GOAL_LOKY),
        ("2b", f"same, the search right after it in the process (the pool kept from it); median of {par_repeats}",
         f"{fmt_s(par['one'])} (`n_jobs=1`)", fmt_s(par["kept"]), f"{par['r_kept']:.2f}x", "reported only", None),
    ]
    if cluster is not None:
        rows.append(("3", f"same, `executor=client`, 2-worker Dask `LocalCluster` (start-up "
                          f"{cluster[2]:.2f} s + {cluster[3] - cluster[2]:.2f} s warm-up, not timed)",
                     f"{fmt_s(par['one'])} (`n_jobs=1`)", fmt_s(par["dask"]), f"{par['r_dask']:.2f}x",
                     f">= {GOAL_DASK}x", par["r_dask"] >= GOAL_DASK))
    else:
        rows.append(("3", "Dask `LocalCluster`: skipped, dask.distributed is not installed", "-", "-", "-",
                     f">= {GOAL_DASK}x", None))
    rows += [
        ("4a", f"`gp-ei` on Branin, {gp_trials} trials, {seeds} seeds: median final regret, 1 worker vs "
               f"`ThreadPoolExecutor(2)` (objective sleeps 0.05-0.1 s)", fmt_g(reg1), fmt_g(reg2),
         f"{reg2 / reg1:.2f}x" if reg1 > 0 else "-",
         f"2-worker median <= {fmt_g(bound)} (x({k}) of the 1-worker regrets, ~{coverage:.0%} CI of its median)",
         reg2 <= bound),
        ("4b", "same runs: median wall time per run", fmt_s(med(gp["t_one"])), fmt_s(med(gp["t_two"])),
         f"{med(gp['t_one']) / med(gp['t_two']):.2f}x", "reported only", None),
        ("4c", f"same runs: configurations proposed twice (all {seeds} runs; 1-worker runs for reference)",
         str(gp["dup_one"]), str(gp["dup_two"]), "-", "0", gp["dup_two"] == 0),
    ]
    print()
    print("| row | what | baseline | measured | difference / ratio | goal | met? |")
    print("|---|---|---:|---:|---:|---|:---:|")
    for name, what, base, measured, ratio, goal, met in rows:
        mark = "-" if met is None else ("yes" if met else "**no**")
        print(f"| {name} | {what} | {base} | {measured} | {ratio} | {goal} | {mark} |")
    print(f"\nRegrets of row 4 (1 worker): {', '.join(fmt_g(x) for x in gp['one'])}")
    print(f"Regrets of row 4 (2 workers): {', '.join(fmt_g(x) for x in gp['two'])}")
    better = sum(b < a for a, b in zip(gp["one"], gp["two"]))
    print(f"2 workers lower than 1 worker in {better} of {seeds} seeds.")
    print(f"Total {time.perf_counter() - started:.0f} s; load average "
          f"{' '.join(f'{v:.1f}' for v in os.getloadavg())} at the end")
    return 0 if all(row[-1] is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
