"""spacedsl: hyperparameter search over spaces written in a small declarative language.

>>> import spacedsl
>>> space = spacedsl.parse("n_estimators: int ~ expon(100); max_depth in [3, 10, 20, 40]")
>>> space.names
('n_estimators', 'max_depth')
"""

from __future__ import annotations

import importlib

# Every public name is imported on first use (PEP 562), so that `import spacedsl` -- and a tool that
# only imports a submodule, such as Pygments loading our lexer through its entry point -- pays for
# nothing it does not touch. ``from spacedsl import *`` and ``dir(spacedsl)`` still see them all.
_EXPORTS = {
    "ConversionError": "formats", "convert": "formats",
    "hookimpl": "hookspecs",
    "Ref": "language.ast",
    "DSLError": "language.errors", "DSLSemanticError": "language.errors", "DSLSyntaxError": "language.errors",
    "dumps": "language.printer",
    "PluginError": "plugins",
    "MinimizeResult": "running.minimize", "minimize": "running.minimize",
    "importance": "results.importance",
    "write_report": "results.report",
    "ImportRule": "running.objects",
    "SearchResult": "running.search", "search": "running.search",
    "SpaceSearchCV": "running.sklearn",
    "Space": "space", "load": "space", "parse": "space",
    "walk": "space.tree",
    "Store": "storage", "StoreError": "storage", "Trial": "storage",
    "Median": "strategies.pruning", "Percentile": "strategies.pruning",  # prune=spacedsl.Median(min_trials=10)
}
__all__ = sorted(name for name in _EXPORTS if name not in ("Median", "Percentile"))
# and the modules `plot` (extra [plot]: matplotlib) and `integrations`, on first use, left out of * imports
__version__ = "0.1.0"


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value  # the next lookup is an ordinary attribute
        return value
    if name in _submodules():  # spacedsl.plot (needs the [plot] extra), spacedsl.integrations, ...
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'spacedsl' has no attribute {name!r}")


def _submodules():
    """The names of this package's own modules (from its folder): the only names imported on demand."""
    import pkgutil
    return {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
