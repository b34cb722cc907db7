"""Distributions: the built-in table (a plugin, registered first), ``scipy.NAME``, and `Prior`.

A distribution factory is called with the arguments written in the file and
returns an object with scipy's frozen-distribution methods ``rvs``, ``cdf``,
``ppf`` and ``support``. Its Python signature is what the language checks arity
and keyword names against. Bounds are inclusive and positional arguments mean
what a person would guess (``uniform(1, 2)`` is [1, 2]), not scipy's loc/scale.

The engine wraps every such object in a `Prior`, which adds what the language
layers on top: ``step`` lattices, ``: int`` rounding kept inside the support,
and whether a grid should space its points on a log scale.
"""

from __future__ import annotations

import functools
import inspect
import math
import os
import select
import signal
import sys
import time
import warnings
from os import _exit  # a forked probe leaves without running the parent's cleanup

import numpy as np

try:
    import resource
except ImportError:  # Windows: no fork, no CPU limits; probes run in-process
    resource = None

from ..hookspecs import hookimpl
from ..language.errors import DSLSemanticError

PROBE_SECONDS = 2.0  # CPU seconds; a distribution whose probe draws take longer is refused at load
PROBE_WALL_SECONDS = 30.0  # and one stuck in compiled code is given up after this long (or its CPU limit)
PROBE_QUANTILES = (1e-12, 0.25, 0.5, 0.75, 1 - 1e-12)  # the ends are the extremes the engine ever asks for
FAILURES = (ArithmeticError, ValueError, RuntimeError, TypeError, AttributeError, IndexError, KeyError)


def _special():
    """scipy.special, imported on first use (importing scipy costs a worker process ~0.5 s)."""
    import scipy.special
    return scipy.special


class ArgumentError(ValueError):
    """A distribution factory rejects an argument.

    Attributes:
        argument: The name of the offending argument, or None for the call as a whole.
    """

    def __init__(self, message, argument=None):
        super().__init__(message)
        self.argument = argument


def _number(dist, name, value, *, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"{dist} needs a number for {name}, got {value!r}", name)
    if not _fits_float(value):
        raise ArgumentError(f"{dist}: {name} is too large (numbers must fit a float)", name)
    return value


def _fits_float(value):
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _positive(dist, name, value):
    if _number(dist, name, value) <= 0:
        raise ArgumentError(f"{dist} needs {name} > 0, got {name}={value!r}", name)
    return value


def _step(dist, step):
    if step is not None and _number(dist, "step", step) <= 0:
        raise ArgumentError(f"{dist} needs step > 0, got step={step!r}", "step")
    return step


def _ordered(dist, low, high):
    _number(dist, "low", low)
    _number(dist, "high", high)
    if low >= high:
        raise ArgumentError(f"{dist} needs low < high, got low={low!r}, high={high!r}", "high")


class _Builtin:
    """A frozen distribution with closed-form ppf/cdf: fast and vectorised."""

    closed_form = True  # its load-time probe needs no child process
    log = False
    discrete = False
    open_low = False
    step = None

    def rvs(self, size=None, random_state=None):
        rng = np.random.default_rng(random_state)
        return self.ppf(rng.random(size))

    def support(self):
        return self.low, self.high


class _Uniform(_Builtin):
    def __init__(self, low, high, step):
        self.low, self.high, self.step = float(low), float(high), step

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        return self.low * (1 - u) + self.high * u  # no overflow when high - low is beyond a float

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.clip((x / 2 - self.low / 2) / (self.high / 2 - self.low / 2), 0.0, 1.0)


class _LogUniform(_Builtin):
    log = True

    def __init__(self, low, high, step):
        self.low, self.high, self.step = float(low), float(high), step
        self._a, self._w = math.log(self.low), math.log(self.high) - math.log(self.low)

    def ppf(self, u):
        return np.exp(self._a + np.asarray(u, dtype=float) * self._w)

    def cdf(self, x):
        x = np.maximum(np.asarray(x, dtype=float), self.low)
        return np.clip((np.log(x) - self._a) / self._w, 0.0, 1.0)


class _RandInt(_Builtin):
    discrete = True

    def __init__(self, low, high):
        self.low, self.high = low, high

    def ppf(self, u):
        n = self.high - self.low + 1
        return self.low + np.minimum(np.floor(np.asarray(u, dtype=float) * n), n - 1)

    def cdf(self, x):
        x = np.floor(np.asarray(x, dtype=float))
        return np.clip((x - self.low + 1) / (self.high - self.low + 1), 0.0, 1.0)


class _Normal(_Builtin):
    def __init__(self, mu, sigma, step):
        self.mu, self.sigma, self.step = float(mu), float(sigma), step
        self.low, self.high = -math.inf, math.inf

    def ppf(self, u):
        return self.mu + self.sigma * _special().ndtri(np.asarray(u, dtype=float))

    def cdf(self, x):
        return _special().ndtr((np.asarray(x, dtype=float) - self.mu) / self.sigma)


class _LogNormal(_Builtin):
    open_low = True

    def __init__(self, mu, sigma):
        self.mu, self.sigma = float(mu), float(sigma)
        self.low, self.high = 0.0, math.inf

    def ppf(self, u):
        return np.exp(self.mu + self.sigma * _special().ndtri(np.asarray(u, dtype=float)))

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore"):
            return _special().ndtr((np.log(np.maximum(x, 0.0)) - self.mu) / self.sigma)


class _Expon(_Builtin):
    def __init__(self, scale, loc):
        self.scale, self.loc = float(scale), float(loc)
        self.low, self.high = self.loc, math.inf

    def ppf(self, u):
        return self.loc - self.scale * np.log1p(-np.asarray(u, dtype=float))

    def cdf(self, x):
        x = np.asarray(x, dtype=float)
        return np.where(x < self.loc, 0.0, -np.expm1(-(x - self.loc) / self.scale))


def uniform(low, high, step=None):
    """Uniform on [low, high]."""
    _ordered("uniform", low, high)
    return _Uniform(low, high, _step("uniform", step))


def loguniform(low, high, step=None):
    """Log-uniform on [low, high], 0 < low."""
    _number("loguniform", "low", low)
    if low <= 0:
        raise ArgumentError(f"loguniform needs 0 < low, got low={low!r}", "low")
    _ordered("loguniform", low, high)
    return _LogUniform(low, high, _step("loguniform", step))


def randint(low, high):
    """Integers low..high, both included."""
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentError(f"randint needs an integer for {name}, got {value!r}", name)
    _ordered("randint", low, high)
    return _RandInt(low, high)


def normal(mu, sigma, step=None):
    """Normal with mean mu and standard deviation sigma."""
    _number("normal", "mu", mu)
    return _Normal(mu, _positive("normal", "sigma", sigma), _step("normal", step))


def lognormal(mu, sigma):
    """Log-normal: the log is normal(mu, sigma)."""
    _number("lognormal", "mu", mu)
    return _LogNormal(mu, _positive("lognormal", "sigma", sigma))


def expon(scale, loc=0):
    """Exponential on [loc, inf) with mean loc + scale."""
    _number("expon", "loc", loc)
    return _Expon(_positive("expon", "scale", scale), loc)


BUILTINS = {
    "uniform": uniform,
    "loguniform": loguniform,
    "randint": randint,
    "normal": normal,
    "norm": normal,
    "lognormal": lognormal,
    "expon": expon,
}


@hookimpl
def spacedsl_distributions():
    """The built-ins, offered like any plugin's (`spacedsl.plugins.DEFAULT_PLUGINS`)."""
    return dict(BUILTINS)


# ---------------------------------------------------------------- scipy.NAME


def scipy_distribution(name):
    """The ``scipy.stats`` distribution object called ``name``, or None.

    Only real distribution objects count: ``scipy.__class__``, ``scipy._lib``
    or ``scipy.stats`` itself are unknown distributions.
    """
    if not name.isidentifier() or name.startswith("_"):
        return None
    import scipy.stats
    obj = getattr(scipy.stats, name, None)
    return obj if isinstance(obj, scipy.stats.rv_continuous | scipy.stats.rv_discrete) else None


def scipy_names():
    """The names of every ``scipy.stats`` distribution (``scipy.NAME`` completions)."""
    import scipy.stats
    return [n for n in dir(scipy.stats) if scipy_distribution(n) is not None]


def scipy_signature(dist):
    """The signature the language checks ``scipy.NAME(...)`` against: shapes, then loc and scale."""
    shapes = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
    params = [inspect.Parameter(s, inspect.Parameter.POSITIONAL_OR_KEYWORD) for s in shapes]
    params.append(inspect.Parameter("loc", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=0))
    import scipy.stats
    if isinstance(dist, scipy.stats.rv_continuous):
        params.append(inspect.Parameter("scale", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=1))
    return inspect.Signature(params)


def scipy_factory(qualified, dist):
    def factory(*args, **kwargs):
        for key, value in list(enumerate(args)) + list(kwargs.items()):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not _fits_float(value):
                raise ArgumentError(f"{qualified} needs numbers (of a float's size), got {str(value)[:40]}",
                                    key if isinstance(key, str) else None)
        # ints past 2**63 would become numpy object arrays that scipy's ufuncs refuse at the first draw
        args = [_as_scipy_number(v) for v in args]
        kwargs = {k: _as_scipy_number(v) for k, v in kwargs.items()}
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                frozen = dist(*args, **kwargs)
                low, high = frozen.support()
        except FAILURES as exc:
            raise ArgumentError(f"scipy.stats rejects these arguments for {qualified}: "
                                f"{type(exc).__name__}: {str(exc)[:120]}") from None
        if np.isnan(low) or np.isnan(high):
            raise ArgumentError(f"scipy.stats rejects these arguments for {qualified}: "
                                "check its shape parameters (and scale > 0)")
        return frozen
    factory.__signature__ = scipy_signature(dist)
    return factory


def _as_scipy_number(value):
    return float(value) if isinstance(value, int) and abs(value) >= 2**53 else value


class _TooSlow(BaseException):
    """The probe's time is up (a BaseException, so that no ``except Exception`` in scipy swallows it)."""


def _within(seconds, fn, *args):
    """``fn(*args)``, stopped with `_TooSlow` at the first Python call after ``seconds``.

    A trace function rather than a signal or a thread: it works in any thread, leaves no
    computation running behind, and scipy's slow paths (root finding, quadrature) call
    back into Python often.
    """
    deadline = time.thread_time() + seconds  # CPU time: the verdict does not depend on the machine's load

    def tracer(frame, event, arg):
        if time.thread_time() > deadline:
            raise _TooSlow
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return fn(*args)
    finally:
        sys.settrace(previous)


def _draws(dist, seconds):
    """The probe's draws in this process: (verdict, detail), verdict "ok", "slow", "failed" or "bad"."""
    u = np.array(PROBE_QUANTILES)

    def draw():
        x = np.asarray(dist.ppf(u), dtype=float)
        return x, np.asarray(dist.cdf(x), dtype=float)

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            x, c = _within(seconds, draw)
    except _TooSlow:
        return "slow", ""
    except FAILURES as exc:
        return "failed", f"{type(exc).__name__}: {str(exc)[:120]}"
    if x.shape != u.shape or not np.isfinite(x).all():
        bad = [f"{q:g} -> {v}" for q, v in zip(PROBE_QUANTILES, x.tolist()) if not math.isfinite(v)] \
            if x.shape == u.shape else [f"shape {x.shape}"]
        return "bad", f"draws are not finite with these arguments (quantile {bad[0]})"
    if c.shape != u.shape or not np.isfinite(c).all():
        return "bad", "its cdf is not finite with these arguments"
    return "ok", ""


def _draws_in_child(dist, seconds, wall):
    """`_draws` in a forked child with a CPU-time limit, killed after ``wall`` seconds: compiled code
    that never returns to Python (scipy's discrete quantile searches with huge shapes) can only be
    stopped that way."""
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Python 3.12+ warns about fork in a process with threads
        pid = os.fork()
    if pid == 0:  # the child: report and leave without running any cleanup of the parent's
        try:
            os.close(read)
            limit = math.ceil(seconds) + 1  # the kernel stops compiled code that never returns to Python
            resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
            verdict = _draws(dist, seconds)
            os.write(write, "\0".join(verdict).encode("utf-8", "replace"))
        finally:
            _exit(0)
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], wall)
        data = os.read(read, 1 << 16) if ready else None
    finally:
        os.close(read)
        if not data:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.waitpid(pid, 0)
    if not data:
        return "slow", ""
    verdict, _, detail = data.decode("utf-8", "replace").partition("\0")
    return verdict, detail


def probe(dist, seconds=PROBE_SECONDS, wall=PROBE_WALL_SECONDS, isolate=True):
    """Draw at the extreme and middle quantiles the engine uses; raise `ArgumentError` if that
    fails, gives values that are not finite, or takes longer than ``seconds`` of CPU time.

    With ``isolate`` (and where the platform can fork) the draws run in a child process given up
    after ``wall`` seconds, so that even a distribution stuck in compiled code cannot hang a load.
    """
    if isolate and resource is not None and hasattr(os, "fork"):
        verdict, detail = _draws_in_child(dist, seconds, wall)
    else:
        verdict, detail = _draws(dist, seconds)
    if verdict == "slow":
        raise ArgumentError(f"too slow to draw from: {len(PROBE_QUANTILES)} probe draws took over {seconds:g} s "
                            "of CPU time; choose other arguments or another distribution")
    if verdict == "failed":
        raise ArgumentError(f"cannot be drawn from with these arguments: {detail}")
    if verdict == "bad":
        raise ArgumentError(f"{detail}; choose arguments that keep its values within a float")


# ---------------------------------------------------------------------- Prior


def decimals(x):
    """Decimal places needed to write x exactly (None if it has no short decimal form)."""
    if isinstance(x, int):
        return 0
    text = repr(float(x))
    mantissa, _, exp = text.partition("e")
    places = len(mantissa.partition(".")[2].rstrip("0")) - (int(exp) if exp else 0)
    return max(places, 0) if places <= 12 else None


class Prior:
    """A distribution as the engine uses it: vectorised ppf/cdf onto the value lattice.

    Attributes:
        dist: The factory's object (scipy frozen-distribution methods).
        integer: Values are rounded half-up to ints inside the support.
        step: Lattice spacing, or None.
        log: A grid spaces its points on a log scale.
        low: Lower end of the support (may be -inf).
        high: Upper end of the support (may be inf).
        origin: ``(filename, line, column, source_line)`` of the call in the space file, for
            errors at draw time; None when unknown.
    """

    origin = None
    label = "the distribution"

    def __init__(self, dist, integer=False):
        self.dist = dist
        low, high = dist.support()
        self.low, self.high = float(low), float(high)
        self.step = getattr(dist, "step", None)
        self.log = bool(getattr(dist, "log", False))
        stats = sys.modules.get("scipy.stats")  # a scipy frozen distribution means scipy.stats is loaded
        self.discrete = bool(getattr(dist, "discrete", False)) or (
            stats is not None and isinstance(getattr(dist, "dist", None), stats.rv_discrete))
        self.integer = integer or self.discrete
        open_low = bool(getattr(dist, "open_low", False))
        if self.step is not None:
            self.anchor = self.low if math.isfinite(self.low) else 0.0
            q = self.step
            self.kmin = math.ceil((self.low - self.anchor) / q - 1e-9) if math.isfinite(self.low) else None
            self.kmax = math.floor((self.high - self.anchor) / q + 1e-9) if math.isfinite(self.high) else None
            if self.kmax is not None and self.anchor + self.kmax * q > self.high * (1 + 1e-12) + 1e-300:
                self.kmax -= 1  # the tolerance above must not step past the support
            places = [decimals(q), decimals(self.anchor)]
            self.digits = None if None in places else max(places)
        if self.integer:
            self.int_low = math.ceil(self.low) if math.isfinite(self.low) else None
            if self.int_low is not None and open_low and self.int_low == self.low:
                self.int_low += 1
            self.int_high = math.floor(self.high) if math.isfinite(self.high) else None

    def has_integer(self):
        """Whether the support holds any integer (``: int`` needs one)."""
        lo = -math.inf if self.int_low is None else self.int_low
        hi = math.inf if self.int_high is None else self.int_high
        return lo <= hi

    def snap(self, x):
        """Put raw draws onto the value lattice: step, then integer rounding."""
        x = np.asarray(x, dtype=float)
        if self.step is not None:
            k = np.floor((x - self.anchor) / self.step + 0.5)
            if self.kmin is not None or self.kmax is not None:
                k = np.clip(k, self.kmin, self.kmax)
            x = self.anchor + k * self.step
            if self.digits is not None:
                x = np.round(x, self.digits)
            x = np.clip(x, self.low, self.high)  # rounding noise must not leave the support
        if self.integer:
            x = np.floor(x + 0.5)
            if self.int_low is not None or self.int_high is not None:
                x = np.clip(x, self.int_low, self.int_high)
        return x

    def ppf(self, u):
        """Values for quantiles u (an array in [0, 1]), on the lattice.

        Raises `DSLSemanticError` at the distribution's call when the distribution fails or draws
        a value that is not finite (the load-time `probe` makes that rare).
        """
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1 - 1e-12)
        try:
            with np.errstate(all="ignore"):
                x = np.asarray(self.dist.ppf(u), dtype=float)
        except FAILURES as exc:
            raise self._error(f"drawing failed: {type(exc).__name__}: {str(exc)[:120]}") from None
        if not np.isfinite(x).all():
            raise self._error("drew a value that is not finite; choose arguments that keep its values "
                              "within a float")
        return self.snap(x)

    def _error(self, message):
        origin = self.origin or ("<string>", None, None, None)
        return DSLSemanticError(f"{self.label}: {message}", *origin)

    def cdf(self, x):
        return np.asarray(self.dist.cdf(np.asarray(x, dtype=float)), dtype=float)

    def to_unit(self, x):
        """Where values sit in the unit cube: the CDF, or for a discrete prior the middle of the
        value's step of the CDF, so that ``ppf(to_unit(x)) == x``."""
        x = np.asarray(x, dtype=float)
        if self.discrete:
            return (self.cdf(x - 1) + self.cdf(x)) / 2
        return self.cdf(x)

    def grid(self, resolution):
        """``resolution`` representative values, snapped and de-duplicated, ascending."""
        k = max(int(resolution), 1)
        if math.isfinite(self.low) and math.isfinite(self.high):
            if k == 1:
                raw = self.dist.ppf(np.array([0.5]))
            elif self.log and self.low > 0:
                raw = np.geomspace(self.low, self.high, k)
            else:
                t = np.linspace(0.0, 1.0, k)
                raw = self.low * (1 - t) + self.high * t  # no overflow when high - low is beyond a float
                raw[-1] = self.high
        else:
            raw = self.dist.ppf((np.arange(k) + 0.5) / k)
        return np.unique(self.snap(raw))

    def contains(self, value):
        """Whether a single value lies in the support and on the lattice."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if not (self.low <= value <= self.high) or (value == self.low and getattr(self.dist, "open_low", False)):
            return False
        if self.integer and isinstance(value, int):  # exactly, also beyond 2**53 (a float would round it)
            exact = isinstance(self.dist, _RandInt)
            low, high = (self.dist.low, self.dist.high) if exact else (self.int_low, self.int_high)
            if (low is not None and value < low) or (high is not None and value > high):
                return False
        elif self.integer and float(value) != math.floor(value):
            return False
        if self.step is not None:
            k = (value - self.anchor) / self.step
            if abs(k - round(k)) > 1e-9 * max(1.0, abs(k)):
                return False
        return True


@functools.lru_cache(maxsize=None)
def _scipy_factory(name):
    dist = scipy_distribution(name)
    return None if dist is None else scipy_factory("scipy." + name, dist)


def resolve(name, distributions):
    """The factory for a distribution name, or None when unknown."""
    if name in distributions:
        return distributions[name]
    prefix, _, rest = name.partition(".")
    if prefix == "scipy" and rest:
        return _scipy_factory(rest)
    return None
