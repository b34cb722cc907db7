"""The syntax tree: immutable attrs nodes, equal when they say the same thing.

Every node keeps where it came from in ``pos`` (excluded from equality and
hashing), so two spaces written differently but declaring the same things are
equal, and every error can point at the text that caused it.
"""

from __future__ import annotations

from typing import Union

import attrs


@attrs.frozen
class Pos:
    """A span of source text, 1-based.

    Attributes:
        line: First line.
        column: First column.
        end_line: Line of the character just past the span.
        end_column: Column of the character just past the span.
    """

    line: int
    column: int
    end_line: int
    end_column: int


def _pos():
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


def literal_key(value):
    """Equality key of literals: 1, 1.0 and true are three different values, although Python says
    1 == 1.0 == True (tuples, as tied rows, key each element)."""
    if isinstance(value, tuple):
        return tuple(literal_key(v) for v in value)
    return type(value).__name__, value


# ---------------------------------------------------------------- expressions


@attrs.frozen(repr=False)
class Ref:
    """A named object, written ``@svc`` or ``@sklearn.svm.SVC``: a value whose object the caller supplies.

    A space only ever holds the name (opening a file imports nothing); `spacedsl.search`,
    `SpaceSearchCV` and `minimize` put the caller's object in its place just before a trial
    runs, and results, stores and tables keep the name.

    Attributes:
        name: The (possibly dotted) name, without the ``@``.
    """

    name: str

    def __str__(self):
        return "@" + self.name

    def __repr__(self):
        return f"Ref({self.name!r})"


@attrs.frozen
class Literal:
    """A constant value: int, float, str, bool, None or a `Ref` (``@name``).

    Attributes:
        value: The plain Python value.
    """

    value: object = attrs.field(eq=literal_key)
    pos: Pos | None = _pos()


@attrs.frozen
class Name:
    """A reference to a parameter or constant defined above.

    Attributes:
        name: The (possibly dotted) name.
    """

    name: str
    pos: Pos | None = _pos()


@attrs.frozen
class Unary:
    """``-x`` or ``not x``.

    Attributes:
        op: ``"-"`` or ``"not"``.
        operand: The expression.
    """

    op: str
    operand: Expr
    pos: Pos | None = _pos()


@attrs.frozen
class Binary:
    """Arithmetic, comparison, ``and`` and ``or``.

    Attributes:
        op: One of ``+ - * / % == != < <= > >= and or``.
        left: Left operand.
        right: Right operand.
    """

    op: str
    left: Expr
    right: Expr
    pos: Pos | None = _pos()


@attrs.frozen
class Membership:
    """``x in [...]`` or ``x not in [...]``.

    Attributes:
        operand: The expression tested.
        values: The literals it is compared with.
        negated: True for ``not in``.
    """

    operand: Expr
    values: tuple[Literal, ...] = attrs.field(converter=tuple)
    negated: bool = False
    pos: Pos | None = _pos()


Expr = Union[Literal, Name, Unary, Binary, Membership]

# -------------------------------------------------------------------- domains


@attrs.frozen
class Choice:
    """``in [v1, v2, ...]``: a finite choice, order kept.

    Attributes:
        values: The literals to choose from.
    """

    values: tuple[Literal, ...] = attrs.field(converter=tuple)
    pos: Pos | None = _pos()


@attrs.frozen
class Range:
    """``in a..b [step s]``: an inclusive arithmetic progression.

    Attributes:
        low: First value.
        high: Last value (included when on the lattice).
        step: The increment; None means 1.
    """

    low: Literal
    high: Literal
    step: Literal | None = None
    pos: Pos | None = _pos()


@attrs.frozen
class Keyword:
    """A keyword argument ``name=value`` of a distribution.

    Attributes:
        name: Argument name.
        value: Argument value.
    """

    name: str
    value: Literal
    pos: Pos | None = _pos()


@attrs.frozen
class Distribution:
    """``~ name(args)``: drawn from a distribution.

    After checking, the arguments of a distribution with a known signature are
    normalised: required arguments positional, optional ones as keywords in
    signature order, so ``uniform(0, 1) == uniform(low=0, high=1)``.

    Attributes:
        name: Distribution name (``uniform``, ``scipy.gamma``, ...).
        args: Positional arguments.
        kwargs: Keyword arguments.
    """

    name: str
    args: tuple[Literal, ...] = attrs.field(converter=tuple, default=())
    kwargs: tuple[Keyword, ...] = attrs.field(converter=tuple, default=())
    pos: Pos | None = _pos()
    name_pos: Pos | None = _pos()


Domain = Union[Choice, Range, Distribution]

# ----------------------------------------------------------------- statements


@attrs.frozen
class Param:
    """A searched parameter: ``name[: type] (in ... | ~ ...) [= default]``.

    Attributes:
        name: Parameter name.
        domain: Where its values come from.
        type: ``"int"``, ``"float"`` or None.
        default: The value a sequential strategy tries first, or None.
    """

    name: str
    domain: Domain
    type: str | None = None
    default: Literal | None = None
    pos: Pos | None = _pos()


@attrs.frozen
class Constant:
    """``name = value``: passed to every trial, never searched.

    Attributes:
        name: Constant name.
        value: Its value.
    """

    name: str
    value: Literal
    pos: Pos | None = _pos()


def _rows(rows):
    return tuple(tuple(row) for row in rows)


@attrs.frozen
class Tied:
    """``(a, b) in [(1, 2), (3, 4)]``: parameters chosen together.

    Attributes:
        names: The parameter names.
        rows: The tuples of literals, one per option.
        default: The first row to try, or None.
    """

    names: tuple[str, ...] = attrs.field(converter=tuple)
    rows: tuple[tuple[Literal, ...], ...] = attrs.field(converter=_rows)
    default: tuple[Literal, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(tuple)
    )
    pos: Pos | None = _pos()


@attrs.frozen
class If:
    """``if cond { ... } else { ... }``.

    Attributes:
        condition: When the body is active.
        body: Statements active when the condition holds.
        orelse: Statements active when it does not (an ``else if`` is one If).
        pos: From ``if`` to the ``}`` closing the body (end_line, end_column).
        else_end: Where the ``}`` closing an ``else { ... }`` block is.
    """

    condition: Expr
    body: tuple[Statement, ...] = attrs.field(converter=tuple)
    orelse: tuple[Statement, ...] = attrs.field(converter=tuple, default=())
    pos: Pos | None = _pos()
    else_end: Pos | None = _pos()


@attrs.frozen
class Where:
    """``where cond``: a constraint no proposed configuration breaks.

    Attributes:
        condition: The constraint.
    """

    condition: Expr
    pos: Pos | None = _pos()


Statement = Union[Param, Constant, Tied, If, Where]

NODE_TYPES = (
    Ref, Literal, Name, Unary, Binary, Membership, Choice, Range, Keyword,
    Distribution, Param, Constant, Tied, If, Where,
)
