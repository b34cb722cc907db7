"""The estimator of ``spacedsl tune --estimator SPEC``, imported from the user's own argument.

SPEC is one of:

* ``sklearn.svm.SVC``: a dotted path (the longest importable module prefix, then attributes);
* ``package.module:attribute``: a module, then an attribute path after the colon;
* ``path/to/file.py:attribute``: a Python file run as a module (its folder goes first on
  ``sys.path``, so it can import its neighbours), then an attribute.

What it names may be an estimator or a pipeline (cloned), or a class or a function returning one
(called without arguments). The argument is the user's own, never text from a space file: names
in a space file go through `spacedsl.ImportRule` and its allowlist instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys

from ..language.errors import did_you_mean
from ..running.objects import import_path
from .console import InputError

# A Python dotted path: identifiers joined by dots, nothing else.
DOTTED_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_IDENTIFIERS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_HELP = "a dotted path (sklearn.svm.SVC), package.module:attribute or path/to/file.py:attribute"


def load_estimator(spec):
    """A fresh estimator from ``--estimator SPEC`` (see the module doc); `InputError` says what is wrong."""
    if ":" in spec:
        where, _, attribute = spec.rpartition(":")
        if not _IDENTIFIERS.fullmatch(attribute):
            raise InputError(f"--estimator {spec}: after ':' comes an attribute name such as make_pipeline")
        obj = _attribute(_module(where, spec), attribute, spec)
    elif DOTTED_PATH.fullmatch(spec):
        try:
            obj = import_path(spec)
        except LookupError as exc:
            raise InputError(f"cannot import estimator {spec}: {str(exc).split(': ', 1)[-1]}") from None
    else:
        raise InputError(f"--estimator must be {_HELP}, got {spec!r}")
    return _estimator(obj, spec)


def _module(where, spec):
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise InputError(f"--estimator {spec}: no such file {where}")
        name = os.path.splitext(os.path.basename(path))[0]
        if not name.isidentifier():
            name = "spacedsl_estimator_file"
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules.setdefault(name, module)  # so pickling its objects for worker processes finds it
        try:
            module_spec.loader.exec_module(module)
        except Exception as exc:
            raise InputError(f"cannot load estimator {spec}: running {where} raised {type(exc).__name__}: {exc}") \
                from None
        return module
    if not _IDENTIFIERS.fullmatch(where):
        raise InputError(f"--estimator must be {_HELP}, got {spec!r}")
    try:
        return importlib.import_module(where)
    except ModuleNotFoundError as exc:
        raise InputError(f"cannot import estimator {spec}: {exc} (is it installed, or in the current folder?)") \
            from None
    except Exception as exc:
        raise InputError(f"cannot import estimator {spec}: importing {where} raised {type(exc).__name__}: {exc}") \
            from None


def _attribute(obj, dotted, spec):
    for name in dotted.split("."):
        try:
            obj = getattr(obj, name)
        except AttributeError:
            owner = getattr(obj, "__name__", type(obj).__name__)
            known = [n for n in dir(obj) if not n.startswith("_")]
            raise InputError(f"cannot load estimator {spec}: {owner} has no attribute {name!r}"
                             f"{did_you_mean(name, known)}") from None
    return obj


def _estimator(obj, spec):
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        from sklearn.base import clone  # scikit-learn loads when an estimator is asked for
        estimator = clone(obj)
    elif callable(obj):
        try:
            estimator = obj()
        except Exception as exc:
            raise InputError(f"cannot make an estimator from {spec}: calling it without arguments raised "
                             f"{type(exc).__name__}: {exc}") from None
    else:
        estimator = obj
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params") and hasattr(estimator, "set_params")):
        raise InputError(f"{spec} is not a scikit-learn estimator (it needs fit, get_params and set_params)")
    return estimator
