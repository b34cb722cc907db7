"""What the optuna, hyperopt and wandb formats share: building a `Space` from another tool's terms.

Each native parameter becomes a syntax-tree statement; one that spacedsl would reject (a name
that is not a spacedsl name, an empty or repeated choice) is reported through the format's
`Losses`, so a conversion refuses once with everything it cannot carry.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

import spacedsl
from spacedsl.language import ast


def plain(value):
    """A numpy scalar as the plain Python value (other values unchanged)."""
    return value.item() if isinstance(value, np.generic) else value


def lit(value):
    return ast.Literal(plain(value))


def is_literal(value):
    """Whether a native value can be a spacedsl literal."""
    value = plain(value)
    if value is None or isinstance(value, bool | str | int | ast.Ref):  # a Ref: a named object, @svc
        return True
    return isinstance(value, numbers.Real) and math.isfinite(value)


@functools.lru_cache(maxsize=4096)
def valid_name(name):
    """Whether ``name`` can name a parameter in a ``.space`` file (``clf__C`` and ``clf.C`` can)."""
    if not isinstance(name, str) or not name or any(c in name for c in "\n\r;#=~"):
        return False
    try:
        spacedsl.parse(f"{name} = 0")
    except spacedsl.DSLError:
        return False
    return True


def dist(name, *args, **kwargs):
    """A ``~ name(args)`` domain."""
    return ast.Distribution(name, tuple(lit(a) for a in args),
                            tuple(ast.Keyword(k, lit(v)) for k, v in kwargs.items() if v is not None))


def choice(values):
    return ast.Choice(tuple(lit(v) for v in values))


def int_range(low, high, step=1):
    return ast.Range(lit(low), lit(high), None if step == 1 else lit(step))


def checked(statement, losses, label):
    """``statement`` if spacedsl accepts it on its own, else None with the reason added to ``losses``."""
    try:
        spacedsl.Space.from_statements([statement])
    except spacedsl.DSLError as exc:
        losses.add(label, exc.message)
        return None
    return statement


def build(statements, losses):
    """The space of the statements kept, after refusing (or, lossy, warning) what was not."""
    losses.check()
    return spacedsl.Space.from_statements([s for s in statements if s is not None])


def walk(statements):
    """Every statement, blocks' contents included, in file order."""
    for s in statements:
        yield s
        if isinstance(s, ast.If):
            yield from walk(s.body)
            yield from walk(s.orelse)
