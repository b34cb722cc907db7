"""The canonical text of a space: one statement a line, 4-space blocks, no comments.

Numbers are printed so they read back exactly (``repr`` for floats), strings
with double quotes and backslash escapes, and expressions with the fewest
parentheses that keep their meaning. ``parse(dumps(s)) == s`` for every space.
"""

from __future__ import annotations

from . import ast

_PREC = {"or": 1, "and": 2, "not": 3, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4,
         "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
_UNARY_MINUS, _ATOM = 7, 8
_SIMPLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def string_text(s):
    out = []
    for ch in s:
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def literal_text(value):
    """A value as the language writes it."""
    if value is None:
        return "none"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return string_text(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(literal_text(v) for v in value) + ")"
    if isinstance(value, ast.Ref):
        return str(value)
    raise TypeError(f"not a spacedsl literal: {value!r}")


def _prec(e):
    if isinstance(e, ast.Binary):
        return _PREC[e.op]
    if isinstance(e, ast.Membership):
        return 4
    if isinstance(e, ast.Unary):
        return _PREC["not"] if e.op == "not" else _UNARY_MINUS
    if isinstance(e, ast.Literal) and isinstance(e.value, (int, float)) and not isinstance(e.value, bool) \
            and (e.value < 0 or str(e.value).startswith("-")):
        return _UNARY_MINUS  # -3 reads back as a negation, which the parser folds into the literal
    return _ATOM


def expr_text(e):
    """An expression with minimal parentheses."""
    if isinstance(e, ast.Literal):
        return literal_text(e.value)
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Unary):
        inner = _wrap(e.operand, _prec(e.operand) < _prec(e))
        return f"not {inner}" if e.op == "not" else f"-{inner}"
    if isinstance(e, ast.Membership):
        values = ", ".join(literal_text(v.value) for v in e.values)
        op = "not in" if e.negated else "in"
        return f"{_wrap(e.operand, _prec(e.operand) <= 4)} {op} [{values}]"
    p = _PREC[e.op]
    if p == 4:  # comparisons do not chain
        return f"{_wrap(e.left, _prec(e.left) <= 4)} {e.op} {_wrap(e.right, _prec(e.right) <= 4)}"
    return f"{_wrap(e.left, _prec(e.left) < p)} {e.op} {_wrap(e.right, _prec(e.right) <= p)}"


def _wrap(e, parens):
    text = expr_text(e)
    return f"({text})" if parens else text


def dist_text(node):
    args = [literal_text(a.value) for a in node.args]
    args += [f"{kw.name}={literal_text(kw.value.value)}" for kw in node.kwargs]
    return f"{node.name}({', '.join(args)})"


def domain_text(domain):
    if isinstance(domain, ast.Choice):
        return "in [" + ", ".join(literal_text(v.value) for v in domain.values) + "]"
    if isinstance(domain, ast.Range):
        text = f"in {literal_text(domain.low.value)}..{literal_text(domain.high.value)}"
        if domain.step is not None:
            text += f" step {literal_text(domain.step.value)}"
        return text
    return "~ " + dist_text(domain)


def statement_lines(s, indent):
    pad = "    " * indent
    if isinstance(s, ast.Param):
        head = s.name + (f": {s.type}" if s.type else "")
        tail = "" if s.default is None else f" = {literal_text(s.default.value)}"
        return [f"{pad}{head} {domain_text(s.domain)}{tail}"]
    if isinstance(s, ast.Constant):
        return [f"{pad}{s.name} = {literal_text(s.value.value)}"]
    if isinstance(s, ast.Tied):
        rows = ", ".join(literal_text(tuple(v.value for v in row)) for row in s.rows)
        tail = "" if s.default is None else " = " + literal_text(tuple(v.value for v in s.default))
        return [f"{pad}({', '.join(s.names)}) in [{rows}]{tail}"]
    if isinstance(s, ast.Where):
        return [f"{pad}where {expr_text(s.condition)}"]
    if isinstance(s, ast.If):
        lines = [f"{pad}if {expr_text(s.condition)} {{"]
        node = s
        while True:
            for child in node.body:
                lines += statement_lines(child, indent + 1)
            if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
                node = node.orelse[0]
                lines.append(f"{pad}}} else if {expr_text(node.condition)} {{")
                continue
            if node.orelse:
                lines.append(f"{pad}}} else {{")
                for child in node.orelse:
                    lines += statement_lines(child, indent + 1)
            lines.append(f"{pad}}}")
            return lines
    raise TypeError(f"not a statement: {s!r}")


def dumps(space):
    """The canonical text of a space (or of a tuple of statements)."""
    statements = getattr(space, "statements", space)
    lines = []
    for s in statements:
        lines += statement_lines(s, 0)
    return "\n".join(lines) + "\n" if lines else ""
