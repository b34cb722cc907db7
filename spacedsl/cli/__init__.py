"""The ``spacedsl`` command: `app` (`main`, the parser and the language's subcommands), `tune`, `listing`
(``studies``/``trials``), and their helpers (`console`, `data`, `estimators`)."""

from .app import main

__all__ = ["main"]
