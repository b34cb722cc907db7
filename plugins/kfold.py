"""``kfold``: k-fold cross-validation with seeded shuffling.

Options:
    k: the number of folds (default 5).
    shuffle: shuffle before splitting, from the seed (default True). With ``shuffle=False`` the
        folds are scikit-learn's defaults, the same as ``cv=k`` in ``GridSearchCV``.
    stratify: None (default) stratifies for classifiers with a binary or multiclass target, as
        ``check_cv`` decides; True or False forces it.
    resource, min_resource, max_resource, factor: what grows between intermediate scores (None:
        a score after each fold); see `spacedsl.evaluators.resource`.

The splitter is ``StratifiedKFold(k, shuffle=True, random_state=seed)`` for classifiers,
``KFold(k, shuffle=True, random_state=seed)`` otherwise, and ``GroupKFold(k)`` when groups are
given (shuffled from the seed where the installed scikit-learn supports it, 1.6 and later), so
``SpaceSearchCV`` or ``GridSearchCV`` given that same splitter score every configuration alike.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from spacedsl.evaluators import SplitEvaluator, is_stratified
from spacedsl.hookspecs import hookimpl


class KFold(SplitEvaluator):
    """Scores each configuration by the mean over k validation folds."""

    def __init__(self, seed=None, k=5, shuffle=True, stratify=None, resource=None, min_resource=None,
                 max_resource=None, factor=3):
        super().__init__(seed, resource, min_resource, max_resource, factor)
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 2:
            raise ValueError(f"k must be a whole number of folds, 2 or more, got {k!r}")
        if stratify not in (None, True, False):
            raise ValueError(f"stratify must be None, True or False, got {stratify!r}")
        self.k = int(k)
        self.shuffle = bool(shuffle)
        self.stratify = stratify

    def splitter(self, estimator, y, groups=None):
        """The scikit-learn splitter used for this estimator, target and groups."""
        from sklearn import model_selection as ms

        seed = self.seed if self.shuffle else None
        if groups is not None:
            if self.shuffle and "shuffle" in inspect.signature(ms.GroupKFold).parameters:
                return ms.GroupKFold(self.k, shuffle=True, random_state=seed)
            return ms.GroupKFold(self.k)
        stratify = is_stratified(estimator, y) if self.stratify is None else self.stratify
        cls = ms.StratifiedKFold if stratify else ms.KFold
        return cls(self.k, shuffle=self.shuffle, random_state=seed)

    def split(self, estimator, X, y, groups=None):
        from sklearn.utils.validation import _num_samples

        splitter = self.splitter(estimator, y, groups)
        return list(splitter.split(np.zeros((_num_samples(X), 1)), y, groups))


@hookimpl
def spacedsl_evaluators():
    return {"kfold": KFold}
