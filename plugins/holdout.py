"""``holdout``: one seeded train/validation split, stratified for classifiers.

Options:
    validation_fraction: the share of the data held out for validation (default 0.2), or a whole
        number of samples, as scikit-learn's ``train_test_split(test_size=...)`` takes it.
    stratify: None (default) stratifies for classifiers with a binary or multiclass target, as
        ``check_cv`` decides; True or False forces it.
    resource, min_resource, max_resource, factor: what grows between intermediate scores (None:
        one score, after the one split); see `spacedsl.evaluators.resource`.

With ``groups``, the split is a ``GroupShuffleSplit``: no group is on both sides (a group split
cannot also be stratified). The same seed gives the same split.
"""

from __future__ import annotations

from spacedsl.evaluators import SplitEvaluator, check_fraction, holdout_split
from spacedsl.hookspecs import hookimpl


class Holdout(SplitEvaluator):
    """Scores each configuration on one validation split."""

    def __init__(self, seed=None, validation_fraction=0.2, stratify=None, resource=None, min_resource=None,
                 max_resource=None, factor=3):
        super().__init__(seed, resource, min_resource, max_resource, factor)
        self.validation_fraction = check_fraction("validation_fraction", validation_fraction)
        if stratify not in (None, True, False):
            raise ValueError(f"stratify must be None, True or False, got {stratify!r}")
        self.stratify = stratify

    def split(self, estimator, X, y, groups=None):
        return [holdout_split(estimator, X, y, groups, self.validation_fraction, self.seed, self.stratify)]


@hookimpl
def spacedsl_evaluators():
    return {"holdout": Holdout}
