"""How long hostile inputs take to reach a Space or a DSLError (the timings the fuzz tests used to assert).

Run from the repository root:

    python benchmarks/bench_hostile.py            # every case, median of 3
    python benchmarks/bench_hostile.py --repeats 1

The cases are the fuzz suite's own (``tests/test_fuzz.py``: ``PATHOLOGICAL``, 10 MB files, a
4 MB valid file, ``scipy.studentized_range`` under a ``where``), so the table and the tests
cannot drift. It prints a Markdown table: the case, what it ended in, the median and the
slowest of the repeats, and whether the median is under the old test's limit (30 s; 60 s for
the 4 MB file; 20 s for studentized_range).
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import spacedsl  # noqa: E402
from test_fuzz import PATHOLOGICAL  # noqa: E402


def cases():
    for param in PATHOLOGICAL:
        yield param.id, param.values[0], 30.0
    for name, text in (("10MB-constants", "x0 = 0\n" * (10_000_000 // 7 + 1)), ("10MB-comment", "#" + "a" * 10_000_000),
                       ("10MB-string", "x = '" + "a" * 10_000_000 + "'"),
                       ("10MB-list", "x in [" + "1, " * 3_400_000 + "1]"), ("10MB-newlines", "\n" * 10_000_000),
                       ("10MB-parens", "(" * 10_000_000)):
        yield name, text, 30.0
    yield "4MB-valid-250000-constants", "".join(f"x{i} = {i}\n" for i in range(250_000)), 60.0
    yield "scipy.studentized_range-where", "x ~ scipy.studentized_range(3, 10)\nwhere x > 0", 20.0


def run(text):
    try:
        spacedsl.parse(text)
        return "Space"
    except spacedsl.DSLError:
        return "DSLError"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print("| input | ends in | median | slowest | under the old limit |")
    print("|---|---|---:|---:|:---:|")
    for name, text, limit in cases():
        times, ended = [], None
        for _ in range(args.repeats):
            start = time.perf_counter()
            ended = run(text)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"| {name} | {ended} | {median:.3f} s | {max(times):.3f} s | {'yes' if median < limit else 'NO'} |",
              flush=True)
    print(f"\nPython {sys.version.split()[0]}, spacedsl {spacedsl.__version__}, {args.repeats} repeats")


if __name__ == "__main__":
    main()
