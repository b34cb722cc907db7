"""Named objects in a space (``@svc``): the language part. Nothing here imports anything."""

import json
import subprocess
import sys

import pytest

import spacedsl
from spacedsl.language.ast import Ref
from spacedsl.space import format_text

TEXT = """\
scale in [@standard, "passthrough"]   # a step or nothing
clf in [@svc, @forest] = @svc
if clf == @svc {
    clf__C ~ loguniform(1e-3, 1e3)
}
if clf in [@forest] { clf__n_estimators in 10..50 }
where clf != @forest or scale == "passthrough"
k = @sklearn.svm.SVC
"""


def test_named_objects_parse_print_and_round_trip():
    space = spacedsl.parse(TEXT)
    assert space.names == ("scale", "clf", "clf__C", "clf__n_estimators")
    assert space.constants == {"k": Ref("sklearn.svm.SVC")}
    assert space.defaults == {"clf": Ref("svc")}
    text = spacedsl.dumps(space)
    assert "clf in [@svc, @forest] = @svc" in text and "if clf == @svc {" in text
    assert spacedsl.parse(text) == space
    assert spacedsl.dumps(spacedsl.parse(text)) == text
    data = json.loads(json.dumps(space.to_dict()))
    assert spacedsl.Space.from_dict(data) == space
    assert "# a step or nothing" in format_text(TEXT)


def test_a_named_object_is_not_the_string_of_its_name():
    assert spacedsl.parse('x in [@svc]') != spacedsl.parse('x in ["svc"]')
    space = spacedsl.parse('x in [@svc, "svc"]\nif x == "svc" { y in [1, 2] }')
    configs = list(space.grid())
    assert configs == [{"x": Ref("svc")}, {"x": "svc", "y": 1}, {"x": "svc", "y": 2}]
    assert str(Ref("svc")) == "@svc" and repr(Ref("svc")) == "Ref('svc')"


def test_conditions_on_named_objects_decide_activity():
    space = spacedsl.parse(TEXT)
    for config in space.sample(200, seed=0):
        assert ("clf__C" in config) == (config["clf"] == Ref("svc"))
        assert ("clf__n_estimators" in config) == (config["clf"] == Ref("forest"))
        assert config["clf"] != Ref("forest") or config["scale"] == "passthrough"
        space.validate(config)
    assert space.dimensions[1].model_kind == "categorical"
    # ordering a named object is false, as for none: never an exception
    assert spacedsl.parse("a in [@x, 'b']\nif a < 'c' { z in [1] }").sample(20, seed=0)


@pytest.mark.parametrize("text, column, message", [
    ("x ~ uniform(@a, 1)", 13, "not a named object (@a)"),
    ("x in @a..3", 6, "a range needs numbers, got @a"),
    ("x: int in [@a]", 12, "@a is a named object"),
    ("x in [@a, @a]", 11, "@a appears twice"),
    ("x in [@ a]", 7, "'@' names an object and needs a name right after it"),
    ("x in [@1]", 7, "'@' names an object"),
])
def test_bad_named_objects_are_errors_with_positions(text, column, message):
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.parse(text)
    assert info.value.line == 1 and info.value.column == column
    assert message in info.value.message


def test_from_dict_refuses_a_bad_object_name():
    data = spacedsl.parse("x in [@a]").to_dict()
    data["statements"][0]["domain"]["values"][0]["value"]["name"] = "os; rm"
    with pytest.raises(spacedsl.DSLError, match="not an object name"):
        spacedsl.Space.from_dict(data)


def test_check_sample_and_fmt_import_nothing_a_file_names(tmp_path):
    """A file naming a module that writes a marker on import: check, fmt, sample never import it."""
    (tmp_path / "evil_mod.py").write_text("open('IMPORTED', 'w').write('x')\nclass Thing: pass\n")
    (tmp_path / "s.space").write_text("m in [@evil_mod.Thing, @os.system]\n")
    for args in (["check", "s.space"], ["fmt", "s.space"], ["sample", "s.space", "-n", "3"], ["grid", "s.space"]):
        out = subprocess.run([sys.executable, "-m", "spacedsl", *args], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    assert not (tmp_path / "IMPORTED").exists()
    assert "\"@os.system\"" in subprocess.run(
        [sys.executable, "-m", "spacedsl", "sample", "s.space", "-n", "1"], cwd=tmp_path, capture_output=True,
        text=True, timeout=60).stdout
