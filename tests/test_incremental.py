"""The language server's incremental parse (spacedsl/tooling/incremental.py): after any edit it
returns exactly what `parse_statements` returns -- the same statements at the same
positions, or the same error -- while parsing only the chunks the edit touched."""

from __future__ import annotations


import attrs
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

from siblings import sibling  # noqa: E402  (tests/ is on sys.path)
import spacedsl
from spacedsl.language.parser import parse_statements
from spacedsl.tooling.incremental import StatementCache, chunks





_fuzz = sibling("tests/test_fuzz.py")
SETTINGS = settings(_fuzz.SETTINGS, max_examples=max(_fuzz.EXAMPLES // 3, 1))


def positions(node):
    """Every source position in a syntax tree, in order (they are not part of equality)."""
    out = []
    if isinstance(node, tuple):
        for child in node:
            out += positions(child)
    elif attrs.has(type(node)):
        for field in attrs.fields(type(node)):
            value = getattr(node, field.name)
            if field.name in ("pos", "name_pos", "else_end"):
                out.append(value)
            else:
                out += positions(value)
    return out


def outcome(parse, text):
    try:
        statements, _ = parse(text, "f.space")
    except spacedsl.DSLError as exc:
        return str(exc)
    return statements, positions(statements)


def same_as_parse(cache, text):
    assert outcome(cache.parse, text) == outcome(parse_statements, text)


@SETTINGS
@given(st.one_of(_fuzz.space_texts(), st.sampled_from(_fuzz.SEEDS)), st.data())
def test_edits_give_what_a_full_parse_gives(text, data):
    cache = StatementCache()
    same_as_parse(cache, text)
    for _ in range(3):  # a few edits of one line, as typing makes them (and sometimes a mutant)
        lines = text.split("\n")
        k = data.draw(st.integers(0, len(lines) - 1))
        line = lines[k]
        i = data.draw(st.integers(0, len(line)))
        piece = data.draw(st.sampled_from([" ", "1", "x", "]", "[", "{", "}", "#", "'", "", "\n", "== 2"]))
        lines[k] = line[:i] + piece + line[i + data.draw(st.integers(0, 2)):]
        text = "\n".join(lines) if data.draw(st.booleans()) else data.draw(_fuzz.mutants())
        note(repr(text))
        same_as_parse(cache, text)


def test_an_edit_inside_a_line_parses_one_chunk():
    bench = sibling("benchmarks/bench_language.py")
    text = bench.to_spacedsl(bench.make_big_space())
    cache = StatementCache()
    cache.parse(text)
    assert cache.reparsed is None  # the first parse is a full one
    lines = text.split("\n")
    k = next(i for i, line in enumerate(lines) if "(" in line and i > 700)
    lines[k] = lines[k].replace("(", "( ", 1)
    edited = "\n".join(lines)
    statements, _ = cache.parse(edited)
    assert cache.reparsed == 1
    assert (statements, positions(statements)) == outcome(parse_statements, edited)
    moved = "\n" + edited  # a line added at the top: the first chunk changes, every other one moves
    statements, _ = cache.parse(moved)
    assert cache.reparsed == 1
    assert (statements, positions(statements)) == outcome(parse_statements, moved)


@pytest.mark.parametrize("text", ["", "x = 1", "# only a comment", "a in [1,\n2]\n\n# c\nif a == 1 {\n b = 2\n}\n"])
def test_chunks_cover_the_text(text):
    parts = chunks(text)
    assert "".join(chunk for _, chunk in parts) == text
    assert [first for first, _ in parts] == [1 + "".join(c for _, c in parts[:i]).count("\n") for i in range(len(parts))]
