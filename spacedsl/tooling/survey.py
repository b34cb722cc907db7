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

from ..expr import names_in
from ..grid import batches
from ..model import decode
from .. import ast

EXACT_LIMIT = 10**6  # components with at most this many grid rows are enumerated exactly
DRAWS = 10_000  # larger ones, and those naming a distribution, are sampled this many times
RESOLUTION = 5  # the default resolution of Space.grid
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
    return dim.size if dim.prior is None else len(dim.prior.grid(RESOLUTION))


class _Component:
    """Dimensions tied together by conditions and constraints, with what names them."""

    def __init__(self, dims):
        self.dims = sorted(dims)
        self.expand = []  # dimensions some condition or constraint reads
        self.multiply = []  # the others: they only multiply the grid
        self.ifs, self.wheres = [], []


def survey(space):
    """Measure a `Space`: see the module docstring."""
    model = space._model
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
    for key, dims in groups.items():
        comp = _Component(dims)
        comp.expand = [j for j in comp.dims if j in read]
        comp.multiply = [j for j in comp.dims if j not in read]
        if not comp.expand:  # one free dimension: it only multiplies the grid
            grid_size *= _grid_size(model.dims[comp.dims[0]])
            continue
        components[key] = comp
    for stats, need in zip(ifs, if_needs):
        (components[union.find(min(need))] if need else root).ifs.append(stats)
    for stats in wheres:
        need = stats.constraint.requires
        (components[union.find(min(need))] if need else root).wheres.append(stats)
    fraction = [1.0, 1.0, 1.0, True, 0]
    unseen = []
    for comp in [root, *components.values()]:
        size, exact, (p, lo, hi, p_exact, draws), missing = _measure(model, comp)
        grid_size *= size
        grid_exact &= exact
        fraction[0] *= p
        fraction[1] *= lo
        fraction[2] *= hi
        fraction[3] &= p_exact
        fraction[4] = max(fraction[4], draws)
        unseen += missing
    return Survey(grid_size, grid_exact, Fraction(*fraction), ifs, wheres, unseen)


def _measure(model, comp):
    """(grid size, exact?, (fraction, low, high, exact?, draws), unseen choice values) of a component."""
    dims = model.dims
    sizes = {j: _grid_size(dims[j]) for j in comp.expand + comp.multiply}
    rows_bound = math.prod(sizes[j] for j in comp.expand)
    has_dist = any(dims[j].prior is not None for j in comp.expand)
    enumerate_ = rows_bound <= EXACT_LIMIT
    count, feasible_count, kept = 0.0, 0.0, 0.0
    seen_values = {j: np.zeros(dims[j].size, dtype=bool) for j in comp.expand
                   if dims[j].kind in ("choice", "tied")}
    for s in comp.ifs:
        s.exact = enumerate_ and not has_dist
    for s in comp.wheres:
        s.exact = enumerate_ and not has_dist
    if enumerate_:
        stream = batches(model, comp.expand, resolution=RESOLUTION, apply_constraints=False)
        for batch in stream:
            w_count = np.ones(batch.n)
            for j in comp.multiply:
                active = batch._activity(dims[j].guards)
                w_count *= sizes[j] if active is None else np.where(active, sizes[j], 1)
            w_prob = np.ones(batch.n)
            for j in comp.expand:
                active = batch.active[j]
                w_prob *= (1.0 / sizes[j]) if active is None else np.where(active, 1.0 / sizes[j], 1.0)
            feasible = _observe(batch, comp, w_prob)
            count += w_count.sum()
            feasible_count += w_count[feasible].sum()
            kept += w_prob[feasible].sum()
            for j, seen in seen_values.items():
                active = batch.active[j]
                mask = feasible if active is None else feasible & active
                seen[np.unique(batch.raw[j][mask])] = True
    if enumerate_ and not has_dist:
        total = _exact_int(feasible_count)
        p = min(1.0, kept)
        unseen = [(dims[j], np.flatnonzero(~seen).tolist()) for j, seen in seen_values.items()
                  if seen.any() and not seen.all()]
        return total, True, (p, p, p, True, 0), unseen
    if not comp.wheres:
        _sample(model, comp)  # conditions on distributions: more evidence than the grid's points
        p = (1.0, 1.0, 1.0, True, 0)
    else:
        k = _sample(model, comp)
        lo, hi = wilson(k, DRAWS)
        p = (k / DRAWS, lo, hi, False, DRAWS)
    if enumerate_:
        return _exact_int(feasible_count), True, p, []
    bound = rows_bound * math.prod(sizes[j] for j in comp.multiply)
    return bound, False, p, []


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
    for s in comp.wheres:
        c = s.constraint
        active = batch._activity(c.guards)
        holds = batch.evaluator.truth(c.condition)
        if active is None:
            active = np.ones(n, dtype=bool)
        s.seen |= bool(active.any())
        s.broken |= bool((active & ~holds).any())
        s.mass += float(w_prob[active].sum())
        s.kept += float(w_prob[active & holds].sum())
        feasible &= holds | ~active
    for s in comp.ifs:
        outer = batch._activity(s.outer)
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
