"""Optuna: ``optuna:NAME`` strategies (any sampler of ``optuna.samplers``) and the ``optuna`` format.

Loading this plugin does not import optuna; asking for ``optuna:TPESampler`` or converting does.
The strategy and `suggest` are in `spacedsl.integrations.optuna`.

The format, define-by-run first: ``convert(space, "optuna")`` is a `Suggest` (``config =
fn(trial)``), exact for every space; a space whose constraints fewer than 1 % of draws meet is
refused all the same (each draw breaking a ``where`` is a pruned trial: the study would be nearly
all pruned trials; ``lossy=True`` converts it unchanged, with a warning). ``kind="distributions"`` gives ``{name: optuna
distribution}`` (for ``study.ask(fixed_distributions=...)``, ``optuna.distributions``-based
tools, and `dumps`, its JSON) for a space Optuna's distributions can carry: no ``if``, ``where``
or tied group, and only ``uniform``, ``loguniform`` (without ``step`` or ``: int``: Optuna weighs
the rounded values alike), ``randint``, choices and ranges;
a constant becomes a one-value categorical. Defaults are not carried (as in the sklearn format:
Optuna's distributions have no first trial). Back: ``FloatDistribution`` is ``uniform`` /
``loguniform``, or a range ``low..high step s`` with a step (every lattice value alike, as
Optuna draws them); ``IntDistribution`` a range, or ``: int ~ loguniform`` with ``log``;
``CategoricalDistribution`` a choice.
"""

import json
import sys
import warnings

import numpy as np

import spacedsl
from spacedsl.language import ast
from spacedsl.formats import Losses, require
from spacedsl.space.checks import MAX_RANGE
from spacedsl.space.survey import rarely_feasible, survey
from spacedsl.hookspecs import hookimpl
from spacedsl.integrations.optuna import Suggest, plan_for, sampler_strategy
from spacedsl_plugins._native import build, checked, choice, dist, int_range, is_literal, lit
from spacedsl_plugins._native import plain, valid_name, walk

NAME = "optuna"


MAX_LATTICE = 1000  # a float range Optuna's step would round otherwise: at most this many categorical values


def _same_lattice(p):
    """Whether Optuna's stepped FloatDistribution gives exactly the range's values (its value k is
    ``min(max(k * step + low, low), high)`` in floats; spacedsl's ``low + k * step`` rounded to the
    literals' digits)."""
    r, dist = p.dim.finite, p.distribution()
    k = np.arange(r.size, dtype=float)
    theirs = np.clip(k * dist.step + dist.low, dist.low, dist.high)
    return bool(np.array_equal(theirs, r.output(np.arange(r.size))))


def _lattice(values):
    """A range ``a..b step s`` whose values are exactly these floats (three or more), or None."""
    if len(values) < 3 or not all(type(v) is float for v in values):
        return None
    for step in dict.fromkeys((values[1] - values[0], float(f"{values[1] - values[0]:.12g}"))):
        if step <= 0:
            return None
        domain = ast.Range(lit(values[0]), lit(values[-1]), lit(step))
        try:
            got = next(iter(spacedsl.walk(spacedsl.Space.from_statements([ast.Param("x", domain)])))).domain
        except spacedsl.DSLError:
            continue
        if got.kind == "range" and got.size == len(values) and list(got.values) == list(values):
            return domain
    return None


def _refuse_rare(space, lossy):
    """Define-by-run cannot take a suggestion back: each draw breaking a ``where`` is a pruned trial. A
    space whose constraints almost every draw breaks (under `LOW_FRACTION`, as ``spacedsl lint`` S110
    says) would fill the study with pruned trials, so it is refused; ``lossy`` converts it unchanged,
    with a warning."""
    rare = rarely_feasible(survey(space)) if space.model.constraints else None
    if rare is None:
        return
    fraction, c = rare
    per = f"about {1 / fraction.value:,.0f}" if fraction.value > 0 else "thousands of"
    reason = (f"only {fraction.describe()} of draws meet the constraints: a define-by-run trial cannot take a "
              f"suggestion back, so {per} trials would be pruned for each one evaluated; loosen the constraint, "
              "or run strategy='optuna:NAME' (it falls back to feasible draws)")
    if lossy:
        pos = f"{space.filename or '<string>'}:{c.pos.line}:{c.pos.column}: " if c.pos else ""
        warnings.warn(f"converted to optuna unchanged, but {pos}where {c.text}: {reason}", UserWarning, stacklevel=4)
        return
    losses = Losses(NAME, False, space.filename)
    losses.add(c, reason, statement=f"where {c.text}")
    losses.check()


def _optuna():
    return require("optuna", "optuna", NAME)


class OptunaFormat:
    """The ``optuna`` format (see the module docstring)."""

    def to_native(self, space, *, lossy=False, kind="suggest"):
        if kind == "suggest":
            _refuse_rare(space, lossy)
            return Suggest(space)
        if kind != "distributions":
            raise ValueError(f"kind must be 'suggest' or 'distributions', got {kind!r}")
        _optuna()
        losses = Losses(NAME, lossy, space.filename)
        dropped = set()
        for s in walk(space.statements):
            if isinstance(s, ast.If):
                losses.add(s, "Optuna distributions have no conditions; kind='suggest' (define-by-run) has")
                dropped |= {p.name for p in walk(s.body + s.orelse) if isinstance(p, ast.Param)}
            elif isinstance(s, ast.Where):
                losses.add(s, "Optuna distributions have no constraints")
            elif isinstance(s, ast.Tied):
                losses.add(s, "Optuna distributions have no tied parameters; kind='suggest' asks the row")
                dropped |= set(s.names)
        nodes = {p.name: p for p in walk(space.statements) if isinstance(p, ast.Param)}
        d = _optuna().distributions
        out = {name: d.CategoricalDistribution([value]) for name, value in space.constants.items()}
        for p in plan_for(space).params:
            name = p.dim.names[0]
            if name in dropped or p.dim.kind == "tied":
                continue
            if p.how == "unit":
                losses.add(nodes[name], f"Optuna has no distribution like {nodes[name].domain.name}"
                                        f"{' with a step' if p.dim.prior.step else ''}; kind='suggest' draws it "
                                        "exactly through the unit cube")
            elif p.how == "snap" and (p.dim.prior.integer or p.dim.prior.step) and p.kind == "float":
                losses.add(nodes[name], "spacedsl rounds a continuous draw onto the integers or the step, so its "
                                        "end values weigh half; Optuna's IntDistribution and stepped "
                                        "FloatDistribution weigh every value alike (kind='suggest' rounds as "
                                        "spacedsl does)")
            elif p.how == "range" and p.kind == "float" and not _same_lattice(p):
                if p.dim.size > MAX_LATTICE:
                    losses.add(nodes[name], f"Optuna computes a float step as low + k * step (3 * 0.1 is "
                                            f"0.30000000000000004), not spacedsl's lattice value, and its "
                                            f"{p.dim.size:,} values are too many for a categorical; "
                                            "kind='suggest' gives spacedsl's values")
                else:  # spacedsl's own values, every one alike as in the range
                    out[p.name] = d.CategoricalDistribution(tuple(p.dim.finite.values))
            elif p.how == "index":
                losses.add(nodes[name], "its values are equal to Python (such as 1 and true), so they cannot "
                                        "be the choices of one Optuna categorical")
            else:
                out[p.name] = p.distribution()
        losses.check()
        order = [s.name for s in walk(space.statements) if isinstance(s, ast.Param | ast.Constant)]
        return {k: out[k] for k in order if k in out}  # file order, constants among the parameters

    def from_native(self, obj, *, lossy=False):
        if isinstance(obj, Suggest):
            return obj.space
        d = _optuna().distributions
        if not isinstance(obj, dict):
            raise TypeError(f"the optuna format reads a dict of optuna distributions or a Suggest, got "
                            f"{type(obj).__name__}")
        losses = Losses(NAME, lossy, direction="from")
        statements = []
        for name, value in obj.items():
            if not valid_name(name):
                losses.add(str(name), "not a spacedsl parameter name (letters, digits, _ and dots)")
                continue
            if isinstance(value, d.FloatDistribution):
                low, high, step = value.low, value.high, value.step
                if low == high:
                    domain, kind = choice([low]), None
                elif step is not None:
                    domain, kind = ast.Range(lit(float(low)), lit(float(high)), lit(float(step))), None
                else:
                    domain, kind = dist("loguniform" if value.log else "uniform", low, high), None
            elif isinstance(value, d.IntDistribution):
                if value.low == value.high:
                    domain, kind = choice([value.low]), None
                elif value.log:
                    domain, kind = dist("loguniform", value.low, value.high), "int"
                elif value.step == 1 and value.high - value.low >= MAX_RANGE:  # too wide for a range
                    domain, kind = dist("randint", value.low, value.high), None
                else:
                    domain, kind = int_range(value.low, value.high, value.step), None
            elif isinstance(value, d.CategoricalDistribution):
                bad = [v for v in value.choices if not is_literal(v)]
                if bad:
                    losses.add(name, f"choice {bad[0]!r} is not a spacedsl literal (number, string, bool, none)")
                    continue
                values = [plain(v) for v in value.choices]
                domain, kind = _lattice(values) or choice(values), None  # a float range, as to_native gives it
            else:
                losses.add(name, f"{type(value).__name__} is not an optuna distribution spacedsl reads")
                continue
            statements.append(checked(ast.Param(name, domain, kind), losses, name))
        return build(statements, losses)

    def dumps(self, space, *, lossy=False, kind="distributions"):
        d = _optuna().distributions
        native = self.to_native(space, lossy=lossy, kind="distributions")
        return json.dumps({k: json.loads(d.distribution_to_json(v)) for k, v in native.items()}, indent=2) + "\n"

    def loads(self, text, *, lossy=False):
        d = _optuna().distributions
        try:
            data = json.loads(text)
            native = {k: d.json_to_distribution(json.dumps(v)) for k, v in data.items()}
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"not the JSON of a dict of optuna distributions: {exc}") from None
        return self.from_native(native, lossy=lossy)

    def knows(self, obj):
        if isinstance(obj, Suggest):
            return True
        optuna = sys.modules.get("optuna")  # an object of optuna's means optuna is imported
        return (optuna is not None and isinstance(obj, dict) and bool(obj)
                and all(isinstance(v, optuna.distributions.BaseDistribution) for v in obj.values()))


@hookimpl
def spacedsl_strategies():
    return {"optuna:": sampler_strategy}


@hookimpl
def spacedsl_formats():
    return {NAME: OptunaFormat()}
