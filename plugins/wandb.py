"""The ``wandb`` format: a space as a W&B sweep configuration (its YAML), and back (extra ``[wandb]``).

Only PyYAML is needed (``pip install 'spacedsl[wandb]'``), not wandb itself: ``dumps`` writes the
YAML a ``wandb sweep sweep.yaml`` reads, ``to_native`` the dict ``wandb.sweep(...)`` takes
(``method`` defaults to ``random``; ``metric={"name": ..., "goal": ...}`` is passed through).

=====================================  ================================================
spacedsl                               W&B ``parameters`` entry
=====================================  ================================================
``x = v``                              ``{value: v}``
``x in [v1, ...]``, a stepped range    ``{values: [v1, ...]}``
``x in a..b``, ``randint(a, b)``       ``{distribution: int_uniform, min: a, max: b}``
``uniform``, ``loguniform``            ``uniform``, ``log_uniform_values`` (``min``, ``max``)
``normal``, ``lognormal``              ``normal``, ``log_normal`` (``mu``, ``sigma``)
``uniform(a, b, step=q)``,             ``q_uniform``, ``q_normal`` (for a whole number ``q``: W&B
``normal(m, s, step=q)``               computes ``round(x / q) * q`` in floating point, and a
                                       fractional step gives 0.30000000000000004; with ``a``
                                       a multiple of ``q``, as W&B anchors at 0)
=====================================  ================================================

Refused, every statement listed: ``if`` blocks, tied groups and ``where`` (a sweep has no
conditions, no joint choices and no constraints), rounded ``: int`` draws and distributions W&B
lacks. Defaults are not carried (a sweep has no first run). Back, also ``log_uniform`` (its bounds are natural logs), ``constant``, ``categorical`` and
``min``/``max`` without a ``distribution`` (W&B's own inference: integers are ``int_uniform``);
``probabilities``, nested ``parameters`` and the ``inv_`` and ``q_log`` distributions are refused.
"""

from __future__ import annotations

import math

from spacedsl.language import ast
from spacedsl.formats import Losses, require
from spacedsl.hookspecs import hookimpl
from spacedsl.space.checks import MAX_RANGE
from spacedsl_plugins._native import build, checked, choice, dist, int_range, is_literal, lit
from spacedsl_plugins._native import plain, valid_name, walk

NAME = "wandb"
MAX_VALUES = 10_000  # a range written out as a list of values, at most


def _yaml():
    return require("yaml", "wandb", NAME)


def _integral(x):
    return math.isfinite(x) and abs(x - round(x)) < 1e-9 * max(1.0, abs(x))


class WandbFormat:
    """The ``wandb`` format (see the module docstring)."""

    def to_native(self, space, *, lossy=False, method="random", metric=None):
        losses = Losses(NAME, lossy, space.filename)
        dims = {n: d for d in space.dimensions for n in d.names}
        params = {}
        for s in walk(space.statements):
            if isinstance(s, ast.If):
                losses.add(s, "a W&B sweep has no conditions")
            elif isinstance(s, ast.Where):
                losses.add(s, "a W&B sweep has no constraints")
            elif isinstance(s, ast.Tied):
                losses.add(s, "a W&B sweep has no tied parameters")
        conditional = {p.name for s in walk(space.statements) if isinstance(s, ast.If)
                       for p in walk(s.body + s.orelse) if isinstance(p, ast.Param)}
        for s in walk(space.statements):
            if isinstance(s, ast.Constant) and isinstance(s.value.value, ast.Ref):
                losses.add(s, "a W&B sweep holds plain values, not named objects (@name)")
            elif isinstance(s, ast.Constant):
                params[s.name] = {"value": s.value.value}
            elif isinstance(s, ast.Param) and s.name not in conditional:
                entry = self._entry(s, dims[s.name], losses)
                if entry is not None:
                    params[s.name] = entry
        losses.check()
        out = {"method": method}
        if metric is not None:
            out["metric"] = dict(metric)
        out["parameters"] = params
        return out

    def _entry(self, s, dim, losses):
        if dim.kind == "choice":
            if any(isinstance(v.value, ast.Ref) for v in s.domain.values):
                losses.add(s, "a W&B sweep holds plain values, not named objects (@name)")
                return None
            return {"values": list(dim.finite.values)}  # `: float in [1, 2]` holds 1.0 and 2.0
        if dim.kind == "range":
            r = dim.finite
            if r.integer and r.step == 1 and max(abs(r.low), abs(r.high)) < 2**62:
                return {"distribution": "int_uniform", "min": r.low, "max": r.high}
            if r.size > MAX_VALUES:
                losses.add(s, f"W&B draws integers as int64; a range beyond it needs a list of its {r.size} values")
                return None
            return {"values": r.values}
        prior, kind = dim.prior, s.domain.name
        a = [x.value for x in s.domain.args]
        if kind == "randint":
            if max(abs(a[0]), abs(a[1])) >= 2**62:
                losses.add(s, "W&B draws integers as int64")
                return None
            return {"distribution": "int_uniform", "min": a[0], "max": a[1]}
        if prior.integer:
            losses.add(s, "W&B has no rounded ': int' draws (int_uniform weighs every integer alike, spacedsl's "
                          "rounding the two ends half; write `in a..b` for uniform integers)")
            return None
        q = prior.step
        if kind == "uniform" and not math.isfinite(prior.high - prior.low):
            losses.add(s, "W&B draws a uniform through max - min, which overflows a float here")
            return None
        if kind == "uniform" and q is None:
            return {"distribution": "uniform", "min": a[0], "max": a[1]}
        if kind == "loguniform" and q is None:
            return {"distribution": "log_uniform_values", "min": a[0], "max": a[1]}
        if kind == "lognormal" and q is None:
            return {"distribution": "log_normal", "mu": a[0], "sigma": a[1]}
        if kind in ("normal", "norm") and q is None:
            return {"distribution": "normal", "mu": a[0], "sigma": a[1]}
        if q is not None and not float(q).is_integer():
            losses.add(s, f"W&B computes round(x / q) * q in floating point, so a step of {q} gives values such "
                          "as 0.30000000000000004 where spacedsl gives 0.3")
            return None
        if kind in ("normal", "norm"):
            return {"distribution": "q_normal", "mu": a[0], "sigma": a[1], "q": q}
        if kind == "uniform" and _integral(prior.low / q) and (prior.high / q) % 1 <= 0.5:
            return {"distribution": "q_uniform", "min": a[0], "max": a[1], "q": q}
        if q is not None:
            losses.add(s, f"W&B rounds to multiples of the step, spacedsl {kind} to low + k * step; they agree "
                          "only for a uniform whose low bound is a multiple of the step")
        else:
            losses.add(s, f"W&B sweeps have no {kind} distribution")
        return None

    def from_native(self, obj, *, lossy=False):
        if not isinstance(obj, dict) or not isinstance(obj.get("parameters"), dict):
            raise ValueError("a W&B sweep configuration is a mapping with a 'parameters' mapping")
        losses = Losses(NAME, lossy, direction="from")
        statements = []
        for name, spec in obj["parameters"].items():
            if not valid_name(name):
                losses.add(str(name), "not a spacedsl parameter name (letters, digits, _ and dots)")
                continue
            if not isinstance(spec, dict):
                losses.add(name, f"a parameter is a mapping such as {{values: [...]}}, got {spec!r}")
                continue
            statement = self._statement(name, spec, losses)
            if statement is not None:
                statements.append(checked(statement, losses, name))
        return build(statements, losses)

    def _statement(self, name, spec, losses):
        spec = {k: plain(v) for k, v in spec.items()}
        kind = spec.get("distribution")
        if "parameters" in spec:
            losses.add(name, "nested parameters make a nested configuration; spacedsl's are flat "
                             "(write them as dotted names)")
            return None
        if "probabilities" in spec:
            losses.add(name, "weighted values (probabilities) have no spacedsl form")
            return None
        known = {"distribution", "value", "values", "min", "max", "mu", "sigma", "q"}
        if set(spec) - known:
            losses.add(name, f"unknown key {sorted(set(spec) - known)[0]!r}")
            return None
        if "value" in spec and kind in (None, "constant"):
            if not is_literal(spec["value"]):
                losses.add(name, f"{spec['value']!r} is not a spacedsl literal")
                return None
            return ast.Constant(name, lit(spec["value"]))
        if "values" in spec and kind in (None, "categorical"):
            values = spec["values"]
            if not isinstance(values, list) or not all(is_literal(v) for v in values):
                losses.add(name, "values must be a list of numbers, strings, booleans or null")
                return None
            return ast.Param(name, choice(values))
        lo, hi = spec.get("min"), spec.get("max")
        if kind is None and lo is not None and hi is not None:
            kind = "int_uniform" if isinstance(lo, int) and isinstance(hi, int) else "uniform"
        mu, sigma, q = spec.get("mu", 0), spec.get("sigma", 1), spec.get("q")
        if kind == "int_uniform":
            if isinstance(lo, int) and isinstance(hi, int) and hi - lo >= MAX_RANGE:  # too wide for a range
                return ast.Param(name, dist("randint", lo, hi))
            return ast.Param(name, int_range(lo, hi))
        if kind == "uniform":
            return ast.Param(name, dist("uniform", lo, hi))
        if kind == "log_uniform_values":
            return ast.Param(name, dist("loguniform", lo, hi))
        if kind == "log_uniform":
            return ast.Param(name, dist("loguniform", *(float(f"{math.exp(x):.15g}") for x in (lo, hi))))
        if kind == "normal":
            return ast.Param(name, dist("normal", mu, sigma))
        if kind == "log_normal":
            return ast.Param(name, dist("lognormal", mu, sigma))
        if kind == "q_normal":
            return ast.Param(name, dist("normal", mu, sigma, step=q if q is not None else 1))
        if kind == "q_uniform":
            q = 1 if q is None else q
            if _integral(lo / q) and (hi / q) % 1 <= 0.5:
                return ast.Param(name, dist("uniform", lo, hi, step=q))
            losses.add(name, "W&B rounds to multiples of q; spacedsl's step lattice starts at min, so they agree "
                             "only when min is a multiple of q")
            return None
        losses.add(name, f"W&B's {kind} distribution has no spacedsl form" if kind else
                   "neither value, values, nor a distribution")
        return None

    def dumps(self, space, *, lossy=False, **options):
        return _yaml().safe_dump(self.to_native(space, lossy=lossy, **options), sort_keys=False)

    def loads(self, text, *, lossy=False):
        yaml = _yaml()
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError(f"not YAML: {exc}") from None
        return self.from_native(data, lossy=lossy)

    def knows(self, obj):
        return (isinstance(obj, dict) and isinstance(obj.get("parameters"), dict)
                and all(isinstance(v, dict) for v in obj["parameters"].values()))


@hookimpl
def spacedsl_formats():
    return {NAME: WandbFormat()}
