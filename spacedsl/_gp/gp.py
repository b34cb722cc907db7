"""Gaussian-process regression: MAP hyperparameters and the posterior.

The model: ``y = f(x) + eps``, ``f ~ GP(0, signal * matern52(r2))`` (see `kernel`),
``eps ~ N(0, noise)``, on outputs the caller has standardised (unit variance)
and shifted so that zero is the prior mean it wants: ``gp-ei`` puts it at the
upper quartile of what was seen (a pessimistic prior, see `plugins.gp_ei`).

Hyperparameters are fitted as a maximum a posteriori estimate: L-BFGS-B over
``theta = (log l_1..log l_d, log signal, log(noise - MIN_NOISE))`` with the
gradient of the log marginal likelihood worked out analytically from one
Cholesky factorisation (``d log p(y) / d theta = 1/2 tr((a a^T - K^-1) dK/dtheta)``,
``a = K^-1 y``). The previous fit is the starting point of the next one.

Priors (inputs live in the unit cube, outputs are standardised):

- ``log l ~ Normal(log(0.25 * sqrt(d / 2)), 0.5)``: a quarter of the cube in
  two dimensions, growing like sqrt(d) (the dimension scaling of Hvarfner et
  al. 2024, "Vanilla Bayesian optimization performs great in high
  dimensions"), with a centre short enough that the model stays uncertain
  between its data. Longer, looser priors (centre ~1, sd 1) let a handful of
  points fit long lengthscales; the model then trusts its extrapolation,
  explores corners and stalls in the first basin it finds (on Hartmann6 the
  median regret at 50 evaluations was ~0.15 against ~1e-3 with this prior).
- ``signal ~ Gamma(2, 1)`` (mode 1, the variance of standardised outputs).
- ``noise ~ Gamma(1.1, 30)`` plus a floor of ``MIN_NOISE``: nearly noise-free
  unless the data insist; losses of real training runs do.
"""

from __future__ import annotations

import math

import numpy as np

from .kernel import cross_r2, matern52, matern52_and_slope, pairwise_deltas

MIN_NOISE = 1e-6
LOG_2PI = math.log(2.0 * math.pi)


class Prior:
    """The MAP prior over ``theta`` (see the module docstring).

    Attributes:
        ls_mean: Mean of log lengthscale.
        ls_std: Standard deviation of log lengthscale.
        signal_shape, signal_rate: Gamma prior on the signal variance.
        noise_shape, noise_rate: Gamma prior on the noise variance.
    """

    def __init__(self, d, ls_mean=None, ls_std=0.5, signal_shape=2.0, signal_rate=1.0,
                 noise_shape=1.1, noise_rate=30.0):
        self.ls_mean = math.log(0.25) + 0.5 * math.log(max(d, 1) / 2.0) if ls_mean is None else ls_mean
        self.ls_std = ls_std
        self.signal_shape, self.signal_rate = signal_shape, signal_rate
        self.noise_shape, self.noise_rate = noise_shape, noise_rate

    def log_density(self, theta, d):
        """(log prior up to a constant, gradient with respect to theta)."""
        grad = np.zeros_like(theta)
        z = (theta[:d] - self.ls_mean) / self.ls_std
        lp = -0.5 * float(z @ z)
        grad[:d] = -z / self.ls_std
        s = math.exp(theta[d])
        lp += (self.signal_shape - 1.0) * theta[d] - self.signal_rate * s
        grad[d] = (self.signal_shape - 1.0) - self.signal_rate * s
        extra = math.exp(theta[d + 1])
        noise = MIN_NOISE + extra
        lp += (self.noise_shape - 1.0) * math.log(noise) - self.noise_rate * noise
        grad[d + 1] = ((self.noise_shape - 1.0) / noise - self.noise_rate) * extra
        return lp, grad

    def initial(self, d):
        """A neutral starting point: the prior's median lengthscale, unit signal, small noise."""
        return np.concatenate([np.full(d, self.ls_mean), [0.0, math.log(1e-3)]])


class Hyper:
    """Kernel hyperparameters.

    Attributes:
        theta: ``(log l_1..log l_d, log signal, log(noise - MIN_NOISE))``.
    """

    def __init__(self, theta):
        self.theta = np.asarray(theta, dtype=float)

    @property
    def d(self):
        return len(self.theta) - 2

    @property
    def lengthscales(self):
        return np.exp(self.theta[:-2])

    @property
    def inv_sq_ls(self):
        return np.exp(-2.0 * self.theta[:-2])

    @property
    def signal(self):
        return math.exp(self.theta[-2])

    @property
    def noise(self):
        return MIN_NOISE + math.exp(self.theta[-1])

    def __repr__(self):
        ls = ", ".join(f"{v:.3g}" for v in self.lengthscales)
        return f"Hyper(lengthscales=[{ls}], signal={self.signal:.3g}, noise={self.noise:.3g})"


def bounds(d):
    """Box for theta: lengthscales in [1e-3, 1e3], signal in [1e-3, 1e2], noise excess in [1e-10, 1e1]."""
    return ([(math.log(1e-3), math.log(1e3))] * d
            + [(math.log(1e-3), math.log(1e2)), (math.log(1e-10), math.log(10.0))])


def _cholesky(K):
    """Lower Cholesky factor, adding jitter to the diagonal if K is not numerically PD."""
    import scipy.linalg
    jitter = 0.0
    for _ in range(6):
        try:
            if jitter:
                K = K + jitter * np.eye(len(K))
            return scipy.linalg.cholesky(K, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            jitter = max(jitter * 10.0, 1e-9 * max(float(np.mean(np.diag(K))), 1e-12))
    raise np.linalg.LinAlgError("kernel matrix is not positive definite even with jitter")


def log_marginal_likelihood(theta, deltas, y, with_grad=True):
    """log p(y | theta) and its gradient; ``deltas`` from `kernel.pairwise_deltas`."""
    import scipy.linalg
    n, _, d = deltas.shape
    hyper = Hyper(theta)
    inv = hyper.inv_sq_ls
    s = hyper.signal
    r2 = deltas @ inv
    M, slope = matern52_and_slope(r2)
    K = s * M
    K[np.diag_indices(n)] += hyper.noise
    L = _cholesky(K)
    alpha = scipy.linalg.cho_solve((L, True), y, check_finite=False)
    value = -0.5 * float(y @ alpha) - float(np.sum(np.log(np.diag(L)))) - 0.5 * n * LOG_2PI
    if not with_grad:
        return value, None
    K_inv = scipy.linalg.cho_solve((L, True), np.eye(n), check_finite=False)
    W = np.outer(alpha, alpha) - K_inv            # d value / d K = W / 2
    grad = np.empty(d + 2)
    G = W * slope                                  # dK/dr2 = s * slope
    # d r2 / d log l_k = -2 deltas_k / l_k^2
    grad[:d] = -s * inv * np.einsum("ij,ijk->k", G, deltas)
    grad[d] = 0.5 * s * float(np.sum(W * M))
    grad[d + 1] = 0.5 * math.exp(theta[d + 1]) * float(np.trace(W))
    return value, grad


def fit(X, y, categorical, prior, start=None, maxiter=200):
    """MAP hyperparameters for the data (X in the unit cube, y standardised); returns `Hyper`.

    Starts from ``start`` (the previous fit) when given; falls back to the prior's
    neutral point if that start fails, and to the best point found otherwise.
    """
    import scipy.optimize
    n, d = X.shape
    deltas = pairwise_deltas(X, categorical)
    box = bounds(d)

    def objective(theta):
        try:
            value, grad = log_marginal_likelihood(theta, deltas, y)
        except np.linalg.LinAlgError:
            return 1e25, np.zeros_like(theta)
        lp, lgrad = prior.log_density(theta, d)
        total = value + lp
        if not np.isfinite(total) or not np.all(np.isfinite(grad)):
            return 1e25, np.zeros_like(theta)
        return -total, -(grad + lgrad)

    starts = [prior.initial(d)] if start is None else [np.clip(start, [b[0] for b in box], [b[1] for b in box]),
                                                      prior.initial(d)]
    best = None
    for x0 in starts:
        try:
            res = scipy.optimize.minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=box,
                                          options={"maxiter": maxiter, "gtol": 1e-4, "ftol": 1e-9})
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.all(np.isfinite(res.x)) and res.fun < 1e24 and (best is None or res.fun < best.fun):
            best = res
        if best is not None and start is not None:
            break  # the warm start worked: keep it (the fallback is only for failures)
    return Hyper(prior.initial(d) if best is None else best.x)


class Posterior:
    """The GP conditioned on (X, y) under fixed hyperparameters.

    Attributes:
        X: Training inputs (n, d).
        y: Training outputs (n,), standardised.
        hyper: The `Hyper` in use.
        categorical: Boolean mask of categorical dimensions.
    """

    def __init__(self, X, y, hyper, categorical):
        import scipy.linalg
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.hyper = hyper
        self.categorical = categorical
        self._inv = hyper.inv_sq_ls
        K = hyper.signal * matern52(pairwise_deltas(self.X, categorical) @ self._inv)
        K[np.diag_indices(len(K))] += hyper.noise
        self.L = _cholesky(K)
        self.alpha = scipy.linalg.cho_solve((self.L, True), self.y, check_finite=False)

    def predict(self, Xq, grad=False):
        """Posterior mean and variance of f at the rows of Xq.

        With ``grad=True`` also their gradients with respect to every ordered
        (non-categorical) coordinate, as (m, d) arrays (zero in categorical columns).
        """
        import scipy.linalg
        Xq = np.asarray(Xq, dtype=float)
        s = self.hyper.signal
        r2 = cross_r2(Xq, self.X, self._inv, self.categorical)
        if grad:
            M, slope = matern52_and_slope(r2)
        else:
            M = matern52(r2)
        k = s * M                                              # (m, n)
        mean = k @ self.alpha
        v = scipy.linalg.solve_triangular(self.L, k.T, lower=True, check_finite=False)  # (n, m)
        var = np.maximum(s - np.einsum("ij,ij->j", v, v), 0.0)
        if not grad:
            return mean, var
        w = scipy.linalg.solve_triangular(self.L, v, lower=True, trans="T", check_finite=False).T  # K^-1 k, (m, n)
        dk = s * slope                                          # d k / d r2
        cont = ~self.categorical
        two_inv = 2.0 * self._inv[cont]

        def through(weights):  # sum_i weights_i * d r2_i / d x  over ordered columns
            out = np.zeros_like(Xq)
            out[:, cont] = two_inv * (weights.sum(axis=1)[:, None] * Xq[:, cont] - weights @ self.X[:, cont])
            return out

        dmean = through(dk * self.alpha[None, :])
        dvar = -2.0 * through(dk * w)
        return mean, var, dmean, dvar
