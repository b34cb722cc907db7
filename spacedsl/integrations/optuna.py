"""Optuna, both ways: a space asked of an Optuna trial, and Optuna's samplers as spacedsl strategies.

``suggest(trial, space)`` runs inside an Optuna objective (define-by-run): it walks the
space in file order and asks the trial only for the parameters that are active given the
values suggested above them, then adds the constants. Each dimension is one Optuna
parameter:

============================================  ==========================================================
spacedsl                                      Optuna
============================================  ==========================================================
``x in [v1, v2, ...]``                        ``suggest_categorical("x", [v1, v2, ...])`` (over the
                                              indices, as ``"x[index]"``, when two values are equal to
                                              Python, such as ``1`` and ``true``)
``x in a..b step s``                          ``suggest_int("x", a, b, step=s)``; a float range is
                                              ``suggest_float(..., step=s)`` read back as the exact
                                              lattice value
``randint(a, b)``                             ``suggest_int("x", a, b)``
``uniform(a, b)``, ``loguniform(a, b)``,      ``suggest_float("x", a, b[, log=True])``, then spacedsl's
also with ``step=q`` or ``: int``             own rounding onto the step or the integers (so the two end
                                              values weigh half, as in spacedsl; Optuna's own
                                              ``step=``/``suggest_int`` weigh every value alike)
anything else: ``normal``, ``lognormal``,     ``suggest_float("x[unit]", 0, 1)``: the point's coordinate in
``expon``, ``scipy.*``, plugin                the unit cube, mapped through the distribution's inverse
distributions                                 CDF
``(a, b) in [(1, "x"), ...]``                 ``suggest_categorical("(a, b)", [0, 1, ...])``: the row
============================================  ==========================================================

Every marginal is therefore exactly spacedsl's.

``where`` constraints: a trial cannot take back a suggestion, so a configuration that breaks
one ends its trial with ``optuna.TrialPruned`` (``study.optimize`` goes on; TPE counts pruned
trials among the bad ones). With ``study.ask()``/``study.tell()`` catch it and tell the trial
``TrialState.PRUNED``. A trial that passes keeps its whole configuration in the user attribute
``"spacedsl.config"``.

``strategy="optuna:TPESampler"`` (any class of ``optuna.samplers``; options go to its
constructor, and ``seed`` is the strategy's seed) runs a sampler behind spacedsl's ask/tell on
an in-memory study: each configuration asked is an Optuna trial left running until told
(failed trials are ``TrialState.FAIL``), and configurations told that it never asked (a
resumed store) are added as finished trials. A proposal repeating a configuration already told
complete is told that loss at once (a loop with a store skips it, and its trial must not stay
running; if it is run anyway and gives the same loss, nothing more is told). A proposal breaking a ``where`` is never
returned: its trial is told ``PRUNED`` (with the broken constraint in the user attribute
``"spacedsl.infeasible"``) and the sampler asked again, as `suggest` would have it. What the
caller gets is the sampler's own proposal conditioned on the constraints; samplers that learn
from pruned trials (TPE counts them among the bad ones) learn to avoid the infeasible region,
and no loss is ever made up for a configuration that was not evaluated. Should a sampler miss
100 times in a row (CMA-ES ignores pruned trials, and a loss pushing against a constraint
draws it there), a feasible draw from the space is enqueued as the next trial instead.
Defaults go first, as an enqueued trial.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import inspect
import math
import weakref

import attrs
import numpy as np

from ..language import ast
from ..language.errors import did_you_mean
from ..plugins import PluginError
from ..space import as_space
from ..space.model import Batch
from ..strategies import config_key

EXTRA = "pip install 'spacedsl[optuna]'"
CONFIG_ATTR = "spacedsl.config"
INFEASIBLE_ATTR = "spacedsl.infeasible"
FALLBACK_AFTER = 100  # proposals in a row breaking a constraint before a strategy draws from the space instead
MAX_TRIES = 1000
NOT_LEARNING = frozenset({"RandomSampler", "QMCSampler"})


def require_optuna():
    """The ``optuna`` module, or an ImportError naming the extra to install."""
    try:
        import optuna
    except ImportError as exc:
        raise ImportError(f"the Optuna integration needs optuna: {EXTRA}") from exc
    return optuna


# ----------------------------------------------------------------- the plan


@attrs.frozen
class Param:
    """One dimension of a space as one Optuna parameter.

    Attributes:
        dim: The dimension (one of `Space.dimensions`).
        name: The Optuna parameter's name.
        kind: ``"categorical"``, ``"int"`` or ``"float"``: the ``trial.suggest_*`` that asks it.
        args: The keyword arguments of that call (and of its Optuna distribution).
        how: How Optuna's value becomes ours: ``"value"``, ``"index"``, ``"range"``, ``"snap"``
            or ``"unit"`` (see the module docstring).
    """

    dim: object
    name: str
    kind: str
    args: dict = attrs.field(hash=False)
    how: str

    def suggest(self, trial):
        """Ask the trial; returns the raw value the engine holds (an index, or the number)."""
        value = getattr(trial, "suggest_" + self.kind)(self.name, **self.args)
        dim, how = self.dim, self.how
        if how == "value":
            return np.array([dim.finite.index_of(value)], dtype=np.int64)
        if how == "index":
            return np.array([value], dtype=np.int64)
        if how == "range":
            k = round((value - dim.finite.low) / dim.finite.step)
            return np.array([min(max(k, 0), dim.size - 1)], dtype=np.int64)
        prior = dim.prior
        if how == "unit":
            return prior.ppf(np.array([float(value)]))
        return np.clip(prior.snap(np.array([float(value)])), prior.low, prior.high)

    def external(self, config):
        """What Optuna holds for this parameter in a configuration where it is active."""
        dim, how = self.dim, self.how
        value = dim.value_of(config)
        if how == "index":
            return dim.finite.index_of(value)
        if how == "unit":
            u = dim.prior.to_unit(np.array([float(value)]))[0]
            return float(min(max(u, 0.0), 1.0))
        if self.kind == "int":
            return int(value)
        return float(value) if self.kind == "float" else value

    def distribution(self):
        """The Optuna distribution ``suggest`` asks from."""
        d = require_optuna().distributions
        cls = {"categorical": d.CategoricalDistribution, "int": d.IntDistribution,
               "float": d.FloatDistribution}[self.kind]
        return cls(**self.args)


def _walk_params(statements):
    for s in statements:
        if isinstance(s, ast.Param):
            yield s
        elif isinstance(s, ast.If):
            yield from _walk_params(s.body)
            yield from _walk_params(s.orelse)


def _param(dim, nodes):
    name = dim.names[0]
    if dim.kind == "tied":
        return Param(dim, dim.label, "categorical", {"choices": tuple(range(dim.size))}, "index")
    if dim.kind == "choice":
        values = tuple(dim.finite.values)
        if len(set(values)) == len(values) and all(map(_fits, values)):
            return Param(dim, name, "categorical", {"choices": values}, "value")
        return Param(dim, f"{name}[index]", "categorical", {"choices": tuple(range(dim.size))}, "index")
    if dim.kind == "range":
        r = dim.finite
        if not (_fits(r.low) and _fits(r.high)):  # Optuna computes in floats: ask for the position
            return Param(dim, f"{name}[index]", "int", {"low": 0, "high": r.size - 1}, "index")
        kind = "int" if r.integer else "float"
        return Param(dim, name, kind, {"low": r.low, "high": r.value(r.size - 1), "step": r.step}, "range")
    prior, dist = dim.prior, nodes[name].domain.name
    wide = not math.isfinite(prior.high - prior.low) or not (_fits(prior.low) and _fits(prior.high))
    if dist == "randint" and not wide:
        return Param(dim, name, "int", {"low": prior.dist.low, "high": prior.dist.high}, "snap")  # exact ints
    if dist in ("uniform", "loguniform") and not wide:  # a step and ': int' round Optuna's draw as they round ours
        return Param(dim, name, "float", {"low": prior.low, "high": prior.high, "log": dist == "loguniform"}, "snap")
    return Param(dim, f"{name}[unit]", "float", {"low": 0.0, "high": 1.0}, "unit")


def _fits(value):
    """Whether Optuna, which computes in floats, holds the value exactly (integers up to 2**53); a named
    object (``@svc``) is no value Optuna can store, so it goes by its index."""
    if isinstance(value, ast.Ref):
        return False
    return not isinstance(value, int) or isinstance(value, bool) or abs(value) <= 2**53


class Plan:
    """A space as Optuna parameters, walked in file order.

    Attributes:
        space: The `Space`.
        params: One `Param` per dimension, in file order.
        constants: The space's constants.
    """

    def __init__(self, space):
        self.space = space
        self._model = space.model  # the engine: activity and constraints for one configuration
        nodes = {p.name: p for p in _walk_params(space.statements)}
        self.params = [_param(dim, nodes) for dim in space.dimensions]
        self.constants = space.constants
        self._fill = [np.array([0], dtype=np.int64) if dim.prior is None else dim.prior.ppf(np.array([0.5]))
                      for dim in space.dimensions]

    def ask(self, trial):
        """``(config, broken)``: the configuration the trial's suggestions make, and the ``where``
        constraints it breaks (their engine records, with ``text`` and ``pos``)."""
        batch = Batch(self._model, 1)
        for p, fill in zip(self.params, self._fill):
            j = p.dim.index
            batch.set(j, fill)  # activity depends only on the dimensions above
            active = batch.active[j]
            if active is None or active[0]:
                batch.set(j, p.suggest(trial))
        broken = [c for c in self._model.constraints if not batch.constraint_holds(c)[0]]
        return batch.configs()[0], broken

    def optuna_params(self, config):
        """``(params, distributions)`` of a configuration, as an Optuna trial would hold them."""
        params, dists = {}, {}
        for p in self.params:
            if all(n in config for n in p.dim.names):
                params[p.name] = p.external(config)
                dists[p.name] = p.distribution()
        return params, dists


_plans = {}  # id(space) -> (weak reference to the space, its plan)


def _forget(key, _ref, plans=_plans):  # ``plans`` bound here: still works while the interpreter shuts down
    plans.pop(key, None)


def plan_for(space):
    """The `Plan` of a space, built once per space object."""
    entry = _plans.get(id(space))
    if entry is not None and entry[0]() is space:
        return entry[1]
    plan = Plan(space)
    _plans[id(space)] = (weakref.ref(space, functools.partial(_forget, id(space))), plan)
    return plan


@functools.lru_cache(maxsize=64)
def _parsed(text):
    """Space text parsed once, not once per trial."""
    return as_space(text)


def _broken_message(c):
    line = f" (line {c.pos.line})" if c.pos is not None else ""
    return f"the configuration breaks the constraint 'where {c.text}'{line}"


# ------------------------------------------------------------ define-by-run


def suggest(trial, space):
    """Ask an Optuna trial for one configuration of ``space`` (a `Space` or space text).

    Only active parameters are suggested; constants are added. A configuration that breaks a
    ``where`` constraint raises ``optuna.TrialPruned`` (see the module docstring).

    Returns:
        The configuration: active parameters and constants, plain Python values.
    """
    optuna = require_optuna()
    plan = plan_for(_parsed(space) if isinstance(space, str) else as_space(space))
    config, broken = plan.ask(trial)
    if broken:
        raise optuna.TrialPruned(_broken_message(broken[0]))
    trial.set_user_attr(CONFIG_ATTR, config)
    return config


@attrs.frozen
class Suggest:
    """`suggest` bound to a space, for an objective: ``config = Suggest(space)(trial)``.

    What ``spacedsl.convert(space, "optuna")`` returns.

    Attributes:
        space: The `Space`.
    """

    space: object = attrs.field(repr=lambda space: f"<Space of {', '.join(space.names) or 'constants only'}>")

    def __call__(self, trial):
        return suggest(trial, self.space)


# ------------------------------------------------------------- as a strategy


@contextlib.contextmanager
def _quiet(optuna):
    """No "Trial N finished" line per trial: the driver reports trials itself."""
    level = optuna.logging.get_verbosity()
    if level >= optuna.logging.WARNING:
        yield
        return
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(level)


def sampler_names(optuna):
    """The concrete sampler classes of ``optuna.samplers``, by name."""
    base = optuna.samplers.BaseSampler
    return {name: cls for name, cls in vars(optuna.samplers).items()
            if isinstance(cls, type) and issubclass(cls, base) and not inspect.isabstract(cls)
            and not name.startswith("Base")}


def sampler_strategy(name):
    """The factory of the strategy ``optuna:NAME`` (the ``optuna:`` family of the plugin manager)."""
    try:
        optuna = require_optuna()
    except ImportError as exc:
        raise PluginError(f"strategy 'optuna:{name}': {exc}") from None
    known = sampler_names(optuna)
    if name not in known:
        listed = ", ".join(sorted(known))
        raise PluginError(f"unknown Optuna sampler {name!r}{did_you_mean(name, known)} "
                          f"(strategy optuna:NAME; known: {listed})")
    return functools.partial(OptunaStrategy, sampler=name)


class OptunaStrategy:
    """An Optuna sampler behind spacedsl's ask/tell, on an in-memory Optuna study.

    Attributes:
        space: The `Space` searched.
        sampler: The Optuna sampler.
        study: The Optuna study holding one trial per configuration asked or told.
        adaptive: Whether proposals depend on what was told (False for RandomSampler, QMCSampler).
        infeasible: How many proposals broke a ``where`` constraint (each a pruned trial).
        fallbacks: How many times the sampler missed the constraints 100 times in a row and a
            feasible draw from the space was enqueued instead.
    """

    def __init__(self, space, seed=None, *, sampler, **options):
        optuna = self._optuna = require_optuna()
        cls = sampler_names(optuna)[sampler]
        if "seed" in inspect.signature(cls).parameters and "seed" not in options:
            options["seed"] = None if seed is None else int(seed)
        try:
            self.sampler = cls(**options)
        except TypeError as exc:
            raise ValueError(f"optuna.samplers.{sampler}: {exc}") from None
        self.space = as_space(space)
        self.plan = plan_for(self.space)
        self.adaptive = sampler not in NOT_LEARNING
        self.infeasible = 0
        self.fallbacks = 0
        self._rng = np.random.default_rng(seed)
        self._pending = {}  # config key -> deque of trial numbers asked and not told
        self._known = {}  # config key -> the last loss told for it (complete trials only)
        self._pretold = {}  # config key -> how many repeats were told that loss when asked
        self._constants = frozenset(self.space.constants)
        with _quiet(optuna):
            self.study = optuna.create_study(sampler=self.sampler, direction="minimize")
            first = self.space.default_configuration(seed=self._rng)
            if first is not None:
                self.study.enqueue_trial(self.plan.optuna_params(first)[0])

    def ask(self, n=1):
        """Up to n configurations, each an Optuna trial left running until told."""
        out = []
        with _quiet(self._optuna):
            for _ in range(n):
                out.append(self._ask_one())
        return out

    def _ask_one(self):
        pruned = self._optuna.trial.TrialState.PRUNED
        for tries in range(1, MAX_TRIES + 1):
            trial = self.study.ask()
            config, broken = self.plan.ask(trial)
            if not broken:
                key = config_key(config, self._constants)
                if key in self._known:  # a repeat of a configuration told complete: a loop with a store
                    self.study.tell(trial, self._known[key])  # skips it, so its trial is told the known loss now
                    self._pretold[key] = self._pretold.get(key, 0) + 1
                else:
                    self._pending.setdefault(key, collections.deque()).append(trial.number)
                return config
            self.infeasible += 1
            trial.set_user_attr(INFEASIBLE_ATTR, _broken_message(broken[0]))
            self.study.tell(trial, state=pruned)
            if tries == FALLBACK_AFTER:  # the sampler keeps missing: a feasible draw from the space instead
                self.fallbacks += 1
                self.study.enqueue_trial(self.plan.optuna_params(self.space.sample(seed=self._rng))[0])
        raise ValueError(f"constraints reject every configuration the sampler proposes ({MAX_TRIES} in a row; "
                         f"last: {_broken_message(broken[0])})")

    def tell(self, config, loss):
        """Finish the configuration's trial with its loss (None: ``TrialState.FAIL``)."""
        state = self._optuna.trial.TrialState
        value, st = (None, state.FAIL) if loss is None else (float(loss), state.COMPLETE)
        key = config_key(config, self._constants)
        queue = self._pending.get(key)
        if not queue and self._pretold.get(key) and loss is not None and float(loss) == self._known.get(key):
            self._pretold[key] -= 1  # the repeat was run after all, with the loss its trial was told
            return
        if loss is not None:
            self._known[key] = float(loss)
        with _quiet(self._optuna):
            if queue:
                number = queue.popleft()
                if not queue:
                    del self._pending[key]
                self.study.tell(number, value, state=st)
                return
            params, dists = self.plan.optuna_params(config)
            self.study.add_trial(self._optuna.trial.create_trial(params=params, distributions=dists,
                                                                 value=value, state=st))
