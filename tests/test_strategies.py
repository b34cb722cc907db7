"""Contract tests run over every registered strategy, and `minimize`."""

import importlib.util
import math

import pytest

import spacedsl
from spacedsl import plugins

SPACE = """
kernel in ["linear", "rbf", "poly"]
C ~ loguniform(1e-3, 1e3)
if kernel == "poly" {
    degree in 2..5
}
if kernel != "linear" {
    gamma ~ loguniform(1e-4, 1)
}
n: int ~ uniform(1, 50)
frac ~ uniform(0, 1, step=0.25)
(a, b) in [(1, "x"), (2, "y")]
where C * n <= 2000
seed = 7
"""

# Families ("optuna:") are not strategies themselves: their members are, and the Optuna samplers
# that take any space run the whole contract (CmaEsSampler needs the cmaes package).
OPTUNA = [f"optuna:{name}" for name in ("TPESampler", "RandomSampler", "NSGAIISampler", "CmaEsSampler")
          if importlib.util.find_spec("optuna") and (name != "CmaEsSampler" or importlib.util.find_spec("cmaes"))]
STRATEGIES = sorted(name for name in plugins.strategies() if not name.endswith(":")) + OPTUNA
# budgeted strategies (sha, hyperband, asha) need the full budget of a trial
OPTIONS = {name: {"max_resource": 9} for name, f in plugins.strategies().items() if getattr(f, "budgeted", False)}


def loss(config):
    return math.log10(config["C"]) ** 2 + (config["n"] - 20) ** 2 / 100 + config["frac"] + (config["kernel"] == "rbf")


def run(name, seed, n=24, fail_every=None):
    space = spacedsl.parse(SPACE)
    strategy = plugins.strategy(name)(space, seed=seed, **OPTIONS.get(name, {}))
    asked = []
    while len(asked) < n:
        batch = strategy.ask(3)
        if not batch:
            break
        for config in batch:
            asked.append(config)
            failed = fail_every and len(asked) % fail_every == 0
            strategy.tell(config, None if failed else loss(config))
    return space, asked


def test_the_built_in_strategies_are_registered():
    assert {"grid", "random", "sobol", "gp-ei"} <= set(STRATEGIES)


@pytest.mark.parametrize("name", STRATEGIES)
def test_respects_the_space(name):
    space, asked = run(name, seed=1)
    assert asked
    for config in asked:
        space.validate(config)  # valid, active-only, constraints hold
        assert config["seed"] == 7
        assert all(v is None or type(v) in (int, float, str, bool) for v in config.values())


@pytest.mark.parametrize("name", STRATEGIES)
def test_same_seed_same_configurations(name):
    assert run(name, seed=3)[1] == run(name, seed=3)[1]


@pytest.mark.parametrize("name", [s for s in STRATEGIES if s != "grid"])
def test_different_seeds_differ(name):
    assert run(name, seed=3)[1] != run(name, seed=4)[1]


@pytest.mark.parametrize("name", STRATEGIES)
def test_failed_trials_do_not_break_it(name):
    space, asked = run(name, seed=0, fail_every=2)
    for config in asked:
        space.validate(config)


@pytest.mark.parametrize("name", STRATEGIES)
def test_ask_returns_at_most_n(name):
    strategy = plugins.strategy(name)(spacedsl.parse(SPACE), seed=0, **OPTIONS.get(name, {}))
    assert len(strategy.ask(5)) <= 5
    assert strategy.ask(0) == []


@pytest.mark.parametrize("name", [s for s in STRATEGIES if s in ("random", "sobol", "gp-ei", *OPTIONS) or s in OPTUNA])
def test_defaults_come_first(name):
    space = spacedsl.parse('k in ["a", "b"] = "b"\nx ~ uniform(0, 1) = 0.25\ny ~ uniform(0, 1)')
    first = plugins.strategy(name)(space, seed=0, **OPTIONS.get(name, {})).ask(1)[0]
    assert first["k"] == "b" and first["x"] == 0.25


def test_grid_is_exhausted_and_can_shuffle():
    space = spacedsl.parse("a in [1, 2]\nb in [3, 4, 5]")
    grid = plugins.strategy("grid")(space, seed=0)
    assert grid.ask(4) + grid.ask(4) == list(space.grid()) and grid.ask(1) == []
    shuffled = plugins.strategy("grid")(space, seed=0, shuffle=True).ask(10)
    assert sorted(map(str, shuffled)) == sorted(map(str, space.grid())) and shuffled != list(space.grid())


def test_sobol_covers_the_cube_evenly():
    space = spacedsl.parse("x ~ uniform(0, 1)")
    xs = sorted(c["x"] for c in plugins.strategy("sobol")(space, seed=0).ask(64))
    assert max(b - a for a, b in zip([0.0] + xs, xs + [1.0])) < 0.05


# ------------------------------------------------------------------ minimize

@pytest.mark.parametrize("name", STRATEGIES)
def test_minimize_is_reproducible(name):
    options = OPTIONS.get(name)
    a = spacedsl.minimize(loss, SPACE, strategy=name, n_trials=12, seed=5, strategy_options=options)
    b = spacedsl.minimize(loss, SPACE, strategy=name, n_trials=12, seed=5, strategy_options=options)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert a.best_value == min(t.value for t in a.trials) and a.best_params == min(a.trials, key=lambda t: t.value).params


def test_minimize_records_failures_and_goes_on():
    def flaky(config):
        if config["x"] > 0.5:
            raise RuntimeError("diverged")
        return config["x"]

    result = spacedsl.minimize(flaky, "x ~ uniform(0, 1)", strategy="random", n_trials=30, seed=0)
    failed = [t for t in result.trials if t.state == "failed"]
    assert failed and all(t.value is None and t.error == "RuntimeError: diverged" for t in failed)
    assert len(result.trials) == 30 and result.best_value < 0.5
    assert all(t.duration >= 0 for t in result.trials)


def test_minimize_treats_nan_as_failure_and_all_failures_as_an_error():
    with pytest.raises(RuntimeError, match="every trial failed.*the objective returned nan"):
        spacedsl.minimize(lambda c: float("nan"), "x in [1, 2]", strategy="random", n_trials=3)


def test_minimize_stops_when_the_grid_is_done():
    result = spacedsl.minimize(lambda c: c["a"], "a in [3, 1, 2]", strategy="grid", n_trials=50)
    assert len(result.trials) == 3 and result.best_params == {"a": 1}


def test_minimize_checks_its_arguments():
    with pytest.raises(ValueError):
        spacedsl.minimize(loss, SPACE, n_trials=0)
    with pytest.raises(TypeError):
        spacedsl.minimize(loss, 42)
