"""The formatter behind ``spacedsl fmt``: the canonical form of a file, keeping its comments.

`dumps` drops comments (it works on the syntax tree), while a formatter must never lose what a
person wrote. A comment on its own line stays before the statement that follows it (or before
the ``}`` that closes its block); a comment after code stays at the end of that statement's line;
single blank lines between statements stay.
"""

from __future__ import annotations

from . import ast
from .printer import expr_text, statement_lines


def format_statements(statements, source):
    """The canonical text of ``statements`` (normalised, as a `Space` holds them) with the
    comments and blank lines of ``source`` (the `parse_statements` source they came from)."""
    writer = _CommentWriter(source.comments, source.content_lines)
    writer.block(statements, 0, float("inf"))
    writer.rest(0)
    return "\n".join(writer.lines) + "\n" if writer.lines else ""


class _CommentWriter:
    def __init__(self, comments, content_lines):
        self.pending = sorted(comments)
        self.content = content_lines
        self.lines = []
        self.last_source_line = None

    def _take(self, before, trailing_only=False):
        taken = [c for c in self.pending if c[0] < before and (c[3] or not trailing_only)]
        self.pending = [c for c in self.pending if c not in taken]
        return taken

    def _gap(self, line):
        """One blank line where the source had blank lines before `line`."""
        if self.last_source_line is not None and line is not None and self.lines and self.lines[-1].strip():
            if any(n not in self.content for n in range(self.last_source_line + 1, line)):
                self.lines.append("")
        if line is not None:
            self.last_source_line = line

    def _own_lines(self, comments, indent):
        for line, _, text, _ in comments:
            self._gap(line)
            self.lines.append("    " * indent + text)

    def _emit(self, text, line, trailing):
        self._gap(line)
        self.lines.append("  ".join([text] + [c[2] for c in trailing]))

    def rest(self, indent, before=float("inf")):
        self._own_lines(self._take(before), indent)

    def block(self, statements, indent, end):
        for k, s in enumerate(statements):
            start = s.pos.line if s.pos is not None else None
            if start is not None:
                self._own_lines(self._take(start), indent)
            following = statements[k + 1].pos if k + 1 < len(statements) else None
            boundary = following.line if following is not None else end
            if isinstance(s, ast.If):
                self._if(s, indent)
            else:
                (text,) = statement_lines(s, indent)
                self._emit(text, start, self._take(boundary, trailing_only=True) if start is not None else [])

    def _if(self, s, indent):
        pad = "    " * indent
        has_pos = s.pos is not None
        self._emit(f"{pad}if {expr_text(s.condition)} {{", s.pos.line if has_pos else None,
                   self._take(s.pos.line + 1, trailing_only=True) if has_pos else [])
        node = s
        while True:
            close = node.pos.end_line if node.pos is not None else float("inf")
            self.block(node.body, indent + 1, close)
            if node.pos is not None:
                self.rest(indent + 1, before=close)
            after = self._take(close + 1, trailing_only=True) if node.pos is not None else []
            if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
                node = node.orelse[0]
                self._emit(f"{pad}}} else if {expr_text(node.condition)} {{", close, after)
                continue
            if node.orelse:
                self._emit(f"{pad}}} else {{", close, after)
                end = node.else_end.line if node.else_end is not None else float("inf")
                self.block(node.orelse, indent + 1, end)
                if node.else_end is not None:
                    self.rest(indent + 1, before=end)
                after = self._take(end + 1, trailing_only=True) if node.else_end is not None else []
                self._emit(f"{pad}}}", end if node.else_end is not None else None, after)
            else:
                self._emit(f"{pad}}}", close if node.pos is not None else None, after)
            return
