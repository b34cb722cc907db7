"""Semantic checks: from parsed statements to a checked, normalised, compiled space.

Every check of the language (README, "Language reference") lives here and raises a
`DSLSemanticError` pointing at the text that caused it.
"""

from __future__ import annotations

import inspect
import math
import warnings
from decimal import Decimal

import numpy as np

from .. import plugins
from ..language import ast
from ..language.ast import literal_key
from ..language.errors import DSLSemanticError, did_you_mean
from ..language.printer import dist_text, expr_text, literal_text
from .distributions import ArgumentError, Prior, decimals, probe, resolve
from .exact import EXACT_LIMIT, enumerate_rows, plan  # noqa: F401 - EXACT_LIMIT: the documented bound
from .expr import Codes, is_number, names_in
from .model import Constraint, Dim, ListValues, Model, RangeValues, decode

DRAWS = 10_000  # larger ones by this many seeded draws
MAX_RANGE = 10**9


class _Fail(Exception):
    def __init__(self, message, pos):
        super().__init__(message)
        self.message, self.pos = message, pos


def _type_name(value):
    return {bool: "a boolean", str: "a string", type(None): "none", int: "an integer", float: "a float",
            ast.Ref: "a named object"}.get(
        type(value), type(value).__name__)


def _show(value):
    return literal_text(value)


def _to_float(value, lit):
    try:
        return float(value)
    except OverflowError:
        raise _Fail(f"{_show(value)[:40]} is too large for a float", lit.pos) from None


class Analysis:
    """Walks the statements once, checking as it goes, and builds the `Model`."""

    def __init__(self, statements, distributions=None, source=None):
        self.statements = statements
        self.source = source
        self.distributions = plugins.distributions() if distributions is None else distributions
        self.dims, self.constants, self.keys, self.constraints = [], {}, [], []
        self.by_name, self.defined = {}, {}
        self.codes = Codes()
        self.later = {}  # every name in the file -> its position, to tell "later" from "unknown"
        for name, pos in _all_names(statements):
            self.later.setdefault(name, pos)

    def run(self):
        statements = self._block(self.statements, ())
        model = Model(self.dims, self.constants, self.keys, self.constraints, self.by_name, self.codes)
        return statements, model

    # ------------------------------------------------------------ statements
    def _block(self, statements, guards):
        return tuple(self._statement(s, guards) for s in statements)

    def _define(self, name, pos):
        if name in self.defined:
            first = self.defined[name]
            where = f" on line {first.line}" if first is not None else ""
            raise _Fail(f"'{name}' is already defined{where}; a name is defined once per file "
                        "(use dotted names such as rf.max_depth for per-branch variants)", pos)
        self.defined[name] = pos

    def _statement(self, s, guards):
        if isinstance(s, ast.Param):
            return self._param(s, guards)
        if isinstance(s, ast.Constant):
            self._define(s.name, s.pos)
            self.constants[s.name] = s.value.value
            self.keys.append((s.name, None, 0))
            return s
        if isinstance(s, ast.Tied):
            return self._tied(s, guards)
        if isinstance(s, ast.If):
            self._condition(s.condition)
            body = self._block(s.body, guards + ((s.condition, True),))
            orelse = self._block(s.orelse, guards + ((s.condition, False),))
            return ast.If(s.condition, body, orelse, pos=s.pos, else_end=s.else_end)
        if isinstance(s, ast.Where):
            self._condition(s.condition)
            origin = None
            if self.source is not None and s.pos is not None:
                origin = (self.source.filename, s.pos.line, s.pos.column, self.source.line_text(s.pos.line))
            self.constraints.append(Constraint(s.condition, guards, s.pos, self._requires(s.condition, guards),
                                               expr_text(s.condition), origin))
            return s
        raise _Fail(f"not a statement: {type(s).__name__}", getattr(s, "pos", None))

    def _condition(self, expr):
        for node in names_in(expr):
            if node.name in self.defined:
                continue
            if node.name in self.later:
                line = self.later[node.name]
                at = f" (line {line.line})" if line is not None else ""
                raise _Fail(f"condition names '{node.name}', which is defined later{at}; "
                            "a condition may only name parameters defined above it", node.pos)
            raise _Fail(f"unknown name '{node.name}' in condition"
                        f"{did_you_mean(node.name, self.defined)}", node.pos)

    def _requires(self, expr, guards):
        need = set()
        exprs = [expr] + [g for g, _ in guards]
        for e in exprs:
            for node in names_in(e):
                if node.name in self.by_name:
                    j = self.by_name[node.name][0]
                    need.add(j)
                    need |= self.dims[j].requires
        return frozenset(need)

    def _add_dim(self, names, kind, guards, pos, **fields):
        j = len(self.dims)
        requires = set()
        for expr, _ in guards:
            requires |= self._requires(expr, ())
        dim = Dim(j, tuple(names), kind, guards=guards, pos=pos, requires=frozenset(requires), **fields)
        self.dims.append(dim)
        for k, name in enumerate(names):
            self.by_name[name] = (j, k)
            self.keys.append((name, j, k))
        return dim

    def _param(self, s, guards):
        self._define(s.name, s.pos)
        domain = s.domain
        if isinstance(domain, ast.Distribution):
            domain, prior = self._distribution(domain, s.type)
            dim = self._add_dim([s.name], "dist", guards, s.pos, prior=prior)
            if s.default is not None:
                value = s.default.value
                if s.type == "float" and is_number(value):
                    value = _to_float(value, s.default)
                if not prior.contains(value):
                    raise _Fail(f"default {_show(s.default.value)} is outside the domain of '{s.name}' "
                                f"({_describe_prior(domain, prior)})", s.default.pos)
                dim.default = int(value) if prior.integer else value
        else:
            values = self._choice(domain, s.type) if isinstance(domain, ast.Choice) else self._range(domain, s.type)
            kind = "choice" if isinstance(domain, ast.Choice) else "range"
            dim = self._add_dim([s.name], kind, guards, s.pos, finite=values, parts=(values,))
            if s.default is not None:
                value = s.default.value
                if s.type == "float" and is_number(value):
                    value = _to_float(value, s.default)
                k = values.index_of(value)
                if k is None:
                    raise _Fail(f"default {_show(s.default.value)} is not in the domain of '{s.name}' "
                                f"{values.describe()}", s.default.pos)
                dim.default = values.value(k) if isinstance(values, RangeValues) else values.values[k]
        return ast.Param(s.name, domain, s.type, s.default, pos=s.pos)

    def _tied(self, s, guards):
        for name in s.names:
            self._define(name, s.pos)
        if len(set(s.names)) != len(s.names):
            raise _Fail("a tied group names the same parameter twice", s.pos)
        if not s.rows:
            raise _Fail("empty choice list: give at least one tuple", s.pos)
        rows = []
        for row in s.rows:
            if len(row) != len(s.names):
                raise _Fail(f"each tuple needs {len(s.names)} values (one per name in "
                            f"({', '.join(s.names)})), this one has {len(row)}", row[0].pos if row else s.pos)
            rows.append(tuple(lit.value for lit in row))
        _no_duplicates(rows, [r[0] for r in s.rows])
        finite = ListValues(rows, self.codes)
        parts = tuple(ListValues([r[i] for r in rows], self.codes) for i in range(len(s.names)))
        dim = self._add_dim(s.names, "tied", guards, s.pos, finite=finite, parts=parts)
        if s.default is not None:
            value = tuple(lit.value for lit in s.default)
            k = finite.index_of(value)
            if k is None or len(value) != len(s.names):
                raise _Fail("default is not one of the tuples listed", s.default[0].pos if s.default else s.pos)
            dim.default = rows[k]
        return s

    # --------------------------------------------------------------- domains
    def _choice(self, domain, kind):
        if not domain.values:
            raise _Fail("empty choice list: give at least one value", domain.pos)
        values = [self._typed(lit, kind) for lit in domain.values]
        _no_duplicates(values, domain.values)
        return ListValues(values, self.codes)

    def _typed(self, lit, kind):
        v = lit.value
        if kind == "int" and (isinstance(v, bool) or not isinstance(v, int)):
            raise _Fail(f"': int' needs integers, but {_show(v)} is {_type_name(v)}", lit.pos)
        if kind == "float":
            if not is_number(v):
                raise _Fail(f"': float' needs numbers, but {_show(v)} is {_type_name(v)}", lit.pos)
            return _to_float(v, lit)
        return v

    def _range(self, domain, kind):
        for lit in (domain.low, domain.high, domain.step):
            if lit is not None and not is_number(lit.value):
                raise _Fail(f"a range needs numbers, got {_show(lit.value)}", lit.pos)
            if lit is not None:
                _to_float(lit.value, lit)
        low, high = domain.low.value, domain.high.value
        step = 1 if domain.step is None else domain.step.value
        if domain.step is None and not (isinstance(low, int) and isinstance(high, int)):
            bad = domain.low if not isinstance(low, int) else domain.high
            raise _Fail("a range without 'step' needs integer bounds; add a step (0.0..1.0 step 0.1) "
                        "or use ~ uniform(low, high)", bad.pos)
        if step <= 0:
            raise _Fail(f"step must be > 0, got {_show(step)}", domain.step.pos)
        if low > high:
            raise _Fail(f"empty range: {_show(low)} > {_show(high)}", domain.high.pos)
        integer = all(isinstance(v, int) for v in (low, high, step))
        if integer:
            size = (high - low) // step + 1
            digits = 0
        else:
            # decimal arithmetic so that 0..1 step 0.1 ends exactly at 1.0
            d_low, d_high, d_step = (Decimal(repr(float(v))) for v in (low, high, step))
            size = int((d_high - d_low) / d_step) + 1
            places = [decimals(v) for v in (low, step)]
            digits = None if None in places else max(places)
        if size > MAX_RANGE:
            raise _Fail(f"range has {size} values; for wide ranges draw from a distribution "
                        "(~ randint(a, b) or ~ uniform(a, b))", domain.low.pos)
        if kind == "int" and not integer:
            bad = next(lit for lit in (domain.low, domain.high, domain.step) if not isinstance(lit.value, int))
            raise _Fail("': int' needs integer bounds and step", bad.pos)
        if kind == "float":
            integer = False
            low, step = float(low), float(step)
        return RangeValues(low, step, size, integer, digits)

    def _distribution(self, node, kind):
        for lit in list(node.args) + [k.value for k in node.kwargs]:
            if isinstance(lit.value, ast.Ref):
                raise _Fail(f"a distribution's arguments are numbers or strings, not a named object "
                            f"({lit.value}); to choose between objects write 'name in [{lit.value}, ...]'", lit.pos)
        factory = resolve(node.name, self.distributions)
        if factory is None:
            known = list(self.distributions) + ["scipy." + n for n in ("norm", "gamma", "beta", "poisson")]
            raise _Fail(f"unknown distribution '{node.name}'{did_you_mean(node.name, known)}", node.name_pos or node.pos)
        try:
            signature = inspect.signature(factory)
        except (TypeError, ValueError):
            signature = None
        node, bound = _bind(node, signature)
        at = node.name_pos or node.pos
        try:
            dist = factory(*[a.value for a in node.args], **{k.name: k.value.value for k in node.kwargs})
        except ArgumentError as exc:
            where = bound.get(exc.argument) if exc.argument is not None else None
            raise _Fail(str(exc), where.pos if where is not None else at) from None
        except Exception as exc:  # a plugin's factory failed: still an error with a position
            raise _Fail(f"{node.name}(...) failed: {type(exc).__name__}: {exc}", at) from None
        for method in ("ppf", "cdf", "support"):
            if not callable(getattr(dist, method, None)):
                raise _Fail(f"distribution '{node.name}' returned an object without {method}()", at)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # scipy's overflow warnings: the checks below say it better
                prior = Prior(dist, integer=kind == "int")
        except Exception as exc:
            raise _Fail(f"{node.name}(...) has no usable support: {exc}", at) from None
        if math.isnan(prior.low) or math.isnan(prior.high):
            raise _Fail(f"{node.name}(...) has no valid support with these arguments", at)
        if prior.step is not None and prior.kmin is not None and prior.kmax is not None and prior.kmin > prior.kmax:
            raise _Fail("no value of the step lattice lies inside the support", at)
        if kind == "int" and not prior.has_integer():
            raise _Fail(f"': int' on {node.name}(...), whose support "
                        f"[{_show(prior.low)}, {_show(prior.high)}] holds no integer", at)
        problem = _probe(factory, node, dist)
        if problem is not None:
            raise _Fail(f"{node.name}(...) {problem}", at)
        prior.label = f"{node.name}(...)"
        if self.source is not None and at is not None:
            prior.origin = (self.source.filename, at.line, at.column, self.source.line_text(at.line))
        return node, prior


_PROBED = {}  # (factory, arguments) -> what the load-time probe found wrong, or None


def _probe(factory, node, dist):
    """The `probe` of a distribution's draws, remembered per factory and arguments (a probe in a
    child process costs tens of milliseconds; the fuzz tests and big files repeat calls)."""
    key = (factory, tuple(literal_key(a.value) for a in node.args),
           tuple((k.name, literal_key(k.value.value)) for k in node.kwargs))
    try:
        hash(key)
    except TypeError:
        key = None
    if key is None or key not in _PROBED:
        try:
            probe(dist, isolate=not getattr(dist, "closed_form", False))
            problem = None
        except ArgumentError as exc:
            problem = str(exc)
        if key is None:
            return problem
        if len(_PROBED) >= 4096:
            _PROBED.clear()
        _PROBED[key] = problem
    return _PROBED[key]


def _bind(node, signature):
    """Check arity and keyword names; normalise to required-positional, optional-keyword."""
    if signature is None:
        return node, {}
    params = list(signature.parameters.values())
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return node, {}
    names = [p.name for p in params]
    described = ", ".join(names)
    if len(node.args) > len(params):
        extra = node.args[len(params)]
        raise _Fail(f"{node.name} takes at most {len(params)} arguments ({described}), got {len(node.args)}",
                    extra.pos)
    bound = dict(zip(names, node.args))
    for kw in node.kwargs:
        if kw.name not in names:
            raise _Fail(f"{node.name} has no argument '{kw.name}'{did_you_mean(kw.name, names)} "
                        f"(its arguments are {described})", kw.pos)
        if kw.name in bound:
            raise _Fail(f"{node.name} got '{kw.name}' twice", kw.pos)
        bound[kw.name] = kw.value
    missing = [p.name for p in params if p.default is inspect.Parameter.empty and p.name not in bound]
    if missing:
        raise _Fail(f"{node.name} needs {' and '.join(missing)} (its arguments are {described})",
                    node.name_pos or node.pos)
    args = [bound[p.name] for p in params if p.default is inspect.Parameter.empty]
    kwargs = [ast.Keyword(p.name, bound[p.name], pos=bound[p.name].pos)
              for p in params if p.default is not inspect.Parameter.empty and p.name in bound]
    return ast.Distribution(node.name, args, kwargs, pos=node.pos, name_pos=node.name_pos), bound


def _no_duplicates(values, nodes):
    seen = {}
    for v, node in zip(values, nodes):
        key = literal_key(v)
        if key in seen:
            raise _Fail(f"{_show(v) if not isinstance(v, tuple) else v} appears twice in the list", node.pos)
        seen[key] = node


def _describe_prior(node, prior):
    text = dist_text(node)
    if prior.integer:
        text += ", integers"
    return text


def _all_names(statements):
    stack = list(reversed(statements))
    while stack:
        s = stack.pop()
        if isinstance(s, ast.Param | ast.Constant):
            yield s.name, s.pos
        elif isinstance(s, ast.Tied):
            for name in s.names:
                yield name, s.pos
        elif isinstance(s, ast.If):
            stack.extend(reversed(s.body + s.orelse))


# ---------------------------------------------------------- satisfiability


def check_satisfiable(model):
    """Raise `_Fail` at the first ``where`` after which no configuration remains.

    Exact (`exact.plan`: the constrained finite dimensions, narrowed by the parts of each
    ``where`` that name one of them, enumerated when at most 10^6 rows remain); otherwise by
    seeded draws.
    """
    if not model.constraints:
        return
    found = plan(model)
    if found is not None:
        stream = (batch for batch, _ in enumerate_rows(model, *found))
        how = "no configuration satisfies it"
    else:
        need = set()
        for c in model.constraints:
            need |= c.requires
        dims = sorted(need)
        rng = np.random.default_rng(0)  # in growing slices: most spaces show a witness at once
        stream = (decode(model, rng.random((m, len(dims))), dims) for m in (DRAWS // 100, DRAWS // 10 - DRAWS // 100,
                                                                        DRAWS - DRAWS // 10))
        how = f"none of {DRAWS:,} seeded draws satisfies it"
    alive = [False] * len(model.constraints)
    for batch in stream:
        ok = np.ones(batch.n, dtype=bool)
        for i, c in enumerate(model.constraints):
            ok &= batch.constraint_holds(c)
            if not ok.any():
                break
            alive[i] = True
        if all(alive):
            return
    c = model.constraints[alive.index(False)]
    raise _Fail(f"constraint '{c.text}' cannot be met together with what comes before it: {how}", c.pos)


def analyse(statements, source=None, distributions=None):
    """Check statements; return (normalised statements, compiled model) or raise `DSLSemanticError`."""
    try:
        analysis = Analysis(tuple(statements), distributions, source)
        statements, model = analysis.run()
        check_satisfiable(model)
        return statements, model
    except _Fail as exc:
        if source is None:
            raise DSLSemanticError(exc.message) from None
        raise source.at(DSLSemanticError, exc.message, exc.pos) from None
