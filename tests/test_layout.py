"""The layout's rules, read from the source (every module's AST): imports only go downward, no
import cycle, no import inside a function between our own modules, no `_private` name of one
module used by another, and the README's layout and public names match the package."""

from __future__ import annotations

import ast
import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
OURS = ("spacedsl", "spacedsl_plugins")

# Each layer may import its own and the layers before it (README "Layout").
LAYERS = (
    ("spacedsl.language",),
    ("spacedsl.hookspecs", "spacedsl.plugins"),
    ("spacedsl.space",),
    ("spacedsl.strategies", "spacedsl.evaluators", "spacedsl.storage", "spacedsl.strategy", "spacedsl.formats"),
    ("spacedsl._gp",),
    ("spacedsl.running",),
    ("spacedsl.integrations", "spacedsl.results"),
    ("spacedsl",),  # the package's __init__: the public API
    ("spacedsl_plugins",),
    ("spacedsl.cli", "spacedsl.__main__", "spacedsl.tooling"),
)
# A module that imports one of these at its top may be imported inside a function, so that an
# optional extra stays optional and `import spacedsl` / `spacedsl check` stay fast (e.g.
# `spacedsl.SpaceSearchCV` is loaded on first use: its module imports scikit-learn).
HEAVY_OR_OPTIONAL = {"sklearn", "scipy", "joblib", "dask", "distributed", "matplotlib", "optuna", "hyperopt",
                     "wandb", "pygls", "lsprotocol", "cattrs", "pygments", "yaml", "torch", "ConfigSpace"}


def _module_name(path):
    if path.is_relative_to(ROOT / "plugins"):
        parts = ["spacedsl_plugins", *path.relative_to(ROOT / "plugins").with_suffix("").parts]
    else:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in [*sorted((ROOT / "spacedsl").rglob("*.py")),
                                         *sorted((ROOT / "plugins").glob("*.py"))]}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), str(path)) for name, path in MODULES.items()}


def _is_package(name):
    return MODULES[name].name == "__init__.py"


def _ours(name):
    return name.split(".")[0] in OURS


def _targets(module, node):
    """The modules of ours an import statement names (a package's submodule when the name is one)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if _ours(a.name)]
    if node.level:
        base = module.split(".") if _is_package(module) else module.split(".")[:-1]
        base = base[:len(base) - node.level + 1]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    if not _ours(source):
        return []
    return [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]


def _imports():
    """``[(module, target, node, at_top)]`` for every import of one of our modules."""
    out = []
    for module, tree in TREES.items():
        top = set()
        for node in tree.body:  # module level, including `try:` / `if` blocks there
            for inner in ast.walk(node):
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    break
                top.add(id(inner))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out += [(module, target, node, id(node) in top) for target in _targets(module, node)]
    return out


IMPORTS = _imports()


def _heavy(module):
    """Whether a module of ours imports a heavy or optional library at its top."""
    for node in TREES[module].body:
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
        if any(n.split(".")[0] in HEAVY_OR_OPTIONAL for n in names):
            return True
    return False


def _layer(module):
    best = None
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (i, len(prefix))
    return best[0]


def test_every_module_has_a_layer():
    assert all(_layer(m) is not None for m in MODULES)


def test_no_import_inside_a_function_between_our_modules():
    inside = [f"{MODULES[m].relative_to(ROOT)}:{node.lineno}: imports {target}"
              for m, target, node, at_top in IMPORTS if not at_top and not (target in MODULES and _heavy(target))]
    assert inside == []


def test_imports_only_go_downward():
    upward = [f"{MODULES[m].relative_to(ROOT)}:{node.lineno}: {m} imports {target}"
              for m, target, node, _ in IMPORTS if _layer(target) > _layer(m)]
    assert upward == []


def test_no_import_cycle():
    graph = {m: set() for m in MODULES}
    for m, target, _, _ in IMPORTS:
        if target in MODULES and target != m:
            graph[m].add(target)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []


def _private_names(tree):
    """The ``_names`` a module defines: functions, classes, assignments and ``self._x`` attributes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_private_name_used_across_modules():
    defined = {m: _private_names(tree) for m, tree in TREES.items()}
    reach = []
    for m, tree in TREES.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if any(_ours(t) for t in _targets(m, node)):
                    reach += [f"{MODULES[m].relative_to(ROOT)}:{node.lineno}: imports {a.name}"
                              for a in node.names if a.name.startswith("_") and not a.name.startswith("__")
                              and a.name != "_gp"]
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and node.attr not in defined[m]):  # ours or a library's: another module's private
                reach.append(f"{MODULES[m].relative_to(ROOT)}:{node.lineno}: uses .{node.attr}")
    assert reach == []


def _readme():
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_layout_names_every_folder_of_the_package():
    section = _readme().split("## Layout", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^(spacedsl/[\w/]+/)", section, re.M))
    folders = {f"spacedsl/{p.parent.relative_to(ROOT / 'spacedsl')}/"
               for p in (ROOT / "spacedsl").glob("*/__init__.py")}
    assert named == folders
    for folder in folders:  # and every module in it
        for path in (ROOT / folder).glob("*.py"):
            if path.name != "__init__.py":
                assert path.name in section or path.stem in section, path


def test_every_public_name_the_readme_uses_imports():
    text = _readme()
    names = set(re.findall(r"""(?<![/\w."'])spacedsl\.([A-Za-z_][\w.]*\w)""", text))
    names |= {n.strip() for group in re.findall(r"from spacedsl import ([\w, ]+)", text) for n in group.split(",")}
    assert {"parse", "load", "dumps", "minimize", "search", "SpaceSearchCV", "hookimpl"} <= names
    for dotted in sorted(names):
        obj, parts = importlib.import_module("spacedsl"), dotted.split(".")
        for k, part in enumerate(parts):
            if not hasattr(obj, part):
                obj = importlib.import_module("spacedsl." + ".".join(parts[:k + 1]))
            else:
                obj = getattr(obj, part)
        assert obj is not None, dotted


@pytest.mark.parametrize("name", sorted(__import__("spacedsl").__all__))
def test_every_name_in_all_imports(name):
    import spacedsl
    assert getattr(spacedsl, name) is not None


def test_a_source_checkout_has_the_built_in_plugins():
    """With nothing installed (here: `spacedsl_plugins` made unimportable), the built-ins still
    register by import, from the checkout's plugins/ folder, each once."""
    import subprocess
    import sys

    code = """if True:
        import importlib.abc, sys
        class NotInstalled(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "spacedsl_plugins":
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        sys.meta_path.insert(0, NotInstalled())
        import spacedsl
        from spacedsl import plugins
        strategies, evaluators = sorted(plugins.strategies()), sorted(plugins.evaluators())
        import spacedsl_plugins  # loaded by the plugin manager, from plugins/
        print(spacedsl_plugins.__file__)
        print(strategies, evaluators)
        print(len(plugins.get_plugin_manager().get_plugins()) == len(set(map(id, plugins.get_plugin_manager().get_plugins()))))
        print(spacedsl.minimize(lambda c: c["x"], "x in 1..5", strategy="grid", n_trials=5).best_value)
    """
    import os
    env = dict(os.environ, PYTHONPATH=str(ROOT), SPACEDSL_LOAD_PLUGINS="")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout.splitlines()
    assert out[0] == str(ROOT / "plugins" / "__init__.py")
    assert out[1] == "['asha', 'gp-ei', 'grid', 'hyperband', 'optuna:', 'random', 'sha', 'sobol'] ['holdout', 'kfold']"
    assert out[2:] == ["True", "1.0"]


def test_default_plugins_match_our_entry_points():
    """Our built-ins are registered by import and still declared as entry points, under one name."""
    import tomllib

    from spacedsl import plugins
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["spacedsl"]
    assert {name: module for name, module in plugins.DEFAULT_PLUGINS if name != plugins.BUILTIN} == declared
    registered = plugins.get_plugin_manager().get_plugins()
    assert len(registered) == len({getattr(p, "__name__", id(p)) for p in registered})  # nothing twice
