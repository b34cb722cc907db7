"""``spacedsl report DB [--study S] -o report.html``: the HTML report of a study in a store.

Reads only (the store is opened read-only). Bad input — a missing file, a file that is not a
store, an unknown study, a store of several studies without ``--study``, an output that cannot
be written — is one line on stderr and exit status 2. Without matplotlib the page has no plots
and says how to get them.
"""

from __future__ import annotations

import os
import sys

from ..storage import StoreError
from .report import write_report

PROG = "spacedsl"


def add_parser(subparsers):
    """Register ``report`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "report", help="write a study's HTML report",
        description="Write one self-contained HTML page about a study of the store DB: summary, best "
                    "configuration, parameter importance, plots and a sortable table of the trials. "
                    "Nothing in it is fetched from the network. Reads only; the plots need matplotlib "
                    "(pip install 'spacedsl[plot]').")
    p.add_argument("db", metavar="DB", help="the store (a SQLite file written with --storage)")
    p.add_argument("--study", metavar="NAME", help="the study (default: the store's only study)")
    p.add_argument("-o", "--output", metavar="FILE", default="report.html",
                   help="where to write the page (default: report.html)")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="seed of the random forest behind importance and the contour (default: 0)")
    p.set_defaults(func=cmd_report)
    return p


def cmd_report(args):
    try:
        _check_store(args.db)
        write_report(args.db, args.output, study=args.study, seed=args.seed)
    except (ValueError, StoreError, ImportError) as exc:
        print(f"{PROG}: error: {_first_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _check_store(path):
    if not os.path.exists(path):
        raise ValueError(f"cannot read {path}: no such file")
    if os.path.isdir(path):
        raise ValueError(f"cannot read {path}: it is a directory")
    if os.path.getsize(path) == 0:
        raise ValueError(f"{path} is empty: not a spacedsl store")


def _first_line(exc):
    text = str(exc).strip()
    if "no such table" in text:
        return "the file is not a spacedsl store (an SQLite file without the studies and trials tables)"
    return text.splitlines()[0] if text else type(exc).__name__


# ------------------------------------------------------- spacedsl tune --report
def add_tune_option(parser):
    """``--report FILE`` on ``spacedsl tune``."""
    parser.add_argument("--report", metavar="FILE",
                        help="write the HTML report of the search to FILE at the end (its plots need "
                             "matplotlib: pip install 'spacedsl[plot]')")


def write_tune_report(path, result, space, strategy, file, store=None, study=None):
    """After a tune: write the report of ``result`` (with a ``store``: of its ``study``, every trial
    and the intermediate reports it keeps, with the result's test score); a failure is one line on
    stderr and status 2."""
    if path is None:
        return 0
    source, where = (result, {}) if store is None else (store, {"study": study, "test_score": result.test_score})
    try:
        write_report(source, path, space=space, strategy=strategy, title=f"spacedsl tune {file}", **where)
    except OSError as exc:
        print(f"{PROG}: error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
