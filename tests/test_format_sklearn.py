"""The sklearn format: param_grid and param_distributions from a .space file, and back."""

import collections
import warnings
from pathlib import Path

import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, ParameterGrid, ParameterSampler, RandomizedSearchCV
from sklearn.svm import SVC

import spacedsl
from spacedsl.formats import ConversionError, LossyConversion

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SVC_SPACE = """\
kernel in ["linear", "rbf", "poly"]
C ~ loguniform(0.01, 100)
if kernel == "poly" {
    degree in 2..4
}
if kernel != "linear" {
    gamma ~ loguniform(1e-4, 1)
}
shrinking in [true, false]
"""


def canon(config):
    return tuple(sorted((k, type(v).__name__ if isinstance(v, bool | str) else "n", v) for k, v in config.items()))


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.space")), ids=lambda p: p.name)
def test_param_grid_is_exactly_the_grid(path):
    space = spacedsl.load(path)
    grid = spacedsl.convert(space, "sklearn", kind="grid", resolution=2)
    assert collections.Counter(map(canon, ParameterGrid(grid))) == collections.Counter(map(canon, space.grid(2)))


def test_a_space_file_drives_grid_and_randomized_search_unchanged(tmp_path):
    path = tmp_path / "svc.space"
    path.write_text(SVC_SPACE)
    space = spacedsl.load(path)
    X, y = load_iris(return_X_y=True)
    grid = spacedsl.convert(space, "sklearn", kind="grid", resolution=2)
    assert isinstance(grid, list) and len(grid) == 3  # one dict per kernel: degree and gamma only where used
    search = GridSearchCV(SVC(), grid, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == len(list(space.grid(2)))
    for params in search.cv_results_["params"]:
        space.validate(params)
    dists = spacedsl.convert(space, "sklearn", kind="distributions")
    search = RandomizedSearchCV(SVC(), dists, n_iter=12, cv=2, random_state=0).fit(X, y)
    for params in search.cv_results_["params"]:
        space.validate({k: v.item() if hasattr(v, "item") else v for k, v in params.items()})


def test_branches_keep_spacedsl_probabilities():
    space = spacedsl.parse("a in [1, 2]\nif a == 1 { b in [1, 2, 3]\n if b == 1 { c ~ uniform(0, 1) } }\n"
                           "n: int ~ expon(10)")
    dists = spacedsl.convert(space, "sklearn", kind="distributions")
    draws = list(ParameterSampler(dists, 6000, random_state=0))
    counts = collections.Counter(c["a"] for c in draws)
    assert abs(counts[2] / 6000 - 0.5) < 0.03  # a=2 is one branch of four dicts: repeated to weigh 1/2
    assert abs(sum("c" in c for c in draws) / 6000 - 1 / 6) < 0.02
    for config in draws[:500]:
        space.validate(config)  # Drawn gives plain ints for `: int`
    assert spacedsl.convert(dists, "spacedsl") == spacedsl.parse(
        "a in [1, 2]\nif a == 1 { b in [1, 2, 3]\n if b == 1 { c ~ uniform(0, 1) } }\nn: int ~ expon(10)")


def test_round_trip_of_an_unconditional_space_is_identical():
    text = "x ~ uniform(0.1, 0.9)\nlr ~ loguniform(1e-4, 1)\nk in [\"a\", \"b\"]\nn in 1..5\nm: int ~ normal(3, 1)\nseed = 0\n"
    space = spacedsl.parse(text)
    dists = spacedsl.convert(space, "sklearn", kind="distributions")
    assert dists["x"].dist.name == "uniform" and dists["lr"].dist.name == "loguniform"  # real scipy objects
    assert dists["seed"] == [0]
    assert spacedsl.convert(dists, "spacedsl") == space


def test_constraints_on_drawn_parameters_are_refused_listing_each(recwarn):
    space = spacedsl.load(EXAMPLES / "random_forest.space")
    with pytest.raises(ConversionError) as info:
        spacedsl.convert(space, "sklearn", kind="distributions")
    lines = [(p.line, p.column) for p in info.value.problems]
    assert lines == [(21, 1), (22, 1)]
    with pytest.warns(LossyConversion):
        dists = spacedsl.convert(space, "sklearn", kind="distributions", lossy=True)
    assert {d["bootstrap"][0] for d in dists} == {True, False}


def test_a_where_over_finite_parameters_removes_branches():
    space = spacedsl.parse('solver in ["lbfgs", "liblinear"]\npenalty in ["l1", "l2"]\n'
                           'where not (solver == "lbfgs" and penalty == "l1")\nC ~ loguniform(0.1, 10)')
    dists = spacedsl.convert(space, "sklearn", kind="distributions")
    seen = {(c["solver"], c["penalty"]) for c in ParameterSampler(dists, 300, random_state=0)}
    assert seen == {("lbfgs", "l2"), ("liblinear", "l1"), ("liblinear", "l2")}


def test_reading_foreign_dicts():
    grid = [{"kernel": ["linear"], "C": [1, 10]}, {"kernel": ["rbf"], "C": [1, 10], "gamma": [0.1, 0.01]}]
    space = spacedsl.convert(grid, "spacedsl")
    assert spacedsl.dumps(space) == ('kernel in ["linear", "rbf"]\nC in [1, 10]\nif kernel == "rbf" {\n'
                                     "    gamma in [0.1, 0.01]\n}\n")
    with pytest.raises(ConversionError, match=r"\['clf'\].*is not a number, string, boolean, None or named object"):
        spacedsl.convert({"clf": [SVC()], "C": [1]}, "spacedsl", source="sklearn")
    import scipy.stats
    weighted = [{"k": ["a", "b"], "x": scipy.stats.uniform(0, 1)}, {"k": ["c"]}]
    with pytest.raises(ConversionError, match="equal probability"):
        spacedsl.convert(weighted, "spacedsl")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert spacedsl.convert({"x": scipy.stats.randint(1, 5)}, "spacedsl") == spacedsl.parse("x ~ randint(1, 4)")


def _draws_validate_both_ways(space, dists, back, n=300):
    for config in ParameterSampler(dists, n, random_state=0):
        space.validate(config)
        back.validate(config)
    for config in back.sample(n, seed=1):
        space.validate(config)


def test_a_tied_group_beside_if_blocks_reads_back():
    space = spacedsl.parse('kernel in ["linear", "rbf", "poly"]\nif kernel == "poly" { degree in 2..5 }\n'
                           'if kernel != "linear" { gamma ~ loguniform(1e-5, 1) }\n'
                           '(tol, max_iter) in [(0.001, 100), (0.0001, 1000)]\nC ~ loguniform(0.001, 1000)')
    dists = spacedsl.convert(space, "sklearn", kind="distributions")
    back = spacedsl.convert(dists, "spacedsl")
    assert "(tol, max_iter) in [(0.001, 100), (0.0001, 1000)]" in spacedsl.dumps(back)
    _draws_validate_both_ways(space, dists, back)


def test_named_objects_and_a_where_inside_a_block_read_back():
    """examples/pipeline_choice.space: @objects, independent choices, and a `where` in the logistic block
    (which makes that branch rarer, so it comes back as a `where`, not as a tied group)."""
    space = spacedsl.load(EXAMPLES / "pipeline_choice.space")
    dists = spacedsl.convert(space, "sklearn", kind="distributions")
    back = spacedsl.convert(dists, "spacedsl")
    text = spacedsl.dumps(back)
    assert "clf in [@svc, @forest, @logistic]" in text and "where " in text
    _draws_validate_both_ways(space, dists, back)
    counts = collections.Counter(c["clf"].name for c in back.sample(4000, seed=2))
    assert 0.22 < counts["logistic"] / 4000 < 0.28  # 1/3 * 4/6 of the mass, renormalised: 1/4


def test_dicts_that_do_not_read_back_are_refused_when_converting():
    text = ('scale in [@standard, "passthrough"]\nclf in [@svc, @forest]\nif clf == @svc { C ~ uniform(0, 1) }\n'
            'if clf == @forest { n in 10..50 }\nwhere clf != @forest or scale == "passthrough"')
    with pytest.raises(ConversionError) as info:
        spacedsl.convert(text, "sklearn", kind="distributions")
    assert [p.line for p in info.value.problems] == [5, 3, 4]  # the where, then both if blocks
    assert "do not read back" in str(info.value)
    with pytest.warns(LossyConversion):
        dists = spacedsl.convert(text, "sklearn", kind="distributions", lossy=True)  # exact for sklearn itself
    space = spacedsl.parse(text)
    for config in ParameterSampler(dists, 200, random_state=0):
        space.validate(config)
