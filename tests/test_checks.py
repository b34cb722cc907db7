"""Semantic checks: every error listed in SPEC section 1 "Errors", with its position."""

import pytest

import spacedsl
from spacedsl import DSLSemanticError


@pytest.mark.parametrize("text, line, column, fragment", [
    # unknown distribution / keyword, with suggestions
    ("x ~ unifrom(0, 1)", 1, 5, "unknown distribution 'unifrom'; did you mean 'uniform'?"),
    ("x ~ uniform(0, 1, stp=2)", 1, 19, "no argument 'stp'; did you mean 'step'?"),
    ("x ~ scipy.gama(2)", 1, 5, "did you mean 'scipy.gamma'?"),
    ("x ~ scipy.__class__()", 1, 5, "unknown distribution 'scipy.__class__'"),
    ("x ~ scipy._lib()", 1, 5, "unknown distribution 'scipy._lib'"),
    ("x ~ scipy.stats()", 1, 5, "unknown distribution 'scipy.stats'"),
    ("x ~ scipy.stats.norm(0, 1)", 1, 5, "unknown distribution"),
    ("x ~ scipy.gamma(2, scal=10)", 1, 20, "did you mean 'scale'?"),
    # arity
    ("x ~ uniform(0, 1, 2, 3)", 1, 22, "at most 3 arguments"),
    ("x ~ uniform(0)", 1, 5, "needs high"),
    ("x ~ uniform(0, 1, low=0)", 1, 19, "got 'low' twice"),
    ("x ~ expon()", 1, 5, "needs scale"),
    # bounds and values
    ("x ~ uniform(1, 0)", 1, 16, "low < high"),
    ("x ~ uniform(1, 1)", 1, 16, "low < high"),
    ("C ~ loguniform(0, 10)", 1, 16, "0 < low, got low=0"),
    ("C ~ loguniform(-1, 10)", 1, 16, "0 < low"),
    ("x ~ normal(0, 0)", 1, 15, "sigma > 0"),
    ("x ~ expon(-1)", 1, 11, "scale > 0"),
    ("x ~ uniform(0, 1, step=0)", 1, 24, "step > 0"),
    ("x ~ uniform('a', 1)", 1, 13, "needs a number for low"),
    ("x ~ randint(0.5, 3)", 1, 13, "integer for low"),
    ("x ~ scipy.gamma(-1)", 1, 5, "rejects these arguments"),
    # choices and ranges
    ("x in []", 1, 6, "empty choice list"),
    ("x in [1, 2, 1]", 1, 13, "appears twice"),
    ("x in 5..1", 1, 9, "empty range"),
    ("x in 0.5..2", 1, 6, "needs integer bounds"),
    ("x in 1..5 step -1", 1, 16, "step must be > 0"),
    ("x in 'a'..'b'", 1, 6, "needs numbers"),
    ("x in 0..10000000000", 1, 6, "draw from a distribution"),
    ("(a, b) in []", 1, 1, "empty choice list"),
    ("(a, b) in [(1, 2), (3)]", 1, 21, "needs 2 values"),
    # duplicates name the first definition's line
    ("x in [1]\nx ~ uniform(0, 1)", 2, 1, "'x' is already defined on line 1"),
    ("x = 1\nif x == 1 { y in [1] } else { x in [2] }", 2, 31, "already defined on line 1"),
    ("(a, b) in [(1, 2)]\na in [1]", 2, 1, "already defined on line 1"),
    # conditions
    ("if y == 1 { a in [1] }\ny in [1]", 1, 4, "defined later (line 2)"),
    ("yy in [1]\nif yx == 1 { a in [1] }", 2, 4, "unknown name 'yx' in condition; did you mean 'yy'?"),
    ("a in [1]\nwhere b > 1", 2, 7, "unknown name 'b'"),
    ("if x > 1 { x in [1] }", 1, 4, "defined later"),
    # defaults
    ("x in [1, 2] = 3", 1, 15, "default 3 is not in the domain"),
    ("x in 1..5 = 6", 1, 13, "not in the domain"),
    ("x ~ uniform(0, 1) = 2", 1, 21, "outside the domain"),
    ("x: int ~ uniform(0, 10) = 2.5", 1, 27, "outside the domain"),
    ("x ~ uniform(0, 1, step=0.25) = 0.3", 1, 32, "outside the domain"),
    ("(a, b) in [(1, 2)] = (2, 1)", 1, 23, "not one of the tuples"),
    # types
    ('x: int in ["a", "b"]', 1, 12, "': int' needs integers, but \"a\" is a string"),
    ("x: int in [1, 2.5]", 1, 15, "2.5 is a float"),
    ("x: float in [1, true]", 1, 17, "': float' needs numbers"),
    ("x: int in 0..1 step 0.5", 1, 21, "integer bounds and step"),
    ("x: int ~ uniform(0.1, 0.9)", 1, 10, "holds no integer"),
    # constraints nothing satisfies: exact for small spaces, seeded draws for large ones
    ("x in [1, 2]\nwhere x > 5", 2, 1, "no configuration satisfies it"),
    ("x in [1, 2]\ny in [1, 2]\nwhere x > 1\nwhere y > 1\nwhere x + y < 4", 5, 1, "no configuration"),
    ("x ~ uniform(0, 1)\nwhere x > 5", 2, 1, "none of 10,000 seeded draws"),
    ("x in 1..2000\ny in 1..2000\nwhere x + y > 5000", 3, 1, "seeded draws"),
])
def test_semantic_errors(text, line, column, fragment):
    with pytest.raises(DSLSemanticError) as info:
        spacedsl.parse(text, filename="s.space")
    err = info.value
    assert fragment in err.message, err.message
    assert (err.line, err.column) == (line, column), str(err)
    assert str(err).startswith(f"s.space:{line}:{column}: ")


def test_constraint_in_inactive_block_does_not_make_space_empty():
    space = spacedsl.parse('k in ["a", "b"]\nif k == "a" { x in [1, 2]\n where x > 5 }')
    assert space.sample(20, seed=0) and all(c["k"] == "b" for c in space.sample(20, seed=0))


def test_good_constraints_pass_and_large_spaces_are_checked():
    text = "\n".join(f"p{i} ~ uniform(0, 1)" for i in range(200)) + "\nwhere p0 + p1 <= 1.5"
    space = spacedsl.parse(text)  # (how fast: benchmarks/bench_language.py)
    assert len(space.names) == 200 and all(c["p0"] + c["p1"] <= 1.5 for c in space.sample(100, seed=0))


def test_normalised_arguments_make_spaces_equal():
    assert spacedsl.parse("x ~ uniform(0, 1)") == spacedsl.parse("x ~ uniform(low=0, high=1)")
    assert spacedsl.parse("x ~ uniform(high=1, low=0)") == spacedsl.parse("x ~ uniform(0, 1)")
    assert spacedsl.parse("x ~ uniform(0, 1, 0.5)") == spacedsl.parse("x ~ uniform(0, 1, step=0.5)")
    assert spacedsl.parse("x ~ norm(0, 1)") != spacedsl.parse("x ~ normal(0, 1)")  # names kept as written
    assert spacedsl.parse("x ~ scipy.gamma(2, 0, 10)") == spacedsl.parse("x ~ scipy.gamma(2, scale=10, loc=0)")
