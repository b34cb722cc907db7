"""The space: semantic checks, distributions, the condition interpreter, the vectorised engine,
the grid and `Space`. Imports only the language below it (and the plugin registry for
distributions).
"""

from .space import Space, as_space, format_text, load, parse

__all__ = ["Space", "as_space", "format_text", "load", "parse"]
