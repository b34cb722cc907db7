"""Strategies: what proposes configurations. `Strategy` is the optional base class; the
built-ins are plugins (``plugins/``, installed as ``spacedsl_plugins``)."""

from .base import Strategy, Suggestion, config_key
from .pruning import Median, Percentile, make_pruner
from .rungs import Rungs, budget_options

__all__ = ["Median", "Percentile", "Rungs", "Strategy", "Suggestion", "budget_options", "config_key",
           "make_pruner"]
