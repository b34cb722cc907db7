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

Language server rows (6-10; need the lsp extra, ``pip install -e '.[lsp]'``): ``python -m spacedsl
lsp`` runs as a real subprocess and a pygls client talks to it over stdio, as an editor does. One
edit is one ``textDocument/didChange`` (an incremental change, as editors send them); its time runs
from sending it to receiving the ``textDocument/publishDiagnostics`` that carries the new version
(the check diagnostics; lint warnings follow after a pause in typing, row 10). Each edit is undone
right after (untimed), so every edit starts from the original file. Kinds of edit, each at
``--edits`` places spread over the file (default 20, ``--quick`` 5):

6. in a line, the file stays valid: the last digit of a distribution's upper bound changes
   (``uniform(0.5, 3.0)`` to ``uniform(0.5, 3.1)``) -- most keystrokes. Goal: median <= 100 ms;
7. in a line, the file breaks: a ``)`` typed after a statement (a syntax error to report);
8. a new line: an empty line inserted (moves every statement below it);
6b, 6c. the server's own work for row 6's edits, in this process, in CPU time (steadier on a busy
   machine): the whole analysis, and the semantic checks alone;
9. opening the file (the first diagnostics);
10. from an edit to the publication that adds the lint warnings (0.3 s of quiet, then lint).
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import gc
import os
import platform
import re
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


# ------------------------------------------------------------------ the language server
def _edits(text, kind, n):
    """``n`` edits of one kind at places spread over the file, each with the change undoing it:
    ``[(edit, undo)]``, a change being ``((line, column, end line, end column), new text)``."""
    lines = text.split("\n")
    number = re.compile(r"(?<=[ (,])[0-9]+(?:\.[0-9]+)?(?=[,)])")
    spots = [k for k, line in enumerate(lines) if "~" in line and number.search(line)]
    out = []
    for k in (spots[(i * len(spots)) // n] for i in range(n)):
        line = lines[k]
        if kind == "valid":
            col = list(number.finditer(line))[-1].end() - 1  # the upper bound's last digit: never an error
            digit = line[col]
            new = "8" if digit == "9" else str(int(digit) + 1)
            out.append((((k, col, k, col + 1), new), ((k, col, k, col + 1), digit)))
        elif kind == "broken":
            end = len(line)
            out.append((((k, end, k, end), ")"), ((k, end, k, end + 1), "")))
        else:
            out.append((((k, 0, k, 0), "\n"), ((k, 0, k + 1, 0), "")))
    return out


async def _lsp_session(text, kinds, n):
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("bench-tooling", "1")
    arrived = {}  # version -> [(time, diagnostics)]
    wake = asyncio.Event()

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _published(params):
        arrived.setdefault(params.version, []).append((time.perf_counter(), params.diagnostics))
        wake.set()

    async def wait(version, count=1, timeout=60.0):
        deadline = time.perf_counter() + timeout
        while len(arrived.get(version, ())) < count:
            wake.clear()
            await asyncio.wait_for(wake.wait(), max(deadline - time.perf_counter(), 0.001))
        return arrived[version][count - 1]

    uri = "file:///bench/big.space"
    version = 1

    def send(change):
        nonlocal version
        version += 1
        (a, b, c, d), piece = change
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=types.Position(line=a, character=b), end=types.Position(line=c, character=d)),
                text=piece)]))
        return version

    def errors(diags):
        return [d for d in diags if d.severity == types.DiagnosticSeverity.Error]

    await client.start_io(sys.executable, "-m", "spacedsl", "lsp")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    results = {}
    t0 = time.perf_counter()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="spacedsl", version=1, text=text)))
    t1, diags = await wait(1)
    assert not errors(diags), diags
    results["open"] = [t1 - t0]
    for kind in kinds:
        times = []
        for edit, undo in _edits(text, kind, n):
            t0 = time.perf_counter()
            t1, diags = await wait(send(edit))
            times.append(t1 - t0)
            assert bool(errors(diags)) == (kind == "broken"), (kind, diags)
            await wait(send(undo))  # untimed: every edit starts from the original file
        results[kind] = times
    # lint warnings: from an edit to the second publication of its version, which adds them
    edit, undo = _edits(text, "valid", 1)[0]
    t0 = time.perf_counter()
    v = send(edit)
    try:
        t1, _ = await wait(v, count=2, timeout=10.0)
        results["lint"] = [t1 - t0]
    except asyncio.TimeoutError:
        results["lint"] = None  # a spacedsl without the lint module publishes once
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return results


def _apply(text, change):
    (a, b, c, d), piece = change
    starts = [0]
    for line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    return text[:starts[a] + b] + piece + text[starts[c] + d:]


def in_process(text, n):
    """CPU seconds of the server's own work for row 6's edits, in this process: the whole analysis
    (`Document` with its `StatementCache`), and the semantic checks alone (`Space.from_statements`)."""
    import spacedsl
    from spacedsl.tooling.analysis import Document
    from spacedsl.tooling.incremental import StatementCache

    cache = StatementCache()
    Document(text, cache=cache)
    whole, checks = [], []
    for edit, undo in _edits(text, "valid", n):
        edited = _apply(text, edit)
        gc.collect()
        c0 = time.process_time()
        Document(edited, cache=cache)
        whole.append(time.process_time() - c0)
        statements, source = cache.parse(edited)
        c0 = time.process_time()
        spacedsl.Space.from_statements(statements, source)
        checks.append(time.process_time() - c0)
        Document(text, cache=cache)
    return whole, checks


def lsp_rows(text, n):
    """Rows 6-10: ``(label, seconds, goal or None, note)``."""
    results = asyncio.run(_lsp_session(text, ("valid", "broken", "newline"), n))
    whole, checks = in_process(text, n)
    rows = [
        ("6. `spacedsl lsp`: diagnostics after an edit in a line (the file stays valid)",
         results["valid"], 0.100, f"{n} edits"),
        ("7. same, an edit that leaves a syntax error", results["broken"], None,
         f"{n} edits; the error path parses the whole file"),
        ("8. same, a new line (every statement below it moves)", results["newline"], None,
         f"{n} edits; the trees below are shifted, not parsed"),
        ("9. same, opening the file (first diagnostics)", results["open"], None, "one open"),
        ("6b. row 6's edits in process, CPU time: the server's analysis (incremental parse, checks, index)",
         whole, None, f"{n} edits"),
        ("6c. of which the semantic checks (`Space.from_statements`, all 1,000 parameters)", checks, None,
         f"{n} edits"),
    ]
    if results.get("lint"):
        rows.append(("10. same, lint warnings after an edit (0.3 s of quiet, then lint)", results["lint"],
                     None, "one edit"))
    return rows


def print_lsp_table(rows):
    fmt = bench_language.fmt_time
    print("| measurement | median | min | max | goal | met? | note |")
    print("|---|---:|---:|---:|---:|:---:|---|")
    for label, times, goal, note in rows:
        med = statistics.median(times)
        met = "" if goal is None else ("yes" if med <= goal else f"**no** ({med / goal:.1f}x)")
        print(f"| {label} | {fmt(med)} | {fmt(min(times))} | {fmt(max(times))} | "
              f"{'—' if goal is None else '<= ' + fmt(goal)} | {met} | {note} |")



def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--edits", type=int, default=None, help="edits of each kind in rows 6-8 (default 20; quick 5)")
    ap.add_argument("--no-lsp", action="store_true", help="skip the language server rows")
    ap.add_argument("--lsp-only", action="store_true", help="only row 1 (the reference) and the language server rows")
    args = ap.parse_args(argv)
    repeats = 5 if args.quick else 15
    edits = args.edits or (5 if args.quick else 20)
    load = os.getloadavg()[0]

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

    if not args.lsp_only:
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
    if not args.no_lsp:
        try:
            import pygls  # noqa: F401
        except ImportError:
            print("Rows 6-10 skipped: the language server needs pygls (pip install -e '.[lsp]').")
        else:
            print_lsp_table(lsp_rows(old_text, edits))
        print()
    print(f"Python {platform.python_version()}, numpy {numpy.__version__}, "
          f"lark {bench_language._version('lark')}, pygls {bench_language._version('pygls')}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f} before the run, "
          f"{os.getloadavg()[0]:.1f} after; {'--quick' if args.quick else 'full'} run")


if __name__ == "__main__":
    main()
