"""Load a neighbouring file's module once: tests/ is not a package, so test files share strategies
(the fuzz and round-trip generators) and the benchmark generator through this."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def sibling(relative):
    """The module of ``ROOT / relative`` (e.g. ``"tests/test_fuzz.py"``): the one pytest already
    imported under its stem, else one loaded once under a private name."""
    path = ROOT / relative
    stem = path.stem
    module = sys.modules.get(stem)
    if module is not None and getattr(module, "__file__", None) and pathlib.Path(module.__file__).resolve() == path:
        return module
    name = f"_spacedsl_{stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
