"""``spacedsl.search``: tune a scikit-learn estimator over a space, honestly validated.

The loop: hold the test set out first (``test_size``), then ask the strategy
for configurations, score each with the evaluator on the rest of the data,
tell the strategy ``-score`` (strategies minimise, scorers are "greater is
better"), and finally refit the best configuration on all the non-test data
and score it once on the test set. The test set never steers the search.

Decisions, where the spec is silent (in scikit-learn's terms):

* **Parallel trials.** ``n_jobs`` (local worker processes) or ``executor``
  (any ``concurrent.futures.Executor``, or a ``dask.distributed.Client``) run
  whole trials at once, each worker fitting every split of its configuration;
  a worker that frees up gets the next configuration at once (`spacedsl.running.loop`).
  Strategies that do not learn from results (``grid``, ``random``, ``sobol``,
  or a strategy object with ``adaptive = False``) are asked for everything at
  once, up to `MAX_BATCH`, so their trials do not depend on ``n_jobs``. The
  others (``gp-ei``) are asked one configuration at a time as workers free up
  (pending configurations count in the model), so with several workers their
  trials depend on which finished first. ``batch_size`` makes it lock-step and
  reproducible: ask that many, run them all, tell them all.
* **Storage.** With ``storage``, every trial is kept in a SQLite file and the
  same call again resumes (see `spacedsl.minimize`); each trial keeps its
  per-split scores and times, so a resumed result has them too.
* **Same seed, same everything.** ``seed`` (an int, or None for fresh
  randomness) seeds the test split, the evaluator's splits and the strategy.
  The estimator's own randomness is the estimator's: set its
  ``random_state`` (or write ``random_state = 0`` in the space).
* **Test split.** ``train_test_split(X, y, test_size=test_size,
  random_state=seed, stratify=y)`` (stratified for classifiers, as
  ``check_cv`` decides), so a user who splits that way and runs
  `SpaceSearchCV` on the training part sees the same data; with ``groups``
  it is a ``GroupShuffleSplit``, so no group is on both sides.
* **Ties** go to the earliest trial, as ``GridSearchCV``'s ranking does.
* A trial's ``duration`` is the seconds of fitting and scoring summed over
  its splits (its cost, whatever ``n_jobs`` was).
* A trial's ``number`` is the order in which it started; ``trials`` are in
  that order, and ``callback`` sees them as they finish.
"""

from __future__ import annotations

import inspect
import math
import numbers
import time
import warnings

import attrs

from .. import plugins
from ..evaluators.base import (Evaluation, SplitEvaluator, check_fraction, error_text,
                               get_scorer, holdout_split)
from ..language.errors import did_you_mean
from ..space import as_space
from ..storage.trials import COMPLETE, PRUNED, best_candidates
from ..strategies.rungs import budget_options
from .loop import MAX_BATCH, positive_int, run_study  # noqa: F401 (MAX_BATCH: documented here)
from .objects import choices_by_param, estimator_key, estimator_params, resolve
from .workers import Outcome



@attrs.frozen
class SearchResult:
    """What `search` found.

    Attributes:
        best_params: The best configuration (active parameters and constants).
        best_score: Its mean validation score (greater is better).
        test_score: The refit best estimator's score on the held-out test set; None without ``test_size``.
        best_estimator: A clone of the estimator with ``best_params``, fitted on all the non-test data.
        trials: Every trial, in order; a trial's ``value`` is its mean validation score.
        evaluations: The `Evaluation` of each trial (per-split scores, fit and score times), in order.
        param_names: The space's parameter and constant names, in file order (the table's columns).
        elapsed: Wall-clock seconds of the whole search, refit included.
        warnings: ``(trial number, text)`` for each kind of warning a trial raised (number None:
            the final refit), with ``collect_warnings=True`` (``"ConvergenceWarning: ... (x3)"``).
    """

    best_params: dict = attrs.field(hash=False)
    best_score: float
    test_score: float | None
    best_estimator: object = attrs.field(eq=False, hash=False, repr=False)
    trials: tuple = attrs.field(converter=tuple)
    evaluations: tuple = attrs.field(converter=tuple, eq=False, repr=False)
    param_names: tuple = attrs.field(converter=tuple, repr=False)
    elapsed: float = attrs.field(default=0.0, eq=False)
    warnings: tuple = attrs.field(default=(), converter=tuple, eq=False, repr=False)

    @property
    def best_trial(self):
        """The trial that won (the first of equal scores)."""
        candidates = best_candidates(self.trials)
        return max(candidates, key=lambda t: t.value) if candidates else None

    def records(self):
        """One dict a trial: number, score, std, state, fit_time, score_time, duration, error, param_NAME..."""
        rows = []
        for trial, ev in zip(self.trials, self.evaluations):
            row = {"number": trial.number, "score": trial.value, "std": ev.std, "state": trial.state,
                   "fit_time": ev.fit_time, "score_time": ev.score_time, "duration": trial.duration,
                   "error": trial.error}
            row.update((f"param_{name}", trial.params.get(name)) for name in self.param_names)
            rows.append(row)
        return rows

    def table(self, as_dataframe=None):
        """The trials as a table: a pandas DataFrame when pandas is installed, else a list of dicts.

        Columns as in `records` (``param_NAME`` like ``cv_results_``; None where a parameter was
        inactive). ``as_dataframe=False`` always gives the list; True requires pandas.
        """
        rows = self.records()
        if as_dataframe is False:
            return rows
        try:
            import pandas
        except ImportError:
            if as_dataframe:
                raise
            return rows
        columns = ["number", "score", "std", "state", "fit_time", "score_time", "duration", "error"]
        return pandas.DataFrame(rows, columns=columns + [f"param_{n}" for n in self.param_names])


def search(estimator, space, X, y, strategy="gp-ei", evaluator="kfold", n_trials=50, scoring=None,
           test_size=None, seed=0, n_jobs=1, storage=None, strategy_options=None, evaluator_options=None,
           groups=None, batch_size=None, callback=None, study=None, new_study=False, executor=None,
           timeout=None, trial_timeout=None, objects=None, collect_warnings=False, prune=None):
    """Search ``space`` for the configuration of ``estimator`` with the best validation score.

    Args:
        estimator: A scikit-learn estimator (or pipeline: ``clf__C`` names work); never fitted itself.
        space: A `Space` or space text; its names must be parameters of the estimator.
        X, y: The data (any scikit-learn array-like; y may be None for unsupervised estimators).
        strategy: A registered strategy name (``grid``, ``random``, ``sobol``, ``gp-ei``, plugins...).
        evaluator: A registered evaluator name (``kfold``, ``holdout``, plugins...).
        n_trials: How many configurations to try (fewer when the strategy runs out, e.g. a grid).
        scoring: A scorer name, a callable ``scorer(estimator, X, y)``, or None for ``estimator.score``.
        test_size: Hold this fraction (or number of samples) out before the search and report
            ``test_score``; None holds nothing out and claims no test score.
        seed: Seeds the test split, the evaluator's splits and the strategy (int, or None).
        n_jobs: Trials run at once in local worker processes (joblib's loky; -1: every core).
        storage: A SQLite file (or a `spacedsl.storage.Storage`) that keeps every trial; the same call
            again resumes (see `minimize`).
        strategy_options, evaluator_options: Keyword options for the strategy and evaluator factories.
        groups: Group labels for group-aware splits (``GroupKFold``, ``GroupShuffleSplit``).
        batch_size: Ask the strategy for this many configurations at a time and run them all before
            asking again (lock-step); None runs trials asynchronously (see the module doc).
        callback: Called as ``callback(trial)`` as each trial finishes.
        study: The study's name in ``storage`` (default: the space file's name, or ``"default"``).
        new_study: Replace a study of that name made with another space or strategy (drops its trials).
        executor: Run trials on a ``concurrent.futures.Executor`` or a ``dask.distributed.Client``.
        timeout: Start no trial after this many seconds (running ones finish).
        trial_timeout: Fail a trial that runs longer than this many seconds.
        objects: What the space's named objects (``@svc``) stand for: a mapping ``{"svc": SVC()}``,
            a callable ``rule(name)``, or None for `spacedsl.ImportRule` (dotted paths under
            ``sklearn.``); see `spacedsl.running.objects`. Trials and results keep the names.
        collect_warnings: Keep the warnings each trial raises (a ``ConvergenceWarning``...) in its
            record in the store and in ``result.warnings`` instead of showing them.
        prune: Stop trials whose intermediate scores (after each fold, or at each budget of the
            evaluator's ``resource``) fall behind the other trials' at the same step: ``"median"``,
            ``"percentile:25"``, or a pruner object; stopped trials end ``pruned``.

    Returns:
        A `SearchResult`.

    Raises:
        ValueError: a space parameter the estimator does not take, a bad option or scoring.
        RuntimeError: every trial failed (the message shows the first failure).
        spacedsl.StoreError: the store cannot be used (the message says why and what to do).
    """
    started = time.perf_counter()
    from sklearn.base import clone
    from sklearn.utils import _safe_indexing, indexable

    space = as_space(space)
    resolved = resolve(space, objects)
    check_params(estimator, space, resolved)
    n_trials = positive_int("n_trials", n_trials)
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0):
        raise ValueError(f"n_jobs must be a non-zero whole number (-1 for every core) or None, got {n_jobs!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"seed must be a whole number or None, got {seed!r} (of type {type(seed).__name__})")
    scorer = get_scorer(estimator, scoring)
    X, y, groups = indexable(X, y, groups)

    rest, test = _test_split(estimator, X, y, groups, test_size, seed)
    if rest is None:
        X_rest, y_rest, groups_rest = X, y, groups
    else:
        X_rest, y_rest = _safe_indexing(X, rest), _index_or_none(y, rest)
        groups_rest = _index_or_none(groups, rest)

    plugins.strategy(strategy)  # an unknown name fails before any fit
    judge = plugins.evaluator(evaluator)(seed=seed, **(evaluator_options or {}))
    if isinstance(judge, SplitEvaluator):  # the space must not set the evaluator's resource
        judge.check_params(dict.fromkeys(estimator_key(n) for n in (*space.names, *space.constants)))
    task = SearchTask(estimator, judge, X_rest, y_rest, groups_rest, scorer, scoring, resolved, collect_warnings)
    strategy_options = budget_options(plugins.strategy(strategy), strategy_options, task.budgets())
    run = run_study(strategy, space, task, n_trials, seed=seed, strategy_options=strategy_options,
                    storage=storage, study=study, new_study=new_study, maximize=True, n_jobs=n_jobs,
                    executor=executor, batch_size=batch_size, timeout=timeout, trial_timeout=trial_timeout,
                    callback=callback, pruner=prune)
    trials = run.trials
    evaluations = [_evaluation(t, run.infos.get(t.number)) for t in trials]

    candidates = best_candidates(trials)
    if not candidates:
        first = trials[0].error if trials else "the strategy proposed no configuration"
        raise RuntimeError(f"every trial failed ({len(trials)} of them); the first error: {first}")
    best = max(candidates, key=lambda t: t.value)  # max keeps the first of equal scores
    best_estimator = clone(estimator).set_params(**estimator_params(best.params, resolved))
    best_estimator.set_params(**task.refit_params)  # a resource's max_resource, as its trials ran
    with warnings.catch_warnings(record=collect_warnings) as refit_caught:
        if collect_warnings:
            warnings.simplefilter("always")
        if y_rest is None:
            best_estimator.fit(X_rest)
        else:
            best_estimator.fit(X_rest, y_rest)
    test_score = None
    if test is not None:
        test_score = float(scorer(best_estimator, _safe_indexing(X, test), _index_or_none(y, test)))
    names = tuple(space.names) + tuple(n for n in space.constants if n not in space.names)
    caught = [(t.number, text) for t in trials for text in (run.infos.get(t.number) or {}).get("warnings", ())]
    caught += [(None, text) for text in warning_texts(refit_caught or [])]
    return SearchResult(dict(best.params), best.value, test_score, best_estimator, trials, evaluations, names,
                        time.perf_counter() - started, caught)


# ------------------------------------------------------------------ helpers
def check_params(estimator, space, resolved=None):
    """ValueError naming the first space parameter or constant that ``estimator`` does not take.

    Checked against ``estimator.get_params(deep=True)`` before anything is fitted,
    so a misspelt name fails at once instead of failing every trial. Where a parameter chooses
    between objects (``clf in [@svc, @forest]``, ``resolved`` giving them), ``clf__C`` may be a
    parameter of any of them. A dotted name sets the part after its last dot (``svc.clf__C``
    sets ``clf__C``; see `spacedsl.running.objects.estimator_key`).
    """
    valid = set(estimator.get_params(deep=True))
    for name, refs in choices_by_param(space).items():
        for ref in refs:
            obj = (resolved or {}).get(ref)
            if hasattr(obj, "get_params") and not isinstance(obj, type):
                valid.update(f"{estimator_key(name)}__{k}" for k in obj.get_params(deep=True))
    for name in tuple(space.names) + tuple(space.constants):
        if estimator_key(name) not in valid:
            shown = sorted(valid)
            listing = ", ".join(shown) if len(shown) <= 40 else "see estimator.get_params().keys()"
            raise ValueError(f"the space's parameter {name!r} is not a parameter of {type(estimator).__name__}"
                             f"{did_you_mean(name, valid)}; it takes: {listing}")


def _index_or_none(a, indices):
    from sklearn.utils import _safe_indexing
    return None if a is None else _safe_indexing(a, indices)


def _test_split(estimator, X, y, groups, test_size, seed):
    """(rest, test) index arrays, or (None, None) without ``test_size``."""
    if test_size is None:
        return None, None
    check_fraction("test_size", test_size)
    return holdout_split(estimator, X, y, groups, test_size, seed)


def _evaluation(trial, info):
    """The `Evaluation` of a trial from what the store or a worker kept."""
    info = info or {}
    return Evaluation(trial.value if trial.state in (COMPLETE, PRUNED) else None, info.get("fold_scores", ()),
                      info.get("fit_times", ()), info.get("score_times", ()), trial.error, step=trial.step,
                      stopped=trial.state == PRUNED)


class SearchTask:
    """What a worker runs for one configuration: fit and score it with the evaluator (picklable).

    The built-in evaluators' splits (`SplitEvaluator`) are drawn once, here, so every trial sees
    the same ones whichever worker runs it; any other evaluator's ``evaluate`` runs as it is.
    ``resource_range`` is the evaluator's ``(min_resource, max_resource, factor)`` (None without a
    resource: the options a budgeted strategy needs), ``refit_params`` what the final refit sets.
    """

    def __init__(self, estimator, judge, X, y, groups, scorer, scoring, resolved=None, collect_warnings=False):
        self.estimator, self.judge = estimator, judge
        self.resolved = resolved or {}
        self.collect_warnings = collect_warnings
        self.X, self.y, self.groups = X, y, groups
        self.scorer, self.scoring = scorer, scoring
        self.splits, self.resource_range, self.refit_params = None, None, {}
        if isinstance(judge, SplitEvaluator):
            self.splits = judge.split(estimator, X, y, groups)
            if not self.splits:
                raise ValueError(f"the evaluator {judge!r} produced no train/validation split")
            self.resource_range = judge.resource_range(estimator, y, self.splits)  # a bad resource fails here
            self.refit_params = judge.refit_params(estimator)

    def budgets(self):
        """What a budgeted strategy's ``min_resource``, ``max_resource`` and ``factor`` default to: the
        evaluator's ``resource_range``; without a resource, the folds (1 to k, factor 3), as the
        evaluator reports after each; None for an evaluator that is not a `SplitEvaluator`."""
        if self.resource_range is None and self.splits is not None:
            return (1, len(self.splits), 3)
        return self.resource_range

    def __call__(self, config, report=None):
        config = estimator_params(config, self.resolved)
        with warnings.catch_warnings(record=self.collect_warnings) as caught:
            if self.collect_warnings:
                warnings.simplefilter("always")
            evaluation = self._evaluate(config, report)
        score = evaluation.score
        ok = score is not None and math.isfinite(score)
        error = None if ok else evaluation.error or f"ValueError: the evaluator returned the score {score!r}"
        info = {"fold_scores": [float(s) for s in evaluation.fold_scores],
                "fit_times": [float(s) for s in evaluation.fit_times],
                "score_times": [float(s) for s in evaluation.score_times]}
        if caught:
            info["warnings"] = warning_texts(caught)
        return Outcome(float(score) if ok else None, error, evaluation.duration, info)


    def _evaluate(self, config, report=None):
        if self.splits is None:
            return _evaluate_one(self.judge, self.estimator, config, self.X, self.y, self.scoring, self.groups,
                                 report)
        return self.judge.evaluate_splits(self.estimator, config, self.X, self.y, self.scorer, self.splits, report)


def warning_texts(caught, limit=200):
    """One ``"Category: first line of the message (xN)"`` per kind of warning, in order of first sight."""
    counts = {}
    for w in caught:
        text = f"{w.category.__name__}: {str(w.message).strip().splitlines()[0] if str(w.message).strip() else ''}"
        text = text if len(text) <= limit else text[:limit - 3] + "..."
        counts[text] = counts.get(text, 0) + 1
    return [text if n == 1 else f"{text} (x{n})" for text, n in counts.items()]


def _evaluate_one(judge, estimator, config, X, y, scoring, groups, report=None):
    """A third-party evaluator's ``evaluate``, with a raised exception turned into a failed `Evaluation`
    (given the trial's ``report`` when its ``evaluate`` has a parameter named ``report``; a
    ``**kwargs`` alone gets none, since such an evaluator may pass them on to ``fit``)."""

    start = time.perf_counter()
    extra = {} if groups is None else {"groups": groups}  # the documented signature has no groups
    if report is not None and _takes_report(judge.evaluate):
        extra["report"] = report
    try:
        evaluation = judge.evaluate(estimator, config, X, y, scoring, **extra)
    except Exception as exc:  # the search goes on; the trial keeps its error
        return Evaluation(None, (), (time.perf_counter() - start,), (), error_text(exc))
    if not hasattr(evaluation, "score"):
        return Evaluation(None, error=f"TypeError: evaluate() returned {type(evaluation).__name__}, "
                                      "not an Evaluation")
    return evaluation


def _takes_report(evaluate):
    try:
        parameters = inspect.signature(evaluate).parameters
    except (TypeError, ValueError):  # a callable without a signature: call it as documented
        return False
    return "report" in parameters
