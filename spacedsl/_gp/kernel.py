"""Matérn-5/2 with one lengthscale per dimension; unordered labels by a Hamming distance.

Every dimension contributes to one scaled squared distance

    r2(x, x') = sum_k  delta_k(x, x') / l_k**2

where ``delta_k`` is ``(x_k - x'_k)**2`` for an ordered dimension (float, int,
ordinal: all live in [0, 1]) and ``1[x_k != x'_k]`` for a categorical one (its
value is a level code: equal codes, equal levels). The kernel is
``signal * matern52(r2)``. Feeding the Hamming indicator through the same
Matérn keeps the kernel positive definite (it is a Matérn of a distance
between embedded points: each level at a vertex of a regular simplex) and gives
each label dimension its own lengthscale, without one-hot columns.
"""

from __future__ import annotations

import math

import numpy as np

SQRT5 = math.sqrt(5.0)


def matern52(r2):
    """Matérn-5/2 correlation as a function of the squared scaled distance."""
    t = np.sqrt(5.0 * r2)
    return (1.0 + t + t * t / 3.0) * np.exp(-t)


def matern52_and_slope(r2):
    """(matern52(r2), d matern52 / d r2); the slope is finite at r2 = 0 (-5/6)."""
    t = np.sqrt(5.0 * r2)
    e = np.exp(-t)
    return (1.0 + t + t * t / 3.0) * e, (-5.0 / 6.0) * (1.0 + t) * e


def pairwise_deltas(X, categorical):
    """Per-dimension distances between the rows of X: an (n, n, d) array (see module docstring)."""
    diff = X[:, None, :] - X[None, :, :]
    out = diff * diff
    if categorical.any():
        out[:, :, categorical] = (diff[:, :, categorical] != 0.0).astype(float)
    return out


def cross_r2(A, B, inv_sq_ls, categorical):
    """r2 between every row of A (m, d) and every row of B (n, d): an (m, n) array.

    Ordered dimensions go through one matrix product (|a|^2 + |b|^2 - 2 a.b),
    categorical ones through an equality test per dimension.
    """
    cont = ~categorical
    r2 = np.zeros((A.shape[0], B.shape[0]))
    if cont.any():
        w = np.sqrt(inv_sq_ls[cont])
        a, b = A[:, cont] * w, B[:, cont] * w
        r2 += np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :] - 2.0 * (a @ b.T)
        np.maximum(r2, 0.0, out=r2)
    for k in np.flatnonzero(categorical):
        r2 += (A[:, k, None] != B[None, :, k]) * inv_sq_ls[k]
    return r2
