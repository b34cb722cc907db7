"""The compiled space: dimensions, and the vectorised engine over batches of configurations.

Every searched parameter (or tied group) is one *dimension*. A batch holds n
configurations as one array per dimension: an index array for finite domains,
a value array for distributions. Sampling, the grid, validation and the
unit-cube mapping all work on batches, so nothing loops per sample per
parameter in Python except where values must become Python objects.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from ..language.ast import literal_key
from ..language.printer import literal_text
from .expr import Evaluator, NONE, is_number

class _Missing:
    """No default given (a picklable singleton)."""

    def __repr__(self):
        return "MISSING"

    def __reduce__(self):
        return "MISSING"


MISSING = _Missing()
_INACTIVE = object()


def value_key(value):
    """Equality key that keeps booleans apart from numbers (``1 != true``)."""
    if isinstance(value, tuple):
        return tuple(value_key(v) for v in value)
    return (isinstance(value, bool), value)


def _object_array(values):
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def ints_to_list(x):
    """Integral floats to Python ints, exactly, even beyond int64."""
    if len(x) and np.max(np.abs(x)) >= 2**62:
        return [int(v) for v in x.tolist()]
    return x.astype(np.int64).tolist()


class ListValues:
    """The values of a finite choice (or of one component of a tied group)."""

    def __init__(self, values, codes):
        self.values = list(values)
        self.size = len(self.values)
        self.objects = _object_array(self.values)
        self.ordered = all(is_number(v) for v in self.values)
        if not isinstance(self.values[0], tuple):
            self.env_num, self.env_code = codes.encode(self.values)
        self._index, self._exact = {}, {}
        for i, v in enumerate(self.values):
            self._index.setdefault(value_key(v), i)
            self._exact.setdefault(literal_key(v), i)

    def output(self, idx):
        return self.objects[idx]

    def env(self, idx):
        return self.env_num[idx], self.env_code[idx]

    def index_of(self, value):
        """Position of a value: the same literal if listed (1.0 finds 1.0, not 1), else an equal number."""
        try:
            exact = self._exact.get(literal_key(value))
            return exact if exact is not None else self._index.get(value_key(value))
        except TypeError:  # unhashable
            return None

    def describe(self):
        shown = ", ".join(literal_text(v) for v in self.values[:8])
        return f"[{shown}{', ...' if self.size > 8 else ''}]"


class RangeValues:
    """``a..b step s`` without materialising it: value i is a + i*s."""

    ordered = True

    def __init__(self, low, step, size, integer, digits):
        self.low, self.step, self.size, self.integer, self.digits = low, step, size, integer, digits
        self.high = self.value(size - 1)

    def value(self, i):
        if self.integer:
            return int(self.low + i * self.step)
        v = float(self.low + i * self.step)
        return round(v, self.digits) if self.digits is not None else v

    def _values(self, idx):
        v = self.low + np.asarray(idx, dtype=float) * self.step
        if not self.integer and self.digits is not None:
            v = np.round(v, self.digits)
        return v

    def output(self, idx):
        v = self._values(idx)
        if self.integer:
            if abs(self.low) + self.size * abs(self.step) < 2**53:
                return v.astype(np.int64)
            return _object_array([self.low + int(i) * self.step for i in np.asarray(idx).tolist()])
        return v

    def env(self, idx):
        return self._values(idx), np.zeros(len(idx), dtype=np.int64)

    def index_of(self, value):
        if not is_number(value):
            return None
        if self.integer and isinstance(value, int):
            k, rem = divmod(value - self.low, self.step)
            return k if rem == 0 and 0 <= k < self.size else None
        k = (value - self.low) / self.step
        if not math.isfinite(k):  # 1e308 / 0.1: far outside any range
            return None
        i = round(k)
        if abs(k - i) > 1e-9 * max(1.0, abs(k)) or not 0 <= i < self.size:
            return None
        if self.integer and float(value) != math.floor(value):
            return None
        return i

    @property
    def values(self):
        return [self.value(i) for i in range(self.size)]

    def describe(self):
        if self.integer and self.step == 1:
            return f"{self.low}..{self.high}"
        return f"{self.low}..{self.high} step {self.step}"


@attrs.define(eq=False)
class Dim:
    """One searched parameter, or one tied group.

    Attributes:
        index: Position among the dimensions.
        names: The parameter names it sets (one, or several when tied).
        kind: ``"choice"``, ``"range"``, ``"dist"`` or ``"tied"``.
        finite: The values of a finite domain (a tied group's rows), else None.
        parts: Per-name values of a finite domain (the rows' columns when tied).
        prior: The distribution, else None.
        guards: ``(condition, polarity)`` pairs that must all hold for it to be active.
        default: The default value (a tuple when tied) or MISSING.
        pos: Source position of the statement.
        requires: Dimensions whose values decide whether this one is active.
    """

    index: int
    names: tuple
    kind: str
    finite: object = None
    parts: tuple = ()
    prior: object = None
    guards: tuple = ()
    default: object = MISSING
    pos: object = None
    requires: frozenset = frozenset()

    @property
    def size(self):
        return self.finite.size if self.finite is not None else None

    @property
    def label(self):
        return self.names[0] if self.kind != "tied" else "(" + ", ".join(self.names) + ")"

    def value_of(self, config):
        """This dimension's value in a configuration (a tuple for a tied group)."""
        return tuple(config[n] for n in self.names) if self.kind == "tied" else config[self.names[0]]

    @property
    def model_kind(self):
        """How a model-based strategy should treat the dimension in the unit cube.

        ``"float"`` (continuous, through the prior's CDF), ``"int"`` (continuous
        relaxation, rounded), ``"ordinal"`` (finite ordered numbers, by index) or
        ``"categorical"`` (unordered labels, by index).
        """
        if self.prior is not None:
            return "int" if self.prior.integer else "float"
        return "ordinal" if self.kind != "tied" and self.finite.ordered else "categorical"


@attrs.define(eq=False)
class Constraint:
    """A ``where``: its condition, the blocks it sits in, and what it needs evaluated.

    Attributes:
        origin: ``(filename, line, column, source_line)`` for errors at sampling time, or None.
    """

    condition: object
    guards: tuple
    pos: object
    requires: frozenset
    text: str
    origin: object = None


@attrs.define(eq=False)
class Model:
    """A checked space, compiled.

    Attributes:
        dims: The dimensions in file order.
        constants: Name -> value.
        keys: Output order: (name, dim index or None for a constant, component).
        constraints: The ``where`` statements.
        by_name: Name -> (dim index, component) for parameters.
        codes: Interning table for the non-number values expressions see.
        cache: What is worked out once per space (the feasible table of `exact`).
    """

    dims: list
    constants: dict
    keys: list
    constraints: list
    by_name: dict
    codes: object
    cache: dict = attrs.field(factory=dict)

    @property
    def conditional(self):
        return any(d.guards for d in self.dims)


class Batch:
    """n configurations, one array per dimension, filled in file order."""

    def __init__(self, model, n):
        self.model = model
        self.n = n
        self.raw = [None] * len(model.dims)
        self.active = [None] * len(model.dims)
        self._env = {}
        self._guards = {}
        self.evaluator = Evaluator(self.column, n, model.codes)

    def set(self, j, raw):
        """Give dimension j its values, then work out where it is active."""
        self.raw[j] = raw
        self.active[j] = self.activity(self.model.dims[j].guards)

    def activity(self, guards):
        """Where every ``(condition, polarity)`` guard holds (None: no guard, active everywhere)."""
        mask = None
        for expr, polarity in guards:
            key = id(expr)
            if key not in self._guards:
                self._guards[key] = self.evaluator.truth(expr)
            m = self._guards[key] if polarity else ~self._guards[key]
            mask = m if mask is None else mask & m
        return mask

    def column(self, name):
        """(num, code) arrays of a name for expressions (see `expr`): none where inactive."""
        if name in self._env:
            return self._env[name]
        model = self.model
        if name in model.constants:
            num, code = model.codes.encode([model.constants[name]])
            col = np.repeat(num, self.n), np.repeat(code, self.n)
        else:
            j, part = model.by_name[name]
            dim, raw = model.dims[j], self.raw[j]
            if dim.prior is not None:
                col = raw, np.zeros(self.n, dtype=np.int64)
            else:
                col = dim.parts[part].env(raw)
            active = self.active[j]
            if active is not None:
                col = np.where(active, col[0], 0.0), np.where(active, col[1], NONE)
        self._env[name] = col
        return col

    def feasible(self):
        """Where every constraint holds (a constraint in an inactive block holds)."""
        ok = np.ones(self.n, dtype=bool)
        for c in self.model.constraints:
            ok &= self.constraint_holds(c)
        return ok

    def constraint_holds(self, c):
        holds = self.evaluator.truth(c.condition)
        active = self.activity(c.guards)
        return holds if active is None else holds | ~active

    def take(self, rows):
        """A new batch with the given rows."""
        new = Batch(self.model, len(rows))
        new.raw = [None if r is None else r[rows] for r in self.raw]
        new.active = [None if a is None else a[rows] for a in self.active]
        return new

    def output_list(self, j, part):
        dim, raw = self.model.dims[j], self.raw[j]
        if dim.prior is not None:
            return ints_to_list(raw) if dim.prior.integer else raw.tolist()
        return dim.parts[part].output(raw).tolist()

    def configs(self):
        """The configurations as dicts: constants and active parameters, in file order."""
        names, cols = [], []
        conditional = False
        for name, j, part in self.model.keys:
            names.append(name)
            if j is None:
                cols.append([self.model.constants[name]] * self.n)
                continue
            values = self.output_list(j, part)
            active = self.active[j]
            if active is not None and not active.all():
                conditional = True
                values = [v if a else _INACTIVE for v, a in zip(values, active.tolist())]
            cols.append(values)
        if not conditional:
            return [dict(zip(names, row)) for row in zip(*cols)] if cols else [{} for _ in range(self.n)]
        return [{k: v for k, v in zip(names, row) if v is not _INACTIVE} for row in zip(*cols)]


def decode(model, u, dims=None, fixed=None):
    """Map points of the unit cube to a batch: column k of u is dimension ``dims[k]`` (default: all).

    ``fixed`` maps dimension indices to a raw value (finite: index; distribution: value) used
    instead of the cube for every row.
    """
    u = np.asarray(u, dtype=float)
    batch = Batch(model, u.shape[0])
    for k, j in enumerate(range(len(model.dims)) if dims is None else dims):
        dim = model.dims[j]
        col = u[:, k]
        if fixed and j in fixed:
            raw = np.full(len(col), fixed[j], dtype=np.int64 if dim.prior is None else float)
        elif dim.prior is not None:
            raw = dim.prior.ppf(col)
        else:
            raw = np.minimum((np.clip(col, 0.0, 1.0) * dim.size).astype(np.int64), dim.size - 1)
        batch.set(j, raw)
    return batch


def encode(model, configs):
    """Map configurations to the unit cube; NaN where a parameter is absent (inactive)."""
    out = np.full((len(configs), len(model.dims)), np.nan)
    for j, dim in enumerate(model.dims):
        if dim.prior is not None:
            name = dim.names[0]
            vals = np.array([c.get(name, np.nan) if is_number(c.get(name)) else np.nan for c in configs],
                            dtype=float)
            with np.errstate(invalid="ignore"):
                out[:, j] = np.where(np.isnan(vals), np.nan, dim.prior.to_unit(np.nan_to_num(vals)))
            continue
        for i, c in enumerate(configs):
            if any(n not in c for n in dim.names):
                continue
            k = dim.finite.index_of(dim.value_of(c))
            if k is not None:
                out[i, j] = (k + 0.5) / dim.size
    return out
