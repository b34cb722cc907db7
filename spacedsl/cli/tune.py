"""``spacedsl tune``: search a space for a scikit-learn estimator from the command line.

    spacedsl tune rf.space --estimator sklearn.ensemble.RandomForestClassifier \\
        --data builtin:digits --strategy gp-ei --trials 30

It is `spacedsl.search` with its arguments on the command line, so the same
arguments and seed give the same result as the Python call. Decisions:

* ``--test-size`` defaults to 0.2: the command reports a test score, and the
  test set is held out before the search and never steers it. ``--test-size 0``
  holds nothing out (no test score is claimed).
* When the estimator, one of its steps or a named object of the space has a
  ``random_state`` that is None and the space does not set it, ``tune`` sets it
  to ``--seed``, so the same command gives the same numbers. (The Python API
  leaves the estimator as you built it.)
* Named objects in the space (``clf in [@sklearn.svm.SVC, ...]``) are imported
  through `spacedsl.ImportRule`: only under ``sklearn.`` and the
  ``--allow-import`` prefixes, checked before any import, so tuning a file from
  an untrusted repository imports nothing else. ``--estimator`` is the user's
  own argument and may name any module or file.
* ``FILE`` may be ``-`` (standard input; the study is then called ``default``).
* Data: ``builtin:NAME`` is one of scikit-learn's bundled datasets, as a table
  of its feature columns and a ``target`` column (``--target`` defaults to
  ``target`` and may name a feature column instead). A CSV file needs a header
  row; ``--target`` names the column to predict and every other column is a
  numeric feature (empty cells, ``NA`` and ``nan`` are NaN; unless the estimator
  accepts NaN, such cells are refused before any fit, naming their columns). The
  target may be numbers or labels. It is read with the standard ``csv`` module: no pandas.
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
* Stopping early: ``--prune median`` (or ``percentile:P``) stops trials whose
  intermediate scores (the evaluator's, after each fold or at each budget of
  ``--resource``) fall behind the others' at the same step; ``--resource NAME``
  (``n_samples`` or an estimator parameter such as ``max_iter``) with
  ``--min-resource``, ``--max-resource`` and ``--factor`` are the evaluator's
  options, which ``search`` hands on to a budgeted strategy (``sha``,
  ``hyperband``, ``asha``) unless ``--strategy-option`` sets them.
  Stopped trials are ``pruned``: the progress line, the summary and ``--json``
  count them apart, and they count toward ``--trials`` (a resumed study never
  runs them again). ``--strategy-option KEY=VALUE`` (repeatable; the value read
  as JSON when it parses, else as text) passes any other option, e.g.
  ``--strategy-option sampler=gp-ei``; an option the strategy does not take is
  refused before anything runs.
* Warnings a trial raises (scikit-learn's ``ConvergenceWarning``...) are kept
  with the trial (``spacedsl trials`` shows them) instead of being printed;
  without ``--quiet`` one line at the end says how many there were.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time

from .. import plugins
from ..evaluators import get_scorer
from ..language.errors import DSLError
from ..plugins import PluginError
from ..results import cli as report_cli
from ..running.loop import study_for_file
from ..running.search import check_params, search
from ..running.objects import DEFAULT_ALLOW, ImportRule, resolve
from ..space import load, parse
from ..storage import StoreError, open_storage, open_study
from .console import (InputError, Progress, error, factor, first_line, jobs, json_default, non_negative_int,
                      positive_int, seconds, step_text, value_text)
from .data import BUILTIN_DATASETS, load_data, refuse_missing
from .datacheck import check_data
from .estimators import load_estimator

SCHEDULER_TIMEOUT = 10  # seconds to reach a Dask scheduler
STDIN = "-"


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


def _prune(text):
    """``median`` or ``percentile:P`` (P in 0..100), as ``prune=`` takes it."""
    name, colon, arg = text.strip().partition(":")
    if name.lower() == "median" and not colon:
        return "median"
    if name.lower() == "percentile" and colon:
        try:
            value = float(arg)
        except ValueError:
            value = None
        if value is not None and 0 <= value <= 100:
            return f"percentile:{arg.strip()}"
        raise argparse.ArgumentTypeError(f"the percentile must be a number in 0..100, e.g. percentile:25; got {text!r}")
    raise argparse.ArgumentTypeError(f"expected median or percentile:P (P in 0..100), got {text!r}")


def _option(text):
    """``KEY=VALUE``: the value as JSON when it parses (``3``, ``true``, ``[1, 2]``), else as text."""
    key, equals, raw = text.partition("=")
    key = key.strip()
    if not equals or not key.isidentifier():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. sampler=gp-ei), got {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return key, value


def add_parser(subparsers):
    """Register ``tune`` on an argparse subparsers object; the parsed arguments' ``func`` runs it."""
    p = subparsers.add_parser(
        "tune", help="tune a scikit-learn estimator over a space",
        description="Search the space in FILE for the best configuration of a scikit-learn estimator on "
                    "a dataset: a test set is held out first, every configuration is scored by "
                    "cross-validation on the rest, and the best is refit and scored once on the test set.")
    p.add_argument("file", metavar="FILE", help="space file ('-' reads standard input)")
    p.add_argument("--estimator", required=True, metavar="SPEC",
                   help="the estimator: a class path (sklearn.ensemble.RandomForestClassifier), "
                        "package.module:attribute or path/to/file.py:attribute naming an estimator, a pipeline "
                        "or a function returning one")
    p.add_argument("--allow-import", action="append", default=[], metavar="PREFIX",
                   help="named objects in FILE (@sklearn.svm.SVC) are imported only under these module prefixes; "
                        "sklearn. is always allowed (repeatable)")
    p.add_argument("--data", required=True, metavar="CSV|builtin:NAME",
                   help="a CSV file with a header row, or builtin:NAME for one of scikit-learn's datasets "
                        f"({', '.join(BUILTIN_DATASETS)})")
    p.add_argument("--target", metavar="COL",
                   help="the column to predict (required for a CSV; 'target' for builtin data)")
    p.add_argument("--scoring", metavar="NAME",
                   help="a scikit-learn scorer name, e.g. accuracy, f1_macro, neg_mean_squared_error "
                        "(default: the estimator's score: accuracy or R²)")
    p.add_argument("--strategy", default="gp-ei", metavar="S", help="search strategy (default: gp-ei)")
    p.add_argument("--strategy-option", action="append", type=_option, default=[], metavar="KEY=VALUE",
                   help="an option of the strategy, e.g. sampler=gp-ei for asha or hyperband; the value is read "
                        "as JSON when it parses, else as text (repeatable)")
    p.add_argument("--evaluator", default="kfold", metavar="E", help="evaluator (default: kfold)")
    p.add_argument("--prune", type=_prune, metavar="median|percentile:P",
                   help="stop a trial whose intermediate score (after each fold, or at each budget of --resource) "
                        "is worse than the median (or the P-th percentile of losses) of the other trials' at the "
                        "same step; stopped trials are pruned")
    p.add_argument("--resource", metavar="NAME",
                   help="what grows between intermediate scores: n_samples (training on growing subsets) or an "
                        "estimator parameter such as max_iter or n_estimators (continued with warm_start where the "
                        "estimator has it)")
    p.add_argument("--min-resource", type=positive_int, metavar="N",
                   help="the smallest budget of --resource (default: the evaluator's)")
    p.add_argument("--max-resource", type=positive_int, metavar="N",
                   help="the largest budget of --resource (default: the estimator's own value, or every "
                        "training sample for n_samples)")
    p.add_argument("--factor", type=factor, metavar="F",
                   help="each budget is F times the one before; the halving rate of sha, hyperband and asha "
                        "(default: 3)")
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
    try:
        return _tune(args)
    except InputError as exc:
        error(str(exc))
        return 2
    except DSLError as exc:
        print(exc, file=sys.stderr)
        return 1
    except PluginError as exc:
        error(str(exc))
        return 2
    except StoreError as exc:
        error(str(exc))
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        if args.storage is not None:
            error(f"interrupted: the finished trials are kept in {args.storage} (study "
                   f"{_study_name(args)!r}); run the same command again to resume")
        else:
            error("interrupted: the trials are lost (pass --storage FILE to keep them and resume)")
        return 130


def _tune(args):
    space = _load_space(args.file)
    # named objects first: the allowlist decides before anything the file names is imported
    resolved = resolve(space, ImportRule(DEFAULT_ALLOW + tuple(args.allow_import)))
    estimator = load_estimator(args.estimator)
    try:
        check_params(estimator, space, resolved)
    except ValueError as exc:
        raise InputError(f"{args.file}: {exc}") from None
    _seed_random_states(estimator, resolved, space, args.seed)
    args.strategy_options = _strategy_options(args, plugins.strategy(args.strategy), space)
    args.evaluator_options = _evaluator_options(args, plugins.evaluator(args.evaluator))
    with open_storage(args.storage) as store:  # one store for the early study check and the search
        return _run(args, space, estimator, store, resolved)


def _run(args, space, estimator, store, resolved):
    earlier = pruned = 0
    best = None
    if store is not None:  # before any data is loaded: a study of another space or strategy is refused at once
        kept = open_study(store, _study_name(args), space, args.strategy, new_study=args.new_study, maximize=True)
        earlier, pruned = sum(t.finished for t in kept), sum(t.state == "pruned" for t in kept)
        best = max((t.value for t in kept if t.state == "complete" and t.value is not None), default=None)
    X, y, target = load_data(args.data, args.target)
    refuse_missing(X, args.data, target, estimator)
    check_data(X, y, source=args.data, target=target, test_size=args.test_size, evaluator=args.evaluator,
               classifier=_is_classifier(estimator))
    try:
        get_scorer(estimator, args.scoring)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    plugins.evaluator(args.evaluator)

    if earlier and not args.quiet:
        stopped = f" ({pruned} pruned)" if pruned else ""
        print(f"resuming study {_study_name(args)!r} in {args.storage}: {earlier} trials already there{stopped}",
              file=sys.stderr)
    progress = None if args.quiet else Progress(args.trials, sys.stderr, done=earlier, pruned=pruned, best=best)
    started = time.perf_counter()
    client = _dask_client(args.scheduler)
    try:
        result = search(estimator, space, X, y, strategy=args.strategy, evaluator=args.evaluator,
                        n_trials=args.trials, scoring=args.scoring, test_size=args.test_size, seed=args.seed,
                        n_jobs=args.jobs, storage=store, study=_study_name(args),
                        executor=client, timeout=args.timeout, trial_timeout=args.trial_timeout,
                        callback=progress, objects=resolved, collect_warnings=True, prune=args.prune,
                        strategy_options=args.strategy_options or None,
                        evaluator_options=args.evaluator_options or None)
    except (ValueError, NotImplementedError) as exc:  # options, data and split problems
        if progress:
            progress.close()
        raise InputError(first_line(exc)) from None
    except StoreError:
        if progress:
            progress.close()
        raise
    except RuntimeError as exc:  # every trial failed
        if progress:
            progress.close()
        error(first_line(exc))
        return 1
    finally:
        if client is not None:
            client.close()
    if progress:
        progress.close()
    if result.warnings and not args.quiet:
        _say_warnings(result, args)
    seconds = time.perf_counter() - started
    best = result.best_trial
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
        "prune": args.prune,
        "resource": args.resource,
        "n_trials": sum(t.finished for t in result.trials),  # what --trials counts
        "n_complete": sum(t.state == "complete" for t in result.trials),
        "n_pruned": sum(t.state == "pruned" for t in result.trials),  # stopped early: counted, never re-run
        "n_failed": sum(t.finished and t.state == "failed" for t in result.trials),
        "n_interrupted": sum(t.interrupted for t in result.trials),  # cut short, run again
        "best_trial": None if best is None else {"number": best.number, "state": best.state, "step": best.step,
                                                 "max_step": best.max_step},
        "seconds": round(seconds, 3),
        "storage": args.storage,
        "study": _study_name(args) if args.storage is not None else None,
    }
    if args.json:
        print(json.dumps(summary, default=json_default))
    else:
        print_table(summary)
    return report_cli.write_tune_report(args.report, result, space, args.strategy, args.file, store=store,
                                        study=_study_name(args) if store is not None else None)


def _strategy_options(args, factory, space):
    """``--strategy-option`` pairs; an option the factory does not take is an `InputError` before
    anything runs. (A budgeted strategy's resource range comes from the evaluator: ``search`` fills
    what these options do not give from ``--resource`` and its range.)"""
    options = dict(args.strategy_option)
    _check_options(factory, options, "--strategy-option", f"the strategy {args.strategy!r}", space, seed=args.seed)
    return options


def _evaluator_options(args, factory):
    """``--resource`` and its range, as the evaluator's options (the evaluator checks their values:
    a bad one is its ValueError, one line and status 2)."""
    options = {"resource": args.resource, "min_resource": args.min_resource, "max_resource": args.max_resource,
               "factor": args.factor}
    options = {k: v for k, v in options.items() if v is not None}
    flags = ", ".join("--" + k.replace("_", "-") for k in options)
    if options and args.resource is None:
        raise InputError(f"{flags} {'needs' if len(options) == 1 else 'need'} --resource NAME: n_samples or an "
                         f"estimator parameter such as max_iter or n_estimators")
    _check_options(factory, options, flags, f"the evaluator {args.evaluator!r}", seed=args.seed)
    return options


def _check_options(factory, options, flag, what, *args, seed):
    """An `InputError` naming ``flag`` when ``factory`` does not take ``options``: by its signature,
    or, when that takes ``**options`` (as ``sha``, ``hyperband`` and ``asha`` do), by the names
    in the factory's ``options`` attribute if it has one."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # no signature to check against: the factory will say
        return
    takes = [n for n, p in signature.parameters.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and n not in ("space", "seed", "self")]
    declared = getattr(factory, "options", None)
    if any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()) \
            and isinstance(declared, tuple | list | frozenset) and all(isinstance(n, str) for n in declared):
        takes = [*takes, *(n for n in declared if n not in takes)]
        bad = [k for k in options if k not in takes]
    else:
        try:
            signature.bind(*args, seed=seed, **options)
            bad = []
        except TypeError:
            bad = [k for k in options if k not in takes] or [None]
    if bad:
        unknown = ", ".join(repr(k) for k in bad if k is not None) or "(those given)"
        known = f"it takes {', '.join(takes)}" if takes else "it takes no option"
        raise InputError(f"{flag}: {what} takes no option {unknown} ({known})")


def _seed_random_states(estimator, resolved, space, seed):
    """Give every ``random_state`` left None (the estimator's, its steps', the named objects') the seed,
    unless the space sets it, so the same command gives the same numbers."""
    written = {key.rpartition(".")[2] for key in tuple(space.names) + tuple(space.constants)}
    for obj in [estimator] + [o for o in resolved.values() if hasattr(o, "get_params") and not isinstance(o, type)]:
        unset = {k: seed for k, v in obj.get_params(deep=True).items()
                 if (k == "random_state" or k.endswith("__random_state")) and v is None
                 and (obj is not estimator or k not in written)}
        if unset:
            obj.set_params(**unset)


def _say_warnings(result, args):
    """One line for the warnings the trials raised (kept per trial, never printed one by one)."""
    trials = len({number for number, _ in result.warnings if number is not None})
    where = f"; `spacedsl trials {args.storage}` lists them" if args.storage else "; --storage DB keeps them per trial"
    refit = " and the refit" if any(number is None for number, _ in result.warnings) else ""
    print(f"{len(result.warnings)} kinds of warning in {trials} trials{refit}, e.g. {result.warnings[0][1]}{where}",
          file=sys.stderr)


def _load_space(path):
    """The space in ``path`` (``-``: standard input); `InputError` when it cannot be read."""
    try:
        if path == STDIN:
            return parse(sys.stdin.read(), filename="<stdin>")
        return load(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _study_name(args):
    """``--study``, or the space file's name without its suffix (``rf.space`` -> ``rf``; stdin: ``default``)."""
    if args.study is not None:
        return args.study
    return "default" if args.file == STDIN else study_for_file(args.file)


def _dask_client(address):
    """A ``dask.distributed.Client`` connected to ``address``, or None without --scheduler."""
    if address is None:
        return None
    try:
        from dask.distributed import Client
    except ImportError:
        raise InputError("--scheduler needs Dask: pip install 'spacedsl[dask]'") from None
    try:
        return Client(address, timeout=SCHEDULER_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise InputError(f"cannot connect to the Dask scheduler at {address}: {first_line(exc)} "
                        f"(is `dask scheduler` running there, and is the port open?)") from None


def _is_classifier(estimator):
    from sklearn.base import is_classifier
    return is_classifier(estimator)


def _scoring_name(estimator, scoring):
    if scoring is not None:
        return scoring
    from sklearn.base import is_classifier, is_regressor
    return "accuracy" if is_classifier(estimator) else "r2" if is_regressor(estimator) else "score"


# ---------------------------------------------------------------------- table
def print_table(summary, stream=None):
    """The human-readable result: the best configuration, CV score, test score and time."""
    stream = stream or sys.stdout
    params = summary["best_params"]
    width = max([len("parameter")] + [len(k) for k in params])
    lines = [f"{'parameter'.ljust(width)}  value"]
    lines += [f"{name.ljust(width)}  {value_text(value)}" for name, value in params.items()]
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
    if summary.get("best_trial") and summary["best_trial"]["state"] == "pruned":
        lines.append(f"{'':{label}}(no trial ran to the end: the best of those that got furthest, "
                     f"step {step_text(summary['best_trial']['step'])})")
    notes = [f"{summary['n_pruned']} pruned"] if summary.get("n_pruned") else []
    notes += [f"{summary['n_failed']} failed"] if summary["n_failed"] else []
    if summary.get("n_interrupted"):
        notes.append(f"{summary['n_interrupted']} more interrupted and run again")
    failed = f" ({', '.join(notes)})" if notes else ""
    how = summary["strategy"] + (f", prune {summary['prune']}" if summary.get("prune") else "") + (
        f", resource {summary['resource']}" if summary.get("resource") else "")
    lines.append(f"{'trials'.ljust(label)}{summary['n_trials']}{failed}  ({how}, seed {summary['seed']})")
    lines.append(f"{'time'.ljust(label)}{summary['seconds']:.1f} s")
    stream.write("\n".join(lines) + "\n")
