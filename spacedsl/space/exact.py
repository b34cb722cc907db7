"""Exact answers about constraints over finite domains, shared by the check and the sampler.

A top-level ``where`` made of ``and``-ed parts narrows every finite dimension that a part names
alone (``p == 9`` leaves one value of ``p``); the product of the narrowed domains of the
dimensions the constraints need is then enumerated whenever it has at most `EXACT_LIMIT` rows.
`check_satisfiable` and `Space.sample` use the same enumeration, so a space the check accepts
exactly always samples, however rare its feasible configurations are.
"""

from __future__ import annotations

import math

import numpy as np

from ..language import ast
from .expr import names_in
from .model import Batch

EXACT_LIMIT = 10**6  # rows of the (narrowed) product enumerated exactly
NARROW_LIMIT = 10**6  # a dimension larger than this is not narrowed
CHUNK = 1 << 16


def conjuncts(expr):
    """The parts of ``a and b and ...``, left to right."""
    out, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Binary) and node.op == "and":
            stack.extend((node.right, node.left))
        else:
            out.append(node)
    return out


def _truth_over(model, j, expr, active=True):
    """Truth of ``expr`` (naming dimension j and constants only) for each of j's values."""
    size = model.dims[j].size
    out = np.empty(size, dtype=bool)
    for s in range(0, size, CHUNK):
        idx = np.arange(s, min(s + CHUNK, size), dtype=np.int64)
        batch = Batch(model, len(idx))
        batch.raw[j] = idx
        batch.active[j] = None if active else np.zeros(len(idx), dtype=bool)
        out[s:s + len(idx)] = batch.evaluator.truth(expr)
    return out


def narrowed(model):
    """Per finite dimension that a constraint narrows: the indices a feasible configuration can take."""
    keep = {}
    for c in model.constraints:
        if c.guards:  # a where inside a block binds only where the block is active
            continue
        for part in conjuncts(c.condition):
            dims = {model.by_name[n.name][0] for n in names_in(part) if n.name in model.by_name}
            if len(dims) != 1:
                continue
            j = dims.pop()
            dim = model.dims[j]
            if dim.prior is not None or dim.size > NARROW_LIMIT:
                continue
            if dim.guards and _truth_over(model, j, part, active=False)[0]:
                continue  # holds while j is inactive: narrowing j would reweigh those rows
            mask = _truth_over(model, j, part)
            keep[j] = mask if j not in keep else keep[j] & mask
    return {j: np.flatnonzero(mask) for j, mask in keep.items()}


def plan(model):
    """``(dims, domains)`` to enumerate exactly, or None when the constraints need a distribution
    or the narrowed product is larger than `EXACT_LIMIT`. ``domains[k]`` are the raw indices of
    ``dims[k]`` that can be feasible."""
    need = set()
    for c in model.constraints:
        need |= c.requires
    dims = sorted(need)
    if any(model.dims[j].prior is not None for j in dims):
        return None
    keep = narrowed(model)
    domains = [keep.get(j, np.arange(model.dims[j].size, dtype=np.int64)) for j in dims]
    if math.prod(len(d) for d in domains) > EXACT_LIMIT:
        return None
    return dims, domains


def enumerate_rows(model, dims, domains, chunk=CHUNK):
    """Yield ``(batch, positions)``: the whole product of ``domains`` in bounded batches, where
    ``positions[k]`` is each row's index into ``domains[k]``."""
    shape = tuple(len(d) for d in domains)
    total = math.prod(shape)
    for s in range(0, total, chunk):
        flat = np.arange(s, min(s + chunk, total), dtype=np.int64)
        positions = np.unravel_index(flat, shape) if shape else ()
        batch = Batch(model, len(flat))
        for j, domain, pos in zip(dims, domains, positions):
            batch.set(j, domain[pos])
        yield batch, positions


def feasible_table(model):
    """``(dims, rows)``: every feasible combination of the constrained dimensions' raw indices
    (one row each, in enumeration order), or None when `plan` finds no exact enumeration.
    Computed once per model."""
    if "feasible" not in model.cache:
        found = plan(model)
        table = None
        if found is not None:
            dims, domains = found
            rows = []
            for batch, positions in enumerate_rows(model, dims, domains):
                ok = np.flatnonzero(batch.feasible())
                if len(ok):
                    rows.append(np.stack([batch.raw[j][ok] for j in dims], axis=1))
            table = dims, (np.concatenate(rows) if rows else np.empty((0, len(dims)), dtype=np.int64))
        model.cache["feasible"] = table
    return model.cache["feasible"]


def draw_feasible(model, table, n, rng):
    """n points of the unit cube whose constrained dimensions are drawn uniformly from the
    feasible ``table`` and the rest freely: rejection sampling's distribution, without rejecting."""
    dims, rows = table
    u = rng.random((n, len(model.dims)))
    pick = rows[rng.integers(len(rows), size=n)]
    for k, j in enumerate(dims):
        u[:, j] = (pick[:, k] + 0.5) / model.dims[j].size
    return u
