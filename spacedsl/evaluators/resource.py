"""Resources: the growing budgets at which a split evaluator reports intermediate scores.

``resource=`` names what grows from ``min_resource`` to ``max_resource``, multiplied by
``factor`` at each step (budgets ``min * factor**i``, then ``max``):

* ``"n_samples"``: each split's model is fitted on a growing subset of its training fold and
  scored on the whole validation fold, as in scikit-learn's ``HalvingRandomSearchCV``. The
  subsets are nested (a bigger one holds the smaller), drawn from the seed, stratified for
  classifiers (each prefix keeps the classes' shares, and each class's first member comes
  first, so every budget of at least as many samples as classes has every class), and the same
  for every configuration. Defaults: ``max_resource`` is the smallest training fold (the top
  budget then fits on the whole fold; a ``max_resource`` given fits that many samples);
  ``min_resource`` is ``max_resource // factor**3`` (four budgets, as for a parameter), but at
  least ``HalvingRandomSearchCV``'s ``min_resources="smallest"``: 2 samples per split, times the
  number of classes for a classifier (a dozen samples of a big data set score as noise).
* an estimator parameter (``"max_iter"``, ``"n_estimators"``, ``"clf__max_iter"`` in a pipeline):
  budgets in its units. Defaults: ``max_resource`` is the estimator's own value,
  ``min_resource`` is ``max_resource // factor**3``, at least 1 (four budgets: 3, 9, 27, 100).

``min_resource < max_resource`` must hold, defaults or not: a single budget stops nothing early.

How a bigger budget continues from the smaller one (`Grower`, `grow_mode`), in scikit-learn's terms:

* ``"total"``: ``n_estimators`` (or ``max_iter`` of ``HistGradientBoosting*``) of an estimator
  with ``warm_start``: the parameter is the total (trees, boosting rounds), so the split's model
  gets the new value and is fitted again with ``warm_start=True``: trees are added, the earlier
  ones kept. A fit that early stopping ended below its budget (``n_iter_`` or ``n_estimators_``
  smaller) is kept at bigger budgets, as one fit at the top would have stopped there too (a warm
  fit would add a tree before stopping again).
* ``"more"``: ``max_iter`` of other estimators with ``warm_start`` (``SGDClassifier``,
  ``MLPClassifier``, ``LogisticRegression``...): a warm fit runs ``max_iter`` *more* iterations,
  so the parameter is set to the increment. A fit that stopped before its increment (``n_iter_``
  below it) has converged, and bigger budgets keep that model, as a fit from scratch with a
  larger ``max_iter`` would stop at the same place. Each warm fit restarts what scikit-learn
  restarts (SGD's learning-rate schedule, Adam's moments), so the model is close to a fit from
  scratch, not identical.
* ``"refit"``: a fresh fit at each budget, for any other parameter (``max_depth``: a warm start
  grows no new tree for it), an estimator without ``warm_start``, and the two warm starts that are
  not the model of one fit: ``GradientBoosting*`` with ``n_iter_no_change`` (each warm fit starts
  its early-stopping count afresh; once a fit stops below its budget, bigger budgets keep it) and
  ``LogisticRegression(solver="liblinear")``, which ignores ``warm_start``. Whether a warm fit
  really continued is not probed (that would cost a second fit per split): another estimator
  whose ``warm_start`` does not continue its ``max_iter`` gets fits of the increment.
"""

from __future__ import annotations

import math
import numbers
import warnings

import attrs
import numpy as np

from ..language.errors import did_you_mean

N_SAMPLES = "n_samples"


def split_rows(estimator, X, y, indices, train_indices=None):
    """Rows ``indices`` of X and y; pairwise (precomputed-kernel) estimators get the right columns too."""
    from sklearn.utils.metaestimators import _safe_split

    return _safe_split(estimator, X, y, indices, train_indices)


def schedule(min_resource, max_resource, factor, max_step=None):
    """The budgets a trial runs: ``min * factor**k`` (rounded up) for each k that stays below the
    top, then the top -- the rungs of `spacedsl.strategies` (37, 111, 333, 1000 for 37, 1000, 3).

    The top is ``max_resource``, or ``max_step`` (rounded up) when that is smaller, so a trial a
    budgeted strategy stops at ``max_step`` runs exactly to it.
    """
    cap = max_resource if max_step is None else max(1, min(max_resource, math.ceil(max_step - 1e-9)))
    levels = int(math.floor(math.log(max_resource / min_resource) / math.log(factor) + 1e-9))
    budgets = []
    for k in range(levels):
        budget = math.ceil(min_resource * factor ** k - 1e-9)
        if budget >= cap:
            break
        if not budgets or budget > budgets[-1]:
            budgets.append(budget)
    return budgets + [cap]


def _whole(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number, 1 or more (or None for the default), got {value!r}")
    return int(value)


def _check_range(low, high, low_from="", high_from=""):
    if not low < high:
        raise ValueError(f"min_resource < max_resource must hold, but got (min_resource={low}{low_from}, "
                         f"max_resource={high}{high_from}); a single budget stops nothing early: lower "
                         "min_resource or raise max_resource")


@attrs.frozen
class Resource:
    """What a split evaluator grows, and between which bounds (None: the default, see the module doc).

    Attributes:
        name: ``"n_samples"`` or an estimator parameter (``"max_iter"``, ``"clf__n_estimators"``).
        min_resource: The smallest budget, or None.
        max_resource: The largest budget, or None.
        factor: How much each budget multiplies the one before (greater than 1).
    """

    name: str
    min_resource: int | None = None
    max_resource: int | None = None
    factor: float = 3

    @classmethod
    def from_options(cls, resource=None, min_resource=None, max_resource=None, factor=3):
        """The `Resource` of an evaluator's options (None without ``resource``); ValueError when they are wrong."""
        if resource is None:
            given = [n for n, v in (("min_resource", min_resource), ("max_resource", max_resource)) if v is not None]
            if given or factor != 3:
                raise ValueError(f"{', '.join(given) or 'factor'} only applies with a resource: pass "
                                 "resource='n_samples' or an estimator parameter such as resource='max_iter'")
            return None
        if not isinstance(resource, str) or not resource:
            raise ValueError(f"resource must be 'n_samples' or the name of an estimator parameter such as "
                             f"'max_iter', got {resource!r}")
        low, high = _whole("min_resource", min_resource), _whole("max_resource", max_resource)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not factor > 1 \
                or not math.isfinite(factor):
            raise ValueError(f"factor must be a number greater than 1 (each budget is factor times the one "
                             f"before; 3 by default), got {factor!r}")
        if low is not None and high is not None:
            _check_range(low, high)
        return cls(resource, low, high, factor)

    @property
    def is_parameter(self):
        """True when the resource is an estimator parameter (not ``n_samples``)."""
        return self.name != N_SAMPLES

    def check_estimator(self, estimator):
        """ValueError unless ``estimator`` has the resource parameter (nothing to check for ``n_samples``)."""
        if not self.is_parameter:
            return
        valid = estimator.get_params(deep=True)
        if self.name not in valid:
            numeric = sorted(k for k, v in valid.items() if isinstance(v, numbers.Integral)
                             and not isinstance(v, bool))
            raise ValueError(f"resource={self.name!r} is not a parameter of {type(estimator).__name__}"
                             f"{did_you_mean(self.name, valid)}; use 'n_samples' or one of its whole-number "
                             f"parameters: {', '.join(numeric) or '(none)'}")

    def check_params(self, params):
        """ValueError when a configuration sets the resource parameter itself (the evaluator sets it)."""
        if self.is_parameter and self.name in params:
            raise ValueError(f"the configuration sets {self.name!r}, which is the evaluator's resource (it "
                             f"grows from min_resource to max_resource); take {self.name!r} out of the space "
                             "and give its largest value as max_resource")

    def resolve(self, estimator, y, splits, stratified=False):
        """``(min_resource, max_resource, factor)`` for this estimator and these ``(train, test)`` splits
        (``stratified``: the splits are, so the default ``min_resource`` counts the classes)."""
        self.check_estimator(estimator)
        name = type(estimator).__name__
        high_from = low_from = ""  # where a default came from, for the message
        if self.is_parameter:
            high = self.max_resource
            if high is None:
                own = estimator.get_params(deep=True)[self.name]
                if isinstance(own, bool) or not isinstance(own, numbers.Integral) or own < 1:
                    raise ValueError(f"{name}'s {self.name}={own!r} is not a whole number "
                                     f"of 1 or more, so it cannot be the default max_resource; pass max_resource")
                high, high_from = int(own), f": {name}'s own {self.name}"
            low = self.min_resource
            if low is None:
                low, low_from = min(high, max(1, int(high // self.factor ** 3))), ": the default"
        else:
            high = min(len(train) for train, _ in splits)
            high_from = ": the smallest training fold"
            if self.max_resource is not None:
                if self.max_resource > high:
                    raise ValueError(f"max_resource={self.max_resource} is more than the {high} samples of the "
                                     "smallest training fold; lower it, or leave it None for the whole fold")
                high, high_from = self.max_resource, ""
            low = self.min_resource
            if low is None:
                classes = len(np.unique(np.asarray(y))) if stratified else 1
                low = min(high, max(2 * len(splits) * classes, int(high // self.factor ** 3)))
                low_from = f": the default, 2 per split{' and class' if stratified else ''}"
        _check_range(low, high, low_from, high_from)
        return low, high, self.factor

    def refit_params(self, estimator):
        """What the final refit sets: ``{name: max_resource}`` for a parameter given a max, else nothing."""
        if self.is_parameter and self.max_resource is not None:
            return {self.name: self.max_resource}
        return {}

    def grower(self, estimator, params, X, y, train, test, max_resource, seed, stratified=False):
        """A `Grower` for one split of one configuration."""
        return Grower(self, estimator, params, X, y, train, test, max_resource, seed, stratified)


class Grower:
    """One split's model, advanced budget by budget (`grow`), so a stopped trial costs what it ran.

    Attributes:
        mode: ``"subset"`` (``n_samples``), ``"total"``, ``"more"`` or ``"refit"`` (see the module doc).
        model: The model fitted at the last budget, or None.
        done: The last budget fitted (0 before the first).
        converged: True once a warm fit stopped before its budget (bigger budgets keep the model).
    """

    def __init__(self, resource, estimator, params, X, y, train, test, max_resource, seed, stratified=False):
        from sklearn.utils import _safe_indexing

        self.resource, self.params = resource, dict(params)
        self.estimator, self.X, self.y, self.train, self.test = estimator, X, y, train, test
        self.max_resource = max_resource
        self.model, self.done, self.converged = None, 0, False
        self.mode, self.warm_key, self.stops_early = "subset", None, False
        self.test_data = None
        if resource.is_parameter:
            owner_key, _, leaf = resource.name.rpartition("__")
            probe = self._fresh()
            owner = probe.get_params(deep=True)[owner_key] if owner_key else probe
            self.mode = grow_mode(owner, leaf)
            self.stops_early = self.mode == "refit" and _boosting_stops_early(owner) and leaf == "n_estimators"
            if self.mode != "refit":
                self.warm_key = f"{owner_key}__warm_start" if owner_key else "warm_start"
            self.owner_key = owner_key
            self.train_data = split_rows(probe, X, y, train)
            self.test_data = split_rows(probe, X, y, test, train)
        else:
            labels = np.asarray(_safe_indexing(y, train)) if stratified else None
            self.order = np.asarray(train)[nested_order(labels, len(train), seed)]

    def grow(self, budget):
        """Fit up to ``budget``; ``(model, X_test, y_test)`` to score it on."""
        from sklearn.exceptions import ConvergenceWarning

        if self.mode == "subset":
            model = self._fresh()
            whole = budget >= self.max_resource and self.resource.max_resource is None  # the default top
            rows = self.train if whole else self.order[:budget]
            _fit(model, *split_rows(model, self.X, self.y, rows))
            self.model, self.done = model, budget
            return model, *split_rows(model, self.X, self.y, self.test, rows)
        name = self.resource.name
        if self.mode == "refit" and not self.converged:
            self.model = _fit(self._fresh().set_params(**{name: budget}), *self.train_data)
            if self.stops_early:  # a fit at a bigger budget stops at the same tree
                self.converged = int(self._owner().n_estimators_) < budget
        elif self.mode == "total" and not self.converged:
            if self.model is None:
                self.model = self._fresh().set_params(**{self.warm_key: True})
            _fit(self.model.set_params(**{name: budget}), *self.train_data)
            owner = self._owner()  # early stopping ended it below the budget: as a fit at once would
            count = getattr(owner, "n_iter_", getattr(owner, "n_estimators_", None))
            self.converged = count is not None and int(count) < budget
        elif not self.converged:  # "more": a warm fit runs `increment` more iterations
            increment = budget - self.done
            if self.model is None:
                self.model = self._fresh().set_params(**{self.warm_key: True})
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                _fit(self.model.set_params(**{name: increment}), *self.train_data)
            for w in caught:  # "Maximum iterations (67) reached" names the increment: say so
                message = w.message
                if issubclass(w.category, ConvergenceWarning) and self.done:
                    message = w.category(f"{message} (the last {increment} of {name}={budget}: a warm start "
                                         f"continued the fit at {self.done})")
                warnings.warn_explicit(message, w.category, w.filename, w.lineno)
            n_iter = getattr(self._owner(), "n_iter_", None)
            if n_iter is not None and np.size(n_iter) and int(np.max(n_iter)) < increment:
                self.converged = True
        self.done = budget
        return self.model, *self.test_data

    def _fresh(self):
        from sklearn.base import clone

        return clone(self.estimator).set_params(**self.params)

    def _owner(self):
        return self.model.get_params(deep=True)[self.owner_key] if self.owner_key else self.model


def grow_mode(owner, leaf):
    """How ``owner`` (the estimator holding the resource parameter ``leaf``) goes from one budget to
    the next: ``"total"``, ``"more"`` or ``"refit"`` (see the module doc). A warm start continues
    only the count it is about: the trees of an ensemble (``n_estimators``; ``max_iter`` of
    ``HistGradientBoosting*``), the iterations of an iterative estimator (``max_iter``). Any other
    parameter (``max_depth``, ``C``...) is refit, as are the warm starts that are not the same model
    as a fit at once: ``GradientBoosting*`` with ``n_iter_no_change`` (each warm fit starts its
    early-stopping count afresh) and ``LogisticRegression(solver="liblinear")`` (it ignores
    ``warm_start``)."""
    from sklearn.linear_model import LogisticRegression

    params = owner.get_params(deep=False)
    if "warm_start" not in params:
        return "refit"
    ensemble = type(owner).__module__.startswith("sklearn.ensemble")
    if leaf == "n_estimators" or (leaf == "max_iter" and ensemble):
        return "refit" if _boosting_stops_early(owner) else "total"
    if leaf == "max_iter":
        if isinstance(owner, LogisticRegression) and params.get("solver") == "liblinear":
            return "refit"
        return "more"
    return "refit"


def _boosting_stops_early(owner):
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

    return isinstance(owner, GradientBoostingClassifier | GradientBoostingRegressor) \
        and owner.get_params(deep=False).get("n_iter_no_change") is not None


def _fit(model, X, y):
    if y is None:
        model.fit(X)
    else:
        model.fit(X, y)
    return model


def nested_order(labels, n, seed):
    """A permutation of ``range(n)`` whose every prefix is a random subset (stratified by ``labels``).

    With labels, each class's members are shuffled and spread evenly over the order (member ``j``
    of a class of ``m`` at position ``(j + u) / m``, ``u`` drawn once per class), so the first ``b``
    hold each class in about its share of the fold; and each class's first member comes before
    every other member of any class, so a prefix of at least as many as there are classes holds
    every class (a rare class would else be missing from the small budgets, and a probability
    scorer fail on them).
    """
    rng = np.random.default_rng(seed)
    if labels is None:
        return rng.permutation(n)
    keys = np.empty(n)
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        shuffled = members[rng.permutation(len(members))]
        keys[shuffled] = (np.arange(len(members)) + rng.random()) / len(members)
        keys[shuffled[0]] -= 1  # first of all: below every other key (those are in [0, 1))
    return np.argsort(keys, kind="stable")
