"""What the evaluators share: the `Evaluation` record, the scorer, and fitting and scoring one split.

An evaluator is made by ``factory(seed=None, **options)`` and answers
``evaluate(estimator, params, X, y, scoring, groups=None) -> Evaluation``.
With ``report=`` (``report(step, value) -> bool``, see `SplitEvaluator.evaluate_splits`) a split
evaluator reports intermediate scores after each split, or at growing budgets of a resource
(`spacedsl.evaluators.resource`), and stops when told.
The built-in ones (``holdout``, ``kfold``) derive from `SplitEvaluator`: they
only say how to split the data (``split``), and everything else — cloning,
``set_params``, fitting, scoring, timing, catching a failed fit — is here, so
`spacedsl.search` can also run the (configuration, split) pairs of many trials
in one parallel batch, exactly as scikit-learn's ``GridSearchCV`` does.

Third-party evaluators need not subclass `SplitEvaluator`: ``evaluate`` is the
whole contract. Decisions, in scikit-learn's terms:

* "Classifier" means what `sklearn.model_selection.check_cv` means by it:
  ``is_classifier(estimator)`` and a binary or multiclass target. Only then is
  a split stratified.
* A fit (or score) that raises, or a score that is NaN or infinite, fails the
  evaluation: the `Evaluation` carries the first error as ``"Type: message"``
  and no score. Nothing is raised, so a search goes on (``error_score=nan``).
* Every split is fitted on a fresh ``clone`` of the estimator; the estimator
  passed in is never fitted or changed.
"""

from __future__ import annotations

import math
import time
import warnings

import attrs
import numpy as np

from ..language.errors import did_you_mean
from ..storage.trials import error_text
from .resource import Resource, schedule, split_rows


@attrs.frozen
class Evaluation:
    """How one configuration scored.

    Attributes:
        score: Mean validation score over the splits (greater is better), or None when it failed.
        fold_scores: The validation score of each split, in order (empty when it failed).
        fit_times: Seconds spent fitting, per split.
        score_times: Seconds spent scoring, per split.
        error: ``"Type: message"`` of the first failure, else None.
        step: How far it got when reporting: splits done, or the last budget of its resource
            (None: it ran without ``report`` and no resource).
        stopped: True when it ended before its full run (fewer splits, or a budget below
            ``max_resource``): a report said stop, or ``report.max_step`` capped it. The scores
            and times are then those of what ran.
    """

    score: float | None
    fold_scores: tuple = attrs.field(converter=tuple, default=())
    fit_times: tuple = attrs.field(converter=tuple, default=())
    score_times: tuple = attrs.field(converter=tuple, default=())
    error: str | None = None
    step: float | None = None
    stopped: bool = False

    @property
    def failed(self):
        """True when no score came out (a fit or score raised, or gave NaN or infinity)."""
        return self.score is None

    @property
    def std(self):
        """Standard deviation of the fold scores (0.0 for one split; None when it failed)."""
        return None if self.failed else float(np.std(self.fold_scores))

    @property
    def fit_time(self):
        """Seconds spent fitting, summed over the splits."""
        return float(sum(self.fit_times))

    @property
    def score_time(self):
        """Seconds spent scoring, summed over the splits."""
        return float(sum(self.score_times))

    @property
    def duration(self):
        """Seconds of work: every fit and score of every split (not wall time when run in parallel)."""
        return self.fit_time + self.score_time


@attrs.frozen
class FoldResult:
    """One split of one configuration.

    Attributes:
        score: The validation score, or None when it failed.
        fit_time: Seconds spent fitting.
        score_time: Seconds spent scoring.
        error: ``"Type: message"`` when it failed, else None.
    """

    score: float | None
    fit_time: float
    score_time: float
    error: str | None = None


def holdout_split(estimator, X, y, groups, fraction, seed, stratify=None):
    """``(train, test)`` index arrays holding out ``fraction`` (or that many samples): by group when
    ``groups`` are given, else stratified by ``y`` where that makes sense (``stratify=None``: for a
    classifier on a classification target) -- ``search``'s test set and the ``holdout`` evaluator."""
    from sklearn.model_selection import GroupShuffleSplit, train_test_split
    from sklearn.utils.validation import _num_samples

    indices = np.arange(_num_samples(X))
    if groups is not None:
        return next(GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed).split(indices, y, groups))
    if stratify is None:
        stratify = is_stratified(estimator, y)
    return tuple(train_test_split(indices, test_size=fraction, random_state=seed, stratify=y if stratify else None))


def get_scorer(estimator, scoring):
    """A single scikit-learn scorer from a name, a callable ``scorer(estimator, X, y)`` or None.

    None means the estimator's own ``score`` method (accuracy for classifiers,
    R² for regressors), as in scikit-learn. An unknown name is a ValueError
    that suggests the nearest known one; several metrics (a list or dict) are
    refused, because a search maximises one number.
    """
    from sklearn.metrics import check_scoring, get_scorer_names

    if isinstance(scoring, str):
        names = get_scorer_names()
        if scoring not in names:
            raise ValueError(f"unknown scoring {scoring!r}{did_you_mean(scoring, names)}; use a name from "
                             "sklearn.metrics.get_scorer_names() or a callable scorer(estimator, X, y)")
    elif scoring is not None and not callable(scoring):
        raise ValueError(f"scoring must be one scorer name, a callable or None, got {scoring!r} "
                         f"(of type {type(scoring).__name__}); a search maximises a single score, "
                         "so pass one metric (SpaceSearchCV takes several, with refit='name')")
    return check_scoring(estimator, scoring)


def is_stratified(estimator, y):
    """Whether splits should be stratified: a classifier with a binary or multiclass target."""
    from sklearn.base import is_classifier
    from sklearn.utils.multiclass import type_of_target

    return y is not None and is_classifier(estimator) and type_of_target(y) in ("binary", "multiclass")


def fit_and_score(estimator, params, X, y, train, test, scorer):
    """Fit a clone of ``estimator`` with ``params`` on ``train`` and score it on ``test``.

    Never raises for a failing fit or score: the `FoldResult` carries the error.
    ``set_params`` itself raising (an unknown parameter) is a failure too.
    """
    from sklearn.base import clone

    fit_time = score_time = 0.0
    start = time.perf_counter()
    try:
        model = clone(estimator).set_params(**params)
        X_train, y_train = split_rows(model, X, y, train)
        X_test, y_test = split_rows(model, X, y, test, train)
        if y_train is None:
            model.fit(X_train)
        else:
            model.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        score = scorer(model, X_test, y_test)
        score_time = time.perf_counter() - start
        score = _as_score(score)
    except Exception as exc:  # the search goes on; the trial keeps its error
        elapsed = time.perf_counter() - start
        if fit_time:
            score_time = elapsed
        else:
            fit_time = elapsed
        return FoldResult(None, fit_time, score_time, error_text(exc))
    return FoldResult(score, fit_time, score_time)


def _as_score(value):
    if isinstance(value, dict):
        raise TypeError(f"the scorer returned a dict ({sorted(value)}); a search maximises one number")
    score = float(value)
    if not math.isfinite(score):
        raise ValueError(f"the score is {score}")
    return score


def combine(folds):
    """An `Evaluation` from the `FoldResult` of each split; the first failure fails it."""
    folds = list(folds)
    fit_times = [f.fit_time for f in folds]
    score_times = [f.score_time for f in folds]
    for fold in folds:
        if fold.error is not None:
            return Evaluation(None, (), fit_times, score_times, fold.error)
    if not folds:
        return Evaluation(None, (), (), (), "RuntimeError: the evaluator produced no split")
    scores = [f.score for f in folds]
    return Evaluation(float(np.mean(scores)), scores, fit_times, score_times)


class SplitEvaluator:
    """Base class of evaluators that are a fixed list of train/validation splits.

    Subclasses write ``split(estimator, X, y, groups=None) -> [(train, test)]``
    (index arrays); the splits are drawn from ``seed`` so the same seed gives the
    same splits, and every configuration of a search is scored on the same ones.
    ``resource``, ``min_resource``, ``max_resource`` and ``factor`` choose what grows between
    intermediate scores (see `spacedsl.evaluators.resource`); checked against the estimator
    when the evaluator first meets it.

    Attributes:
        seed: The seed of every random choice the splits make (None: fresh randomness).
        resource: ``"n_samples"``, an estimator parameter (``"max_iter"``...), or None: report per split.
        min_resource, max_resource: The budgets' bounds (None: the defaults).
        factor: How much each budget multiplies the one before (default 3).
    """

    def __init__(self, seed=None, resource=None, min_resource=None, max_resource=None, factor=3):
        self.seed = seed
        self._resource = Resource.from_options(resource, min_resource, max_resource, factor)
        self.resource, self.min_resource, self.max_resource, self.factor = resource, min_resource, max_resource, factor
        # the n_samples subsets must be the same for every configuration, also without a seed
        self._subset_seed = (np.random.SeedSequence().entropy if seed is None else int(seed)) % 2 ** 63

    def split(self, estimator, X, y, groups=None):  # pragma: no cover - abstract
        raise NotImplementedError

    def evaluate(self, estimator, params, X, y, scoring, groups=None, report=None):
        """Fit and score ``params`` on every split: an `Evaluation` (failed fits included, never raised)."""
        from sklearn.utils import indexable

        X, y, groups = indexable(X, y, groups)
        scorer = get_scorer(estimator, scoring)
        return self.evaluate_splits(estimator, params, X, y, scorer, self.split(estimator, X, y, groups), report)

    def evaluate_splits(self, estimator, params, X, y, scorer, splits, report=None):
        """Fit and score one configuration on the given ``(train, test)`` splits, reporting as it goes.

        ``report(step, value) -> bool`` (or None) is called with the mean validation score so far:
        without a resource after each split (step: splits done), with one at each budget (step:
        the budget; value: the mean over the splits at that budget). A true answer stops it, and
        so does reaching ``report.max_step`` when the report has one (None: run to the end). The
        `Evaluation` is of what ran (``step``, ``stopped``); a failed fit or score ends it at once.
        A report that nothing watches (``report.watched`` false: no pruner, no pruning strategy, no
        ``max_step``) gets no intermediate budgets: only the top one is fitted, as without a report.
        ValueError: the resource does not fit the estimator or the configuration.
        """
        max_step = getattr(report, "max_step", None)
        if self._resource is None:
            return _evaluate_splits(estimator, params, X, y, scorer, splits, report, max_step)
        low, high, factor = self.resource_range(estimator, y, splits)
        self.check_params(params)
        stratified = self._stratified(estimator, y)
        growers = [self._resource.grower(estimator, params, X, y, train, test, high, [self._subset_seed, i],
                                         stratified) for i, (train, test) in enumerate(splits)]
        watched = report is not None and getattr(report, "watched", True)
        budgets = schedule(low, high, factor, max_step) if watched else [high]  # else no one can stop it
        return _grow(growers, scorer, budgets, high, report)

    def resource_range(self, estimator, y, splits):
        """``(min_resource, max_resource, factor)`` resolved for this estimator and these splits, or None
        without a resource (what `spacedsl.search` gives a budgeted strategy). ValueError: a bad resource."""
        if self._resource is None:
            return None
        return self._resource.resolve(estimator, y, splits, self._stratified(estimator, y))

    def refit_params(self, estimator):
        """The parameters the final refit sets (``{"max_iter": max_resource}`` when that was given)."""
        if self._resource is None:
            return {}
        self._resource.check_estimator(estimator)
        return self._resource.refit_params(estimator)

    def check_params(self, params):
        """ValueError when ``params`` (a configuration, or a space's names) set the resource parameter."""
        if self._resource is not None:
            self._resource.check_params(params)

    def _stratified(self, estimator, y):
        stratify = getattr(self, "stratify", None)
        return is_stratified(estimator, y) if stratify is None else bool(stratify and y is not None)

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({options})"


def _evaluate_splits(estimator, params, X, y, scorer, splits, report, max_step):
    """Split after split, reporting the running mean; stops when told, at ``max_step`` or at a failure."""
    folds = []
    for train, test in splits:
        folds.append(fold := fit_and_score(estimator, params, X, y, train, test, scorer))
        if fold.error is not None:
            break
        if report is not None:
            stop = report(len(folds), float(np.mean([f.score for f in folds])))
            if stop or (max_step is not None and len(folds) >= max_step):
                break
    evaluation = combine(folds)
    stopped = not evaluation.failed and len(folds) < len(splits)
    return attrs.evolve(evaluation, step=len(folds) if report is not None else None, stopped=stopped)


def _grow(growers, scorer, budgets, max_resource, report):
    """Every split's model advanced budget by budget; the `Evaluation` of the last budget reached."""
    from sklearn.exceptions import ConvergenceWarning

    fit_times, score_times = [0.0] * len(growers), [0.0] * len(growers)
    scores, reached = [], None
    for budget in budgets:
        scores = []
        for i, grower in enumerate(growers):
            start, fitted = time.perf_counter(), False
            try:
                with warnings.catch_warnings():
                    if budget < max_resource:  # not converged at a low budget: expected, the fit goes on
                        warnings.simplefilter("ignore", ConvergenceWarning)
                    model, X_test, y_test = grower.grow(budget)
                fit_times[i] += time.perf_counter() - start
                start, fitted = time.perf_counter(), True
                scores.append(_as_score(scorer(model, X_test, y_test)))
                score_times[i] += time.perf_counter() - start
            except Exception as exc:  # the search goes on; the trial keeps its error
                (score_times if fitted else fit_times)[i] += time.perf_counter() - start
                return Evaluation(None, (), fit_times, score_times, error_text(exc), step=budget)
        reached = budget
        if report is not None and report(budget, float(np.mean(scores))):
            break
    return Evaluation(float(np.mean(scores)), scores, fit_times, score_times, step=reached,
                      stopped=reached < max_resource)


def check_fraction(name, value):
    """A fraction in (0, 1) or a positive count of samples, as scikit-learn's ``test_size`` takes."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a fraction between 0 and 1 or a number of samples, got {value!r}")
    if isinstance(value, float | np.floating):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must lie strictly between 0 and 1 (or be a whole number of samples), "
                             f"got {value!r}")
    elif value < 1:
        raise ValueError(f"{name} as a number of samples must be 1 or more, got {value!r}")
    return value
