"""Strategies: what proposes configurations. `Strategy` is the optional base class; the
built-ins are plugins (``plugins/``, installed as ``spacedsl_plugins``)."""

from .base import Strategy, Suggestion, config_key

__all__ = ["Strategy", "Suggestion", "config_key"]
