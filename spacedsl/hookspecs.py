"""The plugin hooks. Plugins implement them with ``@spacedsl.hookimpl``.

Hooks take no arguments today; a spec may gain keyword arguments later
without breaking anyone (pluggy's opt-in arguments).
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("spacedsl")
hookimpl = pluggy.HookimplMarker("spacedsl")


@hookspec
def spacedsl_strategies():
    """Return ``{name: factory}``; ``factory(space, seed=None, **options)`` has ``ask(n)`` and ``tell(config, loss)``.

    A name ending in ``:`` is a family: ``{"optuna:": family}``, where ``family(rest)`` returns the
    factory of the strategy ``optuna:rest`` (or raises `spacedsl.PluginError`).
    """


@hookspec
def spacedsl_evaluators():
    """Return ``{name: factory}``; ``factory(seed=None, **options)`` has
    ``evaluate(estimator, params, X, y, scoring[, groups]) -> Evaluation``."""


@hookspec
def spacedsl_distributions():
    """Return ``{name: factory}``; the factory's signature is what ``.space`` files are checked against."""


@hookspec
def spacedsl_formats():
    """Return ``{name: format}``; a format has any of ``dumps``, ``loads``, ``to_native``, ``from_native``
    (see `spacedsl.formats.Format`)."""
