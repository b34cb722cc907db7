"""`spacedsl diff` and `spacedsl.tooling.diff.diff_spaces`: each kind of change, nothing for layout
or comments, JSON, exit codes, and the git external diff driver in a real repository."""

import json
import shutil
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings

from siblings import sibling  # noqa: E402  (tests/ is on sys.path)
import spacedsl
from spacedsl.cli import main
from spacedsl.tooling.diff import diff_spaces
from spacedsl.space.survey import survey

OLD = '''\
kernel in ["linear", "rbf", "poly"]
C ~ loguniform(0.001, 1000.0) = 1.0
if kernel == "poly" {
    degree in 2..5
}
gamma ~ uniform(0, 1)
tol ~ loguniform(1e-05, 0.01)
seed = 0
where kernel != "poly" or C <= 100
where kernel != "poly" or degree >= 3
'''

RELAID = '''\
# the same space, laid out and commented differently
kernel in [ "linear" , 'rbf', "poly", ]   # kernels
C ~ loguniform(low=0.001, high=1000.0) = 1.0

if kernel == "poly" { degree in 2..5 }
gamma ~ uniform(0, 1); tol ~ loguniform(1e-5, 0.01)
seed = 0
where kernel != "poly" or C <= 100
where (kernel != "poly") or (degree >= 3)
'''


def diff(old, new):
    return diff_spaces(spacedsl.parse(old), spacedsl.parse(new))


def kinds(d):
    return [(c.kind, c.name) for c in d.changes]


def edit(old, new, text=OLD):
    assert old in text
    return text.replace(old, new)


def test_layout_and_comments_give_an_empty_diff(tmp_path, capsys):
    assert not diff(OLD, RELAID) and diff(OLD, RELAID).lines() == []
    a, b = tmp_path / "a.space", tmp_path / "b.space"
    a.write_text(OLD)
    b.write_text(RELAID)
    assert main(["diff", str(a), str(b)]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("old, new, expected", [
    ('"poly"]', '"poly", "sigmoid"]', [("widened", "kernel")]),
    ('["linear", "rbf", "poly"]', '["linear", "poly"]', [("narrowed", "kernel")]),
    ('["linear", "rbf", "poly"]', '["linear", "poly", "rbf"]', [("domain", "kernel")]),
    ("loguniform(0.001, 1000.0) = 1.0", "loguniform(0.0001, 1000.0) = 1.0", [("widened", "C")]),
    ("loguniform(0.001, 1000.0) = 1.0", "loguniform(0.01, 100.0) = 1.0", [("narrowed", "C")]),
    ("2..5", "2..8", [("widened", "degree")]),
    ("2..5", "3..5", [("narrowed", "degree")]),
    ("gamma ~ uniform(0, 1)", "gamma ~ loguniform(0.001, 1)", [("distribution", "gamma")]),
    ("gamma ~ uniform(0, 1)", "gamma ~ uniform(0, 1, step=0.1)", [("distribution", "gamma")]),
    ("gamma ~ uniform(0, 1)", "gamma in [0.5, 1.0]", [("domain", "gamma")]),
    ("gamma ~ uniform(0, 1)", "gamma: int ~ uniform(0, 1)", [("type", "gamma")]),
    ("= 1.0", "= 10.0", [("default", "C")]),
    ("= 1.0", "", [("default", "C")]),
    ('kernel == "poly"', 'kernel != "linear"', [("condition", "degree")]),
    ("seed = 0", "seed = 1", [("constant", "seed")]),
    ("seed = 0", "seed = 0\nn_jobs = 2", [("added", "n_jobs")]),
    ("tol ~ loguniform(1e-05, 0.01)\n", "", [("removed", "tol")]),
    ("tol ~ loguniform(1e-05, 0.01)\n", "tol ~ loguniform(1e-05, 0.01)\nshrinking in [true, false]\n",
     [("added", "shrinking")]),
    ("where kernel != \"poly\" or C <= 100\n", "", [("constraint", 'where kernel != "poly" or C <= 100')]),
    ("seed = 0", "seed = 0\nwhere C >= 0.01", [("constraint", "where C >= 0.01")]),
])
def test_each_kind_of_change(old, new, expected):
    assert kinds(diff(OLD, edit(old, new))) == expected


def test_rename_by_domain_carries_conditions_and_constraints():
    new = OLD.replace("degree", "poly_degree")
    d = diff(OLD, new)
    assert kinds(d) == [("renamed", "poly_degree")]
    (c,) = d.changes
    assert c.message == "degree renamed to poly_degree" and (c.old_line, c.new_line) == (4, 4)
    # with two candidates of the same domain, the nearer in position is the rename
    d = diff("a in 1..3\nb in [1, 2]\nc in 1..3\n", "x in 1..3\nb in [1, 2]\nc in 1..3\n")
    assert kinds(d) == [("renamed", "x")] and d.changes[0].message == "a renamed to x"
    # renamed and edited: the same place, the same kind of domain
    d = diff("a in 1..3\nb in [1, 2]\n", "z in 1..4\nb in [1, 2]\n")
    assert kinds(d) == [("renamed", "z"), ("widened", "z")]
    # a new name with another kind of domain is a removal and an addition
    d = diff("a in 1..3\n", "z ~ uniform(0, 1)\n")
    assert kinds(d) == [("added", "z"), ("removed", "a")]


def test_order_change():
    d = diff("a in 1..3\nb in [1, 2]\n", "b in [1, 2]\na in 1..3\n")
    assert kinds(d) == [("order", "b")] and "a, b -> b, a" in d.changes[0].message


def test_grid_size_and_fraction_in_the_summary():
    d = diff(OLD, edit("2..5", "2..8"))
    assert d.grid_size[1] > d.grid_size[0]
    assert d.lines()[-1].startswith("= grid at resolution 5: ")
    d = diff("a in 1..10\nb in 1..10\n", "a in 1..10\nb in 1..10\nwhere a + b <= 15\n")
    assert d.grid_size == (100, 85) and d.feasible[0].value == 1.0 and d.feasible[1].value == pytest.approx(0.85)
    assert d.lines()[-1] == "= grid at resolution 5: 100 -> 85 configurations; feasible: 100% -> 85%"


def test_json_and_exit_codes(tmp_path, capsys):
    a, b, bad = tmp_path / "a.space", tmp_path / "b.space", tmp_path / "bad.space"
    a.write_text(OLD)
    b.write_text(edit("seed = 0", "seed = 1"))
    bad.write_text("x ~ unifrom(0, 1)\n")
    assert main(["diff", "--json", str(a), str(b)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["old"] == str(a) and data["new"] == str(b)
    assert data["changes"] == [{"kind": "constant", "name": "seed", "message": "seed: constant 0 -> 1",
                                "old_line": 8, "new_line": 8}]
    assert data["grid_size"]["old"] == data["grid_size"]["new"] > 0
    assert set(data["feasible"]["old"]) == {"value", "low", "high", "exact", "draws"}
    assert main(["diff", str(a), str(bad)]) == 2
    assert "bad.space:1:5: unknown distribution 'unifrom'" in capsys.readouterr().err
    assert main(["diff", str(a)]) == 2
    assert main(["diff", str(a), str(tmp_path / "missing.space")]) == 2


def test_git_arguments_and_dev_null(tmp_path, capsys):
    a = tmp_path / "a.space"
    a.write_text(OLD)
    hexes = ("0" * 40, "100644")
    assert main(["diff", "--git", "x.space", "/dev/null", *hexes, str(a), *hexes]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "spacedsl diff a/x.space b/x.space (new file)"
    assert "+ kernel in [\"linear\", \"rbf\", \"poly\"]" in out
    assert main(["diff", "x.space", str(a), *hexes, "/dev/null", *hexes]) == 0  # seven arguments: git
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("(deleted)") and "- tol ~ loguniform(1e-05, 0.01)" in out
    bad = tmp_path / "bad.space"
    bad.write_text("x ~ unifrom(0, 1)\n")
    assert main(["diff", "--git", "x.space", str(a), *hexes, str(bad), *hexes]) == 0
    assert "b/x.space:1:5: unknown distribution" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_git_diff_driver_in_a_real_repository(tmp_path):
    def git(*args):
        return subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True,
                              timeout=60).stdout

    git("init", "-q")
    git("config", "user.email", "test@example.com")
    git("config", "user.name", "test")
    git("config", "diff.spacedsl.command", f"'{sys.executable}' -m spacedsl diff --git")
    (tmp_path / ".gitattributes").write_text("*.space diff=spacedsl\n")
    (tmp_path / "svm.space").write_text(OLD)
    git("add", ".")
    git("commit", "-qm", "first")
    (tmp_path / "svm.space").write_text(RELAID)
    assert git("diff").splitlines() == ["spacedsl diff a/svm.space b/svm.space",
                                        "  no semantic change (layout or comments only)"]
    (tmp_path / "svm.space").write_text(OLD.replace("degree", "poly_degree").replace("2..5", "2..8"))
    out = git("diff")
    assert out.splitlines()[:3] == ["spacedsl diff a/svm.space b/svm.space", "> degree renamed to poly_degree",
                                    "~ poly_degree: widened: in 2..5 -> in 2..8 (adds 6, 7, 8)"]
    assert "= grid at resolution 5: " in out
    git("commit", "-qam", "second")
    (tmp_path / "knn.space").write_text("n_neighbors in 1..30\n")
    git("add", "knn.space")
    assert git("diff", "--cached").splitlines()[:2] == ["spacedsl diff a/knn.space b/knn.space (new file)",
                                                         "+ n_neighbors in 1..30"]
    assert "renamed to poly_degree" in git("log", "-p", "--ext-diff")


def test_diff_measurements_match_uncached_surveys():
    new = edit("2..5", "2..8")
    d = diff(OLD, new)
    assert d.grid_size == (survey(spacedsl.parse(OLD)).grid_size, survey(spacedsl.parse(new)).grid_size)
    assert d.feasible[1] == survey(spacedsl.parse(new)).fraction




@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(sibling("tests/test_roundtrip.py").space_cases())
def test_two_renderings_of_one_space_diff_empty(case):
    text, other, _ = case
    assert diff(text, other).changes == ()
    assert diff(text, text + "\n# a comment\n").changes == ()


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(sibling("tests/test_roundtrip.py").space_texts(), sibling("tests/test_roundtrip.py").space_texts())
def test_different_spaces_show_a_change(a, b):
    old, new = spacedsl.parse(a), spacedsl.parse(b)
    d = diff_spaces(old, new)
    if old == new:
        assert not d.changes
    elif not d.changes:  # only constants or constraints moved: the same lines in another order
        assert sorted(spacedsl.dumps(old).splitlines()) == sorted(spacedsl.dumps(new).splitlines())
    back = diff_spaces(new, old)
    assert bool(back.changes) == bool(d.changes)


def test_a_changed_block_condition_is_one_line():
    old = 'k in ["a", "b"]\nif k == "a" {\n    x in 1..3\n    y in [1, 2]\n}\nz in [1, 2]\n'
    d = diff(old, old.replace('k == "a"', 'k != "b"'))
    assert [c.message for c in d.changes] == ['x, y: active when k == "a" -> when k != "b"']
