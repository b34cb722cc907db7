"""A third-party plugin: one strategy, one distribution and one format."""

import json

import numpy as np
import scipy.stats

from spacedsl import Space, hookimpl


class CoordinateStrategy:
    """Proposes the middle of the unit cube, then walks one coordinate at a time."""

    def __init__(self, space, seed=None, step=0.1):
        self.space, self.step, self.k = space, step, 0

    def ask(self, n=1):
        d = len(self.space.dimensions)
        out = []
        for _ in range(n):
            u = np.full(d, 0.5)
            if d:
                u[self.k % d] = (0.5 + self.step * (self.k // d + 1)) % 1.0
            self.k += 1
            out += self.space.from_unit(u[None, :])
        return out

    def tell(self, config, loss):
        pass


def triangular(low, mode, high):
    """Triangular distribution on [low, high] peaking at mode."""
    if not low < high or not low <= mode <= high:
        raise ValueError(f"triangular needs low <= mode <= high and low < high, got {low}, {mode}, {high}")
    return scipy.stats.triang((mode - low) / (high - low), loc=low, scale=high - low)


@hookimpl
def spacedsl_strategies():
    return {"coordinate": CoordinateStrategy}


@hookimpl
def spacedsl_distributions():
    return {"triangular": triangular}


class JSONFormat:
    """A format: the space as the JSON of `Space.to_dict`."""

    def dumps(self, space, *, lossy=False):
        return json.dumps(space.to_dict())

    def loads(self, text, *, lossy=False):
        return Space.from_dict(json.loads(text))

    def to_native(self, space, *, lossy=False):
        return space.to_dict()

    def from_native(self, obj, *, lossy=False):
        return Space.from_dict(obj)

    def knows(self, obj):
        return isinstance(obj, dict) and obj.get("spacedsl") == 1


@hookimpl
def spacedsl_formats():
    return {"ext-json": JSONFormat()}
