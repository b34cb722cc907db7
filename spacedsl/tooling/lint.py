"""``spacedsl lint``: what a reviewer wants to know about a space file beyond its errors.

`lint_text` is the API (the language server calls it for diagnostics); ``spacedsl lint FILE...``
prints its findings compiler-style, or as JSON with ``--json``. Each finding has a code (table in
`CODES`); a comment ``# spacedsl: ignore[S101]`` (or ``ignore[S101, S105]``, or a bare ``ignore``)
on a finding's first line silences it there. Errors (``S001``, ``S002``) cannot be silenced: they are
what ``spacedsl check`` reports.
"""

from __future__ import annotations

import json
import math
import re
import sys

import attrs
import numpy as np

from ..language import ast
from ..language.errors import DSLError, DSLSyntaxError
from ..language.printer import expr_text, literal_text
from ..space import parse
from ..space.model import MISSING, decode
from ..space.survey import Survey, rarely_feasible, survey

SEVERITIES = ("error", "warning", "info")
LOG_SPAN = 1000.0  # uniform(low, high) with 0 < low and high / low at least this: likely a log scale
DEFAULT_TRIES = 256  # draws of the parameters without a default when checking the defaults

CODES = {
    "S001": ("error", "syntax error (what `spacedsl check` says)"),
    "S002": ("error", "semantic error (what `spacedsl check` says)"),
    "S101": ("warning", "an `if` condition never holds: its block is dead"),
    "S102": ("warning", "an `if` condition always holds: the `if` is pointless (its `else` is dead)"),
    "S103": ("warning", "a constraint never binds: every configuration meets it"),
    "S104": ("warning", "defaults no strategy can reach: together they break a constraint"),
    "S105": ("warning", "a domain with one value: a constant in disguise"),
    "S106": ("info", "a `loguniform` spanning less than a decade"),
    "S107": ("info", "a linear range so wide a log scale was likely meant"),
    "S108": ("warning", "a choice value no configuration meeting the constraints takes"),
    "S109": ("info", "a default that never takes effect: its block is inactive under the other defaults"),
    "S110": ("warning", "the constraints reject most draws"),
    "S111": ("warning", "an ignore comment naming a code lint does not have"),
}


@attrs.frozen
class Finding:
    """One thing lint says about a file.

    Attributes:
        code: ``S001`` ... (see `CODES`).
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        message: What is wrong, one line.
        fix: How to fix it, one line.
        filename: The file.
        line: 1-based first line.
        column: 1-based first column.
        end_line: Line of the character just past the span.
        end_column: Column of the character just past the span.
    """

    code: str
    severity: str
    message: str
    fix: str
    filename: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self):
        head = f"{self.filename}:{self.line}:{self.column}: {self.severity} {self.code}: {self.message}"
        return f"{head}\n    fix: {self.fix}" if self.fix else head

    def to_dict(self):
        return attrs.asdict(self)


@attrs.frozen
class Report:
    """Lint's findings on one file and what it measured.

    Attributes:
        filename: The file.
        findings: Every finding not silenced, by position.
        parameters: Number of searched parameters (None when the file has errors).
        survey: Grid size, feasible fraction, ... (`survey.Survey`; None when the file has errors).
    """

    filename: str
    findings: tuple = attrs.field(converter=tuple)
    parameters: int | None = None
    survey: Survey | None = None

    @property
    def errors(self):
        return sum(f.severity == "error" for f in self.findings)

    def summary(self):
        """One line: parameters, grid size, feasible fraction."""
        if self.survey is None:
            return f"{self.filename}: not checked further (errors)"
        s = self.survey
        size = _count(s.grid_size)
        noun = "configuration" if s.grid_size == 1 else "configurations"
        grid = f"{size} {noun}" if s.grid_exact else f"at most {size} {noun}"
        return (f"{self.filename}: {self.parameters} parameters; grid at resolution 5: {grid}; "
                f"feasible: {s.fraction.describe()}")

    def to_dict(self):
        out = {"file": self.filename, "parameters": self.parameters, "grid_size": None,
               "grid_size_log10": None, "grid_size_exact": None, "feasible": None}
        if self.survey is not None:
            out["grid_size"] = self.survey.grid_size
            out["grid_size_log10"] = _log10(self.survey.grid_size)
            out["grid_size_exact"] = self.survey.grid_exact
            out["feasible"] = self.survey.fraction.to_dict()
        out["findings"] = [f.to_dict() for f in self.findings]
        return out


def _count(n):
    if n < 10**15:
        return f"{n:,}"
    digits = str(n)
    return f"{digits[0]}.{digits[1:3]}e{len(digits) - 1}"


def _log10(n):
    return math.log10(n) if n > 0 else None


# ------------------------------------------------------------------ the API


def lint_text(text, filename="<string>"):
    """The findings on space text (str or bytes), by position: errors as `spacedsl check` reports them,
    then warnings and notes. Never raises for bad input."""
    return list(lint_report(text, filename).findings)


def lint_report(text, filename="<string>"):
    """Lint space text: a `Report` with the findings and the measurements."""
    try:
        space = parse(text, filename=filename)
    except DSLError as exc:
        return Report(filename, [_error_finding(exc, text, filename)])
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    src = _Source(text.removeprefix("\ufeff"), filename)  # as the parser reads it
    measured = survey(space)
    findings = _Checks(space, src, measured).run()
    findings = [f for f in findings if not src.ignored(f)]
    findings.sort(key=lambda f: (f.line, f.column, f.code))
    return Report(filename, findings, len(space.names), measured)


def _error_finding(exc, text, filename):
    code = "S001" if isinstance(exc, DSLSyntaxError) else "S002"
    line, column = exc.line or 1, exc.column or 1
    end = column + 1
    if exc.source_line is not None:
        m = _WORD.match(exc.source_line, column - 1)
        if m is not None and m.end() > column - 1:
            end = m.end() + 1
    return Finding(code, "error", exc.message, "see the message; `spacedsl check` reports the same",
                   exc.filename or filename, line, column, line, end)


_WORD = re.compile(r"[A-Za-z0-9_.]+|\S")
_LEX = re.compile(r'"(?:[^"\\\r\n]|\\.)*"|\'(?:[^\'\\\r\n]|\\.)*\'|#[^\r\n]*')
_IGNORE = re.compile(r"\bspacedsl:\s*ignore\b(?:\[([^\]]*)\])?")


class _Source:
    """The text's lines, and the ignore comments in them."""

    def __init__(self, text, filename):
        self.filename = filename
        self.lines = text.split("\n")
        self.comment_at = {}  # line -> column (0-based) where its comment starts
        self.ignores = {}  # line -> set of codes, or None for every code
        for i, line in enumerate(self.lines, 1):
            for m in _LEX.finditer(line):
                if m.group().startswith("#"):
                    self.comment_at[i] = m.start()
                    for ig in _IGNORE.finditer(m.group()):
                        codes = ig.group(1)
                        if codes is None or self.ignores.get(i, set()) is None:
                            self.ignores[i] = None
                        else:
                            self.ignores.setdefault(i, set()).update(
                                c.strip().upper() for c in codes.split(",") if c.strip())
                    break

    def ignored(self, finding):
        if finding.severity == "error" or finding.line not in self.ignores:
            return False
        codes = self.ignores[finding.line]
        return codes is None or finding.code in codes

    def line_end(self, line):
        """Column just past the last code character of a line (before its comment)."""
        if not 1 <= line <= len(self.lines):
            return 1
        text = self.lines[line - 1]
        text = text[:self.comment_at.get(line, len(text))]
        return len(text.rstrip()) + 1

    def after_closers(self, line, column):
        """Extend a position past the closing brackets that follow it."""
        if not 1 <= line <= len(self.lines):
            return column
        text = self.lines[line - 1]
        i = column - 1
        while True:
            j = i
            while j < len(text) and text[j] in " \t":
                j += 1
            if j < len(text) and text[j] in ")]":
                i = j + 1
            else:
                return i + 1


def _leaves(expr):
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name | ast.Literal):
            if node.pos is not None:
                yield node.pos
        elif isinstance(node, ast.Unary):
            stack.append(node.operand)
        elif isinstance(node, ast.Binary):
            stack += [node.left, node.right]
        elif isinstance(node, ast.Membership):
            stack.append(node.operand)
            stack += list(node.values)


class _Checks:
    """Turns a space and its survey into findings."""

    def __init__(self, space, src, measured):
        self.space, self.src, self.survey = space, src, measured
        self.model = space.model
        self.findings = []

    def add(self, code, message, fix, span):
        line, column, end_line, end_column = span
        self.findings.append(Finding(code, CODES[code][0], message, fix, self.src.filename,
                                     line, column, end_line, end_column))

    def run(self):
        self._ignore_comments()
        self._conditions()
        self._constraints()
        self._defaults()
        self._domains(self.space.statements)
        self._unseen()
        self._fraction()
        return self.findings

    # ---------------------------------------------------------------- spans
    def _statement_span(self, pos):
        return pos.line, pos.column, pos.line, max(self.src.line_end(pos.line), pos.column + 1)

    def _expr_span(self, start, expr):
        """From ``start`` (a Pos: the keyword) to the end of the expression."""
        ends = [(p.end_line, p.end_column) for p in _leaves(expr)]
        if not ends:
            return self._statement_span(start)
        end_line, end_column = max(ends)
        return start.line, start.column, end_line, self.src.after_closers(end_line, end_column)

    def _ignore_comments(self):
        for line, codes in sorted(self.src.ignores.items()):
            for code in sorted(codes or ()):
                if code not in CODES:
                    text = self.src.lines[line - 1]
                    column = text.upper().find(code, self.src.comment_at[line]) + 1
                    self.add("S111", f"'# spacedsl: ignore[{code}]' names no lint code, so it silences nothing",
                             f"use one of {', '.join(c for c in CODES if c >= 'S1')}",
                             (line, column, line, column + len(code)))

    # ----------------------------------------------------------- conditions
    def _conditions(self):
        dead_blocks = set()
        for s in self.survey.ifs:
            node = s.node
            if node.pos is None or not s.seen_feasible:
                continue  # inside a dead block: that block's finding says it
            if any(id(g) in dead_blocks for g, _ in s.outer):
                continue
            cond = f"if {expr_text(node.condition)}"
            span = self._expr_span(node.pos, node.condition)
            no = "no configuration" if s.exact else "none of the grid points and seeded draws checked"
            every = "every configuration" if s.exact else "every grid point and seeded draw checked"
            likely = "" if s.exact else "likely "
            if not s.true_feasible:
                dead_blocks.add(id(node.condition))
                why = "" if not s.true else " that meets the constraints"
                self.add("S101", f"'{cond}' holds in {no}{why}: its block is {likely}dead",
                         "fix the condition, or delete the block", span)
            elif not s.false_feasible:
                why = "" if not s.false else " that meets the constraints"
                what = f"its else block is {likely}dead" if node.orelse else f"the if is {likely}pointless"
                fix = "fix the condition, or drop the else block" if node.orelse else \
                    "fix the condition, or move the block's statements out of the if"
                self.add("S102", f"'{cond}' holds in {every}{why}: {what}", fix, span)

    def _constraints(self):
        for s in self.survey.wheres:
            c = s.constraint
            if c.pos is None or not s.seen or s.broken:
                continue
            checked = "every configuration" if s.exact else "every grid point and seeded draw checked"
            self.add("S103", f"'where {c.text}' never binds: {checked} meets it",
                     "delete it, or tighten it if it was meant to exclude something",
                     self._expr_span(c.pos, c.condition))

    # ------------------------------------------------------------- defaults
    def _defaults(self):
        model = self.model
        defaulted = {d.index for d in model.dims if d.default is not MISSING}
        if not defaulted:
            return
        fixed = {}
        for d in model.dims:
            if d.index in defaulted:
                fixed[d.index] = float(d.default) if d.prior is not None else d.finite.index_of(d.default)
        defaults_pos = self._default_positions()
        batch = _decode_defaults(model, fixed, defaulted)
        for c in model.constraints:
            named = sorted(j for j in c.requires if j in defaulted)
            if not named:
                continue
            active = batch.activity(c.guards)
            holds = batch.evaluator.truth(c.condition)
            ok = holds if active is None else holds | ~active
            if ok.any():
                continue
            exact = c.requires <= defaulted
            names = [n for j in named for n in model.dims[j].names]
            shown = ", ".join(f"{n} = {literal_text(self.space.defaults[n])}" for n in names)
            span = defaults_pos.get(names[0]) or self._expr_span(c.pos, c.condition)
            rest = "" if exact else f" (with any of {DEFAULT_TRIES} draws of the other parameters)"
            self.add("S104", f"the defaults {shown} break 'where {c.text}' (line {c.pos.line}){rest}: "
                     "no strategy can try them", "change a default so the constraint holds, or drop it", span)
        for d in model.dims:
            if d.index not in defaulted or not d.guards:
                continue
            active = batch.active[d.index]
            if active is None or active.any():
                continue
            exact = d.requires <= defaulted
            rest = "" if exact else f" in any of {DEFAULT_TRIES} draws"
            for name in d.names:
                span = defaults_pos.get(name) or self._statement_span(d.pos)
                self.add("S109", f"the default of '{name}' is never tried: its block is inactive under the "
                         f"other defaults{rest}", "drop this default, or change the defaults its block's "
                         "condition names", span)
                break

    def _default_positions(self):
        out = {}
        stack = list(self.space.statements)
        while stack:
            s = stack.pop()
            if isinstance(s, ast.Param) and s.default is not None and s.default.pos is not None:
                out[s.name] = self._literal_span(s.default.pos)
            elif isinstance(s, ast.Tied) and s.default and s.default[0].pos is not None:
                for name in s.names:
                    out[name] = self._literal_span(s.default[0].pos)
            elif isinstance(s, ast.If):
                stack += list(s.body) + list(s.orelse)
        return out

    def _literal_span(self, pos):
        return pos.line, pos.column, pos.end_line, pos.end_column

    # -------------------------------------------------------------- domains
    def _domains(self, statements):
        for s in statements:
            if isinstance(s, ast.If):
                self._domains(s.body)
                self._domains(s.orelse)
            elif isinstance(s, ast.Tied) and len(s.rows) == 1 and s.pos is not None:
                self.add("S105", f"({', '.join(s.names)}) has one tuple to choose from",
                         "write each as a constant (name = value), or add tuples", self._statement_span(s.pos))
            elif isinstance(s, ast.Param) and s.pos is not None:
                self._param(s)

    def _param(self, s):
        dom, span = s.domain, self._statement_span(s.pos)
        j, _ = self.model.by_name[s.name]
        dim = self.model.dims[j]
        if dim.finite is not None and dim.finite.size == 1:
            value = literal_text(dim.finite.values[0])
            self.add("S105", f"'{s.name}' has one value ({value}) to choose from",
                     f"write a constant: {s.name} = {value}", span)
            return
        if not isinstance(dom, ast.Distribution) or len(dom.args) < 2:
            return
        low, high = dom.args[0].value, dom.args[1].value
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
            return
        if dom.name == "loguniform" and 0 < low < high and high / low < 10:
            decades = math.log10(high / low)
            self.add("S106", f"'{s.name}' ~ loguniform({literal_text(low)}, {literal_text(high)}) spans "
                     f"{decades:.2f} decades: on less than one, a log scale is close to a linear one",
                     f"use uniform({literal_text(low)}, {literal_text(high)}), or widen the range", span)
        elif dom.name in ("uniform", "randint") and 0 < low and high / low >= LOG_SPAN:
            decades = math.log10(high / low)
            top = (high - high / 10) / (high - low)
            log = f"loguniform({literal_text(low)}, {literal_text(high)})" + (
                " with ': int'" if dom.name == "randint" else "")
            self.add("S107", f"'{s.name}' ~ {dom.name}({literal_text(low)}, {literal_text(high)}) spans "
                     f"{decades:.1f} decades on a linear scale: {top:.0%} of draws fall in the top decade",
                     f"use {log} if every decade matters", span)

    # ------------------------------------------------------- constraints' reach
    def _unseen(self):
        for dim, missing in self.survey.unseen:
            if dim.pos is None:
                continue
            values = [dim.finite.values[k] for k in missing]
            shown = ", ".join(literal_text(v) for v in values[:5]) + (", ..." if len(values) > 5 else "")
            many = len(values) > 1
            self.add("S108", f"{'values' if many else 'value'} {shown} of '{dim.label}' "
                     f"{'are' if many else 'is'} in no configuration that meets the constraints",
                     "remove the value, or loosen the constraint that excludes it",
                     self._statement_span(dim.pos))

    def _fraction(self):
        rare = rarely_feasible(self.survey)
        if rare is None:
            return
        fraction, c = rare
        per = f"about {1 / fraction.value:,.0f}" if fraction.value > 0 else "thousands of"
        self.add("S110", f"only {fraction.describe()} of draws meet the constraints (the tightest is "
                 f"'where {c.text}'): sampling draws {per} configurations for each one kept",
                 "loosen the constraints, or narrow the domains they name so most draws meet them",
                 self._expr_span(c.pos, c.condition))


def _decode_defaults(model, fixed, defaulted):
    """`DEFAULT_TRIES` rows: every default given, the rest drawn (only the dimensions checks read)."""
    need = set()
    for c in model.constraints:
        if c.requires & defaulted:
            need |= c.requires
    for j in defaulted:
        if model.dims[j].guards:
            need |= model.dims[j].requires | {j}
    dims = sorted(need)
    rng = np.random.default_rng(0)
    return decode(model, rng.random((DEFAULT_TRIES, len(dims))), dims, fixed=fixed)


# ------------------------------------------------------------------ the CLI


def add_parser(subparsers):
    """Register ``spacedsl lint``."""
    p = subparsers.add_parser(
        "lint", help="warn about dead conditions, idle constraints, unreachable defaults, ...",
        description="Check each space file and report what a reviewer wants to know beyond errors: "
                    "grid size, feasible fraction, dead or pointless conditions, constraints that never "
                    "bind, unreachable defaults, one-value choices, doubtful scales. Silence a finding "
                    "with '# spacedsl: ignore[CODE]' on its line. Exit status 1 if any file has an error, "
                    "0 with warnings only, 2 if a file cannot be read.")
    p.add_argument("files", nargs="+", metavar="FILE", help="space file ('-' for stdin)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout, for CI")
    p.set_defaults(func=cmd_lint)


def cmd_lint(args):
    reports, status = [], 0
    for path in args.files:
        try:
            text, name = read_space_file(path)
        except OSError as exc:
            print(f"spacedsl: error: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
            status = 2
            continue
        report = lint_report(text, name)
        reports.append(report)
        if report.errors:
            status = max(status, 1)
    if args.json:
        counts = {sev: sum(f.severity == sev for r in reports for f in r.findings) for sev in SEVERITIES}
        print(json.dumps({"files": [r.to_dict() for r in reports], **{f"{k}s": v for k, v in counts.items()}},
                         indent=2))
        return status
    for report in reports:
        for finding in report.findings:
            print(finding)
        print(report.summary())
    return status


def read_space_file(path):
    """(bytes, display name) of a space file; ``-`` reads stdin. Raises OSError."""
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    with open(path, "rb") as fh:
        return fh.read(), path
