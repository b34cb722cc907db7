"""`SpaceSearchCV`: a scikit-learn ``BaseSearchCV`` whose candidates come from a spacedsl strategy.

Everything but the choice of candidates is scikit-learn's own ``BaseSearchCV``:
``cv``, ``scoring`` (one metric or several, with ``refit="name"``), ``n_jobs``,
``refit``, ``return_train_score``, ``error_score``, ``cv_results_``,
``best_*_``, ``predict``/``score``, pickling, ``clone`` and
``get_params``/``set_params``. The subclass only writes
``_run_search(evaluate_candidates)``: ask the strategy for a batch, evaluate
it, read the batch's mean test scores back from the results and tell the
strategy ``-score`` (strategies minimise).

Decisions, where scikit-learn has no precedent:

* ``space`` is stored as given (a `Space` or text) and parsed in ``fit``.
* ``random_state`` seeds the strategy (an int, a numpy ``Generator``, a
  ``RandomState`` — from which one int is drawn, as ``RandomizedSearchCV``
  draws from it — or None for fresh randomness). The splits are ``cv``'s, as
  in ``GridSearchCV``: an int ``cv`` means unshuffled (Stratified)KFold.
* Batches: see `spacedsl.running.loop.batch_size_for`; ``batch_size`` never depends
  on ``n_jobs``, so the same ``random_state`` gives the same ``cv_results_``
  whatever ``n_jobs`` is. A non-adaptive strategy (``grid``, ``random``,
  ``sobol``) is evaluated in one call, exactly like ``GridSearchCV``.
* With several metrics the strategy is told the ``refit`` metric (or, when
  ``refit`` is not a name, the first metric given).
* A candidate whose every fit fails is a NaN in ``cv_results_`` and the
  search goes on, as it would in ``GridSearchCV``, even when it was alone in
  its batch; only when every fit of the whole search failed does ``fit``
  raise scikit-learn's "All the N fits failed" ValueError.
* ``n_iter`` caps the number of candidates; the grid strategy stops earlier
  when the grid is done, so pass ``n_iter`` at least the grid's size to try
  all of it.
"""

from __future__ import annotations

import contextvars
import inspect
import math
import numbers
import warnings

import numpy as np
from sklearn.model_selection._search import BaseSearchCV
from sklearn.utils._param_validation import Interval

from .. import plugins
from .loop import batch_size_for
from .objects import estimator_params, resolve
from ..space import Space, as_space

__all__ = ["SpaceSearchCV"]


# scikit-learn raises "All the N fits failed" when every fit of one
# ``evaluate_candidates`` call failed. GridSearchCV makes a single call, so for
# it that means the whole search failed; a sequential search makes one call per
# batch, and one bad candidate must not end it. While a SpaceSearchCV runs (a
# context variable, so other threads and tasks are untouched), a wholly failed
# batch of *that* search (the caller's ``self``, so a search nested inside it
# keeps scikit-learn's behaviour) only warns and is counted; `_run_search`
# raises scikit-learn's error itself if every fit of the search failed.
_batch_failures = contextvars.ContextVar("spacedsl_batch_failures", default=None)


def _install_batch_failure_hook():
    import sklearn.model_selection._search as sk_search

    original = getattr(sk_search, "_warn_or_raise_about_fit_failures", None)
    if original is None or getattr(original, "_spacedsl", False):
        return

    def warn_or_raise_about_fit_failures(results, error_score):
        current = _batch_failures.get()
        if current is None or _caller_self() is not current[0]:
            return original(results, error_score)
        record = current[1]
        errors = [r["fit_error"] for r in results if r.get("fit_error") is not None]
        record.append((len(errors), len(results), errors[0] if errors else None))
        if errors and len(errors) == len(results):
            from sklearn.exceptions import FitFailedWarning
            warnings.warn(f"\nAll the {len(results)} fits of this batch of candidates failed; their scores "
                          f"are set to {error_score} and the search goes on. The first error:\n{errors[0]}",
                          FitFailedWarning, stacklevel=2)
            return None
        return original(results, error_score)

    warn_or_raise_about_fit_failures._spacedsl = True
    sk_search._warn_or_raise_about_fit_failures = warn_or_raise_about_fit_failures


def _caller_self():
    """The ``self`` of BaseSearchCV.fit's ``evaluate_candidates`` that called the hook (None if unknown)."""
    frame = inspect.currentframe()  # this function's; f_back is the hook's, and its f_back the caller's
    try:
        return frame.f_back.f_back.f_locals.get("self")
    except AttributeError:  # pragma: no cover - no frame introspection (inspect.currentframe() is None)
        return None
    finally:
        del frame


_install_batch_failure_hook()


class SpaceSearchCV(BaseSearchCV):
    """Search a spacedsl space with cross-validation, the scikit-learn way.

    Parameters:
        estimator: The estimator (or pipeline) to tune.
        space: A `spacedsl.Space` or space text; stored as given, parsed in ``fit``.
        strategy: A registered strategy name (``grid``, ``random``, ``sobol``, ``gp-ei``...).
        n_iter: At most this many candidates (fewer when the strategy runs out, e.g. a grid).
        cv, scoring, refit, n_jobs, verbose, pre_dispatch, error_score, return_train_score:
            exactly as in ``GridSearchCV``.
        random_state: Seeds the strategy; None for fresh randomness.
        strategy_options: Keyword options for the strategy factory (e.g. ``{"resolution": 3}``).
        batch_size: Candidates asked of the strategy per ``evaluate_candidates`` call; None chooses
            by the strategy (all at once for grid/random/sobol, one at a time for gp-ei).
        objects: What the space's named objects (``@svc``) stand for: a mapping, a callable
            ``rule(name)``, or None for `spacedsl.ImportRule`. Each fit gets a clone of the object
            (as ``GridSearchCV`` clones its parameters); ``cv_results_`` and ``best_params_`` keep
            the names (``spacedsl.Ref``), ``best_estimator_`` holds the objects.

    Attributes:
        cv_results_, best_estimator_, best_score_, best_params_, best_index_, scorer_, n_splits_,
        refit_time_, multimetric_: as in ``GridSearchCV``.
    """

    _parameter_constraints: dict = {
        **BaseSearchCV._parameter_constraints,
        "space": [str, bytes, Space],
        "strategy": [str],
        "n_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state", np.random.Generator],
        "strategy_options": [dict, None],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "objects": [dict, callable, None],
    }

    def __init__(self, estimator, space, *, strategy="gp-ei", n_iter=50, scoring=None, n_jobs=None, refit=True,
                 cv=5, verbose=0, pre_dispatch="2*n_jobs", random_state=None, error_score=np.nan,
                 return_train_score=False, strategy_options=None, batch_size=None, objects=None):
        self.space = space
        self.strategy = strategy
        self.n_iter = n_iter
        self.random_state = random_state
        self.strategy_options = strategy_options
        self.batch_size = batch_size
        self.objects = objects
        super().__init__(estimator=estimator, scoring=scoring, n_jobs=n_jobs, refit=refit, cv=cv, verbose=verbose,
                         pre_dispatch=pre_dispatch, error_score=error_score,
                         return_train_score=return_train_score)

    def _run_search(self, evaluate_candidates):
        """Ask the strategy for batches, evaluate each, and tell it back ``-mean_test_<metric>``."""
        space = as_space(self.space)
        resolved = resolve(space, self.objects)  # a name without an object fails before any fit
        named = self._named_candidates = []
        proposer = plugins.strategy(self.strategy)(space, seed=self._strategy_seed(),
                                                   **(self.strategy_options or {}))
        size = batch_size_for(proposer, self.n_iter, self.batch_size)
        record = []
        token = _batch_failures.set((self, record))
        try:
            done = 0
            while done < self.n_iter:
                batch = proposer.ask(min(size, self.n_iter - done))
                if not batch:
                    break
                batch = [dict(c) for c in batch[: self.n_iter - done]]
                named += batch
                results = evaluate_candidates([estimator_params(c, resolved, clone=False) for c in batch])
                means = results[self._told_metric(results)][-len(batch):]
                for config, mean in zip(batch, means):
                    mean = float(mean)
                    proposer.tell(config, -mean if math.isfinite(mean) else None)
                done += len(batch)
        finally:
            _batch_failures.reset(token)
        if done == 0:
            raise ValueError(f"the strategy {self.strategy!r} proposed no candidate")
        failed = sum(n for n, _, _ in record)
        total = sum(t for _, t, _ in record)
        if total and failed == total:
            first = next(e for _, _, e in record if e is not None)
            raise ValueError(f"\nAll the {total} fits failed.\nIt is very likely that your model is misconfigured.\n"
                             "You can try to debug the error by setting error_score='raise'.\n\n"
                             f"The first failure:\n{first}")

    def fit(self, X, y=None, **params):
        """Run the search (scikit-learn's ``BaseSearchCV.fit``); named objects are shown by name."""
        self._named_candidates = []
        try:
            super().fit(X, y, **params)
            self._show_names(self._named_candidates)
        finally:
            del self._named_candidates
        return self

    def _show_names(self, named):
        """Put the names back where scikit-learn kept the objects: ``params``, ``param_*``, ``best_params_``."""
        results = getattr(self, "cv_results_", None)
        if results is None or len(named) != len(results["params"]):
            return
        if all(c == r for c, r in zip(named, results["params"])):
            return
        results["params"] = named
        keys = [k for k in results if k.startswith("param_")]
        columns = {}
        for name in (n for c in named for n in c):
            columns.setdefault(name, None)
        for key in keys:
            del results[key]
        for name in columns:
            column = np.ma.MaskedArray(np.empty(len(named), dtype=object), mask=True)
            for i, c in enumerate(named):
                if name in c:
                    column[i] = c[name]
            results[f"param_{name}"] = column
        if hasattr(self, "best_index_"):
            self.best_params_ = named[self.best_index_]

    def _told_metric(self, results):
        """The ``mean_test_*`` key whose scores the strategy learns from."""
        keys = [k for k in results if k.startswith("mean_test_")]
        if "mean_test_score" in keys:
            return "mean_test_score"
        if isinstance(self.refit, str) and f"mean_test_{self.refit}" in keys:
            return f"mean_test_{self.refit}"
        if isinstance(self.scoring, list | tuple | dict):
            first = f"mean_test_{next(iter(self.scoring))}"
            if first in keys:
                return first
        return keys[0]

    def _strategy_seed(self):
        seed = self.random_state
        if isinstance(seed, np.random.RandomState):
            return int(seed.randint(np.iinfo(np.int32).max))
        return seed

    # A Space holds a sentinel that does not pickle; pickle its lossless dict form instead.
    def __getstate__(self):
        state = super().__getstate__()
        if isinstance(state.get("space"), Space):
            state = dict(state, space=_PickledSpace(state["space"].to_dict()))
        return state

    def __setstate__(self, state):
        if isinstance(state.get("space"), _PickledSpace):
            state = dict(state, space=Space.from_dict(state["space"].data))
        super().__setstate__(state)


class _PickledSpace:
    """A `Space` on its way through pickle (as ``Space.to_dict()``)."""

    def __init__(self, data):
        self.data = data
