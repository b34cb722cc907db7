"""``spacedsl lsp`` end to end (issue 13): a real LSP client (pytest-lsp) talks to
``python -m spacedsl lsp`` over stdio, as VS Code would."""

from __future__ import annotations

import asyncio
import contextlib
import io
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from spacedsl.cli import main as cli_main  # noqa: E402
from spacedsl.space import format_text  # noqa: E402
from spacedsl.tooling.lint import lint_text  # noqa: E402

aio = pytest.mark.asyncio(loop_scope="module")  # every async test talks to one server

SVM = textwrap.dedent("""\
    kernel in ["linear", "rbf", "poly"]
    C ~ loguniform(0.001, 1000) = 1.0
    if kernel == "poly" {
        degree in 2..5
    }
    if kernel in ["rbf", "poly"] {
        gamma: float ~ loguniform(1e-5, 1)
    }
    where kernel != "poly" or C <= 100
    """)
BROKEN = "x in [1, 2]\nC ~ loguniform(0, 10)\n"


class _Publications(dict):
    """``client.diagnostics`` that also keeps every publication, per document, in order."""

    def __init__(self):
        super().__init__()
        self.log = {}

    def __setitem__(self, uri, diagnostics):
        super().__setitem__(uri, diagnostics)
        self.log.setdefault(uri, []).append(diagnostics)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=[sys.executable, "-m", "spacedsl", "lsp"]))
async def client(lsp_client: LanguageClient):
    lsp_client.diagnostics = _Publications()
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities("visual-studio-code")))
    yield
    await lsp_client.shutdown_session()


_counter = iter(range(10**6))


async def published(client, uri, start=0, where=lambda diags: True, timeout=20.0):
    """The first diagnostics published for ``uri`` (from the ``start``-th on) that satisfy ``where``."""
    for _ in range(int(timeout / 0.01)):
        for diags in client.diagnostics.log.get(uri, [])[start:]:
            if where(diags):
                return diags
        await asyncio.sleep(0.01)
    raise AssertionError(f"no such diagnostics for {uri}: {client.diagnostics.log.get(uri)}")


def errors(diags):
    """The errors (what check says); lint adds warnings after them."""
    return [d for d in diags if d.severity == types.DiagnosticSeverity.Error]


async def open_doc(client, text):
    uri = f"file:///tmp/lsp-test-{next(_counter)}.space"
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="spacedsl", version=1, text=text)))
    return uri, await published(client, uri)


def check_output(tmp_path, text):
    """What ``spacedsl check`` prints for the text: (line, column, message)."""
    path = tmp_path / "f.space"
    path.write_text(text)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert cli_main(["check", str(path)]) == 1
    first = err.getvalue().splitlines()[0]
    _, line, column, message = first.split(":", 3)
    return int(line), int(column), message.strip()


@aio
async def test_diagnostics_are_what_check_says(client: LanguageClient, tmp_path):
    uri, diags = await open_doc(client, BROKEN)
    line, column, message = check_output(tmp_path, BROKEN)
    (d,) = diags
    assert d.message == message == "loguniform needs 0 < low, got low=0"
    assert d.severity == types.DiagnosticSeverity.Error and d.source == "spacedsl"
    assert (d.range.start.line, d.range.start.character) == (line - 1, column - 1)
    assert (d.range.end.line, d.range.end.character) == (line - 1, column)  # the token `0`

    # an edit that fixes it clears the error; one that breaks the syntax says where
    seen = len(client.diagnostics.log[uri])
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=1, character=15), end=types.Position(line=1, character=16)),
            text="0.01")]))
    await published(client, uri, seen, where=lambda diags: not errors(diags))
    seen = len(client.diagnostics.log[uri])
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="x in [1, 2\ny = 3\n")]))
    diags = await published(client, uri, seen, where=errors)
    line, column, message = check_output(tmp_path, "x in [1, 2\ny = 3\n")
    assert [(d.message, d.range.start.line, d.range.start.character) for d in diags] == [(message, line - 1, column - 1)]


@aio
async def test_lint_warnings_follow(client: LanguageClient):
    text = "x in [1]\ny ~ uniform(0, 1)\nif y > 2 { z = 1 }\n"
    uri, first = await open_doc(client, text)
    assert not first  # check finds nothing; lint's warnings come in a second publication
    diags = await published(client, uri, 1, where=lambda diags: len(diags) > 0)
    expected = [f for f in lint_text(text, "f.space") if f.severity != "error"]
    assert [(d.code, d.severity, d.range.start.line, d.range.start.character) for d in diags] == \
        [(f.code, types.DiagnosticSeverity.Warning, f.line - 1, f.column - 1) for f in expected]
    assert {d.code for d in diags} == {"S105", "S101"}
    assert diags[0].message == f"{expected[0].message}\nfix: {expected[0].fix}"


@aio
async def test_positions_count_utf16_code_units(client: LanguageClient, tmp_path):
    text = 's in ["\U0001f600", "b"] = "c"\n'  # the default is outside the domain
    _, diags = await open_doc(client, text)
    line, column, message = check_output(tmp_path, text)
    (d,) = diags
    assert d.message == message
    assert d.range.start.character == column - 1 + 1  # the emoji is one character, two UTF-16 units


@aio
async def test_formatting_is_fmt(client: LanguageClient):
    ugly = "kernel in ['a','b']   # which\nif kernel=='a' {\nC~uniform(0,1)\n}\n"
    uri, _ = await open_doc(client, ugly)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        options=types.FormattingOptions(tab_size=4, insert_spaces=True)))
    (edit,) = edits
    assert edit.new_text == format_text(ugly) == 'kernel in ["a", "b"]  # which\nif kernel == "a" {\n    C ~ uniform(0, 1)\n}\n'
    assert (edit.range.start.line, edit.range.start.character) == (0, 0)
    assert (edit.range.end.line, edit.range.end.character) == (4, 0)
    uri, _ = await open_doc(client, BROKEN)
    assert await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        options=types.FormattingOptions(tab_size=4, insert_spaces=True))) is None


async def hover(client, uri, line, character):
    return await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)))


@aio
async def test_hover(client: LanguageClient):
    uri, _ = await open_doc(client, SVM)
    h = await hover(client, uri, 1, 0)  # C
    text = h.contents.value
    assert "C ~ loguniform(0.001, 1000) = 1.0" in text
    # loguniform(0.001, 1000): the median is 1, 5 % and 95 % are 10^(-3 + 6 * q)
    assert "median 1; 5-95 %: 0.001995 .. 501.2" in text and "always active" in text
    assert (h.range.start.line, h.range.start.character, h.range.end.character) == (1, 0, 1)

    text = (await hover(client, uri, 3, 5)).contents.value  # degree
    assert "degree in 2..5" in text and "4 values" in text and 'active when `kernel == "poly"`' in text
    text = (await hover(client, uri, 8, 26)).contents.value  # C, named in the where
    assert "median 1" in text
    text = (await hover(client, uri, 6, 8)).contents.value  # gamma: float ~ ...
    assert "gamma: float ~ loguniform(1e-05, 1)" in text and 'active when `kernel in ["rbf", "poly"]`' in text
    text = (await hover(client, uri, 1, 8)).contents.value  # the distribution's name
    assert "loguniform(low, high, step=none)" in text
    assert await hover(client, uri, 0, 20) is None  # inside a string


async def complete(client, text, line, character):
    uri, _ = await open_doc(client, text)
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=line, character=character)))
    return {item.label: item for item in result.items}


@aio
async def test_completion(client: LanguageClient):
    items = await complete(client, "x in [1, 2]\ny ~ lo", 1, 6)
    assert set(items) == {"loguniform", "lognormal"}
    assert items["loguniform"].kind == types.CompletionItemKind.Function
    assert items["loguniform"].detail == "(low, high, step=none)"
    items = await complete(client, "y ~ ", 0, 4)
    assert {"uniform", "loguniform", "randint", "normal", "norm", "lognormal", "expon", "scipy."} <= set(items)
    items = await complete(client, "y ~ scipy.gam", 0, 13)
    assert "scipy.gamma" in items and items["scipy.gamma"].detail == "(a, loc=0, scale=1)"
    items = await complete(client, "y ~ uniform(0, 1, ", 0, 18)
    assert set(items) == {"low", "high", "step"} and items["step"].insert_text == "step="
    items = await complete(client, "y ~ expon(scale=2,\n    ", 1, 4)
    assert set(items) == {"loc"}  # what is given already is not offered again
    items = await complete(client, "a in [1, 2]\nb ~ uniform(0, 1)\nif ", 2, 3)
    assert {"a", "b", "and", "not"} <= set(items) and items["a"].kind == types.CompletionItemKind.Variable


@aio
async def test_definition_and_references(client: LanguageClient):
    uri, _ = await open_doc(client, SVM)
    ident = types.TextDocumentIdentifier(uri=uri)
    loc = await client.text_document_definition_async(types.DefinitionParams(
        text_document=ident, position=types.Position(line=5, character=5)))  # kernel in the second if
    assert loc.uri == uri and (loc.range.start.line, loc.range.start.character, loc.range.end.character) == (0, 0, 6)
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=ident, position=types.Position(line=0, character=2),
        context=types.ReferenceContext(include_declaration=True)))
    assert [(r.range.start.line, r.range.start.character) for r in refs] == [(0, 0), (2, 3), (5, 3), (8, 6)]
    refs = await client.text_document_references_async(types.ReferenceParams(
        text_document=ident, position=types.Position(line=8, character=27),
        context=types.ReferenceContext(include_declaration=False)))
    assert [(r.range.start.line, r.range.start.character) for r in refs] == [(8, 26)]
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=ident))
    assert [s.name for s in symbols] == ["kernel", "C", "degree", "gamma"]


def test_missing_pygls_names_the_extra():
    code = ("import sys\n"
            "for name in ('pygls', 'pygls.lsp', 'pygls.lsp.server', 'lsprotocol'): sys.modules[name] = None\n"
            "from spacedsl.cli import main\n"
            "sys.exit(main(['lsp']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "pip install 'spacedsl[lsp]'" in proc.stderr, proc.stderr


def test_the_command_line_does_not_import_pygls():
    code = "import sys\nfrom spacedsl.cli import main\nmain(['check', '-q', '-'])\nprint('pygls' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], input="x in [1]\n", capture_output=True, text=True,
                          timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr

