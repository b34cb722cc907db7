"""``random``: independent draws from the space (vectorised ``Space.sample``)."""

from spacedsl.hookspecs import hookimpl
from spacedsl.strategies import Strategy


class RandomSearch(Strategy):
    """Draws every configuration independently from the space's distributions."""

    adaptive = False

    def propose(self, n):
        return self.space.sample(n, seed=self.rng)


@hookimpl
def spacedsl_strategies():
    return {"random": RandomSearch}
