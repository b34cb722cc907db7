"""Formats: a space in another tool's terms, and back.

A format is registered by a plugin through the ``spacedsl_formats`` hook
(``{name: format}``) and has any of the four methods of `Format`. What a
format cannot express exactly is never changed silently: the format collects
every such statement in a `Losses` and calls `Losses.check`, which raises one
`ConversionError` listing them all (file:line:col and why) or, with
``lossy=True``, warns with a `LossyConversion` naming what was dropped and
lets the conversion go on without them.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Protocol

import attrs

from .. import plugins
from ..language.printer import dumps, expr_text
from ..plugins import PluginError
from ..space import Space, as_space

__all__ = ["ConversionError", "Format", "LossyConversion", "Losses", "MissingExtraError", "Problem", "convert",
           "require"]

SPACEDSL = "spacedsl"


class Format(Protocol):
    """What a format may offer; each method is optional (offer what the other side has).

    ``lossy`` is passed by keyword to every method: False means refuse with a
    `ConversionError` anything that cannot be carried exactly (see `Losses`).
    """

    def dumps(self, space, *, lossy=False, **options) -> str:
        """The space as the other tool's text (JSON, YAML, ...)."""

    def loads(self, text, *, lossy=False) -> Space:
        """A space from the other tool's text."""

    def to_native(self, space, *, lossy=False, **options) -> object:
        """The space as the other tool's objects."""

    def from_native(self, obj, *, lossy=False) -> Space:
        """A space from the other tool's objects."""

    def knows(self, obj) -> bool:
        """Whether ``obj`` is one of this format's native objects (lets ``convert(obj, "spacedsl")`` find it)."""


@attrs.frozen
class Problem:
    """One statement a format cannot carry exactly.

    Attributes:
        statement: The statement's text (its first line), or what the native object calls it.
        reason: Why it cannot be carried.
        filename: The space file, or None for a native object.
        line: 1-based line, or None.
        column: 1-based column, or None.
    """

    statement: str
    reason: str
    filename: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self):
        where = f"{self.filename or '<string>'}:{self.line}:{self.column}: " if self.line is not None else ""
        return f"{where}{self.statement}: {self.reason}"


def _listing(problems):
    return "\n".join(f"  {p}" for p in problems)


class ConversionError(ValueError):
    """A space (or native object) the format cannot express exactly.

    Attributes:
        format: The format's name.
        problems: Every statement that cannot be carried, as `Problem` records.
    """

    def __init__(self, format, problems, direction="to"):
        self.format, self.problems, self.direction = format, list(problems), direction
        n = len(self.problems)
        what = f"to {format}" if direction == "to" else f"from {format}"
        super().__init__(f"cannot convert {what} exactly: {n} statement{'s' if n != 1 else ''} "
                         f"{'have' if n != 1 else 'has'} no exact form\n{_listing(self.problems)}\n"
                         "pass lossy=True (spacedsl convert --lossy) to drop them and convert the rest")

    def __reduce__(self):
        return (type(self), (self.format, self.problems, self.direction))


class LossyConversion(UserWarning):
    """Warned by a ``lossy=True`` conversion that dropped something.

    Attributes:
        format: The format's name.
        dropped: The `Problem` records of what was dropped.
    """

    def __init__(self, format, dropped, direction="to"):
        self.format, self.dropped, self.direction = format, list(dropped), direction
        super().__init__(f"the conversion {direction} {format} dropped {len(self.dropped)} statement"
                         f"{'s' if len(self.dropped) != 1 else ''}:\n{_listing(self.dropped)}")


class MissingExtraError(ImportError):
    """A format needs a package that is not installed; the message names the extra to install."""


def require(module, extra, format):
    """Import an optional dependency of a format, or raise `MissingExtraError` naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(f"the {format} format needs the {module} package ({exc}); "
                                f"install it with: pip install 'spacedsl[{extra}]'") from None


class Losses:
    """Collects what a conversion cannot carry, then refuses once with all of it (or drops it).

    A format author calls `add` for every statement with no exact form while
    converting (keeping the rest), then `check` before returning the result.

    Attributes:
        format: The format's name.
        lossy: Drop (and warn) instead of refusing.
        filename: The space's file, for positions.
        problems: What has been added so far.
    """

    def __init__(self, format, lossy=False, filename=None, direction="to"):
        self.format, self.lossy, self.filename, self.direction = format, lossy, filename, direction
        self.problems = []

    def add(self, node, reason, statement=None):
        """Record that ``node`` (a syntax-tree statement, or a native object's name) cannot be carried."""
        pos = getattr(node, "pos", None)
        if statement is None:
            statement = _statement_text(node)
        problem = Problem(statement, reason, self.filename if pos is not None else None,
                          pos.line if pos is not None else None, pos.column if pos is not None else None)
        if problem not in self.problems:
            self.problems.append(problem)

    def __bool__(self):
        return bool(self.problems)

    def check(self):
        """Raise `ConversionError` listing every problem; with ``lossy``, warn and return them instead."""
        if not self.problems:
            return []
        if not self.lossy:
            raise ConversionError(self.format, self.problems, self.direction)
        warnings.warn(LossyConversion(self.format, self.problems, self.direction), stacklevel=3)
        return list(self.problems)


def _statement_text(node):
    if isinstance(node, str):
        return node
    try:
        return dumps((node,)).splitlines()[0]
    except TypeError:
        return expr_text(node)


def format_of(obj):
    """The name of the registered format that knows a native object, or a `PluginError`."""
    table = plugins.formats()
    found = [name for name, fmt in table.items() if getattr(fmt, "knows", None) and fmt.knows(obj)]
    if not found:
        readers = sorted(name for name, fmt in table.items() if hasattr(fmt, "from_native"))
        raise PluginError(f"no registered format knows a {type(obj).__module__}.{type(obj).__qualname__}; "
                          f"formats that read native objects: {', '.join(readers) or 'none'}; "
                          "pass source=NAME to say which")
    if len(found) > 1:
        raise PluginError(f"formats {', '.join(found)} all know a {type(obj).__module__}.{type(obj).__qualname__}; "
                          "pass source=NAME to say which")
    return found[0]


def convert(obj, to, *, lossy=False, source=None, **options):
    """Convert a space to another tool's objects, or another tool's objects to a `Space`.

    Args:
        obj: A `Space` or space text (with ``to`` a format name); or, with ``to="spacedsl"``,
            a native object of a format (found by `Format.knows`, or named by ``source``),
            or that format's text when ``source`` names it.
        to: A registered format's name, or ``"spacedsl"``.
        lossy: Drop what cannot be carried (and warn a `LossyConversion`) instead of raising
            `ConversionError`.
        source: With ``to="spacedsl"``, the format ``obj`` is in.
        **options: Passed to the format (e.g. ``kind="grid"`` for sklearn).

    Returns:
        The native object, or a `Space`.
    """
    if to == SPACEDSL:
        if source is None:
            if isinstance(obj, Space):
                return obj
            if isinstance(obj, str | bytes):
                return as_space(obj)
            source = format_of(obj)
        fmt = _format(source)
        if isinstance(obj, str | bytes) and hasattr(fmt, "loads"):
            return fmt.loads(obj, lossy=lossy, **options)
        return _method(fmt, source, "from_native")(obj, lossy=lossy, **options)
    fmt = _format(to)
    return _method(fmt, to, "to_native")(as_space(obj), lossy=lossy, **options)


def _format(name):
    return plugins.format(name)


def _method(fmt, name, method):
    fn = getattr(fmt, method, None)
    if fn is None:
        raise PluginError(f"the {name} format has no {method}")
    return fn
