"""The plugin manager: every strategy, evaluator, distribution and format comes through here.

Built-ins are ordinary plugins, registered by import from `DEFAULT_PLUGINS` (as
llm and pytest do), so a source checkout has them too; they are also declared as
entry points of our own distribution in the ``spacedsl`` group (the path a
third-party package takes), and those entries are skipped, not registered twice.
``SPACEDSL_LOAD_PLUGINS`` limits which external plugins load: unset loads all; a
comma-separated list of entry-point or distribution names loads only those; an
empty value loads none. Our own built-ins always load.

A plugin that fails to import gets a warning naming it, and everything else
still works. Two plugins offering the same name are an error naming both.

This module imports only the language's errors: every layer may use it.

A name ending in ``:`` is a *family* (``"optuna:"``): its value is called with
the rest of a name ``prefix:rest`` and returns that member's factory, or raises
`PluginError` (so ``optuna:TPESampler`` needs no entry of its own).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import pathlib
import sys
import threading
import warnings

import attrs
import pluggy

from . import hookspecs
from .language.errors import did_you_mean

GROUP = "spacedsl"
OWN_DISTRIBUTION = "spacedsl"
KINDS = ("strategies", "evaluators", "distributions", "formats")
_SINGULAR = {"strategies": "strategy", "evaluators": "evaluator", "distributions": "distribution",
             "formats": "format"}
BUILTIN = "builtin"  # the plugin of the built-in distributions
# (name, module) of every built-in; the names are our entry points' (pyproject.toml).
DEFAULT_PLUGINS = (
    (BUILTIN, "spacedsl.space.distributions"),
    ("grid", "spacedsl_plugins.grid"),
    ("random", "spacedsl_plugins.random_search"),
    ("sobol", "spacedsl_plugins.sobol"),
    ("gp-ei", "spacedsl_plugins.gp_ei"),
    ("halving", "spacedsl_plugins.halving"),
    ("holdout", "spacedsl_plugins.holdout"),
    ("kfold", "spacedsl_plugins.kfold"),
    ("optuna", "spacedsl_plugins.optuna"),
    ("hyperopt", "spacedsl_plugins.hyperopt"),
    ("wandb", "spacedsl_plugins.wandb"),
    ("configspace", "spacedsl_plugins.format_configspace"),
    ("sklearn", "spacedsl_plugins.format_sklearn"),
)
PLUGINS_PACKAGE = "spacedsl_plugins"


class PluginError(RuntimeError):
    """Plugins disagree (two offer the same name) or a name is unknown."""


@attrs.frozen
class Provider:
    """Where a registered plugin came from.

    Attributes:
        plugin: The plugin's registered name.
        package: The distribution that provides it (or "(registered at run time)").
        version: That distribution's version, or "".
    """

    plugin: str
    package: str
    version: str = ""


_lock = threading.Lock()
_manager = None
_providers = {}  # plugin object id -> Provider


def _allowed(ep, dist):
    wanted = os.environ.get("SPACEDSL_LOAD_PLUGINS")
    if dist == OWN_DISTRIBUTION or wanted is None:
        return True
    names = {w.strip() for w in wanted.split(",") if w.strip()}
    return ep.name in names or dist in names


def _import_builtin(module_name):
    """Import a built-in plugin module; in a source checkout (nothing installed) ``spacedsl_plugins``
    is the ``plugins/`` folder beside ``spacedsl/``, as the grammar is ``grammars/``."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        folder = pathlib.Path(__file__).resolve().parents[1] / "plugins"
        if exc.name != PLUGINS_PACKAGE or not (folder / "__init__.py").is_file():
            raise
    spec = importlib.util.spec_from_file_location(PLUGINS_PACKAGE, folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PLUGINS_PACKAGE] = package
    spec.loader.exec_module(package)
    return importlib.import_module(module_name)


def get_plugin_manager():
    """The process-wide plugin manager, built on first use."""
    global _manager
    with _lock:
        if _manager is None:
            pm = pluggy.PluginManager(GROUP)
            pm.add_hookspecs(hookspecs)
            version = _own_version()
            for name, module_name in DEFAULT_PLUGINS:
                module = _import_builtin(module_name)
                pm.register(module, name=name)
                _providers[id(module)] = Provider(name, OWN_DISTRIBUTION, version)
            builtin_modules = {module for _, module in DEFAULT_PLUGINS}
            for ep in importlib.metadata.entry_points(group=GROUP):
                dist = ep.dist.name if ep.dist is not None else "?"
                version = ep.dist.version if ep.dist is not None else ""
                if ep.value in builtin_modules or not _allowed(ep, dist) or pm.has_plugin(ep.name):
                    continue  # a built-in (registered above), not allowed, or a name already taken
                try:
                    module = ep.load()
                    pm.register(module, name=ep.name)
                except Exception as exc:  # a broken plugin must not break the others
                    warnings.warn(f"spacedsl plugin {ep.name!r} from {dist} could not be loaded and is skipped: "
                                  f"{type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=2)
                    continue
                _providers[id(module)] = Provider(ep.name, dist, version)
            _manager = pm
        return _manager


def reset():
    """Forget the manager, so the next use loads entry points again (tests; after installing a plugin)."""
    global _manager
    with _lock:
        _manager = None
        _providers.clear()


def register(plugin, name=None):
    """Register a plugin object or module at run time (tests, notebooks); returns its name."""
    pm = get_plugin_manager()
    name = pm.register(plugin, name=name)
    _providers[id(plugin)] = Provider(name, "(registered at run time)")
    return name


def unregister(plugin):
    get_plugin_manager().unregister(plugin)
    _providers.pop(id(plugin), None)


def _collect(kind, clash=None):
    """{name: (factory, Provider)} for one kind, refusing duplicates (``clash(kind, name, first,
    second)`` may word the error)."""
    pm = get_plugin_manager()
    hook = getattr(pm.hook, f"spacedsl_{kind}")
    found = {}
    for impl in hook.get_hookimpls():
        offered = impl.function() or {}
        provider = _providers.get(id(impl.plugin), Provider(impl.plugin_name, "?"))
        for name, factory in offered.items():
            if name in found:
                other = found[name][1]
                message = clash and clash(kind, name, other, provider)
                if message:
                    raise PluginError(message)
                raise PluginError(f"two plugins offer the {_SINGULAR[kind]} "
                                  f"{name!r}: {other.plugin} (from {other.package}) and {provider.plugin} "
                                  f"(from {provider.package}); uninstall one, or limit plugins with "
                                  "SPACEDSL_LOAD_PLUGINS")
            found[name] = (factory, provider)
    return found


def strategies():
    """Every registered strategy: ``{name: factory}``."""
    return {name: f for name, (f, _) in _collect("strategies").items()}


def evaluators():
    """Every registered evaluator: ``{name: factory}``."""
    return {name: f for name, (f, _) in _collect("evaluators").items()}


def distributions():
    """Every distribution name the language knows: ``{name: factory}``, built-ins and plugins'
    (``scipy.NAME`` is resolved apart, by `spacedsl.space.distributions.resolve`)."""
    found = _collect("distributions", clash=_builtin_clash)
    for name, (_, provider) in found.items():
        if name.split(".")[0] == "scipy":
            raise PluginError(f"plugin {provider.plugin} (from {provider.package}) offers the distribution "
                              f"{name!r}, but scipy.NAME is scipy.stats's; rename it")
    return {name: f for name, (f, _) in found.items()}


def _builtin_clash(kind, name, first, second):
    if kind == "distributions" and BUILTIN in (first.plugin, second.plugin):
        plugin = second if first.plugin == BUILTIN else first
        return (f"plugin {plugin.plugin} (from {plugin.package}) offers the distribution {name!r}, "
                "which is built in; rename it")
    return None


def formats():
    """Every registered conversion format: ``{name: format}``."""
    return {name: f for name, (f, _) in _collect("formats").items()}


def listing():
    """``[(kind, name, Provider)]`` for every registered name, built-in distributions included."""
    rows = [("distribution", "scipy.NAME", Provider("scipy.stats", "scipy", _version("scipy")))]
    for kind in KINDS:
        rows += [(_SINGULAR[kind], name + "NAME" if name.endswith(":") else name, provider)  # a family: optuna:NAME
                 for name, (_, provider) in _collect(kind).items()]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def _own_version():
    return _version(OWN_DISTRIBUTION)


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def strategy(name):
    """The factory of a strategy, or a `PluginError` listing the known ones."""
    return _lookup("strategy", name, strategies())


def evaluator(name):
    """The factory of an evaluator, or a `PluginError` listing the known ones."""
    return _lookup("evaluator", name, evaluators())


def format(name):
    """A registered format, or a `PluginError` listing the known ones."""
    return _lookup("format", name, formats())


def _lookup(kind, name, table):
    if name in table:
        return table[name]
    prefix, colon, rest = name.partition(":")
    if colon and prefix + colon in table:
        return table[prefix + colon](rest)
    known = ", ".join(sorted(table)) or "none (is spacedsl installed? its built-ins are entry points)"
    raise PluginError(f"unknown {kind} {name!r}{did_you_mean(name, table)}; known: {known}")
