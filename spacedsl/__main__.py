"""``python -m spacedsl``: the same program as the ``spacedsl`` command."""

from spacedsl.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
