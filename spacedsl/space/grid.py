"""The grid: every configuration of finite domains, distributions discretised.

Order is file order with the first parameter varying slowest, like
``itertools.product``. A parameter whose block is inactive is not expanded,
so conditional parameters produce only the combinations that are active. A
constraint filters as soon as everything it names is assigned, and the parts of a ``where`` that
name one finite parameter alone narrow its values before expansion (`exact.narrowed`). Expansion runs
depth-first over bounded chunks, so a huge grid streams instead of filling
memory.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .exact import narrowed
from .model import Batch

CHUNK = 1 << 16


def _domain(dim, resolution, keep=None):
    """(size, index array -> raw array) for one dimension; ``keep``: the only raw indices that can be
    feasible (`exact.narrowed`), in order."""
    if keep is not None:
        return len(keep), lambda idx: keep[idx]
    if dim.prior is None:
        return dim.size, lambda idx: idx
    values = dim.prior.grid(resolution)
    return len(values), lambda idx: values[idx]


def batches(model, dims=None, resolution=5, apply_constraints=True, chunk=CHUNK):
    """Yield batches whose rows, in order, are the grid over ``dims`` (default: all)."""
    dims = list(range(len(model.dims))) if dims is None else list(dims)
    keep = narrowed(model) if apply_constraints and model.constraints else {}
    domains = {j: _domain(model.dims[j], resolution, keep.get(j)) for j in dims}
    ready = defaultdict(list)
    if apply_constraints:
        position = {j: p for p, j in enumerate(dims)}
        for c in model.constraints:
            if c.requires <= position.keys():
                ready[max((position[j] for j in c.requires), default=-1)].append(c)
    start = _filter(Batch(model, 1), ready[-1])
    stack = [(start, 0)]
    while stack:
        batch, p = stack.pop()
        if batch.n == 0:
            continue
        if p == len(dims):
            yield batch
            continue
        j = dims[p]
        size, raw_of = domains[j]
        step = max(1, chunk // size)
        if batch.n > step:  # expand a slice at a time so no product outgrows the chunk
            pieces = [batch.take(np.arange(s, min(s + step, batch.n))) for s in range(0, batch.n, step)]
            stack.extend((piece, p) for piece in reversed(pieces))
            continue
        active = batch.activity(model.dims[j].guards)
        counts = np.full(batch.n, size) if active is None else np.where(active, size, 1)
        rows = np.repeat(np.arange(batch.n), counts)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        new = batch.take(rows)
        new.set(j, raw_of(np.arange(len(rows)) - starts))
        stack.append((_filter(new, ready[p]), p + 1))


def _filter(batch, constraints):
    for c in constraints:
        keep = batch.constraint_holds(c)
        if not keep.all():
            batch = batch.take(np.flatnonzero(keep))
    return batch


def iter_grid(model, resolution=5):
    """Every configuration of the grid, as dicts."""
    for batch in batches(model, resolution=resolution):
        yield from batch.configs()
