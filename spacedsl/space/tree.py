"""The public view of a space for embedders: `walk` and the records it yields.

`walk(space)` goes through a checked space in file order, into ``if`` blocks,
and yields one record per declaration: a `Parameter`, a `Constant`, a `Tied`
group or a `Constraint`. Each has ``kind``, the syntax-tree ``node`` it came
from (the frozen attrs nodes of `spacedsl.language.ast`), its source position ``pos``
(`spacedsl.language.ast.Pos`, 1-based) and, except constants, the ``conditions`` of the
blocks it sits in (it is active only when every one holds). These names are
public API: renaming them needs a deprecation.

>>> import spacedsl
>>> [(p.name, p.domain.kind, p.conditions[0].text if p.conditions else None)
...  for p in spacedsl.walk("k in ['a', 'b']; if k == 'b' { x ~ uniform(0, 1) }")]
[('k', 'choice', None), ('x', 'distribution', 'k == "b"')]
"""

from __future__ import annotations

import inspect

import attrs

from .. import plugins
from ..language import ast
from ..language.printer import expr_text
from .distributions import resolve
from .space import as_space

__all__ = ["Condition", "Constant", "Constraint", "Domain", "Parameter", "Tied", "names_in", "walk"]


@attrs.frozen
class Condition:
    """The condition of an enclosing ``if`` block.

    Attributes:
        expr: The condition's expression (a `spacedsl.language.ast` node).
        holds: True inside the ``if`` body, False inside its ``else``.
    """

    expr: object
    holds: bool = True

    @property
    def names(self):
        """The names the condition mentions, in order of appearance."""
        return names_in(self.expr)

    @property
    def text(self):
        """The condition as the language writes it (``not (...)`` in an ``else``)."""
        text = expr_text(self.expr)
        return text if self.holds else f"not ({text})"


@attrs.frozen
class Domain:
    """Where a parameter's values come from.

    Attributes:
        kind: ``"choice"`` (``in [...]``), ``"range"`` (``in a..b step s``) or ``"distribution"`` (``~ ...``).
        node: The `spacedsl.language.ast.Choice`, `spacedsl.language.ast.Range` or `spacedsl.language.ast.Distribution`.
        low: The smallest value (a distribution's support may be ``-inf``); None for a choice with non-numbers.
        high: The largest value (may be ``inf``); None for a choice with non-numbers.
        step: The lattice spacing of a range or of a distribution's ``step=``, else None.
        integer: Values are ints (an ``int`` range, ``: int``, ``randint``, a discrete scipy distribution).
        log: A distribution on a log scale (``loguniform``).
        distribution: The distribution's name (``"uniform"``, ``"scipy.gamma"``, ...), else None.
        arguments: A distribution's arguments by name, the unwritten ones at their defaults.
    """

    kind: str
    node: object = attrs.field(repr=False)
    low: object = None
    high: object = None
    step: object = None
    integer: bool = False
    log: bool = False
    distribution: str | None = None
    arguments: dict = attrs.field(factory=dict, hash=False)
    _finite: object = attrs.field(default=None, eq=False, repr=False, alias="finite")

    @property
    def finite(self):
        """Whether the domain is a finite list of values (a choice or a range)."""
        return self.kind != "distribution"

    @property
    def size(self):
        """How many values a finite domain has; None for a distribution."""
        return None if self._finite is None else self._finite.size

    @property
    def values(self):
        """Every value of a finite domain, in order (a range is materialised); None for a distribution."""
        return None if self._finite is None else tuple(self._finite.values)


@attrs.frozen
class Parameter:
    """A searched parameter.

    Attributes:
        name: Its name.
        domain: Its `Domain`.
        type: The annotation, ``"int"``, ``"float"`` or None.
        default: The ``= value`` default, after the annotation's conversion (None when there is none:
            see ``has_default``).
        has_default: Whether a default is written (``= none`` is a default too).
        conditions: The enclosing blocks' `Condition` records; active when every one holds.
        pos: Where the statement is.
        node: The `spacedsl.language.ast.Param`.
    """

    name: str
    domain: Domain
    type: str | None
    default: object
    has_default: bool
    conditions: tuple
    pos: object = attrs.field(eq=False)
    node: object = attrs.field(repr=False)
    kind = "parameter"


@attrs.frozen
class Constant:
    """``name = value``: in every configuration, whatever block it is written in.

    Attributes:
        name: Its name.
        value: Its value.
        pos: Where the statement is.
        node: The `spacedsl.language.ast.Constant`.
    """

    name: str
    value: object
    pos: object = attrs.field(eq=False)
    node: object = attrs.field(repr=False)
    kind = "constant"
    conditions = ()


@attrs.frozen
class Tied:
    """``(a, b) in [(1, 2), ...]``: parameters chosen together, one row at a time.

    Attributes:
        names: The parameter names.
        rows: The rows of values, one tuple per option.
        default: The default row, or None (see ``has_default``).
        has_default: Whether a default row is written.
        conditions: The enclosing blocks' `Condition` records.
        pos: Where the statement is.
        node: The `spacedsl.language.ast.Tied`.
    """

    names: tuple
    rows: tuple
    default: tuple | None
    has_default: bool
    conditions: tuple
    pos: object = attrs.field(eq=False)
    node: object = attrs.field(repr=False)
    kind = "tied"


@attrs.frozen
class Constraint:
    """``where cond``: no configuration in which its blocks are active breaks it.

    Attributes:
        expr: The condition's expression.
        conditions: The enclosing blocks' `Condition` records (outside them it does not apply).
        pos: Where the statement is.
        node: The `spacedsl.language.ast.Where`.
    """

    expr: object
    conditions: tuple
    pos: object = attrs.field(eq=False)
    node: object = attrs.field(repr=False)
    kind = "constraint"

    @property
    def names(self):
        """The names the constraint mentions, in order of appearance."""
        return names_in(self.expr)

    @property
    def text(self):
        """The condition as the language writes it."""
        return expr_text(self.expr)


def walk(space):
    """Every declaration of a space (or space text), in file order, into ``if`` blocks.

    Yields:
        `Parameter`, `Constant`, `Tied` and `Constraint` records.
    """
    space = as_space(space)
    dims = {name: dim for dim in space.dimensions for name in dim.names}
    yield from _walk(space.statements, (), dims)


def _walk(statements, conditions, dims):
    for s in statements:
        if isinstance(s, ast.Param):
            dim = dims[s.name]
            has_default = s.default is not None
            yield Parameter(s.name, _domain(s.domain, dim), s.type, dim.default if has_default else None,
                            has_default, conditions, s.pos, s)
        elif isinstance(s, ast.Constant):
            yield Constant(s.name, s.value.value, s.pos, s)
        elif isinstance(s, ast.Tied):
            dim = dims[s.names[0]]
            rows = tuple(tuple(v.value for v in row) for row in s.rows)
            has_default = s.default is not None
            yield Tied(s.names, rows, dim.default if has_default else None, has_default, conditions,
                       s.pos, s)
        elif isinstance(s, ast.Where):
            yield Constraint(s.condition, conditions, s.pos, s)
        elif isinstance(s, ast.If):
            yield from _walk(s.body, conditions + (Condition(s.condition, True),), dims)
            yield from _walk(s.orelse, conditions + (Condition(s.condition, False),), dims)


def names_in(expr):
    """The names an expression (a `spacedsl.language.ast` node) mentions, in order of appearance, each once."""
    out = []
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if node.name not in out:
                out.append(node.name)
        elif isinstance(node, ast.Unary):
            stack.append(node.operand)
        elif isinstance(node, ast.Binary):
            stack += [node.right, node.left]
        elif isinstance(node, ast.Membership):
            stack.append(node.operand)
    return tuple(out)


def _domain(node, dim):
    if isinstance(node, ast.Distribution):
        prior = dim.prior
        low, high = prior.low, prior.high
        if prior.integer:
            low = prior.int_low if prior.int_low is not None else low
            high = prior.int_high if prior.int_high is not None else high
        return Domain("distribution", node, low, high, prior.step, prior.integer, prior.log, node.name,
                      _arguments(node))
    finite = dim.finite
    values = finite.values if isinstance(node, ast.Choice) else None
    if isinstance(node, ast.Range):
        return Domain("range", node, finite.low, finite.high, finite.step, finite.integer, finite=finite)
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    low = high = None
    if len(numbers) == len(values):
        low, high = min(numbers), max(numbers)
    integer = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    return Domain("choice", node, low, high, None, integer, finite=finite)


def _arguments(node):
    args = [a.value for a in node.args]
    kwargs = {k.name: k.value.value for k in node.kwargs}
    factory = resolve(node.name, plugins.distributions())
    try:
        bound = inspect.signature(factory).bind(*args, **kwargs)
    except (TypeError, ValueError):  # a factory without a usable signature
        return {**{str(i): v for i, v in enumerate(args)}, **kwargs}
    bound.apply_defaults()
    return dict(bound.arguments)
