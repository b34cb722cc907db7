"""``spacedsl convert``: a ``.space`` file in another tool's text, or another tool's text as a ``.space`` file.

``spacedsl convert FILE --to FORMAT [-o OUT] [--lossy] [--option KEY=VALUE]`` writes the
format's text (``dumps``); ``spacedsl convert --from FORMAT FILE [-o OUT]`` reads it
(``loads``) and writes canonical ``.space`` text. A space the format cannot carry
exactly is refused with one message listing every statement (file:line:col),
exit status 2; ``--lossy`` converts the rest and lists what was dropped on stderr.
"""

from __future__ import annotations

import json
import sys
import warnings

import spacedsl
from spacedsl import plugins
from spacedsl.formats import ConversionError, LossyConversion, MissingExtraError

PROG = "spacedsl"


def add_parser(subparsers):
    p = subparsers.add_parser(
        "convert", help="convert a space to another tool's format, or back (--from)",
        description="Write a .space file in another tool's format (--to), or read another tool's file "
                    "into canonical .space text (--from). What the format cannot express exactly is "
                    "refused, every such statement listed with file:line:col (exit 2); --lossy converts "
                    "the rest and lists what was dropped on stderr. `spacedsl plugins` lists the formats.")
    p.add_argument("file", metavar="FILE", help="the file to convert ('-' reads stdin)")
    way = p.add_mutually_exclusive_group(required=True)
    way.add_argument("--to", metavar="FORMAT", help="write FILE (a .space file) in this format")
    way.add_argument("--from", dest="source", metavar="FORMAT", help="read FILE in this format, write .space text")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    p.add_argument("--lossy", action="store_true", help="drop what the format cannot carry, listing it on stderr")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="an option of the format's writer, e.g. --option resolution=3 (VALUE read as JSON "
                        "when it parses)")
    p.set_defaults(func=run)


def _options(items):
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"--option needs KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _read(path):
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    with open(path, encoding="utf-8") as fh:
        return fh.read(), path


def run(args):
    try:
        options = _options(args.option)
        text, name = _read(args.file)
    except (ValueError, OSError) as exc:
        return _fail(str(exc) if isinstance(exc, ValueError) else f"cannot read {args.file}: {exc.strerror or exc}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LossyConversion)
        try:
            if args.to is not None:
                fmt = plugins.format(args.to)
                if not hasattr(fmt, "dumps"):
                    return _fail(f"the {args.to} format has no text form; use spacedsl.convert(space, "
                                 f"{args.to!r}) in Python")
                out = fmt.dumps(spacedsl.parse(text, filename=name), lossy=args.lossy, **options)
            else:
                fmt = plugins.format(args.source)
                if not hasattr(fmt, "loads"):
                    return _fail(f"the {args.source} format cannot be read from text")
                out = spacedsl.dumps(fmt.loads(text, lossy=args.lossy, **options))
        except ConversionError as exc:
            return _fail(str(exc).replace("lossy=True (spacedsl convert --lossy)", "--lossy"))
        except MissingExtraError as exc:
            return _fail(str(exc))
        except spacedsl.DSLError:
            raise
        except (ValueError, TypeError) as exc:  # the other tool's text is malformed
            return _fail(f"{name} is not valid {args.source or args.to} input: {exc}")
    for w in caught:
        if issubclass(w.category, LossyConversion):
            print(f"{PROG}: {w.message}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(out)
    else:
        sys.stdout.write(out)
    return 0
