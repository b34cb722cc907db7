"""Benchmarks of the tooling for .space files: lint and semantic diff.

Run from the repository root:

    python benchmarks/bench_tooling.py            # full run (under a minute)
    python benchmarks/bench_tooling.py --quick    # fewer repeats

It prints a Markdown table (median and min of several repeats, the goal, whether the median meets
it) and the versions. The space is the generated 1,000-parameter file of ``bench_language.py``
(160 ``if`` blocks, 120 ``where`` lines; its generator is imported, so the two cannot drift).

Measurements
1. ``spacedsl.parse`` of the file: the reference (``bench_language.py`` row 1), measured in the same
   run so the other rows can be read against it on a busy machine.
2. ``lint_report(text)``: parse, grid size, feasible fraction (exact here: every component has at most
   10^6 grid rows), every check, ignore comments. Goal <= 200 ms.
3. ``spacedsl diff`` of two versions, as the command does it: parse both, then ``diff_spaces``.
   The second version widens a range, renames a parameter used in a constraint, changes a default
   and adds a constraint. Goal <= 150 ms.
4. ``diff_spaces(old, new)`` alone, on spaces already parsed (what an editor or a caller holding
   both spaces pays).
5. ``difflib.unified_diff`` of the same two texts: a line diff, for scale (it knows nothing of the
   language).

Timing: wall clock (``time.perf_counter``) and the process's CPU time (``time.process_time``, which
other processes on a shared machine disturb less), garbage collected before each repeat, one untimed
warm-up call first. The "/ parse" column is CPU time over row 1's.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import os
import platform
import statistics
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
for path in (_ROOT, _HERE):  # run from a source checkout without installing
    if path not in sys.path:
        sys.path.insert(0, path)

import bench_language  # noqa: E402  (the generator of the 1,000-parameter file)


def timed(fn, repeats, warmup=1):
    """Wall-clock and CPU seconds per call of `fn` over `repeats` calls after `warmup` untimed ones,
    and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    return times, result


def second_version(text):
    """The file after a typical commit: four semantic edits."""
    edits = [
        ("g05_a in 0..100 = 50", "g05_a in 0..120 = 50"),  # widened
        ("g10_c1", "g10_first"),  # renamed, also inside its constraint
        ("g20_b in 0..100 = 50", "g20_b in 0..100 = 60"),  # default changed
        ("where g30_a + g30_b <= 190", "where g30_a + g30_b <= 190\nwhere g30_a <= 90"),  # constraint added
    ]
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    args = ap.parse_args(argv)
    repeats = 5 if args.quick else 15

    import numpy

    import spacedsl
    from spacedsl.tooling.diff import diff_spaces
    from spacedsl.tooling.lint import lint_report

    old_text = bench_language.to_spacedsl(bench_language.make_big_space(1000, seed=0))
    new_text = second_version(old_text)
    rows = []  # (label, times, goal seconds or None, note)

    parse_times, space = timed(lambda: spacedsl.parse(old_text), repeats)
    assert len(space.names) == 1000
    rows.append(("1. `parse` the 1,000-parameter file (reference)", parse_times, None, ""))

    lint_times, report = timed(lambda: lint_report(old_text, "big.space"), repeats)
    assert report.errors == 0 and report.survey.fraction.exact
    rows.append(("2. `lint` the file", lint_times, 0.200,
                 f"{len(report.findings)} findings; feasible {report.survey.fraction.describe()}"))

    def diff_texts():
        return diff_spaces(spacedsl.parse(old_text), spacedsl.parse(new_text))

    diff_times, result = timed(diff_texts, repeats)
    kinds = sorted(c.kind for c in result.changes)
    assert kinds == ["constraint", "default", "renamed", "widened"], kinds
    rows.append(("3. `diff` two versions (parse both + diff)", diff_times, 0.150,
                 f"{len(result.changes)} changes"))

    old_space, new_space = spacedsl.parse(old_text), spacedsl.parse(new_text)
    rows.append(("4. `diff_spaces` of the two parsed versions", timed(lambda: diff_spaces(old_space, new_space),
                                                                      repeats)[0], None, ""))
    old_lines, new_lines = old_text.splitlines(), new_text.splitlines()
    rows.append(("5. `difflib.unified_diff` of the two texts (a line diff, for scale)",
                 timed(lambda: list(difflib.unified_diff(old_lines, new_lines)), repeats)[0], None, ""))

    parse_cpu = statistics.median(c for _, c in parse_times)
    fmt = bench_language.fmt_time
    print("| measurement | median | min | CPU median | / parse | goal | met? | repeats / note |")
    print("|---|---:|---:|---:|---:|---:|:---:|---|")
    for label, times, goal, note in rows:
        wall = [w for w, _ in times]
        med, lo, cpu = statistics.median(wall), min(wall), statistics.median(c for _, c in times)
        met = "" if goal is None else ("yes" if med <= goal else f"**no** ({med / goal:.1f}x)")
        rep = f"n={len(times)}" + (f"; {note}" if note else "")
        print(f"| {label} | {fmt(med)} | {fmt(lo)} | {fmt(cpu)} | {cpu / parse_cpu:.2f} | "
              f"{'—' if goal is None else '<= ' + fmt(goal)} | {met} | {rep} |")
    print()
    print(f"Python {platform.python_version()}, numpy {numpy.__version__}, "
          f"lark {bench_language._version('lark')}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; {'--quick' if args.quick else 'full'} run")


if __name__ == "__main__":
    main()
