"""`Space`: the root of the syntax tree, and what strategies consume."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping

import attrs
import numpy as np

from ..language import ast
from ..language.errors import DSLSemanticError, did_you_mean
from ..language.fmt import format_statements
from ..language.parser import parse_statements
from .checks import analyse
from .exact import draw_feasible, feasible_table
from .expr import is_number
from .grid import iter_grid
from .model import MISSING, Batch, Model, decode, encode, value_key

MAX_DRAW_FACTOR = 1000  # rejection sampling gives up after this many draws per configuration asked
MAX_SAMPLE = 10**7  # sample(n) builds a list; more than this is refused (iter_sample streams)
SAMPLE_CHUNK = 1 << 20  # iter_sample draws this many configurations at a time
MAX_RESOLUTION = 10**6  # grid points per distribution


def parse(text, filename="<string>"):
    """Parse and check space text; raises `DSLError` (with file, line and column) on bad input."""
    statements, source = parse_statements(text, filename)
    return Space.from_statements(statements, source)


def load(path):
    """Read, parse and check a ``.space`` file (str or os.PathLike)."""
    with open(path, "rb") as f:
        data = f.read()
    return parse(data, filename=os.fspath(path))


def format_text(text, filename="<string>"):
    """The canonical form of space text, keeping its comments and single blank lines (``spacedsl fmt``).

    The text is parsed and checked first, so only a valid space is rewritten; see
    `spacedsl.language.fmt` for where the comments go.
    """
    statements, source = parse_statements(text, filename)
    space = Space.from_statements(statements, source)
    return format_statements(space.statements, source)


def as_space(space):
    """A `Space` from a Space or from space text."""
    if isinstance(space, Space):
        return space
    if isinstance(space, str | bytes):
        return parse(space)
    raise TypeError(f"expected a spacedsl.Space or space text, got {type(space).__name__}")


@attrs.frozen
class Space:
    """A checked search space, immutable and hashable; equal when it declares the same things.

    Build one with `spacedsl.parse`, `spacedsl.load`, `Space.from_statements` or
    `Space.from_dict`.

    Attributes:
        statements: The normalised syntax tree, in file order.
        filename: The file it was read from (``"<string>"`` for text); not part of equality.
    """

    statements: tuple = attrs.field(converter=tuple)
    _model: Model = attrs.field(eq=False, repr=False, alias="model")
    filename: str | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def from_statements(cls, statements, source=None, distributions=None):
        """Check statements (syntax-tree nodes) and build a space; raises `DSLSemanticError`."""
        statements, model = analyse(statements, source, distributions)
        return cls(statements, model, getattr(source, "filename", None))

    # ------------------------------------------------------------ properties
    @property
    def names(self):
        """Searched parameter names, in file order."""
        return tuple(name for d in self._model.dims for name in d.names)

    @property
    def constants(self):
        """Constants: passed to every configuration, never searched."""
        return dict(self._model.constants)

    @property
    def defaults(self):
        """The defaults written with ``= value``, by parameter name."""
        out = {}
        for d in self._model.dims:
            if d.default is not MISSING:
                out.update(zip(d.names, d.default) if d.kind == "tied" else [(d.names[0], d.default)])
        return out

    @property
    def dimensions(self):
        """The dimensions of the unit cube, one per parameter or tied group (see `to_unit`)."""
        return tuple(self._model.dims)

    # -------------------------------------------------------------- sampling
    def sample(self, n=None, seed=None):
        """One configuration (``n=None``) or a list of n, drawn from the space; never breaks a constraint.

        A list of more than ``MAX_SAMPLE`` configurations is refused up front (it would not fit in
        memory); `iter_sample` streams any number.
        """
        if n is None:
            return self._draw(1, np.random.default_rng(seed))[0]
        n = _count(n)
        if n > MAX_SAMPLE:
            per = 100 + 120 * len(self._model.keys)  # bytes of a dict of floats, roughly
            raise ValueError(f"sample({n:,}) would build {n:,} configurations, about {n * per / 1e9:,.0f} GB; "
                             f"ask for at most {MAX_SAMPLE:,} at a time, or iterate over iter_sample({n})")
        return list(self.iter_sample(n, seed))

    def iter_sample(self, n, seed=None):
        """Yield n configurations drawn from the space, a bounded chunk at a time.

        The same configurations as ``sample(n, seed)``, in the same order, without holding them all.
        """
        n = _count(n)
        rng = np.random.default_rng(seed)
        while n > 0:
            k = min(n, SAMPLE_CHUNK)
            yield from self._draw(k, rng)
            n -= k

    def _draw(self, n, rng):
        model, d = self._model, len(self._model.dims)
        if not model.constraints:
            return decode(model, rng.random((n, d))).configs()
        out, drawn, rate, table = [], 0, 1.0, None
        while len(out) < n:
            want = n - len(out)
            m = min(max(int(want / max(rate, 1e-3) * 1.2) + 16, 64), 1 << 20)
            if table is None and (rate < 1e-3 or drawn > MAX_DRAW_FACTOR * n + 100_000):
                table = feasible_table(model)  # rare feasible points: draw them exactly, if enumerable
                table = table if table is not None and len(table[1]) else False
            if table:
                batch = decode(model, draw_feasible(model, table, min(want, 1 << 20), rng))
            elif drawn > MAX_DRAW_FACTOR * n + 100_000:
                c = min(model.constraints, key=lambda c: batch.constraint_holds(c).mean())
                raise DSLSemanticError(
                    f"constraints accept too few configurations to sample: {len(out)} of {drawn:,} draws; "
                    "loosen the 'where' conditions or narrow the domains they name",
                    *(c.origin or (self.filename or "<string>",)))
            else:
                batch = decode(model, rng.random((m, d)))
            ok = np.flatnonzero(batch.feasible())
            drawn += batch.n
            out += batch.take(ok[:want]).configs()
            rate = max(len(ok), 1) / batch.n
        return out

    def default_configuration(self, seed=None, tries=64):
        """The configuration a sequential strategy tries first: every default given, the rest drawn.

        None when the space has no defaults, or when no draw of the rest meets the constraints.
        """
        model = self._model
        fixed = {}
        for dim in model.dims:
            if dim.default is MISSING:
                continue
            if dim.prior is not None:
                fixed[dim.index] = float(dim.default)
            else:
                fixed[dim.index] = dim.finite.index_of(dim.default)
        if not fixed:
            return None
        rng = np.random.default_rng(seed)
        batch = decode(model, rng.random((tries, len(model.dims))), fixed=fixed)
        ok = np.flatnonzero(batch.feasible())
        return batch.take(ok[:1]).configs()[0] if len(ok) else None

    def grid(self, resolution=5):
        """Iterate over every configuration of the grid (finite domains whole, distributions at
        ``resolution`` points), first parameter varying slowest."""
        if isinstance(resolution, bool) or not isinstance(resolution, int | np.integer) or resolution < 1:
            raise ValueError(f"resolution must be a positive integer, got {resolution!r}")
        if resolution > MAX_RESOLUTION and any(d.prior is not None for d in self._model.dims):
            raise ValueError(f"resolution={resolution:,} would put {resolution:,} points ({resolution * 8 / 1e9:,.1f} GB) "
                             f"on each distribution; the grid allows at most {MAX_RESOLUTION:,}")
        return iter_grid(self._model, int(resolution))

    # ------------------------------------------------------------ validation
    def validate(self, config):
        """Raise ValueError unless ``config`` is a configuration of this space.

        Every active parameter must be present and in its domain, no inactive or
        unknown key present, constants absent or equal, and every constraint hold. A numpy
        scalar counts as the Python value it holds (``np.int64(3)`` is ``3``; ``np.bool_`` stays a bool).
        """
        if not isinstance(config, Mapping):
            raise ValueError(f"a configuration is a dict, got {type(config).__name__}")
        config = {k: _python_scalar(v) for k, v in config.items()}
        model = self._model
        for key in config:
            if key not in model.by_name and key not in model.constants:
                raise ValueError(f"unknown parameter {key!r}{did_you_mean(str(key), self.names)}")
        for name, value in model.constants.items():
            if name in config and value_key(config[name]) != value_key(value):
                raise ValueError(f"constant {name!r} is {value!r}, got {config[name]!r}")
        batch = Batch(model, 1)
        for dim in model.dims:
            present = [n in config for n in dim.names]
            batch.set(dim.index, _raw_of(dim, config) if all(present) else _placeholder(dim))
            active = batch.active[dim.index] is None or bool(batch.active[dim.index][0])
            if active and not all(present):
                missing = [n for n, p in zip(dim.names, present) if not p]
                raise ValueError(f"missing parameter {missing[0]!r}")
            if not active and any(present):
                raise ValueError(f"{dim.label!r} is inactive in this configuration (the condition of its "
                                 "block does not hold); leave it out")
        for c in model.constraints:
            if not batch.constraint_holds(c)[0]:
                line = f" (line {c.pos.line})" if c.pos is not None else ""
                raise ValueError(f"configuration breaks the constraint 'where {c.text}'{line}")

    # ------------------------------------------------------------- unit cube
    def to_unit(self, configs):
        """Configurations to points of the unit cube, one column per dimension.

        Distributions go through their prior's CDF (linear for uniform, log for
        loguniform); finite domains to the middle of their index's cell,
        ``(i + 0.5) / size``. Inactive parameters are NaN. ``dimensions[j].model_kind``
        tells ordered numbers from unordered labels.
        """
        return encode(self._model, list(configs))

    def from_unit(self, u):
        """Points of the unit cube to configurations (inactive parameters dropped).

        The result may break ``where`` constraints: see `feasible_unit`.
        """
        return decode(self._model, np.atleast_2d(u)).configs()

    def feasible_unit(self, u):
        """Boolean mask: which points of the unit cube map to configurations meeting every constraint."""
        return decode(self._model, np.atleast_2d(u)).feasible()

    def activity_unit(self, u):
        """``(active, feasible)`` of points of the unit cube, in one decoding pass: an (n, d) boolean
        array, True where a dimension is active (its ``if`` blocks hold), and `feasible_unit`'s mask."""
        batch = decode(self._model, np.atleast_2d(u))
        active = np.ones((batch.n, len(self._model.dims)), dtype=bool)
        for j, mask in enumerate(batch.active):
            if mask is not None:
                active[:, j] = mask
        return active, np.asarray(batch.feasible(), dtype=bool)

    @property
    def model(self):
        """The compiled engine (`spacedsl.space.model.Model`: dimensions, constraints, the value
        interner), read-only, for tools that analyse a space (lint, conversions)."""
        return self._model

    @property
    def constrained(self):
        """Whether the space has ``where`` constraints."""
        return bool(self._model.constraints)

    # ---------------------------------------------------------- serialising
    def to_dict(self):
        """A JSON-safe dict that `from_dict` turns back into an equal space."""
        return {"spacedsl": 1, "statements": [_node_to_dict(s) for s in self.statements]}

    @classmethod
    def from_dict(cls, data):
        """The space `to_dict` described; raises `DSLError` on anything malformed."""
        if not isinstance(data, Mapping) or data.get("spacedsl") != 1 or not isinstance(data.get("statements"), list):
            raise DSLSemanticError("not a spacedsl dict: expected {'spacedsl': 1, 'statements': [...]}", "<dict>")
        try:
            statements = [_node_from_dict(s) for s in data["statements"]]
        except (TypeError, ValueError, KeyError) as exc:
            raise DSLSemanticError(f"malformed space dict: {exc}", "<dict>") from None
        return cls.from_statements(statements)


def _count(n):
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


def _python_scalar(value):
    """A numpy scalar as the Python value it holds (ConfigSpace and Optuna return them): ``np.int64(3)``
    is ``3``, ``np.float64`` a float, ``np.bool_`` a bool (still not a number); anything else as it is."""
    if isinstance(value, np.generic) and isinstance(value, np.bool_ | np.integer | np.floating):
        return value.item()
    if isinstance(value, tuple):
        return tuple(_python_scalar(v) for v in value)
    return value


def _raw_of(dim, config):
    if dim.prior is not None:
        value = config[dim.names[0]]
        ok = dim.prior.contains(value) and (not dim.prior.integer or isinstance(value, int))
        if not ok:
            kind = "an integer " if dim.prior.integer else ""
            raise ValueError(f"{dim.label!r} must be {kind}in the support "
                             f"[{dim.prior.low}, {dim.prior.high}]{' on its step lattice' if dim.prior.step else ''}"
                             f", got {value!r}")
        return np.array([float(value)])
    value = dim.value_of(config)
    k = dim.finite.index_of(value)
    if k is None:
        raise ValueError(f"{dim.label!r} must be one of {dim.finite.describe()}, got {value!r}")
    return np.array([k], dtype=np.int64)


def _placeholder(dim):
    return np.array([0.5 if dim.prior is None else dim.prior.ppf(np.array([0.5]))[0]]).astype(
        np.int64 if dim.prior is None else float)


# --------------------------------------------------------------- to / from dict

_NODES = {cls.__name__: cls for cls in ast.NODE_TYPES}
_REF_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _node_to_dict(node):
    if attrs.has(type(node)):
        out = {"node": type(node).__name__}
        for f in attrs.fields(type(node)):
            if f.eq is not False:
                out[f.name] = _node_to_dict(getattr(node, f.name))
        return out
    if isinstance(node, tuple):
        return [_node_to_dict(x) for x in node]
    return node


def _node_from_dict(data):
    if isinstance(data, list):
        return tuple(_node_from_dict(x) for x in data)
    if isinstance(data, Mapping):
        cls = _NODES.get(data.get("node"))
        if cls is None:
            raise ValueError(f"unknown node {data.get('node')!r}")
        fields = {k: _node_from_dict(v) for k, v in data.items() if k != "node"}
        if cls is ast.Literal:
            value = fields.get("value")
            if not (value is None or isinstance(value, bool | str | int | ast.Ref)
                    or (is_number(value) and math.isfinite(value))):
                raise ValueError(f"not a literal: {value!r}")
        if cls is ast.Ref and not (isinstance(fields.get("name"), str) and _REF_NAME.fullmatch(fields["name"])):
            raise ValueError(f"not an object name: {fields.get('name')!r}")
        return cls(**fields)
    if data is None or isinstance(data, str | bool | int | float):
        return data
    raise ValueError(f"unexpected {data!r}")

