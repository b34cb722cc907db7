"""The space as the Gaussian process sees it: canonical points of the unit cube.

`Space.to_unit` puts every dimension in [0, 1]. The model needs one more thing:
a *canonical* point for every configuration, so that two points mapping to the
same configuration are the same input, and what is told comes back as the
point that was proposed. `Encoding.canonical` snaps points:

- ``float``: clipped to [0, 1];
- ``int`` (and distributions with ``step``): the middle, in the unit cube, of the
  cell of points that decode to the same lattice value;
- ``ordinal`` / ``categorical``: the middle of the index's cell, ``(i + 0.5) / size``;
- inactive parameters (conditional blocks that do not hold): a fixed fill,
  0.5 for ordered dimensions and -1 for categorical ones (a level code no
  active value has, so "absent" is its own label to the Hamming kernel). All
  configurations without the parameter therefore agree on it, and the other
  dimensions carry the comparison.

It also tells which points are feasible (``where`` constraints), in the same
vectorised decoding pass.
"""

from __future__ import annotations

import numpy as np

from ..strategies.base import config_key  # noqa: F401 - re-exported for the strategy

FILL_ORDERED = 0.5
FILL_CATEGORICAL = -1.0
FLOAT, INT, ORDINAL, CATEGORICAL = "float", "int", "ordinal", "categorical"


class Encoding:
    """Canonical unit-cube points of a `Space`.

    Attributes:
        space: The space.
        d: Number of dimensions.
        kinds: ``model_kind`` of each dimension.
        categorical: Boolean mask of categorical dimensions.
        continuous: Indices of dimensions optimised by gradient (float and int).
        discrete: Indices of dimensions searched level by level (int, ordinal, categorical).
        sizes: Number of levels of finite dimensions (0 for distributions).
        conditional: Whether any parameter is conditional.
        constrained: Whether the space has ``where`` constraints.
        finite_size: Upper bound on the number of configurations when every
            dimension is finite, else None.
    """

    def __init__(self, space):
        self.space = space
        dims = space.dimensions
        self.d = len(dims)
        self.kinds = [dim.model_kind for dim in dims]
        self.priors = [getattr(dim, "prior", None) for dim in dims]
        self.names = [tuple(dim.names) for dim in dims]
        self.sizes = np.array([dim.size or 0 for dim in dims], dtype=np.int64)
        self.categorical = np.array([k == CATEGORICAL for k in self.kinds], dtype=bool)
        self.lattice = [p is not None and (p.integer or p.step is not None) for p in self.priors]
        self.continuous = np.array([j for j, k in enumerate(self.kinds) if k in (FLOAT, INT)], dtype=np.int64)
        self.discrete = np.array([j for j, k in enumerate(self.kinds) if k != FLOAT and (k != INT or self.lattice[j])],
                                 dtype=np.int64)
        self.conditional = any(getattr(dim, "guards", ()) for dim in dims)
        self.constrained = space.constrained
        self.fill = np.where(self.categorical, FILL_CATEGORICAL, FILL_ORDERED)
        self.constants = frozenset(space.constants)
        if self.d and all(self.sizes > 0):
            self.finite_size = int(np.prod(self.sizes.astype(float))) if np.prod(self.sizes.astype(float)) < 2**62 \
                else None
        else:
            self.finite_size = None if self.d else 1

    # ------------------------------------------------------------ lattices
    def _half_cell(self, prior):
        h = 0.0
        if prior.step is not None:
            h = max(h, prior.step / 2.0)
        if prior.integer:
            h = max(h, 0.5)
        return h

    def lattice_unit(self, j, values, fallback=None):
        """Canonical unit coordinate of lattice values of prior dimension j (NaN stays NaN).

        The middle of the value's cell; should that not decode back to the value
        (an unusual custom distribution), ``fallback`` (the point that produced
        the value) or else the value's CDF.
        """
        prior = self.priors[j]
        values = np.asarray(values, dtype=float)
        out = np.full(values.shape, np.nan)
        ok = ~np.isnan(values)
        if not ok.any():
            return out
        v = values[ok]
        h = self._half_cell(prior)
        mid = 0.5 * (prior.cdf(v - h) + prior.cdf(v + h))
        mid = np.clip(mid, 0.0, 1.0)
        good = prior.ppf(mid) == v
        if not good.all():
            alt = prior.cdf(v) if fallback is None else np.asarray(fallback, dtype=float)[ok]
            mid = np.where(good, mid, alt)
        out[ok] = mid
        return out

    def neighbours(self, j, u, step):
        """Canonical coordinate ``step`` lattice values away from canonical ``u`` in dimension j (clipped)."""
        kind = self.kinds[j]
        if kind in (ORDINAL, CATEGORICAL):
            size = self.sizes[j]
            idx = np.clip(np.floor(u * size) + step, 0, size - 1)
            return (idx + 0.5) / size
        prior = self.priors[j]
        v = prior.ppf(u)
        q = prior.step if prior.step is not None else 1.0
        if prior.integer and prior.step is not None:
            q = max(q, 1.0)
        target = prior.snap(v + step * q)
        target = np.clip(target, prior.low, prior.high)
        target = prior.snap(target)
        return self.lattice_unit(j, target)

    # -------------------------------------------------------- canonical form
    def snap(self, U):
        """Snap every coordinate to its lattice (ignores activity)."""
        X = np.array(U, dtype=float, copy=True)
        if X.ndim == 1:
            X = X[None, :]
        np.clip(X, 0.0, 1.0, out=X)
        for j, kind in enumerate(self.kinds):
            if kind in (ORDINAL, CATEGORICAL):
                size = self.sizes[j]
                X[:, j] = (np.minimum(np.floor(X[:, j] * size), size - 1) + 0.5) / size
            elif self.lattice[j]:
                X[:, j] = self.lattice_unit(j, self.priors[j].ppf(X[:, j]), fallback=X[:, j])
        return X

    def canonical(self, U, feasibility=True, with_active=False):
        """(canonical points, feasible mask[, active mask]): snapped, inactive coordinates filled.

        ``active`` is an (n, d) boolean array (every parameter active in an
        unconditional space).
        """
        X = self.snap(U)
        n = len(X)
        active = np.ones(X.shape, dtype=bool)
        feasible = np.ones(n, dtype=bool)
        if self.d and (self.conditional or (feasibility and self.constrained)):
            active, mask = self.space.activity_unit(X)  # activity and constraints in one pass
            if feasibility:
                feasible = mask
            X[~active] = np.broadcast_to(self.fill, X.shape)[~active]
        return (X, feasible, active) if with_active else (X, feasible)

    def encode(self, configs):
        """Canonical points of configurations (as told)."""
        configs = list(configs)
        if not configs:
            return np.zeros((0, self.d))
        X = np.asarray(self.space.to_unit(configs), dtype=float).reshape(len(configs), self.d)
        for j in range(self.d):
            if self.lattice[j]:
                name = self.names[j][0]
                vals = np.array([_number(c.get(name)) for c in configs], dtype=float)
                X[:, j] = self.lattice_unit(j, vals)
        inactive = np.isnan(X)
        X[inactive] = np.broadcast_to(self.fill, X.shape)[inactive]
        return X

    def decode(self, X):
        """Configurations of canonical points."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        return self.space.from_unit(np.clip(X, 0.0, 1.0))


def _number(v):
    if v is None or isinstance(v, bool) or not isinstance(v, int | float):
        return np.nan
    return float(v)
