"""Formats: the hook, `spacedsl.convert`, refusals that list every statement, lossy conversions."""

import pytest

import spacedsl
from spacedsl import hookimpl, plugins
from spacedsl.formats import ConversionError, LossyConversion, Losses, MissingExtraError, require

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
            if isinstance(s, spacedsl.language.ast.Where):
                losses.add(s, "this format has no constraints")
            elif isinstance(s, spacedsl.language.ast.Param):
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
        if isinstance(s, spacedsl.language.ast.If):
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
