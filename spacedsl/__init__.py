"""spacedsl: hyperparameter search over spaces written in a small declarative language.

>>> import spacedsl
>>> space = spacedsl.parse("n_estimators: int ~ expon(100); max_depth in [3, 10, 20, 40]")
>>> space.names
('n_estimators', 'max_depth')
"""

from __future__ import annotations

from .formats import ConversionError, convert
from .hookspecs import hookimpl
from .language.ast import Ref
from .language.errors import DSLError, DSLSemanticError, DSLSyntaxError
from .language.printer import dumps
from .plugins import PluginError
from .running.minimize import MinimizeResult, minimize
from .results.importance import importance
from .results.report import write_report
from .running.objects import ImportRule
from .running.search import SearchResult, search
from .space import Space, load, parse
from .space.tree import walk
from .storage import Store, StoreError, Trial
from .strategies.pruning import Median, Percentile  # noqa: F401 (prune=spacedsl.Median(min_trials=10))

__all__ = ["ConversionError", "DSLError", "DSLSemanticError", "DSLSyntaxError", "ImportRule", "MinimizeResult",
           "PluginError", "Ref", "SearchResult", "Space", "SpaceSearchCV", "Store", "StoreError", "Trial", "convert",
           "dumps", "hookimpl", "importance", "load", "minimize", "parse", "search", "walk", "write_report"]
# and the module `plot` (extra [plot]: matplotlib), on first use, left out of * imports
__version__ = "0.1.0"


def __getattr__(name):
    if name == "SpaceSearchCV":  # imported on first use, so `import spacedsl` stays light
        from .running.sklearn import SpaceSearchCV
        return SpaceSearchCV
    if name in ("integrations", "plot"):  # submodules on first use: `spacedsl.plot` needs the [plot] extra
        import importlib
        return importlib.import_module("." + name, __name__)
    raise AttributeError(f"module 'spacedsl' has no attribute {name!r}")
