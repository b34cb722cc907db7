"""``spacedsl.minimize``: black-box minimisation of a Python function over a space."""

from __future__ import annotations

import contextlib
import math
import time

import attrs
import numpy as np

from . import plugins
from .space import as_space
from .trials import COMPLETE, FAILED, Trial


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
             storage=None, study=None, new_study=False):
    """Minimise ``fn(config) -> float`` over ``space`` (a `Space` or space text).

    Each configuration is a dict of active parameters and constants. A call that
    raises, or returns NaN or an infinity, is recorded as a failed trial with its
    error and the search goes on. The search stops after ``n_trials`` trials, or
    earlier when the strategy has nothing left to propose (a finished grid).
    Same seed, same trials.

    With ``storage`` (a path to a SQLite file, see `spacedsl.store`), every trial is
    recorded in the study ``study`` (default ``"default"``) when it starts and when it
    ends, and running the same call again resumes: the complete trials already there
    are told to the strategy first, ``n_trials`` counts every trial already recorded,
    and configurations already complete are not evaluated again (a grid skips them).
    The result then includes the earlier trials. A different space or strategy under the
    same study name raises `spacedsl.StoreError`; pass another ``study`` name, or
    ``new_study=True`` to replace the study and drop its trials. Each trial records the
    seed its run used (a resumed run, except a grid, draws from a seed derived from
    ``seed`` and the number of trials already there, so it does not replay the first run).
    """
    space = as_space(space)
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    factory = plugins.strategy(strategy)
    if storage is None:
        proposer = factory(space, seed=seed, **(strategy_options or {}))
        trials = []
        while len(trials) < n_trials:
            configs = proposer.ask(1)
            if not configs:
                break
            for config in configs[: n_trials - len(trials)]:
                trial = _evaluate(fn, config, len(trials))
                proposer.tell(config, trial.value)
                trials.append(trial)
    else:
        trials = _minimize_stored(fn, space, factory, strategy, n_trials, seed, strategy_options,
                                  storage, "default" if study is None else study, new_study)
    complete = [t for t in trials if t.state == COMPLETE]
    if not complete:
        first = trials[0].error if trials else "the strategy proposed nothing"
        raise RuntimeError(f"every trial failed ({len(trials)} of them); the first error: {first}")
    best = min(complete, key=lambda t: t.value)
    return MinimizeResult(best.params, best.value, trials)


MAX_SKIPS = 100  # proposals in a row repeating a complete configuration before one is evaluated anyway


def _minimize_stored(fn, space, factory, strategy, n_trials, seed, strategy_options, storage, study,
                     new_study):
    from .store import Store
    from .strategy import config_key

    with Store(storage) as store:
        store.create_or_load_study(study, space, strategy, new_study=new_study)
        earlier = store.trials(study)
        done = {config_key(t.params) for t in earlier if t.state == COMPLETE}
        if earlier and strategy != "grid" and isinstance(seed, int) and not isinstance(seed, bool):
            # a resumed search draws a fresh random stream, so it does not replay the first run's
            # draws (a grid keeps its order and skips what is done)
            seed = int(np.random.SeedSequence([seed, len(earlier)]).generate_state(1)[0])
        proposer = factory(space, seed=seed, **(strategy_options or {}))
        for t in earlier:
            if t.state == COMPLETE:
                proposer.tell(t.params, t.value)
        count, skips = len(earlier), 0
        max_skips = math.inf if strategy == "grid" else MAX_SKIPS  # a grid skips everything done
        while count < n_trials:
            configs = proposer.ask(1)
            if not configs:
                break
            for config in configs[: n_trials - count]:
                if config_key(config) in done and skips < max_skips:
                    skips += 1
                    continue
                skips = 0
                number = store.start_trial(study, config, seed)
                try:
                    trial = _evaluate(fn, config, number)
                except BaseException:  # Ctrl-C: record the trial as interrupted, then stop
                    with contextlib.suppress(Exception):
                        store.finish_trial(study, number, None, FAILED, "interrupted")
                    raise
                store.finish_trial(study, number, trial.value, trial.state, trial.error, trial.duration)
                proposer.tell(config, trial.value)
                count += 1
        return store.trials(study)


def _evaluate(fn, config, number):
    start = time.perf_counter()
    try:
        value = float(fn(dict(config)))
        if not math.isfinite(value):
            raise ValueError(f"the objective returned {value}")
    except Exception as exc:  # the search goes on; the trial keeps its error
        return Trial(number, dict(config), None, FAILED, f"{type(exc).__name__}: {exc}",
                     time.perf_counter() - start)
    return Trial(number, dict(config), value, COMPLETE, None, time.perf_counter() - start)
