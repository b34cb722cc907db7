"""The arithmetic of successive halving: rung budgets, rung sizes and Hyperband's brackets.

Budgets grow from the bottom: ``min_resource * factor**k`` for every k that stays below
``max_resource``, and ``max_resource`` on top (with ``min_resource=1, max_resource=81,
factor=3``: 1, 3, 9, 27, 81). When ``max_resource / min_resource`` is not a power of the factor,
the top rung is the bigger step (1, 3, 9, 27, 100), so every budget below is a whole number of
steps whenever the options are (iterations, trees, folds). Hyperband's brackets are the paper's
(Li et al., JMLR 2018, Table 1): bracket s starts ``ceil((s_max + 1) / (s + 1) * factor**s)``
configurations at the budget s rungs below the top, and keeps ``floor(n / factor**i)`` at rung i.
"""

from __future__ import annotations

import math
import numbers

import attrs

from .base import capability

TOLERANCE = 1e-9  # float budgets closer than this (relatively) to a whole number are that number


def whole(x):
    """``x`` as an int when it is one (within `TOLERANCE`), else as a float."""
    if isinstance(x, numbers.Integral):
        return int(x)
    r = round(x)
    return int(r) if abs(x - r) <= TOLERANCE * max(1.0, abs(x)) else float(x)


def _positive(strategy, name, value, least=0.0, strict=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or (value <= least if strict else value < least):
        bound = f"> {least:g}" if strict else f">= {least:g}"
        raise ValueError(f"{strategy}: {name} must be a number {bound}, got {value!r}")
    return whole(value)


@attrs.frozen
class Rungs:
    """The budgets of one successive-halving schedule.

    Attributes:
        min_resource: The smallest budget (the bottom rung's).
        max_resource: The full budget (the top rung's: a trial run there is a full run).
        factor: How much each rung's budget grows, and by how much each rung's size shrinks (eta).
        budgets: Every rung's budget, bottom first; the last is ``max_resource``.
    """

    min_resource: float
    max_resource: float
    factor: float
    budgets: tuple = attrs.field(converter=tuple)

    @classmethod
    def from_options(cls, strategy, min_resource=1, max_resource=None, factor=3):
        """Check a strategy's options (its name starts each message) and build the schedule."""
        if max_resource is None:
            raise ValueError(f"{strategy}: max_resource is missing: pass the full budget of a trial (the "
                             f"step a complete run reaches), e.g. strategy_options={{'max_resource': 81}}; "
                             "`search` fills it from the evaluator's resource")
        max_resource = _positive(strategy, "max_resource", max_resource)
        min_resource = _positive(strategy, "min_resource", min_resource)
        factor = _positive(strategy, "factor", factor, least=1.0)
        if min_resource > max_resource:
            raise ValueError(f"{strategy}: min_resource ({min_resource!r}) must be at most max_resource "
                             f"({max_resource!r})")
        levels = int(math.floor(math.log(max_resource / min_resource) / math.log(factor) + TOLERANCE))
        budgets = [whole(min_resource * factor**k) for k in range(levels)]
        return cls(min_resource, max_resource, factor, budgets + [max_resource])

    @property
    def levels(self):
        """How many times a configuration can be promoted: ``len(budgets) - 1`` (Hyperband's s_max)."""
        return len(self.budgets) - 1

    def first_size(self, s=None):
        """The configurations a bracket of ``s + 1`` rungs starts with (``s`` defaults to every rung):
        ``factor**s`` for the full bracket, the paper's ``ceil((s_max + 1) / (s + 1) * factor**s)`` for
        Hyperband's others (the same number when ``s == s_max``)."""
        s = self.levels if s is None else s
        if isinstance(self.factor, int):
            return -(-(self.levels + 1) * self.factor**s // (s + 1))  # exact integer ceiling
        return max(1, math.ceil((self.levels + 1) / (s + 1) * self.factor**s - TOLERANCE))

    def sizes(self, n, rungs):
        """The sizes of ``rungs`` rungs that start with ``n`` configurations: ``floor(n / factor**i)``,
        never below one."""
        if isinstance(self.factor, int):
            return tuple(max(1, n // self.factor**i) for i in range(rungs))
        return tuple(max(1, math.floor(n / self.factor**i + TOLERANCE)) for i in range(rungs))

    def bracket(self, s, n=None):
        """Hyperband's bracket ``s`` (``s_max`` = `levels`: the most rungs): ``(budgets, sizes)``, its
        rungs' budgets (the top ``s + 1``) and sizes, starting with ``n`` configurations (default
        `first_size`)."""
        if not 0 <= s <= self.levels:
            raise ValueError(f"bracket s must be in 0..{self.levels}, got {s!r}")
        n = self.first_size(s) if n is None else n
        return self.budgets[self.levels - s:], self.sizes(n, s + 1)

    def brackets(self):
        """Hyperband's brackets in the order run, ``s = s_max`` (the most aggressive) down to 0."""
        return [self.bracket(s) for s in range(self.levels, -1, -1)]

    def keep(self, n):
        """How many of ``n`` configurations in a rung go up: ``floor(n / factor)``."""
        return int(math.floor(n / self.factor + TOLERANCE))


def budget_options(factory, options, resource_range):
    """A budgeted strategy's ``options`` with ``min_resource``, ``max_resource`` and ``factor`` filled
    from an evaluator's ``resource_range`` (``(min, max, factor)``, or None: nothing to fill) where
    not given; any other strategy's options as they are."""
    options = dict(options or {})
    if resource_range is not None and capability(factory, "budgeted"):
        for name, value in zip(("min_resource", "max_resource", "factor"), resource_range):
            if value is not None:
                options.setdefault(name, value)
    return options
