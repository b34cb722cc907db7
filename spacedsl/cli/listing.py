"""``spacedsl studies`` and ``spacedsl trials``: list what a store holds.

    spacedsl studies runs.sqlite [--json]
    spacedsl trials runs.sqlite [--study NAME] [--csv | --json]

Both only read. Decisions:

* The store is opened with ``Store(path, readonly=True)``: a missing file is an
  error (never an empty new store), a read-only file or directory can be listed,
  nothing is created beside it, and a store in use (a search writing to it) is
  read as it stands.
* Times are ISO 8601 in local time with the UTC offset, to the second.
* Tables: one row a study or trial, columns aligned (numbers to the right), a
  blank cell where there is nothing (no value, no seed, a parameter the trial
  did not have), durations in seconds to the millisecond. A parameter's value
  is written as tune's table writes it (``none``, ``true``, floats to 6
  significant digits, tuples in parentheses); an error shows its first line,
  cut to `ERROR_WIDTH` characters.
* ``--csv``: the same columns, full precision (floats as ``repr``), the whole
  error, ``true``/``false``, tuples and lists as JSON arrays, an empty cell for
  a missing value or parameter (and for a parameter that is ``none``).
  ``--json``: one object a line, numbers as stored, the trial's parameters as a
  nested object (tuples become arrays).
* Stopping early: ``pruned`` is a state like the others (a trial stopped at an
  intermediate report keeps its last value); ``studies`` counts it, and
  ``trials`` adds a ``step`` column (the last step a trial reported) and a
  ``max_step`` column (where a budgeted strategy such as ``asha`` stopped it)
  when any trial of the study has one. ``--json`` always has both keys.
* A trial left ``running`` by a process that is gone (see `spacedsl.storage.sqlite`)
  is listed as what opening its study will record: ``failed``, error
  ``interrupted``; the listing itself writes nothing.
* Bad input — a missing file, a file that is not a store, an unknown study, a
  store of several studies without ``--study`` — is one line on stderr and exit
  status 2.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import json
import os
import sys
import types

from ..language.errors import did_you_mean
from ..storage import INTERRUPTED, StoreError, open_storage
from ..storage.sqlite import left_over
from ..storage.trials import best_candidates
from .console import InputError, error, json_default, shorten, step_text, value_text

STATES = ("complete", "pruned", "failed", "running")
ERROR_WIDTH = 60
STUDY_COLUMNS = ("name", "strategy", "direction", "trials", "complete", "pruned", "failed", "running", "best",
                 "created")
TRIAL_COLUMNS = ("number", "state", "value", "duration", "started", "seed", "error")
STEP_COLUMNS = ("step", "max_step")  # after "value", when some trial has one
_NUMERIC = {"trials", "complete", "pruned", "failed", "running", "best", "number", "value", "step", "max_step",
            "duration", "seed"}


# ------------------------------------------------------------------ argparse
def add_studies_parser(subparsers):
    p = subparsers.add_parser(
        "studies", help="list the studies of a store",
        description="List the studies of the store DB (a --storage file): strategy, direction, "
                    "trials by state, best value and when each was created. Reads only.")
    p.add_argument("db", metavar="DB", help="the store (a SQLite file)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.set_defaults(func=cmd_studies)
    return p


def add_trials_parser(subparsers):
    p = subparsers.add_parser(
        "trials", help="list the trials of a study",
        description="List the trials of one study of the store DB: number, state, value, duration, "
                    "start time, seed, error and one param_NAME column a parameter. Reads only.")
    p.add_argument("db", metavar="DB", help="the store (a SQLite file)")
    p.add_argument("--study", metavar="NAME",
                   help="the study (default: the store's only study)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    fmt.add_argument("--json", action="store_true",
                     help="one JSON object a line (the parameters as a nested object)")
    p.set_defaults(func=cmd_trials)
    return p


# ---------------------------------------------------------------- commands
def cmd_studies(args):
    try:
        with _open(args.db) as opened:
            rows = [_study_row(study, _trial_rows(opened, study["name"])) for study in _studies(opened)]
    except InputError as exc:
        return _fail(exc)
    if args.json:
        for row in rows:
            print(json.dumps(row))
    else:
        _print_table(STUDY_COLUMNS, [[_cell(row[c]) for c in STUDY_COLUMNS] for row in rows],
                     right=[c in _NUMERIC for c in STUDY_COLUMNS])
    return 0


def cmd_trials(args):
    try:
        with _open(args.db) as opened:
            name = _pick_study(_studies(opened), args.study, args.db)
            trials = _trial_rows(opened, name)
    except InputError as exc:
        return _fail(exc)
    if args.json:
        for trial in trials:
            row = _trial_fields(trial)
            if _warnings(trial):
                row["warnings"] = _warnings(trial)
            row["params"] = trial["params"]
            print(json.dumps(row, default=json_default))
        return 0
    names = _param_names(trials)
    numeric = [all(_is_number(t["params"][n]) for t in trials if n in t["params"]) for n in names]
    columns = _columns(trials)
    header = list(columns) + [f"param_{n}" for n in names]
    if args.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        for trial in trials:
            fields = _trial_fields(trial)
            fields["warnings"] = "; ".join(_warnings(trial))
            writer.writerow([_csv_cell(fields[c]) for c in columns]
                            + [_csv_cell(trial["params"][n]) if n in trial["params"] else "" for n in names])
        return 0
    rows = []
    for trial in trials:
        fields = _trial_fields(trial)
        fields["error"] = _first_line(fields["error"])
        if fields["duration"] is not None:
            fields["duration"] = f"{fields['duration']:.3f}"
        for key in STEP_COLUMNS:
            fields[key] = step_text(fields[key])
        caught = _warnings(trial)
        fields["warnings"] = (caught[0] + (f" (+{len(caught) - 1} more)" if len(caught) > 1 else "")) if caught else None
        rows.append([_cell(fields[c]) for c in columns]
                    + [value_text(trial["params"][n]) if n in trial["params"] else "" for n in names])
    _print_table(header, rows, right=[c in _NUMERIC for c in columns] + numeric)
    return 0


def _fail(exc):
    error(str(exc))
    return 2


# ------------------------------------------------------------------- reading
@contextlib.contextmanager
def _open(path):
    """The store at ``path``, opened read-only; StoreError and odd files become `InputError`."""
    if not os.path.exists(path):
        raise InputError(f"cannot read {path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"cannot read {path}: it is a directory")
    if os.path.getsize(path) == 0:
        raise InputError(f"{path} is empty: not a spacedsl store")
    with contextlib.ExitStack() as stack:
        try:
            store = stack.enter_context(open_storage(path, readonly=True))
        except StoreError as exc:
            raise _store_error(exc, path) from None
        yield _Named(store, path)


class _Named:
    """A read-only `Store` whose errors become `InputError`."""

    def __init__(self, store, path):
        self.store, self.path = store, path

    def call(self, method, *args):
        try:
            return getattr(self.store, method)(*args)
        except StoreError as exc:
            raise _store_error(exc, self.path) from None


def _store_error(exc, path):
    text = str(exc)
    if "no such table" in text:
        return InputError(f"{path} is not a spacedsl store (it is an SQLite file without the "
                           f"studies and trials tables)")
    return InputError(text)


def _studies(opened):
    return opened.call("studies")


def _trial_rows(opened, study):
    """The study's trial rows, a trial left running by a process that is gone read as interrupted."""
    rows = opened.call("trial_rows", study)
    for row in rows:
        if left_over(row):
            row.update(state="failed", error=INTERRUPTED)
    return rows


def _pick_study(studies, name, path):
    names = [s["name"] for s in studies]
    if name is not None:
        if name not in names:
            known = f"its studies: {shorten(names)}" if names else "it holds no studies"
            raise InputError(f"no study {name!r} in {path} ({known}){did_you_mean(name, names)}")
        return name
    if len(names) == 1:
        return names[0]
    if not names:
        raise InputError(f"{path} holds no studies")
    raise InputError(f"{path} holds {len(names)} studies ({shorten(names)}); pass --study NAME")


# ------------------------------------------------------------------- rows
def _study_row(study, trials):
    direction = study.get("direction") or "minimize"
    counts = {state: sum(t["state"] == state for t in trials) for state in STATES}
    candidates = best_candidates([types.SimpleNamespace(**t) for t in trials if t["value"] is not None])
    values = [t.value for t in candidates]  # the complete trials' (or, if none, the furthest pruned ones')
    best = (max if direction == "maximize" else min)(values) if values else None
    return {"name": study["name"], "strategy": study["strategy"], "direction": direction,
            "trials": len(trials), **counts, "best": best, "created": _iso(study["created"])}


def _warnings(trial):
    """The warnings a trial kept (``spacedsl tune`` collects them), as texts."""
    info = trial.get("info")
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except ValueError:
            return []
    caught = info.get("warnings") if isinstance(info, dict) else None
    return [str(w) for w in caught] if isinstance(caught, list) else []


def _columns(trials):
    """The table's and CSV's columns: the fixed ones, ``step`` and ``max_step`` after ``value`` when a
    trial has one, ``warnings`` when a trial kept any."""
    capped = any(t.get("max_step") is not None for t in trials)
    steps = ("step",) * (capped or any(t.get("step") is not None for t in trials)) + ("max_step",) * capped
    columns = TRIAL_COLUMNS[:3] + steps + TRIAL_COLUMNS[3:]
    return columns + (("warnings",) if any(_warnings(t) for t in trials) else ())


def _trial_fields(trial):
    return {"number": trial["number"], "state": trial["state"], "value": trial["value"],
            "step": trial.get("step"), "max_step": trial.get("max_step"), "duration": trial.get("duration"), "started": _iso(trial.get("started")),
            "seed": trial.get("seed"), "error": trial.get("error")}


def _param_names(trials):
    """Every parameter name, in order of first appearance."""
    seen = {}
    for trial in trials:
        for name in trial["params"]:
            seen.setdefault(name, None)
    return list(seen)


def _iso(timestamp):
    if timestamp is None:
        return None
    return datetime.datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _first_line(text):
    if not text:
        return text
    lines = text.strip().splitlines()
    line = lines[0] if lines else ""
    if len(line) > ERROR_WIDTH or len(lines) > 1:
        line = line[:ERROR_WIDTH - 3] + "..."
    return line


# ------------------------------------------------------------------ cells
def _cell(value):
    """A field in a table: blank for None (nothing there); a parameter's None is `value_text`'s ``none``."""
    return "" if value is None else value_text(value)


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (tuple, list, dict)):
        return json.dumps(value)
    return str(value)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _print_table(header, rows, right):
    """Columns two spaces apart, those flagged in ``right`` right-aligned, no trailing spaces."""
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(len(header))]
    for row in [list(header)] + rows:
        cells = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right)]
        print("  ".join(cells).rstrip())
