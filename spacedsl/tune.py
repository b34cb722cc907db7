"""``spacedsl tune``: search a space for a scikit-learn estimator from the command line.

    spacedsl tune rf.space --estimator sklearn.ensemble.RandomForestClassifier \\
        --data builtin:digits --strategy gp-ei --trials 30

It is `spacedsl.search` with its arguments on the command line, so the same
arguments and seed give the same result as the Python call. Decisions:

* ``--test-size`` defaults to 0.2: the command reports a test score, and the
  test set is held out before the search and never steers it. ``--test-size 0``
  holds nothing out (no test score is claimed).
* When the estimator has a ``random_state`` that is None and the space does not
  set it, ``tune`` sets it to ``--seed``, so the same command gives the same
  numbers. (The Python API leaves the estimator as you built it.)
* Data: ``builtin:NAME`` is one of scikit-learn's bundled datasets, as a table
  of its feature columns and a ``target`` column (``--target`` defaults to
  ``target`` and may name a feature column instead). A CSV file needs a header
  row; ``--target`` names the column to predict and every other column is a
  numeric feature (empty cells, ``NA`` and ``nan`` are NaN). The target may be
  numbers or labels. It is read with the standard ``csv`` module: no pandas.
* Bad input — a missing or unreadable file, an unknown column, a non-numeric
  feature, an estimator path that does not import, a space parameter the
  estimator does not take (checked against ``get_params()`` before any fit), an
  unknown scoring, strategy or evaluator — is one line on stderr and exit
  status 2; an error in the space file is printed compiler-style with status 1
  (as ``spacedsl check``); a search whose every trial failed is status 1.
* ``--storage FILE`` keeps every trial in a SQLite file, in the study
  ``--study`` (default: the space file's name without its suffix), and the same
  command again resumes it; Ctrl-C stops after recording what finished and says
  how to resume (status 130). A study made with another space or strategy is
  refused (status 2) with the ``--new-study`` way out.
* ``--jobs J`` runs J trials at once in local worker processes;
  ``--scheduler tcp://HOST:8786`` runs them on a Dask cluster (``pip install
  'spacedsl[dask]'``); this process keeps the store and the strategy.
* Progress goes to stderr: a bar redrawn with ``\\r`` on a terminal (trials,
  best score so far, elapsed and estimated remaining time), one plain line a
  trial otherwise, nothing with ``--quiet``. The result goes to stdout: a
  table, or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import math
import os
import re
import sys
import time

from .argtypes import jobs, non_negative_int, positive_int, seconds
from .results import cli as report_cli

PROG = "spacedsl"
BUILTIN_DATASETS = ("iris", "wine", "digits", "breast_cancer", "diabetes")
SCHEDULER_TIMEOUT = 10  # seconds to reach a Dask scheduler
MISSING_CELLS = frozenset({"", "na", "nan", "n/a", "null", "none"})
# A Python dotted path: identifiers joined by dots, nothing else.
DOTTED_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


class TuneError(Exception):
    """Bad input: printed as one line on stderr, exit status 2."""


# ------------------------------------------------------------------ argparse




def _test_size(text):
    """A fraction in [0, 1) or a whole number of samples; 0 means no test set."""
    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a fraction or a number of samples, got {text!r}") from None
        if not 0.0 <= value < 1.0:
            raise argparse.ArgumentTypeError(f"a fraction must be at least 0 and below 1, got {text}")
        return value or None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value or None


def add_parser(subparsers):
    """Register ``tune`` on an argparse subparsers object; the parsed arguments' ``func`` runs it."""
    p = subparsers.add_parser(
        "tune", help="tune a scikit-learn estimator over a space",
        description="Search the space in FILE for the best configuration of a scikit-learn estimator on "
                    "a dataset: a test set is held out first, every configuration is scored by "
                    "cross-validation on the rest, and the best is refit and scored once on the test set.")
    p.add_argument("file", metavar="FILE", help="space file")
    p.add_argument("--estimator", required=True, metavar="DOTTED.PATH",
                   help="the estimator class, e.g. sklearn.ensemble.RandomForestClassifier")
    p.add_argument("--data", required=True, metavar="CSV|builtin:NAME",
                   help="a CSV file with a header row, or builtin:NAME for one of scikit-learn's datasets "
                        f"({', '.join(BUILTIN_DATASETS)})")
    p.add_argument("--target", metavar="COL",
                   help="the column to predict (required for a CSV; 'target' for builtin data)")
    p.add_argument("--scoring", metavar="NAME",
                   help="a scikit-learn scorer name, e.g. accuracy, f1_macro, neg_mean_squared_error "
                        "(default: the estimator's score: accuracy or R²)")
    p.add_argument("--strategy", default="gp-ei", metavar="S", help="search strategy (default: gp-ei)")
    p.add_argument("--evaluator", default="kfold", metavar="E", help="evaluator (default: kfold)")
    p.add_argument("--trials", type=positive_int, default=50, metavar="N",
                   help="number of configurations to try (default: 50)")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="S",
                   help="seeds the test split, the folds, the strategy and an unset random_state of the "
                        "estimator (default: 0)")
    p.add_argument("--test-size", type=_test_size, default=0.2, metavar="F",
                   help="fraction (or number of samples) held out as the test set; 0 for none (default: 0.2)")
    p.add_argument("--jobs", type=jobs, default=1, metavar="J",
                   help="parallel workers (-1: every core); results do not depend on it (default: 1)")
    p.add_argument("--storage", metavar="DB",
                   help="a SQLite file that keeps every trial; the same command again resumes the search")
    p.add_argument("--study", metavar="NAME",
                   help="the study's name in the storage (default: the space file's name without its suffix)")
    p.add_argument("--new-study", action="store_true",
                   help="replace a study of that name made with another space or strategy (drops its trials)")
    p.add_argument("--timeout", type=seconds, metavar="SECONDS",
                   help="start no trial after this many seconds (running ones finish)")
    p.add_argument("--trial-timeout", type=seconds, metavar="SECONDS",
                   help="fail a trial that runs longer than this many seconds")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run trials on a Dask cluster, e.g. tcp://HOST:8786 (needs spacedsl[dask])")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    report_cli.add_tune_option(p)
    p.set_defaults(func=cmd_tune)
    return p


# ----------------------------------------------------------------- the command
def cmd_tune(args):
    """Run ``spacedsl tune``; returns the exit status."""
    import spacedsl
    from spacedsl.plugins import PluginError

    try:
        return _tune(args)
    except TuneError as exc:
        _error(str(exc))
        return 2
    except spacedsl.DSLError as exc:
        print(exc, file=sys.stderr)
        return 1
    except PluginError as exc:
        _error(str(exc))
        return 2
    except spacedsl.StoreError as exc:
        _error(str(exc))
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        if args.storage is not None:
            _error(f"interrupted: the finished trials are kept in {args.storage} (study "
                   f"{_study_name(args)!r}); run the same command again to resume")
        else:
            _error("interrupted: the trials are lost (pass --storage FILE to keep them and resume)")
        return 130


def _error(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _tune(args):
    import spacedsl
    from spacedsl import plugins
    from spacedsl.evaluation import get_scorer
    from spacedsl.search import check_params, search

    try:
        space = spacedsl.load(args.file)
    except OSError as exc:
        raise TuneError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    estimator = load_estimator(args.estimator)
    try:
        check_params(estimator, space)
    except ValueError as exc:
        raise TuneError(f"{args.file}: {exc}") from None
    if ("random_state" in estimator.get_params(deep=False) and estimator.get_params()["random_state"] is None
            and "random_state" not in space.names and "random_state" not in space.constants):
        estimator.set_params(random_state=args.seed)
    plugins.strategy(args.strategy)
    earlier = _open_study(args, space)
    X, y, target = load_data(args.data, args.target)
    try:
        get_scorer(estimator, args.scoring)
    except ValueError as exc:
        raise TuneError(str(exc)) from None
    plugins.evaluator(args.evaluator)

    if earlier and not args.quiet:
        print(f"resuming study {_study_name(args)!r} in {args.storage}: {earlier} trials already there",
              file=sys.stderr)
    progress = None if args.quiet else Progress(args.trials, sys.stderr, done=earlier)
    started = time.perf_counter()
    client = _dask_client(args.scheduler)
    try:
        result = search(estimator, space, X, y, strategy=args.strategy, evaluator=args.evaluator,
                        n_trials=args.trials, scoring=args.scoring, test_size=args.test_size, seed=args.seed,
                        n_jobs=args.jobs, storage=args.storage, study=_study_name(args),
                        executor=client, timeout=args.timeout, trial_timeout=args.trial_timeout,
                        callback=progress)
    except (ValueError, NotImplementedError) as exc:  # options, data and split problems
        if progress:
            progress.close()
        raise TuneError(_first_line(exc)) from None
    except spacedsl.StoreError:
        if progress:
            progress.close()
        raise
    except RuntimeError as exc:  # every trial failed
        if progress:
            progress.close()
        _error(_first_line(exc))
        return 1
    finally:
        if client is not None:
            client.close()
    if progress:
        progress.close()
    seconds = time.perf_counter() - started
    summary = {
        "best_params": result.best_params,
        "best_score": result.best_score,
        "test_score": result.test_score,
        "scoring": _scoring_name(estimator, args.scoring),
        "estimator": args.estimator,
        "data": args.data,
        "target": target,
        "strategy": args.strategy,
        "evaluator": args.evaluator,
        "seed": args.seed,
        "test_size": args.test_size,
        "n_trials": sum(t.finished for t in result.trials),  # what --trials counts
        "n_failed": sum(t.finished and t.state != "complete" for t in result.trials),
        "n_interrupted": sum(t.interrupted for t in result.trials),  # cut short, run again
        "seconds": round(seconds, 3),
        "storage": args.storage,
        "study": _study_name(args) if args.storage is not None else None,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print_table(summary)
    return report_cli.write_tune_report(args.report, result, space, args.strategy, args.file)


def _study_name(args):
    """``--study``, or the space file's name without its suffix (``rf.space`` -> ``rf``)."""
    from spacedsl.driver import study_for_file

    return study_for_file(args.file) if args.study is None else args.study


def _open_study(args, space):
    """Open (or create) the study before any data is loaded, so that a store that cannot be used
    or a study of another space or strategy is refused at once; the finished trials it holds."""
    if args.storage is None:
        return 0
    from spacedsl.store import Store

    with Store(args.storage) as store:
        store.create_or_load_study(_study_name(args), space, args.strategy, new_study=args.new_study,
                                   direction="maximize")
        return sum(t.finished for t in store.trials(_study_name(args)))


def _dask_client(address):
    """A ``dask.distributed.Client`` connected to ``address``, or None without --scheduler."""
    if address is None:
        return None
    try:
        from dask.distributed import Client
    except ImportError:
        raise TuneError("--scheduler needs Dask: pip install 'spacedsl[dask]'") from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise TuneError(f"cannot connect to the Dask scheduler at {address}: {_first_line(exc)} "
                        f"(is `dask scheduler` running there, and is the port open?)") from None


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _scoring_name(estimator, scoring):
    if scoring is not None:
        return scoring
    from sklearn.base import is_classifier, is_regressor
    return "accuracy" if is_classifier(estimator) else "r2" if is_regressor(estimator) else "score"


# ------------------------------------------------------------------ estimator
def load_estimator(path):
    """A fresh estimator from a dotted path such as ``sklearn.svm.SVC``.

    The path is the user's own command-line argument, never text from a space
    file (nothing in a ``.space`` file reaches import or eval). It is checked to
    be identifiers joined by dots, then imported with `importlib.import_module`
    (the longest importable module prefix) and `getattr` for the rest; a class
    or factory is called without arguments.
    """
    if not DOTTED_PATH.fullmatch(path):
        raise TuneError(f"--estimator must be a dotted path such as sklearn.svm.SVC, got {path!r}")
    parts = path.split(".")
    obj = None
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            obj = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                continue  # this prefix is not a module: try a shorter one
            raise TuneError(f"cannot import estimator {path}: {exc}") from None
        except Exception as exc:  # importing the user's module failed in its own code
            raise TuneError(f"cannot import estimator {path}: importing {module_name} raised "
                            f"{type(exc).__name__}: {exc}") from None
        rest = parts[cut:]
        break
    else:
        raise TuneError(f"cannot import estimator {path}: no module named {parts[0]!r}")
    for name in rest:
        try:
            obj = getattr(obj, name)
        except AttributeError:
            from spacedsl.errors import did_you_mean
            owner = getattr(obj, "__name__", type(obj).__name__)
            known = [n for n in dir(obj) if not n.startswith("_")]
            raise TuneError(f"cannot import estimator {path}: {owner} has no attribute {name!r}"
                            f"{did_you_mean(name, known)}") from None
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        from sklearn.base import clone
        estimator = clone(obj)
    elif callable(obj):
        try:
            estimator = obj()
        except Exception as exc:
            raise TuneError(f"cannot make an estimator from {path}: calling it without arguments raised "
                            f"{type(exc).__name__}: {exc}") from None
    else:
        estimator = obj
    if not (hasattr(estimator, "fit") and hasattr(estimator, "get_params") and hasattr(estimator, "set_params")):
        raise TuneError(f"{path} is not a scikit-learn estimator (it needs fit, get_params and set_params)")
    return estimator


# ----------------------------------------------------------------------- data
def load_data(source, target=None):
    """``(X, y, target_column)`` from ``builtin:NAME`` or a CSV file with a header row."""
    import numpy as np

    if source.startswith("builtin:"):
        header, X, y = _builtin(source[len("builtin:"):])
        if target is None or target == "target":
            return X, y, "target"
        _check_column(source, header, target)
        i = header.index(target)
        return np.column_stack([np.delete(X, i, axis=1), y]).astype(float), X[:, i], target
    header, lines, columns = _read_csv(source)
    if target is None:
        raise TuneError(f"--target is required with a CSV file: name the column to predict "
                        f"(columns: {_shorten(header)})")
    _check_column(source, header, target)
    if len(header) < 2:
        raise TuneError(f"{source} has no feature column besides the target {target!r}")
    features = [_numbers(source, name, cells, lines) for name, cells in zip(header, columns) if name != target]
    y = _target_array(source, target, columns[header.index(target)], lines)
    return np.column_stack(features), y, target


def _check_column(source, header, target):
    if target not in header:
        from spacedsl.errors import did_you_mean
        raise TuneError(f"unknown column {target!r} in {source}{did_you_mean(target, header)}; "
                        f"columns: {_shorten(header)}")


def _shorten(names, limit=20):
    names = list(names)
    return ", ".join(names) if len(names) <= limit else ", ".join(names[:limit]) + f", ... ({len(names)} in all)"


def _builtin(name):
    """Header (feature names and ``target``), X and y of one of scikit-learn's bundled datasets."""
    import numpy as np
    from sklearn import datasets

    if name not in BUILTIN_DATASETS:
        from spacedsl.errors import did_you_mean
        raise TuneError(f"unknown builtin dataset {name!r}{did_you_mean(name, BUILTIN_DATASETS)}; "
                        f"known: {', '.join(BUILTIN_DATASETS)}")
    bunch = getattr(datasets, f"load_{name}")()
    X = np.asarray(bunch.data, dtype=float)
    names = getattr(bunch, "feature_names", None)
    names = [str(n) for n in names] if names is not None else [f"x{i}" for i in range(X.shape[1])]
    return names + ["target"], X, np.asarray(bunch.target)


def _read_csv(path):
    """``(header, line_numbers, columns)``: the header row, and each column's cells as stripped strings."""
    if os.path.isdir(path):
        raise TuneError(f"cannot read {path}: it is a directory")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise TuneError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise TuneError(f"cannot read {path}: {exc}") from None
    rows = [(number, row) for number, row in enumerate(rows, start=1) if any(c.strip() for c in row)]
    if not rows:
        raise TuneError(f"{path} is empty")
    header = [c.strip() for c in rows[0][1]]
    if all(_is_number(c) for c in header):
        raise TuneError(f"{path} needs a header row naming its columns (its first row is all numbers)")
    seen = set()
    for name in header:
        if not name:
            raise TuneError(f"{path}: the header has an empty column name")
        if name in seen:
            raise TuneError(f"{path}: the header names the column {name!r} twice")
        seen.add(name)
    body = rows[1:]
    if not body:
        raise TuneError(f"{path} has a header but no data rows")
    for number, row in body:
        if len(row) != len(header):
            raise TuneError(f"{path}:{number}: {len(row)} fields, but the header has {len(header)}")
    lines = [number for number, _ in body]
    columns = [[row[i].strip() for _, row in body] for i in range(len(header))]
    return header, lines, columns


def _numbers(path, name, cells, lines):
    """A feature column as floats (missing cells are NaN); TuneError naming the first non-number."""
    import numpy as np

    values = np.empty(len(cells))
    for j, cell in enumerate(cells):
        if cell.lower() in MISSING_CELLS:
            values[j] = math.nan
            continue
        try:
            values[j] = float(cell)
        except ValueError:
            raise TuneError(f"{path}:{lines[j]}: column {name!r} is not numeric ({cell!r}); "
                            "feature columns must hold numbers") from None
    return values


def _target_array(path, name, cells, lines):
    """The target as ints, floats or string labels; no missing cells."""
    import numpy as np

    for j, cell in enumerate(cells):
        if cell.lower() in MISSING_CELLS:
            raise TuneError(f"{path}:{lines[j]}: the target column {name!r} has an empty cell")
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


# ------------------------------------------------------------------- progress
def _clock(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Reports each finished trial on a stream: a ``\\r`` bar on a terminal, plain lines otherwise.

    Called as ``progress(trial)`` (the ``callback`` of `spacedsl.search`).
    """

    WIDTH = 24

    def __init__(self, total, stream, tty=None, done=0):
        self.total, self.stream = total, stream
        self.tty = _isatty(stream) if tty is None else tty
        self.done, self.start, self.failed = done, done, 0
        self.best = None
        self.started = time.perf_counter()
        self._drawn = 0

    def __call__(self, trial):
        self.done += 1
        if trial.value is None:
            self.failed += 1
        elif self.best is None or trial.value > self.best:
            self.best = trial.value
        elapsed = time.perf_counter() - self.started
        remaining = elapsed / max(1, self.done - self.start) * max(0, self.total - self.done)
        best = "-" if self.best is None else f"{self.best:.4f}"
        if self.tty:
            filled = round(self.WIDTH * min(self.done, self.total) / self.total)
            line = (f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} trials  "
                    f"best {best}  {_clock(elapsed)} elapsed  ~{_clock(remaining)} left")
            self.stream.write(line.ljust(self._drawn))
            self._drawn = len(line)
        else:
            score = "failed" if trial.value is None else f"{trial.value:.4f}"
            self.stream.write(f"trial {self.done}/{self.total}: {score}  best {best}  "
                              f"{_clock(elapsed)} elapsed\n")
        self.stream.flush()

    def close(self):
        """End the bar's line (on a terminal)."""
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = 0


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------------- table
def _value_text(value):
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = f"{value:.6g}"
        return text if any(c in text for c in ".eni") else text + ".0"  # 1.0 stays a float
    return str(value)


def print_table(summary, stream=None):
    """The human-readable result: the best configuration, CV score, test score and time."""
    stream = stream or sys.stdout
    params = summary["best_params"]
    width = max([len("parameter")] + [len(k) for k in params])
    lines = [f"{'parameter'.ljust(width)}  value"]
    lines += [f"{name.ljust(width)}  {_value_text(value)}" for name, value in params.items()]
    lines.append("")
    label = 12
    cv = f"{summary['best_score']:.4f}  ({summary['scoring']}, {summary['evaluator']})"
    lines.append(f"{'CV score'.ljust(label)}{cv}")
    if summary["test_score"] is None:
        lines.append(f"{'test score'.ljust(label)}-  (no test set: --test-size 0)")
    else:
        held = summary["test_size"]
        held = f"{held:.0%} held out" if isinstance(held, float) else f"{held} samples held out"
        lines.append(f"{'test score'.ljust(label)}{summary['test_score']:.4f}  ({held})")
    notes = [f"{summary['n_failed']} failed"] if summary["n_failed"] else []
    if summary.get("n_interrupted"):
        notes.append(f"{summary['n_interrupted']} more interrupted and run again")
    failed = f" ({', '.join(notes)})" if notes else ""
    lines.append(f"{'trials'.ljust(label)}{summary['n_trials']}{failed}  ({summary['strategy']}, "
                 f"seed {summary['seed']})")
    lines.append(f"{'time'.ljust(label)}{summary['seconds']:.1f} s")
    stream.write("\n".join(lines) + "\n")
