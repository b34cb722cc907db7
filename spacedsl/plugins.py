"""The plugin manager: every strategy, evaluator, distribution and format comes through here.

Built-ins are ordinary plugins: modules of ``spacedsl_plugins`` declared as
entry points of our own distribution in the ``spacedsl`` group, loaded exactly
like a third-party package's. ``SPACEDSL_LOAD_PLUGINS`` limits which external
plugins load: unset loads all; a comma-separated list of entry-point or
distribution names loads only those; an empty value loads none. Our own
built-ins always load.

A plugin that fails to import gets a warning naming it, and everything else
still works. Two plugins offering the same name are an error naming both.

A name ending in ``:`` is a *family* (``"optuna:"``): its value is called with
the rest of a name ``prefix:rest`` and returns that member's factory, or raises
`PluginError` (so ``optuna:TPESampler`` needs no entry of its own).
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
import warnings

import attrs
import pluggy

from . import hookspecs

GROUP = "spacedsl"
OWN_DISTRIBUTION = "spacedsl"
KINDS = ("strategies", "evaluators", "distributions", "formats")
_SINGULAR = {"strategies": "strategy", "evaluators": "evaluator", "distributions": "distribution",
             "formats": "format"}


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


def get_plugin_manager():
    """The process-wide plugin manager, built on first use."""
    global _manager
    with _lock:
        if _manager is None:
            pm = pluggy.PluginManager(GROUP)
            pm.add_hookspecs(hookspecs)
            for ep in importlib.metadata.entry_points(group=GROUP):
                dist = ep.dist.name if ep.dist is not None else "?"
                version = ep.dist.version if ep.dist is not None else ""
                if not _allowed(ep, dist) or pm.has_plugin(ep.name):
                    continue
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


def _collect(kind):
    """{name: (factory, Provider)} for one kind, refusing duplicates."""
    pm = get_plugin_manager()
    hook = getattr(pm.hook, f"spacedsl_{kind}")
    found = {}
    for impl in hook.get_hookimpls():
        offered = impl.function() or {}
        provider = _providers.get(id(impl.plugin), Provider(impl.plugin_name, "?"))
        for name, factory in offered.items():
            if name in found:
                other = found[name][1]
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
    """Distributions added by plugins: ``{name: factory}``."""
    return {name: f for name, (f, _) in _collect("distributions").items()}


def formats():
    """Every registered conversion format: ``{name: format}``."""
    return {name: f for name, (f, _) in _collect("formats").items()}


def listing():
    """``[(kind, name, Provider)]`` for every registered name, built-in distributions included."""
    import scipy

    from .space.distributions import BUILTINS
    rows = [("distribution", name, Provider("builtin", OWN_DISTRIBUTION, _own_version())) for name in BUILTINS]
    rows.append(("distribution", "scipy.NAME", Provider("scipy.stats", "scipy", scipy.__version__)))
    for kind in KINDS:
        rows += [(_SINGULAR[kind], name, provider) for name, (_, provider) in _collect(kind).items()]
    return sorted(rows, key=lambda r: (r[0], r[1]))


def _own_version():
    try:
        return importlib.metadata.version(OWN_DISTRIBUTION)
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
    from .language.errors import did_you_mean
    known = ", ".join(sorted(table)) or "none (is spacedsl installed? its built-ins are entry points)"
    raise PluginError(f"unknown {kind} {name!r}{did_you_mean(name, table)}; known: {known}")
