"""The storage seam: what the trial loop and the commands need of a store, and how one is opened.

A second backend is one module: a class with the methods of `Storage` (the SQLite `Store` is
the one built in), passed to ``minimize``/``search`` as ``storage=`` or returned by
`open_storage` for a path it knows.
"""

from __future__ import annotations

import contextlib
import os
from typing import Protocol, runtime_checkable

from .sqlite import Store
from .trials import Trial

METHODS = ("studies", "create_or_load_study", "start_trial", "finish_trial", "trials", "trials_with_info", "close")


@runtime_checkable
class Storage(Protocol):
    """Studies and their trials, kept across runs and processes.

    ``create_or_load_study`` refuses (with `StoreError`) a study made with another space, strategy
    or direction unless ``new_study``, and marks the trials of dead processes interrupted; a trial
    is written when it starts (``start_trial`` allocates its number) and when it ends.
    """

    def studies(self) -> list[dict]:
        """``[{name, space, space_sha256, strategy, created, n_trials, direction}]``."""

    def create_or_load_study(self, name: str, space, strategy: str, new_study: bool = False,
                             direction: str = "minimize") -> str:
        """Create the study or check that it matches; returns ``name``."""

    def start_trial(self, study: str, params: dict, seed=None, budget=None, unique=False) -> int | str:
        """Record a running trial; its number, or `FULL` / `TAKEN` (see `Store.start_trial`)."""

    def finish_trial(self, study: str, number: int, value, state: str, error=None, duration=None,
                     info=None) -> None:
        """Record how a trial ended."""

    def trials(self, study: str, states=None) -> list[Trial]:
        """The study's trials by number."""

    def trials_with_info(self, study: str) -> list[tuple[Trial, dict | None]]:
        """The study's trials with the ``info`` each was finished with."""

    def close(self) -> None:
        """Release the store (stop heartbeats, close connections)."""


@contextlib.contextmanager
def open_storage(storage, readonly=False):
    """The store behind ``storage`` for the length of a ``with`` block.

    None gives None (nothing kept); a path (str or os.PathLike) opens a SQLite `Store` there and
    closes it afterwards; a `Storage` object is used as it is and left open (it is the caller's).
    """
    if storage is None:
        yield None
    elif isinstance(storage, str | os.PathLike):
        with Store(storage, readonly=readonly) as store:
            yield store
    elif all(callable(getattr(storage, name, None)) for name in METHODS):
        yield storage
    else:
        missing = [name for name in METHODS if not callable(getattr(storage, name, None))]
        raise TypeError(f"storage must be None, a path or a Storage (with {', '.join(METHODS)}); "
                        f"got {type(storage).__name__}, which has no {', '.join(missing)}")


def open_study(store, name, space, strategy, *, new_study=False, maximize=False):
    """Create or check the study ``name`` (see `Storage.create_or_load_study`) and return the trials
    it already holds: the one study check, shared by ``minimize``, ``search`` and ``spacedsl tune``."""
    store.create_or_load_study(name, space, strategy, new_study=new_study,
                               direction="maximize" if maximize else "minimize")
    return store.trials(name)
