"""The ``sklearn`` format: ``param_grid`` for GridSearchCV, ``param_distributions`` for RandomizedSearchCV.

``kind="grid"`` gives the configurations of ``space.grid(resolution)``
exactly: one dict of lists when the grid is a product, else a list of dicts
(split on the parameters that decide the branches, constraints included).

``kind="distributions"`` gives what RandomizedSearchCV draws as spacedsl
does: a choice is a list; a distribution is a scipy frozen distribution where
scipy has it exactly (``uniform``, ``loguniform``, ``normal``, ``lognormal``,
``expon``), else a `Drawn` (ranges, ``: int``, ``step=``, ``scipy.NAME``,
plugin distributions), whose ``rvs`` draws like spacedsl. ``if`` branches
become a list of dicts, one per assignment of the finite parameters that
decide them, repeated so that sklearn's uniform pick of a dict gives every
branch spacedsl's probability. A ``where`` over finite parameters only
removes branches; one over a drawn parameter, or an ``if`` on one, has no
sklearn form and is refused. Defaults are not carried (sklearn's searches
have no first trial).

Back: a dict or list of dicts of lists and distributions becomes a space;
several dicts become ``if`` blocks on a key whose values tell them apart.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from fractions import Fraction

import numpy as np

import spacedsl
from spacedsl import hookimpl
from spacedsl.language.ast import Ref, literal_key
from spacedsl.language.printer import literal_text
from spacedsl.formats import ConversionError, Losses, Problem
from spacedsl.formats.branches import MAX_BRANCHES, branches

NAME = "sklearn"
MAX_GRID = 1_000_000
_LITERAL = (int, float, str, bool, type(None), Ref)  # a Ref is a named object (@svc), as the space holds it


class Drawn:
    """One parameter's domain as RandomizedSearchCV takes a distribution: ``rvs`` draws as spacedsl does.

    Attributes:
        text: The domain as the language writes it, with its annotation (``": int ~ expon(100)"``).
    """

    def __init__(self, text):
        self.text = text
        self._space = None

    @property
    def space(self):
        """The one-parameter space the draws come from."""
        if self._space is None:
            self._space = spacedsl.parse(f"x{self.text}")
        return self._space

    def rvs(self, size=None, random_state=None):
        rng = random_state if isinstance(random_state, np.random.RandomState) else np.random.RandomState(random_state)
        n = 1 if size is None else int(np.prod(size))
        values = [c["x"] for c in self.space.from_unit(rng.random_sample((n, 1)))]
        return values[0] if size is None else values

    def __getstate__(self):
        return {"text": self.text}

    def __setstate__(self, state):
        self.text, self._space = state["text"], None

    def __eq__(self, other):
        return isinstance(other, Drawn) and other.text == self.text

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return f"Drawn({self.text!r})"


# ------------------------------------------------------------- to sklearn


def _scipy(domain):
    """The scipy frozen distribution equal to a domain, or None."""
    import scipy.stats
    if domain.kind != "distribution" or domain.step is not None or domain.integer:
        return None
    a = domain.arguments
    name = domain.distribution
    if name == "uniform":
        low, high = a["low"], a["high"]
        scale = high - low
        for _ in range(4):  # make loc + scale land on high exactly, so the support is the same
            if low + scale == high:
                return scipy.stats.uniform(loc=low, scale=scale)
            scale = math.nextafter(scale, math.inf if low + scale < high else -math.inf)
        return None
    if name == "loguniform":
        return scipy.stats.loguniform(a["low"], a["high"])
    if name == "normal":
        return scipy.stats.norm(loc=a["mu"], scale=a["sigma"])
    if name == "lognormal":
        return scipy.stats.lognorm(a["sigma"], scale=math.exp(a["mu"]))
    if name == "expon":
        return scipy.stats.expon(loc=a["loc"], scale=a["scale"])
    return None


def _domain_text(entry):
    node = entry.node
    text = spacedsl.dumps((node,)).splitlines()[0]
    head = node.name + (f": {node.type}" if node.type else "")
    body = text[len(head):]
    if node.default is not None:  # defaults are not carried
        body = body[:body.rindex(" = ")]
    return (f": {node.type}" if node.type else "") + body


def _sampler(entry):
    """A parameter as RandomizedSearchCV takes it: a list, a scipy distribution or a Drawn."""
    domain = entry.domain
    if domain.kind == "choice":
        return list(domain.values)
    frozen = _scipy(domain)
    if frozen is not None:
        text = _domain_text(entry)
        if _from_scipy(frozen) == text:
            return frozen
    return Drawn(_domain_text(entry))


def _plan(space, losses):
    """The deciding dimensions, and the conditions a lossy conversion ignores."""
    entries = list(spacedsl.walk(space))
    finite = {}
    for e in entries:
        if e.kind == "parameter":
            finite[e.name] = e.domain.finite
        elif e.kind == "tied":
            finite.update(dict.fromkeys(e.names, True))
    deciding, ignore = set(), []
    for e in entries:
        if e.kind == "tied":
            deciding.update(e.names)
        for c in e.conditions:
            drawn = [n for n in c.names if finite.get(n) is False]
            if drawn:
                losses.add(c.expr, f"a condition on the drawn parameter {drawn[0]!r} has no sklearn form "
                           "(a list of dicts only tells finite values apart)", statement=f"if {c.text}")
                ignore.append(c.expr)
            else:
                deciding.update(n for n in c.names if n in finite)
        if e.kind == "constraint":
            drawn = [n for n in e.names if finite.get(n) is False]
            if drawn:
                losses.add(e.node, f"sklearn has no constraints, and this one names the drawn parameter {drawn[0]!r}")
            else:
                deciding.update(n for n in e.names if n in finite)
    by_name = {n: d.index for d in space.dimensions for n in d.names}
    return entries, {by_name[n] for n in deciding}, ignore


def to_distributions(space, losses):
    entries, deciding, ignore = _plan(space, losses)
    by_name = {n: d.index for d in space.dimensions for n in d.names}
    samplers = {e.name: _sampler(e) for e in entries if e.kind == "parameter" and by_name[e.name] not in deciding}
    dropped = losses.check()  # refuse before enumerating (lossy: the conditions dropped are ignored)
    try:
        found = branches(space, deciding, ignore)
    except ValueError as exc:
        losses.add(next(e.node for e in entries if e.conditions or e.kind in ("tied", "constraint")),
                   f"{exc}: too many for a list of dicts")
        losses.check()
        return {}
    except TypeError:  # a deciding parameter's own block hangs on a dropped condition on a drawn one
        raise ConversionError(NAME, dropped + [Problem(
            "the if blocks", "finite parameters that decide branches sit in blocks that a drawn parameter "
            "decides, so there is no list of dicts, even dropping those conditions")]) from None
    constants = space.constants
    groups = {}  # branches with the same parameters active have the same weight: merge them into products
    for b in found:
        groups.setdefault(b.active, []).append(b)
    dicts, weights = [], []
    for active, members in groups.items():
        names = list(members[0].values)
        for product in _factor([m.values for m in members], names) if names else [{}]:
            d = {}
            for name, j, kind in _keys(space):
                if j is None:
                    d[name] = [constants[name]]
                elif j in active:
                    d[name] = product[name] if j in deciding else samplers[name]
            dicts.append(d)
            weights.append(members[0].weight * math.prod(len(v) for v in product.values()))
    if len(dicts) == 1:
        return dicts[0]
    if not any(hasattr(v, "rvs") for d in dicts for v in d.values()):  # sklearn then draws from the grid
        weights = [w / math.prod(len(v) for v in d.values()) for w, d in zip(weights, dicts)]
    copies = _integers(weights)
    if sum(copies) > MAX_BRANCHES:
        losses.add(next(e.node for e in entries if e.conditions), "the branches' weights need more than "
                   f"{MAX_BRANCHES:,} repeated dicts to be exact")
        losses.check()
    return [d for d, c in zip(dicts, copies) for _ in range(c)]


def _readable(space, dicts, losses):
    """Refuse dicts that no reading back would turn into this space again: exact for sklearn, but the
    round trip to ``.space`` is part of the contract (lossy: warn and keep them)."""
    try:
        from_native(dicts)
    except ConversionError as exc:
        why = ("RandomizedSearchCV would draw its list of dicts exactly, but they do not read back as a "
               f".space (reading back: {exc.problems[0].reason if exc.problems else exc})")
        entries = list(spacedsl.walk(space))
        for e in entries:
            if e.kind in ("tied", "constraint"):
                losses.add(e.node, why)
        for node, text in dict.fromkeys((c.expr, c.text) for e in entries for c in e.conditions):
            losses.add(node, why, statement=f"if {text}")
        losses.check()


def _integers(weights):
    """The smallest integers in the proportions of some fractions."""
    denominator = math.lcm(*(Fraction(w).denominator for w in weights))
    counts = [int(Fraction(w) * denominator) for w in weights]
    g = math.gcd(*counts)
    return [c // g for c in counts]


def _keys(space):
    """(name, dimension index or None for a constant, kind) in file order."""
    by_name = {n: d.index for d in space.dimensions for n in d.names}
    for e in spacedsl.walk(space):
        if e.kind == "constant":
            yield e.name, None, "constant"
        elif e.kind == "tied":
            for n in e.names:
                yield n, by_name[n], "tied"
        elif e.kind == "parameter":
            yield e.name, by_name[e.name], "parameter"


def to_grid(space, resolution):
    entries = list(spacedsl.walk(space))
    plain = all(not e.conditions and e.kind in ("parameter", "constant") for e in entries)
    if plain:
        out = {}
        for e in entries:
            if e.kind == "constant":
                out[e.name] = [e.value]
            elif e.domain.finite:
                out[e.name] = list(e.domain.values)
            else:
                out[e.name] = [c["x"] for c in spacedsl.parse(f"x{_domain_text(e)}").grid(resolution)]
        return out
    rows = []
    for config in space.grid(resolution):
        rows.append(config)
        if len(rows) > MAX_GRID:
            raise ValueError(f"the grid has more than {MAX_GRID:,} configurations; lower the resolution")
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r), []).append(r)
    return [d for keys, group in groups.items() for d in _factor(group, list(keys))]


def _unique(values):
    seen, out = set(), []
    for v in values:
        if literal_key(v) not in seen:
            seen.add(literal_key(v))
            out.append(v)
    return out


def _factor(rows, keys):
    """Dicts of lists whose products are exactly these rows."""
    cols = [_unique(r[k] for r in rows) for k in keys]
    distinct = len({tuple(literal_key(r[k]) for k in keys) for r in rows})
    if math.prod(len(c) for c in cols) == distinct:
        return [dict(zip(keys, cols))]
    split = next(k for k, c in zip(keys, cols) if len(c) > 1)
    parts = {}
    for r in rows:
        parts.setdefault(literal_key(r[split]), []).append(r)
    return [d for part in parts.values() for d in _factor(part, keys)]


# ----------------------------------------------------------- from sklearn


def _from_scipy(frozen):
    """A scipy frozen distribution as a domain text, or None when it has no spacedsl name."""
    dist = getattr(frozen, "dist", None)
    name = getattr(dist, "name", None)
    if name is None:
        return None
    args = dict(zip((dist.shapes or "").replace(" ", "").split(",") if dist.shapes else (), frozen.args))
    extra = frozen.args[len(args):]
    loc = frozen.kwds.get("loc", extra[0] if len(extra) > 0 else 0)
    scale = frozen.kwds.get("scale", extra[1] if len(extra) > 1 else 1)
    args.update({k: v for k, v in frozen.kwds.items() if k not in ("loc", "scale")})
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in [loc, scale, *args.values()]):
        return None

    def t(v):
        return literal_text(v if isinstance(v, int) else float(v))
    if name == "uniform":
        return f" ~ uniform({t(loc)}, {t(loc + scale)})"
    if name in ("loguniform", "reciprocal") and loc == 0 and scale == 1:
        return f" ~ loguniform({t(args['a'])}, {t(args['b'])})"
    if name == "norm":
        return f" ~ normal({t(loc)}, {t(scale)})"
    if name == "lognorm" and loc == 0 and scale > 0:
        return f" ~ lognormal({t(math.log(scale))}, {t(args['s'])})"
    if name == "expon":
        return f" ~ expon({t(scale)}{', loc=' + t(loc) if loc != 0 else ''})"
    if name == "randint" and loc == 0 and isinstance(args.get("low"), int) and isinstance(args.get("high"), int):
        return f" ~ randint({args['low']}, {args['high'] - 1})"
    given = [t(v) for v in args.values()]
    if loc != 0:
        given.append(f"loc={t(loc)}")
    if scale != 1:
        given.append(f"scale={t(scale)}")
    return f" ~ scipy.{name}({', '.join(given)})"


def _domain_of(key, value, losses):
    """A native value as a domain text (``" in [...]"``, ``" ~ ..."``), or None after recording why not."""
    if isinstance(value, Drawn):
        return value.text
    if hasattr(value, "rvs"):
        text = _from_scipy(value)
        if text is None:
            losses.add(f"[{key!r}]", f"{type(value).__name__} is not a scipy.stats distribution spacedsl can name")
        return text
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        losses.add(f"[{key!r}]", f"expected a list of values or a distribution, got {value!r}")
        return None
    values = list(value)
    bad = [v for v in values if not isinstance(v, _LITERAL) or (isinstance(v, float) and not math.isfinite(v))]
    if bad or not values:
        why = f"{bad[0]!r} is not a number, string, boolean, None or named object (@name)" if bad else "an empty list"
        losses.add(f"[{key!r}]", f"{why}; a .space file can only list literals")
        return None
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    return " in [" + ", ".join(literal_text(v) for v in values) + "]"


def _values_of(text):
    """The literal keys listed by a choice text, or None for a distribution."""
    if not text.startswith(" in ["):
        return None
    space = spacedsl.parse("x" + text)
    return tuple(literal_key(v) for v in next(iter(spacedsl.walk(space))).domain.values)


def from_native(obj, lossy=False):
    dicts = [obj] if isinstance(obj, Mapping) else list(obj)
    losses = Losses(NAME, lossy, direction="from")
    if not dicts or not all(isinstance(d, Mapping) for d in dicts):
        losses.add("param_grid", "expected a dict, or a non-empty list of dicts, of lists and distributions")
        losses.check()
        return spacedsl.parse("")
    texts = []
    for d in dicts:
        row = {}
        for key, value in d.items():
            if not isinstance(key, str) or not key.replace(".", "_").isidentifier():
                losses.add(f"[{key!r}]", "not a parameter name a .space file can use")
                continue
            text = _domain_of(key, value, losses)
            if text is not None:
                row[key] = text
        texts.append(row)
    unique = []
    for row in texts:
        if row not in unique:
            unique.append(row)
    lines = _emit(unique, losses, 0)
    losses.check()
    space = spacedsl.parse("\n".join(lines))
    if len(dicts) > 1 and any(hasattr(v, "rvs") for d in dicts for v in d.values()):
        if not _same_weights(space, texts):
            # combinations listed in a block came from a ``where`` there (which makes the block rarer),
            # not from a tied group: say it so, if that gives every dict its share
            scratch = Losses(NAME, direction="from")
            again = _emit(unique, scratch, 0, where=True)
            if not scratch and again != lines and _same_weights(spacedsl.parse("\n".join(again)), texts):
                return spacedsl.parse("\n".join(again))
            losses.add("param_distributions", "RandomizedSearchCV picks each dict with equal probability, "
                       "which no if blocks reproduce here (make the key that tells the dicts apart take as "
                       "many values in each)")
            losses.check()
    return space


def _same_weights(space, texts):
    """RandomizedSearchCV picks a dict uniformly: whether the space gives each the same probability."""
    again = to_distributions(space, Losses(NAME))
    again = [again] if isinstance(again, Mapping) else again
    mine = [{k: _domain_of(k, v, Losses(NAME, direction="from")) for k, v in d.items()} for d in again]
    return _proportions(mine) == _proportions(texts)


def _proportions(rows):
    keys = [json.dumps(sorted(r.items())) for r in rows]
    counts = {k: keys.count(k) for k in keys}
    g = math.gcd(*counts.values())
    return {k: c // g for k, c in counts.items()}


def _statement(key, text, pad):
    values = _values_of(text)
    if values is not None and len(values) == 1 and not pad:  # one value, outside blocks: a constant
        return f"{pad}{key} = {text[len(' in ['):-1]}"
    return f"{pad}{key}{text}"


def _emit(rows, losses, depth, where=False):
    """Statements for dicts of domain texts: what all share, and ``if`` blocks on a key telling them apart,
    each where its first key first appears."""
    pad = "    " * depth
    order = _merged_order(rows)
    at = {k: i for i, k in enumerate(order)}
    common = [k for k in order if all(k in r and r[k] == rows[0][k] for r in rows)]
    items = [(at[k], [_statement(k, rows[0][k], pad)]) for k in common]
    rest = [{k: v for k, v in r.items() if k not in common} for r in rows]
    if all(not r for r in rest):
        return _ordered(items)
    parts = _independent(rest, order)
    if parts is not None:  # a product of independent groups of keys (a tied group beside if blocks): each apart
        return _ordered(items + [(min(at[k] for k in keys), _emit(part, losses, depth, where))
                                 for keys, part in parts])
    trial = Losses(NAME, direction="from")
    lines = _split_on_key(rest, order, at, items, trial, depth, where)
    if not trial:
        return lines
    tied = _tied(rest, order, pad, where)
    if tied is None:
        losses.problems += [p for p in trial.problems if p not in losses.problems]
        return lines
    return _ordered(items + [(min(at[k] for r in rest for k in r), tied)])


def _independent(rows, order):
    """The dicts as every combination of parts over disjoint groups of keys, ``[(keys, part rows)]``,
    or None when they are not such a product (or are one group).

    Keys depend on each other when the pairs of their texts (or absence) are not every
    combination of each one's; the groups are the connected keys, and the split holds only if
    the number of distinct dicts is the product of the groups' distinct parts.
    """
    keys = [k for k in order if any(k in r for r in rows)]
    if len(keys) < 2:
        return None
    cells = [tuple(r.get(k) for k in keys) for r in rows]
    group = list(range(len(keys)))

    def root(i):
        while group[i] != i:
            i = group[i]
        return i
    column = [{c[i] for c in cells} for i in range(len(keys))]
    for i, j in itertools.combinations(range(len(keys)), 2):
        if root(i) != root(j) and len({(c[i], c[j]) for c in cells}) != len(column[i]) * len(column[j]):
            group[root(j)] = root(i)
    members = {}
    for i in range(len(keys)):
        members.setdefault(root(i), []).append(i)
    if len(members) < 2:
        return None
    parts = [list(dict.fromkeys(tuple(c[i] for i in idx) for c in cells)) for idx in members.values()]
    if math.prod(len(p) for p in parts) != len(set(cells)):
        return None
    return [([keys[i] for i in idx], [{keys[i]: v for i, v in zip(idx, part) if v is not None} for part in rows_])
            for idx, rows_ in zip(members.values(), parts)]


def _tied(rows, order, pad, where=False):
    """Dicts of lists with the same keys as one tied group of every combination they list, or None;
    with ``where``, as a choice per key and a ``where`` keeping only those combinations."""
    keys = [k for k in order if k in rows[0]]
    if any(set(r) != set(keys) for r in rows) or any(_values_of(r[k]) is None for r in rows for k in keys):
        return None
    combos = []
    for r in rows:
        for combo in itertools.product(*(_literal_values(r[k]) for k in keys)):
            if combo not in combos:
                combos.append(combo)
    if where:
        columns = [list(dict.fromkeys(c[i] for c in combos)) for i in range(len(keys))]
        lines = [f"{pad}{k} in [{', '.join(column)}]" for k, column in zip(keys, columns)]
        if len(combos) < math.prod(len(column) for column in columns):
            lines.append(f"{pad}where " + " or ".join(
                "(" + " and ".join(f"{k} == {v}" for k, v in zip(keys, c)) + ")" for c in combos))
        return lines
    return [f"{pad}({', '.join(keys)}) in [{', '.join('(' + ', '.join(c) + ')' for c in combos)}]"]


def _split_on_key(rest, order, at, items, losses, depth, where=False):
    """If blocks on the first key whose values tell the dicts apart."""
    pad = "    " * depth
    items = list(items)
    disc = None
    for k in order:
        if not all(k in r for r in rest):
            continue
        sets = [_values_of(r[k]) for r in rest]
        if None in sets:
            continue
        distinct = list(dict.fromkeys(frozenset(s) for s in sets))
        if len(distinct) > 1 and all(not (a & b) for i, a in enumerate(distinct) for b in distinct[i + 1:]):
            disc = k
            break
    if disc is None:
        losses.add(f"[{', '.join(repr(k) for k in order if any(k in r for r in rest))}]",
                   "no key whose values tell these dicts apart, so they cannot become if blocks")
        return _ordered(items)
    union = list(dict.fromkeys(v for r in rest for v in _literal_values(r[disc])))
    items.append((at[disc], [f"{pad}{disc} in [{', '.join(union)}]"]))
    groups = {}
    for r in rest:
        groups.setdefault(tuple(_literal_values(r[disc])), []).append({k: v for k, v in r.items() if k != disc})
    owners = {}
    for g, members in groups.items():
        for k in dict.fromkeys(k for m in members for k in m):
            owners.setdefault(k, []).append(g)
    shared = {}
    for k, gs in owners.items():
        if len(gs) > 1:
            texts = {m[k] for g in gs for m in groups[g] if k in m}
            if len(texts) > 1 or not all(k in m for g in gs for m in groups[g]):
                losses.add(f"[{k!r}]", "appears in several dicts with different values; a .space file "
                           "defines a name once (use dotted names such as rf.max_depth)")
                continue
            shared.setdefault(tuple(gs), []).append(k)
    hoisted = {k for ks in shared.values() for k in ks}
    blocks = []
    for g, members in groups.items():
        body = _emit([{k: v for k, v in m.items() if k not in hoisted} for m in members], losses, depth + 1, where)
        keys = [k for m in members for k in m if k not in hoisted]
        if body:
            blocks.append((min(at[k] for k in keys), g, body))
    for gs, keys in shared.items():
        first = groups[gs[0]][0]
        blocks.append((at[keys[0]], tuple(v for g in gs for v in g),
                       [_statement(k, first[k], pad + "    ") for k in keys]))
    for position, values, body in blocks:
        test = f"{disc} == {values[0]}" if len(values) == 1 else f"{disc} in [{', '.join(values)}]"
        items.append((max(position, at[disc] + 0.5), [f"{pad}if {test} {{", *body, f"{pad}}}"]))
    return _ordered(items)


def _merged_order(rows):
    """Every key, each dict's order kept: a key new to the list goes right after the key before it."""
    order = []
    for r in rows:
        previous = None
        for k in r:
            if k not in order:
                order.insert(order.index(previous) + 1 if previous is not None else 0, k)
            previous = k
    return order


def _ordered(items):
    return [line for _, lines in sorted(items, key=lambda item: item[0]) for line in lines]


def _literal_values(text):
    return [t.strip() for t in _split(text[len(" in ["):-1])]


def _split(inner):
    space = spacedsl.parse(f"x in [{inner}]")
    return [literal_text(v) for v in next(iter(spacedsl.walk(space))).domain.values]


# ------------------------------------------------------------------ format


class SklearnFormat:
    """``param_grid`` / ``param_distributions`` (see the module's docstring)."""

    def to_native(self, space, *, lossy=False, kind="grid", resolution=5):
        """The space as ``param_grid`` (``kind="grid"``) or ``param_distributions`` (``"distributions"``)."""
        losses = Losses(NAME, lossy, space.filename)
        if kind == "grid":
            return to_grid(space, resolution)
        if kind == "distributions":
            out = to_distributions(space, losses)
            losses.check()
            if isinstance(out, list) and not losses:
                _readable(space, out, losses)
            return out
        raise ValueError(f"kind must be 'grid' or 'distributions', got {kind!r}")

    def from_native(self, obj, *, lossy=False):
        """A space from a ``param_grid`` or ``param_distributions`` (a dict or a list of dicts)."""
        return from_native(obj, lossy)

    def dumps(self, space, *, lossy=False, resolution=5):
        """``param_grid`` as JSON (distributions have no JSON form)."""
        return json.dumps(to_grid(space, resolution), indent=1) + "\n"

    def loads(self, text, *, lossy=False):
        """A space from a ``param_grid`` in JSON."""
        return from_native(json.loads(text), lossy)

    def knows(self, obj):
        dicts = [obj] if isinstance(obj, dict) else obj if isinstance(obj, list) else None  # plain dicts, not
        # another tool's mapping (a ConfigSpace ConfigurationSpace is a Mapping of distributions)
        return bool(dicts) and all(
            isinstance(d, dict) and d and all(isinstance(v, list | tuple) or hasattr(v, "rvs") for v in d.values())
            for d in dicts)


@hookimpl
def spacedsl_formats():
    return {NAME: SklearnFormat()}
