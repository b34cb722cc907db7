"""The lexer: one compiled regular expression, feeding Lark's LALR parser.

Lark's own lexers work too, but this one is about twice as fast, cuts keywords
at word boundaries (``index`` is a name, never ``in`` + ``dex``), drops
newlines inside ``(...)`` and ``[...]`` (so lists and argument lists may span
lines) while keeping them inside ``{...}`` blocks, and bounds nesting. Its
tokens are defined here once: the grammar only ``%declare``s them, and the
keywords and operators are the grammar's own strings, read from Lark's terminal
table, so the two cannot drift apart.
"""

from __future__ import annotations

import re

from lark import Token
from lark.lexer import Lexer

MAX_NESTING = 64  # brackets, parentheses and braces open at once

_DIGITS = r"[0-9](?:_?[0-9])*"
_EXP = rf"[eE][+-]?{_DIGITS}"
_TOKEN = re.compile(rf"""
    (?P<WS>[ \t\f]+)
  | (?P<COMMENT>\#[^\r\n]*)
  | (?P<NL>\r?\n)
  | (?P<FLOAT>{_DIGITS}\.{_DIGITS}(?:{_EXP})? | \.{_DIGITS}(?:{_EXP})? | {_DIGITS}{_EXP})
  | (?P<INT>{_DIGITS})
  | (?P<STRING>"(?:[^"\\\r\n]|\\[^\r\n])*" | '(?:[^'\\\r\n]|\\[^\r\n])*')
  | (?P<WORD>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<REF>@[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<OP>\.\.|==|!=|<=|>=|[<>=:;,~()\[\]{{}}.+\-*/%])
""", re.VERBOSE)

_WORDS = {"int": "TYPE", "float": "TYPE", "true": "TRUE", "True": "TRUE", "false": "FALSE",
          "False": "FALSE", "none": "NONE", "None": "NONE"}
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_OPEN_KINDS = ("LPAR", "LSQB", "LBRACE")
_CLOSE_KINDS = ("RPAR", "RSQB", "RBRACE")


class LexError(Exception):
    """A character no token starts with, or a bracket problem; carries line and column."""

    def __init__(self, message, line, column):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


class Lexing:
    """One text being lexed, and what the lexer saw of it (for error messages).

    Attributes:
        text: The input.
        openers: Brackets still open, innermost last.
        last: The last token other than a newline.
        comments: ``(line, column, text, trailing)`` for every comment; trailing means code
            stands before it on its line.
    """

    def __init__(self, text):
        self.text = text
        self.openers = []
        self.last = None
        self.comments = []
        self.content_lines = set()  # lines holding a token or a comment (the rest are blank)


class SpaceLexer(Lexer):
    """Lark custom lexer (interface 0): ``lex(lexing)`` yields Tokens."""

    def __init__(self, lexer_conf):
        names = {t.pattern.value: t.name for t in lexer_conf.terminals if t.pattern.type == "str"}
        self.ops = {op: names.get(op, "COMP_OP" if op in _COMPARISONS else None) for op in
                    [".."] + list(_COMPARISONS) + list("=:;,~()[]{}.+-*/%")}
        self.words = dict(_WORDS)
        self.words.update({w: names[w] for w in names if w.isidentifier()})
        missing = [op for op, name in self.ops.items() if name is None]
        if missing:  # pragma: no cover - guards grammar edits
            raise RuntimeError(f"grammar has no terminal for {missing}")

    def lex(self, lexing):
        text, match = lexing.text, _TOKEN.match
        ops, words, openers = self.ops, self.words, lexing.openers
        pos, n, line, line_start = 0, len(text), 1, 0
        while pos < n:
            m = match(text, pos)
            if m is None:
                raise LexError(_bad_character(text, pos), line, pos - line_start + 1)
            kind, value, end = m.lastgroup, m.group(), m.end()
            column = pos - line_start + 1
            if kind == "WS" or kind == "COMMENT":
                if kind == "COMMENT":
                    trailing = lexing.last is not None and lexing.last.line == line
                    lexing.comments.append((line, column, value.rstrip(), trailing))
                    lexing.content_lines.add(line)
                pos = end
                continue
            if kind == "NL":
                pos = end
                line_start = end
                line += 1
                if openers and openers[-1].value != "{":
                    continue
                yield Token("_NL", value, pos, line - 1, column, line, 1, end)
                continue
            if kind == "WORD":
                kind = words.get(value, "NAME")
            elif kind == "OP":
                if value == ".." and text.startswith(".", end):
                    left = lexing.last.value if lexing.last is not None else "a"
                    right = re.match(r"[0-9_]*", text[end + 1:]).group() or "b"
                    raise LexError(f"'...' is not an operator: a range has two dots ({left}..{right} is every "
                                   f"integer from {left} to {right})", line, column)
                kind = ops[value]
            tok = Token(kind, value, pos, line, column, line, column + (end - pos), end)
            if kind in _OPEN_KINDS:
                openers.append(tok)
                if len(openers) > MAX_NESTING:
                    raise LexError(f"brackets nested more than {MAX_NESTING} deep; simplify", line, column)
            elif kind in _CLOSE_KINDS:
                if not openers:
                    raise LexError(f"'{value}' closes nothing", line, column)
                o = openers[-1]
                if o.value != _CLOSE[value]:
                    raise LexError(f"'{value}' does not match the open '{o.value}' at line {o.line}, column {o.column}",
                                   line, column)
                openers.pop()
            lexing.last = tok
            lexing.content_lines.add(line)
            pos = end
            yield tok


def _bad_character(text, pos):
    ch = text[pos]
    if ch in "\"'":
        return f"unterminated string: close it with {ch} on the same line"
    if ch == "@":
        return "'@' names an object and needs a name right after it, with no space: @svc or @sklearn.svm.SVC"
    if ch == "\r":
        return "carriage return without a newline; save the file with \\n or \\r\\n line endings"
    if ch.isprintable() and not ch.isspace():
        return f"unexpected character '{ch}'"
    return f"unexpected character {ch!r}"
