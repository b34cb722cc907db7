"""The ``spacedsl`` command line.

``spacedsl`` and ``python -m spacedsl`` are the same program. Each subcommand is
a small function that takes the parsed arguments and returns an exit status:

* 0: success;
* 1: a space file has an error, ``fmt --check`` found a file to reformat, or every trial of
  ``tune`` failed;
* 2: bad arguments (argparse) or a file that cannot be read.

Errors in space files are printed compiler-style (``file:line:col: message``,
the source line and a caret) on stderr. A file named ``-`` is standard input.

A new subcommand is one ``_add_NAME(subparsers)`` function that registers its
arguments and ``func``, listed in ``_SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
import tempfile

import spacedsl
from .. import plugins
from ..space import format_text
from ..results.cli import add_parser as _add_report
from ..tooling.diff import add_parser as _add_diff
from ..tooling.lint import add_parser as _add_lint
from ..tooling.lsp import add_parser as _add_lsp
from .console import PROG, error, json_default, non_negative_int, positive_int
from .convert import add_parser as _add_convert
from .listing import add_studies_parser as _add_studies
from .listing import add_trials_parser as _add_trials
from .tune import add_parser as _add_tune

STDIN = "-"


class _CannotRead(Exception):
    """A file that could not be opened or read; the CLI exits with status 2."""

    def __init__(self, path, reason):
        super().__init__(f"cannot read {path}: {reason}")


def _reason(exc):
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _load(path):
    """Parse a space file (``-`` is stdin); `DSLError` propagates, an unreadable file is `_CannotRead`."""
    if path == STDIN:
        return spacedsl.parse(_read_stdin(), filename="<stdin>")
    try:
        return spacedsl.load(path)
    except OSError as exc:
        raise _CannotRead(path, _reason(exc)) from None


def _read_stdin():
    try:
        return sys.stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _CannotRead("<stdin>", _reason(exc)) from None


def _read_text(path):
    """The file's exact text (line endings kept), or None when it is not UTF-8."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except UnicodeDecodeError:
        return None
    except OSError as exc:
        raise _CannotRead(path, _reason(exc)) from None


def _write_text(path, text):
    """Replace a file's contents atomically, keeping its permissions (and following a symlink)."""
    target = os.path.realpath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".spacedsl-fmt-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        try:
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _print_json_lines(configs):
    for config in configs:
        print(json.dumps(config, default=json_default))


# ------------------------------------------------------------------ check
def _add_check(subparsers):
    p = subparsers.add_parser(
        "check", help="check space files for errors",
        description="Parse and check each space file; every file is checked, and each error is "
                    "printed compiler-style on stderr. Exit status 1 if any file has an error.")
    p.add_argument("files", nargs="+", metavar="FILE", help="space file ('-' for stdin)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing for files that are ok")
    p.set_defaults(func=cmd_check)


def cmd_check(args):
    status = 0
    for path in args.files:
        try:
            _load(path)
        except _CannotRead as exc:
            error(str(exc))
            status = 2
        except spacedsl.DSLError as exc:
            print(exc, file=sys.stderr)
            status = max(status, 1)
        else:
            if not args.quiet:
                print(f"{path}: ok")
    return status


# -------------------------------------------------------------------- fmt
def _add_fmt(subparsers):
    p = subparsers.add_parser(
        "fmt", help="rewrite space files in canonical form",
        description="Rewrite each space file in place in canonical form (one statement a line, "
                    "4-space blocks), keeping its comments and single blank lines; files already "
                    "canonical are left untouched. With '-', read stdin and write the result to stdout.")
    p.add_argument("files", nargs="+", metavar="FILE", help="space file ('-' for stdin)")
    p.add_argument("--check", action="store_true",
                   help="change nothing; list the files that would change and exit 1 if any")
    p.add_argument("--strip-comments", action="store_true",
                   help="drop comments and blank lines too: write exactly spacedsl.dumps()")
    p.set_defaults(func=cmd_fmt)


def cmd_fmt(args):
    status = 0
    for path in args.files:
        try:
            status = max(status, _fmt_one(path, args))
        except _CannotRead as exc:
            error(str(exc))
            status = 2
        except spacedsl.DSLError as exc:
            print(exc, file=sys.stderr)
            status = max(status, 1)
    return status


def _formatted(text, filename, strip_comments):
    if strip_comments:
        return spacedsl.dumps(spacedsl.parse(text, filename=filename))
    return format_text(text, filename=filename)


def _fmt_one(path, args):
    if path == STDIN:
        text = _read_stdin()
        canonical = _formatted(text, "<stdin>", args.strip_comments)
        if args.check:
            if text != canonical:
                print("would reformat <stdin>")
                return 1
            return 0
        sys.stdout.write(canonical)
        return 0
    text = _read_text(path)
    if text is None:
        _load(path)  # not UTF-8: raises the DSLError that says so
    canonical = _formatted(text, path, args.strip_comments)
    if text == canonical:
        return 0
    if args.check:
        print(f"would reformat {path}")
        return 1
    try:
        _write_text(path, canonical)
    except OSError as exc:
        error(f"cannot write {path}: {_reason(exc)}")
        return 2
    print(f"reformatted {path}")
    return 0


# ----------------------------------------------------------------- sample
def _add_sample(subparsers):
    p = subparsers.add_parser(
        "sample", help="draw random configurations as JSON lines",
        description="Draw N random configurations from a space and print each as one JSON "
                    "object a line (constants included, inactive parameters absent).")
    p.add_argument("file", metavar="FILE", help="space file ('-' for stdin)")
    p.add_argument("-n", type=non_negative_int, default=1, metavar="N",
                   help="number of configurations (default: 1)")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="S",
                   help="random seed; the same seed gives the same configurations (default: 0)")
    p.set_defaults(func=cmd_sample)


def cmd_sample(args):
    space = _load(args.file)
    _print_json_lines(space.iter_sample(args.n, seed=args.seed))
    return 0


# ------------------------------------------------------------------- grid
def _add_grid(subparsers):
    p = subparsers.add_parser(
        "grid", help="enumerate the grid of configurations as JSON lines",
        description="Print every configuration of the space's grid as one JSON object a line: "
                    "finite domains in full, distributions discretised at K points, inactive "
                    "parameters absent, constraints applied.")
    p.add_argument("file", metavar="FILE", help="space file ('-' for stdin)")
    p.add_argument("--resolution", type=positive_int, default=None, metavar="K",
                   help="points per distribution (default: the library's)")
    p.add_argument("--count", action="store_true", help="print only the number of configurations")
    p.set_defaults(func=cmd_grid)


def cmd_grid(args):
    space = _load(args.file)
    try:
        configs = space.grid() if args.resolution is None else space.grid(resolution=args.resolution)
    except ValueError as exc:  # a resolution the grid refuses up front
        error(str(exc))
        return 2
    if args.count:
        print(sum(1 for _ in configs))
    else:
        _print_json_lines(configs)
    return 0


# ---------------------------------------------------------------- plugins
def _add_plugins(subparsers):
    p = subparsers.add_parser(
        "plugins", help="list every registered strategy, evaluator, distribution and format",
        description="List every strategy, evaluator, distribution and format registered through the "
                    "'spacedsl' entry-point group, with the package and version that provides it.")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.set_defaults(func=cmd_plugins)


def cmd_plugins(args):
    rows = [(kind, name, prov.package, prov.version) for kind, name, prov in plugins.listing()]
    if args.json:
        for kind, name, package, version in rows:
            print(json.dumps({"kind": kind, "name": name, "package": package, "version": version}))
        return 0
    header = ("KIND", "NAME", "PACKAGE", "VERSION")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(4)]
    for row in [header] + rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return 0


# ------------------------------------------------------------------- main
_SUBCOMMANDS = (_add_check, _add_fmt, _add_sample, _add_grid, _add_plugins, _add_tune, _add_studies,
                _add_trials, _add_lint, _add_diff, _add_lsp, _add_convert, _add_report)


def _version():
    try:
        return importlib.metadata.version("spacedsl")
    except importlib.metadata.PackageNotFoundError:
        return getattr(spacedsl, "__version__", "unknown")


def build_parser():
    """The argument parser: one subparser per subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Hyperparameter search spaces written in a small text language.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    _current_folder_first()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, or bad arguments (status 2)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except _CannotRead as exc:
        error(str(exc))
        return 2
    except spacedsl.DSLError as exc:
        print(exc, file=sys.stderr)
        return 1
    except spacedsl.PluginError as exc:
        error(str(exc))
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `spacedsl grid big.space | head`
        _silence_stdout()
        return 1


def _current_folder_first():
    """Let ``--estimator mypipe:make`` import from the current folder, as ``python -m spacedsl`` does
    (the ``spacedsl`` script's ``sys.path`` starts with its own bin folder instead)."""
    cwd = os.getcwd()
    if "" not in sys.path and cwd not in sys.path:
        sys.path.insert(0, cwd)


def _silence_stdout():
    """After a broken pipe, point stdout at devnull so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
