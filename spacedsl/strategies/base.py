"""What every built-in strategy shares: the ask/tell bookkeeping and defaults first.

A strategy is made by ``factory(space, seed=None, **options)`` and answers
``ask(n)`` with up to n configurations (``[]`` when it has nothing left) and
``tell(config, loss)`` with the loss to minimise, or None for a failed trial.
Third-party strategies need not subclass this; it only saves work.

Capabilities tell the trial loop how to drive a strategy (it never looks at names).
They are read from the factory (a class attribute) or the object, with these
defaults when absent:

* ``adaptive = True``: proposals depend on what was told, so the loop asks one
  configuration at a time as workers free up; ``False`` (grid, random, sobol) lets
  it ask for many at once.
* ``keeps_order = False``: ``True`` (grid) means the proposals are a fixed sequence:
  a resumed study keeps the seed (and so the order) and skips what is done, however
  many configurations in a row that is.
* ``budgeted = False``: ``True`` (sha, hyperband, asha) means the strategy takes
  ``min_resource``, ``max_resource`` and ``factor`` options, which ``search`` fills from
  the evaluator's resource when they are not given.
* ``stops_trials = True``: with ``False`` (sha, hyperband), the strategy's ``prune`` only
  notes the reports and never answers True, so it alone does not make a trial "watched"
  (``report.watched``: an evaluator may then skip the budgets below the trial's last).

Stopping early: ``ask`` may return `Suggestion` objects (a configuration with the
``max_step`` at which its trial should stop, a rung of successive halving); the loop
hands ``max_step`` to the trial and tells back the same object. ``ask`` may also
return ``[]`` while trials are running ("nothing now", a rung waiting to fill): the
search ends only when it returns ``[]`` with nothing running. A strategy with a
``prune(number, step, loss) -> bool`` method is called at every intermediate report
of a running trial (True stops it), and with the stored reports when a study resumes.
An optional ``started(number, config)`` is called as each trial starts (and for a resumed
study's finished trials, before their reports), so ``prune``'s numbers can be linked with
configurations (``asha`` tells its sampler the rung losses that way).
"""

from __future__ import annotations

import numpy as np

from ..language.ast import literal_key
from ..space import Space, as_space


def config_key(config, ignore=()):
    """A hashable key of a configuration (``1``, ``1.0`` and ``True`` stay apart); keys in ``ignore``
    (e.g. constants) are left out."""
    return tuple(sorted((k, literal_key(v)) for k, v in config.items() if k not in ignore))


def capability(strategy, name):
    """A capability (``adaptive``, ``keeps_order``, ``budgeted``, ``stops_trials``) of a strategy factory or
    object, or its default."""
    return bool(getattr(strategy, name, CAPABILITIES[name]))


CAPABILITIES = {"adaptive": True, "keeps_order": False, "budgeted": False, "stops_trials": True}


class Suggestion(dict):
    """A configuration with the step its trial should stop at (``max_step``; None: run to the end).

    It is the dict the trial receives; ``max_step`` reaches the trial as ``report.max_step``, and
    its ``report(step, value)`` answers True (stop) once ``step >= max_step``.
    """

    def __init__(self, config=(), max_step=None):
        super().__init__(config)
        self.max_step = max_step

    def __repr__(self):
        return f"Suggestion({dict.__repr__(self)}, max_step={self.max_step!r})"

    def __reduce__(self):
        return (Suggestion, (dict(self), self.max_step))


def max_step_of(config):
    """The ``max_step`` of a `Suggestion`, None for a plain configuration."""
    return getattr(config, "max_step", None)


class Strategy:
    """Base class: keeps the history, and proposes the space's defaults first.

    Attributes:
        space: The `Space` searched.
        rng: The seeded numpy generator everything random draws from.
        history: ``[(config, loss)]`` in the order told; loss is None for failed trials.
        adaptive, keeps_order: Capabilities (see the module's docstring).
        defaults_first: Whether the first ``ask`` starts with the space's defaults.
    """

    adaptive = True
    keeps_order = False
    defaults_first = True

    def __init__(self, space, seed=None):
        self.space = as_space(space)
        assert isinstance(self.space, Space)
        self.rng = np.random.default_rng(seed)
        self.history = []
        self._first = self.defaults_first

    def ask(self, n=1):
        """Up to n configurations; the first ever asked is `first` (with ``defaults_first``)."""
        out = []
        if self._first and n > 0:
            self._first = False
            first = self.first()
            if first is not None:
                out.append(first)
        if len(out) < n:
            out += self.propose(n - len(out))
        return out

    def first(self):
        """The configuration tried first: every default the space gives, the rest drawn (None without defaults)."""
        return self.space.default_configuration(seed=self.rng)

    def propose(self, n):  # pragma: no cover - abstract
        raise NotImplementedError

    def tell(self, config, loss):
        """Record the loss of a configuration (None when its trial failed)."""
        self.history.append((dict(config), None if loss is None else float(loss)))
