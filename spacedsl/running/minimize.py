"""``spacedsl.minimize``: black-box minimisation of a Python function over a space."""

from __future__ import annotations

import inspect
import math
import time

import attrs

from ..space import as_space
from ..storage.trials import best_candidates
from .loop import run_study
from .objects import resolve, substitute
from .workers import Outcome


@attrs.frozen
class MinimizeResult:
    """What `minimize` found.

    Attributes:
        best_params: The configuration with the lowest loss.
        best_value: Its loss.
        trials: Every trial, in order.
    """

    best_params: dict = attrs.field(hash=False)
    best_value: float
    trials: tuple = attrs.field(converter=tuple)


def minimize(fn, space, strategy="gp-ei", n_trials=50, seed=0, strategy_options=None,
             storage=None, study=None, new_study=False, n_jobs=1, executor=None, timeout=None,
             trial_timeout=None, batch_size=None, callback=None, objects=None, prune=None):
    """Minimise ``fn(config) -> float`` over ``space`` (a `Space` or space text).

    Each configuration is a dict of active parameters and constants. A call that
    raises, or returns NaN or an infinity, is recorded as a failed trial with its
    error and the search goes on. The search stops after ``n_trials`` trials, or
    earlier when the strategy has nothing left to propose (a finished grid).
    Same seed, same trials (with ``n_jobs=1``; see `spacedsl.running.loop` for parallel runs).

    With ``storage`` (a path to a SQLite file, or a `spacedsl.storage.Storage`), every trial is
    recorded in the study ``study`` when it starts and when it ends (default: the
    space file's name without its suffix, or ``"default"`` for space text), and
    running the same call again resumes: the trials already there are told to the
    strategy first, trials cut short by Ctrl-C or a dead process are run again,
    ``n_trials`` counts every trial already finished, and configurations already
    complete are not evaluated again (a grid skips them). The result then includes the
    earlier trials. A different space or strategy under the same study name raises
    `spacedsl.StoreError`; pass another ``study`` name, or ``new_study=True`` to
    replace the study and drop its trials. Each trial records the seed its run used (a
    resumed run, except a grid, draws from a seed derived from ``seed`` and the number
    of trials already there, so it does not replay the first run).

    ``n_jobs`` runs trials in that many local worker processes (-1: every core);
    ``executor`` runs them on a ``concurrent.futures.Executor`` or a
    ``dask.distributed.Client`` (``fn`` must then pickle; cloudpickle, which both loky
    and Dask use, handles lambdas and closures). ``timeout`` stops starting trials
    after that many seconds; ``trial_timeout`` fails a trial that runs longer.
    ``batch_size`` asks the strategy in lock-step batches (see `spacedsl.running.loop`).
    ``callback(trial)`` is called as each trial finishes.

    ``objects`` says what the space's named objects (``@name``) stand for: a mapping, a callable
    ``rule(name)``, or None for `spacedsl.ImportRule`; ``fn`` receives the objects, while trials
    and the result keep the names (see `spacedsl.running.objects`).

    Stopping early: a ``fn`` with a second required positional parameter (or a second one named
    ``report``) is called ``fn(config, report)``;
    ``report(step, value) -> bool`` records an intermediate loss, and True means stop now (the
    trial ends ``pruned`` with that loss and step, whatever ``fn`` then returns or raises).
    ``report.max_step`` is where a budgeted strategy (``sha``, ``hyperband``) wants the trial to
    stop. ``prune`` (``"median"``, ``"percentile:25"`` or a pruner object) stops trials whose
    intermediate losses are worse than the other trials' at the same step, on top of any strategy.
    Pruned trials count toward ``n_trials`` and are never run again; the best is the best complete
    trial (or, when none completed, the best of those that got furthest).
    """

    space = as_space(space)
    resolved = resolve(space, objects)
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    run = run_study(strategy, space, Objective(fn, resolved), n_trials, seed=seed, strategy_options=strategy_options,
                    storage=storage, study=study, new_study=new_study, n_jobs=n_jobs, executor=executor,
                    batch_size=batch_size, timeout=timeout, trial_timeout=trial_timeout, callback=callback,
                    pruner=prune)
    trials = run.trials
    candidates = best_candidates(trials)
    if not candidates:
        first = trials[0].error if trials else "the strategy proposed nothing"
        raise RuntimeError(f"every trial failed ({len(trials)} of them); the first error: {first}")
    best = min(candidates, key=lambda t: t.value)
    return MinimizeResult(best.params, best.value, trials)


def takes_report(fn):
    """Whether ``fn`` is called ``fn(config, report)``: its second positional parameter is required,
    or named ``report`` (``def f(config, scale=1.0)`` and ``def f(*args)`` get ``fn(config)``)."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: one argument
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 and (positional[1].default is positional[1].empty or positional[1].name == "report")


class Objective:
    """The task of `minimize`: ``fn(config)`` as a float loss, in an `Outcome` (picklable if fn is)."""

    def __init__(self, fn, resolved=None):
        self.fn = fn
        self.resolved = resolved or {}
        self.reports = takes_report(fn)

    def __call__(self, config, report=None):
        start = time.perf_counter()
        config = substitute(config, self.resolved)
        result = self.fn(config, report) if self.reports else self.fn(config)
        if report is not None and report.stopped:  # pruned: the loop keeps the last report
            return Outcome(None, None, time.perf_counter() - start)
        value = float(result)
        if not math.isfinite(value):
            raise ValueError(f"the objective returned {value}")
        return Outcome(value, None, time.perf_counter() - start)
