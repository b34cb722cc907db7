"""What the named objects of a space (``@svc``) stand for: the caller's objects, found before any fit.

A space holds names only. `search`, `SpaceSearchCV` and `minimize` take ``objects=``:

* a mapping ``{"svc": SVC(), "forest": RandomForestClassifier()}``: the names are its keys;
* a callable ``rule(name) -> object`` (raising `LookupError` for a name it does not know);
* None (the default): `ImportRule`, which imports names that are dotted paths under an
  allowlist (``sklearn.`` by default), so ``@sklearn.svm.SVC`` works and ``@os.system`` is refused
  before anything is imported.

Every name the space uses is resolved once, before the first fit; a name without an object is a
`DSLSemanticError` at its place in the file, with a "did you mean". Each trial then gets the
configuration with the names replaced by the objects (estimators cloned, so trials never share a
fitted step), while trials, results and stores keep the names.

A name is defined once per file, so the per-choice variants of one estimator parameter carry a
label: ``svc.clf__C`` and ``logistic.clf__C`` both set ``clf__C`` (`estimator_key`: the part of a
name after its last dot; a scikit-learn parameter never has a dot).
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from collections.abc import Mapping

import attrs

from ..language import ast
from ..language.errors import DSLSemanticError, did_you_mean

DEFAULT_ALLOW = ("sklearn.",)
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


# -------------------------------------------------------------- the space's names
def references(space):
    """Every named object a space uses, in file order: ``{name: Pos of its first use}``."""
    found = {}
    stack = list(reversed(space.statements))
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(reversed(node))
        elif isinstance(node, ast.Literal):
            if isinstance(node.value, ast.Ref):
                found.setdefault(node.value.name, node.pos)
        elif attrs.has(type(node)):
            stack.extend(reversed([getattr(node, f.name) for f in attrs.fields(type(node)) if f.eq]))
    return found


def choices_by_param(space):
    """``{parameter or constant: [names of the objects it may take]}`` for those that take any."""
    out = {}
    for dim in space.dimensions:
        if dim.kind not in ("choice", "tied"):
            continue
        for name, part in zip(dim.names, dim.parts):
            refs = [v.name for v in part.values if isinstance(v, ast.Ref)]
            if refs:
                out[name] = refs
    for name, value in space.constants.items():
        if isinstance(value, ast.Ref):
            out[name] = [value.name]
    return out


# ---------------------------------------------------------------- import rule
class ImportRule:
    """``objects=`` for names that are import paths: ``@sklearn.svm.SVC`` becomes ``sklearn.svm.SVC()``.

    Only names under an allowed prefix are imported, and the check comes before any import, so a
    space file from an untrusted repository can name ``@os.system`` or ``@evil.payload`` and nothing
    is imported; what the path reaches must itself live under the prefix (``@sklearn.utils.os.system``
    is refused too). Only an estimator class (one with ``get_params``) may be named, and it is made
    with no arguments: a file never gets to call a function, even one under the prefix (under
    ``sklearn.`` a name such as ``@sklearn.datasets.clear_data_home`` would delete files).

    Attributes:
        allow: Module prefixes that may be imported (``"sklearn."`` allows ``sklearn`` and below).
    """

    def __init__(self, allow=DEFAULT_ALLOW):
        if isinstance(allow, str):
            allow = (allow,)
        self.allow = tuple(p.rstrip(".") for p in allow if p.strip("."))

    def allowed(self, dotted):
        return any(dotted == p or dotted.startswith(p + ".") for p in self.allow)

    def __call__(self, name):
        if not _DOTTED.fullmatch(name):
            raise LookupError(f"@{name} is not an import path (module.attribute), and no object was given "
                              "for it: pass objects={'" + name + "': ...}")
        if not self.allowed(name):
            shown = ", ".join(p + "." for p in self.allow) or "nothing"
            raise LookupError(f"@{name} is not under an allowed import prefix ({shown}); nothing was imported. "
                              "Allow it with --allow-import PREFIX (objects=spacedsl.ImportRule(allow=[...]) in "
                              "Python) if you trust this file")
        obj = import_path(name, self)
        if not (isinstance(obj, type) and hasattr(obj, "get_params")):
            raise LookupError(f"@{name} is {_kind(obj)}, not an estimator class: a file may only name estimator "
                              "classes (a function or an object goes through objects={...} in Python)")
        return make(obj, name)

    def __repr__(self):
        return f"ImportRule(allow={[p + '.' for p in self.allow]!r})"

    def __eq__(self, other):
        return isinstance(other, ImportRule) and other.allow == self.allow

    def __hash__(self):
        return hash(self.allow)


def import_path(dotted, rule=None):
    """The object a dotted path names: the longest importable module prefix, then attributes.

    With ``rule``, every module reached and the object's own module must be allowed by it.
    Raises `LookupError` with the reason.
    """
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                continue  # this prefix is not a module: try a shorter one
            raise LookupError(f"cannot import {dotted}: {exc}") from None
        except Exception as exc:  # the module's own code failed
            raise LookupError(f"cannot import {dotted}: importing {module_name} raised "
                              f"{type(exc).__name__}: {exc}") from None
        rest = parts[cut:]
        break
    else:
        raise LookupError(f"cannot import {dotted}: no module named {parts[0]!r}")
    for name in rest:
        try:
            obj = getattr(obj, name)
        except AttributeError:
            owner = getattr(obj, "__name__", type(obj).__name__)
            known = [n for n in dir(obj) if not n.startswith("_")]
            raise LookupError(f"cannot import {dotted}: {owner} has no attribute {name!r}"
                              f"{did_you_mean(name, known)}") from None
        if rule is not None and isinstance(obj, types.ModuleType) and not rule.allowed(obj.__name__):
            raise LookupError(f"@{dotted} reaches the module {obj.__name__}, which is not under an allowed prefix")
    if rule is not None:
        home = getattr(obj, "__module__", None) if isinstance(obj, type | types.FunctionType) else \
            type(obj).__module__
        if isinstance(obj, types.ModuleType) or not home or not rule.allowed(home):
            raise LookupError(f"@{dotted} is {_kind(obj)} from {home or 'an unknown module'}, not from an "
                              "allowed prefix; nothing was called")
    return obj


def _kind(obj):
    return "a module" if isinstance(obj, types.ModuleType) else f"a {type(obj).__name__}"


def make(obj, label):
    """An object from what a path names: a class or a non-estimator callable is called without arguments."""
    if isinstance(obj, type) or (callable(obj) and not hasattr(obj, "get_params")):
        try:
            return obj()
        except Exception as exc:
            raise LookupError(f"cannot make an object from {label}: calling it without arguments raised "
                              f"{type(exc).__name__}: {exc}") from None
    return obj


# ----------------------------------------------------------------- resolution
def resolve(space, objects=None):
    """``{name: object}`` for every named object ``space`` uses; `DSLSemanticError` at the first
    name without one (its file, line and column, and the nearest name given)."""
    refs = references(space)
    if not refs:
        return {}
    if objects is None:
        objects = ImportRule()
    filename = space.filename or "<string>"
    out = {}
    for name, pos in refs.items():
        if isinstance(objects, Mapping):
            if name in objects:
                out[name] = objects[name]
                continue
            given = ", ".join(sorted(map(str, objects))) or "nothing"
            message = f"no object for @{name}{did_you_mean(name, [str(k) for k in objects])} (objects= has: {given})"
        elif callable(objects):
            try:
                out[name] = objects(name)
                continue
            except LookupError as exc:
                message = str(exc.args[0]) if exc.args else f"no object for @{name}"
        else:
            raise TypeError(f"objects must be a mapping of names to objects, a callable or None, "
                            f"got {type(objects).__name__}")
        raise DSLSemanticError(message, filename, pos.line if pos else None, pos.column if pos else None,
                               _line(space, pos))
    return out


def _line(space, pos):
    if pos is None or not space.filename or space.filename.startswith("<"):
        return None
    try:
        with open(space.filename, encoding="utf-8", errors="replace") as f:
            for k, text in enumerate(f, 1):
                if k == pos.line:
                    return text.rstrip("\r\n")
    except OSError:
        return None
    return None


def substitute(config, resolved, clone=False):
    """The configuration with every named object replaced by its object (cloned with ``clone``)."""
    if not resolved:
        return config
    out = {}
    for key, value in config.items():
        if isinstance(value, ast.Ref) and value.name in resolved:
            value = resolved[value.name]
            if clone:
                value = _clone(value)
        elif isinstance(value, tuple) and any(isinstance(v, ast.Ref) for v in value):
            value = tuple(_clone(resolved[v.name]) if clone and isinstance(v, ast.Ref)
                          else resolved[v.name] if isinstance(v, ast.Ref) else v for v in value)
        out[key] = value
    return out


def estimator_key(name):
    """The estimator parameter a space name sets: the part after the last dot, so that per-choice
    variants ``svc.clf__C`` and ``logistic.clf__C`` both set ``clf__C`` (a name is defined once)."""
    return name.rpartition(".")[2]


def estimator_params(config, resolved, clone=True):
    """What ``set_params`` gets for a configuration: objects for names, keys by `estimator_key`."""
    out, given = {}, {}
    for key, value in substitute(config, resolved, clone=clone).items():
        target = estimator_key(key)
        if target in out:
            raise ValueError(f"{given[target]!r} and {key!r} both set the estimator's {target!r} in one "
                             "configuration; put them in branches that exclude each other")
        out[target], given[target] = value, key
    return out


def _clone(value):
    if "sklearn" not in sys.modules and not hasattr(value, "get_params"):
        return value
    from sklearn.base import clone  # scikit-learn loads only when a search needs it
    return clone(value, safe=False)
