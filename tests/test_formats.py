"""Formats: the hook, `spacedsl.convert`, refusals that list every statement, lossy conversions."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import spacedsl
from spacedsl import hookimpl, plugins
from spacedsl.language import ast
from spacedsl.formats import ConversionError, LossyConversion, Losses, MissingExtraError, require

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

SPACE = """\
x ~ uniform(0, 1)
y in [1, 2, 3]
where x * y <= 2
if y == 2 {
    z ~ normal(0, 1)
    where z > 0
}
"""


class NoConstraints:
    """A format that carries parameters but no `where`: the shape every real format takes."""

    def to_native(self, space, *, lossy=False):
        losses = Losses("no-where", lossy, space.filename)
        out = []
        for s in _walk(space.statements):
            if isinstance(s, ast.Where):
                losses.add(s, "this format has no constraints")
            elif isinstance(s, ast.Param):
                out.append(s.name)
        losses.check()
        return out

    def from_native(self, obj, *, lossy=False):
        return spacedsl.parse("\n".join(f"{name} in [0, 1]" for name in obj))

    def knows(self, obj):
        return isinstance(obj, list) and all(isinstance(x, str) for x in obj)


def _walk(statements):
    for s in statements:
        yield s
        if isinstance(s, ast.If):
            yield from _walk(s.body)
            yield from _walk(s.orelse)


class Plugin:
    @hookimpl
    def spacedsl_formats(self):
        return {"no-where": NoConstraints()}


@pytest.fixture
def no_where():
    plugin = Plugin()
    plugins.register(plugin, name="no_where_plugin")
    try:
        yield
    finally:
        plugins.unregister(plugin)


def test_a_refusal_lists_every_statement_with_its_position(no_where):
    space = spacedsl.parse(SPACE, filename="s.space")
    with pytest.raises(ConversionError) as info:
        spacedsl.convert(space, "no-where")
    err = info.value
    assert isinstance(err, ValueError) and err.format == "no-where"
    assert [(p.filename, p.line, p.column) for p in err.problems] == [("s.space", 3, 1), ("s.space", 6, 5)]
    text = str(err)
    assert "s.space:3:1: where x * y <= 2: this format has no constraints" in text
    assert "s.space:6:5: where z > 0" in text and "lossy=True" in text


def test_lossy_converts_the_rest_and_warns_what_was_dropped(no_where):
    with pytest.warns(LossyConversion) as record:
        assert spacedsl.convert(SPACE, "no-where", lossy=True) == ["x", "y", "z"]
    dropped = record[0].message.dropped
    assert [p.statement for p in dropped] == ["where x * y <= 2", "where z > 0"]


def test_native_objects_find_their_format(no_where):
    assert spacedsl.convert(["a", "b"], "spacedsl").names == ("a", "b")
    assert spacedsl.convert(SPACE, "spacedsl") == spacedsl.parse(SPACE)
    with pytest.raises(spacedsl.PluginError, match="no registered format knows a builtins.set"):
        spacedsl.convert({1, 2}, "spacedsl")
    with pytest.raises(spacedsl.PluginError, match="unknown format 'no-wher'; did you mean 'no-where'"):
        spacedsl.convert(SPACE, "no-wher")


class Greedy(NoConstraints):
    def knows(self, obj):
        return isinstance(obj, dict)


class GreedyPlugin:
    @hookimpl
    def spacedsl_formats(self):
        return {"greedy": Greedy()}


def test_a_native_object_two_formats_know_asks_which_whatever_the_order():
    plugin = GreedyPlugin()
    plugins.register(plugin, name="greedy_plugin")
    try:
        grid = {"a": [1, 2]}
        with pytest.raises(spacedsl.PluginError, match=r"formats (sklearn, greedy|greedy, sklearn) all know a "
                                                       r"builtins.dict; pass source=NAME"):
            spacedsl.convert(grid, "spacedsl")
        assert spacedsl.convert(grid, "spacedsl", source="sklearn").names == ("a",)
    finally:
        plugins.unregister(plugin)


def test_two_plugins_offering_one_format_is_an_error_naming_both(no_where):
    other = Plugin()
    plugins.register(other, name="second_plugin")
    try:
        with pytest.raises(spacedsl.PluginError, match=r"format 'no-where'.*no_where_plugin.*second_plugin"):
            plugins.formats()
    finally:
        plugins.unregister(other)


def test_a_missing_dependency_names_the_extra():
    with pytest.raises(MissingExtraError, match=r"pip install 'spacedsl\[thing\]'"):
        require("a_module_that_does_not_exist", "thing", "thing")


# ------------------------------------------------------------------ the public tree


def test_walk_gives_every_declaration_with_domain_conditions_and_position():
    space = spacedsl.load(EXAMPLES / "svm.space")
    entries = list(spacedsl.walk(space))
    kinds = [(e.kind, getattr(e, "name", None)) for e in entries]
    assert kinds[:3] == [("parameter", "kernel"), ("parameter", "C"), ("parameter", "degree")]
    assert kinds[-1] == ("constraint", None)
    c = entries[1]
    assert (c.domain.kind, c.domain.distribution, c.domain.log) == ("distribution", "loguniform", True)
    assert c.domain.arguments == {"low": 0.001, "high": 1000.0, "step": None}
    assert (c.default, c.has_default, c.pos.line, c.pos.column) == (1.0, True, 9, 1)
    degree = entries[2]
    assert degree.domain.values == (2, 3, 4, 5) and degree.domain.integer
    assert [cond.text for cond in degree.conditions] == ['kernel == "poly"'] and degree.conditions[0].names == ("kernel",)
    assert entries[-1].text == 'kernel != "poly" or C <= 100' and entries[-1].names == ("kernel", "C")
    other = list(spacedsl.walk("(a, b) in [(1, 2), (3, 4)] = (3, 4); k = 'z'\n"
                               "if a == 1 { x ~ uniform(0, 1) } else { n: int ~ expon(100) }"))
    assert (other[0].kind, other[0].names, other[0].rows, other[0].default) == ("tied", ("a", "b"), ((1, 2), (3, 4)), (3, 4))
    assert (other[1].kind, other[1].value) == ("constant", "z")
    assert [c.text for c in other[3].conditions] == ["not (a == 1)"]
    assert (other[3].domain.low, other[3].domain.integer, other[3].domain.arguments) == (0, True, {"scale": 100, "loc": 0})


def test_the_readme_embedding_example_runs():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Embedding the parser"):]
    code = section[section.index("```python") + len("```python"):]
    code = code[:code.index("```")]
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["line", "name", "domain", "default", "active", "when"]
    assert any(line.split()[:2] == ["12:5", "degree"] and 'kernel == "poly"' in line for line in lines)
    assert any("where" in line and 'kernel != "poly" or C <= 100' in line for line in lines)


# ----------------------------------------------------------------- the command line


def test_cli_converts_refuses_with_every_statement_and_lossy_lists_what_was_dropped(tmp_path, capsys):
    from spacedsl.cli import main
    path = tmp_path / "s.space"
    path.write_text(SPACE.replace("z ~ normal(0, 1)", "z ~ expon(1)"))
    assert main(["convert", str(path), "--to", "configspace"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:1: where x * y <= 2" in err and f"{path}:5:5: z ~ expon(1)" in err
    assert f"{path}:6:5: where z > 0" in err and "--lossy" in err
    out = tmp_path / "s.json"
    assert main(["convert", str(path), "--to", "configspace", "--lossy", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "dropped 3 statements" in captured.err and f"{path}:5:5" in captured.err
    assert json.loads(out.read_text())["hyperparameters"]
    assert main(["convert", "--from", "configspace", str(out)]) == 0
    assert spacedsl.parse(capsys.readouterr().out).names == ("x", "y")
    assert main(["convert", str(EXAMPLES / "svm.space"), "--to", "sklearn", "--option", "resolution=2"]) == 0
    grid = json.loads(capsys.readouterr().out)
    from sklearn.model_selection import ParameterGrid
    assert len(list(ParameterGrid(grid))) == len(list(spacedsl.load(EXAMPLES / "svm.space").grid(2)))
    assert main(["convert", str(path), "--to", "nope"]) == 2
    assert "unknown format 'nope'" in capsys.readouterr().err


def test_the_readme_format_snippets_run():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Formats\n"):readme.index("## Embedding the parser")]
    blocks = [b.split("```")[0] for b in section.split("```python\n")[1:]]
    runnable = [b for b in blocks if '"FORMAT"' not in b]
    assert len(runnable) >= 2
    for code in runnable:
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=100)
        assert out.returncode == 0, code + out.stderr


def test_builtin_formats_are_listed_and_each_native_object_finds_its_format():
    rows = {(kind, name): prov for kind, name, prov in plugins.listing()}
    for name in ("sklearn", "configspace"):
        assert rows[("format", name)].package == "spacedsl"
    space = spacedsl.parse('k in ["a", "b"]\nx ~ uniform(0, 1)')
    natives = {"sklearn": spacedsl.convert(space, "sklearn", kind="distributions"),
               "configspace": spacedsl.convert(space, "configspace")}
    for name in ("hyperopt", "optuna", "wandb"):
        if name in plugins.formats():
            try:
                natives[name] = spacedsl.convert(space, name)
            except ImportError:
                pass
    for name, native in natives.items():
        assert spacedsl.formats.format_of(native) == name
        assert spacedsl.convert(native, "spacedsl").names == ("k", "x")
