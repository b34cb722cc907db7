"""Benchmarks of the search strategies: spacedsl against Optuna, scikit-optimize and Hyperopt.

Run from the repository root, in an environment with the peers installed
(``pip install -e . -r benchmarks/requirements-strategies.txt``):

    python benchmarks/bench_strategies.py                    # 10 seeds x 50 evaluations, every contender
    python benchmarks/bench_strategies.py --quick            # 3 seeds x 20 evaluations
    python benchmarks/bench_strategies.py --only gp-ei,optuna-gp,skopt --problems branin,hartmann6
    python benchmarks/bench_strategies.py --json out.json    # also write the raw results
    python benchmarks/bench_strategies.py --load out.json --only none   # tables again, nothing re-run

Contenders (``--only``, comma-separated; ``none`` runs nothing):
  gp-ei, sobol, random  spacedsl's strategies, through the plugin manager (``factory(space, seed=s)``,
                        ``ask(1)``, ``tell(config, loss)``: exactly the loop ``spacedsl.minimize`` runs)
  skopt                 scikit-optimize ``gp_minimize`` with ``acq_func="EI"``, unrolled into its
                        ``Optimizer`` with the settings ``gp_minimize`` passes (``--verify`` checks that
                        the unrolled loop proposes the same points as ``gp_minimize``)
  optuna-gp             Optuna ``GPSampler`` (defaults), through ``study.ask``/``study.tell``
  optuna-tpe            Optuna ``TPESampler`` (defaults)
  hyperopt-tpe          Hyperopt ``fmin`` with ``tpe.suggest`` (defaults)

Problems (``--problems``): every problem is written once as spacedsl text and once
as a list of domains from which the peers' spaces are built; at start-up the
script checks that the two agree (same names; samples of the spacedsl space lie in
the peers' domains with the same types).
  branin       2-D continuous, [-5, 10] x [0, 15], optimum 0.397887357729738
  hartmann6    6-D continuous, [0, 1]^6, optimum -3.322368011415514
  rosenbrock4  4-D continuous, [-2, 2]^4, optimum 0 at (1, 1, 1, 1)
  mixed        5-D mixed: an unordered label selecting an offset, an integer range (``in 0..20``),
               an integer distribution (``: int ~ uniform(-10, 10)``), two floats (a scaled
               2-D Rosenbrock); optimum 0
  ackley-int   5-D integer: Ackley on a lattice of step 0.5, each ``k in -10..10`` with the optimum
               shifted off the centre to k = (3, -4, 6, -1, 2); optimum 0

Measurements
  * simple regret: best value so far minus the optimum, after 10, 20, 30 and 50
    evaluations (``--checkpoints``); the median over seeds is reported;
  * time per ask: the contender's own proposal time with the objective excluded,
    i.e. ask + tell (skopt fits its GP and optimises the acquisition inside ``tell``;
    Optuna samples inside ``study.ask`` with fixed distributions); for Hyperopt,
    whose ``fmin`` owns the loop, the wall time between the end of one objective call
    and the start of the next. The median over every ask of every seed, and over the
    last 10 asks only (the model is largest there), are reported;
  * time per proposal after N observations (``--scale 50,300``, Hartmann6): N uniform
    random observations are told, and the time from telling the N-th to receiving the
    next proposal is measured (``gp-ei``, ``optuna-gp``, ``skopt``).

Every contender runs with one BLAS/OpenMP thread: ``OMP_NUM_THREADS``,
``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS`` are set to 1 before numpy is
imported, and ``torch.set_num_threads(1)`` (Optuna's GPSampler uses torch). One
contender failing (not installed, or raising) is reported as such in its cells,
and the run goes on.
"""

from __future__ import annotations

import os

# Before numpy (or torch, or anything that loads a BLAS) is imported: one thread for everybody.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _var in _THREAD_VARS:
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass  # noqa: E402

# Run as `python benchmarks/bench_strategies.py` from a source checkout: make the
# repository importable without installing it (the built-in strategies are entry
# points, so spacedsl itself must still be installed, e.g. `pip install -e .`).
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import numpy as np  # noqa: E402

# ---------------------------------------------------------------------------
# Problems: one spacedsl text and one list of domains each
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Dom:
    """One searched parameter, in the form the peers' spaces are built from.

    kind is "float" (uniform on [low, high]), "int" (every integer in [low, high])
    or "cat" (unordered labels).
    """

    name: str
    kind: str
    low: float = 0
    high: float = 0
    choices: tuple = ()


@dataclass(frozen=True)
class Problem:
    name: str
    text: str  # the spacedsl space
    doms: tuple  # the same space, for the peers
    fn: object  # fn(config: dict) -> float
    optimum: float
    about: str


def _branin(c):
    x1, x2 = c["x1"], c["x2"]
    b, cc, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + cc * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H6_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def _hartmann6(c):
    x = np.array([c[f"x{i}"] for i in range(1, 7)], dtype=float)
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def _rosen(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def _rosenbrock4(c):
    return float(_rosen([c[f"x{i}"] for i in range(1, 5)]))


_MIXED_OFFSET = {"rbf": 0.0, "poly": 0.5, "linear": 1.0, "sigmoid": 1.5}


def _mixed(c):
    return float(_MIXED_OFFSET[c["kernel"]] + 0.02 * (c["n"] - 13) ** 2 + 0.01 * (c["m"] + 4) ** 2
                 + 0.01 * _rosen([c["x"], c["y"]]))


_ACKLEY_SHIFT = (3, -4, 6, -1, 2)


def _ackley_int(c):
    x = np.array([0.5 * (c[f"k{i + 1}"] - s) for i, s in enumerate(_ACKLEY_SHIFT)])
    d = len(x)
    return float(-20 * math.exp(-0.2 * math.sqrt(np.sum(x ** 2) / d))
                 - math.exp(np.sum(np.cos(2 * math.pi * x)) / d) + 20 + math.e)


def _floats(names, low, high):
    return tuple(Dom(n, "float", low, high) for n in names)


PROBLEMS = {
    p.name: p for p in (
        Problem(
            "branin",
            "x1 ~ uniform(-5, 10)\nx2 ~ uniform(0, 15)\n",
            (Dom("x1", "float", -5, 10), Dom("x2", "float", 0, 15)),
            _branin, 0.397887357729738, "2-D continuous"),
        Problem(
            "hartmann6",
            "".join(f"x{i} ~ uniform(0, 1)\n" for i in range(1, 7)),
            _floats([f"x{i}" for i in range(1, 7)], 0, 1),
            _hartmann6, -3.322368011415514, "6-D continuous"),
        Problem(
            "rosenbrock4",
            "".join(f"x{i} ~ uniform(-2, 2)\n" for i in range(1, 5)),
            _floats([f"x{i}" for i in range(1, 5)], -2, 2),
            _rosenbrock4, 0.0, "4-D continuous"),
        Problem(
            "mixed",
            'kernel in ["rbf", "poly", "linear", "sigmoid"]\n'
            "n in 0..20\n"
            "m: int ~ uniform(-10, 10)\n"
            "x ~ uniform(-2, 2)\n"
            "y ~ uniform(-1, 3)\n",
            (Dom("kernel", "cat", choices=("rbf", "poly", "linear", "sigmoid")),
             Dom("n", "int", 0, 20), Dom("m", "int", -10, 10),
             Dom("x", "float", -2, 2), Dom("y", "float", -1, 3)),
            _mixed, 0.0, "label (4) + 2 integers + 2 floats"),
        Problem(
            "ackley-int",
            "".join(f"k{i} in -10..10\n" for i in range(1, 6)),
            tuple(Dom(f"k{i}", "int", -10, 10) for i in range(1, 6)),
            _ackley_int, 0.0, "5-D integer (21^5 points)"),
    )
}


def check_problems(problems, n=300):
    """The spacedsl text and the peers' domains describe the same space; the optimum is right."""
    import spacedsl

    for p in problems:
        space = spacedsl.parse(p.text, filename=f"<{p.name}>")
        names = tuple(d.name for d in p.doms)
        assert tuple(space.names) == names, f"{p.name}: spacedsl names {space.names} != {names}"
        for config in space.sample(n, seed=0):
            assert set(config) == set(names), (p.name, config)
            for d in p.doms:
                v = config[d.name]
                if d.kind == "cat":
                    assert v in d.choices and isinstance(v, str), (p.name, d, v)
                elif d.kind == "int":
                    assert isinstance(v, int) and not isinstance(v, bool) and d.low <= v <= d.high, (p.name, d, v)
                else:
                    assert isinstance(v, float) and d.low <= v <= d.high, (p.name, d, v)
            assert p.fn(config) >= p.optimum - 1e-9, (p.name, config)


# ---------------------------------------------------------------------------
# Contenders: each runs one (problem, seed) for n evaluations and returns the
# objective values and the proposal times (seconds), objective excluded
# ---------------------------------------------------------------------------


def _now():
    """Wall clock and this process's CPU time (every thread), read together."""
    return time.perf_counter(), time.process_time()


def _span(a, b, which=0):
    """Seconds from reading a to reading b: wall clock (which=0) or CPU time (which=1)."""
    return b[which] - a[which]


class Unavailable(Exception):
    """The contender cannot run here (not installed, or not written yet)."""


def _import_or_unavailable(module, hint):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as exc:
        raise Unavailable(f"{module} not importable ({exc}); {hint}") from None


def _spacedsl_factory(strategy):
    import spacedsl

    if not hasattr(spacedsl, "minimize"):
        raise Unavailable("spacedsl.minimize does not exist yet")
    try:
        from spacedsl import plugins
        return plugins.strategy(strategy)
    except Exception as exc:
        raise Unavailable(f"strategy {strategy!r}: {type(exc).__name__}: {exc}") from None


def run_spacedsl(strategy, problem, seed, n):
    """The loop `spacedsl.minimize` runs (ask(1), evaluate, tell), with the objective outside the clock."""
    import spacedsl

    factory = _spacedsl_factory(strategy)
    space = spacedsl.parse(problem.text)
    t = time.perf_counter()
    proposer = factory(space, seed=seed)
    setup = time.perf_counter() - t
    values, times, cpu = [], [], []
    while len(values) < n:
        t0 = _now()
        configs = proposer.ask(1)
        t1 = _now()
        if not configs:
            raise RuntimeError(f"{strategy} proposed nothing after {len(values)} evaluations")
        config = configs[0]
        space.validate(config)  # untimed: a proposal must be a valid configuration
        y = problem.fn(config)
        t2 = _now()
        proposer.tell(config, y)
        t3 = _now()
        values.append(y)
        times.append(_span(t0, t1) + _span(t2, t3))
        cpu.append(_span(t0, t1, 1) + _span(t2, t3, 1))
    return values, (times, cpu), setup


def _optuna_distributions(problem):
    import optuna

    out = {}
    for d in problem.doms:
        if d.kind == "float":
            out[d.name] = optuna.distributions.FloatDistribution(d.low, d.high)
        elif d.kind == "int":
            out[d.name] = optuna.distributions.IntDistribution(int(d.low), int(d.high))
        else:
            out[d.name] = optuna.distributions.CategoricalDistribution(list(d.choices))
    return out


def _optuna():
    optuna = _import_or_unavailable("optuna", "pip install -r benchmarks/requirements-strategies.txt")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def _make_sampler(kind, seed):
    optuna = _optuna()
    if kind == "gp":
        _import_or_unavailable("torch", "Optuna's GPSampler needs torch (see requirements-strategies.txt)")
        return optuna.samplers.GPSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def run_optuna(kind, problem, seed, n):
    """``study.ask(fixed_distributions)`` samples every parameter inside ask; tell stores the value."""
    optuna = _optuna()
    dists = _optuna_distributions(problem)
    t = time.perf_counter()
    study = optuna.create_study(direction="minimize", sampler=_make_sampler(kind, seed))
    setup = time.perf_counter() - t
    values, times, cpu = [], [], []
    for _ in range(n):
        t0 = _now()
        trial = study.ask(dists)
        t1 = _now()
        y = problem.fn(dict(trial.params))
        t2 = _now()
        study.tell(trial, y)
        t3 = _now()
        values.append(y)
        times.append(_span(t0, t1) + _span(t2, t3))
        cpu.append(_span(t0, t1, 1) + _span(t2, t3, 1))
    return values, (times, cpu), setup


def _skopt_dims(problem):
    from skopt.space import Categorical, Integer, Real

    dims = []
    for d in problem.doms:
        if d.kind == "float":
            dims.append(Real(d.low, d.high, name=d.name))
        elif d.kind == "int":
            dims.append(Integer(int(d.low), int(d.high), name=d.name))
        else:
            dims.append(Categorical(list(d.choices), name=d.name))
    return dims


def _skopt_optimizer(problem, seed):
    """The `Optimizer` that `gp_minimize(acq_func="EI", random_state=seed)` builds, with its defaults."""
    skopt = _import_or_unavailable("skopt", "pip install -r benchmarks/requirements-strategies.txt")
    from sklearn.utils import check_random_state
    from skopt.utils import cook_estimator, normalize_dimensions

    dims = _skopt_dims(problem)
    rng = check_random_state(seed)
    estimator = cook_estimator("GP", space=normalize_dimensions(dims),
                               random_state=rng.randint(0, np.iinfo(np.int32).max), noise="gaussian")
    return skopt.Optimizer(dims, estimator, n_initial_points=10, initial_point_generator="random",
                           acq_func="EI", acq_optimizer="auto", random_state=rng,
                           acq_optimizer_kwargs={"n_points": 10000, "n_restarts_optimizer": 5, "n_jobs": 1},
                           acq_func_kwargs={"xi": 0.01, "kappa": 1.96})


def _skopt_config(problem, x):
    out = {}
    for d, v in zip(problem.doms, x):
        out[d.name] = float(v) if d.kind == "float" else int(v) if d.kind == "int" else str(v)
    return out


def run_skopt(problem, seed, n):
    """skopt's proposal work is in ``tell`` (GP fit, acquisition optimisation); ``ask`` returns it."""
    t = time.perf_counter()
    opt = _skopt_optimizer(problem, seed)
    setup = time.perf_counter() - t
    values, times, cpu = [], [], []
    for _ in range(n):
        t0 = _now()
        x = opt.ask()
        t1 = _now()
        y = problem.fn(_skopt_config(problem, x))
        t2 = _now()
        opt.tell(x, y)
        t3 = _now()
        values.append(y)
        times.append(_span(t0, t1) + _span(t2, t3))
        cpu.append(_span(t0, t1, 1) + _span(t2, t3, 1))
    return values, (times, cpu), setup


def _hyperopt_space(problem):
    from hyperopt import hp

    space = {}
    for d in problem.doms:
        if d.kind == "float":
            space[d.name] = hp.uniform(d.name, d.low, d.high)
        elif d.kind == "int":
            space[d.name] = hp.uniformint(d.name, int(d.low), int(d.high))
        else:
            space[d.name] = hp.choice(d.name, list(d.choices))
    return space


def run_hyperopt(problem, seed, n):
    """``fmin`` owns the loop: a proposal's time is the gap between two objective calls."""
    hyperopt = _import_or_unavailable("hyperopt", "pip install -r benchmarks/requirements-strategies.txt")
    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    space = _hyperopt_space(problem)
    values, enter, leave = [], [], []

    def objective(params):
        enter.append(_now())
        config = {}
        for d in problem.doms:
            v = params[d.name]
            config[d.name] = float(v) if d.kind == "float" else int(round(v)) if d.kind == "int" else str(v)
            if d.kind == "int":
                assert abs(v - round(v)) < 1e-9 and d.low <= round(v) <= d.high, (d, v)
        y = problem.fn(config)
        values.append(y)
        leave.append(_now())
        return y

    start = _now()
    hyperopt.fmin(objective, space, algo=hyperopt.tpe.suggest, max_evals=n, trials=hyperopt.Trials(),
                  rstate=np.random.default_rng(seed), show_progressbar=False, verbose=False)
    gaps = list(zip([start] + leave[:-1], enter))
    return values, ([_span(a, b) for a, b in gaps], [_span(a, b, 1) for a, b in gaps]), 0.0


CONTENDERS = {
    # name: (label, runner(problem, seed, n))
    "gp-ei": ("spacedsl gp-ei", lambda p, s, n: run_spacedsl("gp-ei", p, s, n)),
    "sobol": ("spacedsl sobol", lambda p, s, n: run_spacedsl("sobol", p, s, n)),
    "random": ("spacedsl random", lambda p, s, n: run_spacedsl("random", p, s, n)),
    "optuna-gp": ("Optuna GPSampler", lambda p, s, n: run_optuna("gp", p, s, n)),
    "skopt": ("skopt gp_minimize (EI)", run_skopt),
    "optuna-tpe": ("Optuna TPESampler", lambda p, s, n: run_optuna("tpe", p, s, n)),
    "hyperopt-tpe": ("Hyperopt TPE", run_hyperopt),
}


def run_cell(name, problem, seeds, n, log):
    """Every seed of one contender on one problem; failures are recorded, never raised."""
    runner = CONTENDERS[name][1]
    cell = {"status": "ok", "error": None, "runs": []}
    t_cell = time.perf_counter()
    for seed in seeds:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # skopt's "evaluated at point before", Optuna's experimental notes
                values, (times, cpu), setup = runner(problem, seed, n)
        except Unavailable as exc:
            cell.update(status="unavailable", error=str(exc))
            break
        except Exception as exc:  # one failing contender must not end the run
            error = f"{type(exc).__name__}: {exc}"
            first = all(r.get("error") != error for r in cell["runs"])
            cell["runs"].append({"seed": seed, "error": error})
            log(f"    {name} {problem.name} seed {seed}: {error}"
                + ("\n" + "".join("      " + line for line in traceback.format_exc().splitlines(True)[-8:])
                   if first else " (as above)"))
            continue
        if len(values) != n or not all(math.isfinite(v) for v in values):
            cell["runs"].append({"seed": seed, "error": f"{len(values)} values, expected {n} finite ones"})
            continue
        cell["runs"].append({"seed": seed, "values": values, "times": times, "cpu": cpu, "setup": setup})
    good = [r for r in cell["runs"] if "values" in r]
    if cell["status"] == "ok" and len(good) < len(cell["runs"]):
        cell["status"] = "error" if not good else "partial"
        cell["error"] = next(r["error"] for r in cell["runs"] if "error" in r)
    log(f"  {problem.name:12s} {name:13s} {cell['status']:11s} {time.perf_counter() - t_cell:7.1f} s"
        + (f"  ({cell['error']})" if cell["error"] else ""))
    return cell


# ---------------------------------------------------------------------------
# Time per proposal after N observations (Hartmann6)
# ---------------------------------------------------------------------------

SCALE_CONTENDERS = ("gp-ei", "optuna-gp", "skopt")


def _scale_data(problem, n, seed):
    rng = np.random.default_rng(1000 + seed)
    configs = []
    for _ in range(n):
        configs.append({d.name: float(rng.uniform(d.low, d.high)) for d in problem.doms})
    return configs, [problem.fn(c) for c in configs]


def scale_one(name, problem, n, seed):
    """(wall, CPU) seconds from telling the n-th observation to holding the next proposal."""
    configs, ys = _scale_data(problem, n, seed)
    if name == "gp-ei":
        import spacedsl

        factory = _spacedsl_factory(name)
        proposer = factory(spacedsl.parse(problem.text), seed=seed)
        for c, y in zip(configs[:-1], ys[:-1]):
            proposer.tell(c, y)
        t0 = _now()
        proposer.tell(configs[-1], ys[-1])
        out = proposer.ask(1)
        t1 = _now()
        assert len(out) == 1
        return _span(t0, t1), _span(t0, t1, 1)
    if name == "optuna-gp":
        optuna = _optuna()
        dists = _optuna_distributions(problem)
        study = optuna.create_study(direction="minimize", sampler=_make_sampler("gp", seed))
        trials = [optuna.trial.create_trial(params=c, distributions=dists, value=y) for c, y in zip(configs, ys)]
        study.add_trials(trials[:-1])
        t0 = _now()
        study.add_trial(trials[-1])
        study.ask(dists)
        t1 = _now()
        return _span(t0, t1), _span(t0, t1, 1)
    if name == "skopt":
        opt = _skopt_optimizer(problem, seed)
        xs = [[c[d.name] for d in problem.doms] for c in configs]
        opt.tell(xs[:-1], ys[:-1])  # one fit for the first n - 1
        t0 = _now()
        opt.tell(xs[-1], ys[-1])
        opt.ask()
        t1 = _now()
        return _span(t0, t1), _span(t0, t1, 1)
    raise AssertionError(name)


def run_scale(names, problem, sizes, repeats, log):
    out = {}
    for name in names:
        out[name] = {}
        for n in sizes:
            times, cpu, error = [], [], None
            t_cell = time.perf_counter()
            for seed in range(repeats):
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        wall, used = scale_one(name, problem, n, seed)
                    times.append(wall)
                    cpu.append(used)
                except Unavailable as exc:
                    error = f"unavailable: {exc}"
                    break
                except Exception as exc:
                    error = f"{type(exc).__name__}: {exc}"
                    break
            out[name][str(n)] = {"times": times, "cpu": cpu, "error": error}
            log(f"  scale {name:13s} N={n:<4d} {time.perf_counter() - t_cell:7.1f} s"
                + (f"  ({error})" if error else ""))
    return out


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def fmt_regret(x):
    if x is None:
        return "—"
    if x == 0:
        return "0"
    if abs(x) < 0.01:
        return f"{x:.1e}".replace("e-0", "e-")
    if abs(x) >= 100:
        return f"{x:.0f}"
    return f"{x:.2g}"


def fmt_time(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(a, b):
    if a is None or b is None:
        return "—"
    if b == 0:
        return "0/0" if a == 0 else "∞"
    return f"{a / b:.2g}"


def regret_at(cell, optimum, k):
    """Median over seeds of (best of the first k values) - optimum."""
    runs = [r for r in cell.get("runs", []) if "values" in r and len(r["values"]) >= k]
    if not runs:
        return None
    return statistics.median(min(r["values"][:k]) - optimum for r in runs)


def ask_time(cell, last=None, key="times"):
    """Median over every ask of every seed (or the last `last` asks of each): wall clock, or key="cpu"."""
    runs = [r for r in cell.get("runs", []) if key in r]
    pool = [t for r in runs for t in (r[key][-last:] if last else r[key])]
    return statistics.median(pool) if pool else None


def _cell_status(cell):
    if cell is None:
        return "not run"
    if cell["status"] in ("unavailable", "error"):
        return cell["status"]
    return None


def _mark(cell, text):
    """Flag a partial cell with how many seeds completed."""
    if cell and cell["status"] == "partial":
        good = sum("values" in r for r in cell["runs"])
        return f"{text} ({good}/{len(cell['runs'])})"
    return text


def print_tables(data, out=print):
    results, meta = data["results"], data["meta"]
    problems = [p for p in meta["problems"] if p in results]
    names = [c for c in CONTENDERS if any(c in results[p] for p in problems)]
    n_evals = meta["evals"]
    checkpoints = [k for k in meta["checkpoints"] if k <= n_evals]
    label = {c: CONTENDERS[c][0] for c in CONTENDERS}

    def cell_text(p, c, value_fn, fmt):
        cell = results[p].get(c)
        status = _cell_status(cell)
        if status:
            return status
        return _mark(cell, fmt(value_fn(cell)))

    out(f"### Median simple regret after {n_evals} evaluations ({meta['n_seeds']} seeds)")
    out("")
    out("| problem | " + " | ".join(label[c] for c in names) + " |")
    out("|---|" + "---:|" * len(names))
    for p in problems:
        opt = PROBLEMS[p].optimum if p in PROBLEMS else meta["optima"][p]
        out(f"| {p} | " + " | ".join(cell_text(p, c, lambda cl: regret_at(cl, opt, n_evals), fmt_regret)
                                     for c in names) + " |")
    out("")
    out("### Median time per ask (ask + tell, objective excluded; all asks of all seeds)")
    out("")
    out("| problem | " + " | ".join(label[c] for c in names) + " |")
    out("|---|" + "---:|" * len(names))
    for p in problems:
        out(f"| {p} | " + " | ".join(cell_text(p, c, ask_time, fmt_time) for c in names) + " |")
    out("")
    out("### Median CPU time per ask (process CPU time, all threads; the same asks)")
    out("")
    out("| problem | " + " | ".join(label[c] for c in names) + " |")
    out("|---|" + "---:|" * len(names))
    for p in problems:
        out(f"| {p} | " + " | ".join(cell_text(p, c, lambda cl: ask_time(cl, key="cpu"), fmt_time)
                                     for c in names) + " |")
    out("")
    out("### Per problem: median regret at each checkpoint; median time per ask (all asks, last 10 asks, "
        "CPU time of all asks)")
    for p in problems:
        opt = PROBLEMS[p].optimum if p in PROBLEMS else meta["optima"][p]
        out("")
        out(f"**{p}** ({meta['about'].get(p, '')}; optimum {opt!r})")
        out("")
        out("| contender | " + " | ".join(f"@{k}" for k in checkpoints) + " | ask | ask, last 10 | ask, CPU |")
        out("|---|" + "---:|" * (len(checkpoints) + 3))
        for c in names:
            cell = results[p].get(c)
            status = _cell_status(cell)
            if status:
                out(f"| {label[c]} | " + " | ".join([status] * (len(checkpoints) + 3)) + " |")
                continue
            cells = [fmt_regret(regret_at(cell, opt, k)) for k in checkpoints]
            cells += [fmt_time(ask_time(cell)), fmt_time(ask_time(cell, last=10)),
                      fmt_time(ask_time(cell, key="cpu"))]
            out(f"| {_mark(cell, label[c])} | " + " | ".join(cells) + " |")

    # ratios of gp-ei against the two GP peers
    if "gp-ei" in names:
        peers = [c for c in ("optuna-gp", "skopt") if c in names]
        if peers:
            out("")
            out("### spacedsl gp-ei against the GP peers (ratio of medians; < 1: gp-ei is lower)")
            out("")
            head = []
            for c in peers:
                head += [f"regret @{n_evals} / {label[c]}", f"time per ask / {label[c]}"]
            out("| problem | " + " | ".join(head) + " |")
            out("|---|" + "---:|" * len(head))
            for p in problems:
                opt = PROBLEMS[p].optimum if p in PROBLEMS else meta["optima"][p]
                ours = results[p].get("gp-ei")
                row = []
                for c in peers:
                    theirs = results[p].get(c)
                    if _cell_status(ours) or _cell_status(theirs):
                        row += ["—", "—"]
                        continue
                    row.append(fmt_ratio(regret_at(ours, opt, n_evals), regret_at(theirs, opt, n_evals)))
                    row.append(fmt_ratio(ask_time(ours), ask_time(theirs)))
                out(f"| {p} | " + " | ".join(row) + " |")

    scale = data.get("scale")
    if scale:
        sizes = sorted({int(n) for v in scale.values() for n in v})
        out("")
        reps = sorted({len(e["times"]) for v in scale.values() for e in v.values() if e["times"]})
        out(f"### Time per proposal after N observations ({meta.get('scale_problem', 'hartmann6')}: "
            f"tell the N-th random observation, then ask; median of {'/'.join(map(str, reps))} repeats)")
        out("")
        out("| contender | " + " | ".join(f"N = {n}" for n in sizes) + " |")
        out("|---|" + "---:|" * len(sizes))
        for c in [c for c in CONTENDERS if c in scale]:
            row = []
            for n in sizes:
                e = scale[c].get(str(n))
                if e is None:
                    row.append("—")
                elif e["error"]:
                    row.append("unavailable" if e["error"].startswith("unavailable") else "error")
                else:
                    cpu = f" (CPU {fmt_time(statistics.median(e['cpu']))})" if e.get("cpu") else ""
                    row.append(fmt_time(statistics.median(e["times"])) + cpu)
            out(f"| {label[c]} | " + " | ".join(row) + " |")

    goals = goal_rows(data)
    if goals:
        out("")
        out("### Goals of issue 3")
        out("")
        out("| goal | spacedsl gp-ei | reference | met? |")
        out("|---|---:|---:|:---:|")
        for row in goals:
            out("| " + " | ".join(row) + " |")

    errors = [(p, c, results[p][c]["error"]) for p in problems for c in names
              if c in results[p] and results[p][c]["error"]]
    errors += [("scale", c, e["error"]) for c, v in (scale or {}).items() for e in v.values() if e["error"]]
    if errors:
        out("")
        out("Not run or failed:")
        seen = set()
        for p, c, e in errors:
            if (c, e) in seen:
                continue
            seen.add((c, e))
            out(f"- {label[c]} ({p}{', ...' if p != 'scale' else ''}): {e}")

    out("")
    out(f"{meta['n_seeds']} seeds x {n_evals} evaluations{' (--quick)' if meta.get('quick') else ''}. "
        "Every contender ran with one thread: OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS "
        "set to 1 before numpy was imported, and torch.set_num_threads(1).")
    runs = meta["runs"]
    for i, run in enumerate(runs):
        threads = run["threads"]
        pinned = ", ".join(f"{v}={threads.get(v)}" for v in _THREAD_VARS)
        who = ", ".join(run["contenders"]) or "none"
        out("")
        out((f"Run {i + 1} of {len(runs)} " if len(runs) > 1 else "Run ")
            + f"({run['date']}; contenders: {who}): {pinned}; torch threads {threads.get('torch', '—')}; "
            f"BLAS pools (threadpoolctl): {threads.get('threadpoolctl', '—')}; {run['machine']}"
            + (f"; load average before/after {run['load_before'][0]}/{run['load_after'][0]}"
               if run.get("load_before") and run.get("load_after") else "")
            + (f"; {run['seconds']:.0f} s" if run.get("seconds") else "") + "; "
            + ", ".join(f"{k} {v}" for k, v in run["versions"].items()) + ".")


def goal_rows(data):
    """The goals of issue 3, checked against this run (when gp-ei and the peers are in it)."""
    results, meta = data["results"], data["meta"]
    n = meta["evals"]
    rows = []

    def reg(p, c):
        cell = results.get(p, {}).get(c)
        if cell is None or _cell_status(cell):
            return None
        opt = PROBLEMS[p].optimum if p in PROBLEMS else meta["optima"][p]
        return regret_at(cell, opt, n)

    for p in ("branin", "hartmann6"):
        a, b = reg(p, "gp-ei"), reg(p, "optuna-gp")
        if a is not None and b is not None:
            rows.append([f"{p}: regret @{n} <= Optuna GPSampler's", fmt_regret(a), fmt_regret(b),
                         "yes" if a <= b else f"**no** ({fmt_ratio(a, b)}x)"])
    for p in meta["problems"]:
        a, b = reg(p, "gp-ei"), reg(p, "skopt")
        if a is not None and b is not None:
            met = a < b or (a == 0 and b == 0)
            rows.append([f"{p}: regret @{n} < skopt's", fmt_regret(a), fmt_regret(b),
                         ("yes" if a < b else "tie at 0") if met else f"**no** ({fmt_ratio(a, b)}x)"])
    scale = data.get("scale") or {}

    def st(c, size, key="times"):
        e = scale.get(c, {}).get(str(size))
        return statistics.median(e[key]) if e and not e["error"] and e.get(key) else None

    def both(wall, cpu):
        return fmt_time(wall) + (f" (CPU {fmt_time(cpu)})" if cpu is not None else "")

    a, b = st("gp-ei", 50), st("optuna-gp", 50)
    if a is not None and b is not None:
        rows.append(["time per proposal after N = 50 random observations, Hartmann6: <= 1/2 of GPSampler's",
                     both(a, st("gp-ei", 50, "cpu")), both(b, st("optuna-gp", 50, "cpu")),
                     "yes" if a <= b / 2 else f"**no** ({a / b:.2f}x)"])
    ours, theirs = results.get("hartmann6", {}).get("gp-ei"), results.get("hartmann6", {}).get("optuna-gp")
    if ours and theirs and not _cell_status(ours) and not _cell_status(theirs) and n >= 20:
        a, b = ask_time(ours, last=10), ask_time(theirs, last=10)
        rows.append([f"time per ask, asks {n - 9}-{n} of the Hartmann6 runs ({n - 10}-{n - 1} observations): "
                     "<= 1/2 of GPSampler's", both(a, ask_time(ours, last=10, key="cpu")),
                     both(b, ask_time(theirs, last=10, key="cpu")),
                     "yes" if a <= b / 2 else f"**no** ({a / b:.2f}x)"])
    a = st("gp-ei", 300)
    if a is not None:
        rows.append(["time per proposal at N = 300, 6-D: < 1 s", both(a, st("gp-ei", 300, "cpu")), "1 s",
                     "yes" if a < 1 else f"**no** ({a:.2f} s)"])
    return rows


# ---------------------------------------------------------------------------


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _threads_info():
    info = {v: os.environ.get(v) for v in _THREAD_VARS}
    try:
        import torch
        torch.set_num_threads(1)
        info["torch"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = "not installed"
    try:
        import threadpoolctl
        pools = threadpoolctl.threadpool_info()
        info["threadpoolctl"] = ", ".join(sorted({f"{p['internal_api']} {p['num_threads']}" for p in pools})) or "none"
    except ImportError:
        info["threadpoolctl"] = "not installed"
    return info


def _merge(into, other):
    """Merge raw results `other` into `into`: cells and scale entries of `other` win."""
    for p, cells in other["results"].items():
        into["results"].setdefault(p, {}).update(cells)
    for c, v in (other.get("scale") or {}).items():
        into.setdefault("scale", {}).setdefault(c, {}).update(v)
    for p in other["meta"]["problems"]:
        if p not in into["meta"]["problems"]:
            into["meta"]["problems"].append(p)
    into["meta"]["about"].update(other["meta"].get("about", {}))
    into["meta"]["optima"].update(other["meta"].get("optima", {}))
    m = other["meta"]
    if "runs" not in m:  # files written before runs were recorded one by one
        m["runs"] = [{"contenders": sorted({c for cells in other["results"].values() for c in cells}),
                      "problems": m["problems"], "date": m.get("date", "?"), "argv": m.get("argv", []),
                      "versions": m.get("versions", {}), "threads": m.get("threads", {}),
                      "machine": m.get("machine", "?")}]
    into["meta"]["runs"].extend(m["runs"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 seeds x 20 evaluations, one repeat of the N-scan")
    ap.add_argument("--seeds", type=int, help="number of seeds, 0..n-1 (default 10; --quick: 3)")
    ap.add_argument("--evals", type=int, help="evaluations per run (default 50; --quick: 20)")
    ap.add_argument("--checkpoints", default="10,20,30,50", help="regret reported after these many evaluations")
    ap.add_argument("--only", help="comma-separated contenders to run (default all): " + ", ".join(CONTENDERS)
                    + "; 'none' runs nothing (with --load: only print)")
    ap.add_argument("--problems", help="comma-separated problems (default all): " + ", ".join(PROBLEMS))
    ap.add_argument("--scale", default="50,300",
                    help="N for the time-per-proposal-after-N-observations table (Hartmann6), or 'none'")
    ap.add_argument("--scale-repeats", type=int, help="repeats of each N (default 5; --quick: 1)")
    ap.add_argument("--json", metavar="FILE", help="write the raw results (every value and time) to FILE")
    ap.add_argument("--load", metavar="FILE", action="append", default=[],
                    help="start from the raw results of an earlier run (repeatable); cells run now replace them")
    ap.add_argument("--verify", action="store_true",
                    help="also check that the unrolled skopt loop equals gp_minimize, and the spacedsl loop "
                         "equals spacedsl.minimize, on one seed of Branin")
    ap.add_argument("--show-spaces", action="store_true", help="print every problem's spacedsl text and exit")
    args = ap.parse_args(argv)

    if args.show_spaces:
        for p in PROBLEMS.values():
            print(f"# {p.name}: {p.about}; optimum {p.optimum!r}\n{p.text}")
        return 0

    n_seeds = args.seeds if args.seeds is not None else (3 if args.quick else 10)
    n_evals = args.evals if args.evals is not None else (20 if args.quick else 50)
    repeats = args.scale_repeats if args.scale_repeats is not None else (1 if args.quick else 5)
    checkpoints = sorted({int(k) for k in args.checkpoints.split(",") if k.strip()} | {n_evals})
    names = list(CONTENDERS) if args.only is None else [c.strip() for c in args.only.split(",") if c.strip()]
    names = [] if names == ["none"] else names
    problem_names = list(PROBLEMS) if args.problems is None else [p.strip() for p in args.problems.split(",")]
    for c in names:
        if c not in CONTENDERS:
            ap.error(f"unknown contender {c!r}; known: {', '.join(CONTENDERS)}")
    for p in problem_names:
        if p not in PROBLEMS:
            ap.error(f"unknown problem {p!r}; known: {', '.join(PROBLEMS)}")
    sizes = [] if args.scale.strip() == "none" else [int(n) for n in args.scale.split(",") if n.strip()]

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    loaded = []
    for path in args.load:
        with open(path, encoding="utf-8") as fh:
            loaded.append(json.load(fh))
    if loaded and (args.seeds is None and args.evals is None and not args.quick):
        n_seeds, n_evals = loaded[0]["meta"]["n_seeds"], loaded[0]["meta"]["evals"]
        checkpoints = loaded[0]["meta"]["checkpoints"]
    for d in loaded:
        if (d["meta"]["n_seeds"], d["meta"]["evals"]) != (n_seeds, n_evals):
            ap.error(f"--load: a file has {d['meta']['n_seeds']} seeds x {d['meta']['evals']} evaluations, "
                     f"this run {n_seeds} x {n_evals}")

    problems = [PROBLEMS[p] for p in problem_names]
    if names:
        check_problems(problems)
    threads = _threads_info() if names else {}

    import scipy
    versions = {"Python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__}
    for dist in ("spacedsl", "scikit-learn", "optuna", "torch", "greenlet", "scikit-optimize", "hyperopt"):
        versions[dist] = _version(dist)
    meta = {
        "n_seeds": n_seeds, "evals": n_evals, "checkpoints": checkpoints, "quick": args.quick,
        "problems": problem_names, "about": {p.name: p.about for p in problems},
        "optima": {p.name: p.optimum for p in problems}, "scale_problem": "hartmann6",
        # every run whose results are in this file: what ran, when, where, with which versions
        "runs": [],
    }
    data = {"meta": meta, "results": {p: {} for p in problem_names}, "scale": {}}
    for d in loaded:  # a later file's cells replace an earlier one's; this run's replace them all
        _merge(data, d)
    if names:
        load_before = _load()
        if load_before and load_before[0] > 1.0:
            log(f"note: the machine is busy before the run (load average {load_before[0]:.2f}); "
                "times will be inflated")
        meta["runs"].append({"load_before": load_before,
            "contenders": names, "problems": problem_names, "date": time.strftime("%Y-%m-%d %H:%M"),
            "argv": sys.argv[1:] if argv is None else list(argv), "versions": versions, "threads": threads,
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}"})

    if args.verify:
        verify(log)

    seeds = list(range(n_seeds))
    t_all = time.perf_counter()
    if names:
        log(f"{len(names)} contenders x {len(problems)} problems x {n_seeds} seeds x {n_evals} evaluations")
    for p in problems:
        for c in names:
            data["results"][p.name][c] = run_cell(c, p, seeds, n_evals, log)
            if args.json:  # keep what is done so far, in case the run is interrupted
                _write_json(args.json, data)
    scale_names = [c for c in SCALE_CONTENDERS if c in names]
    if sizes and scale_names:
        data["scale"].update(run_scale(scale_names, PROBLEMS["hartmann6"], sizes, repeats, log))
    if names:
        meta["runs"][-1]["load_after"] = _load()
        meta["runs"][-1]["seconds"] = round(time.perf_counter() - t_all, 1)
        log(f"done in {time.perf_counter() - t_all:.0f} s")
    if args.json:
        _write_json(args.json, data)
    print_tables(data)
    return 0


def _load():
    """The 1, 5 and 15-minute load averages (another process on the machine inflates every time)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _write_json(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def verify(log):
    """The unrolled loops propose what the libraries' own drivers do (Branin, seed 0, 15 evaluations)."""
    p = PROBLEMS["branin"]
    n = 15
    try:
        import skopt
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = skopt.gp_minimize(lambda x: p.fn(_skopt_config(p, x)), _skopt_dims(p), acq_func="EI",
                                    n_calls=n, random_state=0)
            ours, _, _ = run_skopt(p, 0, n)
        same = np.allclose(res.func_vals, ours, rtol=1e-9, atol=1e-12)
        log(f"verify: unrolled skopt loop {'equals' if same else 'DIFFERS FROM'} gp_minimize on {n} evaluations")
    except ImportError:
        log("verify: skopt not installed")
    try:
        import spacedsl
        for strategy in ("gp-ei", "sobol", "random"):
            res = spacedsl.minimize(p.fn, p.text, strategy=strategy, n_trials=n, seed=0)
            ours, _, _ = run_spacedsl(strategy, p, 0, n)
            same = [t.value for t in res.trials] == ours
            log(f"verify: spacedsl {strategy} loop {'equals' if same else 'DIFFERS FROM'} spacedsl.minimize")
    except (Unavailable, AttributeError, Exception) as exc:
        log(f"verify: spacedsl: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
