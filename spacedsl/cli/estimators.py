"""The estimator of ``spacedsl tune --estimator DOTTED.PATH``, imported from the user's own argument."""

from __future__ import annotations

import importlib
import re

from ..language.errors import did_you_mean
from .console import InputError

# A Python dotted path: identifiers joined by dots, nothing else.
DOTTED_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def load_estimator(path):
    """A fresh estimator from a dotted path such as ``sklearn.svm.SVC``.

    The path is the user's own command-line argument, never text from a space
    file (nothing in a ``.space`` file reaches import or eval). It is checked to
    be identifiers joined by dots, then imported with `importlib.import_module`
    (the longest importable module prefix) and `getattr` for the rest; a class
    or factory is called without arguments.
    """
    if not DOTTED_PATH.fullmatch(path):
        raise InputError(f"--estimator must be a dotted path such as sklearn.svm.SVC, got {path!r}")
    parts = path.split(".")
    obj = None
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                continue  # this prefix is not a module: try a shorter one
            raise InputError(f"cannot import estimator {path}: {exc}") from None
        except Exception as exc:  # importing the user's module failed in its own code
            raise InputError(f"cannot import estimator {path}: importing {module_name} raised "
                            f"{type(exc).__name__}: {exc}") from None
        rest = parts[cut:]
        break
    else:
        raise InputError(f"cannot import estimator {path}: no module named {parts[0]!r}")
    for name in rest:
        try:
            obj = getattr(obj, name)
        except AttributeError:
            owner = getattr(obj, "__name__", type(obj).__name__)
            known = [n for n in dir(obj) if not n.startswith("_")]
            raise InputError(f"cannot import estimator {path}: {owner} has no attribute {name!r}"
                            f"{did_you_mean(name, known)}") from None
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        from sklearn.base import clone
        estimator = clone(obj)
    elif callable(obj):
        try:
            estimator = obj()
        except Exception as exc:
            raise InputError(f"cannot make an estimator from {path}: calling it without arguments raised "
                            f"{type(exc).__name__}: {exc}") from None
    else:
        estimator = obj
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params") and hasattr(estimator, "set_params")):
        raise InputError(f"{path} is not a scikit-learn estimator (it needs fit, get_params and set_params)")
    return estimator
