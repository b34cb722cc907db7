"""Parsing as you type: reuse the syntax trees of the top-level statements an edit left alone.

The text is cut into *chunks*: runs of whole lines that end at a newline outside any bracket,
brace or block, each holding at least one token (comments and blank lines join the chunk after
them). A chunk's statements depend on its text and its first line only, so a `StatementCache`
keeps them under that key; after an edit only the chunks whose text changed are parsed again,
each padded with newlines so its positions are the file's own, and the chunks an added or
removed line moved keep their trees, moved by as many lines. When an edit changes many chunks,
or anything is wrong with a chunk, the whole text is parsed the ordinary way: what the cache
returns is always exactly what `spacedsl.language.parser.parse_statements` returns for the text,
errors included.
"""

from __future__ import annotations

import re

import attrs

import spacedsl
from spacedsl.language import ast
from spacedsl.language.parser import MAX_INPUT_BYTES, Source, parse_statements

MAX_REPARSED = 8  # chunks parsed one by one; beyond that one full parse is cheaper

# What decides where a chunk ends: newlines, brackets, and the strings and comments that hide
# them. Everything else is skipped in runs; text the real lexer rejects fails the chunk's parse.
_PIECE = re.compile(r"""[^"'#()\[\]{}\n]+|(?P<NL>\n)|(?P<OPEN>[(\[{])|(?P<CLOSE>[)\]}])|\#[^\r\n]*
                        |"(?:[^"\\\r\n]|\\[^\r\n])*"|'(?:[^'\\\r\n]|\\[^\r\n])*'""", re.VERBOSE)
_BLANK = re.compile(r"[ \t\f\r]*")


def chunks(text):
    """``[(first line, text)]`` covering the whole text, or None when a string is left open."""
    out, start, line, first, depth, pos, tokens = [], 0, 1, 1, 0, 0, False
    n = len(text)
    while pos < n:
        m = _PIECE.match(text, pos)
        if m is None:
            return None
        kind, end = m.lastgroup, m.end()
        if kind == "NL":
            line += 1
            if depth == 0 and tokens:
                out.append((first, text[start:end]))
                start, first, tokens = end, line, False
        elif kind == "OPEN":
            depth, tokens = depth + 1, True
        elif kind == "CLOSE":
            depth, tokens = max(depth - 1, 0), True
        elif text[pos] != "#" and (kind is not None or _BLANK.fullmatch(text, pos, end) is None):
            tokens = True  # a string, or a run holding more than blanks
        pos = end
    if start < n:
        out.append((first, text[start:]))
    return out


class StatementCache:
    """The top-level statements of the last text parsed, by chunk.

    Attributes:
        reparsed: How many chunks the last `parse` parsed again (None: it parsed the whole text).
    """

    def __init__(self):
        self._chunks = {}
        self.reparsed = None

    def parse(self, text, filename="<string>"):
        """``(statements, source)`` for the text, as `parse_statements` gives them."""
        parts = chunks(text) if isinstance(text, str) and len(text) <= MAX_INPUT_BYTES \
            and not text.startswith("\ufeff") else None
        if parts is not None:
            moved = {chunk: (first, statements) for (first, chunk), statements in self._chunks.items()}
            missing = [key for key in parts if key not in self._chunks and key[1] not in moved]
            if len(missing) <= MAX_REPARSED:
                fresh = {}
                try:
                    for first, chunk in missing:
                        statements, _ = parse_statements("\n" * (first - 1) + chunk, filename)
                        fresh[(first, chunk)] = statements
                except spacedsl.DSLError:
                    pass  # the full parse below gives the message, exactly as check does
                else:
                    table = {}
                    for key in parts:
                        if key in self._chunks:
                            table[key] = self._chunks[key]
                        elif key in fresh:
                            table[key] = fresh[key]
                        else:  # the same text on other lines (a line was added or removed above it)
                            first, statements = moved[key[1]]
                            table[key] = shift(statements, key[0] - first)
                    self._chunks, self.reparsed = table, len(missing)
                    return tuple(s for key in parts for s in table[key]), Source(text, filename)
        self._chunks, self.reparsed = {}, None
        statements, source = parse_statements(text, filename)
        if parts is not None:
            self._chunks = _by_chunk(parts, statements)
        return statements, source


def shift(node, lines):
    """A syntax tree (or a tuple of them) moved down by ``lines`` lines."""
    if isinstance(node, tuple):
        return tuple(shift(child, lines) for child in node)
    cls = type(node)
    if cls is ast.Pos:
        return ast.Pos(node.line + lines, node.column, node.end_line + lines, node.end_column)
    if not attrs.has(cls):
        return node
    changes = {}
    for field in attrs.fields(cls):
        value = getattr(node, field.name)
        moved = shift(value, lines)
        if moved is not value:
            changes[field.name] = moved
    return attrs.evolve(node, **changes) if changes else node


def _by_chunk(parts, statements):
    """Share the statements of a full parse out to the chunks they start in."""
    table, k = {key: [] for key in parts}, 0
    for s in statements:
        while k + 1 < len(parts) and s.pos.line >= parts[k + 1][0]:
            k += 1
        table[parts[k]].append(s)
    return {key: tuple(v) for key, v in table.items()}
