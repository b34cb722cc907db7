"""What every subcommand shares: the program's name, one-line errors, value text, the
progress line, and argparse value types."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

from ..language.ast import Ref

PROG = "spacedsl"


class InputError(Exception):
    """Bad input: printed as one line on stderr, exit status 2."""


def error(message):
    """``spacedsl: error: message`` on stderr."""
    print(f"{PROG}: error: {message}", file=sys.stderr)


def shorten(names, limit=20):
    """``a, b, c`` -- at most ``limit`` names, then how many in all."""
    names = list(names)
    return ", ".join(names) if len(names) <= limit else ", ".join(names[:limit]) + f", ... ({len(names)} in all)"


def first_line(exc):
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__




def _whole(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def non_negative_int(text):
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_int(text):
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def jobs(text):
    value = _whole(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must not be 0 (use -1 for every core)")
    return value


def _above(text, low, expected, must):
    """A finite number greater than ``low``; the two texts say what was expected."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not low < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be {must}, got {text}")
    return value


def seconds(text):
    """A positive number of seconds (``1.5``, ``90``)."""
    return _above(text, 0, "a number of seconds", "a positive number of seconds")


def factor(text):
    """A number greater than 1 (a whole one as an int)."""
    value = _above(text, 1, "a number greater than 1", "greater than 1 (each budget is F times the one before)")
    return int(value) if value.is_integer() else value


# ---------------------------------------------------------------- values
def json_default(value):
    """``json.dumps(..., default=json_default)``: a named object is written as its name, ``"@svc"``."""
    if isinstance(value, Ref):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def value_text(value):
    """A value as the tables show it: ``none``, ``true``, ``1.0``, ``(1, "x")``; one line always."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        text = f"{value:.6g}"
        return text if any(c in text for c in ".eni") else text + ".0"  # 1.0 stays a float
    if isinstance(value, (tuple, list)):
        inner = ", ".join(json.dumps(v) if isinstance(v, str) else value_text(v) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, str) and not value.isprintable():
        return json.dumps(value)  # a newline or tab would break the table's line
    return str(value)


def step_text(step):
    """A step as tables show it: ``3`` for a whole number of steps, else 6 significant digits."""
    if step is None:
        return None
    return str(int(step)) if float(step).is_integer() else f"{step:.6g}"


# -------------------------------------------------------------- progress
def _clock(seconds):
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Reports each finished trial on a stream: a ``\\r`` bar on a terminal, plain lines otherwise.

    Called as ``progress(trial)`` (the ``callback`` of `spacedsl.search`). Pruned trials (stopped
    early) are counted apart; the best is of complete trials (a pruned trial's score is an
    intermediate one).
    """

    WIDTH = 24

    def __init__(self, total, stream, tty=None, done=0, pruned=0, best=None):
        self.total, self.stream = total, stream
        self.tty = _isatty(stream) if tty is None else tty
        self.done, self.start, self.failed, self.pruned = done, done, 0, pruned
        self.best = best  # a resumed study's best so far
        self.started = time.perf_counter()
        self._drawn = 0

    def __call__(self, trial):
        self.done += 1
        pruned = trial.state == "pruned"
        if pruned:
            self.pruned += 1
        elif trial.value is None:
            self.failed += 1
        elif self.best is None or trial.value > self.best:
            self.best = trial.value
        elapsed = time.perf_counter() - self.started
        remaining = elapsed / max(1, self.done - self.start) * max(0, self.total - self.done)
        best = "-" if self.best is None else f"{self.best:.4f}"
        if self.tty:
            filled = round(self.WIDTH * min(self.done, self.total) / self.total)
            stopped = f", {self.pruned} pruned" if self.pruned else ""
            line = (f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} trials{stopped}  "
                    f"best {best}  {_clock(elapsed)} elapsed  ~{_clock(remaining)} left")
            self.stream.write(line.ljust(self._drawn))
            self._drawn = len(line)
        else:
            if pruned:
                at = "" if trial.step is None else f" at step {step_text(trial.step)}"
                score = f"pruned{at}" + ("" if trial.value is None else f" ({trial.value:.4f})")
            else:
                score = "failed" if trial.value is None else f"{trial.value:.4f}"
            stopped = f", {self.pruned} pruned so far" if self.pruned else ""
            self.stream.write(f"trial {self.done}/{self.total}: {score}  best {best}{stopped}  "
                              f"{_clock(elapsed)} elapsed\n")
        self.stream.flush()

    def close(self):
        """End the bar's line (on a terminal)."""
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = 0


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
