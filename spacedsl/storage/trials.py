"""Trial records: what was tried, what it gave, and how long it took."""

from __future__ import annotations

import json
import math

import attrs

COMPLETE, FAILED, RUNNING, PRUNED = "complete", "failed", "running", "pruned"
FULL = "full"  # start_trial with a budget: the study holds that many finished and running trials
TAKEN = "taken"  # start_trial with unique=True: the configuration is running or complete already
INTERRUPTED = "interrupted"  # the error of a trial stopped by Ctrl-C or a dead process; resumes offer it again


def error_text(exc):
    """How a failure is recorded in a trial's ``error``: ``"ValueError: the message"``."""
    return f"{type(exc).__name__}: {exc}"


@attrs.frozen
class Trial:
    """One evaluated configuration.

    Attributes:
        number: 0-based position in the search.
        params: What the function or estimator received: active parameters and constants.
        value: The loss (``minimize``) or mean validation score (``search``); None if it failed.
        state: ``"complete"``, ``"failed"`` or ``"pruned"`` (stopped early: its ``value`` is the
            last one it reported); in a store also ``"running"``.
        error: The error message of a failed trial, else None.
        duration: Seconds spent evaluating it.
        step: The last step it reported (``report(step, value)``), else None.
        max_step: Where the strategy asked it to stop (a budgeted strategy's rung), else None.
        reports: Its ``report(step, value)`` calls, ``((step, value), ...)`` in order (not compared).
    """

    number: int
    params: dict = attrs.field(hash=False)
    value: float | None
    state: str
    error: str | None = None
    duration: float = 0.0
    step: float | None = None
    max_step: float | None = None
    reports: tuple = attrs.field(default=(), converter=tuple, eq=False, repr=False)

    @property
    def interrupted(self):
        """Cut short (Ctrl-C, a dead process or worker): it has no result, and a resumed search
        runs its configuration again."""
        return self.error == INTERRUPTED

    @property
    def finished(self):
        """Complete, pruned, or failed on its own account (not interrupted): what a trial budget counts."""
        return self.state in (COMPLETE, FAILED, PRUNED) and not self.interrupted


def reports_of(info):
    """The ``((step, value), ...)`` a trial's info keeps (``info["reports"]``, a dict or its JSON text);
    () if none or odd."""
    try:
        info = json.loads(info) if isinstance(info, str) else info
    except ValueError:
        return ()
    reports = info.get("reports") if isinstance(info, dict) else None
    if not isinstance(reports, list | tuple):
        return ()
    out = []
    for pair in reports:
        if (isinstance(pair, list | tuple) and len(pair) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in pair)):
            out.append((float(pair[0]), float(pair[1])))
    return tuple(out)


def best_candidates(trials):
    """The trials the best is chosen from: the complete ones; when none completed (every trial
    stopped early), the pruned ones that got furthest (their values are comparable)."""
    complete = [t for t in trials if t.state == COMPLETE]
    if complete:
        return complete
    pruned = [t for t in trials if t.state == PRUNED and t.value is not None and math.isfinite(t.value)]
    furthest = max((t.step or 0.0 for t in pruned), default=None)
    return [t for t in pruned if (t.step or 0.0) == furthest]
