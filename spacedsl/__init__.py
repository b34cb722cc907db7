"""spacedsl: hyperparameter search over spaces written in a small declarative language.

>>> import spacedsl
>>> space = spacedsl.parse("n_estimators: int ~ expon(100); max_depth in [3, 10, 20, 40]")
>>> space.names
('n_estimators', 'max_depth')
"""

from __future__ import annotations

import os

from .dump import dumps
from .errors import DSLError, DSLSemanticError, DSLSyntaxError
from .hookspecs import hookimpl
from .minimize import MinimizeResult, minimize
from .parser import parse_statements
from .plugins import PluginError
from .results.importance import importance
from .results.report import write_report
from .search import SearchResult, search
from .space import Space
from .store import Store, StoreError
from .trials import Trial

__all__ = ["DSLError", "DSLSemanticError", "DSLSyntaxError", "MinimizeResult", "PluginError", "SearchResult",
           "Space", "SpaceSearchCV", "Store", "StoreError", "Trial", "dumps", "hookimpl", "importance", "load", "minimize",
           "parse", "search", "write_report"]  # and the module `plot` (extra [plot]), left out of * imports
__version__ = "0.1.0"


def parse(text, filename="<string>"):
    """Parse and check space text; raises `DSLError` (with file, line and column) on bad input."""
    statements, source = parse_statements(text, filename)
    return Space.from_statements(statements, source)


def __getattr__(name):
    if name == "SpaceSearchCV":  # imported on first use, so `import spacedsl` stays light
        from .sklearn import SpaceSearchCV
        return SpaceSearchCV
    if name == "plot":  # the module, on first use: it needs the [plot] extra (matplotlib)
        import importlib
        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'spacedsl' has no attribute {name!r}")


def load(path):
    """Read, parse and check a ``.space`` file (str or os.PathLike)."""
    with open(path, "rb") as f:
        data = f.read()
    return parse(data, filename=os.fspath(path))
