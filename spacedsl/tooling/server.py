"""The language server behind ``spacedsl lsp`` (pygls): the features, on top of `analysis`.

It underlines what ``spacedsl check`` reports (the same message, at the same place) as you type,
then the ``spacedsl lint`` warnings once typing pauses; formats a file as ``spacedsl fmt`` does;
shows a parameter's domain, its distribution's median and 5-95 % range and when it is active on
hover; completes distribution names after ``~`` and their keyword arguments inside ``(...)``,
and parameter names in conditions; jumps from a name in a condition to its declaration and lists
every condition that names a parameter. The analysis itself is `spacedsl.tooling.analysis`.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

import spacedsl
from spacedsl.space import format_text
from spacedsl.tooling.analysis import Diagnostic, Document, Span
from spacedsl.tooling.incremental import StatementCache

from spacedsl.tooling.lint import lint_text

LINT_DELAY = 0.3  # seconds of quiet after an edit before the (slower) lint runs
_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
             "info": types.DiagnosticSeverity.Information}
_KIND = {"distribution": types.CompletionItemKind.Function, "argument": types.CompletionItemKind.Property,
         "parameter": types.CompletionItemKind.Variable, "keyword": types.CompletionItemKind.Keyword}


# ---------------------------------------------------------------------- server
def build_server():
    """A pygls `LanguageServer` with every feature registered (call ``start_io()`` on it)."""
    server = LanguageServer("spacedsl", spacedsl.__version__,
                            text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
    server.documents = {}  # uri -> Document of the text last seen
    server.caches = {}  # uri -> StatementCache: an edit parses only the statements it touched
    server.lint_tasks = {}  # uri -> the pending lint of that document

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls, params):
        _refresh(ls, params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls, params):
        _refresh(ls, params.text_document.uri, delay=LINT_DELAY)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls, params):
        _refresh(ls, params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params):
        uri = params.text_document.uri
        ls.documents.pop(uri, None)
        ls.caches.pop(uri, None)
        task = ls.lint_tasks.pop(uri, None)
        if task is not None:
            task.cancel()
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls, params):
        doc = _document(ls, params.text_document.uri)
        try:
            text = format_text(doc.text, doc.filename)
        except spacedsl.DSLError:
            return None  # the diagnostics already say why
        if text == doc.text:
            return []
        whole = Span(0, 0, len(doc.lines) - 1, len(doc.lines[-1]))
        return [types.TextEdit(range=_range(ls, doc, whole), new_text=text)]

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls, params):
        doc = _document(ls, params.text_document.uri)
        found = doc.hover(*_position(ls, doc, params.position))
        if found is None:
            return None
        text, span = found
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
                           range=_range(ls, doc, span))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION,
                    types.CompletionOptions(trigger_characters=["~", "(", ",", ".", " "]))
    def completion(ls, params):
        doc = _document(ls, params.text_document.uri)
        items = [types.CompletionItem(label=c.label, kind=_KIND[c.kind], detail=c.detail or None,
                                      insert_text=c.insert)
                 for c in doc.completions(*_position(ls, doc, params.position))]
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls, params):
        doc = _document(ls, params.text_document.uri)
        span = doc.definition(*_position(ls, doc, params.position))
        if span is None:
            return None
        return types.Location(uri=params.text_document.uri, range=_range(ls, doc, span))

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls, params):
        doc = _document(ls, params.text_document.uri)
        spans = doc.references_to(*_position(ls, doc, params.position),
                                  include_declaration=params.context.include_declaration)
        return [types.Location(uri=params.text_document.uri, range=_range(ls, doc, s)) for s in spans]

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls, params):
        doc = _document(ls, params.text_document.uri)
        kinds = {"Constant": types.SymbolKind.Constant}
        out = []
        for symbol in doc.symbols.values():
            r = _range(ls, doc, symbol.span)
            kind = kinds.get(type(symbol.statement).__name__, types.SymbolKind.Variable)
            out.append(types.DocumentSymbol(name=symbol.name, kind=kind, range=r, selection_range=r))
        return out

    return server


# ------------------------------------------------------------------ internals
def _document(ls, uri):
    """The analysed document for the client's current text (re-analysed only when it changed)."""
    text = ls.workspace.get_text_document(uri).source
    doc = ls.documents.get(uri)
    if doc is None or doc.text != text:
        path = to_fs_path(uri) or uri
        cache = ls.caches.setdefault(uri, StatementCache())
        doc = ls.documents[uri] = Document(text, path, cache=cache)
    return doc


def _refresh(ls, uri, delay):
    """Publish what `spacedsl check` says now, and lint warnings after ``delay`` seconds of quiet."""
    doc = _document(ls, uri)
    _publish(ls, uri, doc, doc.diagnostics())
    pending = ls.lint_tasks.pop(uri, None)
    if pending is not None:
        pending.cancel()
    if doc.error is None:
        ls.lint_tasks[uri] = asyncio.get_running_loop().create_task(_lint_later(ls, uri, doc, delay))


async def _lint_later(ls, uri, doc, delay):
    await asyncio.sleep(delay)
    try:
        findings = await asyncio.to_thread(lint_text, doc.text, doc.filename)
    except Exception as exc:  # a bug in lint must not take the check diagnostics down with it
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Error,
                                                     message=f"spacedsl lint failed: {type(exc).__name__}: {exc}"))
        return
    if ls.documents.get(uri) is not doc:
        return  # edited meanwhile: that edit's own lint will publish
    extra = [Diagnostic(Span(f.line - 1, f.column - 1, f.end_line - 1, f.end_column - 1), f.severity,
                        f"{f.message}\nfix: {f.fix}" if f.fix else f.message, f.code)
             for f in findings if f.severity != "error"]  # errors are check's, published already
    _publish(ls, uri, doc, doc.diagnostics() + extra)


def _publish(ls, uri, doc, diagnostics):
    items = [types.Diagnostic(range=_range(ls, doc, d.span), message=d.message, severity=_SEVERITY[d.severity],
                              code=d.code, source="spacedsl") for d in diagnostics]
    version = ls.workspace.get_text_document(uri).version
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version))


def _range(ls, doc, span):
    """A `Span` (characters) as an LSP range (in the code units the client counts)."""
    codec = ls.workspace.position_codec
    return types.Range(
        start=codec.position_to_client_units(doc.lines, types.Position(line=span.line, character=span.column)),
        end=codec.position_to_client_units(doc.lines, types.Position(line=span.end_line, character=span.end_column)))


def _position(ls, doc, position):
    """An LSP position as (line, character column) in the document's text."""
    p = ls.workspace.position_codec.position_from_client_units(
        doc.lines, types.Position(line=position.line, character=position.character))
    return p.line, p.character
