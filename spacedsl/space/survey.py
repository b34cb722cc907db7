"""What a space adds up to: its grid size, its feasible fraction, and which conditions and constraints
ever hold, measured with the vectorised engine.

Dimensions that no condition or constraint names only multiply the grid, so they are never
expanded. The rest fall into independent *components* (dimensions tied together by the conditions
and constraints that name them); each is enumerated on its own when its grid has at most
`EXACT_LIMIT` rows, and sampled (`DRAWS` seeded draws) when it is larger or names a distribution.
The feasible fraction is the probability that a draw of ``Space.sample`` before rejection meets every
constraint: the product of the components' fractions.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from ..language import ast
from ..language.ast import literal_key
from .expr import names_in
from .grid import CHUNK
from .model import Batch, decode

EXACT_LIMIT = 10**6  # components with at most this many grid rows are enumerated exactly
DRAWS = 10_000  # larger ones, and those naming a distribution, are sampled this many times
RESOLUTION = 5  # the default resolution of Space.grid
LOW_FRACTION = 0.01  # below this feasible fraction, rejection sampling wastes most draws
Z95 = 1.959963984540054


@attrs.frozen
class Fraction:
    """The feasible fraction: how much of what ``Space.sample`` draws meets every constraint.

    Attributes:
        value: The fraction (exact, or the estimate).
        low: Lower end of its 95 % interval (``value`` when exact).
        high: Upper end of its 95 % interval (``value`` when exact).
        exact: Computed by enumeration, not estimated.
        draws: Seeded draws behind the estimate (0 when exact).
    """

    value: float
    low: float
    high: float
    exact: bool
    draws: int = 0

    def describe(self):
        if self.exact:
            return percent(self.value) + " (exact)"
        return (f"{percent(self.value)} (estimated from {self.draws:,} draws, "
                f"95% interval {percent(self.low)}-{percent(self.high)})")

    def to_dict(self):
        return attrs.asdict(self)


@attrs.define(eq=False)
class IfStats:
    """What was seen of one ``if``: where its enclosing blocks are active, did its condition hold?

    Attributes:
        node: The `ast.If`.
        outer: ``(condition, polarity)`` guards of the blocks around it.
        exact: Every configuration was seen (not a sample).
        seen: The enclosing blocks were active somewhere.
        seen_feasible: ... somewhere that meets the constraints.
        true: The condition held somewhere (enclosing blocks active).
        false: It failed somewhere.
        true_feasible: It held somewhere that meets the constraints.
        false_feasible: It failed somewhere that meets the constraints.
    """

    node: object
    outer: tuple
    exact: bool = True
    seen: bool = False
    seen_feasible: bool = False
    true: bool = False
    false: bool = False
    true_feasible: bool = False
    false_feasible: bool = False


@attrs.define(eq=False)
class WhereStats:
    """What was seen of one constraint.

    Attributes:
        constraint: The model's `Constraint`.
        exact: Every configuration was seen.
        seen: Its blocks were active somewhere.
        broken: It failed somewhere its blocks are active.
        mass: Probability (of a draw) that its blocks are active.
        kept: Probability that its blocks are active and it holds.
    """

    constraint: object
    exact: bool = True
    seen: bool = False
    broken: bool = False
    mass: float = 0.0
    kept: float = 0.0

    @property
    def pass_rate(self):
        return self.kept / self.mass if self.mass > 0 else 1.0


@attrs.define(eq=False)
class Survey:
    """The measurements of one space.

    Attributes:
        grid_size: Configurations of ``Space.grid()`` at `RESOLUTION` (an int when exact).
        grid_exact: ``grid_size`` is exact; otherwise it is an upper bound.
        fraction: The feasible `Fraction`.
        ifs: `IfStats` of every ``if``, in file order.
        wheres: `WhereStats` of every constraint, in file order.
        unseen: ``(dim, [value indices])`` of finite choices with values no feasible configuration
            takes (enumerated components only).
    """

    grid_size: object
    grid_exact: bool
    fraction: Fraction
    ifs: list
    wheres: list
    unseen: list


def rarely_feasible(measured):
    """``(fraction, tightest constraint)`` when a measured `Survey`'s feasible fraction is surely below
    `LOW_FRACTION` (the upper end of its 95 % interval is) and a constraint with a position is to
    blame (the one the fewest draws meet where it applies); otherwise None."""
    fraction = measured.fraction
    if fraction.high >= LOW_FRACTION:
        return None
    tight = min((s for s in measured.wheres if s.constraint.pos is not None), key=lambda s: s.pass_rate, default=None)
    return None if tight is None else (fraction, tight.constraint)


def percent(p):
    if p == 0 or p >= 0.1:
        return f"{100 * p:.1f}%".replace(".0%", "%")
    return f"{100 * p:.2g}%"


def wilson(k, n):
    """95 % Wilson score interval of a proportion k / n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


class _Union:
    def __init__(self):
        self.parent = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, items):
        items = list(items)
        for x in items:
            self.find(x)
        for y in items[1:]:
            a, b = self.find(items[0]), self.find(y)
            if a != b:
                self.parent[b] = a


def walk_ifs(statements, guards=()):
    """Every ``if`` with the guards of the blocks around it, in file order."""
    for s in statements:
        if isinstance(s, ast.If):
            yield s, guards
            yield from walk_ifs(s.body, guards + ((s.condition, True),))
            yield from walk_ifs(s.orelse, guards + ((s.condition, False),))


def _needs(model, exprs):
    need = set()
    for e in exprs:
        for node in names_in(e):
            hit = model.by_name.get(node.name)
            if hit is not None:
                need.add(hit[0])
                need |= model.dims[hit[0]].requires
    return need


def _grid_size(dim):
    prior = dim.prior
    if prior is None:
        return dim.size
    if not prior.integer and prior.step is None and math.isfinite(prior.low) and math.isfinite(prior.high) \
            and prior.low < prior.high:
        return RESOLUTION  # evenly spaced points of a bounded continuous support are all distinct
    return len(prior.grid(RESOLUTION))


class _Component:
    """Dimensions tied together by conditions and constraints, with what names them.

    Attributes:
        dims: Its dimensions, in file order.
        expand: Those some condition or constraint reads: enumerated.
        multiply: The others: they only multiply the grid where they are active.
        ifs: ``(IfStats, dims it reads)`` pairs.
        wheres: ``(WhereStats, dims it reads)`` pairs.
    """

    def __init__(self, dims, read=()):
        self.dims = sorted(dims)
        self.expand = [j for j in self.dims if j in read]
        self.multiply = [j for j in self.dims if j not in read]
        self.ifs, self.wheres = [], []


class _Part:
    """What one enumeration covers: dimensions to expand, and the items evaluated on its rows."""

    def __init__(self):
        self.expand, self.multiply, self.ifs, self.wheres = [], [], [], []


def survey(space, cache=None):
    """Measure a `Space`: see the module docstring.

    ``cache`` (a dict shared between calls, as `diff` does for two versions of a file) keeps each
    component's grid size and fraction under a key made of its statements' text; a component found
    there is not measured again, and then its ``ifs``/``wheres`` stats and ``unseen`` stay unfilled.
    """
    model = space.model
    ifs = [IfStats(node, outer) for node, outer in walk_ifs(space.statements)]
    wheres = [WhereStats(c) for c in model.constraints]
    union = _Union()
    read = set()
    if_needs = [_needs(model, [s.node.condition] + [g for g, _ in s.outer]) for s in ifs]
    for need in if_needs:
        union.join(need)
        read |= need
    for c in model.constraints:
        union.join(c.requires)
        read |= c.requires
    for dim in model.dims:
        read |= dim.requires
        union.join([dim.index, *dim.requires])
    groups = {}
    for dim in model.dims:
        groups.setdefault(union.find(dim.index), set()).add(dim.index)
    components, root = {}, _Component(())
    grid_size, grid_exact = 1, True
    keys = None if cache is None else _keys(space, model)
    for key, dims in groups.items():
        comp = _Component(dims, read)
        dim = model.dims[comp.dims[0]]
        if not comp.expand and not dim.guards:  # one free dimension: it only multiplies the grid
            if cache is None or dim.prior is None:
                grid_size *= _grid_size(dim)
                continue
            free = ("free", dim.prior.integer, keys[0].get(dim.names[0]))
            if free not in cache:
                cache[free] = _grid_size(dim)
            grid_size *= cache[free]
            continue
        components[key] = comp
    for stats, need in zip(ifs, if_needs):
        (components[union.find(min(need))] if need else root).ifs.append((stats, frozenset(need)))
    for stats in wheres:
        need = stats.constraint.requires
        (components[union.find(min(need))] if need else root).wheres.append((stats, need))
    fraction = [1.0, 1.0, 1.0, True, 0]
    unseen = []
    for comp in [root, *components.values()]:
        if keys is None:
            size, exact, (p, lo, hi, p_exact, draws), missing = _measure(model, comp)
        else:
            key = _component_key(comp, model, keys)
            if key not in cache:
                cache[key] = _measure(model, comp)[:3]
            (size, exact, (p, lo, hi, p_exact, draws)), missing = cache[key], []
        grid_size *= size
        grid_exact &= exact
        fraction[0] *= p
        fraction[1] *= lo
        fraction[2] *= hi
        fraction[3] &= p_exact
        fraction[4] = max(fraction[4], draws)
        unseen += missing
    return Survey(grid_size, grid_exact, Fraction(*fraction), ifs, wheres, unseen)


def _keys(space, model):
    """Every parameter's statement by name, and the constants, for `_component_key`."""
    nodes = {}
    stack = list(space.statements)
    while stack:
        st = stack.pop()
        if isinstance(st, ast.Param):
            nodes[st.name] = st
        elif isinstance(st, ast.Tied):
            nodes[st.names[0]] = st
        elif isinstance(st, ast.If):
            stack += list(st.body) + list(st.orelse)
    constants = tuple((name, literal_key(value)) for name, value in model.constants.items())
    return nodes, constants


def _component_key(comp, model, keys):
    """What decides a component's measurements: its statements and conditions (syntax-tree nodes are
    equal and hash alike when they say the same thing), and the constants."""
    nodes, constants = keys
    dims = tuple((nodes.get(model.dims[j].names[0]), model.dims[j].guards) for j in comp.dims)
    ifs = tuple((s.node.condition, s.outer) for s, _ in comp.ifs)
    wheres = tuple((s.constraint.condition, s.constraint.guards) for s, _ in comp.wheres)
    return dims, ifs, wheres, constants


def _split(model, comp):
    """(conditioning dimension or None, parts): with the first dimension fixed, what falls apart.

    Given the value of the component's first dimension, the parts are independent, so each is
    enumerated on its own for every value of it instead of all together.
    """
    r = comp.expand[0]
    rest = _Union()
    links = [("expand", j, {j} | model.dims[j].requires) for j in comp.expand[1:]]
    links += [("multiply", j, model.dims[j].requires) for j in comp.multiply]
    links += [("ifs", item, item[1]) for item in comp.ifs]
    links += [("wheres", item, item[1]) for item in comp.wheres]
    for _, _, need in links:
        if need - {r}:
            rest.join(need - {r})
    base, parts = _Part(), {}  # base: what reads only r, evaluated on the start rows
    for kind, item, need in links:
        need = need - {r}
        part = base if not need else parts.setdefault(rest.find(min(need)), _Part())
        getattr(part, kind).append(item)
    if not parts:  # nothing falls apart: one enumeration
        return None, [_whole(comp)]
    for part in parts.values():
        part.expand.sort()
    return r, [base, *parts.values()]


def _measure(model, comp):
    """(grid size, exact?, (fraction, low, high, exact?, draws), unseen choice values) of a component."""
    dims = model.dims
    sizes = {j: _grid_size(dims[j]) for j in comp.expand + comp.multiply}
    domains = {j: _domain(dims[j], sizes[j]) for j in comp.expand}
    has_dist = any(dims[j].prior is not None for j in comp.expand)
    r, parts = _split(model, comp) if comp.expand else (None, [_whole(comp)])
    if r is None:
        start, p_start = Batch(model, 1), np.ones(1)
        bound = math.prod(sizes[j] for j in comp.expand)
    else:
        (start, _), = _expand(model, Batch(model, 1), [], [r], domains, np.zeros(1, dtype=np.int64))
        active = start.active[r]
        p_start = np.full(start.n, 1.0 / sizes[r]) if active is None else np.where(active, 1.0 / sizes[r], 1.0)
        bound = max(start.n * math.prod(sizes[j] for j in part.expand) for part in parts)
    exact = not has_dist
    for stats, _ in comp.ifs + comp.wheres:
        stats.exact = exact and bound <= EXACT_LIMIT
    if bound > EXACT_LIMIT:
        k = _sample(model, comp) if comp.wheres or comp.ifs else DRAWS
        lo, hi = wilson(k, DRAWS)
        p = (k / DRAWS, lo, hi, False, DRAWS) if comp.wheres else (1.0, 1.0, 1.0, True, 0)
        upper = math.prod(sizes[j] for j in comp.expand + comp.multiply)
        return upper, False, p, []
    fixed = [] if r is None else [r]
    results = [_run(model, start, fixed, part, sizes, domains) for part in parts]
    ok = [res.prob > 0 for res in results]
    count = np.ones(start.n)
    prob = p_start.copy()
    for res in results:
        count *= res.count
        prob *= res.prob
    unseen = []
    for i, (part, res) in enumerate(zip(parts, results)):
        others = np.ones(start.n, dtype=bool)
        for k, o in enumerate(ok):
            if k != i:
                others &= o
        res.record(part, others, p_start)
        if exact:
            for j, seen in res.seen_values.items():
                seen = seen[others].any(axis=0)
                if seen.any() and not seen.all():
                    unseen.append((dims[j], np.flatnonzero(~seen).tolist()))
    if exact and r is not None and dims[r].kind in ("choice", "tied"):  # the values of the start rows
        alive = np.logical_and.reduce(ok)
        active = start.active[r]
        seen = np.zeros(dims[r].size, dtype=bool)
        seen[start.raw[r][alive if active is None else alive & active]] = True
        if seen.any() and not seen.all():
            unseen.append((dims[r], np.flatnonzero(~seen).tolist()))
    total = _exact_int(float(count.sum()))
    if exact:
        p = min(1.0, float(prob.sum()))
        return total, True, (p, p, p, True, 0), unseen
    if comp.wheres:
        k = _sample(model, comp)
        lo, hi = wilson(k, DRAWS)
        return total, True, (k / DRAWS, lo, hi, False, DRAWS), []
    _sample(model, comp)  # conditions on distributions: more evidence than the grid's points
    return total, True, (1.0, 1.0, 1.0, True, 0), []


def _whole(comp):
    part = _Part()
    part.expand, part.multiply, part.ifs, part.wheres = comp.expand, comp.multiply, comp.ifs, comp.wheres
    return part


def _domain(dim, size):
    if dim.prior is None:
        return size, lambda idx: idx
    values = dim.prior.grid(RESOLUTION)
    return len(values), lambda idx: values[idx]


def _take(batch, rows, set_dims):
    """``batch.take(rows)``, copying only the dimensions already set (a batch has a slot for every
    dimension of the space, and most are not part of this enumeration)."""
    new = Batch(batch.model, len(rows))
    for j in set_dims:
        new.raw[j] = batch.raw[j][rows]
        a = batch.active[j]
        new.active[j] = None if a is None else a[rows]
    return new


def _expand(model, start, fixed, dims, domains, origin):
    """Yield ``(batch, origin)`` chunks: every row of ``start`` (where the dimensions ``fixed`` are set)
    expanded over ``dims`` (a dimension inactive in a row is not expanded there); ``origin`` maps each
    row to its row of ``start``."""
    stack = [(start, origin, 0)]
    while stack:
        batch, org, p = stack.pop()
        if batch.n == 0:
            continue
        if p == len(dims):
            yield batch, org
            continue
        j = dims[p]
        set_dims = fixed + dims[:p]
        size, raw_of = domains[j]
        step = max(1, CHUNK // size)
        if batch.n > step:  # a slice at a time, so no chunk outgrows CHUNK rows
            for s in reversed(range(0, batch.n, step)):
                idx = np.arange(s, min(s + step, batch.n))
                stack.append((_take(batch, idx, set_dims), org[idx], p))
            continue
        active = batch.activity(model.dims[j].guards)
        counts = np.full(batch.n, size) if active is None else np.where(active, size, 1)
        rows = np.repeat(np.arange(batch.n), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        new = _take(batch, rows, set_dims)
        new.set(j, raw_of(np.arange(len(rows)) - starts))
        stack.append((new, org[rows], p + 1))


class _Result:
    """Per row of the start batch: feasible grid count and probability of one part, and its items' flags."""

    def __init__(self, n, part, model):
        self.n = n
        self.count = np.zeros(n)
        self.prob = np.zeros(n)
        self.if_flags = [np.zeros((6, n), dtype=bool) for _ in part.ifs]
        self.where_flags = [np.zeros((2, n), dtype=bool) for _ in part.wheres]
        self.where_mass = [np.zeros((2, n)) for _ in part.wheres]
        self.seen_values = {j: np.zeros((n, model.dims[j].size), dtype=bool) for j in part.expand
                            if model.dims[j].kind in ("choice", "tied")}  # n * size <= the part's rows

    def record(self, part, others, p_start):
        """Write the flags into the part's stats; ``others``: rows where every other part is feasible."""
        for (stats, _), f in zip(part.ifs, self.if_flags):
            stats.seen |= bool(f[0].any())
            stats.seen_feasible |= bool((f[1] & others).any())
            stats.true |= bool(f[2].any())
            stats.false |= bool(f[3].any())
            stats.true_feasible |= bool((f[4] & others).any())
            stats.false_feasible |= bool((f[5] & others).any())
        for (stats, _), f, m in zip(part.wheres, self.where_flags, self.where_mass):
            stats.seen |= bool(f[0].any())
            stats.broken |= bool(f[1].any())
            stats.mass += float((m[0] * p_start).sum())
            stats.kept += float((m[1] * p_start).sum())


def _any_by(origin, mask, n):
    """Per start row: does any of its rows have mask set?"""
    if n == 1:
        return np.array([mask.any()])
    return np.bincount(origin[mask], minlength=n) > 0 if mask.any() else np.zeros(n, dtype=bool)


def _sum_by(origin, weights, n):
    """Per start row: the sum of its rows' weights."""
    if n == 1:
        return np.array([weights.sum()])
    return np.bincount(origin, weights=weights, minlength=n)


def _run(model, start, fixed, part, sizes, domains):
    """Enumerate one part from every row of ``start``; a `_Result`."""
    dims, n = model.dims, start.n
    res = _Result(n, part, model)
    for batch, org in _expand(model, start, fixed, part.expand, domains, np.arange(n)):
        m = batch.n
        w_count = np.ones(m)
        for j in part.multiply:
            active = batch.activity(dims[j].guards)
            w_count *= sizes[j] if active is None else np.where(active, sizes[j], 1)
        w_prob = np.ones(m)
        for j in part.expand:
            active = batch.active[j]
            w_prob *= (1.0 / sizes[j]) if active is None else np.where(active, 1.0 / sizes[j], 1.0)
        feasible = np.ones(m, dtype=bool)
        for (stats, _), f, mass in zip(part.wheres, res.where_flags, res.where_mass):
            c = stats.constraint
            active = batch.activity(c.guards)
            active = np.ones(m, dtype=bool) if active is None else active
            holds = batch.evaluator.truth(c.condition)
            f[0] |= _any_by(org, active, n)
            f[1] |= _any_by(org, active & ~holds, n)
            mass[0] += _sum_by(org, w_prob * active, n)
            mass[1] += _sum_by(org, w_prob * (active & holds), n)
            feasible &= holds | ~active
        for (stats, _), f in zip(part.ifs, res.if_flags):
            outer = batch.activity(stats.outer)
            outer = np.ones(m, dtype=bool) if outer is None else outer
            t = batch.activity(((stats.node.condition, True),))  # shared with the guards' cache
            for k, mask in enumerate((outer, outer & feasible, outer & t, outer & ~t, outer & t & feasible,
                                      outer & ~t & feasible)):
                f[k] |= _any_by(org, mask, n)
        res.count += _sum_by(org, w_count * feasible, n)
        res.prob += _sum_by(org, w_prob * feasible, n)
        for j, seen in res.seen_values.items():
            active = batch.active[j]
            mask = feasible if active is None else feasible & active
            seen[org[mask], batch.raw[j][mask]] = True
    return res


def _exact_int(x):
    return int(round(x))


def _sample(model, comp):
    """Draw `DRAWS` seeded configurations of the component, record what they show; how many are feasible."""
    rng = np.random.default_rng(0)
    batch = decode(model, rng.random((DRAWS, len(comp.dims))), comp.dims)
    feasible = _observe(batch, comp, np.full(DRAWS, 1.0 / DRAWS))
    return int(feasible.sum())


def _observe(batch, comp, w_prob):
    """Record in the component's stats what the batch's rows show; return its feasible mask."""
    n = batch.n
    feasible = np.ones(n, dtype=bool)
    for s, _ in comp.wheres:
        c = s.constraint
        active = batch.activity(c.guards)
        holds = batch.evaluator.truth(c.condition)
        if active is None:
            active = np.ones(n, dtype=bool)
        s.seen |= bool(active.any())
        s.broken |= bool((active & ~holds).any())
        s.mass += float(w_prob[active].sum())
        s.kept += float(w_prob[active & holds].sum())
        feasible &= holds | ~active
    for s, _ in comp.ifs:
        outer = batch.activity(s.outer)
        if outer is None:
            outer = np.ones(n, dtype=bool)
        t = batch.evaluator.truth(s.node.condition)
        s.seen |= bool(outer.any())
        s.seen_feasible |= bool((outer & feasible).any())
        s.true |= bool((outer & t).any())
        s.false |= bool((outer & ~t).any())
        s.true_feasible |= bool((outer & t & feasible).any())
        s.false_feasible |= bool((outer & ~t & feasible).any())
    return feasible
