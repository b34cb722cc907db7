"""``spacedsl.importance``: which parameters mattered, by functional ANOVA over a random forest.

>>> spacedsl.importance(result)                           # doctest: +SKIP
{'max_features': 0.61, 'min_samples_leaf': 0.27, 'criterion': 0.12}

See `spacedsl.results.surrogate` for the method and the README ("Parameter importance") for
what it measures and when not to trust it.
"""

from __future__ import annotations

from .study import load
from .surrogate import Surrogate


def importance(result_or_store, study=None, *, space=None, seed=0, n_trees=None):
    """How much of the variance of the value each parameter's main effect explains, as shares.

    Args:
        result_or_store: A `SearchResult` or `MinimizeResult`, a store path, or a `Store`.
        study: The study's name in a store (may be left out when it holds one study).
        space: The space (a `Space` or its text); a store knows it, a result does not (then the
            kinds of parameters are read off their values).
        seed: Seeds the random forest: same seed, same shares.
        n_trees: Trees in the forest (default 64; 32 beyond 1,024 complete trials, each tree then
            fitted on 1,024 of them).

    Returns:
        ``{parameter: share}`` (a tied group is one entry, ``"(a, b)"``), most important first,
        summing to 1. Fitted on the complete trials only (failed, pruned and running ones have no
        comparable value).

    Raises:
        ValueError: Fewer than 5 complete trials, no searched parameter, or no parameter with any
            main effect (every value the same).
    """
    data = load(result_or_store, study, space)
    return Surrogate(data.trials, data.space, seed=seed, n_trees=n_trees).importance()
