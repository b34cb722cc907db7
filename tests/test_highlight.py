"""The Pygments lexer (issue 13): every valid space lexes without an Error token, and the tokens
rebuild the input exactly; Pygments finds the lexer through its entry point."""

from __future__ import annotations

import ast as pyast
import pathlib

import pytest
from hypothesis import given, note, settings

pygments = pytest.importorskip("pygments")
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename  # noqa: E402
from pygments.token import Error, Keyword, Name  # noqa: E402

from siblings import sibling  # noqa: E402  (tests/ is on sys.path)
import spacedsl  # noqa: E402
from spacedsl.tooling.highlight import SpaceLexer  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.space"))




_fuzz = sibling("tests/test_fuzz.py")
space_texts, mutants = _fuzz.space_texts, _fuzz.mutants
# A third of the fuzz tests' sample (generating spaces is what costs); SPACEDSL_FUZZ_EXAMPLES scales it.
SETTINGS = settings(_fuzz.SETTINGS, max_examples=max(_fuzz.EXAMPLES // 3, 1))


def tokens(text):
    return list(SpaceLexer().get_tokens_unprocessed(text))


def check_lexes(text):
    """No Error token, and the tokens are the input, in order, without gaps."""
    toks = tokens(text)
    pos = 0
    for start, _, value in toks:
        assert start == pos, (start, pos)
        pos += len(value)
    assert "".join(v for _, _, v in toks) == text
    errors = [(start, value) for start, kind, value in toks if kind in Error]
    assert not errors, errors
    return toks


def declared(space):
    """Every name a space declares: searched parameters (tied ones too) and constants."""
    return set(space.names) | set(space.constants)


def variables(toks):
    return {value for _, kind, value in toks if kind is Name.Variable}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_lex_without_errors(path):
    text = path.read_text("utf-8")
    toks = check_lexes(text)
    assert variables(toks) == declared(spacedsl.parse(text))


def test_the_big_benchmark_space_lexes():
    bench = sibling("benchmarks/bench_language.py")
    text = bench.to_spacedsl(bench.make_big_space())
    toks = check_lexes(text)
    assert variables(toks) == declared(spacedsl.parse(text))


@SETTINGS
@given(space_texts())
def test_generated_spaces_lex_without_errors(text):
    note(text)
    toks = check_lexes(text)
    # every declared name is highlighted as a declaration (and nothing else is)
    assert variables(toks) == declared(spacedsl.parse(text))


@SETTINGS
@given(mutants())
def test_any_text_is_rebuilt_exactly(text):
    note(repr(text))
    toks = tokens(text)
    assert "".join(v for _, _, v in toks) == text
    try:
        spacedsl.parse(text)
    except Exception:  # not a valid space (whether the parser fails well is test_fuzz's business)
        return
    assert not [v for _, kind, v in toks if kind in Error]


def test_roles():
    text = ('(a, b) in [(1, "x\\n")] = (1, "x\\n")\n'
            "c: int ~ scipy.gamma(2, scale=10); d ~ uniform(0, 1, step=0.25)\n"
            "if a > 0 and b in ['x'] { e = none }\n")
    toks = [(kind, value) for _, kind, value in check_lexes(text) if value.strip()]
    assert (Name.Variable, "a") in toks and (Name.Variable, "b") in toks and (Name.Variable, "e") in toks
    assert (Name.Function, "scipy.gamma") in toks and (Name.Function, "uniform") in toks
    assert (Name.Attribute, "scale") in toks and (Name.Attribute, "step") in toks  # a keyword as a kwarg name
    assert (Keyword.Type, "int") in toks and (Keyword.Constant, "none") in toks
    assert (pygments.token.String.Escape, "\\n") in toks
    assert (Name, "a") in toks  # a name in a condition is a reference, not a declaration


def test_errors_only_where_spacedsl_cannot_lex():
    toks = tokens('x in [1, 2] $\ny in ["open\n')
    assert [v for _, kind, v in toks if kind in Error] == ["$", '"']
    assert "".join(v for _, _, v in toks) == 'x in [1, 2] $\ny in ["open\n'


def test_crlf_is_kept():
    text = "x in [1,\r\n  2]\r\nif x == 1 {\r\n  y ~ uniform(0, 1)\r\n}\r\n"
    assert variables(check_lexes(text)) == {"x", "y"}


def test_pygments_finds_the_lexer_through_its_entry_point():
    # needs the package installed (pip install -e . registers the pygments.lexers entry point)
    assert isinstance(get_lexer_by_name("space"), SpaceLexer)
    assert isinstance(get_lexer_by_name("spacedsl"), SpaceLexer)
    assert isinstance(get_lexer_for_filename("rf.space"), SpaceLexer)
    html = pygments.highlight("x ~ uniform(0, 1)\n", get_lexer_by_name("space"),
                              pygments.formatters.HtmlFormatter())
    assert '<span class="nv">x</span>' in html and '<span class="nf">uniform</span>' in html


def test_the_lexer_module_imports_only_pygments():
    tree = pyast.parse((ROOT / "spacedsl" / "tooling" / "highlight.py").read_text("utf-8"))
    imported = set()
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, pyast.ImportFrom):
            imported.add("." if node.level else node.module.split(".")[0])
    assert imported <= {"__future__", "re", "pygments"}, imported


def test_pygments_loading_the_lexer_imports_almost_nothing_of_spacedsl():
    import subprocess
    import sys
    code = ("import sys, spacedsl.tooling.highlight; import spacedsl; "
            "print(sorted(m for m in sys.modules if m.startswith('spacedsl')), 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("]")[0] + "]" == "['spacedsl', 'spacedsl.tooling', 'spacedsl.tooling.highlight']"
    assert out.stdout.strip().endswith("False")  # import spacedsl is lazy too (PEP 562): no numpy yet
