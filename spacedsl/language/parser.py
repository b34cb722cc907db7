"""Text to syntax tree: the Lark parser, the transformer that builds the tree, and syntax errors.

The grammar is ``grammars/spacedsl.lark``; it ships inside the wheel as
``spacedsl/grammars/spacedsl.lark``. The parser is built once.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import pathlib
import re

import lark
from lark import Token, Transformer
from lark.exceptions import LarkError, UnexpectedInput, UnexpectedToken, VisitError

from . import ast
from .errors import DSLSemanticError, DSLSyntaxError
from .lexer import LexError, Lexing, SpaceLexer

MAX_DEPTH = 150  # depth of the parse tree (long operator chains, not not not ...)
MAX_INPUT_BYTES = 256 * 1024  # check costs 2.4-7 CPU s per MiB (lark LALR 60 %, our lexer 27 %): a full file < 2 s
_NOT_TEXT = re.compile("[\0\ud800-\udfff]")
# a line that reads as a statement of its own (for "the '[' at line N is not closed")
_STATEMENT_START = re.compile(r"\s*(?:(?:if|where)\s|\(|[A-Za-z_][A-Za-z0-9_.]*\s*(?:in\s|in\[|~|=(?!=)|:))")

_HUMAN = {
    "$END": "the end of the input", "_NL": "a newline", "SEMICOLON": "';'",
    "NAME": "a name", "INT": "a number", "FLOAT": "a number", "STRING": "a string", "REF": "a named object (@name)", "TRUE": "true", "FALSE": "false",
    "NONE": "none", "TYPE": "'int' or 'float'", "COMP_OP": "a comparison",
}


def _grammar_text():
    try:
        return importlib.resources.files("spacedsl.grammars").joinpath("spacedsl.lark").read_text("utf-8")
    except ModuleNotFoundError:  # running from a source checkout: grammars/ sits beside spacedsl/
        return (pathlib.Path(__file__).resolve().parents[2] / "grammars" / "spacedsl.lark").read_text("utf-8")


@functools.lru_cache(maxsize=None)
def _parser():
    return lark.Lark(
        _grammar_text(), parser="lalr", lexer=SpaceLexer,
        transformer=_ToAst(), maybe_placeholders=True, cache=False,
    )


class _SemanticAt(Exception):
    """Raised inside the transformer; carries the offending token or meta."""

    def __init__(self, message, where):
        super().__init__(message)
        self.message = message
        self.where = where


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'",
            "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def unescape(body, tok):
    """Decode the backslash escapes of a string literal's body."""
    out, i, n = [], 0, len(body)
    while i < n:
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1]
        if esc in _ESCAPES:
            out.append(_ESCAPES[esc])
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(esc)
        digits = body[i + 2:i + 2 + width] if width else ""
        if not width or len(digits) != width or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise _SemanticAt(f"unknown escape '\\{body[i + 1:i + 2 + (width or 0)]}' in string; "
                              "write '\\\\' for a backslash", tok)
        code = int(digits, 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise _SemanticAt(f"'\\{esc}{digits}' is not a valid character", tok)
        out.append(chr(code))
        i += 2 + width
    return "".join(out)


def _int(tok):
    try:
        return int(str(tok))
    except ValueError:
        raise _SemanticAt("integer too long: more than 4300 digits", tok) from None


def _float(tok):
    value = float(str(tok))
    if not math.isfinite(value):
        raise _SemanticAt(f"number {str(tok)[:40]} is too large to be a float", tok)
    return value


def _arith(op):
    def method(self, ch):
        return ast.Binary(op, ch[0], ch[1], pos=ch[0].pos)
    return method


def _tok(t):
    return ast.Pos(t.line, t.column, t.end_line, t.end_column)


class _ToAst(Transformer):
    """Builds the syntax tree while the LALR parser reduces (no intermediate parse tree)."""

    # ---- literals
    def int_lit(self, ch):
        return ast.Literal(_int(ch[0]), pos=_tok(ch[0]))

    def float_lit(self, ch):
        return ast.Literal(_float(ch[0]), pos=_tok(ch[0]))

    def neg_number(self, ch):
        minus, number = ch
        value = _int(number) if number.type == "INT" else _float(number)
        return ast.Literal(-value, pos=_tok(minus))

    def string_lit(self, ch):
        return ast.Literal(unescape(str(ch[0])[1:-1], ch[0]), pos=_tok(ch[0]))

    def true_lit(self, ch):
        return ast.Literal(True, pos=_tok(ch[0]))

    def false_lit(self, ch):
        return ast.Literal(False, pos=_tok(ch[0]))

    def none_lit(self, ch):
        return ast.Literal(None, pos=_tok(ch[0]))

    def ref_lit(self, ch):
        return ast.Literal(ast.Ref(str(ch[0])[1:]), pos=_tok(ch[0]))

    # ---- names
    def name(self, ch):
        return ast.Name(".".join(ch), pos=_tok(ch[0]))

    dist_name = name

    def kwname(self, ch):
        return ch[0]

    # ---- expressions
    def or_op(self, ch):
        return ast.Binary("or", ch[0], ch[1], pos=ch[0].pos)

    def and_op(self, ch):
        return ast.Binary("and", ch[0], ch[1], pos=ch[0].pos)

    def not_op(self, ch):
        return ast.Unary("not", ch[0], pos=ch[0].pos)

    def neg(self, ch):
        operand = ch[0]
        if isinstance(operand, ast.Literal) and isinstance(operand.value, (int, float)) \
                and not isinstance(operand.value, bool):  # -3 is the number -3, as in a list
            return ast.Literal(-operand.value, pos=operand.pos)
        return ast.Unary("-", operand, pos=operand.pos)

    def compare(self, ch):
        return ast.Binary(str(ch[1]), ch[0], ch[2], pos=ch[0].pos)

    def in_op(self, ch):
        return ast.Membership(ch[0], [c for c in ch[1:] if c is not None], False, pos=ch[0].pos)

    def not_in_op(self, ch):
        return ast.Membership(ch[0], [c for c in ch[1:] if c is not None], True, pos=ch[0].pos)

    add, sub, mul, div, mod = (_arith(o) for o in "+-*/%")

    # ---- domains
    def choice_list(self, ch):
        return ast.Choice([c for c in ch[1:] if c is not None], pos=_tok(ch[0]))

    def choice(self, ch):
        return ch[0]

    def range(self, ch):
        return ast.Range(ch[0], ch[1], ch[2] if len(ch) > 2 else None, pos=ch[0].pos)

    def keyword(self, ch):
        return ast.Keyword(str(ch[0]), ch[1], pos=_tok(ch[0]))

    def distribution(self, ch):
        name, args = ch[0], [c for c in ch[1:] if c is not None]
        positional, keywords = [], []
        for arg in args:
            if isinstance(arg, ast.Keyword):
                keywords.append(arg)
            elif keywords:
                raise _SemanticAt("a positional argument cannot follow a keyword argument", arg.pos)
            else:
                positional.append(arg)
        return ast.Distribution(name.name, positional, keywords, pos=name.pos, name_pos=name.pos)

    # ---- statements
    def annotation(self, ch):
        return str(ch[0])

    def default(self, ch):
        return ch[0]

    def param(self, ch):
        name, rest = ch[0], ch[1:]
        kind = rest.pop(0) if isinstance(rest[0], str) else None
        domain = rest.pop(0)
        default = rest[0] if rest else None
        return ast.Param(name.name, domain, kind, default, pos=name.pos)

    def constant(self, ch):
        return ast.Constant(ch[0].name, ch[1], pos=ch[0].pos)

    def row(self, ch):
        return tuple(ch)

    def tied_default(self, ch):
        return _Default(ch[0])

    def tied(self, ch):
        names = [c.name for c in ch if isinstance(c, ast.Name)]
        rows = [c for c in ch if isinstance(c, tuple)]
        default = [c.row for c in ch if isinstance(c, _Default)]
        return ast.Tied(names, rows, default[0] if default else None, pos=_tok(ch[0]))

    def block(self, ch):
        return _Block(tuple(ch[:-1]), ch[-1])

    def if_stmt(self, ch):
        keyword, cond, body = ch[0], ch[1], ch[2]
        orelse, else_end = (), None
        if len(ch) > 3:
            if isinstance(ch[3], _Block):
                orelse, else_end = ch[3].statements, _tok(ch[3].close)
            else:
                orelse = (ch[3],)
        close = body.close
        pos = ast.Pos(keyword.line, keyword.column, close.line, close.column)
        return ast.If(cond, body.statements, orelse, pos=pos, else_end=else_end)

    def where(self, ch):
        return ast.Where(ch[1], pos=_tok(ch[0]))

    def start(self, ch):
        return tuple(ch)


class _Block:
    def __init__(self, statements, close):
        self.statements = statements
        self.close = close


class _Default:
    def __init__(self, row):
        self.row = row


def _too_deep(statements):
    """The first expression node nested deeper than MAX_DEPTH, or None."""
    stack = []
    for s in _walk_statements(statements):
        if isinstance(s, ast.If | ast.Where):
            stack.append((s.condition, 1))
    while stack:
        node, d = stack.pop()
        if d > MAX_DEPTH:
            return node
        if isinstance(node, ast.Unary | ast.Membership):
            stack.append((node.operand, d + 1))
        elif isinstance(node, ast.Binary):
            stack += [(node.left, d + 1), (node.right, d + 1)]
    return None


def _walk_statements(statements):
    stack = list(statements)
    while stack:
        s = stack.pop()
        yield s
        if isinstance(s, ast.If):
            stack += s.body + s.orelse


def _expected_text(expected):
    parser = _parser()
    names = set()
    for term in expected:
        if term in _HUMAN:
            names.add(_HUMAN[term])
            continue
        try:
            pattern = parser.get_terminal(term).pattern
        except KeyError:
            names.add(term)
            continue
        names.add(f"'{pattern.value}'" if pattern.type == "str" else term.lower())
    return ", ".join(sorted(names))


def _describe(tok):
    if tok.type == "$END":
        return "end of input"
    if tok.type == "_NL":
        return "end of line"
    text = str(tok)
    return f"'{text[:40]}'"


class Source:
    """The text of one file, for turning positions into messages."""

    def __init__(self, text, filename):
        self.text = text
        self.filename = filename
        self.comments = []
        self.content_lines = set()
        self._lines = None

    def line_text(self, line):
        if self._lines is None:
            self._lines = self.text.split("\n")
        if line is not None and 1 <= line <= len(self._lines):
            return self._lines[line - 1].rstrip("\r")
        return "" if line is not None else None

    def error(self, cls, message, line, column):
        return cls(message, self.filename, line, column, self.line_text(line))

    def at(self, cls, message, pos):
        if pos is None:
            return cls(message, self.filename)
        return self.error(cls, message, pos.line, pos.column)


def _syntax_error(source, exc, lexing):
    if not isinstance(exc, UnexpectedToken):  # pragma: no cover - the LALR parser raises UnexpectedToken
        return source.error(DSLSyntaxError, str(exc).splitlines()[0], getattr(exc, "line", None),
                            getattr(exc, "column", None))
    tok = exc.token
    if tok.type == "$END":  # point just past the last token
        line, column = (lexing.last.end_line, lexing.last.end_column) if lexing.last is not None else (1, 1)
    else:
        line, column = tok.line, tok.column
    expected = set(exc.expected) - {"$END"}
    msg = f"unexpected {_describe(tok)}"
    hint = _hint(tok, exc)
    if tok.type == "$END" and lexing.openers:
        o = lexing.openers[-1]
        hint = f"the '{o}' at line {o.line}, column {o.column} is never closed"
    elif tok.type != "$END" and _STATEMENT_START.match(source.line_text(tok.line)):
        earlier = [o for o in lexing.openers if o.value != "{" and o.line < tok.line]
        if earlier:  # lists span lines, so a missing ']' shows only at a later line
            o = earlier[-1]
            closer = {"[": "]", "(": ")"}[o.value]
            hint = (f"the '{o}' at line {o.line}, column {o.column} is not closed: close it with '{closer}' "
                    "(a list or argument list may span lines, so this line was read as part of it)")
    if tok.type == "DOT" and source.text[tok.start_pos - 1: tok.start_pos].isdigit():
        hint = "a number needs a digit after its decimal point (write 1.0, not 1.)"
    if hint:
        msg += f"; {hint}"
    elif expected:
        msg += f"; expected {_expected_text(expected)}"
    return source.error(DSLSyntaxError, msg, line, column)


def _hint(tok, exc):
    expected = set(exc.expected)
    if tok.type == "ELSE":
        return "'else' goes on the same line as the closing '}' of its 'if' ('} else {')"
    if tok.type == "EQUAL" and "COMP_OP" in expected:
        return "to compare, write '=='"
    if tok.type in ("IN", "IF", "ELSE", "WHERE", "AND", "OR", "NOT", "STEP", "TYPE", "TRUE", "FALSE", "NONE") \
            and "NAME" in expected:
        return f"'{tok}' is a keyword and cannot be used as a name"
    if tok.type == "NAME" and expected & {"IN", "TILDE", "EQUAL", "COLON"} and "NAME" not in expected:
        return "a parameter needs 'in [...]', 'in a..b', '~ dist(...)' or '= value' after its name"
    if tok.type == "_NL" and "RBRACE" in expected and len(expected) <= 3:
        return None
    if tok.type == "COMP_OP" and "COMP_OP" not in expected:
        return "comparisons cannot be chained; join them with 'and'"
    return None


def parse_statements(text, filename="<string>"):
    """Parse text into a tuple of statements, raising `DSLSyntaxError` on bad input."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DSLSyntaxError(f"not UTF-8 text: byte {exc.start} cannot be decoded", filename) from None
    if not isinstance(text, str):
        raise TypeError(f"space text must be str, got {type(text).__name__}")
    if text.startswith("\ufeff"):  # a byte-order mark, as some editors write
        text = text[1:]
    source = Source(text, filename)
    if len(text) > MAX_INPUT_BYTES:
        raise DSLSyntaxError(
            f"file is {len(text) / 1e6:.1f} MB; space files are limited to {MAX_INPUT_BYTES // 1024} KiB "
            "(a bigger space is better generated: Space.from_dict, or spacedsl.parse of the parts)",
            filename)
    bad = _NOT_TEXT.search(text)
    if bad is not None:
        i = bad.start()
        line = text.count("\n", 0, i) + 1
        column = i - (text.rfind("\n", 0, i) + 1) + 1
        what = "NUL character in text; is this a binary file?" if text[i] == "\0" else \
            f"lone surrogate {text[i]!r} is not valid Unicode text"
        raise source.error(DSLSyntaxError, what, line, column)
    lexing = Lexing(text)
    try:
        tree = _parser().parse(lexing)
    except _SemanticAt as exc:
        where = exc.where
        if isinstance(where, Token):
            where = _tok(where)
        raise source.at(DSLSemanticError, exc.message, where) from None
    except VisitError as exc:  # pragma: no cover - lark versions that wrap callback errors
        if isinstance(exc.orig_exc, _SemanticAt):
            where = exc.orig_exc.where
            raise source.at(DSLSemanticError, exc.orig_exc.message,
                            _tok(where) if isinstance(where, Token) else where) from None
        raise
    except LexError as exc:
        raise source.error(DSLSyntaxError, exc.message, exc.line, exc.column) from None
    except UnexpectedInput as exc:
        raise _syntax_error(source, exc, lexing) from None
    except LarkError as exc:  # pragma: no cover - any other Lark failure still ends in a DSLError
        raise source.error(DSLSyntaxError, str(exc).splitlines()[0], None, None) from None
    deep = _too_deep(tree)
    if deep is not None:
        pos = deep.pos
        raise source.error(DSLSyntaxError, f"expression nested more than {MAX_DEPTH} deep; simplify it",
                           pos and pos.line, pos and pos.column)
    source.comments, source.content_lines = lexing.comments, lexing.content_lines
    return tree, source
