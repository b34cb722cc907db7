"""A Pygments lexer for ``.space`` files, so Sphinx, MkDocs and anything on Pygments highlight them.

Registered through the ``pygments.lexers`` entry point (name ``spacedsl``, alias ``space``,
``*.space``). It imports nothing but Pygments: Pygments loads every plugin lexer whenever it
looks a file name up, so this module must stay cheap and must not need spacedsl's engine.

Numbers, strings, names, keywords and comments are matched by the regular expressions of
spacedsl's own lexer, in the same order, and small states give the tokens their roles: the name a statement declares is
``Name.Variable``, a distribution ``Name.Function``, a keyword argument ``Name.Attribute``,
``int``/``float`` after ``:`` ``Keyword.Type``. Only a character no spacedsl token starts with
(``$``, an unterminated string's quote, a lone carriage return) is an ``Error`` token, and the
tokens always add up to the input.
"""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, default, include
from pygments.token import (Comment, Keyword, Name, Number, Operator, Punctuation, String,
                            Whitespace)

__all__ = ["SpaceLexer"]

_END = r"(?![A-Za-z0-9_])"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED = rf"{_NAME}(?:\.{_NAME})*"
_DIGITS = r"[0-9](?:_?[0-9])*"
_EXP = rf"[eE][+-]?{_DIGITS}"
_FLOAT = rf"{_DIGITS}\.{_DIGITS}(?:{_EXP})?|\.{_DIGITS}(?:{_EXP})?|{_DIGITS}{_EXP}"
_STRING = r""""(?:[^"\\\r\n]|\\[^\r\n])*"|'(?:[^'\\\r\n]|\\[^\r\n])*'"""
_ESCAPE = re.compile(r"\\[^\r\n]")
_BLANK = r"[ \t\f]+"
_BLANK_NL = r"[ \t\f\r\n]+"  # lone \r is not whitespace: spacedsl rejects it, so does the root state
_NL = r"\r?\n"


def _string(lexer, match):
    """A whole string literal, its backslash escapes as ``String.Escape``."""
    text, start = match.group(), match.start()
    kind = String.Double if text[0] == '"' else String.Single
    pos = 0
    for m in _ESCAPE.finditer(text):
        if m.start() > pos:
            yield start + pos, kind, text[pos:m.start()]
        yield start + m.start(), String.Escape, m.group()
        pos = m.end()
    if pos < len(text):
        yield start + pos, kind, text[pos:]


class SpaceLexer(RegexLexer):
    """Lexer for spacedsl search spaces (``.space`` files)."""

    name = "spacedsl"
    aliases = ["space", "spacedsl"]
    filenames = ["*.space"]
    mimetypes = ["text/x-spacedsl"]
    url = "https://pypi.org/project/spacedsl/"
    version_added = ""

    flags = re.MULTILINE

    tokens = {
        # ------------------------------------------------- pieces shared by the states
        "comment": [
            (r"#[^\r\n]*", Comment.Single),
        ],
        "literal": [
            (rf"@{_DOTTED}", Name.Constant),  # a named object: @svc, @sklearn.svm.SVC
            (_FLOAT, Number.Float),
            (_DIGITS, Number.Integer),
            (_STRING, _string),
            (rf"(?:true|false|none|True|False|None){_END}", Keyword.Constant),
        ],
        "anything": [  # every token spacedsl knows, without a role: keeps odd text Error-free
            (_BLANK, Whitespace),
            (_NL, Whitespace),
            include("comment"),
            include("literal"),
            (rf"(?:int|float){_END}", Keyword.Type),
            (rf"(?:and|or|not){_END}", Operator.Word),
            (rf"(?:in|if|else|where|step){_END}", Keyword),
            (_DOTTED, Name),
            (r"\.\.|==|!=|<=|>=|[<>=:~+\-*/%]", Operator),
            (r"[;,()\[\]{}.]", Punctuation),
        ],
        # ------------------------------------------------------------- statements
        "root": [
            (_BLANK, Whitespace),
            (_NL, Whitespace),
            include("comment"),
            (r"[;{}]", Punctuation),
            (rf"(?:if|where){_END}", Keyword, "expr"),
            (rf"else{_END}", Keyword),
            (r"\(", Punctuation, "tied"),
            (rf"(?!(?:in|step|int|float|and|or|not|true|false|none|True|False|None){_END}){_DOTTED}",
             Name.Variable, "decl"),
            include("anything"),
        ],
        "decl": [  # after the declared name, to the end of the statement
            (_BLANK, Whitespace),
            include("comment"),
            (rf"(:)({_BLANK})?((?:int|float){_END})", bygroups(Operator, Whitespace, Keyword.Type)),
            (rf"(~)({_BLANK})?({_DOTTED})", bygroups(Operator, Whitespace, Name.Function)),
            (rf"(?:in|step){_END}", Keyword),
            include("literal"),
            (r"\.\.|[=:~\-]", Operator),
            (r"\(", Punctuation, "args"),
            (r"\[", Punctuation, "list"),
            default("#pop"),  # a newline, ';' or '}' ends the statement: the root state takes it
        ],
        "tied": [  # (a, b) in [...]
            (_BLANK_NL, Whitespace),
            include("comment"),
            (_DOTTED, Name.Variable),
            (r",", Punctuation),
            (r"\)", Punctuation, ("#pop", "decl")),
            default("#pop"),
        ],
        "args": [  # a distribution's arguments, or a tied default's row
            (_BLANK_NL, Whitespace),
            include("comment"),
            (rf"({_NAME})([ \t\f\r\n]*)(=)(?!=)", bygroups(Name.Attribute, Whitespace, Operator)),
            include("literal"),
            (r",", Punctuation),
            (r"-", Operator),
            (r"\(", Punctuation, "#push"),
            (r"\[", Punctuation, "list"),
            (r"\)", Punctuation, "#pop"),
            include("anything"),
        ],
        "list": [  # [...] and the rows (...) inside it; newlines are free here
            (_BLANK_NL, Whitespace),
            include("comment"),
            include("literal"),
            (r",", Punctuation),
            (r"-", Operator),
            (r"[(\[]", Punctuation, "#push"),
            (r"[)\]]", Punctuation, "#pop"),
            include("anything"),
        ],
        # ------------------------------------------------------------ expressions
        "operators": [
            include("comment"),
            include("literal"),
            (rf"(?:and|or|not|in){_END}", Operator.Word),
            (_DOTTED, Name),
            (r"==|!=|<=|>=|[<>+\-*/%]", Operator),
            (r"\[", Punctuation, "list"),
            (r"\(", Punctuation, "paren"),
        ],
        "expr": [  # after 'if' or 'where', to the '{' or the end of the line
            (_BLANK, Whitespace),
            include("operators"),
            (r"\{", Punctuation, "#pop"),
            default("#pop"),
        ],
        "paren": [  # (...) in an expression; newlines are free here
            (_BLANK_NL, Whitespace),
            include("operators"),
            (r"\)", Punctuation, "#pop"),
            include("anything"),
        ],
    }

    def analyse_text(text):
        """A little likelier for text with ``name ~ dist(...)`` lines and ``where``/``in a..b``."""
        score = 0.0
        if re.search(rf"^[ \t]*{_DOTTED}[ \t]*(?::[ \t]*(?:int|float)[ \t]*)?~[ \t]*{_DOTTED}\(", text, re.M):
            score += 0.2
        if re.search(rf"^[ \t]*{_DOTTED}[ \t]+in[ \t]+-?[0-9]+\.\.", text, re.M):
            score += 0.1
        return score

