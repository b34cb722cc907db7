"""The `hyperopt` format: hp expressions both ways, hp.choice nesting for `if` blocks."""

import numpy as np
import pytest
import scipy.stats

import spacedsl
from spacedsl.formats import ConversionError, LossyConversion, convert

hyperopt = pytest.importorskip("hyperopt")
from hyperopt import Trials, fmin, hp, space_eval, tpe  # noqa: E402
from hyperopt.pyll import stochastic  # noqa: E402

SPACE = """
kernel in ["linear", "rbf", "poly"]
C ~ loguniform(1e-3, 1e3)
if kernel == "poly" {
    degree in 2..5
} else {
    coef in 0..1 step 0.25
}
if kernel in ["rbf", "poly"] {
    gamma ~ loguniform(1e-4, 1)
    if kernel == "rbf" {
        shrink in [true, false]
    }
}
n: int ~ uniform(1, 50)
z ~ normal(0, 2, step=0.5)
r in 0..20 step 5
q ~ uniform(0, 1, step=0.25)
(a, b) in [(1, "x"), (2, "y")]
seed = 7
"""


def test_fmin_on_a_converted_space_calls_the_objective_with_valid_configurations():
    space = spacedsl.parse(SPACE)
    expr = convert(space, "hyperopt")
    seen = []

    def objective(config):
        space.validate(config)
        seen.append(config)
        return np.log10(config["C"]) ** 2 + (config["kernel"] == "rbf")

    best = fmin(objective, expr, algo=tpe.suggest, max_evals=25, trials=Trials(),
                rstate=np.random.default_rng(0), show_progressbar=False)
    assert len(seen) == 25 and {c["kernel"] for c in seen} == {"linear", "rbf", "poly"}
    config = space_eval(expr, best)
    space.validate(config)
    assert list(config)[0] == "kernel" and config["seed"] == 7
    assert all(type(v) in (int, float, str, bool) for c in seen for v in c.values())


def test_the_marginals_are_spacedsls():
    space = spacedsl.parse("x ~ loguniform(1e-3, 10)\nz ~ normal(1, 2)\nk in 3..6\nn: int ~ uniform(1, 4)")
    expr = convert(space, "hyperopt")
    rng = np.random.default_rng(0)
    drawn = [stochastic.sample(expr, rng=rng) for _ in range(600)]
    ours = space.sample(600, seed=0)
    for name in ("x", "z"):
        assert scipy.stats.ks_2samp([c[name] for c in drawn], [c[name] for c in ours]).pvalue > 0.01
    assert {c["k"] for c in drawn} == {3, 4, 5, 6} and {c["n"] for c in drawn} == {1, 2, 3, 4}
    counts = np.bincount([c["n"] for c in drawn])[1:]
    assert counts[0] < counts[1] and counts[3] < counts[2]  # the rounded ends weigh half, as in spacedsl


def test_back_from_what_we_wrote_is_the_same_space_up_to_layout():
    space = spacedsl.parse(SPACE)
    back = convert(convert(space, "hyperopt"), "spacedsl")
    rng = np.random.default_rng(1)
    for config in back.sample(300, seed=2):
        space.validate(config)
    for config in space.sample(300, seed=3):
        back.validate(config)
    assert back.names[:2] == ("kernel", "C") and back.constants == {"seed": 7}
    flat = spacedsl.parse("x ~ uniform(0, 1)\nk in [1, 2]\ny ~ lognormal(0, 1)\nr in 2..9\nseed = 3")
    assert convert(convert(flat, "hyperopt"), "spacedsl") == flat
    del rng


def test_hand_written_hp_expressions_read_back():
    expr = {
        "lr": hp.loguniform("lr", np.log(1e-4), np.log(1e-1)),
        "units": hp.uniformint("units", 16, 128),
        "act": hp.choice("act", ["relu", "tanh"]),
        "clf": hp.choice("clf", [{"clf": "svm", "C": hp.uniform("C", 0, 10)},
                                 {"clf": "rf", "depth": hp.randint("depth", 2, 10)}]),
        "batch": 32,
    }
    space = convert(expr, "spacedsl")
    assert spacedsl.dumps(space) == (
        'act in ["relu", "tanh"]\nbatch = 32\nclf in ["svm", "rf"]\nif clf == "svm" {\n    C ~ uniform(0, 10)\n}\n'
        'if clf == "rf" {\n    depth in 2..9\n}\nlr ~ loguniform(0.0001, 0.1)\nunits: int ~ uniform(16, 128)\n')


def test_what_hp_cannot_express_is_refused_with_every_statement():
    text = ("x ~ uniform(0, 1)\nif x > 0.5 {\n    y in [1, 2]\n}\ne ~ expon(3)\nw: int ~ uniform(0.5, 3.5)\n"
            "where x < 0.9\nd in [1, 2] = 2\n")
    space = spacedsl.parse(text, filename="h.space")
    with pytest.raises(ConversionError) as info:
        convert(space, "hyperopt")
    where = [(p.line, p.column) for p in info.value.problems]
    assert sorted(where) == [(2, 1), (5, 1), (6, 1), (7, 1)]  # the default (line 8) is not carried, not refused
    assert "h.space:2:1: if x > 0.5 {: hp.choice nesting needs" in str(info.value)
    with pytest.warns(LossyConversion):
        expr = convert(space, "hyperopt", lossy=True)
    assert set(stochastic.sample(expr, rng=np.random.default_rng(0))) == {"x", "d"}


def test_hand_written_expressions_spacedsl_cannot_read_are_refused():
    expr = {"a": hp.choice("a", [{"x": hp.uniform("x", 0, 1)}, {"y": 2}]), "b": hp.qloguniform("b", 0, 3, 2),
            "c": hp.uniform("c", 0, 1)}
    with pytest.raises(ConversionError) as info:
        convert(expr, "spacedsl")
    assert [p.statement for p in info.value.problems] == ["a", "b"]


def test_integers_beyond_a_float_and_beyond_int64():
    """hp.randint draws exact int64s (beyond 2**53 a float would round them: ours validate them exactly);
    past int64 a range is an hp.choice of its values, and a randint is refused."""
    rng = np.random.default_rng(0)
    for text in ("x ~ randint(0, 4611686018427387903)", "x in 0..100000000000000000000 step 10000000000000000000"):
        space = spacedsl.parse(text)
        expr = convert(space, "hyperopt")
        for _ in range(200):
            space.validate(stochastic.sample(expr, rng=rng))
    space = spacedsl.parse("x ~ randint(0, 4611686018427387903)")
    with pytest.raises(ValueError, match="integer in the support"):
        space.validate({"x": 4611686018427387904})
    with pytest.raises(ConversionError, match="int64"):
        convert("x ~ randint(0, 100000000000000000000)", "hyperopt")


def test_named_objects_read_back_and_an_overflowing_uniform_is_refused():
    space = spacedsl.parse('clf in [@svc, @forest]\nif clf == @svc { C ~ loguniform(0.01, 100) }\nscale in [@std, "none"]')
    back = convert(convert(space, "hyperopt"), "spacedsl")
    rng = np.random.default_rng(0)
    for _ in range(100):
        back.validate(stochastic.sample(convert(space, "hyperopt"), rng=rng))
    for config in space.sample(100, seed=0):
        back.validate(config)
    with pytest.raises(ConversionError, match="overflows a float"):
        convert("x ~ uniform(-1.7976931348623157e+308, 1.7976931348623157e+308)", "hyperopt")


def test_a_randint_wider_than_a_range_reads_back_as_randint():
    back = convert(convert("x ~ randint(0, 4611686018427387903)", "hyperopt"), "spacedsl")
    assert spacedsl.dumps(back) == "x ~ randint(0, 4611686018427387903)\n"
    assert spacedsl.dumps(convert({"x": hp.randint("x", 0, 10)}, "spacedsl")) == "x in 0..9\n"
