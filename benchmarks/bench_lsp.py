"""Benchmarks of the language server for .space files (issue 13; lint and diff: bench_tooling.py).

Run from the repository root (needs the lsp extra: ``pip install -e '.[lsp]'``):

    python benchmarks/bench_lsp.py            # 20 edits of each kind
    python benchmarks/bench_lsp.py --quick    # 5

It prints a Markdown table (median, min and max, the goal, whether the median meets it), then
the versions and the load average. Every file is the 1,000-parameter space of
``bench_language.py`` (its generator, imported).

Language server rows: ``python -m spacedsl lsp`` runs as a real subprocess and a pygls client
talks to it over stdio, as an editor does. One edit is one ``textDocument/didChange`` (an
incremental change, as editors send them); its time runs from sending it to receiving the
``textDocument/publishDiagnostics`` that carries the new version (the check diagnostics; lint
warnings follow after a pause in typing and are timed on their own row). Kinds of edit, each
at 20 places spread over the file:

* in a line, the file stays valid: a digit of a number changes (``uniform(0.5, 3.0)`` to
  ``uniform(0.5, 3.1)``) -- most keystrokes;
* in a line, the file breaks: a ``)`` typed after the statement (a syntax error to report);
* a new line: an empty line inserted (moves every statement below it).

Rows are functions ``rows_*(args) -> list of rows`` listed in ``ROWS``; a row is
``(label, seconds per repeat, goal seconds or None, note)``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import os
import platform
import re
import statistics
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (_ROOT, os.path.join(_ROOT, "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from bench_language import fmt_time, make_big_space, to_spacedsl  # noqa: E402


def big_text():
    """The 1,000-parameter space of bench_language.py, as text."""
    return to_spacedsl(make_big_space(1000, seed=0))


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


def rows_lsp(args):
    n = 5 if args.quick else 20
    results = asyncio.run(_lsp_session(big_text(), ("valid", "broken", "newline"), n))
    rows = [
        ("`spacedsl lsp`: diagnostics after an edit in a line (the file stays valid)",
         results["valid"], 0.100, f"median of {n} edits"),
        ("same, an edit that leaves a syntax error", results["broken"], None,
         f"{n} edits; the error path parses the whole file"),
        ("same, a new line (every statement below it moves)", results["newline"], None,
         f"{n} edits; one full parse"),
        ("same, opening the file (first diagnostics)", results["open"], None, "one open"),
    ]
    if results.get("lint"):
        rows.append(("same, lint warnings after an edit (a 0.3 s pause in typing, then lint)", results["lint"],
                     None, "one edit"))
    return rows


ROWS = [rows_lsp]


# ------------------------------------------------------------------------------ report
def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="5 edits of each kind instead of 20")
    args = ap.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = [row for make in ROWS for row in make(args)]
    print("| measurement | median | min | max | goal | met? | note |")
    print("|---|---:|---:|---:|---:|:---:|---|")
    for label, times, goal, note in rows:
        med = statistics.median(times)
        met = "" if goal is None else ("yes" if med <= goal else "**no**")
        print(f"| {label} | {fmt_time(med)} | {fmt_time(min(times))} | {fmt_time(max(times))} | "
              f"{fmt_time(goal) if goal else '—'} | {met} | {note} |")
    print()
    print(f"Python {platform.python_version()}, pygls {_version('pygls')}, lark {_version('lark')}, "
          f"numpy {_version('numpy')}; load average before the run {load:.2f}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
