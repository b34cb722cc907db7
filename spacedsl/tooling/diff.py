"""``spacedsl diff OLD NEW``: what changed between two versions of a space, not how its text moved.

Parameters are matched by name; a removed and an added parameter with the same domain are a rename
(the nearest in position when several match), and conditions and constraints are compared with the
rename applied. Layout and comments never show: the two syntax trees are compared, and equal trees
give an empty diff. `diff_spaces` is the API; ``spacedsl diff --git`` is a git external diff driver
(``git config diff.spacedsl.command 'spacedsl diff --git'`` and ``*.space diff=spacedsl`` in
``.gitattributes``).
"""

from __future__ import annotations

import json
import os
import sys

import attrs

from ..language import ast
from ..language.ast import literal_key
from ..language.errors import DSLError
from ..language.printer import domain_text, dumps, expr_text, literal_text
from ..space import parse
from ..space.expr import names_in
from .lint import read_space_file
from ..space.survey import percent, survey

FINITE_COMPARE = 100_000  # finite domains up to this size are compared value by value
DEV_NULL = "/dev/null"


@attrs.frozen
class Change:
    """One semantic change.

    Attributes:
        kind: ``added``, ``removed``, ``renamed``, ``widened``, ``narrowed``, ``domain``,
            ``distribution``, ``type``, ``default``, ``condition``, ``constant``, ``constraint``
            or ``order``.
        name: The parameter, constant or constraint text it is about.
        message: One line saying what changed.
        old_line: Its line in the old file, or None.
        new_line: Its line in the new file, or None.
    """

    kind: str
    name: str
    message: str
    old_line: int | None = None
    new_line: int | None = None

    def to_dict(self):
        return attrs.asdict(self)


@attrs.frozen
class Diff:
    """The changes between two spaces, and what they do to its size.

    Attributes:
        changes: Every `Change`: parameters in the new file's order, then removed ones, the order,
            constants and constraints.
        grid_size: ``(old, new)`` grid sizes at resolution 5.
        feasible: ``(old, new)`` feasible `survey.Fraction`.
    """

    changes: tuple = attrs.field(converter=tuple)
    grid_size: tuple = (None, None)
    feasible: tuple = (None, None)

    def __bool__(self):
        return bool(self.changes)

    def lines(self):
        """The diff as text, one change a line, then the grid size and feasible fraction."""
        out = [f"{_mark(c)} {c.message}" for c in self.changes]
        if self.changes and self.grid_size[0] is not None:
            (a, b), (fa, fb) = self.grid_size, self.feasible
            grid = f"{_count(a)} -> {_count(b)}" if a != b else f"{_count(a)} (unchanged)"
            feas = f"{percent(fa.value)} -> {percent(fb.value)}" if fa.value != fb.value else \
                f"{percent(fa.value)} (unchanged)"
            draws = max(fa.draws, fb.draws)
            if draws:
                feas += f" (estimated from {draws:,} seeded draws)"
            noun = "configuration" if a == b == 1 else "configurations"
            out.append(f"= grid at resolution 5: {grid} {noun}; feasible: {feas}")
        return out

    def to_dict(self):
        (a, b), (fa, fb) = self.grid_size, self.feasible
        return {"changes": [c.to_dict() for c in self.changes],
                "grid_size": {"old": a, "new": b},
                "feasible": {"old": fa and fa.to_dict(), "new": fb and fb.to_dict()}}


def _mark(change):
    if change.kind == "renamed":
        return ">"
    if change.kind in ("added", "removed", "constraint"):
        return "+" if change.old_line is None and change.kind != "removed" else "-" if change.new_line is None else "~"
    return "~"


def _count(n):
    if n < 10**15:
        return f"{n:,}"
    digits = str(n)
    return f"{digits[0]}.{digits[1:3]}e{len(digits) - 1}"


# ------------------------------------------------------------- flattening


@attrs.define(eq=False)
class _Entry:
    """A parameter (or tied group) with where it is active."""

    key: str
    node: object
    guards: tuple
    index: int

    @property
    def line(self):
        return self.node.pos.line if self.node.pos is not None else None

    def domain(self):
        """Everything but the name and the default: equal domains mean a rename is possible."""
        if isinstance(self.node, ast.Tied):
            return ("tied", len(self.node.names), self.node.rows)
        return (self.node.type, self.node.domain)


def _flatten(statements):
    params, constants, wheres = {}, {}, []

    def walk(block, guards):
        for s in block:
            if isinstance(s, ast.Param):
                params[s.name] = _Entry(s.name, s, guards, len(params))
            elif isinstance(s, ast.Tied):
                key = "(" + ", ".join(s.names) + ")"
                params[key] = _Entry(key, s, guards, len(params))
            elif isinstance(s, ast.Constant):
                constants[s.name] = s
            elif isinstance(s, ast.Where):
                wheres.append((guards, s))
            elif isinstance(s, ast.If):
                walk(s.body, guards + ((s.condition, True),))
                walk(s.orelse, guards + ((s.condition, False),))

    walk(statements, ())
    return params, constants, wheres


def _rename(expr, renames):
    if not renames or not any(node.name in renames for node in names_in(expr)):
        return expr
    return _renamed(expr, renames)


def _renamed(expr, renames):
    if isinstance(expr, ast.Name):
        return attrs.evolve(expr, name=renames.get(expr.name, expr.name))
    if isinstance(expr, ast.Unary):
        return attrs.evolve(expr, operand=_renamed(expr.operand, renames))
    if isinstance(expr, ast.Binary):
        return attrs.evolve(expr, left=_renamed(expr.left, renames), right=_renamed(expr.right, renames))
    if isinstance(expr, ast.Membership):
        return attrs.evolve(expr, operand=_renamed(expr.operand, renames))
    return expr


def _renamed_guards(guards, renames):
    return tuple((_rename(expr, renames), polarity) for expr, polarity in guards)


def _context(guards, renames=None):
    parts = []
    for expr, polarity in guards:
        text = expr_text(_rename(expr, renames or {}))
        parts.append(text if polarity else f"not ({text})")
    return " and ".join(parts)


def _statement_text(node):
    return dumps((node,)).strip()


# ------------------------------------------------------------- comparing


def diff_spaces(old, new):
    """The `Diff` from one `Space` to another (empty when they are equal)."""
    if old == new:
        return Diff(())
    p_old, c_old, w_old = _flatten(old.statements)
    p_new, c_new, w_new = _flatten(new.statements)
    removed = [e for k, e in p_old.items() if k not in p_new]
    added = [e for k, e in p_new.items() if k not in p_old]
    renames = _renames(removed, added)  # old name -> new name
    changes = []
    renamed_new = {v: k for k, v in renames.items()}
    for key, e in p_new.items():
        if key in p_old:
            changes += _compare(p_old[key], e, renames)
        elif key in renamed_new:
            o = p_old[renamed_new[key]]
            changes.append(Change("renamed", key, f"{o.key} renamed to {key}", o.line, e.line))
            changes += _compare(o, e, renames)
        else:
            where = _context(e.guards)
            when = f" (active when {where})" if where else ""
            changes.append(Change("added", key, f"{_statement_text(e.node)}{when}", None, e.line))
    for e in removed:
        if e.key not in renames:
            changes.append(Change("removed", e.key, _statement_text(e.node), e.line, None))
    changes = _group_conditions(changes)
    changes += _order(p_old, p_new, renames)
    changes += _constants(c_old, c_new)
    changes += _constraints(w_old, w_new, renames)
    cache = {}  # components the edit did not touch are measured once
    s_old, s_new = survey(old, cache), survey(new, cache)
    return Diff(changes, (s_old.grid_size, s_new.grid_size), (s_old.fraction, s_new.fraction))


def _group_conditions(changes):
    """One line for the parameters of a block whose condition changed, not one line each."""
    out, at = [], {}
    for c in changes:
        if c.kind != "condition":
            out.append(c)
            continue
        _, _, tail = c.message.partition(": active ")
        if tail in at:
            i = at[tail]
            prev = out[i]
            name = f"{prev.name}, {c.name}"
            out[i] = attrs.evolve(prev, name=name, message=f"{name}: active {tail}")
        else:
            at[tail] = len(out)
            out.append(c)
    return out


def _renames(removed, added):
    out, taken = {}, set()
    for r in removed:
        best = None
        for a in added:
            if a.key in taken or a.domain() != r.domain():
                continue
            if best is None or abs(a.index - r.index) < abs(best.index - r.index):
                best = a
        if best is not None:
            out[r.key] = best.key
            taken.add(best.key)
    for r in removed:  # then: the same place in the file and the same kind of domain, edited
        if r.key in out:
            continue
        for a in added:
            if a.key not in taken and a.index == r.index and _kind(a) == _kind(r) and \
                    _context(a.guards) == _context(r.guards, out):
                out[r.key] = a.key
                taken.add(a.key)
                break
    return out


def _kind(entry):
    node = entry.node
    if isinstance(node, ast.Tied):
        return ("tied", len(node.names))
    domain = node.domain
    return (type(domain).__name__, domain.name if isinstance(domain, ast.Distribution) else None)


def _compare(o, n, renames):
    key, lines = n.key, (o.line, n.line)
    out = []
    if isinstance(o.node, ast.Tied) or isinstance(n.node, ast.Tied):
        if o.node.rows != n.node.rows:
            out.append(_domain_change(key, _rows_choice(o.node), _rows_choice(n.node), lines))
        elif o.node.default != n.node.default:
            out.append(Change("default", key, f"{key}: default {_tied_default(o.node)} -> "
                                              f"{_tied_default(n.node)}", *lines))
    else:
        if o.node.type != n.node.type:
            out.append(Change("type", key, f"{key}: type {o.node.type or 'none'} -> {n.node.type or 'none'}",
                              *lines))
        if o.node.domain != n.node.domain:
            out.append(_domain_change(key, o.node.domain, n.node.domain, lines))
        if o.node.default != n.node.default:
            out.append(Change("default", key, f"{key}: default {_default(o.node)} -> {_default(n.node)}", *lines))
    if _renamed_guards(o.guards, renames) != n.guards:
        was, now = _context(o.guards, renames), _context(n.guards)
        if was != now:
            out.append(Change("condition", key, f"{key}: active {_when(was)} -> {_when(now)}", *lines))
    return out


def _rows_choice(node):
    return ast.Choice([ast.Literal(tuple(v.value for v in row)) for row in node.rows])


def _default(node):
    return "none given" if node.default is None else literal_text(node.default.value)


def _tied_default(node):
    return "none given" if node.default is None else literal_text(tuple(v.value for v in node.default))


def _when(context):
    return f"when {context}" if context else "always"


def _domain_change(key, old, new, lines):
    text = f"{domain_text(old)} -> {domain_text(new)}"
    old_set, new_set = _values(old), _values(new)
    if old_set is not None and new_set is not None:
        gained = [v for v in new_set if v not in old_set]
        lost = [v for v in old_set if v not in new_set]
        detail = []
        if gained:
            detail.append("adds " + _shown(new_set, gained))
        if lost:
            detail.append("drops " + _shown(old_set, lost))
        kind = "widened" if gained and not lost else "narrowed" if lost and not gained else "domain"
        if not gained and not lost:
            detail.append("same values, new order")
        return Change(kind, key, f"{key}: {kind if kind != 'domain' else 'domain changed'}: {text} "
                                 f"({', '.join(detail)})", *lines)
    old_span, new_span = _span(old), _span(new)
    same_family = isinstance(old, ast.Distribution) and isinstance(new, ast.Distribution) and old.name == new.name
    if old_span is not None and new_span is not None and (same_family or not isinstance(new, ast.Distribution)):
        (a, b), (c, d) = old_span, new_span
        if c <= a and b <= d and (c, d) != (a, b):
            return Change("widened", key, f"{key}: widened: {text}", *lines)
        if a <= c and d <= b and (c, d) != (a, b):
            return Change("narrowed", key, f"{key}: narrowed: {text}", *lines)
    if isinstance(old, ast.Distribution) and isinstance(new, ast.Distribution):
        what = "distribution parameters changed" if same_family else "distribution changed"
        return Change("distribution", key, f"{key}: {what}: {text}", *lines)
    return Change("domain", key, f"{key}: domain changed: {text}", *lines)


def _shown(values, picked):
    keys = [literal_text(values[k]) for k in picked[:5]]
    return ", ".join(keys) + (", ..." if len(picked) > 5 else "")


def _values(domain):
    """An ordered dict literal-key -> value of a finite domain (None when too large or not finite)."""
    if isinstance(domain, ast.Choice):
        return {literal_key(v.value): v.value for v in domain.values}
    if isinstance(domain, ast.Range):
        low, high = domain.low.value, domain.high.value
        step = 1 if domain.step is None else domain.step.value
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, step)):
            return None
        if (high - low) // step + 1 > FINITE_COMPARE:
            return None
        return {literal_key(v): v for v in range(low, high + 1, step)}
    return None


def _span(domain):
    """(low, high) of a domain whose ends the text says; None for the others."""
    if isinstance(domain, ast.Range):
        return domain.low.value, domain.high.value
    if isinstance(domain, ast.Distribution) and domain.name in ("uniform", "loguniform", "randint") \
            and len(domain.args) >= 2 and not domain.kwargs:
        return domain.args[0].value, domain.args[1].value
    return None


def _order(p_old, p_new, renames):
    old_order = [renames.get(k, k) for k in p_old if renames.get(k, k) in p_new]
    common = set(old_order)
    new_order = [k for k in p_new if k in common]
    if old_order == new_order:
        return []
    first = next(b for a, b in zip(old_order, new_order) if a != b)
    what = (f"{', '.join(old_order)} -> {', '.join(new_order)}" if len(new_order) <= 12
            else f"first at {first}")
    return [Change("order", first, "parameter order changed (the grid's order and what a seed draws change): "
                   + what)]


def _constants(c_old, c_new):
    out = []
    for name, n in c_new.items():
        o = c_old.get(name)
        line = n.pos.line if n.pos is not None else None
        if o is None:
            out.append(Change("added", name, f"{name} = {literal_text(n.value.value)} (constant)", None, line))
        elif o.value != n.value:
            out.append(Change("constant", name, f"{name}: constant {literal_text(o.value.value)} -> "
                                                f"{literal_text(n.value.value)}", o.pos and o.pos.line, line))
    for name, o in c_old.items():
        if name not in c_new:
            out.append(Change("removed", name, f"{name} = {literal_text(o.value.value)} (constant)",
                              o.pos and o.pos.line, None))
    return out


def _constraints(w_old, w_new, renames):
    def text(guards, s, names=None):
        where = _context(guards, names)
        return f"where {expr_text(_rename(s.condition, names or {}))}" + (f" (when {where})" if where else "")

    pending = {}
    for guards, s in w_old:
        key = (_rename(s.condition, renames), _renamed_guards(guards, renames))
        pending.setdefault(key, []).append((guards, s))
    out = []
    for guards, s in w_new:
        key = (s.condition, guards)
        if pending.get(key):
            pending[key].pop(0)
        else:
            k = text(guards, s)
            out.append(Change("constraint", k, k, None, s.pos and s.pos.line))
    for (guards, s) in [item for items in pending.values() for item in items]:
        k = text(guards, s, renames)
        out.append(Change("constraint", k, k, s.pos and s.pos.line, None))
    return out


# ---------------------------------------------------------------- the CLI


def add_parser(subparsers):
    """Register ``spacedsl diff``."""
    p = subparsers.add_parser(
        "diff", help="what changed between two versions of a space (a git diff driver too)",
        description="A semantic diff: parameters added, removed or renamed, domains widened or narrowed, "
                    "distributions, defaults, conditions and constraints changed, and the change in grid "
                    "size and feasible fraction; nothing for layout or comments. Exit status 0 when the "
                    "spaces are the same, 1 when they differ, 2 on an unreadable or invalid file. As a git "
                    "external diff driver: git config diff.spacedsl.command 'spacedsl diff --git' and "
                    "'*.space diff=spacedsl' in .gitattributes (then it always exits 0).")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="OLD NEW ('-' for stdin, /dev/null for nothing), or git's seven arguments")
    p.add_argument("--git", action="store_true",
                   help="called by git: PATH OLD-FILE OLD-HEX OLD-MODE NEW-FILE NEW-HEX NEW-MODE")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_diff)


def cmd_diff(args):
    files = args.files
    git = args.git or len(files) == 7
    if git:
        if len(files) == 1:  # an unmerged path: git passes only its name
            print(f"spacedsl diff {files[0]}: unmerged")
            return 0
        if len(files) != 7:
            print(f"spacedsl: error: diff --git takes git's 7 arguments, got {len(files)}", file=sys.stderr)
            return 2
        path, old_file, new_file = files[0], files[1], files[4]
        old_name, new_name = f"a/{path}", f"b/{path}"
    elif len(files) == 2:
        old_file, new_file = files
        old_name, new_name = old_file, new_file
    else:
        print(f"spacedsl: error: diff takes OLD NEW, got {len(files)} files", file=sys.stderr)
        return 2
    spaces = []
    for file, name in ((old_file, old_name), (new_file, new_name)):
        try:
            spaces.append(_load(file, name))
        except OSError as exc:
            print(f"spacedsl: error: cannot read {file}: {exc.strerror or exc}", file=sys.stderr)
            return 0 if git else 2
        except DSLError as exc:
            if not git:
                print(exc, file=sys.stderr)
                return 2
            print(f"spacedsl diff {old_name} {new_name}\n! {name} has an error, no semantic diff:\n{exc}")
            return 0
    result = diff_spaces(*spaces)
    if args.json:
        print(json.dumps({"old": old_name, "new": new_name, **result.to_dict()}, indent=2))
    elif git:
        state = " (new file)" if old_file in (DEV_NULL, os.devnull) else \
            " (deleted)" if new_file in (DEV_NULL, os.devnull) else ""
        print(f"spacedsl diff {old_name} {new_name}{state}")
        for line in result.lines() or ["  no semantic change (layout or comments only)"]:
            print(line)
    else:
        for line in result.lines():
            print(line)
    return 0 if git or not result else 1


def _load(file, name):
    if file in (DEV_NULL, os.devnull):  # git's side of an added or deleted file
        return parse("", filename=name)
    text, _ = read_space_file(file)
    return parse(text, filename=name)
