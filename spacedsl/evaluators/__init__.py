"""Evaluators: how one configuration of an estimator is fitted and scored. `SplitEvaluator`
is the base of the built-ins (``holdout``, ``kfold``), which are plugins."""

from .base import Evaluation, SplitEvaluator, check_fraction, get_scorer, holdout_split, is_stratified

__all__ = ["Evaluation", "SplitEvaluator", "check_fraction", "get_scorer", "holdout_split", "is_stratified"]
