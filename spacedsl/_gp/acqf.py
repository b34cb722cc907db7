"""Expected improvement, in logs, computed so it never underflows.

For a loss to minimise with posterior ``N(mean, sigma^2)`` at x and incumbent
``best``, ``EI = sigma * h(z)`` with ``z = (best - mean) / sigma`` and
``h(z) = z Phi(z) + phi(z)``. ``h`` underflows to 0 in double precision once
z < -38, which leaves a flat acquisition surface with no gradient — exactly
where a good incumbent puts most of the space. So we compute ``log h``:

- z > -1: directly, ``log(z Phi(z) + phi(z))`` (no cancellation there);
- -1e6 < z <= -1: ``log phi(z) + log1p(z * sqrt(pi/2) * erfcx(-z / sqrt 2))``,
  because ``Phi(z) / phi(z) = sqrt(pi/2) erfcx(-z / sqrt 2)`` (Mills' ratio);
- z <= -1e6: the asymptote ``log phi(z) - 2 log(-z)``.

(The split is Ament et al. 2023, "Unexpected improvements to expected
improvement for Bayesian optimization".) The derivative is
``d log h / dz = Phi(z) / h(z) = exp(log_ndtr(z) - log h(z))``.
"""

from __future__ import annotations

import math

import numpy as np

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_SQRT_HALF = math.sqrt(0.5)
MIN_VARIANCE = 1e-12


def log_h(z):
    """``log(z * Phi(z) + phi(z))``, accurate for every finite z."""
    from scipy.special import erfcx, ndtr
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    mid = z > -1.0
    zm = z[mid]
    out[mid] = np.log(zm * ndtr(zm) + _INV_SQRT_2PI * np.exp(-0.5 * zm * zm))
    low = ~mid
    if low.any():
        zl = z[low]
        log_phi = -0.5 * zl * zl - _LOG_SQRT_2PI
        far = zl <= -1e6
        with np.errstate(divide="ignore", invalid="ignore"):
            near = np.log1p(zl * _SQRT_HALF_PI * erfcx(-_SQRT_HALF * zl))
        out[low] = log_phi + np.where(far, -2.0 * np.log(np.abs(zl)), near)
    return out


def log_ei(mean, var, best, grad=False):
    """log EI of a loss below ``best`` and, with ``grad``, its derivatives in mean and var."""
    from scipy.special import log_ndtr
    var = np.maximum(var, MIN_VARIANCE)
    sigma = np.sqrt(var)
    z = (best - mean) / sigma
    lh = log_h(z)
    value = np.log(sigma) + lh
    if not grad:
        return value
    dlh = np.exp(log_ndtr(z) - lh)                   # d log h / dz
    d_mean = -dlh / sigma
    d_var = (1.0 - dlh * z) / (2.0 * var)            # d/dsigma = (1 - z dlh) / sigma; dsigma/dvar = 1/(2 sigma)
    return value, d_mean, d_var


class LogEI:
    """log EI over a `gp.Posterior` below the threshold ``best`` (standardised units)."""

    def __init__(self, posterior, best):
        self.posterior = posterior
        self.best = float(best)

    def __call__(self, X):
        mean, var = self.posterior.predict(X)
        return log_ei(mean, var, self.best)

    def with_grad(self, X):
        """(values (m,), gradients (m, d)) at the rows of X."""
        mean, var, dmean, dvar = self.posterior.predict(X, grad=True)
        value, g_mean, g_var = log_ei(mean, var, self.best, grad=True)
        small = var <= MIN_VARIANCE                      # clamped: var no longer moves the value
        g_var = np.where(small, 0.0, g_var)
        return value, g_mean[:, None] * dmean + g_var[:, None] * dvar
