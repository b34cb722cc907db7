"""The Gaussian-process package (spacedsl._gp) and the gp-ei strategy built on it.

Maths first (kernel, marginal likelihood and its gradient, posterior against
scikit-learn, log-EI where naive EI underflows, canonical points), then how the
strategy behaves on small problems: it converges, respects mixed, conditional
and constrained spaces, survives failed trials, batches, and is seeded.
"""

import math
import statistics

import numpy as np
import pytest
import scipy.stats

import spacedsl
from spacedsl._gp import acqf, gp, kernel, optim, warp
from spacedsl._gp.search_space import Encoding, config_key
from spacedsl_plugins import gp_ei
from spacedsl_plugins.gp_ei import GPEI

MIXED = """
optimizer in ["sgd", "adam", "rmsprop"]
layers in 1..8
lr ~ loguniform(1e-4, 1)
"""

CONDITIONAL = """
kernel in ["linear", "rbf", "poly"]
C ~ loguniform(1e-3, 1e3)
if kernel == "poly" {
    degree in 2..5
}
if kernel in ["rbf", "poly"] {
    gamma ~ loguniform(1e-5, 1)
}
tol = 0.001
"""


def mixed_data(n=25, seed=0):
    rng = np.random.default_rng(seed)
    categorical = np.array([False, True, False, False])
    X = rng.random((n, 4))
    X[:, 1] = (rng.integers(0, 3, n) + 0.5) / 3
    return X, rng.normal(size=n), categorical


def finite_difference(f, x, h=1e-6):
    return np.array([(f(x + e) - f(x - e)) / (2 * h) for e in np.eye(len(x)) * h])


# --------------------------------------------------------------------- kernel

def test_kernel_is_positive_semidefinite_with_labels():
    X, _, categorical = mixed_data(40)
    X[5] = X[6]  # a repeated point is allowed (semi-definite)
    for theta in ([0.0, 0.0, 0.0, 0.0, 0.0, -5.0], [-2.0, 1.0, -1.0, 0.5, 0.3, -5.0]):
        hyper = gp.Hyper(theta)
        K = hyper.signal * kernel.matern52(kernel.pairwise_deltas(X, categorical) @ hyper.inv_sq_ls)
        assert np.allclose(K, K.T)
        assert np.allclose(np.diag(K), hyper.signal)
        assert np.linalg.eigvalsh(K).min() > -1e-10


def test_cross_distances_match_pairwise():
    X, _, categorical = mixed_data(12)
    inv = np.array([2.0, 5.0, 0.5, 1.0])
    full = kernel.pairwise_deltas(X, categorical) @ inv
    assert np.allclose(kernel.cross_r2(X, X, inv, categorical), full, atol=1e-12)


def test_matern_slope_is_its_derivative():
    r2 = np.array([1e-4, 0.1, 1.0, 4.0])
    _, slope = kernel.matern52_and_slope(r2)
    numeric = (kernel.matern52(r2 + 1e-7) - kernel.matern52(r2 - 1e-7)) / 2e-7
    assert np.allclose(slope, numeric, rtol=1e-5)


# ----------------------------------------------------- likelihood and posterior

def test_marginal_likelihood_gradient_matches_finite_differences():
    X, y, categorical = mixed_data()
    deltas = kernel.pairwise_deltas(X, categorical)
    theta = np.array([-1.0, 0.3, -0.5, 0.2, 0.4, math.log(1e-2)])
    _, grad = gp.log_marginal_likelihood(theta, deltas, y)
    numeric = finite_difference(lambda t: gp.log_marginal_likelihood(t, deltas, y, with_grad=False)[0], theta)
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_prior_gradient_matches_finite_differences():
    prior = gp.Prior(4)
    theta = np.array([-1.0, 0.3, -0.5, 0.2, 0.4, math.log(1e-2)])
    _, grad = prior.log_density(theta, 4)
    numeric = finite_difference(lambda t: prior.log_density(t, 4)[0], theta)
    assert np.allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_likelihood_and_posterior_agree_with_scikit_learn():
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    rng = np.random.default_rng(1)
    X, y = rng.random((30, 3)), rng.normal(size=30)
    hyper = gp.Hyper([math.log(0.3), math.log(0.7), math.log(1.5), math.log(1.3), math.log(0.01)])
    k = ConstantKernel(hyper.signal) * Matern(length_scale=hyper.lengthscales, nu=2.5) + WhiteKernel(hyper.noise)
    reference = GaussianProcessRegressor(k, alpha=0.0, optimizer=None).fit(X, y)
    ours, _ = gp.log_marginal_likelihood(hyper.theta, kernel.pairwise_deltas(X, np.zeros(3, bool)), y, False)
    assert ours == pytest.approx(reference.log_marginal_likelihood_value_, rel=1e-9)
    Q = rng.random((5, 3))
    mean, std = reference.predict(Q, return_std=True)
    m, v = gp.Posterior(X, y, hyper, np.zeros(3, bool)).predict(Q)
    assert np.allclose(m, mean, atol=1e-9)
    assert np.allclose(v, std**2 - hyper.noise, atol=1e-9)


def test_fit_recovers_a_sensible_model_and_warm_starts():
    rng = np.random.default_rng(2)
    X = rng.random((40, 2))
    y = np.sin(6 * X[:, 0]) + 0.0 * X[:, 1]  # the second input is irrelevant
    y = (y - y.mean()) / y.std()
    prior = gp.Prior(2)
    hyper = gp.fit(X, y, np.zeros(2, bool), prior)
    ls = hyper.lengthscales
    assert ls[1] > 2 * ls[0]  # the irrelevant dimension gets the longer lengthscale
    assert hyper.noise < 1e-2
    again = gp.fit(X, y, np.zeros(2, bool), prior, start=hyper.theta)
    assert np.allclose(again.theta, hyper.theta, atol=1e-2)


def test_acquisition_gradient_matches_finite_differences():
    X, y, categorical = mixed_data()
    posterior = gp.Posterior(X, y, gp.Hyper([-1.0, 0.3, -0.5, 0.2, 0.4, math.log(1e-3)]), categorical)
    ei = acqf.LogEI(posterior, y.min())
    Q = np.random.default_rng(3).random((4, 4))
    Q[:, 1] = X[:4, 1]
    _, grad = ei.with_grad(Q)
    for i in range(len(Q)):
        def f(x, i=i):
            P = Q.copy()
            P[i] = x
            return ei(P)[i]
        numeric = finite_difference(f, Q[i])
        numeric[1] = 0.0  # categorical: no gradient
        assert np.allclose(grad[i], numeric, rtol=1e-4, atol=1e-6)


# -------------------------------------------------------------------- log-EI

def test_log_h_matches_naive_where_representable():
    z = np.linspace(-30, 6, 721)
    naive = z * scipy.stats.norm.cdf(z) + scipy.stats.norm.pdf(z)
    assert np.allclose(acqf.log_h(z), np.log(naive), rtol=1e-9, atol=1e-12)


def test_log_h_is_finite_and_monotone_where_naive_underflows():
    z = -np.logspace(1.6, 9, 400)[::-1]  # -1e9 .. -40
    naive = z * scipy.stats.norm.cdf(z) + scipy.stats.norm.pdf(z)
    assert np.all(naive[z < -40] <= 1e-300)
    value = acqf.log_h(z)
    assert np.all(np.isfinite(value))
    assert np.all(np.diff(value) > 0)
    # the asymptote log phi(z) - 2 log|z| takes over smoothly at z = -1e6
    pair = acqf.log_h(np.array([-1e6 * (1 + 1e-9), -1e6 * (1 - 1e-9)]))
    assert abs(pair[1] - pair[0]) < 1e-2 * abs(pair[0]) * 1e-6 + 1e-3


def test_log_ei_of_a_sure_improvement_and_its_derivatives():
    value = acqf.log_ei(np.array([0.0]), np.array([1e-8]), best=1.0)
    assert value[0] == pytest.approx(0.0, abs=1e-6)  # EI = best - mean = 1
    mean, var = np.array([0.3, -2.0, 40.0]), np.array([0.5, 0.01, 0.2])
    _, d_mean, d_var = acqf.log_ei(mean, var, 0.0, grad=True)
    assert np.allclose(d_mean, (acqf.log_ei(mean + 1e-6, var, 0.0) - acqf.log_ei(mean - 1e-6, var, 0.0)) / 2e-6,
                       rtol=1e-5)
    assert np.allclose(d_var, (acqf.log_ei(mean, var + 1e-7, 0.0) - acqf.log_ei(mean, var - 1e-7, 0.0)) / 2e-7,
                       rtol=1e-4)


def test_power_warp_is_monotone_and_standardised():
    y = np.concatenate([np.linspace(0, 1, 30), [50.0, 1e4]])
    w = warp.transform(y)
    assert np.all(np.diff(w) > 0)
    assert w.mean() == pytest.approx(0.0, abs=1e-9) and w.std() == pytest.approx(1.0)
    assert np.array_equal(np.argsort(warp.transform(y, "none")), np.argsort(w))


# ------------------------------------------------------------ canonical points

@pytest.mark.parametrize("text", [
    "a: int ~ uniform(1, 10)", "a ~ randint(1, 10)", "a ~ uniform(0, 1, step=0.25)",
    "a in [3, 10, 20, 40]", 'a in ["x", "y", "z"]', "a: int ~ expon(5)",
])
def test_canonical_points_decode_to_what_they_encode(text):
    space = spacedsl.parse(text)
    enc = Encoding(space)
    X, feasible = enc.canonical(np.random.default_rng(0).random((200, 1)))
    assert feasible.all()
    configs = enc.decode(X)
    assert np.array_equal(enc.encode(configs), X)  # told configurations come back as the points proposed
    assert np.array_equal(enc.canonical(X)[0], X)  # idempotent


def test_inactive_parameters_take_the_fill_value():
    space = spacedsl.parse(CONDITIONAL)
    enc = Encoding(space)
    X, _, active = enc.canonical(np.random.default_rng(0).random((300, 4)), with_active=True)
    configs = enc.decode(X)
    for row, act, config in zip(X, active, configs):
        assert ("degree" in config) == act[2] and ("gamma" in config) == act[3]
        if not act[2]:
            assert row[2] == 0.5  # degree is ordinal: fill 0.5
    back = enc.encode(configs)
    assert np.array_equal(back[:, [0, 2]], X[:, [0, 2]])  # labels and levels exactly
    assert np.allclose(back, X, atol=1e-12)  # floats through ppf and cdf


# ---------------------------------------------------------------- the strategy

def run(strategy, f, n):
    history = []
    for _ in range(n):
        (config,) = strategy.ask(1)
        loss = f(config)
        strategy.tell(config, loss)
        history.append((config, loss))
    return history


def test_registers_through_the_hook():
    assert gp_ei.spacedsl_strategies() == {"gp-ei": GPEI}


def test_quadratic_converges_within_30_evaluations():
    space = spacedsl.parse("x ~ uniform(-1, 1); y ~ uniform(-1, 1)")
    history = run(GPEI(space, seed=0), lambda c: (c["x"] - 0.3) ** 2 + (c["y"] + 0.2) ** 2, 30)
    assert min(loss for _, loss in history) < 1e-2


def test_mixed_space_categorical_int_float():
    space = spacedsl.parse(MIXED)

    def f(c):
        return ({"sgd": 1.0, "adam": 0.0, "rmsprop": 0.5}[c["optimizer"]] + 0.1 * (c["layers"] - 5) ** 2
                + (math.log10(c["lr"]) + 2) ** 2)

    history = run(GPEI(space, seed=1), f, 30)
    for config, _ in history:
        space.validate(config)
        assert type(config["layers"]) is int and type(config["lr"]) is float
    assert len({config_key(c) for c, _ in history}) == 30
    best = min(history, key=lambda h: h[1])[0]
    assert best["optimizer"] == "adam" and 4 <= best["layers"] <= 6 and 1e-3 < best["lr"] < 1e-1


def test_integer_only_space_is_searched_level_by_level():
    space = spacedsl.parse("a ~ randint(0, 30); b: int ~ uniform(-20, 20)")
    history = run(GPEI(space, seed=2), lambda c: (c["a"] - 17) ** 2 + (c["b"] + 4) ** 2, 25)
    assert min(loss for _, loss in history) <= 2


def test_conditional_space():
    space = spacedsl.parse(CONDITIONAL)

    def f(c):
        loss = {"linear": 1.0, "rbf": 0.3, "poly": 0.6}[c["kernel"]] + 0.05 * abs(math.log10(c["C"]) - 1)
        if "gamma" in c:
            loss += 0.05 * abs(math.log10(c["gamma"]) + 2)
        return loss + (0.02 * c["degree"] if "degree" in c else 0.0)

    strategy = GPEI(space, seed=3)
    history = run(strategy, f, 25)
    for config, _ in history:
        space.validate(config)
        assert config["tol"] == 0.001
    assert strategy._theta is not None  # the model was used
    assert {c["kernel"] for c, _ in history} == {"linear", "rbf", "poly"}
    assert min(history, key=lambda h: h[1])[0]["kernel"] == "rbf"


def test_constrained_space_never_proposes_an_infeasible_configuration():
    space = spacedsl.parse("x ~ uniform(0, 1); y ~ uniform(0, 1); n in 1..5\nwhere x + y <= 0.8\nwhere n * x <= 2")
    strategy = GPEI(space, seed=4)
    proposed = []
    for _ in range(12):
        batch = strategy.ask(2)
        for config in batch:
            space.validate(config)  # raises on a broken constraint
            assert config["x"] + config["y"] <= 0.8 and config["n"] * config["x"] <= 2
            strategy.tell(config, -(config["x"] + config["y"]) + 0.01 * config["n"])
        proposed += batch
    assert len(proposed) == 24
    assert max(c["x"] + c["y"] for c in proposed) > 0.75  # it pushes against the constraint


def test_failed_trials_do_not_break_it():
    space = spacedsl.parse("x ~ uniform(0, 1); y ~ uniform(0, 1)")
    strategy = GPEI(space, seed=5)
    for _ in range(8):
        (config,) = strategy.ask(1)
        strategy.tell(config, None)  # every trial fails at first
    seen = []
    for _ in range(15):
        (config,) = strategy.ask(1)
        fails = config["x"] > 0.7
        strategy.tell(config, None if fails else (config["x"] - 0.5) ** 2 + (config["y"] - 0.5) ** 2)
        seen.append(config)
    strategy.tell(strategy.ask(1)[0], float("nan"))  # NaN and inf count as failures too
    strategy.tell(strategy.ask(1)[0], float("inf"))
    assert len({config_key(c) for c in seen}) == len(seen)
    late = seen[-8:]
    assert sum(c["x"] > 0.7 for c in late) <= 3  # it steers away from where trials fail


def test_batches_are_distinct_and_pending_configurations_are_not_repeated():
    space = spacedsl.parse(MIXED)
    strategy = GPEI(space, seed=6)
    for config in strategy.ask(10):
        strategy.tell(config, config["layers"] + math.log(config["lr"]))
    first = strategy.ask(4)
    second = strategy.ask(4)  # nothing told in between: the first four are pending
    keys = {config_key(c) for c in first + second}
    assert len(first) == len(second) == 4 and len(keys) == 8
    for config in first + second:
        space.validate(config)


def test_same_seed_same_proposals():
    space = spacedsl.parse(MIXED)

    def trace(seed):
        strategy = GPEI(space, seed=seed)
        out = []
        for _ in range(9):
            batch = strategy.ask(2)
            for config in batch:
                strategy.tell(config, config["layers"] * config["lr"] + len(config["optimizer"]))
            out += batch
        return out

    assert trace(7) == trace(7)
    assert trace(7) != trace(8)


def test_defaults_come_first():
    space = spacedsl.parse("x ~ uniform(0, 1) = 0.25; y ~ uniform(0, 1); z in [1, 2, 3] = 3")
    first = GPEI(space, seed=0).ask(3)
    assert first[0]["x"] == 0.25 and first[0]["z"] == 3
    assert len({config_key(c) for c in first}) == 3


def test_small_finite_space_is_exhausted_then_empty():
    space = spacedsl.parse('a in [1, 2, 3]; b in ["u", "v"]')
    strategy = GPEI(space, seed=0)
    seen = []
    while True:
        batch = strategy.ask(4)
        if not batch:
            break
        for config in batch:
            strategy.tell(config, config["a"] + (config["b"] == "v"))
        seen += batch
    assert len(seen) == 6 and len({config_key(c) for c in seen}) == 6


def test_options_are_checked():
    space = spacedsl.parse("x ~ uniform(0, 1)")
    with pytest.raises(TypeError, match="n_candidate"):
        GPEI(space, n_candidate=10)
    with pytest.raises(ValueError, match="warp"):
        GPEI(space, warp="log")
    with pytest.raises(ValueError):
        GPEI(space).ask(-1)
    assert GPEI("x ~ uniform(0, 1)", seed=0).ask(0) == []


def test_asks_at_50_observations_in_6d_are_new_and_in_the_space():
    """(Their time: benchmarks/bench_strategies.py, "time per proposal after 50 observations".)"""
    space = spacedsl.parse("; ".join(f"x{i} ~ uniform(0, 1)" for i in range(6)))
    strategy = GPEI(space, seed=0)
    rng = np.random.default_rng(0)
    centre = rng.random(6)
    for config in space.sample(50, seed=1):
        strategy.tell(config, float(np.sum((np.array(list(config.values())) - centre) ** 2)))
    asked = []
    for _ in range(5):
        (config,) = strategy.ask(1)
        space.validate(config)
        asked.append(config)
        strategy.tell(config, float(np.sum((np.array(list(config.values())) - centre) ** 2)))
    assert len({tuple(sorted(c.items())) for c in asked}) == 5


def test_sobol_helper_gives_any_number_of_points():
    pts = optim.sobol(3, 100, np.random.default_rng(0))
    assert pts.shape == (100, 3) and pts.min() >= 0 and pts.max() <= 1


def test_asynchronous_workers_do_not_walk_after_their_pending_points():
    """Two workers on a simulated clock: at every ask one configuration is still pending. A constant
    liar at the incumbent's loss made each proposal land beside the pending one (median regret 0.2
    at 30 trials on Branin over these seeds); the Kriging believer keeps the search on course."""
    import heapq

    space = "x1 ~ uniform(-5, 10)\nx2 ~ uniform(0, 15)\n"

    def branin(c):
        x1, x2 = c["x1"], c["x2"]
        return ((x2 - 5.1 / (4 * math.pi ** 2) * x1 ** 2 + 5 / math.pi * x1 - 6) ** 2
                + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10)

    def regret(seed, n=30):
        strategy = GPEI(space, seed=seed)
        heap, k, clock, best = [], 0, 0.0, math.inf
        for _ in range(n):
            while len(heap) < 2:
                config = strategy.ask(1)[0]
                heapq.heappush(heap, (clock + 1.0 + 0.5 * ((k * 7919) % 13) / 13, k, config))
                k += 1
            clock, _, config = heapq.heappop(heap)
            value = branin(config)
            strategy.tell(config, value)
            best = min(best, value)
        return best - 0.397887

    assert statistics.median(regret(seed) for seed in range(4)) < 0.05


def test_prior_mean_is_pessimistic_far_from_the_data():
    """Where the model knows nothing it predicts a loss worse than most of what was seen (the upper
    quartile of the warped losses), not their mean: expected improvement then stays near the good
    points instead of spending evaluations on empty corners."""
    rng = np.random.default_rng(0)
    strategy = GPEI("x ~ uniform(0, 1)\ny ~ uniform(0, 1)\n", seed=0, n_startup=0)
    for x, y in 0.2 * rng.random((16, 2)):
        strategy.tell({"x": float(x), "y": float(y)}, float((x - 0.1) ** 2 + (y - 0.1) ** 2))
    X, y, hyper, best, _ = strategy._fit()
    assert np.quantile(y, gp_ei.PRIOR_MEAN_QUANTILE) == pytest.approx(0.0, abs=1e-12)
    mean, var = gp.Posterior(X, y, hyper, strategy._enc.categorical).predict(np.array([[1.0, 1.0]]))
    assert mean[0] > np.median(y) and mean[0] > best
    assert var[0] > 0.5 * hyper.signal  # far from every point: the prior, not the data
