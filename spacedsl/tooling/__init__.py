"""Tools for .space files in repositories: lint, semantic diff, highlighting, a language server."""
