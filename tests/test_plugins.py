"""The plugin framework: entry points, run-time registration, clashes, broken plugins, listing."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import spacedsl
from spacedsl import hookimpl, plugins

EXT = Path(__file__).parent / "ext_package"


def pip_install(source, target):
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "--target", str(target), str(source)],
                   check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A directory with two real third-party packages installed into it: a good one and a broken one."""
    root = tmp_path_factory.mktemp("ext")
    broken = root / "broken"
    (broken / "spacedsl_ext_broken").mkdir(parents=True)
    (broken / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "spacedsl-ext-broken"
        version = "0.0.1"
        [project.entry-points.spacedsl]
        ext_broken = "spacedsl_ext_broken"
        [tool.setuptools]
        packages = ["spacedsl_ext_broken"]
    """))
    (broken / "spacedsl_ext_broken" / "__init__.py").write_text("import a_module_that_does_not_exist\n")
    target = root / "site"
    pip_install(EXT, target)
    pip_install(broken, target)
    return target


@pytest.fixture
def external(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    plugins.reset()
    try:
        yield site
    finally:
        for name in list(sys.modules):
            if name.startswith("spacedsl_ext_"):
                del sys.modules[name]
        plugins.reset()


def test_builtins_come_through_our_own_entry_points():
    rows = {(kind, name): prov for kind, name, prov in plugins.listing()}
    for name in ("grid", "random", "sobol"):
        assert rows[("strategy", name)].package == "spacedsl"
    assert ("distribution", "uniform") in rows and ("distribution", "scipy.NAME") in rows


def test_external_package_adds_a_strategy_and_a_distribution(external):
    with pytest.warns(RuntimeWarning, match="ext_broken.*spacedsl-ext-broken.*a_module_that_does_not_exist"):
        names = plugins.strategies()
    assert {"coordinate", "random", "sobol", "grid"} <= set(names)  # the broken plugin breaks nothing else
    rows = {(kind, name): prov for kind, name, prov in plugins.listing()}
    assert rows[("strategy", "coordinate")].package == "spacedsl-ext-demo"
    assert rows[("strategy", "coordinate")].version == "1.2.3"
    # the distribution, by name, from a .space file, with the built-ins' argument checks
    space = spacedsl.parse("x ~ triangular(0, 2, 10)\ny: int ~ triangular(low=1, mode=1, high=4)")
    xs = [c["x"] for c in space.sample(500, seed=0)]
    assert 0 <= min(xs) and max(xs) <= 10 and 2.5 < sum(xs) / len(xs) < 5.5
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.parse("x in [1]\nz ~ triangular(0, 2, 10, 11)", filename="e.space")
    assert str(info.value).startswith("e.space:2:26: triangular takes at most 3 arguments")
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.parse("z ~ triangular(0, mod=2, high=10)")
    assert "did you mean 'mode'?" in str(info.value)
    with pytest.raises(spacedsl.DSLError) as info:
        spacedsl.parse("z ~ triangular(5, 2, 1)", filename="e.space")
    assert str(info.value).startswith("e.space:1:5: triangular(...) failed: ValueError: triangular needs")
    # the strategy, by name, from minimize
    result = spacedsl.minimize(lambda c: (c["x"] - 5) ** 2, "x ~ triangular(0, 2, 10)", strategy="coordinate",
                               n_trials=6, seed=0)
    import scipy.stats
    assert len(result.trials) == 6
    assert result.trials[0].params["x"] == pytest.approx(scipy.stats.triang(0.2, 0, 10).ppf(0.6))


def test_environment_variable_limits_external_plugins(external, monkeypatch):
    monkeypatch.setenv("SPACEDSL_LOAD_PLUGINS", "")
    assert "coordinate" not in plugins.strategies() and "random" in plugins.strategies()
    plugins.reset()
    monkeypatch.setenv("SPACEDSL_LOAD_PLUGINS", "spacedsl-ext-demo")
    assert "coordinate" in plugins.strategies()  # the broken one was not even imported


def test_cli_lists_plugins_with_their_package(external, capsys):
    from spacedsl.cli import main
    with pytest.warns(RuntimeWarning):
        assert main(["plugins", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"kind": "strategy", "name": "coordinate", "package": "spacedsl-ext-demo", "version": "1.2.3"} in rows
    assert {"kind": "format", "name": "ext-json", "package": "spacedsl-ext-demo", "version": "1.2.3"} in rows


class Clash:
    @hookimpl
    def spacedsl_strategies(self):
        return {"random": object}


class DistClash:
    @hookimpl
    def spacedsl_distributions(self):
        return {"uniform": object}


def test_two_plugins_offering_one_name_is_an_error_naming_both():
    clash = Clash()
    plugins.register(clash, name="clashing_plugin")
    try:
        with pytest.raises(spacedsl.PluginError, match=r"'random'.*random \(from spacedsl\).*clashing_plugin"):
            plugins.strategies()
    finally:
        plugins.unregister(clash)
    assert "random" in plugins.strategies()


def test_a_plugin_distribution_cannot_shadow_a_builtin():
    clash = DistClash()
    plugins.register(clash, name="dist_clash")
    try:
        with pytest.raises(spacedsl.PluginError, match="'uniform', which is built in"):
            spacedsl.parse("x ~ uniform(0, 1)")
    finally:
        plugins.unregister(clash)


def test_unknown_strategy_suggests_the_nearest():
    with pytest.raises(spacedsl.PluginError, match="unknown strategy 'sobl'; did you mean 'sobol'"):
        spacedsl.minimize(lambda c: 0.0, "x in [1]", strategy="sobl")


def test_every_hook_is_documented():
    from spacedsl import hookspecs
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for name in ("spacedsl_strategies", "spacedsl_evaluators", "spacedsl_distributions", "spacedsl_formats"):
        assert getattr(hookspecs, name).__doc__
        assert name in readme


def test_external_package_adds_a_format(external):
    with pytest.warns(RuntimeWarning):
        assert "ext-json" in plugins.formats()
    space = spacedsl.parse("x ~ uniform(0, 1)\nif x > 0.5 { y in [1, 2] }")
    native = spacedsl.convert(space, "ext-json")
    assert native["spacedsl"] == 1
    assert spacedsl.convert(native, "spacedsl") == space  # found by the format's knows()
    assert spacedsl.convert('{"spacedsl": 1, "statements": []}', "spacedsl", source="ext-json").names == ()
