"""Branches: a conditional space as weighted assignments of the finite parameters that decide it.

Formats whose other side has no conditions, only alternatives (scikit-learn's
list of dicts, Hyperopt's ``hp.choice``), enumerate the values of the finite
parameters that ``if`` conditions (and finite-only constraints) name: each
assignment is one branch, with the probability spacedsl gives it, and says
which of the other parameters are active there.
"""

from __future__ import annotations

from fractions import Fraction

import attrs
import numpy as np

from ..space.grid import batches
from ..space.model import Batch
from ..space.tree import names_in

MAX_BRANCHES = 10_000


@attrs.frozen
class Branch:
    """One assignment of the deciding parameters.

    Attributes:
        values: Name -> value of the deciding parameters active in it (file order).
        weight: Its probability under spacedsl's sampling (before constraints renormalise).
        active: Indices of the dimensions (`Space.dimensions`) active in it, deciding ones included
            (a dimension whose conditions name parameters outside the branch is left out).
    """

    values: dict = attrs.field(hash=False)
    weight: Fraction
    active: frozenset


def branches(space, deciding, ignore=(), constraints=True):
    """Every assignment of the dimensions ``deciding`` (indices), constraints over them applied.

    ``ignore`` holds condition expressions treated as true (a lossy conversion dropped them);
    ``constraints=False`` keeps the assignments that break a constraint.
    Raises ValueError when there are more than `MAX_BRANCHES`.
    """
    dims = space.dimensions
    deciding = sorted(deciding)
    ignored = {id(e) for e in ignore}
    model = space.model
    known = set(space.constants) | {n for j in deciding for n in dims[j].names}
    out = []
    for batch in batches(model, dims=deciding, resolution=1, apply_constraints=constraints):
        truth = {}

        def holds(expr, polarity, batch=batch, truth=truth):
            if id(expr) in ignored:
                return None
            if id(expr) not in truth:
                truth[id(expr)] = batch.evaluator.truth(expr)
            return truth[id(expr)] if polarity else ~truth[id(expr)]

        values = {j: [batch.output_list(j, k) for k in range(len(dims[j].names))] for j in deciding}
        activity = {}
        for dim in dims:
            if not all(id(e) in ignored or set(names_in(e)) <= known for e, _ in dim.guards):
                continue  # decided by parameters outside the branch: left out of ``active``
            mask = None
            for expr, polarity in dim.guards:
                m = holds(expr, polarity)
                if m is not None:
                    mask = m if mask is None else mask & m
            activity[dim.index] = mask
        for row in range(batch.n):
            active = frozenset(j for j, m in activity.items() if m is None or m[row])
            assigned, weight = {}, Fraction(1)
            for j in deciding:
                if j in active:
                    weight /= dims[j].size
                    for k, name in enumerate(dims[j].names):
                        assigned[name] = values[j][k][row]
            out.append(Branch(assigned, weight, active))
            if len(out) > MAX_BRANCHES:
                raise ValueError(f"more than {MAX_BRANCHES:,} branches")
    return out


def truth_table(space, expr, name):
    """An expression of one finite parameter (and constants), over that parameter's values.

    Returns:
        ``[(value, holds), ...]`` in the domain's order, and whether it holds while the parameter is
        inactive (compares as none).
    """
    model = space.model
    j, _ = model.by_name[name]
    dim = model.dims[j]
    n = dim.size
    batch = Batch(model, n + 1)
    batch.raw[j] = np.concatenate([np.arange(n), [0]]).astype(np.int64)
    batch.active[j] = np.arange(n + 1) < n
    t = batch.evaluator.truth(expr)
    return [(v, bool(t[i])) for i, v in enumerate(dim.finite.values)], bool(t[n])


def truth(space, expr, config):
    """Whether an expression holds for values of finite, untied parameters (``{name: value}``) and constants."""
    model = space.model
    batch = Batch(model, 1)
    for name, value in config.items():
        j, _ = model.by_name[name]
        batch.raw[j] = np.array([model.dims[j].finite.index_of(value)], dtype=np.int64)
    return bool(batch.evaluator.truth(expr)[0])
