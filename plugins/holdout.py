"""``holdout``: one seeded train/validation split, stratified for classifiers.

Options:
    validation_fraction: the share of the data held out for validation (default 0.2), or a whole
        number of samples, as scikit-learn's ``train_test_split(test_size=...)`` takes it.
    stratify: None (default) stratifies for classifiers with a binary or multiclass target, as
        ``check_cv`` decides; True or False forces it.

With ``groups``, the split is a ``GroupShuffleSplit``: no group is on both sides (a group split
cannot also be stratified). The same seed gives the same split.
"""

from __future__ import annotations

import numpy as np

from spacedsl.evaluators import SplitEvaluator, check_fraction, is_stratified
from spacedsl.hookspecs import hookimpl


class Holdout(SplitEvaluator):
    """Scores each configuration on one validation split."""

    def __init__(self, seed=None, validation_fraction=0.2, stratify=None):
        super().__init__(seed)
        self.validation_fraction = check_fraction("validation_fraction", validation_fraction)
        if stratify not in (None, True, False):
            raise ValueError(f"stratify must be None, True or False, got {stratify!r}")
        self.stratify = stratify

    def split(self, estimator, X, y, groups=None):
        from sklearn.model_selection import GroupShuffleSplit, train_test_split
        from sklearn.utils.validation import _num_samples

        indices = np.arange(_num_samples(X))
        if groups is not None:
            splitter = GroupShuffleSplit(n_splits=1, test_size=self.validation_fraction, random_state=self.seed)
            return list(splitter.split(indices, y, groups))
        stratify = is_stratified(estimator, y) if self.stratify is None else self.stratify
        train, test = train_test_split(indices, test_size=self.validation_fraction, random_state=self.seed,
                                       stratify=y if stratify else None)
        return [(train, test)]


@hookimpl
def spacedsl_evaluators():
    return {"holdout": Holdout}
