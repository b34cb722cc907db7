"""The other side of the optuna, hyperopt and wandb formats, for ``bench_formats.py``.

Each adapter draws configurations the way the other tool does, and checks that one of ours is
a configuration the other tool could produce:

- ``optuna``: ``convert(space, "optuna")`` (define-by-run) inside a study with Optuna's
  ``RandomSampler``; a trial pruned for breaking a ``where`` is drawn again (Optuna's loop goes on
  the same way). A configuration of ours must be a set of parameters inside their Optuna
  distributions (``optuna.trial.create_trial`` checks).
- ``hyperopt``: ``hyperopt.pyll.stochastic.sample`` of the expression, the sampler Hyperopt's
  ``rand.suggest`` uses. A configuration of ours must be one the expression can produce: an
  option of each ``hp.choice`` that gives exactly its keys, each value inside its ``hp`` function's
  support and lattice.
- ``wandb``: W&B's sweep semantics as its documentation states them (``values`` uniformly,
  ``int_uniform`` on [min, max], ``log_uniform_values`` log-uniform, ``q_*`` as ``round(x / q) * q``),
  drawn with numpy; checked the same way.
"""

from __future__ import annotations

import math

import numpy as np


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _same(a, b):
    """Equal as literals: 1, 1.0 and true are three different values."""
    return type(a) is type(b) and a == b


def _on_lattice(v, q, anchor=0.0):
    k = (v - anchor) / q
    return abs(k - round(k)) < 1e-9 * max(1.0, abs(k))


# ------------------------------------------------------------------- Optuna


class OptunaAdapter:
    options = {}  # kind="suggest": the define-by-run helper
    lossless = True  # it carries the space itself

    def draw(self, native, n, seed):
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        out, pruned = [], 0
        while len(out) < n:
            trial = study.ask()
            try:
                config = native(trial)
            except optuna.TrialPruned:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                pruned += 1
                if pruned > 1000 * n + 10_000:
                    raise RuntimeError("almost every trial is pruned") from None
                continue
            study.tell(trial, 0.0)
            out.append(config)
        return out

    def check(self, native, config):
        import optuna
        from spacedsl.integrations.optuna import plan_for
        native.space.validate(config)
        params, dists = plan_for(native.space).optuna_params(config)
        optuna.trial.create_trial(params=params, distributions=dists, value=0.0)  # raises if one is outside


# ----------------------------------------------------------------- Hyperopt


class HyperoptAdapter:
    options = {}
    lossless = False  # blocks come back regrouped by choice value, float ranges as choices

    def draw(self, native, n, seed):
        from hyperopt.pyll import stochastic
        rng = np.random.default_rng(seed)
        return [stochastic.sample(native, rng=rng) for _ in range(n)]

    def check(self, native, config):
        tree = native.pos_args[0] if native.name == "spacedsl_config" else native
        keys = _hp_dict(tree, config)
        if keys is None or keys != set(config):
            raise ValueError(f"no way for the hp expression to give {config}")


def _hp_dict(node, config):
    """The keys a dict node gives for ``config``, or None when it cannot give ``config``'s values."""
    keys = set()
    for key, value in node.named_args:
        got = _hp_entry(key, value, config)
        if got is None:
            return None
        keys |= got
    return keys


def _hp_entry(key, node, config):
    if type(node).__name__ == "Literal":
        return {key} if key in config and _same(config[key], _plain(node.obj)) else None
    if node.name == "switch":
        for option in node.pos_args[1:]:
            if type(option).__name__ == "Literal":
                if key in config and _same(config[key], _plain(option.obj)):
                    return {key}
            elif option.name == "dict":
                got = _hp_dict(option, config)
                if got is not None:
                    return got
        return None
    if node.name == "dict":
        return _hp_dict(node, config)
    return {key} if key in config and _hp_value(node, config[key]) else None


def _literal_args(fn):
    return [_plain(a.obj) for a in fn.pos_args] + [_plain(a.obj) for _, a in fn.named_args]


def _hp_value(node, v):
    """Whether the parameter expression ``node`` can take the value ``v``."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    name = node.name
    if name == "int":
        return isinstance(v, int) and _hp_value(node.pos_args[0], v)
    if name == "float":
        return _hp_value(node.pos_args[0], v)
    if name == "spacedsl_fit":
        low, high, digits = (_plain(a.obj) for a in node.pos_args[1:])
        return low <= v <= high and (digits is None or round(v, digits) == v) and _hp_value(node.pos_args[0], v)
    if name == "add":
        a, mul = node.pos_args
        s = _plain(mul.pos_args[0].obj)
        k = (v - _plain(a.obj)) / s
        return k == int(k) and _hp_value(mul.pos_args[1], int(k))
    if name != "hyperopt_param":
        return False
    fn = node.pos_args[1]
    args = _literal_args(fn)
    kind = fn.name
    if kind == "randint":
        lo, hi = (0, args[0]) if len(args) == 1 else args[:2]
        return float(v).is_integer() and lo <= v < hi
    if kind == "uniform":
        return args[0] <= v <= args[1]
    if kind == "loguniform":
        return math.exp(args[0]) * (1 - 1e-12) <= v <= math.exp(args[1]) * (1 + 1e-12)
    if kind == "normal":
        return math.isfinite(v)
    if kind == "lognormal":
        return v > 0
    q = args[2] if len(args) > 2 else None
    if kind == "quniform":
        return _on_lattice(v, q) and round(args[0] / q) * q - 1e-9 <= v <= round(args[1] / q) * q + 1e-9
    if kind == "qloguniform":
        return (_on_lattice(v, q) and round(math.exp(args[0]) / q) * q - 1e-9 <= v
                <= round(math.exp(args[1]) / q) * q + 1e-9)
    if kind == "qnormal":
        return _on_lattice(v, q)
    return False


# ---------------------------------------------------------------------- W&B


class WandbAdapter:
    options = {}
    lossless = False  # stepped ranges come back as value lists, randint as a range

    def draw(self, native, n, seed):
        rng = np.random.default_rng(seed)
        out = [{} for _ in range(n)]
        for key, spec in native["parameters"].items():
            for config, value in zip(out, _wandb_draw(spec, rng, n)):
                config[key] = value
        return out

    def check(self, native, config):
        params = native["parameters"]
        if set(config) != set(params):
            raise ValueError(f"keys {sorted(config)} are not the sweep's {sorted(params)}")
        for key, spec in params.items():
            if not _wandb_holds(spec, config[key]):
                raise ValueError(f"{key}={config[key]!r} is outside {spec}")


def _wandb_draw(spec, rng, n):
    if "value" in spec:
        return [spec["value"]] * n
    if "values" in spec:
        return [spec["values"][i] for i in rng.integers(0, len(spec["values"]), n)]
    kind, lo, hi = spec["distribution"], spec.get("min"), spec.get("max")
    mu, sigma, q = spec.get("mu", 0.0), spec.get("sigma", 1.0), spec.get("q", 1.0)
    if kind == "int_uniform":
        return rng.integers(lo, hi + 1, n).tolist()
    if kind == "uniform":
        x = rng.uniform(lo, hi, n)
    elif kind == "log_uniform_values":
        x = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
    elif kind == "normal":
        x = rng.normal(mu, sigma, n)
    elif kind == "log_normal":
        x = np.exp(rng.normal(mu, sigma, n))
    elif kind == "q_uniform":
        x = np.round(rng.uniform(lo, hi, n) / q) * q
    elif kind == "q_normal":
        x = np.round(rng.normal(mu, sigma, n) / q) * q
    else:
        raise ValueError(f"no sampler here for W&B's {kind}")
    return x.tolist()


def _wandb_holds(spec, v):
    if "value" in spec:
        return _same(v, spec["value"])
    if "values" in spec:
        return any(_same(v, w) for w in spec["values"])
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    kind, lo, hi = spec["distribution"], spec.get("min"), spec.get("max")
    if kind == "int_uniform":
        return isinstance(v, int) and lo <= v <= hi
    if kind in ("uniform", "log_uniform_values"):
        return lo <= v <= hi
    if kind == "normal":
        return math.isfinite(v)
    if kind == "log_normal":
        return v > 0
    if kind == "q_uniform":
        q = spec.get("q", 1.0)
        return _on_lattice(v, q) and round(lo / q) * q - 1e-9 <= v <= round(hi / q) * q + 1e-9
    if kind == "q_normal":
        return _on_lattice(v, spec.get("q", 1.0))
    return False


ADAPTERS = {"optuna": OptunaAdapter(), "hyperopt": HyperoptAdapter(), "wandb": WandbAdapter()}
