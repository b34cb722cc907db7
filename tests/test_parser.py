"""The grammar: every statement form and literal of SPEC section 1, and syntax errors."""

import pytest

import spacedsl
from spacedsl.language import ast
from spacedsl.language.errors import DSLSyntaxError


def stmts(text):
    return spacedsl.parse(text).statements


def lit_values(text):
    (param,) = stmts(text)
    return [lit.value for lit in param.domain.values]


def test_seed_one_liner():
    space = spacedsl.parse("n_estimators ~ expon(100); max_depth in [3,10,20,40]")
    assert space.names == ("n_estimators", "max_depth")


@pytest.mark.parametrize("text, expected", [
    ("x in [10, -3, 1_000]", [10, -3, 1000]),
    ("x in [0.5, 1e-3, -2.5E+2, .25]", [0.5, 1e-3, -250.0, 0.25]),
    ("x in ['a', \"b\", 'it\\'s', \"tab\\t\", \"\\u00e9\\x41\"]", ["a", "b", "it's", "tab\t", "éA"]),
    ("x in [true, false, none]", [True, False, None]),
    ("x in [True, False, None]", [True, False, None]),
])
def test_literals(text, expected):
    values = lit_values(text)
    assert values == expected
    assert [type(v) for v in values] == [type(v) for v in expected]


def test_literal_types_are_distinct():
    assert spacedsl.parse("x = 1") != spacedsl.parse("x = 1.0")
    assert spacedsl.parse("x = 1") != spacedsl.parse("x = true")
    assert spacedsl.parse("x = 1.0") != spacedsl.parse("x = true")
    assert spacedsl.parse("x = 1") == spacedsl.parse("x   =   1   # same")


def test_big_integers_keep_full_precision():
    n = 10**4000 + 7
    (c,) = stmts(f"x = {n}")
    assert c.value.value == n


def test_separators_comments_blank_lines_and_indentation():
    text = """
    # comment line

        a in [1, 2] ; b in [3]   # trailing
    ;;
      c = 5
    """
    assert spacedsl.parse(text).names == ("a", "b")
    assert spacedsl.parse(text).constants == {"c": 5}


def test_multiline_lists_and_arguments():
    space = spacedsl.parse("""x in [
        1,
        2,   # comment inside
    ]
    y ~ uniform(
        0,
        high=1,
    )""")
    assert space.names == ("x", "y")


def test_dotted_and_double_underscore_names():
    space = spacedsl.parse("clf.C ~ loguniform(1e-3, 10); clf__gamma in [1]; rf.max_depth in 1..3")
    assert space.names == ("clf.C", "clf__gamma", "rf.max_depth")


def test_keyword_may_name_a_keyword_argument():
    (p,) = stmts("x ~ uniform(0, 1, step=0.25)")
    assert p.domain.kwargs == (ast.Keyword("step", ast.Literal(0.25)),)


def test_ranges():
    (p,) = stmts("x in 0..1")
    assert p.domain == ast.Range(ast.Literal(0), ast.Literal(1))
    (p,) = stmts("x in -5..5 step 2")
    assert p.domain == ast.Range(ast.Literal(-5), ast.Literal(5), ast.Literal(2))


def test_annotations_defaults_constants_tied():
    a, b, c, d = stmts('n: int ~ expon(100) = 50\nf: float in [1, 2]\nseed = 0\n(p, q) in [(1, "a"), (2, "b")] = (2, "b")')
    assert (a.type, a.default) == ("int", ast.Literal(50))
    assert b.type == "float"
    assert c == ast.Constant("seed", ast.Literal(0))
    assert d.names == ("p", "q") and d.default == (ast.Literal(2), ast.Literal("b"))


def test_if_else_and_else_if_nest():
    (s,) = stmts("""k in ["a", "b", "c"]
if k == "a" {
    x in [1]
    if x == 1 { y in [2] }
} else if k == "b" {
    z in [3]
} else {
    w in [4]
}""")[1:]
    assert isinstance(s, ast.If)
    assert s.body[1].body[0].name == "y"
    inner = s.orelse[0]
    assert isinstance(inner, ast.If) and inner.body[0].name == "z" and inner.orelse[0].name == "w"


def cond(text):
    return stmts(f"a in [1]; b in [2]; c in [3]\nif {text} {{ d in [4] }}")[-1].condition


def test_expression_precedence():
    B, N, L = ast.Binary, ast.Name, ast.Literal
    assert cond("a + b * c") == B("+", N("a"), B("*", N("b"), N("c")))
    assert cond("(a + b) * c") == B("*", B("+", N("a"), N("b")), N("c"))
    assert cond("a - b - c") == B("-", B("-", N("a"), N("b")), N("c"))
    assert cond("a or b and c") == B("or", N("a"), B("and", N("b"), N("c")))
    assert cond("not a == b") == ast.Unary("not", B("==", N("a"), N("b")))
    assert cond("a + 1 <= b % 2") == B("<=", B("+", N("a"), L(1)), B("%", N("b"), L(2)))
    assert cond("-a * b") == B("*", ast.Unary("-", N("a")), N("b"))
    assert cond("a -1 > 0") == B(">", B("-", N("a"), L(1)), L(0))
    assert cond("a in [1, -2]") == ast.Membership(N("a"), [L(1), L(-2)])
    assert cond("a not in [1]") == ast.Membership(N("a"), [L(1)], negated=True)
    assert cond("a > -3") == B(">", N("a"), L(-3))


def test_positions_are_kept_but_not_compared():
    (p,) = stmts("\n\n   xyz in [1, 2]")
    assert (p.pos.line, p.pos.column) == (3, 4)
    assert p.domain.values[1].pos.column == 15
    assert spacedsl.parse("xyz in [1, 2]") == spacedsl.parse("\n\n   xyz in [1, 2]")


@pytest.mark.parametrize("text, line, column, fragment", [
    ("x in [1, 2", 1, 11, "the '[' at line 1, column 6 is never closed"),
    ("x in [1, 2]]", 1, 12, "']' closes nothing"),
    ("x in [1, 2)", 1, 11, "does not match"),
    ("in in [1]", 1, 1, "'in' is a keyword"),
    ("a.if = 3", 1, 3, "'if' is a keyword"),
    ("step ~ uniform(0, 1)", 1, 1, "keyword"),
    ("x in [1.]", 1, 8, "digit after its decimal point"),
    ("x = 1.", 1, 6, "digit after its decimal point"),
    ('x in ["abc', 1, 7, "unterminated string"),
    ("a in [1]\nif a = 1 { }", 2, 6, "write '=='"),
    ("x in [1] y in [2]", 1, 10, "after its name"),
    ("a in [1]\nif a == 1 {\n b in [1]\n}\nelse { c in [2] }", 5, 1, "same line as the closing '}'"),
    ("a in [1]; b in [1]; c in [1]\nwhere a < b < c", 2, 13, "cannot be chained"),
    ("x: integer ~ uniform(0, 1)", 1, 4, "'int' or 'float'"),
    ("x ~ uniform(0, step=1, 1)", 1, 24, "positional argument cannot follow"),
    ('x = "\\q"', 1, 5, "unknown escape"),
    ('x = "\\ud800"', 1, 5, "not a valid character"),
    ("x = 1e400", 1, 5, "too large"),
    ("x = " + "9" * 4301, 1, 5, "more than 4300 digits"),
    ("x = @", 1, 5, "'@' names an object and needs a name right after it"),
    ("x in 1..5 step", 1, 15, "end of input"),
])
def test_syntax_errors_point_at_the_problem(text, line, column, fragment):
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.parse(text, filename="f.space")
    err = info.value
    assert (err.filename, err.line, err.column) == ("f.space", line, column), str(err)
    assert fragment in err.message
    rendered = str(err)
    assert rendered.startswith(f"f.space:{line}:{column}: ")
    _, source_line, caret = rendered.split("\n")
    assert source_line == "    " + text.split("\n")[line - 1][:200]
    assert caret == " " * (4 + column - 1) + "^"


def test_caret_sits_under_the_column():
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.parse("x = 1\n    C ~ loguniform(0, 10)", filename="rf.space")
    text = str(info.value)
    assert text == ("rf.space:2:20: loguniform needs 0 < low, got low=0\n"
                    "        C ~ loguniform(0, 10)\n"
                    "                       ^")


def test_error_at_end_points_just_past_the_last_token():
    with pytest.raises(DSLSyntaxError) as info:
        spacedsl.parse("x ~ uniform(0, 1\n\n   # trailing comment\n")
    assert (info.value.line, info.value.column) == (1, 17)


def test_syntax_error_is_a_value_error_and_pickles():
    import pickle
    with pytest.raises(ValueError) as info:
        spacedsl.parse("x in [")
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)
