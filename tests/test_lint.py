"""`spacedsl lint` and `spacedsl.tooling.lint.lint_text`: every code on a minimal file, exact
positions, ignore comments, the measurements, JSON and exit codes."""

import json
import pathlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from siblings import sibling  # noqa: E402  (tests/ is on sys.path)
import spacedsl
from spacedsl.cli import main
from spacedsl.tooling.lint import CODES, Finding, lint_report, lint_text
from spacedsl.space.survey import EXACT_LIMIT, survey

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

# code -> (minimal text, (line, column, end_line, end_column) of the finding)
CASES = {
    "S101": ('k in ["a", "b"]\nif k == "c" {\n    y in 1..3\n}\n', (2, 1, 2, 12)),
    "S102": ("x in 1..3\nif x >= 1 {\n    z in [1, 2]\n}\n", (2, 1, 2, 10)),
    "S103": ("x in 1..3\nwhere x <= 3\n", (2, 1, 2, 13)),
    "S104": ("a in 1..10 = 10\nb in 1..10 = 10\nwhere a + b <= 15\n", (1, 14, 1, 16)),
    "S105": ("c in [7]\nd in 1..2\n", (1, 1, 1, 9)),
    "S106": ("lr ~ loguniform(0.1, 0.5)\n", (1, 1, 1, 26)),
    "S107": ("n ~ uniform(1, 10000)\n", (1, 1, 1, 22)),
    "S108": ('m in ["p", "q"]\nwhere m != "q"\n', (1, 1, 1, 16)),
    "S109": ('k in ["a", "b"] = "b"\nif k == "a" {\n    w in 1..4 = 2\n}\n', (3, 17, 3, 18)),
    "S110": ("a in 1..100\nb in 1..100\nwhere a + b <= 10\n", (3, 1, 3, 18)),
    "S111": ("a in 1..3  # spacedsl: ignore[S1O1]\n", (1, 31, 1, 35)),
}


def codes(findings):
    return [f.code for f in findings]


def test_every_code_has_a_case():
    assert sorted(CASES) == sorted(c for c in CODES if c not in ("S001", "S002"))


@pytest.mark.parametrize("code", sorted(CASES))
def test_code_fires_at_its_position(code):
    text, span = CASES[code]
    found = [f for f in lint_text(text, "t.space") if f.code == code]
    assert len(found) == 1, lint_text(text, "t.space")
    f = found[0]
    assert (f.line, f.column, f.end_line, f.end_column) == span
    assert f.severity == CODES[code][0]
    assert f.filename == "t.space" and f.message and f.fix


@pytest.mark.parametrize("code", sorted(CASES))
def test_ignore_comment_silences_only_that_code(code):
    text, (line, *_) = CASES[code]
    lines = text.split("\n")
    lines[line - 1] += f"  # spacedsl: ignore[{code}]"
    assert code not in codes(lint_text("\n".join(lines)))
    lines = text.split("\n")
    other = "S105" if code != "S105" else "S101"
    lines[line - 1] += f"  # spacedsl: ignore[{other}]"
    assert code in codes(lint_text("\n".join(lines)))


def test_ignore_forms():
    text = "c in [7]  # spacedsl: ignore\nd in [8]  # spacedsl: ignore[s103, S105]\ne in [9] # ignore[S105]\n"
    assert "S111" not in codes(lint_text(text))
    assert [(f.code, f.line) for f in lint_text(text)] == [("S105", 3)]
    # a '#' inside a string is not a comment
    assert codes(lint_text('c in ["# spacedsl: ignore[S105]"]\n')) == ["S105"]


def test_span_of_a_membership_condition_covers_its_bracket():
    text = 'k in ["a", "b"]\nif k in ["c", "d"] {\n    y in 1..3\n}\n'
    (f,) = lint_text(text)
    assert (f.code, f.line, f.column, f.end_column) == ("S101", 2, 1, len('if k in ["c", "d"]') + 1)


def test_dead_under_constraints_and_nested_dead_blocks_report_once():
    text = ('k in ["a", "b"]\nwhere k != "b"\nif k == "b" {\n    x in 1..3\n    if x > 1 {\n'
            '        y in 1..2\n    }\n}\n')
    found = lint_text(text)
    dead = [f for f in found if f.code == "S101"]
    assert len(dead) == 1 and dead[0].line == 3 and "meets the constraints" in dead[0].message
    assert "S108" in codes(found)  # "b" is excluded by the constraint


def test_else_dead_when_condition_always_holds():
    (f,) = lint_text("x in 1..3\nif x > 0 {\n    a in [1, 2]\n} else {\n    b in [1, 2]\n}\n")
    assert f.code == "S102" and "else" in f.message


def test_conditions_on_distributions_are_estimated():
    text = "C ~ loguniform(0.001, 1000.0)\nif C > 2000 {\n    d in 1..3\n}\nif C > 999.0 {\n    e in 1..3\n}\n"
    found = lint_text(text)
    assert [(f.code, f.line) for f in found] == [("S101", 2)]
    assert "seeded draws" in found[0].message


def test_parse_errors_are_check_messages():
    bad = "a in [1, 2, 3]\nb ~ unifrom(0, 1)\n"
    with pytest.raises(spacedsl.DSLError) as exc:
        spacedsl.parse(bad, filename="bad.space")
    (f,) = lint_text(bad, "bad.space")
    assert (f.code, f.severity, f.line, f.column) == ("S002", "error", exc.value.line, exc.value.column)
    assert f.message == exc.value.message
    assert f.end_column == f.column + len("unifrom")
    (f,) = lint_text("a in [1, 2\n", "bad.space")
    assert f.code == "S001" and f.severity == "error"
    # errors cannot be silenced
    assert codes(lint_text("b ~ unifrom(0, 1)  # spacedsl: ignore\n")) == ["S002"]


def test_never_raises_on_junk():
    for text in ["", "\0", b"\xff\xfe", "if {", "a in []", "(" * 500]:
        for f in lint_text(text):
            assert isinstance(f, Finding) and f.severity == "error"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.space")), ids=lambda p: p.name)
def test_examples_lint_clean(path):
    assert lint_text(path.read_bytes(), str(path)) == []


def test_grid_size_matches_the_grid():
    for name in ("random_forest.space", "svm.space"):  # gradient_boosting's grid has 2 million
        space = spacedsl.load(EXAMPLES / name)
        s = survey(space)
        assert s.grid_exact and s.grid_size == sum(1 for _ in space.grid())
    text = 'k in ["a", "b"]\nif k == "a" {\n    x in 1..10\n    y ~ uniform(0, 1)\n}\nz in [1, 2]\nwhere z + 1 > 2\n'
    space = spacedsl.parse(text)
    assert survey(space).grid_size == sum(1 for _ in space.grid()) == (10 * 5 + 1) * 1


def test_feasible_fraction_exact_and_estimated():
    s = survey(spacedsl.parse("a in 1..10\nb in 1..10\nwhere a + b <= 15\nm in [1, 2]\nwhere m != 2\n"))
    assert s.fraction.exact and s.fraction.value == pytest.approx(0.85 * 0.5)
    s = survey(spacedsl.parse("x ~ uniform(0, 1)\ny ~ uniform(0, 1)\nwhere x + y <= 1\n"))
    f = s.fraction
    assert not f.exact and f.draws == 10_000 and f.low < 0.5 < f.high and f.high - f.low < 0.03
    # beyond EXACT_LIMIT rows a finite component is sampled too
    side = int(EXACT_LIMIT ** (1 / 3)) + 5
    s = survey(spacedsl.parse(f"a in 1..{side}\nb in 1..{side}\nc in 1..{side}\nwhere a + b + c <= {side}\n"))
    assert not s.fraction.exact and not s.grid_exact
    exact = (side - 1) * (side - 2) / (6 * side * side)  # C(side, 3) / side^3
    assert s.fraction.low <= exact <= s.fraction.high
    assert s.grid_size == side ** 3  # an upper bound


def test_conditional_fraction_weights_branches_like_sample():
    text = 'k in ["a", "b"]\nif k == "a" {\n    x in 1..100\n    where x <= 10\n}\n'
    s = survey(spacedsl.parse(text))
    assert s.fraction.value == pytest.approx(0.5 + 0.5 * 0.1)


def test_report_json_shape_and_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.space"
    good.write_text("c in [7]\nx ~ uniform(0, 1)\n")
    bad = tmp_path / "bad.space"
    bad.write_text("b ~ unifrom(0, 1)\n")
    assert main(["lint", str(good)]) == 0
    out = capsys.readouterr().out
    assert f"{good}:1:1: warning S105: " in out and "    fix: write a constant: c = 7" in out
    assert "grid at resolution 5: 5 configurations" in out
    assert main(["lint", "--json", str(good), str(bad)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 1 and data["warnings"] == 1 and data["infos"] == 0
    first, second = data["files"]
    assert first["file"] == str(good) and first["parameters"] == 2 and first["grid_size"] == 5
    assert first["feasible"] == {"value": 1.0, "low": 1.0, "high": 1.0, "exact": True, "draws": 0}
    assert first["findings"][0] == {"code": "S105", "severity": "warning", "message": "'c' has one value (7) "
                                    "to choose from", "fix": "write a constant: c = 7", "filename": str(good),
                                    "line": 1, "column": 1, "end_line": 1, "end_column": 9}
    assert second["grid_size"] is None and second["findings"][0]["code"] == "S002"
    assert main(["lint", str(tmp_path / "missing.space")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_huge_grids_are_printed_short():
    text = "\n".join(f"p{i} in 1..100" for i in range(40)) + "\n"
    report = lint_report(text)
    assert report.survey.grid_size == 100 ** 40
    assert "1.00e80 configurations" in report.summary()
    assert report.to_dict()["grid_size_log10"] == pytest.approx(80)


SHARED_PARENT = '''
algo in ["a", "b", "c", "d"]
x in 0..5
y in 0..5
where x + y <= 7
if algo in ["c", "d"] {
    depth in 1..6
    u ~ uniform(0, 1)
    if depth > 3 {
        v in [1, 2, 3]
    }
}
if algo == "d" {
    p in 0..4
    q in 0..4
    r in [1, 2]
    where p + q <= 5
}
if algo == "b" {
    w in [1, 2, 3]
    where w != 2
}
'''


def test_enumeration_split_under_a_shared_parent_is_exact():
    # the blocks under `algo` are enumerated apart for each value of algo: the counts must still be the grid's
    space = spacedsl.parse(SHARED_PARENT)
    s = survey(space)
    assert s.grid_exact and s.grid_size == sum(1 for _ in space.grid())
    assert s.fraction.exact
    u = np.random.default_rng(1).random((100_000, len(space.dimensions)))
    assert s.fraction.value == pytest.approx(space.feasible_unit(u).mean(), abs=0.007)  # 5 standard errors
    assert [(dim.label, values) for dim, values in s.unseen] == [("w", [1])]


def test_cache_gives_the_same_measurements():
    space = spacedsl.parse(SHARED_PARENT)
    plain = survey(space)
    cache = {}
    survey(spacedsl.parse(SHARED_PARENT.replace("w != 2", "w != 3")), cache)
    cached = survey(space, cache)
    assert (cached.grid_size, cached.fraction) == (plain.grid_size, plain.fraction)




@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(sibling("tests/test_roundtrip.py").space_texts())
def test_any_valid_space_lints_and_counts_its_grid(text):
    space = spacedsl.parse(text)
    report = lint_report(text, "t.space")
    lines = text.split("\n")
    for f in report.findings:
        assert f.code in CODES and f.severity == CODES[f.code][0]
        assert 1 <= f.line <= f.end_line <= len(lines) and f.column >= 1
        assert (f.end_line, f.end_column) > (f.line, f.column)
    s = report.survey
    assert 0.0 <= s.fraction.low <= s.fraction.value <= s.fraction.high <= 1.0
    if s.grid_exact and s.grid_size <= 5_000:
        assert s.grid_size == sum(1 for _ in space.grid())
