"""Our own interpreter for conditions and constraints, vectorised over configurations.

Nothing here calls Python's ``eval``: the syntax tree is walked and every
operator is applied to numpy arrays holding one value per configuration.

Semantics (README, "Expressions"):
- an inactive parameter is ``none``;
- ``==``/``!=`` compare any two values (a boolean never equals a number);
- ``< <= > >=`` order two numbers or two strings, and are false otherwise;
- arithmetic is on numbers only; anything else, or a division by zero, is an
  *error*; ``and``/``or`` short-circuit like Python's, so ``y != 0 and x / y > 1``
  works; a condition whose value is an error is false.

Representation: a value column is a pair of arrays ``(num, code)``. ``code`` 0
means "a number, see num"; any other code names a non-number interned by a
`Codes` table: 1 none, 2 false, 3 true, 4+ strings and named objects (`Ref`). Every operator is then a
handful of numpy calls, whatever the types. Errors travel in a boolean mask.
"""

from __future__ import annotations

import numpy as np

from ..language import ast

NUMBER, NONE, FALSE, TRUE = 0, 1, 2, 3


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def as_float(x):
    """A number as a float; integers too large for one become +-inf (they still order correctly)."""
    try:
        return float(x)
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


class Codes:
    """Interns the non-number values a space mentions (strings, named objects, booleans, none)."""

    def __init__(self):
        self.strings = {}
        self.values = [0, None, False, True]
        self._truth = np.array([False, False, False, True])
        self._rank = None

    def code(self, value):
        if value is None:
            return NONE
        if value is True:
            return TRUE
        if value is False:
            return FALSE
        if is_number(value):
            return NUMBER
        code = self.strings.get(value)
        if code is None:
            code = self.strings[value] = len(self.values)
            self.values.append(value)
            self._truth = np.append(self._truth, bool(value))
            self._rank = None
        return code

    def encode(self, values):
        """(num, code) arrays for a list of plain values."""
        num = np.array([as_float(v) if is_number(v) else 0.0 for v in values], dtype=float)
        code = np.array([self.code(v) for v in values], dtype=np.int64)
        return num, code

    def truth(self, code):
        return self._truth[code]

    def rank(self, code):
        """Sort rank of strings (codes >= 4); -1 for anything else."""
        if self._rank is None:
            strings = [i for i in range(4, len(self.values)) if isinstance(self.values[i], str)]
            order = sorted(strings, key=self.values.__getitem__)  # named objects (@svc) have no order
            self._rank = np.full(len(self.values), -1, dtype=np.int64)
            self._rank[order] = np.arange(len(order))
        return self._rank[code]


_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "%": np.mod}
_ORDER = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


class Evaluator:
    """Evaluates expressions over n configurations.

    Attributes:
        column: A function name -> (num, code) arrays of that name's values.
        n: Number of configurations.
        codes: The `Codes` table the columns were encoded with.
    """

    def __init__(self, column, n, codes):
        self.column, self.n, self.codes = column, n, codes

    def truth(self, expr):
        """Boolean mask: where the condition holds (an error counts as false)."""
        (num, code), err = self.value(expr)
        t = self._truthy(num, code)
        return t if err is None else t & ~err

    def _truthy(self, num, code):
        return np.where(code == NUMBER, num != 0, self.codes.truth(code))

    def _bool(self, mask):
        return np.zeros(self.n), np.where(mask, TRUE, FALSE)

    def value(self, expr):
        """((num, code), err) for an expression; err is None or a mask of rows that failed."""
        n = self.n
        if isinstance(expr, ast.Literal):
            v = expr.value
            return (np.full(n, as_float(v) if is_number(v) else 0.0), np.full(n, self.codes.code(v))), None
        if isinstance(expr, ast.Name):
            return self.column(expr.name), None
        if isinstance(expr, ast.Unary):
            (num, code), err = self.value(expr.operand)
            if expr.op == "not":
                return self._bool(~self._truthy(num, code)), err
            return (-num, code), _or(err, code != NUMBER)
        if isinstance(expr, ast.Membership):
            a, err = self.value(expr.operand)
            hit = np.zeros(n, dtype=bool)
            for lit in expr.values:
                hit |= self._equal(a, self.value(lit)[0])
            return self._bool(~hit if expr.negated else hit), err
        op = expr.op
        a, ea = self.value(expr.left)
        b, eb = self.value(expr.right)
        if op in ("and", "or"):
            ta = self._truthy(*a)
            take_left = ~ta if op == "and" else ta
            out = (np.where(take_left, a[0], b[0]), np.where(take_left, a[1], b[1]))
            return out, _or(ea, None if eb is None else eb & ~take_left)
        err = _or(ea, eb)
        if op in _ARITH:
            bad = (a[1] != NUMBER) | (b[1] != NUMBER)
            if op in "/%":
                bad |= b[0] == 0
            with np.errstate(all="ignore"):
                num = _ARITH[op](a[0], b[0])
            return (np.where(bad, 0.0, num), np.zeros(n, dtype=np.int64)), _or(err, bad)
        if op == "==":
            return self._bool(self._equal(a, b)), err
        if op == "!=":
            return self._bool(~self._equal(a, b)), err
        numbers = (a[1] == NUMBER) & (b[1] == NUMBER)
        ra, rb = self.codes.rank(a[1]), self.codes.rank(b[1])
        strings = (ra >= 0) & (rb >= 0)
        holds = (numbers & _ORDER[op](a[0], b[0])) | (strings & _ORDER[op](ra, rb))
        return self._bool(holds), err

    @staticmethod
    def _equal(a, b):
        return (a[1] == b[1]) & ((a[1] != NUMBER) | (a[0] == b[0]))


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
