"""``spacedsl.minimize``: black-box minimisation of a Python function over a space."""

from __future__ import annotations

import contextlib
import math
import time

import attrs
import numpy as np

from . import plugins
from .driver import MAX_SKIPS
from .space import as_space
from .trials import COMPLETE


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
             trial_timeout=None, batch_size=None, callback=None):
    """Minimise ``fn(config) -> float`` over ``space`` (a `Space` or space text).

    Each configuration is a dict of active parameters and constants. A call that
    raises, or returns NaN or an infinity, is recorded as a failed trial with its
    error and the search goes on. The search stops after ``n_trials`` trials, or
    earlier when the strategy has nothing left to propose (a finished grid).
    Same seed, same trials (with ``n_jobs=1``; see `spacedsl.driver` for parallel runs).

    With ``storage`` (a path to a SQLite file, see `spacedsl.store`), every trial is
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
    ``batch_size`` asks the strategy in lock-step batches (see `spacedsl.driver`).
    ``callback(trial)`` is called as each trial finishes.
    """
    from .driver import Workers, run_trials
    from .search import _positive_int, batch_size_for, default_study, positive_number

    space = as_space(space)
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    timeout = positive_number("timeout", timeout)
    trial_timeout = positive_number("trial_timeout", trial_timeout)
    batch_size = None if batch_size is None else _positive_int("batch_size", batch_size)
    factory = plugins.strategy(strategy)
    workers = Workers(n_jobs, executor)
    with _opened(storage) as store:
        earlier = 0
        if store is not None:
            study = default_study(space) if study is None else study
            store.create_or_load_study(study, space, strategy, new_study=new_study)
            earlier = len(store.trials(study))
            seed = resumed_seed(seed, strategy, earlier)
        proposer = factory(space, seed=seed, **(strategy_options or {}))
        run = run_trials(proposer, Objective(fn), n_trials, workers=workers,
                         ask_size=batch_size_for(strategy, proposer, n_trials), batch_size=batch_size, store=store, study=study, seed=seed, timeout=timeout, trial_timeout=trial_timeout,
                         max_skips=math.inf if strategy == "grid" else MAX_SKIPS, callback=callback)
    trials = run.trials
    complete = [t for t in trials if t.state == COMPLETE]
    if not complete:
        first = trials[0].error if trials else "the strategy proposed nothing"
        raise RuntimeError(f"every trial failed ({len(trials)} of them); the first error: {first}")
    best = min(complete, key=lambda t: t.value)
    return MinimizeResult(best.params, best.value, trials)


@contextlib.contextmanager
def _opened(storage):
    """The `Store` at ``storage`` (closed afterwards), or None."""
    if storage is None:
        yield None
        return
    from .store import Store
    with Store(storage) as store:
        yield store


def resumed_seed(seed, strategy, earlier):
    """The seed of a run that resumes a study holding ``earlier`` trials: a fresh stream derived from
    ``seed``, so it does not replay the first run's draws (a grid keeps its order and skips what is done)."""
    if earlier and strategy != "grid" and isinstance(seed, int) and not isinstance(seed, bool):
        return int(np.random.SeedSequence([seed, earlier]).generate_state(1)[0])
    return seed


class Objective:
    """The task of `minimize`: ``fn(config)`` as a float loss, in an `Outcome` (picklable if fn is)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, config):
        from .driver import Outcome
        start = time.perf_counter()
        value = float(self.fn(config))
        if not math.isfinite(value):
            raise ValueError(f"the objective returned {value}")
        return Outcome(value, None, time.perf_counter() - start)
