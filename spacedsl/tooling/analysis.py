"""What an editor asks of one version of a ``.space`` file, without any editor protocol.

`Document` parses and checks the text once and answers: its error (what ``spacedsl check``
says, where it says it), the names it declares and every place a condition names them, hover
text, and completions. Positions are 0-based lines and 0-based columns counted in characters
(code points); the language server converts them to what its client counts.
"""

from __future__ import annotations

import bisect
import inspect
import math
import re

import attrs
import numpy as np

import spacedsl
from spacedsl import plugins
from spacedsl.language import ast
from spacedsl.language.parser import parse_statements
from spacedsl.language.printer import domain_text, expr_text, literal_text
from spacedsl.space.distributions import scipy_distribution, scipy_names, scipy_signature

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = re.compile(rf"{_NAME}(?:[ \t]*\.[ \t]*{_NAME})*")
_WORD = re.compile(r"[A-Za-z0-9_.]+")
# one token of spacedsl text, to give an error's position a width
_TOKEN = re.compile(rf"""{_NAME}(?:\.{_NAME})*|[0-9][0-9_]*(?:\.[0-9][0-9_]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+
                     |"(?:[^"\\\r\n]|\\.)*"?|'(?:[^'\\\r\n]|\\.)*'?|\.\.|==|!=|<=|>=|\S""", re.VERBOSE)
_TIED_PART = re.compile(rf"#[^\r\n]*|{_NAME}(?:[ \t]*\.[ \t]*{_NAME})*|\)")
_KEYWORDS = ("and", "or", "not", "in", "true", "false", "none")
# a declaration at the start of a statement: `name in`, `name ~`, `name: int`, `name = 1`, `(a, b) in`
_DECLARED = re.compile(rf"(?:^|[;{{])\s*(?:({_NAME}(?:\.{_NAME})*)\s*(?:in\b|~|:|=(?!=))|\(([^()]*)\)\s*in\b)")


@attrs.frozen
class Span:
    """A range of text: 0-based lines, 0-based character columns, the end just past it.

    Attributes:
        line: First line.
        column: First column.
        end_line: Line of the end.
        end_column: Column just past the last character.
    """

    line: int
    column: int
    end_line: int
    end_column: int

    def contains(self, line, column):
        return (self.line, self.column) <= (line, column) <= (self.end_line, self.end_column)


@attrs.frozen
class Diagnostic:
    """A problem to underline.

    Attributes:
        span: Where.
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        message: What is wrong (and, for lint findings, how to fix it).
        code: The lint code, or None for what ``spacedsl check`` reports.
    """

    span: Span
    severity: str
    message: str
    code: str | None = None


@attrs.frozen
class Symbol:
    """A name the file declares.

    Attributes:
        name: The (possibly dotted) name.
        span: Where the declaration writes it.
        statement: The declaring statement (`ast.Param`, `ast.Constant` or `ast.Tied`).
        guards: The conditions under which it is active, outermost first, as text.
    """

    name: str
    span: Span
    statement: object
    guards: tuple = ()


@attrs.frozen
class Completion:
    """One completion item.

    Attributes:
        label: What the list shows and inserts.
        kind: ``"distribution"``, ``"argument"``, ``"parameter"`` or ``"keyword"``.
        detail: A signature or a domain, shown beside the label.
        insert: The text to insert (defaults to the label).
    """

    label: str
    kind: str
    detail: str = ""
    insert: str | None = None


class Document:
    """One version of a space file, parsed and checked once.

    Attributes:
        text: The text.
        filename: The file's name, for messages.
        error: The `spacedsl.DSLError` ``spacedsl check`` would report, or None.
        space: The checked `spacedsl.Space`, or None when the text has an error.
        symbols: Declared names, by name.
        references: ``(name, span)`` for every name a condition uses, in file order.

    A `StatementCache` passed as ``cache`` (one per open file) parses only what an edit changed.
    """

    def __init__(self, text, filename="<string>", cache=None):
        self.text = text
        self.filename = filename
        self.lines = text.split("\n")
        self._starts = [0]
        for line in self.lines[:-1]:
            self._starts.append(self._starts[-1] + len(line) + 1)
        self.error = None
        self.space = None
        self.symbols = {}
        self.references = []
        statements = None
        try:
            if cache is None:
                statements, source = parse_statements(text, filename)
            else:
                statements, source = cache.parse(text, filename)
            self.space = spacedsl.Space.from_statements(statements, source)
            statements = self.space.statements
        except spacedsl.DSLError as exc:
            self.error = exc
        except Exception as exc:  # a bug in spacedsl: say so in the editor rather than say nothing
            self.error = spacedsl.DSLError(f"spacedsl failed on this file ({type(exc).__name__}: {exc}); "
                                           "please report it", filename)
            statements = None
        if statements is not None:
            self._index(statements, ())

    # ----------------------------------------------------------------- spans
    def _offset(self, line, column):
        """Text offset of a 1-based (line, column)."""
        return self._starts[line - 1] + column - 1

    def span_at(self, offset, length):
        """The span of ``length`` characters from a text offset."""
        return Span(*self._position(offset), *self._position(offset + length))

    def _position(self, offset):
        line = bisect.bisect_right(self._starts, offset) - 1
        return line, offset - self._starts[line]

    def _name_span(self, pos, name):
        """Where a name written at a 1-based position ends (dotted names may hold spaces)."""
        start = self._offset(pos.line, pos.column)
        m = _DOTTED.match(self.text, start)
        return self.span_at(start, m.end() - start if m else len(name.split(".")[0]))

    def error_span(self, exc):
        """The token a `DSLError` points at (zero width past the end of the input)."""
        if exc.line is None or exc.line > len(self.lines):
            return Span(0, 0, 0, 0) if exc.line is None else self.span_at(len(self.text), 0)
        line = self.lines[exc.line - 1]
        column = min(exc.column - 1, len(line))
        m = _TOKEN.match(line, column)
        start = self._starts[exc.line - 1] + column
        return self.span_at(start, m.end() - column if m else 0)

    # ----------------------------------------------------------------- index
    def _index(self, statements, guards):
        for s in statements:
            if isinstance(s, ast.Param | ast.Constant) and s.pos is not None:
                self._declare(s.name, self._name_span(s.pos, s.name), s, guards)
            elif isinstance(s, ast.Tied) and s.pos is not None:
                offset = self._offset(s.pos.line, s.pos.column) + 1
                names = iter(s.names)
                for m in _TIED_PART.finditer(self.text, offset):
                    if m.group() == ")":
                        break
                    if m.group().startswith("#"):
                        continue
                    name = next(names, None)
                    if name is not None:
                        self._declare(name, self.span_at(m.start(), m.end() - m.start()), s, guards)
            elif isinstance(s, ast.Where):
                self._refer(s.condition)
            elif isinstance(s, ast.If):
                self._refer(s.condition)
                cond = expr_text(s.condition)
                self._index(s.body, guards + (cond,))
                self._index(s.orelse, guards + (f"not ({cond})",))

    def _declare(self, name, span, statement, guards):
        self.symbols.setdefault(name, Symbol(name, span, statement, guards))

    def _refer(self, expr):
        stack = [expr]
        found = []
        while stack:
            e = stack.pop()
            if isinstance(e, ast.Name) and e.pos is not None:
                found.append((e.name, self._name_span(e.pos, e.name)))
            elif isinstance(e, ast.Unary | ast.Membership):
                stack.append(e.operand)
            elif isinstance(e, ast.Binary):
                stack += [e.right, e.left]
        self.references += sorted(found, key=lambda r: (r[1].line, r[1].column))

    # --------------------------------------------------------------- queries
    def diagnostics(self):
        """What ``spacedsl check`` reports: its message, at its place."""
        if self.error is None:
            return []
        return [Diagnostic(self.error_span(self.error), "error", self.error.message)]

    def name_at(self, line, column):
        """``(name, span)`` of the declared or referenced name under a position, or None."""
        for symbol in self.symbols.values():
            if symbol.span.contains(line, column):
                return symbol.name, symbol.span
        for name, span in self.references:
            if span.contains(line, column):
                return name, span
        return None

    def definition(self, line, column):
        """The span declaring the name under a position, or None."""
        hit = self.name_at(line, column)
        symbol = self.symbols.get(hit[0]) if hit else None
        return symbol.span if symbol else None

    def references_to(self, line, column, include_declaration=True):
        """Every span naming the same parameter as the name under a position."""
        hit = self.name_at(line, column)
        if hit is None:
            return []
        name = hit[0]
        spans = [span for n, span in self.references if n == name]
        symbol = self.symbols.get(name)
        if include_declaration and symbol is not None:
            spans.insert(0, symbol.span)
        return spans

    def hover(self, line, column):
        """Markdown about the name (or distribution) under a position, or None."""
        hit = self.name_at(line, column)
        if hit is not None and hit[0] in self.symbols:
            return describe(self.symbols[hit[0]], self.space), hit[1]
        word = self._word_at(line, column)
        if word is not None:
            factory = _factory(word[0])
            if factory is not None:
                return f"```\n{word[0]}{_signature(word[0], factory)}\n```\ndistribution", word[1]
        return None

    def _word_at(self, line, column):
        if line >= len(self.lines):
            return None
        for m in _WORD.finditer(self.lines[line]):
            if m.start() <= column <= m.end():
                return m.group(), Span(line, m.start(), line, m.end())
        return None

    def completions(self, line, column):
        """What may be typed at a position: distribution names after ``~``, their keyword
        arguments inside ``(...)``, parameter names and operators in conditions."""
        if line >= len(self.lines):
            return []
        before = self.lines[line][:column]
        m = re.search(rf"~\s*((?:{_NAME}\.)*(?:{_NAME})?)$", before)
        if m:
            return distribution_completions(m.group(1))
        call = _open_call(self.text[:self._starts[line] + column])
        if call is not None:
            return argument_completions(*call)
        if re.match(r"\s*(?:\}\s*else\s+)?(?:if|where)\b", before):
            return self._condition_completions(line)
        return []

    def _condition_completions(self, line):
        if self.error is None:
            items = [Completion(s.name, "parameter", _domain_summary(s)) for s in self.symbols.values()
                     if s.span.line < line]
        else:  # the condition being typed is an error itself: find the declarations by their shape
            names = []
            for text in self.lines[:line]:
                for m in _DECLARED.finditer(text):
                    names += re.findall(rf"{_NAME}(?:\.{_NAME})*", m.group(1) or m.group(2))
            items = [Completion(n, "parameter") for n in dict.fromkeys(names)]
        return items + [Completion(k, "keyword") for k in _KEYWORDS]


# ----------------------------------------------------------------- describing


def _number(x):
    x = float(x)
    if x == math.floor(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


def _domain_summary(symbol):
    s = symbol.statement
    if isinstance(s, ast.Param):
        return (f": {s.type} " if s.type else "") + domain_text(s.domain)
    if isinstance(s, ast.Constant):
        return f"= {literal_text(s.value.value)}"
    return f"tied ({', '.join(s.names)}), {len(s.rows)} rows"


def describe(symbol, space):
    """Markdown for a declared name: its declaration, its distribution's median and 5-95 % range,
    how many values a finite domain has, and when it is active."""
    s = symbol.statement
    out = []
    if isinstance(s, ast.Param):
        head = s.name + (f": {s.type}" if s.type else "") + " " + domain_text(s.domain)
        if s.default is not None:
            head += f" = {literal_text(s.default.value)}"
        out.append(f"```\n{head}\n```")
    elif isinstance(s, ast.Constant):
        out.append(f"```\n{s.name} = {literal_text(s.value.value)}\n```\nconstant: in every configuration, never searched")
    else:
        rows = ", ".join(literal_text(tuple(v.value for v in row)) for row in s.rows[:4])
        more = ", ..." if len(s.rows) > 4 else ""
        others = ", ".join(n for n in s.names if n != symbol.name)
        out.append(f"```\n({', '.join(s.names)}) in [{rows}{more}]\n```")
        out.append(f"tied: chosen together with {others}" if others else "a tied group of one")
    dim = _dimension(space, symbol.name)
    if dim is not None and dim.prior is not None:
        q05, q50, q95 = dim.prior.ppf(np.array([0.05, 0.5, 0.95]))
        out.append(f"median {_number(q50)}; 5-95 %: {_number(q05)} .. {_number(q95)}")
    elif dim is not None and dim.finite is not None:
        noun = "row" if dim.kind == "tied" else "value"
        out.append(f"{dim.size:,} {noun}{'s' if dim.size != 1 else ''}")
    if not isinstance(s, ast.Constant):
        if symbol.guards:
            out.append("active when " + " and ".join(f"`{g}`" for g in symbol.guards))
        else:
            out.append("always active")
    return "\n\n".join(out)


def _dimension(space, name):
    if space is None:
        return None
    for dim in space.dimensions:
        if name in dim.names:
            return dim
    return None


# ---------------------------------------------------------------- completion


def _factory(name):
    table = plugins.distributions()
    if name in table:
        return table[name]
    prefix, _, rest = name.partition(".")
    if prefix == "scipy" and rest:
        return scipy_distribution(rest)
    return None


def _parameters(name, factory):
    """The signature's parameters: a factory's own, or scipy's shapes, loc and scale."""
    if name.startswith("scipy."):
        return list(scipy_signature(factory).parameters.values())
    try:
        return list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return []


def _signature(name, factory):
    parts = []
    for p in _parameters(name, factory):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        parts.append(p.name if p.default is p.empty else f"{p.name}={literal_text(p.default)}"
                     if p.default is None or isinstance(p.default, int | float | str) else p.name)
    return f"({', '.join(parts)})"


def distribution_completions(prefix=""):
    """Distribution names starting with ``prefix`` (``scipy.`` lists scipy.stats' own)."""
    if prefix.startswith("scipy."):
        return [Completion("scipy." + n, "distribution", _signature("scipy." + n, scipy_distribution(n)))
                for n in scipy_names() if ("scipy." + n).startswith(prefix)]
    items = [Completion(name, "distribution", _signature(name, f)) for name, f in sorted(plugins.distributions().items())]
    items.append(Completion("scipy.", "distribution", "any scipy.stats distribution, with scipy's arguments"))
    return [c for c in items if c.label.startswith(prefix)]


def _open_call(text):
    """``(distribution name, keyword names already given)`` when text ends inside ``~ name(...``."""
    depth, i = 0, len(text) - 1
    stop = max(0, len(text) - 4000)  # an argument list is never that long
    while i >= stop:
        ch = text[i]
        if ch == ")" or ch == "]":
            depth += 1
        elif ch == "(" or ch == "[":
            if depth == 0:
                if ch == "[":
                    return None
                m = re.search(rf"~\s*((?:{_NAME}\s*\.\s*)*{_NAME})\s*$", text[:i])
                if m is None:
                    return None
                given = set(re.findall(rf"({_NAME})\s*=(?!=)", text[i + 1:]))
                return re.sub(r"\s", "", m.group(1)), given
            depth -= 1
        elif ch in ";{}" and depth == 0:
            return None
        i -= 1
    return None


def argument_completions(name, given=()):
    """``keyword=`` items for a distribution's arguments not given yet."""
    factory = _factory(name)
    if factory is None:
        return []
    items = []
    for p in _parameters(name, factory):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in given:
            continue
        detail = "required" if p.default is p.empty else f"default {p.default!r}"
        items.append(Completion(p.name, "argument", detail, insert=f"{p.name}="))
    return items
