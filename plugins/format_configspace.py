"""The ``configspace`` format: ConfigSpace objects and their JSON, both ways (extra ``[configspace]``).

To ConfigSpace, exactly or not at all:

- a choice of numbers is an ``OrdinalHyperparameter``, any other choice a
  ``CategoricalHyperparameter``; an integer range ``a..b`` a
  ``UniformIntegerHyperparameter``, other ranges ordinals; ``uniform`` and
  ``loguniform`` ``UniformFloatHyperparameter``; ``randint`` and ``: int ~
  uniform(k - 0.5, m + 0.5)`` ``UniformIntegerHyperparameter``; ``normal`` a
  ``NormalFloatHyperparameter`` bounded at 10 sigma (spacedsl's draws stay
  within 7.1 sigma); ``scipy.beta``, ``scipy.truncnorm`` and ``scipy.uniform``
  their ConfigSpace twins; ``: int`` on any other distribution a ``CategoricalHyperparameter``
  of the integers it can draw (up to 5,000), weighted by the exact probability of each;
  constants ``Constant``; defaults ``default_value``.
- an ``if`` condition becomes Equals/NotEquals/In/GreaterThan/LessThan
  conditions joined by And/Or conjunctions: each part that names one
  finite parameter is evaluated over that parameter's values (so any
  expression of one parameter maps); comparisons of a drawn one map when
  ConfigSpace has the operator.
- a ``where`` naming only unconditional finite parameters becomes forbidden
  clauses (every combination it rules out, as In or And-of-Equals clauses).

Refused: ``expon``, ``lognormal`` and other distributions ConfigSpace lacks,
``step=``, tied groups, constraints on drawn or conditional
parameters, and conditions ConfigSpace evaluates differently (one that holds
while its parent is inactive). The space's canonical text rides along (the
space's ``meta`` and a ``"spacedsl"`` key of the JSON), so a space converted
and read back unchanged is the same space; a ConfigSpace changed since, or
written by hand, is read from its hyperparameters, conditions and
forbidden clauses.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np

import spacedsl
from spacedsl import hookimpl
from spacedsl.language import ast
from spacedsl.language.printer import literal_text
from spacedsl.formats import Losses, require
from spacedsl.formats.branches import branches, truth, truth_table
from spacedsl.space.tree import names_in

NAME = "configspace"
SIGMAS = 10
MAX_ORDINAL = 100_000
MAX_FORBIDDEN = 200  # ConfigSpace checks every clause per draw: 474 clauses take 19 s per 100 draws, 1,410 take 45 s to add
MAX_WEIGHTED = 5_000


def _cs():
    return require("ConfigSpace", "configspace", NAME)


def _number(v):
    return isinstance(v, int | float) and not isinstance(v, bool)


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


# ------------------------------------------------------------ to ConfigSpace


def _hyperparameter(CS, space, e, losses, fallback):
    """One parameter as a ConfigSpace hyperparameter, or None after recording why not.

    ``fallback`` holds defaults for parameters without one whose ConfigSpace default must meet the
    forbidden clauses (ConfigSpace checks its default configuration against them).
    """
    d, name = e.domain, e.name
    kw = {"default_value": e.default} if e.has_default else {}
    if not e.has_default and name in fallback:
        kw = {"default_value": fallback[name]}
    try:
        if d.kind == "choice":
            values = list(d.values)
            refs = [v for v in values if isinstance(v, ast.Ref)]
            if refs:  # a Python object: no ConfigSpace JSON holds it, and a string would be another value
                losses.add(e.node, f"the named object {literal_text(refs[0])} has no ConfigSpace form "
                           "(its JSON holds only numbers, strings and booleans)")
                return None
            if any(isinstance(v, bool) for v in values) and any(_number(v) for v in values):
                losses.add(e.node, "ConfigSpace takes true for 1 and false for 0 in one list of choices")
                return None
            if all(_number(v) for v in values):
                return CS.OrdinalHyperparameter(name, values, **kw)
            return CS.CategoricalHyperparameter(name, values, **kw)
        if d.kind == "range":
            if d.integer and d.step == 1:
                return CS.UniformIntegerHyperparameter(name, d.low, d.high, **kw)
            if d.size > MAX_ORDINAL:
                losses.add(e.node, f"a range of {d.size:,} values is too many for an ordinal hyperparameter")
                return None
            return CS.OrdinalHyperparameter(name, list(d.values), **kw)
        return _drawn(CS, space, e, d, kw, losses)
    except (ValueError, TypeError) as exc:  # e.g. ConfigSpace takes 1 and true for the same choice
        losses.add(e.node, f"ConfigSpace refuses it: {exc}")
        return None


def _rounded_masses(space, e):
    """``{k: probability}`` of an ``: int`` draw over the integers spacedsl can draw, or None when too many.

    spacedsl draws through the quantile function at u in [1e-12, 1 - 1e-12], so even an unbounded
    distribution draws from a bounded set of integers; the tails beyond are a few 1e-12.
    """
    prior = next(dim.prior for dim in space.dimensions if dim.names == (e.name,))
    low, high = (int(v) for v in prior.ppf(np.array([0.0, 1.0])))
    if high - low + 1 > MAX_WEIGHTED:
        return None
    ks = np.arange(low, high + 1)
    if prior.discrete:  # scipy.poisson and the like: P(k) = cdf(k) - cdf(k - 1)
        edges = np.concatenate([[low - 1], ks])
    else:
        edges = np.concatenate([[prior.low], ks[:-1] + 0.5, [prior.high]])  # x rounds half up to k
    masses = np.diff(prior.cdf(edges))
    if not np.all(np.isfinite(masses)) or masses.sum() <= 0:
        return None
    masses = masses / masses.sum()
    return {int(k): float(m) for k, m in zip(ks, masses) if m > 0}


def _drawn(CS, space, e, d, kw, losses):
    name, a, dist = e.name, d.arguments, d.distribution
    if d.step is not None:
        losses.add(e.node, "ConfigSpace has no step lattice for distributions (q was removed in ConfigSpace 1.0)")
        return None
    if dist == "randint":
        return CS.UniformIntegerHyperparameter(name, a["low"], a["high"], **kw)
    if d.integer:
        low, high = a.get("low"), a.get("high")
        if dist == "uniform" and (low - 0.5).is_integer() and (high - 0.5).is_integer():
            return CS.UniformIntegerHyperparameter(name, int(low + 0.5), int(high - 0.5), **kw)
        weights = _rounded_masses(space, e)
        if weights is None:
            losses.add(e.node, "': int' rounds a continuous draw, which ConfigSpace's integer hyperparameters do not "
                       f"reproduce, and it draws more than {MAX_WEIGHTED:,} integers (too many for a weighted "
                       "categorical); use a range (a..b) or randint(a, b)")
            return None
        return CS.CategoricalHyperparameter(name, list(weights), weights=list(weights.values()), **kw)
    if dist in ("uniform", "loguniform"):
        return CS.UniformFloatHyperparameter(name, a["low"], a["high"], log=dist == "loguniform", **kw)
    if dist in ("normal", "norm", "scipy.norm"):
        mu, sigma = (a["mu"], a["sigma"]) if dist != "scipy.norm" else (a["loc"], a["scale"])
        return CS.NormalFloatHyperparameter(name, mu, sigma, mu - SIGMAS * sigma, mu + SIGMAS * sigma, **kw)
    if dist == "scipy.uniform":
        return CS.UniformFloatHyperparameter(name, a["loc"], a["loc"] + a["scale"], **kw)
    if dist == "scipy.beta":
        return CS.BetaFloatHyperparameter(name, a["a"], a["b"], a["loc"], a["loc"] + a["scale"], **kw)
    if dist == "scipy.truncnorm":
        loc, scale = a["loc"], a["scale"]
        return CS.NormalFloatHyperparameter(name, loc, scale, loc + a["a"] * scale, loc + a["b"] * scale, **kw)
    losses.add(e.node, f"ConfigSpace has no {dist} distribution (it has uniform, log-uniform, normal and beta)")
    return None


def _atoms(expr, negate=False):
    """An expression as nested ('and' | 'or', parts) over atoms (expr, negated), negations pushed in."""
    if isinstance(expr, ast.Unary) and expr.op == "not":
        return _atoms(expr.operand, not negate)
    if isinstance(expr, ast.Binary) and expr.op in ("and", "or"):
        op = expr.op if not negate else ("or" if expr.op == "and" else "and")
        return (op, [_atoms(expr.left, negate), _atoms(expr.right, negate)])
    return ("atom", (expr, negate))


class _Conditions:
    """Translates the ``if`` conditions of one space into ConfigSpace conditions."""

    def __init__(self, CS, space, entries, hps, losses):
        self.CS, self.space, self.hps, self.losses = CS, space, hps, losses
        self.finite = {e.name: e.domain.finite for e in entries if e.kind == "parameter"}
        self.tied = {n for e in entries if e.kind == "tied" for n in e.names}
        self.conditional = {e.name for e in entries if e.kind == "parameter" and e.conditions}

    def build(self, child, conditions):
        parts = []
        for c in conditions:
            part = self._tree(child, _atoms(c.expr, not c.holds), c)
            if part is False:
                return None
            if part is not True:
                parts.append(part)
        if not parts:
            return True
        return parts[0] if len(parts) == 1 else self.CS.AndConjunction(*parts)

    def _tree(self, child, tree, c):
        kind, body = tree
        if kind == "atom":
            return self._atom(child, *body, c)
        parts = [self._tree(child, t, c) for t in body]
        if any(p is False for p in parts):
            return False
        if kind == "and":
            parts = [p for p in parts if p is not True]
            if not parts:
                return True
            return parts[0] if len(parts) == 1 else self.CS.AndConjunction(*parts)
        if any(p is True for p in parts):
            self.losses.add(c.expr, "part of this condition always holds, which ConfigSpace cannot say inside "
                            "an or", statement=f"if {c.text}")
            return False
        return parts[0] if len(parts) == 1 else self.CS.OrConjunction(*parts)

    def _atom(self, child, expr, negated, c):
        if any(n in self.tied for n in names_in(expr)):
            self.losses.add(c.expr, "it names a tied parameter, which ConfigSpace does not have",
                            statement=f"if {c.text}")
            return False
        names = [n for n in names_in(expr) if n in self.finite]
        if len(names) > 1:
            self.losses.add(c.expr, "a comparison between two parameters has no ConfigSpace condition",
                            statement=f"if {c.text}")
            return False
        if not names:  # constants only: decided now
            if truth(self.space, expr, {}) == negated:
                self.losses.add(c.expr, "this condition never holds, so the block is never active",
                                statement=f"if {c.text}")
                return False
            return True
        parent = names[0]
        if parent not in self.hps:
            self.losses.add(c.expr, f"its parent {parent!r} could not be converted", statement=f"if {c.text}")
            return False
        if not self.finite[parent]:
            return self._drawn_atom(child, parent, expr, negated, c)
        table, at_none = truth_table(self.space, expr, parent)
        true = [v for v, t in table if t != negated]
        false = [v for v, t in table if t == negated]
        if parent in self.conditional and at_none != negated:
            self.losses.add(c.expr, f"it holds while {parent!r} is inactive, and ConfigSpace makes a child of "
                            "an inactive parent inactive", statement=f"if {c.text}")
            return False
        if not true:
            self.losses.add(c.expr, "this condition never holds, so the block is never active",
                            statement=f"if {c.text}")
            return False
        if not false:
            return True
        CS, ch, pa = self.CS, self.hps[child], self.hps[parent]
        if len(true) == 1:
            return CS.EqualsCondition(ch, pa, true[0])
        if len(false) == 1:
            return CS.NotEqualsCondition(ch, pa, false[0])
        return CS.InCondition(ch, pa, true)

    def _drawn_atom(self, child, parent, expr, negated, c):
        ops = {"<": "<", ">": ">"}
        if isinstance(expr, ast.Binary) and expr.op in ("<", ">", "<=", ">="):
            left, right, op = expr.left, expr.right, expr.op
            if isinstance(left, ast.Literal):
                left, right, op = right, left, {"<": ">", ">": "<", "<=": ">=", ">=": "<="}[op]
            if negated:
                op = {"<": ">=", ">": "<=", "<=": ">", ">=": "<"}[op]
            if isinstance(left, ast.Name) and isinstance(right, ast.Literal) and _number(right.value) \
                    and op in ops:
                cls = self.CS.LessThanCondition if op == "<" else self.CS.GreaterThanCondition
                try:
                    return cls(self.hps[child], self.hps[parent], right.value)
                except ValueError as exc:  # a value outside the parent's range: never (or always) true
                    self.losses.add(c.expr, f"ConfigSpace rejects it: {exc}", statement=f"if {c.text}")
                    return False
        self.losses.add(c.expr, f"on the drawn parameter {parent!r} ConfigSpace has only < and > conditions",
                        statement=f"if {c.text}")
        return False


def _forbiddens(CS, space, entries, e, hps, losses):
    """Forbidden clauses for a ``where``: every combination of its parameters it rules out."""
    params = {p.name: p for p in entries if p.kind == "parameter"}
    names = [n for n in e.names if n in params]
    why = None
    if any(n not in params and n not in space.constants for n in e.names):
        why = "it names a tied parameter, which ConfigSpace does not have"
    elif e.conditions:
        why = "a constraint inside an if block has no ConfigSpace form"
    elif any(not params[n].domain.finite for n in names):
        why = "ConfigSpace's forbidden clauses compare values of finite hyperparameters only; this names " \
              f"the drawn parameter {next(n for n in names if not params[n].domain.finite)!r}"
    elif any(params[n].conditions for n in names):
        why = "a constraint on a conditional parameter has no exact ConfigSpace form"
    elif any(n not in hps for n in names):
        why = "a parameter it names could not be converted"
    if why:
        losses.add(e.node, why)
        return []
    if not names:
        if not truth(space, e.expr, {}):
            losses.add(e.node, "this constraint never holds")
        return []
    by_name = {n: d.index for d in space.dimensions for n in d.names}
    found = branches(space, {by_name[n] for n in names}, constraints=False)
    bad = []
    for b in found:
        config = {n: b.values[n] for n in names}
        if not truth(space, e.expr, config):
            bad.append(config)
    if len(bad) > MAX_FORBIDDEN:
        losses.add(e.node, f"it rules out {len(bad):,} combinations, too many forbidden clauses (ConfigSpace "
                   f"checks each on every draw; at most {MAX_FORBIDDEN:,})")
        return []
    if len(names) == 1:
        return [CS.ForbiddenInClause(hps[names[0]], [c[names[0]] for c in bad])] if bad else []
    return [CS.ForbiddenAndConjunction(*(CS.ForbiddenEqualsClause(hps[n], c[n]) for n in names)) for c in bad]


def to_native(space, lossy=False):
    CS = _cs()
    losses = Losses(NAME, lossy, space.filename)
    entries = list(spacedsl.walk(space))
    constrained = {n for e in entries if e.kind == "constraint" for n in e.names}
    fallback = {}
    if constrained:
        try:
            base = space.default_configuration(seed=0) or space.sample(seed=0)
        except ValueError:
            base = {}
        fallback = {n: v for n, v in (base or {}).items() if n in constrained}
    hps, constants, made = {}, [], []
    for e in entries:
        if e.kind == "parameter":
            hp = _hyperparameter(CS, space, e, losses, fallback)
            if hp is not None:
                hps[e.name] = hp
                made.append((hp, e.node))
        elif e.kind == "constant":
            try:
                constants.append(CS.Constant(e.name, e.value))
            except (ValueError, TypeError) as exc:  # e.g. a string ConfigSpace will not hold, "\x00"
                losses.add(e.node, f"ConfigSpace refuses it: {str(exc).splitlines()[0]}")
                continue
            made.append((constants[-1], e.node))
        elif e.kind == "tied":
            losses.add(e.node, "ConfigSpace has no tied parameters")
    conditions = []
    translate = _Conditions(CS, space, entries, hps, losses)
    for e in entries:
        if e.kind == "parameter" and e.conditions and e.name in hps:
            condition = translate.build(e.name, e.conditions)
            if condition is None:
                hps.pop(e.name)  # its block could not be carried: dropped with it
            elif condition is not True:
                conditions.append((condition, e.conditions[-1].expr, f"if {e.conditions[-1].text}"))
    forbiddens = []
    for e in entries:
        if e.kind == "constraint":
            forbiddens += [(f, e.node, None) for f in _forbiddens(CS, space, entries, e, hps, losses)]
    made = [(hp, node, None) for hp, node in made if hp.name in hps or hp in constants]
    live = [c for c in conditions if all(h.name in hps for h in _condition_hps(c[0]))]
    groups = _accepted(CS, (made, live, forbiddens), losses)  # what ConfigSpace itself rejects is a problem too
    losses.check()
    cs = CS.ConfigurationSpace(meta={"spacedsl": spacedsl.dumps(space)} if not losses else None)
    for objects in groups:
        cs.add(*objects)
    return cs


def _accepted(CS, groups, losses):
    """The objects ConfigSpace accepts, added one at a time to a scratch space; the others are problems."""
    cs, out = CS.ConfigurationSpace(), []
    for group in groups:
        kept = []
        for obj, node, statement in group:
            try:
                cs.add(obj)
                kept.append(obj)
            except Exception as exc:  # ConfigSpace's own checks: illegal condition values, forbidden defaults
                losses.add(node, f"ConfigSpace rejects it: {str(exc).splitlines()[0]}", statement=statement)
        out.append(kept)
    return out


def _condition_hps(c):
    if hasattr(c, "components"):
        return [h for part in c.components for h in _condition_hps(part)]
    return [c.child, c.parent]


# ---------------------------------------------------------- from ConfigSpace


def _t(v):
    return literal_text(_plain(v))


def _hp_statement(CS, hp, losses):
    """A hyperparameter as a statement's text after the name, or None after recording why not."""
    name = hp.name
    default = f" = {_t(hp.default_value)}" if getattr(hp, "default_value", None) is not None or \
        isinstance(hp, CS.CategoricalHyperparameter | CS.OrdinalHyperparameter) else ""
    if isinstance(hp, CS.Constant):
        return f" = {_t(hp.value)}"
    if isinstance(hp, CS.CategoricalHyperparameter):
        weights = hp.weights
        if weights is not None and len(set(np.round(np.asarray(weights, dtype=float) / sum(weights), 12))) > 1:
            losses.add(name, "weighted choices have no spacedsl form (choices are uniform)")
            return None
        return " in [" + ", ".join(_t(v) for v in hp.choices) + "]" + default
    if isinstance(hp, CS.OrdinalHyperparameter):
        return " in [" + ", ".join(_t(v) for v in hp.sequence) + "]" + default
    if isinstance(hp, CS.UniformIntegerHyperparameter):
        if hp.log:
            losses.add(name, "ConfigSpace's log-scaled integers have no spacedsl twin")
            return None
        return f" in {_t(hp.lower)}..{_t(hp.upper)}" + default
    if isinstance(hp, CS.UniformFloatHyperparameter):
        return f" ~ {'loguniform' if hp.log else 'uniform'}({_t(float(hp.lower))}, {_t(float(hp.upper))})" + default
    if isinstance(hp, CS.NormalFloatHyperparameter) and not hp.log:
        mu, sigma, low, high = (float(x) for x in (hp.mu, hp.sigma, hp.lower, hp.upper))
        if math.isclose(low, mu - SIGMAS * sigma) and math.isclose(high, mu + SIGMAS * sigma):
            return f" ~ normal({_t(mu)}, {_t(sigma)})" + default
        return f" ~ scipy.truncnorm({_t((low - mu) / sigma)}, {_t((high - mu) / sigma)}, loc={_t(mu)}, " \
               f"scale={_t(sigma)})" + default
    if isinstance(hp, CS.BetaFloatHyperparameter) and not hp.log:
        low, high = float(hp.lower), float(hp.upper)
        return f" ~ scipy.beta({_t(float(hp.alpha))}, {_t(float(hp.beta))}, loc={_t(low)}, " \
               f"scale={_t(high - low)})" + default
    losses.add(name, f"{type(hp).__name__}{' on a log scale' if getattr(hp, 'log', False) else ''} has no "
               "spacedsl twin")
    return None


_CONDITION_OPS = {"EqualsCondition": "==", "NotEqualsCondition": "!=", "GreaterThanCondition": ">",
                  "LessThanCondition": "<"}


def _condition_text(CS, c, conditional, losses):
    if isinstance(c, CS.AndConjunction | CS.OrConjunction):
        op = " and " if isinstance(c, CS.AndConjunction) else " or "
        parts = [_condition_text(CS, p, conditional, losses) for p in c.components]
        return None if None in parts else "(" + op.join(parts) + ")"
    parent = c.parent.name
    op = _CONDITION_OPS.get(type(c).__name__)
    if op is not None:
        text = f"{parent} {op} {_t(c.value)}"
    elif isinstance(c, CS.InCondition):
        text = f"{parent} in [{', '.join(_t(v) for v in c.values)}]"
    else:
        losses.add(c.child.name, f"{type(c).__name__} has no spacedsl form")
        return None
    if op == "!=" and parent in conditional:  # ConfigSpace: false while the parent is inactive
        text = f"({text} and {parent} != none)"
    return text


def _forbidden_text(CS, f, losses):
    cls = type(f).__name__
    if isinstance(f, CS.ForbiddenAndConjunction | CS.ForbiddenOrConjunction):
        op = " and " if isinstance(f, CS.ForbiddenAndConjunction) else " or "
        parts = [_forbidden_text(CS, p, losses) for p in f.components]
        return None if None in parts else "(" + op.join(parts) + ")"
    ops = {"ForbiddenEqualsClause": "==", "ForbiddenGreaterThanClause": ">", "ForbiddenLessThanClause": "<",
           "ForbiddenGreaterThanEqualsClause": ">=", "ForbiddenLessThanEqualsClause": "<=",
           "ForbiddenEqualsRelation": "==", "ForbiddenGreaterThanRelation": ">", "ForbiddenLessThanRelation": "<",
           "ForbiddenGreaterThanEqualsRelation": ">=", "ForbiddenLessThanEqualsRelation": "<="}
    if isinstance(f, CS.ForbiddenInClause):
        return f"{f.hyperparameter.name} in [{', '.join(_t(v) for v in f.values)}]"
    if cls.endswith("Relation") and cls in ops:
        return f"{f.left.name} {ops[cls]} {f.right.name}"
    if cls in ops:
        return f"{f.hyperparameter.name} {ops[cls]} {_t(f.value)}"
    losses.add(cls, "has no spacedsl form")
    return None


def derive(cs, lossy=False):
    """A space from a ConfigurationSpace's hyperparameters, conditions and forbidden clauses."""
    CS = _cs()
    losses = Losses(NAME, lossy, direction="from")
    conditions = {c.child.name: c for c in cs.conditions}
    lines, conditional = [], set(conditions)
    for hp in cs.values():
        text = _hp_statement(CS, hp, losses)
        if text is None:
            continue
        if hp.name in conditions:
            test = _condition_text(CS, conditions[hp.name], conditional, losses)
            if test is None:
                continue
            lines += [f"if {test} {{", f"    {hp.name}{text}", "}"]
        else:
            lines.append(f"{hp.name}{text}")
    for f in cs.forbidden_clauses:
        text = _forbidden_text(CS, f, losses)
        if text is not None:
            lines.append(f"where not {text if text.startswith('(') else '(' + text + ')'}")
    losses.check()
    return spacedsl.parse("\n".join(lines), filename="<configspace>")


def _serialised(cs):
    buffer = io.StringIO()
    cs.to_json(buffer)
    data = json.loads(buffer.getvalue())
    data.pop("name", None)
    return data


def from_native(cs, lossy=False):
    text = (cs.meta or {}).get("spacedsl") if isinstance(cs.meta, dict) else None
    return _from(cs, text, lossy)


def _from(cs, text, lossy):
    if isinstance(text, str):
        try:
            space = spacedsl.parse(text)
            if _serialised(to_native(space)) == _serialised(cs):
                return space
        except ValueError:
            pass
    return derive(cs, lossy)


# ------------------------------------------------------------------ format


class ConfigSpaceFormat:
    """ConfigSpace objects (`to_native`, `from_native`) and their JSON (`dumps`, `loads`)."""

    def to_native(self, space, *, lossy=False):
        """A ``ConfigSpace.ConfigurationSpace``."""
        return to_native(space, lossy)

    def from_native(self, obj, *, lossy=False):
        """A space from a ``ConfigurationSpace``."""
        return from_native(obj, lossy)

    def dumps(self, space, *, lossy=False):
        """ConfigSpace's JSON, with the space's canonical text under ``"spacedsl"``."""
        cs = to_native(space, lossy)
        data = _serialised(cs)
        if cs.meta:
            data["spacedsl"] = cs.meta["spacedsl"]
        return json.dumps(data, indent=2) + "\n"

    def loads(self, text, *, lossy=False):
        """A space from ConfigSpace's JSON."""
        CS = _cs()
        data = json.loads(text)
        carried = data.pop("spacedsl", None)
        cs = CS.ConfigurationSpace.from_json(io.StringIO(json.dumps(data)))
        return _from(cs, carried, lossy)

    def knows(self, obj):
        return type(obj).__name__ == "ConfigurationSpace" and type(obj).__module__.startswith("ConfigSpace")


@hookimpl
def spacedsl_formats():
    return {NAME: ConfigSpaceFormat()}
