"""The data of ``spacedsl tune --data``: ``builtin:NAME`` (one of scikit-learn's bundled datasets)
or a CSV file with a header row, read with the standard ``csv`` module (no pandas)."""

from __future__ import annotations

import csv
import math
import os

import numpy as np

from ..language.errors import did_you_mean
from .console import InputError, shorten

BUILTIN_DATASETS = ("iris", "wine", "digits", "breast_cancer", "diabetes")
MISSING_CELLS = frozenset({"", "na", "nan", "n/a", "null", "none"})


def load_data(source, target=None):
    """``(X, y, target_column)`` from ``builtin:NAME`` or a CSV file with a header row."""

    if source.startswith("builtin:"):
        header, X, y = _builtin(source[len("builtin:"):])
        if target is None or target == "target":
            return X, y, "target"
        _check_column(source, header, target)
        i = header.index(target)
        return np.column_stack([np.delete(X, i, axis=1), y]).astype(float), X[:, i], target
    header, lines, columns = _read_csv(source)
    if target is None:
        raise InputError(f"--target is required with a CSV file: name the column to predict "
                        f"(columns: {shorten(header)})")
    _check_column(source, header, target)
    if len(header) < 2:
        raise InputError(f"{source} has no feature column besides the target {target!r}")
    features = [_numbers(source, name, cells, lines) for name, cells in zip(header, columns) if name != target]
    y = _target_array(source, target, columns[header.index(target)], lines)
    return np.column_stack(features), y, target


def _check_column(source, header, target):
    if target not in header:
        raise InputError(f"unknown column {target!r} in {source}{did_you_mean(target, header)}; "
                        f"columns: {shorten(header)}")


def _builtin(name):
    """Header (feature names and ``target``), X and y of one of scikit-learn's bundled datasets."""
    from sklearn import datasets

    if name not in BUILTIN_DATASETS:
        raise InputError(f"unknown builtin dataset {name!r}{did_you_mean(name, BUILTIN_DATASETS)}; "
                        f"known: {', '.join(BUILTIN_DATASETS)}")
    bunch = getattr(datasets, f"load_{name}")()
    X = np.asarray(bunch.data, dtype=float)
    names = getattr(bunch, "feature_names", None)
    names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(X.shape[1])]
    return names + ["target"], X, np.asarray(bunch.target)


def _read_csv(path):
    """``(header, line_numbers, columns)``: the header row, and each column's cells as stripped strings."""
    if os.path.isdir(path):
        raise InputError(f"cannot read {path}: it is a directory")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    rows = [(number, row) for number, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not rows:
        raise InputError(f"{path} is empty")
    header = [c.strip() for c in rows[0][1]]
    if all(_is_number(c) for c in header):
        raise InputError(f"{path} needs a header row naming its columns (its first row is all numbers)")
    seen = set()
    for name in header:
        if not name:
            raise InputError(f"{path}: the header has an empty column name")
        if name in seen:
            raise InputError(f"{path}: the header names the column {name!r} twice")
        seen.add(name)
    body = rows[1:]
    if not body:
        raise InputError(f"{path} has a header but no data rows")
    for number, row in body:
        if len(row) != len(header):
            raise InputError(f"{path}:{number}: {len(row)} fields, but the header has {len(header)}")
    lines = [number for number, _ in body]
    columns = [[row[i].strip() for _, row in body] for i in range(len(header))]
    return header, lines, columns


def _numbers(path, name, cells, lines):
    """A feature column as floats (missing cells are NaN); InputError naming the first non-number."""

    values = np.empty(len(cells))
    for j, cell in enumerate(cells):
        if cell.lower() in MISSING_CELLS:
            values[j] = math.nan
            continue
        try:
            values[j] = float(cell)
        except ValueError:
            raise InputError(f"{path}:{lines[j]}: column {name!r} is not numeric ({cell!r}); "
                            "feature columns must hold numbers") from None
    return values


def _target_array(path, name, cells, lines):
    """The target as ints, floats or string labels; no missing cells."""

    for j, cell in enumerate(cells):
        if cell.lower() in MISSING_CELLS:
            raise InputError(f"{path}:{lines[j]}: the target column {name!r} has an empty cell")
    if not all(_is_number(c) for c in cells):
        return np.asarray(cells)
    values = np.asarray([float(c) for c in cells])
    if np.all(np.isfinite(values)) and np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
        return values.astype(np.int64)
    return values


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def refuse_missing(X, source, target, estimator):
    """`InputError` naming the feature columns with missing cells, unless ``estimator`` accepts NaN.

    Checked before any fit, so a CSV with empty cells does not run the whole budget only to fail
    every trial with scikit-learn's "Input X contains NaN".
    """
    holes = np.isnan(X).sum(axis=0)
    if not holes.any() or accepts_nan(estimator):
        return
    names = _feature_names(source, target, X.shape[1])
    listed = [f"{names[i]!r} ({holes[i]} empty)" for i in np.flatnonzero(holes)]
    raise InputError(f"{source}: missing cells in the feature column{'s' if len(listed) > 1 else ''} "
                     f"{shorten(listed, 8)}, and {type(estimator).__name__} does not accept NaN; fill or drop "
                     "them, or start a pipeline with sklearn.impute.SimpleImputer")


def accepts_nan(estimator):
    """Whether scikit-learn's tags say the estimator takes NaN (a pipeline: its first real step)."""
    from sklearn.utils import get_tags  # scikit-learn loads only when data is checked

    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list):
        first = next((s for _, s in steps if s is not None and s != "passthrough"), None)
        return first is not None and accepts_nan(first)
    try:
        return bool(get_tags(estimator).input_tags.allow_nan)
    except (AttributeError, TypeError):  # not a scikit-learn estimator: let it say so itself
        return True


def _feature_names(source, target, n):
    if source.startswith("builtin:"):
        header = _builtin(source[len("builtin:"):])[0]
    else:
        header = _read_csv(source)[0]
    names = [h for h in header if h != (target or "target")]
    return names if len(names) == n else [f"x{i}" for i in range(n)]
