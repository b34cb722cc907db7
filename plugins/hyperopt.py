"""The ``hyperopt`` format: a space as a Hyperopt ``hp`` expression, and back (extra ``[hyperopt]``).

``convert(space, "hyperopt")`` is an expression ``fmin`` samples as a flat configuration dict
(the same dict spacedsl gives: active parameters and constants, plain Python values), so
``fmin(fn, convert(space, "hyperopt"), ...)`` calls ``fn(config)`` and ``space_eval`` of what
it returns is a configuration. Each parameter is the ``hp`` function with its exact
distribution:

- ``in [..]`` ``hp.choice``; ``a..b`` ``hp.randint(name, a, b + 1)`` (with a step,
  ``a + s * hp.randint(name, 0, n)``); a float range ``hp.choice`` of its values;
- ``uniform``, ``loguniform``, ``normal``, ``lognormal``, ``randint``: ``hp.uniform``,
  ``hp.loguniform`` (of the logs), ``hp.normal``, ``hp.lognormal``, ``hp.randint``;
- a step, and ``: int``: the ``hp.q*`` function, where its rounding (``round(x / q) * q``,
  anchored at 0) is ours (anchored at the low bound): the low bound a multiple of the step,
  integer bounds for ``: int``;
- a tied group: ``hp.choice("(a, b)", [{"a": 1, "b": "x"}, ...])``;
- ``if`` blocks: ``hp.choice`` nesting. An ``if`` whose condition tests one choice declared
  beside it (``kernel == "poly"``, ``kernel in [...]``, with ``and``/``or``/``not`` and
  constants) hangs under that choice: each option is a dict of the choice's value and what is
  active with it. Conditions on anything else (a number, two choices) have no ``hp`` form.

Refused, with every statement listed: ``where`` (Hyperopt has no constraints), ``expon`` /
``scipy.*`` / plugin distributions, and roundings Hyperopt does not share. Defaults are not
carried (Hyperopt has no first trial). Back from ``hp`` expressions: the same functions (and
``hp.uniformint``), a dict of them, and ``hp.choice`` between literals, between dicts that hold the choice's own key (the form
written here: they become ``if`` blocks), or between dicts of literals only (a tied group).
"""

from __future__ import annotations

import collections
import math

from spacedsl.language import ast
from spacedsl.space.expr import Evaluator
from spacedsl.formats import Losses, require
from spacedsl.hookspecs import hookimpl
from spacedsl.space.checks import MAX_RANGE
from spacedsl_plugins._native import build, checked, choice, dist, int_range, is_literal, lit
from spacedsl_plugins._native import plain, valid_name, walk

NAME = "hyperopt"
CONFIG = "spacedsl_config"
FIT = "spacedsl_fit"
MAX_CHOICE = 10_000  # a range written out as an hp.choice of its values, at most


def _hyperopt():
    return require("hyperopt", "hyperopt", NAME)


def _config(tree, order):
    """The flat configuration of a sampled tree: option dicts merged, numpy scalars made plain."""
    out = {}
    stack = [tree]
    while stack:
        d = stack.pop()
        for k, v in d.items():
            if isinstance(v, dict):
                stack.append(v)
            else:
                out[k] = plain(v)
    rank = {k: i for i, k in enumerate(order)}
    return {k: out[k] for k in sorted(out, key=lambda k: rank.get(k, len(rank)))}


def _fit(x, low, high, digits):
    """A draw kept inside [low, high] and rounded to the lattice's decimals (``exp(log(a))`` can
    miss ``a`` by an ulp; ``3 * 0.3`` is not 0.9)."""
    x = float(min(max(float(x), low), high))
    return round(x, digits) if digits is not None else x


def _scope():
    from hyperopt.pyll import scope  # the extra is imported when a conversion needs it
    scope.define_if_new(_named(_config, CONFIG))
    scope.define_if_new(_named(_fit, FIT))
    return scope


def _named(fn, name):
    fn.__name__ = name
    return fn


# --------------------------------------------------------------- to Hyperopt


class _Writer:
    """Builds the ``hp`` expression of a space, one block at a time."""

    def __init__(self, space, losses):
        self.hp = _hyperopt().hp
        self.scope = _scope()
        self.space, self.losses = space, losses
        self.dims = {n: d for d in space.dimensions for n in d.names}
        self.codes = space.model.codes  # the interner the condition interpreter needs
        self.cache = {}

    def block(self, statements, known):
        flat = list(self._expand(statements, known))
        declared = {s.name: s for s in flat if isinstance(s, ast.Param)}
        owned = collections.defaultdict(list)
        for s in flat:
            if isinstance(s, ast.If):
                free = _names(s.condition) - set(known)
                owner = next(iter(free)) if len(free) == 1 else None
                if owner in declared and self.dims[owner].kind == "choice":
                    owned[owner].append(s)
                else:
                    what = ", ".join(sorted(free)) or "nothing"
                    self.losses.add(s, f"hp.choice nesting needs the condition to test one choice declared "
                                       f"beside the block; it tests {what}")
        out = {}
        for s in flat:
            if isinstance(s, ast.Param):
                out[s.name] = self._owner(s, owned[s.name], known) if s.name in owned else self._param(s)
            elif isinstance(s, ast.Tied):
                rows = [dict(zip(s.names, (v.value for v in row))) for row in s.rows]
                label = self.dims[s.names[0]].label
                out[label] = self._cached(label, (), lambda: self.hp.choice(label, rows))
        return {k: v for k, v in out.items() if v is not None}

    def _expand(self, statements, known):
        """The statements with every ``if`` decided by what is known inlined (constants go top level)."""
        for s in statements:
            if isinstance(s, ast.If) and _names(s.condition) <= set(known):
                yield from self._expand(s.body if self._truth(s.condition, known)[0] else s.orelse, known)
            elif not isinstance(s, ast.Constant | ast.Where):
                yield s

    def _truth(self, expr, known, name=None, values=(None,)):
        n = len(values)

        def column(key):
            if key == name:
                return self.codes.encode(list(values))
            return self.codes.encode([known[key]] * n)
        return Evaluator(column, n, self.codes).truth(expr)

    def _owner(self, s, ifs, known):
        values = list(self.dims[s.name].finite.values)  # `: float in [1, 2]` holds 1.0 and 2.0
        used = set().union(*(_names(x.condition) for i in ifs for x in walk((i,)) if isinstance(x, ast.If)))
        key = tuple(sorted((k, repr(known[k])) for k in used & set(known)))
        truths = [self._truth(i.condition, known, s.name, values) for i in ifs]

        def make():
            options = []
            for j, v in enumerate(values):
                branch = [x for i, t in zip(ifs, truths) for x in (i.body if t[j] else i.orelse)]
                options.append({s.name: v, **self.block(branch, {**known, s.name: v})})
            return self.hp.choice(s.name, options)
        return self._cached(s.name, key, make, s)

    def _cached(self, label, key, make, node=None):
        if label in self.cache:
            old_key, expr = self.cache[label]
            if old_key != key:
                self.losses.add(node, "its options would differ between two branches, and Hyperopt needs "
                                      "one expression per label")
            return expr
        expr = make()
        self.cache[label] = (key, expr)
        return expr

    def _param(self, s):
        return self._cached(s.name, (), lambda: self._domain(s), s)

    def _domain(self, s):
        hp, dim, name = self.hp, self.dims[s.name], s.name
        if dim.kind == "choice":
            return hp.choice(name, list(dim.finite.values))
        if dim.kind == "range":
            r = dim.finite
            if not r.integer or max(abs(r.low), abs(r.high)) >= 2**62:  # Hyperopt draws integers in int64
                if r.size > MAX_CHOICE:
                    self.losses.add(s, f"Hyperopt draws integers as int64; a range beyond it needs an hp.choice of "
                                       f"its {r.size} values")
                    return None
                return hp.choice(name, r.values)
            if r.step == 1:
                return hp.randint(name, r.low, r.high + 1)
            return r.low + r.step * hp.randint(name, 0, r.size)
        prior, kind = dim.prior, s.domain.name
        fit = self.scope.spacedsl_fit
        q = prior.step
        a = [x.value for x in s.domain.args]  # as written: 1 stays an int, so it reads back the same
        if kind in ("scipy",) or kind.startswith("scipy.") or kind not in (
                "uniform", "loguniform", "randint", "normal", "norm", "lognormal"):
            self.losses.add(s, f"Hyperopt has no {kind} distribution")
            return None
        if kind == "randint":
            if max(abs(a[0]), abs(a[1])) >= 2**62:
                self.losses.add(s, "Hyperopt draws integers as int64")
                return None
            return hp.randint(name, a[0], a[1] + 1)
        if kind == "uniform" and not math.isfinite(prior.high - prior.low):
            self.losses.add(s, "Hyperopt draws a uniform through high - low, which overflows a float here")
            return None
        if prior.integer:
            if q is not None or kind == "lognormal" or not (_integral(prior.low) and _integral(prior.high)):
                self.losses.add(s, "Hyperopt rounds ': int' draws to the nearest integer without keeping them in "
                                   "the support; spacedsl's form needs integer bounds and no step")
                return None
            if kind == "uniform":
                return self.scope.int(hp.quniform(name, prior.low, prior.high, 1))
            if kind == "loguniform":
                return self.scope.int(hp.qloguniform(name, math.log(prior.low), math.log(prior.high), 1))
            return self.scope.int(hp.qnormal(name, prior.dist.mu, prior.dist.sigma, 1))
        if q is None:
            if kind == "uniform":
                return hp.uniform(name, *a)
            if kind == "loguniform":
                return fit(hp.loguniform(name, math.log(prior.low), math.log(prior.high)), *a, None)
            if kind == "lognormal":
                return hp.lognormal(name, *a)
            return hp.normal(name, *a)
        if kind in ("normal", "norm"):
            return fit(hp.qnormal(name, *a, q), -math.inf, math.inf, prior.digits)
        if kind == "uniform" and _integral(prior.low / q) and (prior.high / q) % 1 <= 0.5:
            return fit(hp.quniform(name, *a, q), *a, prior.digits)
        self.losses.add(s, f"Hyperopt's {kind} with a step rounds to multiples of the step, spacedsl's to "
                           "low + k * step; they agree only for a uniform whose low bound is a multiple of the step")
        return None


def _integral(x):
    return math.isfinite(x) and abs(x - round(x)) < 1e-9 * max(1.0, abs(x))


def _names(expr):
    """The names an expression reads."""
    if isinstance(expr, ast.Name):
        return {expr.name}
    out = set()
    for child in (getattr(expr, "operand", None), getattr(expr, "left", None), getattr(expr, "right", None)):
        if child is not None:
            out |= _names(child)
    return out


# ------------------------------------------------------------- from Hyperopt


class _Reader:
    """Reads a pyll graph of ``hp`` functions back into statements."""

    def __init__(self, losses):
        self.losses = losses
        self.rank = {}

    def entries(self, node):
        """``[(key, node)]`` of a dict node (our own ``spacedsl_config`` unwrapped), in file order when
        the node says it (pyll sorts a dict's keys)."""
        if getattr(node, "name", None) == CONFIG:
            order = node.pos_args[1]
            if order.name == "pos_args" and all(_literal(a) for a in order.pos_args):
                self.rank = {a.obj: i for i, a in enumerate(order.pos_args)}
            node = node.pos_args[0]
        if getattr(node, "name", None) != "dict":
            return None
        return sorted(node.named_args, key=lambda kv: self._rank(kv[0]))

    def _rank(self, key):
        first = key[1:-1].split(",")[0].strip() if _tied_label(key) else key
        return self.rank.get(first, len(self.rank))

    def statements(self, entries):
        out = []
        for key, node in entries:
            if not valid_name(key) and not _tied_label(key):
                self.losses.add(str(key), "not a spacedsl parameter name (letters, digits, _ and dots)")
                continue
            out += self.statement(key, node)
        return sorted(out, key=lambda s: min((self.rank.get(n, len(self.rank)) for n in _declared_in(s)),
                                              default=len(self.rank)))

    def statement(self, key, node):
        if _literal(node):
            value = plain(node.obj)
            if not is_literal(value):
                self.losses.add(key, f"{value!r} is not a spacedsl literal")
                return []
            return [ast.Constant(key, lit(value))]
        if node.name == "switch":
            return self.switch(key, node)
        domain = self.domain(key, node)
        if domain is None:
            return []
        param = checked(ast.Param(key, domain[0], domain[1]), self.losses, key)
        return [] if param is None else [param]

    def domain(self, key, node):
        """``(domain, type)`` of a parameter expression, or None (refused)."""
        integer = node.name == "int"
        inner = node.pos_args[0] if integer else node
        if inner.name == "float":
            inner = inner.pos_args[0]
        if inner.name == FIT:
            low, high, digits = (a.obj for a in inner.pos_args[1:])
            inner = inner.pos_args[0]
            if inner.name == "float":
                inner = inner.pos_args[0]
        else:
            low = high = digits = None
        if inner.name == "add":
            return self.stepped_range(key, inner)
        if inner.name != "hyperopt_param":
            self.losses.add(key, f"pyll {inner.name}(...) is not an hp function spacedsl reads")
            return None
        fn = inner.pos_args[1]
        args = [a.obj for a in fn.pos_args] + [a.obj for _, a in fn.named_args]
        if not all(_literal(a) for a in fn.pos_args) or not all(_literal(a) for _, a in fn.named_args):
            self.losses.add(key, "its arguments are expressions; spacedsl reads numbers")
            return None
        name = fn.name
        if name == "randint":
            lo, hi = (0, args[0]) if len(args) == 1 else args[:2]
            if plain(hi) - plain(lo) > MAX_RANGE:  # too wide for a range: the same integers as a distribution
                return dist("randint", plain(lo), plain(hi) - 1), None
            return int_range(plain(lo), plain(hi) - 1), None
        if name == "uniform":
            return dist("uniform", *args), None
        if name == "loguniform":
            return dist("loguniform", *_exp(args, low, high)), None
        if name == "normal":
            return dist("normal", *args), None
        if name == "lognormal":
            return dist("lognormal", *args), None
        if name in ("quniform", "qloguniform", "qnormal"):
            q = args[2]
            if integer and q == 1:
                if name == "quniform" and _integral(args[0]) and _integral(args[1]):
                    return dist("uniform", int(round(args[0])), int(round(args[1]))), "int"
                if name == "qloguniform":
                    lo, hi = (round(math.exp(a)) for a in args[:2])
                    if all(_integral(math.exp(a)) for a in args[:2]):
                        return dist("loguniform", lo, hi), "int"
                if name == "qnormal":
                    return dist("normal", args[0], args[1]), "int"
            elif not integer:
                if name == "qnormal":
                    return dist("normal", args[0], args[1], step=q), None
                if name == "quniform" and _integral(args[0] / q) and (args[1] / q) % 1 <= 0.5:
                    return dist("uniform", args[0], args[1], step=q), None
        self.losses.add(key, f"hp.{name}{'' if not integer else ' as an int'} with these arguments rounds "
                             "differently from any spacedsl domain")
        return None

    def stepped_range(self, key, node):
        low, mul = node.pos_args
        if _literal(low) and mul.name == "mul" and _literal(mul.pos_args[0]):
            param = mul.pos_args[1]
            if param.name == "int":
                param = param.pos_args[0]
            fn = param.pos_args[1] if param.name == "hyperopt_param" else None
            if fn is not None and fn.name == "randint" and all(_literal(a) for a in fn.pos_args):
                lo, hi = [a.obj for a in fn.pos_args] if len(fn.pos_args) == 2 else (0, fn.pos_args[0].obj)
                a, s = plain(low.obj), plain(mul.pos_args[0].obj)
                return int_range(a + s * lo, a + s * (hi - 1), s), None
        self.losses.add(key, "pyll arithmetic other than low + step * hp.randint(...) has no spacedsl form")
        return None

    def switch(self, key, node):
        options = node.pos_args[1:]
        if all(_literal(o) for o in options):
            values = [plain(o.obj) for o in options]
            if not all(is_literal(v) for v in values):
                self.losses.add(key, "hp.choice options must be literals, dicts or hp expressions")
                return []
            param = checked(ast.Param(key, choice(values)), self.losses, key)
            return [] if param is None else [param]
        dicts = [self.entries(o) for o in options]
        if any(d is None for d in dicts):
            self.losses.add(key, "hp.choice between expressions other than dicts has no spacedsl form")
            return []
        own = [dict(d).get(key) for d in dicts]
        if all(o is not None and _literal(o) for o in own):
            return self.branches(key, [plain(o.obj) for o in own], dicts)
        keys = [tuple(k for k, _ in d) for d in dicts]
        if _tied_label(key) and len(set(keys)) == 1 and all(_literal(v) for d in dicts for _, v in d):
            rows = [tuple(lit(plain(v.obj)) for _, v in d) for d in dicts]
            tied = ast.Tied(keys[0], rows)
            return [] if checked(tied, self.losses, key) is None else [tied]
        self.losses.add(key, "an hp.choice between dicts needs the choice's own key in every option "
                             "(the form spacedsl writes) or dicts of literals only (a tied group)")
        return []

    def branches(self, key, values, dicts):
        param = checked(ast.Param(key, choice(values)), self.losses, key)
        if param is None:
            return []
        where = collections.OrderedDict()  # sub-entry key -> (node, [values it appears with])
        for v, d in zip(values, dicts):
            for k, sub in d:
                if k == key:
                    continue
                if k in where and where[k][0] is not sub:
                    self.losses.add(k, f"appears under two options of {key!r} as different expressions")
                where.setdefault(k, (sub, []))[1].append(v)
        blocks = collections.OrderedDict()  # the values a block is active for -> its entries
        for k, (sub, vs) in where.items():
            blocks.setdefault(tuple(vs), []).append((k, sub))
        out = [param]
        for vs, entries in blocks.items():
            if any(_literal(sub) for _, sub in entries):
                self.losses.add(key, "a literal inside an hp.choice option is a constant that depends on the "
                                     "choice; spacedsl constants are unconditional")
                entries = [(k, sub) for k, sub in entries if not _literal(sub)]
            body = self.statements(entries)
            cond = (ast.Binary("==", ast.Name(key), lit(vs[0])) if len(vs) == 1
                    else ast.Membership(ast.Name(key), tuple(lit(v) for v in vs)))
            if body:
                out.append(ast.If(cond, tuple(body)))
        return out


def _exp(args, low, high):
    if low is not None:
        return low, high
    return tuple(float(f"{math.exp(a):.15g}") for a in args[:2])


def _literal(node):
    return type(node).__name__ == "Literal"


def _tied_label(key):
    return isinstance(key, str) and key.startswith("(") and key.endswith(")")


# ------------------------------------------------------------------ the format


class HyperoptFormat:
    """The ``hyperopt`` format (see the module docstring)."""

    def to_native(self, space, *, lossy=False):
        losses = Losses(NAME, lossy, space.filename)
        for s in walk(space.statements):
            if isinstance(s, ast.Where):
                losses.add(s, "Hyperopt has no constraints")
        writer = _Writer(space, losses)
        tree = writer.block(space.statements, dict(space.constants))
        losses.check()
        tree.update(space.constants)
        order = [n for s in walk(space.statements) for n in _declared(s)]
        return writer.scope.spacedsl_config(tree, order)

    def from_native(self, obj, *, lossy=False):
        _hyperopt()
        from hyperopt.pyll import as_apply
        losses = Losses(NAME, lossy, direction="from")
        node = obj if type(obj).__name__ == "Apply" else as_apply(obj)
        reader = _Reader(losses)
        entries = reader.entries(node)
        if entries is None:
            raise ValueError("the hyperopt format reads a dict of hp expressions (or what spacedsl.convert wrote)")
        return build(reader.statements(entries), losses)

    def knows(self, obj):
        if type(obj).__name__ != "Apply" or not type(obj).__module__.startswith("hyperopt"):
            return isinstance(obj, dict) and bool(obj) and any(
                type(v).__module__.startswith("hyperopt") for v in obj.values())
        return True


def _declared_in(s):
    return [n for x in walk((s,)) for n in _declared(x)]


def _declared(s):
    if isinstance(s, ast.Param | ast.Constant):
        return [s.name]
    return list(s.names) if isinstance(s, ast.Tied) else []


@hookimpl
def spacedsl_formats():
    return {NAME: HyperoptFormat()}
