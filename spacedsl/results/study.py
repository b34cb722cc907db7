"""What the results tools read: a study's trials and what is known about them, from a result or a store.

`load` takes any of:

* a `spacedsl.SearchResult` (values are scores: ``maximize``; it knows its test score) or a
  `spacedsl.MinimizeResult` (values are losses: ``minimize``), or any object with ``trials``;
* a store path (``str`` or ``os.PathLike``), opened read-only;
* a `spacedsl.Store` together with ``study``.

A store knows its study's space, strategy and direction and when each trial started and ended; a
result knows none of that (pass ``space=`` so that log scales, categories and conditions are
read from the space, not guessed from the values). Both keep each trial's intermediate reports
(``report(step, value)``: `Trial.reports`, `StudyData.reports`), which `spacedsl.plot.intermediate` draws.

Pruned trials (stopped early) keep their last reported value: `history` marks them and
`intermediate` draws how they got there, while importance, `slice`, `parallel` and `contour` use
complete trials only (a pruned trial's value is not comparable to a finished one's).
"""

from __future__ import annotations

import math
import os

import attrs

from ..language.errors import did_you_mean
from ..space import Space, as_space
from ..storage.sqlite import Store, left_over, row_trial
from ..storage.trials import COMPLETE, FAILED, INTERRUPTED, PRUNED, RUNNING, best_candidates

STATES = (COMPLETE, PRUNED, FAILED, INTERRUPTED, RUNNING)  # the order counts and legends use


def state_of(trial):
    """A trial's state as people read it: a failed trial cut short by Ctrl-C or a dead process
    is ``interrupted``."""
    return INTERRUPTED if trial.state == FAILED and trial.error == INTERRUPTED else trial.state


@attrs.frozen
class StudyData:
    """A study as the plots, `spacedsl.importance` and the report see it.

    Attributes:
        name: The study's name (a result's is ``"result"``).
        trials: The `Trial` records, by number.
        direction: ``"minimize"`` (losses) or ``"maximize"`` (scores).
        space: The `Space`, or None when it is not known.
        strategy: The strategy's name, or None.
        test_score: The best configuration's score on the held-out test set, or None.
        started: Per trial, when it started (seconds since the epoch), or None.
        finished: Per trial, when it ended, or None.
        elapsed: Wall-clock seconds of the study, or None.
        source: What it was read from (a path, or the result's type name).
        reports: Per trial (in the order of ``trials``), its intermediate reports as
            ``((step, value), ...)``; empty when it reported nothing or they are not known.
    """

    name: str
    trials: tuple = attrs.field(converter=tuple)
    direction: str = "minimize"
    space: Space | None = None
    strategy: str | None = None
    test_score: float | None = None
    started: tuple = attrs.field(default=(), converter=tuple)
    finished: tuple = attrs.field(default=(), converter=tuple)
    elapsed: float | None = None
    source: str = ""
    reports: tuple = attrs.field(default=(), converter=tuple)

    @property
    def maximize(self):
        return self.direction == "maximize"

    def complete(self):
        """The complete trials that have a finite value."""
        return [t for t in self.trials if t.state == COMPLETE and t.value is not None and math.isfinite(t.value)]

    def best_trial(self):
        """The complete trial with the best value (the first of equals); when none completed, the
        best of the pruned trials that got furthest (as `search` picks it); or None."""
        done = self.complete() or best_candidates([t for t in self.trials if t.value is not None
                                                   and math.isfinite(t.value)])
        if not done:
            return None
        return (max if self.maximize else min)(done, key=lambda t: t.value)

    def counts(self):
        """``{state: number of trials}`` for every state in `STATES`, and any other state seen."""
        counts = dict.fromkeys(STATES, 0)
        for trial in self.trials:
            state = state_of(trial)
            counts[state] = counts.get(state, 0) + 1
        return counts

    def param_names(self):
        """The space's parameter names in file order, else every name the trials have, in order of
        first appearance (constants included)."""
        if self.space is not None:
            return tuple(self.space.names)
        seen = {}
        for trial in self.trials:
            seen.update(dict.fromkeys(trial.params))
        return tuple(seen)


def load(source, study=None, space=None):
    """A `StudyData` from a result, a store path, or a `Store` and ``study`` (see the module doc).

    ``space`` (a `Space` or space text) overrides what the source knows about the space.
    Raises ValueError for a missing or unknown study, TypeError for anything else.
    """
    if isinstance(source, StudyData):
        data = source
    elif isinstance(source, Store):
        data = _from_store(source, study, source.path)
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise ValueError(f"cannot read {path}: " + ("it is a directory" if os.path.isdir(path)
                                                         else "no such file"))
        with Store(path, readonly=True) as store:
            data = _from_store(store, study, path)
    elif hasattr(source, "trials"):
        data = _from_result(source)
    else:
        raise TypeError("expected a SearchResult or MinimizeResult, a store path, or a Store and a study; "
                        f"got {type(source).__name__}")
    if space is not None:
        data = attrs.evolve(data, space=as_space(space))
    return data


def _from_result(result):
    kind = type(result).__name__
    direction = getattr(result, "direction", None)
    if direction is None:
        direction = "maximize" if hasattr(result, "best_score") else "minimize"
    elapsed = getattr(result, "elapsed", None)
    return StudyData(name="result", trials=result.trials, direction=direction,
                     test_score=getattr(result, "test_score", None),
                     elapsed=elapsed or sum(t.duration or 0.0 for t in result.trials), source=kind,
                     reports=[t.reports for t in result.trials])


def _from_store(store, study, path):
    studies = store.studies()
    names = [s["name"] for s in studies]
    if study is None:
        if len(names) != 1:
            raise ValueError(f"{path} holds no studies" if not names else
                             f"{path} holds {len(names)} studies ({', '.join(names[:20])}); pass study=NAME")
        study = names[0]
    if study not in names:
        known = f"its studies: {', '.join(names[:20])}" if names else "it holds no studies"
        raise ValueError(f"no study {study!r} in {path} ({known}){did_you_mean(study, names)}")
    row = studies[names.index(study)]
    rows = store.trial_rows(study)
    for r in rows:
        if left_over(r):  # running in a process that is gone: as opening the study will record it
            r.update(state=FAILED, error=INTERRUPTED)
    trials = [row_trial(r) for r in rows]
    started = [r.get("started") for r in rows]
    finished = [r.get("finished") for r in rows]
    times = [t for t in started + finished if t is not None]
    try:
        space = as_space(row["space"])
    except ValueError:  # a space a plugin no longer installed defined: go on without it
        space = None
    return StudyData(name=study, trials=trials, direction=row.get("direction") or "minimize", space=space,
                     strategy=row["strategy"], started=started, finished=finished,
                     elapsed=(max(times) - min(times)) if times else None, source=os.fspath(path),
                     reports=[t.reports for t in trials])
