"""``grid``: every configuration of ``Space.grid()``, in order (or shuffled with a seed)."""

import itertools

from spacedsl.hookspecs import hookimpl
from spacedsl.strategies import Strategy


class GridSearch(Strategy):
    """Walks the grid; ``ask`` returns ``[]`` once every configuration was proposed.

    Options:
        resolution: points per distribution (default 5).
        shuffle: visit the grid in a seeded random order (materialises it).
    """

    adaptive = False      # the grid ignores results: asked for many at once
    keeps_order = True    # a resumed grid goes on where it stopped
    defaults_first = False  # the grid keeps its order; defaults are not tried first

    def __init__(self, space, seed=None, resolution=5, shuffle=False):
        super().__init__(space, seed)
        grid = self.space.grid(resolution=resolution)
        if shuffle:
            grid = list(grid)
            self.rng.shuffle(grid)
            grid = iter(grid)
        self._grid = grid

    def propose(self, n):
        return list(itertools.islice(self._grid, n))


@hookimpl
def spacedsl_strategies():
    return {"grid": GridSearch}
