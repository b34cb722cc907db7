"""`spacedsl tune`: data too small or too uniform for the split it asked for, said before any fit.

scikit-learn's own messages ("n_splits=5 greater than the number of samples: n_samples=4") name
neither the file nor the flag to change; these checks name both. They cover the built-in
evaluators; another evaluator's split errors still arrive as scikit-learn words them.
"""

from __future__ import annotations

import math

import numpy as np

from .console import InputError

KFOLD_K = 5  # the kfold evaluator's default number of folds (tune sets no other)


def check_data(X, y, *, source, target, test_size, evaluator, classifier):
    """Raise `InputError` when the rows of ``source`` cannot make the test split and the evaluator's
    folds (``classifier``: stratified, so per class too)."""
    n = len(y)
    column = f"column {target!r} (--target)" if target else "the target column"
    if n < 2:
        raise InputError(f"{source} has {n} row{'s' if n != 1 else ''} of data; a search needs at least "
                         f"{KFOLD_K + 1 if evaluator == 'kfold' else 3} (a validation split, and a test set "
                         f"unless --test-size 0)")
    classes, counts = np.unique(np.asarray(y, dtype=object).astype(str), return_counts=True) if classifier \
        else (None, None)
    if classifier and len(classes) < 2:
        raise InputError(f"{source}: {column} holds one class ('{classes[0]}') in all {n} rows; a classifier "
                         "needs at least two: check --target, or tune a regressor")
    held = math.ceil(test_size * n) if test_size else 0  # what train_test_split holds out
    if classifier and held and counts.min() < 2:
        rare = classes[int(np.argmin(counts))]
        raise InputError(f"{source}: class '{rare}' of {column} has {counts.min()} row; the stratified test split "
                         f"(--test-size {test_size:g}) needs at least 2 of each class: add rows, or --test-size 0")
    left = n - held
    if held and left < 2:
        raise InputError(f"{source} has {n} rows; --test-size {test_size:g} holds out {held}, leaving {left} to "
                         "search on: add rows, or lower --test-size (0 holds nothing out)")
    if evaluator == "kfold":
        most = counts.max() if classifier else left
        if left < KFOLD_K or (classifier and math.floor(most * left / n) < KFOLD_K):
            how = f"after --test-size {test_size:g} holds out {held}, " if held else ""
            raise InputError(f"{source} has {n} rows; {how}{left} are left for {KFOLD_K}-fold cross-validation "
                             f"(--evaluator kfold), which needs at least {KFOLD_K}"
                             f"{' rows of its largest class (the folds are stratified)' if classifier else ''}: add rows, "
                             f"{'lower --test-size (0 holds nothing out), ' if held else ''}"
                             "or use --evaluator holdout")
    validated = math.ceil(0.2 * left)  # the holdout evaluator's default validation_fraction
    if evaluator == "holdout" and (left < 2 or (not classifier and validated < 2)):
        raise InputError(f"{source} has {n} rows; the holdout evaluator validates on {validated} of the {left} "
                         "left to search on, too few to score: add rows"
                         f"{', or lower --test-size (0 holds nothing out)' if held else ''}")
