"""Our own interpreter for conditions and constraints, vectorised over configurations.

Nothing here calls Python's ``eval``: the syntax tree is walked and every
operator is applied to numpy arrays holding one value per configuration.

Semantics (SPEC section 1):
- an inactive parameter is ``none``;
- ``==``/``!=`` compare any two values (a boolean never equals a number);
- ``< <= > >=`` order two numbers or two strings, and are false otherwise;
- arithmetic is on numbers only; anything else, or a division by zero, is an
  *error*; ``and``/``or`` short-circuit like Python's, so ``y != 0 and x / y > 1``
  works; a condition whose value is an error is false.

A value is an array of one of three kinds: float64 (numbers only), bool
(booleans only) or object (anything, including None). Errors travel in a
separate boolean mask.
"""

from __future__ import annotations

import operator

import numpy as np

from . import ast

_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "%": np.mod}
_PY_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "%": operator.mod}
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _equal(x, y):
    if isinstance(x, bool) != isinstance(y, bool):
        return False
    return x == y


def _ordered(op, x, y):
    if (is_number(x) and is_number(y)) or (isinstance(x, str) and isinstance(y, str)):
        return op(x, y)
    return False


def _py_arith(op, x, y):
    if not (is_number(x) and is_number(y)):
        return _ERR
    try:
        return op(x, y)
    except (ZeroDivisionError, OverflowError):
        return _ERR


_ERR = object()


def literal_array(value, n):
    """An array of n copies of a literal value."""
    if is_number(value) and abs(value) <= 2**53:
        return np.full(n, float(value))
    if isinstance(value, bool):
        return np.full(n, value, dtype=bool)
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _as_object(a):
    return a if a.dtype == object else a.astype(object)


def truthy(a):
    if a.dtype == bool:
        return a
    if a.dtype.kind == "f":
        return a != 0
    return np.fromiter((bool(x) for x in a), dtype=bool, count=len(a))


class Evaluator:
    """Evaluates expressions over n configurations.

    Attributes:
        column: A function name -> array of that name's values (None where inactive).
        n: Number of configurations.
    """

    def __init__(self, column, n):
        self.column = column
        self.n = n

    def truth(self, expr):
        """Boolean mask: where the condition holds (an error counts as false)."""
        value, err = self.value(expr)
        t = truthy(value)
        return t & ~err if err is not None else t

    def value(self, expr):
        n = self.n
        if isinstance(expr, ast.Literal):
            return literal_array(expr.value, n), None
        if isinstance(expr, ast.Name):
            return self.column(expr.name), None
        if isinstance(expr, ast.Unary):
            a, err = self.value(expr.operand)
            if expr.op == "not":
                return ~truthy(a), err
            if a.dtype.kind == "f":
                return -a, err
            out = np.array([-x if is_number(x) else _ERR for x in a], dtype=object)
            return self._split_errors(out, err)
        if isinstance(expr, ast.Membership):
            a, err = self.value(expr.operand)
            hit = np.zeros(n, dtype=bool)
            for lit in expr.values:
                hit |= self._compare("==", a, literal_array(lit.value, n))
            return (~hit if expr.negated else hit), err
        op = expr.op
        if op in ("and", "or"):
            a, ea = self.value(expr.left)
            b, eb = self.value(expr.right)
            ta = truthy(a)
            take_left = ~ta if op == "and" else ta
            if a.dtype == b.dtype:
                out = np.where(take_left, a, b)
            else:
                out = np.where(take_left, _as_object(a), _as_object(b))
            err = _or(ea, None if eb is None else eb & ~take_left)
            return out, err
        a, ea = self.value(expr.left)
        b, eb = self.value(expr.right)
        err = _or(ea, eb)
        if op in _ARITH:
            return self._arith(op, a, b, err)
        return self._compare(op, a, b), err

    def _arith(self, op, a, b, err):
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            with np.errstate(all="ignore"):
                out = _ARITH[op](a, b)
            if op in "/%":
                err = _or(err, b == 0)
            return out, err
        if a.dtype == bool or b.dtype == bool:  # booleans are not numbers
            return np.zeros(self.n), np.ones(self.n, dtype=bool)
        fn = _PY_ARITH[op]
        out = np.empty(self.n, dtype=object)
        out[:] = [_py_arith(fn, x, y) for x, y in zip(a.tolist(), b.tolist())]
        return self._split_errors(out, err)

    def _split_errors(self, out, err):
        bad = np.fromiter((x is _ERR for x in out), dtype=bool, count=len(out))
        if bad.any():
            out[bad] = None
            err = _or(err, bad)
        return out, err

    def _compare(self, op, a, b):
        fast = (a.dtype.kind == "f" and b.dtype.kind == "f") or (a.dtype == bool and b.dtype == bool)
        if fast and (op in ("==", "!=") or a.dtype.kind == "f"):
            return {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
                    ">": np.greater, ">=": np.greater_equal}[op](a, b)
        if op in ("==", "!="):
            if {a.dtype.kind, b.dtype.kind} == {"f", "b"}:
                same = np.zeros(self.n, dtype=bool)
            else:
                same = np.fromiter(map(_equal, a.tolist(), b.tolist()), dtype=bool, count=self.n)
            return same if op == "==" else ~same
        fn = _ORDER[op]
        return np.fromiter((_ordered(fn, x, y) for x, y in zip(a.tolist(), b.tolist())), dtype=bool, count=self.n)


def _or(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a | b


def names_in(expr):
    """Every name an expression refers to, with its node, in order."""
    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            found.append(node)
        elif isinstance(node, ast.Unary):
            stack.append(node.operand)
        elif isinstance(node, ast.Binary):
            stack.extend((node.right, node.left))
        elif isinstance(node, ast.Membership):
            stack.append(node.operand)
    return found
