"""``spacedsl.minimize``: black-box minimisation of a Python function over a space."""

from __future__ import annotations

import math
import time

import attrs

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


def minimize(fn, space, strategy="gp-ei", n_trials=50, seed=0, strategy_options=None):
    """Minimise ``fn(config) -> float`` over ``space`` (a `Space` or space text).

    Each configuration is a dict of active parameters and constants. A call that
    raises, or returns NaN or an infinity, is recorded as a failed trial with its
    error and the search goes on. The search stops after ``n_trials`` trials, or
    earlier when the strategy has nothing left to propose (a finished grid).
    Same seed, same trials.
    """
    space = as_space(space)
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    proposer = plugins.strategy(strategy)(space, seed=seed, **(strategy_options or {}))
    trials = []
    while len(trials) < n_trials:
        configs = proposer.ask(1)
        if not configs:
            break
        for config in configs[: n_trials - len(trials)]:
            trial = _evaluate(fn, config, len(trials))
            proposer.tell(config, trial.value)
            trials.append(trial)
    complete = [t for t in trials if t.state == COMPLETE]
    if not complete:
        first = trials[0].error if trials else "the strategy proposed nothing"
        raise RuntimeError(f"every trial failed ({len(trials)} of them); the first error: {first}")
    best = min(complete, key=lambda t: t.value)
    return MinimizeResult(best.params, best.value, trials)


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
