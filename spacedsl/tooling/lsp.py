"""``spacedsl lsp``: a language server for ``.space`` files on stdin/stdout (extra ``[lsp]``: pygls).

The server is `spacedsl.tooling.server`; this module is only the subcommand, so the rest of the
command line never imports pygls.
"""

from __future__ import annotations

import sys

MISSING_EXTRA = "spacedsl lsp needs pygls: pip install 'spacedsl[lsp]'"


def add_parser(subparsers):
    p = subparsers.add_parser(
        "lsp", help="run the language server (for editors) on stdin/stdout",
        description="Run a Language Server Protocol server for .space files on stdin/stdout: "
                    "diagnostics (check, then lint), formatting, hover, completion, go-to-definition "
                    "and references. Needs the lsp extra: pip install 'spacedsl[lsp]'.")
    p.add_argument("--stdio", action="store_true", help="accepted for editors that pass it (stdio is the default)")
    p.set_defaults(func=cmd_lsp)


def cmd_lsp(args):
    try:  # the optional extra, imported only when the server runs
        from spacedsl.tooling.server import build_server
    except ImportError as exc:
        if exc.name is None or exc.name.split(".")[0] not in ("pygls", "lsprotocol", "cattrs"):
            raise
        print(f"spacedsl: error: {MISSING_EXTRA} (cannot import {exc.name})", file=sys.stderr)
        return 2
    build_server().start_io()
    return 0
