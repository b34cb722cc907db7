"""``sobol``: scrambled Sobol points of the unit cube, mapped through the space.

Low-discrepancy points cover the space more evenly than independent draws.
Points whose configuration breaks a ``where`` constraint are skipped (the
sequence goes on), so the result never breaks one.
"""

import warnings

import numpy as np

from spacedsl.hookspecs import hookimpl
from spacedsl.strategies import Strategy

MAX_SKIP_FACTOR = 1000


class Sobol(Strategy):
    """Scrambled Sobol sequence (scipy.stats.qmc) through the unit-cube mapping."""

    adaptive = False

    def __init__(self, space, seed=None):
        from scipy.stats import qmc  # here, not at module import: every command loads the plugins

        super().__init__(space, seed)
        self.dim = len(self.space.dimensions)
        self.engine = qmc.Sobol(self.dim, scramble=True, seed=self.rng) if self.dim else None

    def propose(self, n):
        if self.engine is None:  # only constants: one configuration, as often as asked
            return self.space.sample(n, seed=self.rng)
        out, drawn = [], 0
        while len(out) < n:
            want = n - len(out)
            with warnings.catch_warnings():  # balance warnings for counts that are not powers of two
                warnings.simplefilter("ignore", UserWarning)
                u = self.engine.random(want)
            drawn += want
            keep = np.flatnonzero(self.space.feasible_unit(u))
            out += self.space.from_unit(u[keep])
            if len(out) < n and drawn > MAX_SKIP_FACTOR * n + 10_000:
                raise ValueError(f"constraints reject almost every Sobol point ({len(out)} of {drawn:,} kept)")
        return out


@hookimpl
def spacedsl_strategies():
    return {"sobol": Sobol}
