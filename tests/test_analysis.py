"""What the language server asks of a file (spacedsl/tooling/analysis.py), without the protocol:
any text, valid or not, and any position give an answer, never an exception; on valid text the
answers agree with the space."""

from __future__ import annotations


from hypothesis import given, note, settings
from hypothesis import strategies as st

from siblings import sibling  # noqa: E402  (tests/ is on sys.path)
import spacedsl
from spacedsl.tooling.analysis import Document
from spacedsl.tooling.incremental import StatementCache





_fuzz = sibling("tests/test_fuzz.py")
SETTINGS = settings(_fuzz.SETTINGS, max_examples=max(_fuzz.EXAMPLES // 4, 1))


def ask_everything(doc, line, column):
    doc.diagnostics()
    doc.hover(line, column)
    doc.completions(line, column)
    doc.definition(line, column)
    doc.references_to(line, column)


@SETTINGS
@given(_fuzz.mutants(), st.data())
def test_any_text_and_position_answer(text, data):
    note(repr(text))
    doc = Document(text, "f.space", cache=StatementCache())
    lines = text.split("\n")
    for _ in range(5):
        line = data.draw(st.integers(0, len(lines)))
        column = data.draw(st.integers(0, len(lines[line]) + 1 if line < len(lines) else 3))
        ask_everything(doc, line, column)
    try:
        spacedsl.parse(text, filename="f.space")
    except spacedsl.DSLError as exc:
        (d,) = doc.diagnostics()
        assert d.message == exc.message and d.severity == "error"
        if exc.line is not None and exc.line <= len(lines):
            assert (d.span.line, d.span.column) == (exc.line - 1, min(exc.column - 1, len(lines[exc.line - 1])))
    except Exception:  # a parser bug is test_fuzz's to find; the analysis must still have answered
        pass
    else:
        assert doc.diagnostics() == []


@SETTINGS
@given(_fuzz.space_texts())
def test_every_declared_name_is_found_where_it_is_written(text):
    space = spacedsl.parse(text)
    doc = Document(text)
    assert set(doc.symbols) == set(space.names) | set(space.constants)
    for name, symbol in doc.symbols.items():
        span = symbol.span
        written = doc.lines[span.line][span.column:span.end_column] if span.line == span.end_line else None
        assert written is None or written.replace(" ", "") == name
        assert doc.definition(span.line, span.column) == span
        hover = doc.hover(span.line, span.column)
        assert hover is not None and hover[1] == span
    for name, span in doc.references:
        assert doc.definition(span.line, span.column) == doc.symbols[name].span
