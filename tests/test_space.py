"""The space model: sampling, conditions, constraints, grid, validate, unit cube, serialising."""

import json
import math

import numpy as np
import pytest

import spacedsl
from spacedsl import Space

SVM = """
kernel in ["linear", "rbf", "poly"]
C ~ loguniform(1e-3, 1e3) = 1.0
if kernel == "poly" {
    degree in 2..5
}
if kernel in ["rbf", "poly"] {
    gamma ~ loguniform(1e-5, 1) = 0.01
}
where C * 2 <= 1000 or kernel == "linear"
tol = 0.001
"""


def plain(value):
    return value is None or type(value) in (int, float, str, bool)


# ------------------------------------------------------------------ sampling

def test_sample_is_seeded_and_plain_python():
    space = spacedsl.parse(SVM)
    a, b = space.sample(50, seed=7), space.sample(50, seed=7)
    assert a == b
    assert a != space.sample(50, seed=8)
    assert space.sample(seed=7) == a[0]
    for config in a:
        space.validate(config)
        assert all(plain(v) for v in config.values())
        assert config["tol"] == 0.001


def test_conditional_parameters_are_absent_when_inactive():
    space = spacedsl.parse(SVM)
    for config in space.sample(300, seed=0):
        assert ("degree" in config) == (config["kernel"] == "poly")
        assert ("gamma" in config) == (config["kernel"] in ("rbf", "poly"))
        assert list(config)[:2] == ["kernel", "C"]  # file order


def test_else_branches_and_nesting():
    space = spacedsl.parse("""
    a in [1, 2, 3]
    if a == 1 { b in ["x", "y"]
        if b == "x" { c in [true] } else { d in [false] }
    } else if a == 2 { e in [0] } else { f in [none] }
    """)
    seen = set()
    for config in space.sample(400, seed=1):
        seen.add(tuple(sorted(config)))
    assert seen == {("a", "b", "c"), ("a", "b", "d"), ("a", "e"), ("a", "f")}


def test_inactive_parameter_compares_as_none():
    space = spacedsl.parse('k in ["a", "b"]\nif k == "a" { x in [1] }\nif x == none { y in [2] }')
    for config in space.sample(50, seed=0):
        assert ("y" in config) == (config["k"] == "b")


def test_constraints_are_never_broken():
    space = spacedsl.parse("x in 1..10\ny ~ uniform(0, 10)\nwhere x + y <= 6\nwhere x % 2 == 0")
    configs = space.sample(2000, seed=3)
    assert len(configs) == 2000
    assert all(c["x"] + c["y"] <= 6 and c["x"] % 2 == 0 for c in configs)


def test_where_inside_a_block_constrains_only_that_block():
    space = spacedsl.parse('k in ["a", "b"]\nx in 1..10\nif k == "a" { where x <= 2 }')
    configs = space.sample(500, seed=0)
    assert all(c["x"] <= 2 for c in configs if c["k"] == "a")
    assert any(c["x"] > 2 for c in configs if c["k"] == "b")


def test_hopelessly_tight_constraint_sampling_gives_a_clear_error_not_a_hang():
    space = spacedsl.parse("x ~ uniform(0, 1)\nwhere x < 1e-3")  # ~0.1% acceptance: fine
    assert all(c["x"] < 1e-3 for c in space.sample(20, seed=0))


def test_sample_arguments_are_checked():
    space = spacedsl.parse("x in [1]")
    assert space.sample(0) == []
    with pytest.raises(ValueError):
        space.sample(-1)
    with pytest.raises(ValueError):
        space.sample(2.5)


def test_tied_parameters_are_chosen_together():
    space = spacedsl.parse('(solver, penalty) in [("lbfgs", "l2"), ("liblinear", "l1"), ("saga", none)]')
    assert space.names == ("solver", "penalty")
    rows = {(c["solver"], c["penalty"]) for c in space.sample(200, seed=0)}
    assert rows == {("lbfgs", "l2"), ("liblinear", "l1"), ("saga", None)}
    assert len(list(space.grid())) == 3


# ------------------------------------------------------------- distributions

def draws(text, n=20000):
    space = spacedsl.parse(text)
    return np.array([c["x"] for c in space.sample(n, seed=0)], dtype=float)


def test_human_positional_meaning():
    x = draws("x ~ uniform(1, 2)")
    assert 1 <= x.min() and x.max() <= 2 and abs(x.mean() - 1.5) < 0.02
    x = draws("x ~ expon(100)")
    assert x.min() >= 0 and abs(x.mean() - 100) < 3
    x = draws("x ~ expon(100, loc=5)")
    assert x.min() >= 5 and abs(x.mean() - 105) < 3
    x = draws("x ~ loguniform(1e-4, 1)")
    assert 1e-4 <= x.min() and x.max() <= 1 and abs(np.mean(np.log10(x)) + 2) < 0.05
    x = draws("x ~ normal(5, 2)")
    assert abs(x.mean() - 5) < 0.05 and abs(x.std() - 2) < 0.05
    x = draws("x ~ lognormal(0, 0.5)")
    assert x.min() > 0 and abs(np.log(x).std() - 0.5) < 0.02
    x = draws("x ~ randint(3, 5)")
    assert set(x) == {3, 4, 5}
    x = draws("x ~ scipy.gamma(2, scale=10)")
    assert abs(x.mean() - 20) < 0.6


def test_int_annotation_rounds_half_up_inside_the_support():
    space = spacedsl.parse("x: int ~ lognormal(-3, 0.1)")  # draws near 0.05 round to 0, moved to 1
    assert {c["x"] for c in space.sample(100, seed=0)} == {1}
    values = [c["x"] for c in spacedsl.parse("x: int ~ uniform(0.5, 3.2)").sample(2000, seed=0)]
    assert set(values) == {1, 2, 3} and all(type(v) is int for v in values)
    values = [c["n"] for c in spacedsl.parse("n: int ~ expon(100)").sample(100, seed=0)]
    assert all(type(v) is int and v >= 0 for v in values)


def test_step_quantises_onto_the_lattice():
    values = {c["x"] for c in spacedsl.parse("x ~ uniform(0, 1, step=0.1)").sample(2000, seed=0)}
    assert values == {round(0.1 * k, 1) for k in range(11)}
    values = {c["x"] for c in spacedsl.parse("x ~ normal(0, 3, step=2)").sample(500, seed=0)}
    assert all(v % 2 == 0 for v in values)
    values = {c["x"] for c in spacedsl.parse("x ~ uniform(0.5, 2, step=0.4)").sample(500, seed=0)}
    assert values <= {0.5, 0.9, 1.3, 1.7}


def test_ranges_and_annotations_on_finite_domains():
    space = spacedsl.parse("a in 0..1 step 0.1\nb: float in [1, 2]\nc in 2..10 step 4\nd: float in 1..3")
    assert sorted({c["a"] for c in space.sample(1000, seed=0)}) == [round(0.1 * k, 1) for k in range(11)]
    assert {c["b"] for c in space.sample(100, seed=0)} == {1.0, 2.0}
    assert all(type(c["b"]) is float for c in space.sample(10, seed=0))
    assert {c["c"] for c in space.sample(100, seed=0)} == {2, 6, 10}
    assert {c["d"] for c in space.sample(100, seed=0)} == {1.0, 2.0, 3.0}


def test_values_of_mixed_choices_reach_the_user_as_written():
    space = spacedsl.parse('x in [1, 1.0, true, "1", none]')
    seen = {(type(c["x"]), c["x"]) for c in space.sample(200, seed=0)}
    assert seen == {(int, 1), (float, 1.0), (bool, True), (str, "1"), (type(None), None)}


# ---------------------------------------------------------------- expressions

@pytest.mark.parametrize("condition, expected", [
    ("x + 1 == 3", True), ("x * 2 - 1 > 2", True), ("x / 0 == 1", False), ("not (x / 0 == 1)", False),
    ("x == 0 or x / 0 > 1", False), ("x == 2 or x / 0 > 1", True), ("x != 2 and x / 0 > 1", False),
    ("s + 1 == 2", False), ("n + 1 == 1", False), ("n == none", True), ("s < 3", False), ("s < \"b\"", True),
    ("b == 1", False), ("b == true", True), ("b > 0", False), ("x in [2, 3]", True), ("s not in [\"a\"]", False),
    ("x % 3 == 2", True), ("-x == -2", True), ("x", True), ("n", False), ("s == \"a\"", True),
    ("7 % 0 == 0 or true", False), ("\"\"", False), ("0.0", False), ("x - 2", False),
])
def test_expression_semantics(condition, expected):
    space = spacedsl.parse(f'x in [2]; s in ["a"]; b in [true]; n in [none]\nif {condition} {{ hit in [1] }}')
    assert ("hit" in space.sample(seed=0)) == expected


# ----------------------------------------------------------------------- grid

def test_grid_order_is_like_itertools_product():
    space = spacedsl.parse("a in [1, 2]\nb in ['x', 'y', 'z']")
    assert list(space.grid()) == [{"a": a, "b": b} for a in (1, 2) for b in "xyz"]


def test_grid_of_the_seed_example_is_16_models():
    space = spacedsl.parse("n_estimators in [10, 50, 100, 200]\nmax_depth in [3, 10, 20, 40]")
    grid = list(space.grid())
    assert len(grid) == 16 and grid[0] == {"n_estimators": 10, "max_depth": 3}


def test_grid_conditional_parameters_only_when_active_and_constraints_filter():
    space = spacedsl.parse('kernel in ["linear", "poly"]\nif kernel == "poly" { degree in 2..4 }\n'
                           'c = 1\nwhere kernel == "linear" or degree != 3')
    assert list(space.grid()) == [
        {"kernel": "linear", "c": 1},
        {"kernel": "poly", "degree": 2, "c": 1},
        {"kernel": "poly", "degree": 4, "c": 1},
    ]


def test_grid_discretises_distributions():
    grid = list(spacedsl.parse("x ~ uniform(0, 1)").grid(resolution=5))
    assert [c["x"] for c in grid] == [0.0, 0.25, 0.5, 0.75, 1.0]
    grid = list(spacedsl.parse("x ~ loguniform(1e-3, 10)").grid(resolution=5))
    assert [c["x"] for c in grid] == pytest.approx([1e-3, 1e-2, 1e-1, 1, 10])
    grid = list(spacedsl.parse("x: int ~ uniform(0, 3)").grid(resolution=10))
    assert [c["x"] for c in grid] == [0, 1, 2, 3]  # snapped and de-duplicated
    grid = [c["x"] for c in spacedsl.parse("x ~ normal(0, 1)").grid(resolution=4)]
    assert grid == pytest.approx([-1.1503, -0.3186, 0.3186, 1.1503], abs=1e-4)  # mid-quantiles
    grid = [c["x"] for c in spacedsl.parse("x ~ uniform(0, 1, step=0.3)").grid(resolution=5)]
    assert grid == [0.0, 0.3, 0.6, 0.9]


def test_grid_streams_large_spaces_lazily():
    space = spacedsl.parse("\n".join(f"p{i} in 0..9" for i in range(30)))  # 10**30 configurations
    it = space.grid()
    first = [next(it) for _ in range(3)]
    assert [c["p29"] for c in first] == [0, 1, 2]


def test_grid_resolution_is_checked():
    with pytest.raises(ValueError):
        spacedsl.parse("x in [1]").grid(resolution=0)


# ------------------------------------------------------------------- validate

@pytest.mark.parametrize("config, fragment", [
    ({"kernel": "rbf", "C": 1.0}, "missing parameter 'gamma'"),
    ({"kernel": "linear", "C": 1.0, "gamma": 0.1}, "inactive"),
    ({"kernel": "sigmoid", "C": 1.0}, "must be one of"),
    ({"kernel": "linear", "C": 5000.0}, "support"),
    ({"kernel": "linear", "C": 1.0, "Cc": 1}, "unknown parameter 'Cc'; did you mean 'C'?"),
    ({"kernel": "linear", "C": 1.0, "tol": 0.5}, "constant 'tol'"),
    ({"kernel": "poly", "C": 900.0, "degree": 3, "gamma": 0.1}, "breaks the constraint"),
    ({"kernel": "poly", "C": 1.0, "degree": 3.5, "gamma": 0.1}, "must be one of"),
    ("kernel=rbf", "a configuration is a dict"),
])
def test_validate_rejects(config, fragment):
    with pytest.raises(ValueError, match=None) as info:
        spacedsl.parse(SVM).validate(config)
    assert fragment in str(info.value)


def test_validate_accepts_with_or_without_constants():
    space = spacedsl.parse(SVM)
    space.validate({"kernel": "linear", "C": 3.0})
    space.validate({"kernel": "poly", "C": 3.0, "degree": 2, "gamma": 0.5, "tol": 0.001})
    spacedsl.parse("x: int ~ uniform(0, 10)").validate({"x": 3})
    with pytest.raises(ValueError):
        spacedsl.parse("x: int ~ uniform(0, 10)").validate({"x": 3.5})
    with pytest.raises(ValueError):
        spacedsl.parse("x in [1, 2]").validate({"x": True})  # true is not 1


# ----------------------------------------------------------- defaults, cube

def test_defaults():
    assert spacedsl.parse(SVM).defaults == {"C": 1.0, "gamma": 0.01}
    assert spacedsl.parse("(a, b) in [(1, 2), (3, 4)] = (3, 4)").defaults == {"a": 3, "b": 4}


def test_unit_cube_round_trip_and_kinds():
    space = spacedsl.parse('x ~ uniform(2, 4)\nc ~ loguniform(1e-2, 1e2)\nn: int ~ uniform(0, 10)\n'
                           'd in [3, 10, 20]\nk in ["a", "b"]\nif k == "a" { g in 1..4 }')
    assert [d.model_kind for d in space.dimensions] == ["float", "float", "int", "ordinal", "categorical", "ordinal"]
    configs = space.sample(200, seed=0)
    u = space.to_unit(configs)
    assert u.shape == (200, 6)
    assert np.nanmin(u) >= 0 and np.nanmax(u) <= 1
    assert np.isnan(u[:, 5]).sum() == sum(c["k"] == "b" for c in configs)
    back = space.from_unit(np.nan_to_num(u, nan=0.5))
    for a, b in zip(configs, back):
        assert a["x"] == pytest.approx(b["x"]) and a["c"] == pytest.approx(b["c"])
        assert (a["n"], a["d"], a["k"], a.get("g")) == (b["n"], b["d"], b["k"], b.get("g"))
    # loguniform is linear in log space
    assert space.to_unit([{"x": 3.0, "c": 1.0, "n": 5, "d": 10, "k": "b"}])[0, :2] == pytest.approx([0.5, 0.5])


def test_feasible_unit_marks_constraint_breakers():
    space = spacedsl.parse("x ~ uniform(0, 1)\nwhere x <= 0.5")
    assert space.feasible_unit(np.array([[0.2], [0.9]])).tolist() == [True, False]


# -------------------------------------------------------------- serialising

def test_to_dict_is_json_safe_and_lossless():
    space = spacedsl.parse(SVM + '\n(a, b) in [(1, 1.0), (true, "s")]\nz ~ scipy.gamma(2, scale=10)')
    data = json.loads(json.dumps(space.to_dict()))
    again = Space.from_dict(data)
    assert again == space and hash(again) == hash(space)
    assert spacedsl.dumps(again) == spacedsl.dumps(space)


def test_from_dict_rejects_garbage_with_a_dsl_error():
    for bad in [{}, {"spacedsl": 1, "statements": [{"node": "Nope"}]},
                {"spacedsl": 1, "statements": [{"node": "Constant", "name": "x",
                                                "value": {"node": "Literal", "value": math.inf}}]},
                {"spacedsl": 1, "statements": [{"node": "Param", "name": "x",
                                                "domain": {"node": "Choice", "values": []}}]}]:
        with pytest.raises(spacedsl.DSLError):
            Space.from_dict(bad)


def test_space_is_immutable_and_hashable():
    import attrs
    space = spacedsl.parse(SVM)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        space.statements = ()
    assert {space: 1}[spacedsl.parse(SVM)] == 1


def test_load_reads_files_and_names_them_in_errors(tmp_path):
    path = tmp_path / "bad.space"
    path.write_text("x in [1]\ny ~ uniform(1, 0)\n")
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.load(path)
    assert str(info.value).startswith(f"{path}:2:16: ")
    good = tmp_path / "good.space"
    good.write_text("x in [1]\n")
    assert spacedsl.load(str(good)).names == ("x",)


def test_discrete_priors_round_trip_through_the_unit_cube():
    space = spacedsl.parse("r ~ randint(1, 10)\np ~ scipy.poisson(3)")
    configs = [{"r": r, "p": p} for r in range(1, 11) for p in (0, 1, 3, 7)]
    assert space.from_unit(space.to_unit(configs)) == configs
