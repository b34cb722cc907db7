"""Benchmarks of the spacedsl language: parsing, sampling, grid enumeration.

Run from the repository root:

    python benchmarks/bench_language.py            # full run (under a minute)
    python benchmarks/bench_language.py --quick    # fewer repeats

It prints a Markdown table (median and min of several repeats, and the goal)
followed by the Python, numpy, lark and ConfigSpace versions. The comparison
with ConfigSpace needs ``pip install -r benchmarks/requirements.txt`` (or the
``bench`` extra); without it that row is skipped.

Measurements
1. ``spacedsl.parse(text)`` of a generated 1,000-parameter space with ``if``
   blocks (nested, on ``==``, ``in [...]`` and ``>``) and ``where``
   constraints, both arithmetic (``where a + b <= 190``) and forbidden
   combinations (``where not (a == "v" and b == "w")``). Goal <= 100 ms.
2. ``space.sample(100_000, seed=0)`` of a 20-parameter space without
   conditions or constraints. Goal <= 1 s.
3. ``sum(1 for _ in space.grid())`` over five 10-value finite domains
   (exactly 100,000 configurations). Goal <= 1 s.
5. ``spacedsl.parse`` (what ``spacedsl check`` runs) of two files just under
   the size cap, 256 KiB (constants; three-value choices): seconds per MiB
   (goal <= 2 s) and for the whole file, wall clock and CPU time (the CPU
   time depends less on the other processes of a shared machine).
4. The same 1,000-parameter space as ConfigSpace ``pcs_new`` text, read by
   ``pcs_new.read(lines)``, against ``spacedsl.parse`` of the equivalent
   spacedsl text; the ratio is ours / ConfigSpace's.

Both texts of row 4 are generated from one description (``make_big_space``),
so they cannot drift. pcs_new can express our forbidden combinations as
forbidden clauses (``{a=v, b=w}``), but not arithmetic constraints: its
forbidden clauses are conjunctions of ``name=value`` only, and ConfigSpace's
``ForbiddenRelation`` (``a < b``) is neither readable nor writable in pcs_new
and compares two parameters, not a sum. Row 4 therefore leaves the
arithmetic constraints out of *both* texts; row 1 keeps them.

Known differences that remain in row 4: pcs_new categorical values are always
strings (our ``in [1, 2, 4, 8]`` yields ints), and ConfigSpace's integer
parameter is used both for ``in a..b`` and for ``: int ~ uniform(a, b)``
(ours rounds half-up, so its end points get half the mass). pcs_new requires
a default for every parameter, so both texts give one (``= v``).

Timing: wall clock (``time.perf_counter``), garbage collector enabled but
collected before each repeat; one untimed warm-up call before the repeats
(the first ``parse`` builds Lark's LALR tables, reported separately).
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import os
import platform
import random
import statistics
import sys
import time
import warnings
from dataclasses import dataclass, field

# Run as `python benchmarks/bench_language.py` from a source checkout: make the
# repository importable without installing it.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


# --------------------------------------------------------------------------
# One description of a space, written out as spacedsl text or as pcs_new text
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One searched parameter.

    kind is one of
      "choice"          name in [v, ...]                 pcs: categorical {v, ...}
      "range"           name in low..high                pcs: integer [low, high]
      "uniform"         name ~ uniform(low, high)        pcs: real [low, high]
      "loguniform"      name ~ loguniform(low, high)     pcs: real [low, high] log
      "int_uniform"     name: int ~ uniform(low, high)   pcs: integer [low, high]
      "int_loguniform"  name: int ~ loguniform(lo, hi)   pcs: integer [low, high] log
    """

    name: str
    kind: str
    default: object
    values: tuple = ()
    low: float | int | None = None
    high: float | int | None = None


@dataclass(frozen=True)
class Cond:
    """An `if` condition on one parameter: op is "==", "in" or ">"."""

    parent: str
    op: str
    value: object  # a value, or a tuple of values for "in"


@dataclass
class Block:
    cond: Cond
    body: list = field(default_factory=list)


@dataclass(frozen=True)
class Forbid:
    """A forbidden combination: `where not (a == v and b == w)` / pcs `{a=v, b=w}`."""

    pairs: tuple  # ((name, value), ...)


@dataclass(frozen=True)
class SumAtMost:
    """An arithmetic constraint `where a + b <= limit` (spacedsl only)."""

    a: str
    b: str
    limit: int


def _lit(value):
    """A value as a spacedsl literal."""
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _dsl_param(p):
    if p.kind == "choice":
        dom = " in [" + ", ".join(_lit(v) for v in p.values) + "]"
    elif p.kind == "range":
        dom = f" in {p.low}..{p.high}"
    elif p.kind in ("uniform", "loguniform"):
        dom = f" ~ {p.kind}({p.low!r}, {p.high!r})"
    elif p.kind == "int_uniform":
        dom = f": int ~ uniform({p.low}, {p.high})"
    elif p.kind == "int_loguniform":
        dom = f": int ~ loguniform({p.low}, {p.high})"
    else:
        raise AssertionError(p.kind)
    return f"{p.name}{dom} = {_lit(p.default)}"


def _dsl_cond(c):
    if c.op == "in":
        return f"{c.parent} in [" + ", ".join(_lit(v) for v in c.value) + "]"
    return f"{c.parent} {c.op} {_lit(c.value)}"


def to_spacedsl(items, arithmetic=True):
    """spacedsl text; `arithmetic=False` drops the `SumAtMost` constraints."""
    out = ["# generated by benchmarks/bench_language.py"]

    def emit(items, indent):
        pad = "    " * indent
        for item in items:
            if isinstance(item, Param):
                out.append(pad + _dsl_param(item))
            elif isinstance(item, Block):
                out.append(f"{pad}if {_dsl_cond(item.cond)} {{")
                emit(item.body, indent + 1)
                out.append(pad + "}")
            elif isinstance(item, Forbid):
                conj = " and ".join(f"{n} == {_lit(v)}" for n, v in item.pairs)
                out.append(f"{pad}where not ({conj})")
            elif isinstance(item, SumAtMost):
                if arithmetic:
                    out.append(f"{pad}where {item.a} + {item.b} <= {item.limit}")
            else:
                raise AssertionError(item)

    emit(items, 0)
    return "\n".join(out) + "\n"


def _pcs_value(value):
    return str(value)  # pcs_new values are bare words; categorical ones are read back as str


def to_pcs_new(items):
    """pcs_new text: parameters, then conditions, then forbidden clauses.

    A parameter inside nested blocks gets the innermost block's condition only:
    the generator always conditions a nested block on a parameter of the
    enclosing block, and in ConfigSpace a child of an inactive parent is
    inactive, which is exactly the nesting of `if` blocks. `SumAtMost` has no
    pcs_new form and is left out (see the module docstring).
    """
    params, conds, forbids = [], [], []

    def walk(items, cond):
        for item in items:
            if isinstance(item, Param):
                params.append(_pcs_param(item))
                if cond is not None:
                    conds.append(_pcs_cond(item.name, cond))
            elif isinstance(item, Block):
                walk(item.body, item.cond)
            elif isinstance(item, Forbid):
                forbids.append("{" + ", ".join(f"{n}={_pcs_value(v)}" for n, v in item.pairs) + "}")

    walk(items, None)
    return "\n".join(params + conds + forbids) + "\n"


def _pcs_param(p):
    d = _pcs_value(p.default)
    if p.kind == "choice":
        return f"{p.name} categorical {{{', '.join(_pcs_value(v) for v in p.values)}}} [{d}]"
    if p.kind in ("range", "int_uniform"):
        return f"{p.name} integer [{p.low}, {p.high}] [{d}]"
    if p.kind == "int_loguniform":
        return f"{p.name} integer [{p.low}, {p.high}] [{d}]log"
    if p.kind == "uniform":
        return f"{p.name} real [{p.low!r}, {p.high!r}] [{d}]"
    if p.kind == "loguniform":
        return f"{p.name} real [{p.low!r}, {p.high!r}] [{d}]log"
    raise AssertionError(p.kind)


def _pcs_cond(child, c):
    if c.op == "in":
        return f"{child} | {c.parent} in {{{', '.join(_pcs_value(v) for v in c.value)}}}"
    return f"{child} | {c.parent} {c.op} {_pcs_value(c.value)}"


def count_params(items):
    n = 0
    for item in items:
        if isinstance(item, Param):
            n += 1
        elif isinstance(item, Block):
            n += count_params(item.body)
    return n


# --------------------------------------------------------------- generators

_KINDS = ("choice", "range", "uniform", "loguniform", "int_uniform", "int_loguniform")
_WORDS = ("alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta")


def _random_param(rng, name, kind=None):
    kind = kind or rng.choice(_KINDS)
    if kind == "choice":
        if rng.random() < 0.7:
            values = tuple(rng.sample(_WORDS, rng.randint(2, 5)))
        else:
            values = tuple(sorted(rng.sample((1, 2, 4, 8, 16, 32, 64, 128), rng.randint(2, 5))))
        return Param(name, kind, values[0], values=values)
    if kind == "range":
        low = rng.randint(0, 10)
        high = low + rng.randint(5, 200)
        return Param(name, kind, (low + high) // 2, low=low, high=high)
    if kind == "uniform":
        low = rng.choice((0.0, 0.1, -1.0, 0.5))
        high = low + rng.choice((1.0, 2.5, 10.0))
        return Param(name, kind, low + (high - low) / 2, low=low, high=high)
    if kind == "loguniform":
        low = rng.choice((1e-05, 0.0001, 0.001))
        high = rng.choice((0.1, 1.0, 10.0))
        return Param(name, kind, 0.01, low=low, high=high)
    if kind == "int_uniform":
        low = rng.randint(1, 10)
        high = low + rng.randint(10, 500)
        return Param(name, kind, low, low=low, high=high)
    if kind == "int_loguniform":
        low = rng.choice((1, 2, 10))
        high = rng.choice((1000, 4096, 100000))
        return Param(name, kind, 100, low=low, high=high)
    raise AssertionError(kind)


def make_big_space(n_params=1000, seed=0):
    """A list of items describing an `n_params`-parameter space.

    Built from 40 groups of 25 parameters: a selector `gNN_algo` (4 strings),
    two unconditional integer ranges 0..100 constrained by
    `gNN_a + gNN_b <= 190` (broken by 0.5% of uniform draws), two 8-value
    choices with one forbidden combination of non-default values (1/64 of
    draws), five unconditional parameters, one of each kind, and three `if`
    blocks: `algo == "beta"`, `algo in ["gamma", "delta"]` holding a block
    nested on its own `depth > 10`, and `algo == "delta"` with its own
    `where dx0 + dx1 <= 95` (0.6% of draws break it when active). All 120
    constraints hold together for about 40% of uniform draws
    (0.995^40 * (63/64)^40 * (1 - 0.0058/4)^40), so they are satisfiable and
    a sampling check finds a valid configuration at once.
    """
    rng = random.Random(seed)
    items = []
    n = 0
    g = 0

    def take(k):
        nonlocal n
        k = max(0, min(k, n_params - n))
        n += k
        return k

    while n < n_params:
        p = f"g{g:02d}_"
        if take(1):
            items.append(Param(p + "algo", "choice", "alpha", values=("alpha", "beta", "gamma", "delta")))
        if take(2):
            items.append(Param(p + "a", "range", 50, low=0, high=100))
            items.append(Param(p + "b", "range", 50, low=0, high=100))
            items.append(SumAtMost(p + "a", p + "b", 190))
        if take(2):
            c2_values = _WORDS[4:] + _WORDS[:4]
            items.append(Param(p + "c1", "choice", _WORDS[0], values=_WORDS))
            items.append(Param(p + "c2", "choice", c2_values[0], values=c2_values))
            # never the defaults (the first values): ConfigSpace rejects a forbidden default
            items.append(Forbid(((p + "c1", rng.choice(_WORDS[1:])), (p + "c2", rng.choice(c2_values[1:])))))
        for i in range(take(5)):
            items.append(_random_param(rng, f"{p}u{i}", _KINDS[i % len(_KINDS)]))
        # if algo == "beta" { 4 params }
        k = take(4)
        if k:
            items.append(Block(Cond(p + "algo", "==", "beta"),
                               [_random_param(rng, f"{p}beta{i}") for i in range(k)]))
        # if algo in ["gamma", "delta"] { depth in 1..20; 4 params; if depth > 10 { 3 params } }
        k = take(5)
        if k:
            body = [Param(p + "depth", "range", 5, low=1, high=20)]
            body += [_random_param(rng, f"{p}gd{i}") for i in range(k - 1)]
            k2 = take(3)
            if k2:
                body.append(Block(Cond(p + "depth", ">", 10),
                                  [_random_param(rng, f"{p}deep{i}") for i in range(k2)]))
            items.append(Block(Cond(p + "algo", "in", ("gamma", "delta")), body))
        # if algo == "delta" { x, y in 0..50 with where x + y <= 95 }
        k = take(3)
        if k:
            body = [Param(f"{p}dx{i}", "range", 10, low=0, high=50) for i in range(k)]
            if k >= 2:
                body.append(SumAtMost(p + "dx0", p + "dx1", 95))
            items.append(Block(Cond(p + "algo", "==", "delta"), body))
        g += 1
    assert count_params(items) == n_params
    return items


SAMPLE_SPACE = """\
# 20 parameters, no conditions, no constraints
c0 in ["adam", "sgd", "rmsprop", "adagrad"]
c1 in [16, 32, 64, 128, 256]
c2 in [true, false]
c3 in ["relu", "tanh", "gelu"]
r0 in 1..20
r1 in 0..1000
r2 in 0.0..1.0 step 0.125
u0 ~ uniform(0.0, 1.0)
u1 ~ uniform(-5, 5)
u2 ~ uniform(0.1, 0.9)
u3 ~ uniform(low=10, high=20)
l0 ~ loguniform(1e-5, 1.0)
l1 ~ loguniform(1e-3, 1e3)
l2 ~ loguniform(0.01, 10)
i0: int ~ uniform(1, 100)
i1: int ~ uniform(0, 10)
i2: int ~ loguniform(1, 4096)
n0 ~ normal(0, 1)
e0 ~ expon(100)
d0 ~ randint(1, 6)
"""

GRID_SPACE = """\
# five finite domains of 10 values each: exactly 100,000 configurations
a in 0..9
b in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
c in [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
d in 0..90 step 10
e in [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
"""


# ------------------------------------------------------------------ timing


def timed(fn, repeats, warmup=1):
    """Time `repeats` calls of `fn` after `warmup` untimed ones: (seconds per call, last result)."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def fmt_time(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--verify", action="store_true",
                    help="also check (untimed) that configurations sampled on one side of row 4 are valid "
                         "on the other")
    ap.add_argument("--dump", metavar="DIR", help="also write the generated texts into DIR")
    args = ap.parse_args(argv)
    reps = dict(parse=5, sample=3, grid=3, pcs=1, mib=1) if args.quick else dict(parse=15, sample=7, grid=7, pcs=3,
                                                                               mib=3)

    import numpy

    import spacedsl
    from spacedsl.language.parser import MAX_INPUT_BYTES

    big = make_big_space(1000, seed=0)
    dsl_full = to_spacedsl(big, arithmetic=True)
    dsl_common = to_spacedsl(big, arithmetic=False)
    pcs_text = to_pcs_new(big)
    pcs_lines = pcs_text.splitlines()
    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
        for fname, text in (("big.space", dsl_full), ("big_common.space", dsl_common),
                            ("big.pcs", pcs_text), ("sample.space", SAMPLE_SPACE), ("grid.space", GRID_SPACE)):
            with open(os.path.join(args.dump, fname), "w", encoding="utf-8") as fh:
                fh.write(text)

    rows = []  # (label, times or None, goal seconds or None, note)

    # 1. parse + check of the 1,000-parameter space with conditions and constraints
    t0 = time.perf_counter()
    space = spacedsl.parse(dsl_full)
    cold = time.perf_counter() - t0
    n_names = len(space.names)
    assert n_names == 1000, f"spacedsl found {n_names} parameters, expected 1000"
    rows.append(("1. `parse` 1,000 params, `if` + `where` (first call, builds the LALR parser)",
                 [cold], None, "one call"))
    rows.append(("1. `parse` 1,000 params, `if` + `where`",
                 timed(lambda: spacedsl.parse(dsl_full), reps["parse"])[0], 0.100, ""))

    # 2. vectorised sampling
    small = spacedsl.parse(SAMPLE_SPACE)
    assert len(small.names) == 20
    out = small.sample(100_000, seed=0)
    assert len(out) == 100_000 and len(out[0]) == 20
    del out
    rows.append(("2. `sample(100_000, seed=0)`, 20 params",
                 timed(lambda: small.sample(100_000, seed=0), reps["sample"], warmup=0)[0], 1.0, ""))

    # 3. grid enumeration
    grid_space = spacedsl.parse(GRID_SPACE)
    n_grid = sum(1 for _ in grid_space.grid())
    assert n_grid == 100_000, f"grid has {n_grid} configurations, expected 100,000"
    rows.append(("3. `sum(1 for _ in grid())`, 100,000 configs",
                 timed(lambda: sum(1 for _ in grid_space.grid()), reps["grid"], warmup=0)[0], 1.0, ""))

    # 5. check time per MiB, on files at the size cap (what `spacedsl check` does: parse + checks)
    for label, line in (("constants", "x{i} = {i}\n"), ("choices", "x{i} in [1, 2, 3]\n")):
        text, i = [], 0
        size = 0
        while size < MAX_INPUT_BYTES - 64:
            text.append(line.format(i=i))
            size += len(text[-1])
            i += 1
        text = "".join(text[:-1])
        mib = len(text.encode("utf-8")) / (1024 * 1024)
        times, cpu = [], []
        for _ in range(reps["mib"]):
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            spacedsl.parse(text)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        rows.append((f"5. `check` of a {len(text) / 1024:.0f} KiB file of {i - 1:,} {label} lines, seconds per MiB",
                     [t / mib for t in times], 2.0,
                     f"whole file {statistics.median(times):.2f} s, CPU {statistics.median(cpu) / mib:.2f} s per MiB"))

    # 4. against ConfigSpace pcs_new, on the text both can express
    ours, common_space = timed(lambda: spacedsl.parse(dsl_common), reps["parse"])
    assert len(common_space.names) == 1000, f"spacedsl found {len(common_space.names)} parameters, expected 1000"
    rows.append(("4a. `parse` 1,000 params, `if` + forbidden combos only", ours, None,
                 "same space as 4b"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # pcs and pcs_new are deprecated in 1.x
            from ConfigSpace.read_and_write import pcs_new
    except ImportError:
        rows.append(("4b. ConfigSpace `pcs_new.read`, same space", None, None,
                     "ConfigSpace not installed: pip install -r benchmarks/requirements.txt"))
        theirs = None
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # pcs_new.read is deprecated in ConfigSpace 1.x
            # no warm-up: one read takes seconds, and pyparsing's grammar is built at import
            theirs, cs = timed(lambda: pcs_new.read(pcs_lines), reps["pcs"], warmup=0)
        n_cs = len(list(cs.values()))
        assert n_cs == 1000, f"ConfigSpace found {n_cs} hyperparameters, expected 1000"
        assert set(cs.keys()) == set(common_space.names), "the two texts declare different parameters"
        if args.verify:
            cross_check(common_space, cs, big)
        rows.append(("4b. ConfigSpace `pcs_new.read`, same space", theirs, None,
                     f"{len(cs.conditions)} conditions, {len(cs.forbidden_clauses)} forbidden clauses"))

    # ------------------------------------------------------------ the table
    print("| measurement | median | min | goal | met? | repeats / note |")
    print("|---|---:|---:|---:|:---:|---|")
    for label, times, goal, note in rows:
        if times is None:
            print(f"| {label} | — | — | — | | {note} |")
            continue
        med, lo = statistics.median(times), min(times)
        met = "" if goal is None else ("yes" if med <= goal else f"**no** ({med / goal:.1f}x)")
        rep = f"n={len(times)}" + (f"; {note}" if note else "")
        print(f"| {label} | {fmt_time(med)} | {fmt_time(lo)} | "
              f"{'—' if goal is None else '<= ' + fmt_time(goal)} | {met} | {rep} |")
    if theirs is not None:
        ratio = statistics.median(ours) / statistics.median(theirs)
        ratio_min = min(ours) / min(theirs)
        print(f"| 4. ratio spacedsl / ConfigSpace (4a / 4b) | {ratio:.3f} | {ratio_min:.3f} | — | | "
              f"median/median; min/min; < 1 means spacedsl is faster |")
    print()
    print("Notes: row 1 has %d `where` lines (%d arithmetic, %d forbidden combinations) and %d `if` blocks. "
          "Rows 4a/4b leave out the arithmetic `where` lines on both sides: pcs_new forbidden clauses "
          "are only conjunctions of `name=value`, so `where a + b <= 190` has no pcs_new form. "
          "pcs_new reads categorical values as strings, so numeric choices are ints for us and "
          "strings for ConfigSpace." % _stats(big))
    print()
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"numpy {numpy.__version__}, lark {_version('lark')}, ConfigSpace {_version('ConfigSpace')}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs; {'--quick' if args.quick else 'full'} run")


def cross_check(space, cs, items, n=200):
    """Each side's samples are valid configurations of the other (same activity, forbiddens, domains)."""
    from ConfigSpace import Configuration

    numeric_choice = {p.name for p in _params(items) if p.kind == "choice" and not isinstance(p.values[0], str)}
    ours = space.sample(n, seed=1)
    for config in ours:
        values = {k: (str(v) if k in numeric_choice else v) for k, v in config.items() if k in cs}
        Configuration(cs, values=values)  # raises on an inactive/missing parameter or a forbidden combination
    cs.seed(1)
    for config in cs.sample_configuration(n):
        values = {k: v.item() if hasattr(v, "item") else v for k, v in dict(config).items()}  # numpy -> Python
        values = {k: (int(v) if k in numeric_choice else v) for k, v in values.items()}
        space.validate(values)
    print(f"verify: {n} spacedsl samples valid in ConfigSpace, {n} ConfigSpace samples valid in spacedsl")


def _params(items):
    for item in items:
        if isinstance(item, Param):
            yield item
        elif isinstance(item, Block):
            yield from _params(item.body)


def _stats(items):
    n_arith = n_forbid = n_blocks = 0
    stack = list(items)
    while stack:
        item = stack.pop()
        if isinstance(item, SumAtMost):
            n_arith += 1
        elif isinstance(item, Forbid):
            n_forbid += 1
        elif isinstance(item, Block):
            n_blocks += 1
            stack.extend(item.body)
    return n_arith + n_forbid, n_arith, n_forbid, n_blocks


if __name__ == "__main__":
    main()
