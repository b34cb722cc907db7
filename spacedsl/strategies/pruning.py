"""Pruners: stop a running trial whose intermediate loss is worse than most other trials' at that step.

A pruner is any object with ``prune(number, step, loss) -> bool`` (and optionally
``tell(number, loss)``): the trial loop calls it for every report of a running trial (losses:
lower is better; `search` negates its scores), on top of whatever the strategy is, and stops the
trial when it answers True. `make_pruner` turns the ``prune=`` argument into one; a `Percentile`
(or `Median`) object given there is copied with no records, so one object may serve many searches
(trial numbers start at 0 in each: its records would mix them up). A pruner of your own is used as
it is.
"""

from __future__ import annotations

import collections
import copy
import math
import numbers

import numpy as np

from ..language.errors import did_you_mean

FORMS = ("None", "'median'", "'percentile:P' (P in 0..100, e.g. 'percentile:25')",
         "an object with a prune(number, step, loss) method (e.g. spacedsl.Percentile(25, min_trials=10))")


class Percentile:
    """Stop a trial whose loss at a step is worse than a percentile of the other trials' at that step.

    Only reports at exactly the same step are compared. Nothing is stopped before ``warmup_steps``
    nor before ``min_trials`` other trials have reported that step. A NaN or infinite loss counts as
    the worst. ``percentile=25`` keeps the trials in the best quarter so far.

    Attributes:
        percentile: The percentile (0..100) of the other trials' losses a loss must not exceed.
        min_trials: How many other trials must have reported the step before any is stopped there.
        warmup_steps: Reports at a step below this never stop a trial.
        losses: ``{step: {number: loss}}`` of every report seen.
    """

    def __init__(self, percentile=50.0, min_trials=5, warmup_steps=0):
        if isinstance(percentile, bool) or not isinstance(percentile, numbers.Real) or not 0 <= percentile <= 100:
            raise ValueError(f"percentile must be a number in 0..100, got {percentile!r}")
        if isinstance(min_trials, bool) or not isinstance(min_trials, numbers.Integral) or min_trials < 1:
            raise ValueError(f"min_trials must be a whole number >= 1, got {min_trials!r}")
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, numbers.Real) or not warmup_steps >= 0:
            raise ValueError(f"warmup_steps must be a number >= 0, got {warmup_steps!r}")
        self.percentile, self.min_trials, self.warmup_steps = float(percentile), int(min_trials), warmup_steps
        self.losses = collections.defaultdict(dict)

    def __repr__(self):
        return (f"{type(self).__name__}(percentile={self.percentile:g}, min_trials={self.min_trials}, "
                f"warmup_steps={self.warmup_steps!r})")

    def prune(self, number, step, loss):
        """Record trial ``number``'s loss at ``step``; True when the trial should stop."""
        loss = _worst_if_bad(loss)
        at_step = self.losses[step]
        at_step[number] = loss
        if step < self.warmup_steps:
            return False
        others = [v for n, v in at_step.items() if n != number]
        if len(others) < self.min_trials:
            return False
        return bool(loss > _percentile(others, self.percentile))


class Median(Percentile):
    """`Percentile` at 50: stop a trial worse than the median of the other trials at the same step."""

    def __init__(self, min_trials=5, warmup_steps=0):
        super().__init__(50.0, min_trials=min_trials, warmup_steps=warmup_steps)

    def __repr__(self):
        return f"Median(min_trials={self.min_trials}, warmup_steps={self.warmup_steps!r})"


def make_pruner(spec):
    """The pruner ``prune=`` names: None, ``"median"``, ``"percentile:P"``, or an object with ``prune``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        name, colon, arg = spec.strip().partition(":")
        name = name.strip().lower()
        if name == "median" and not colon:
            return Median()
        if name == "percentile" and colon:
            try:
                value = float(arg)
            except ValueError:
                value = None
            if value is not None and 0 <= value <= 100:
                return Percentile(value)
            raise ValueError(f"prune={spec!r}: the percentile must be a number in 0..100, e.g. 'percentile:25'")
        hint = did_you_mean(name, ("median", "percentile")).replace("; ", ": ", 1) or ":"
        raise ValueError(f"unknown pruner {spec!r}{hint} prune takes one of: {', '.join(FORMS)}")
    if isinstance(spec, type):
        raise ValueError(f"prune={spec.__name__}: pass an instance, e.g. prune={spec.__name__}(), not the class")
    if isinstance(spec, Percentile):  # its settings, none of another search's records
        fresh = copy.copy(spec)
        fresh.losses = collections.defaultdict(dict)
        return fresh
    if callable(getattr(spec, "prune", None)):
        return spec
    raise ValueError(f"prune must be one of: {', '.join(FORMS)}; got {spec!r} (of type {type(spec).__name__})")


def _worst_if_bad(loss):
    if loss is None:
        return math.inf
    loss = float(loss)
    return loss if not math.isnan(loss) else math.inf


def _percentile(values, q):
    """np.percentile, with infinities as the largest float (it would interpolate inf - inf into nan)."""
    return float(np.percentile(np.minimum(np.asarray(values, dtype=float), np.finfo(float).max), q))
