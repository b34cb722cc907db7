"""The configspace format: ConfigSpace objects and JSON, both ways; refusals; the missing extra."""

import io
import json
import sys
from pathlib import Path

import numpy as np
import scipy.stats
import pytest

import spacedsl
from spacedsl.formats import ConversionError, MissingExtraError

CS = pytest.importorskip("ConfigSpace")
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SPACE = """\
kernel in ["linear", "rbf", "poly", "sigmoid"]
C ~ loguniform(0.001, 1000.0) = 1.0
if kernel == "poly" {
    degree in 2..5
}
if kernel in ["rbf", "poly", "sigmoid"] {
    gamma ~ loguniform(1e-05, 10) = 0.01
    if gamma > 0.1 {
        coef0 ~ uniform(-1, 1)
    }
}
depth in [3, 10, 20, 40]
bootstrap in [true, false]
mu ~ normal(0, 2)
b ~ scipy.beta(2, 5, loc=1, scale=3)
where not (depth == 40 and bootstrap == false)
seed = 0
"""


def plain(config):
    return {k: v.item() if hasattr(v, "item") else v for k, v in dict(config).items()}


def test_configspace_samples_of_a_converted_space_validate_in_ours_and_back():
    space = spacedsl.parse(SPACE)
    cs = spacedsl.convert(space, "configspace")
    assert isinstance(cs, CS.ConfigurationSpace)
    assert type(cs["depth"]).__name__ == "OrdinalHyperparameter" and cs["C"].default_value == 1.0
    assert {type(c).__name__ for c in cs.conditions} == {"EqualsCondition", "NotEqualsCondition", "AndConjunction"}
    assert len(cs.forbidden_clauses) == 1
    cs.seed(0)
    configs = [plain(c) for c in cs.sample_configuration(500)]
    for config in configs:
        space.validate(config)
    assert any("coef0" in c for c in configs) and any("coef0" not in c for c in configs)
    assert not any(c["depth"] == 40 and c["bootstrap"] is False for c in configs)
    for config in space.sample(500, seed=0):
        CS.Configuration(cs, values=config)
    assert spacedsl.convert(cs, "spacedsl") == space


def test_json_round_trip_and_a_hand_written_configspace():
    space = spacedsl.parse(SPACE)
    fmt = spacedsl.plugins.format("configspace")
    text = fmt.dumps(space)
    read, made = CS.ConfigurationSpace.from_json(io.StringIO(text)), spacedsl.convert(space, "configspace")
    assert (dict(read), read.conditions, read.forbidden_clauses) == (dict(made), made.conditions, made.forbidden_clauses)
    assert fmt.loads(text) == space
    data = json.loads(text)
    del data["spacedsl"]  # as ConfigSpace itself would write it: read from the hyperparameters
    derived = fmt.loads(json.dumps(data))
    cs = spacedsl.convert(space, "configspace")
    for config in derived.sample(300, seed=1):
        CS.Configuration(cs, values=config)
        space.validate(config)
    hand = CS.ConfigurationSpace({"lr": (1e-4, 1e-1), "opt": ["adam", "sgd"]})
    hand.add(CS.UniformFloatHyperparameter("momentum", 0.0, 0.99))
    hand.add(CS.EqualsCondition(hand["momentum"], hand["opt"], "sgd"))
    derived = spacedsl.convert(hand, "spacedsl")
    assert 'if opt == "sgd" {' in spacedsl.dumps(derived)
    for config in hand.sample_configuration(200):
        derived.validate(plain(config))


def test_refusals_list_every_statement_with_positions():
    with pytest.raises(ConversionError) as info:
        spacedsl.convert(spacedsl.load(EXAMPLES / "random_forest.space"), "configspace")
    err = info.value
    assert [(p.line, p.column) for p in err.problems] == [(21, 1), (22, 1)]
    assert "examples/random_forest.space:22:1: where max_depth * n_estimators <= 8000" in str(err)
    text = ("x ~ expon(1)\ns ~ uniform(0, 1, step=0.5)\n(a, b) in [(1, 2)]\nk in [1, 2]\ny ~ uniform(0, 1)\n"
            "if k != 1 and y >= 0.5 { z in [1] }\n")
    with pytest.raises(ConversionError) as info:
        spacedsl.convert(text, "configspace")
    assert [p.line for p in info.value.problems] == [1, 2, 3, 6]
    assert "only < and > conditions" in str(info.value)


def test_a_condition_true_while_its_parent_is_inactive_is_refused():
    text = 'a in ["x", "y"]\nif a == "x" { b in [1, 2] }\nif b != 1 { c in [1] }'  # ours: c active when b is absent
    with pytest.raises(ConversionError, match="holds while 'b' is inactive"):
        spacedsl.convert(text, "configspace")


def test_int_on_a_continuous_distribution_is_a_weighted_categorical_with_exact_masses():
    space = spacedsl.parse("n: int ~ loguniform(1, 10)")
    hp = spacedsl.convert(space, "configspace")["n"]
    assert list(hp.choices) == list(range(1, 11))
    u = np.array([1, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10])
    expected = np.diff(np.log(u)) / np.log(10)  # x ~ loguniform rounds half up to k
    assert np.allclose(hp.weights, expected)


def test_a_missing_configspace_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ConfigSpace", None)  # import ConfigSpace now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install 'spacedsl\[configspace\]'"):
        spacedsl.convert("x ~ uniform(0, 1)", "configspace")


def test_configspace_numpy_scalars_validate_as_they_are():
    """ConfigSpace hands back np.int64 / np.float64 / np.bool_; validate takes them as the Python values."""
    space = spacedsl.parse("n in 1..9\nk in [2, 4, 8]\nx ~ uniform(0, 1)\nflag in [true, false]")
    cs = spacedsl.convert(space, "configspace")
    cs.seed(1)
    raw = [dict(c) for c in cs.sample_configuration(50)]
    assert isinstance(raw[0]["k"], np.integer) and isinstance(raw[0]["flag"], np.bool_)
    for config in raw:
        space.validate(config)  # no .item() needed
    space.validate({"n": np.int64(3), "k": np.int32(4), "x": np.float32(0.5), "flag": np.bool_(False)})
    with pytest.raises(ValueError, match="must be one of"):  # a numpy bool is still no number
        space.validate({"n": np.bool_(True), "k": 2, "x": 0.5, "flag": True})
    with pytest.raises(ValueError, match="must be one of"):  # nor a numpy integer a bool
        space.validate({"n": 3, "k": 2, "x": 0.5, "flag": np.int64(1)})


def test_named_objects_have_no_configspace_form():
    with pytest.raises(ConversionError, match="named object @svc has no ConfigSpace form"):
        spacedsl.convert(spacedsl.load(EXAMPLES / "optuna_quickstart.space"), "configspace")


def test_a_where_ruling_out_too_many_combinations_is_refused():
    """ConfigSpace checks every forbidden clause on every draw: 9,955 clauses would take minutes per 100 draws."""
    with pytest.raises(ConversionError, match="rules out 9,955 combinations, too many forbidden clauses"):
        spacedsl.convert("a in 1..100\nb in 1..100\nwhere a + b <= 10", "configspace")
    cs = spacedsl.convert("a in 1..10\nb in 1..10\nwhere a + b <= 10", "configspace")
    assert len(cs.forbidden_clauses) == 55


def test_a_discrete_scipy_distribution_keeps_its_lowest_value():
    """scipy.poisson(3) draws 0 about 5 % of the time: the weighted categorical has P(k) = cdf(k) - cdf(k - 1)."""
    cs = spacedsl.convert("p ~ scipy.poisson(3)", "configspace")
    assert cs["p"].choices[0] == 0 and cs["p"].weights[0] == pytest.approx(scipy.stats.poisson(3).pmf(0))
    for config in spacedsl.parse("p ~ scipy.poisson(3)").sample(300, seed=0):
        CS.Configuration(cs, values=config)


def test_a_constant_configspace_rejects_is_a_conversion_error():
    with pytest.raises(ConversionError, match="ConfigSpace refuses it"):
        spacedsl.convert('a in [1, 2]\ns = "\\x00"', "configspace")
