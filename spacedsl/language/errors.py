"""Errors in space files, reported like a compiler's."""

from __future__ import annotations

import difflib


class DSLError(ValueError):
    """An error in a space file.

    Attributes:
        message: What is wrong and what to do.
        filename: The file (``"<string>"`` for text).
        line: 1-based line, or None when the error has no place.
        column: 1-based column, or None.
        source_line: The text of that line, shown with a caret.
    """

    def __init__(self, message, filename="<string>", line=None, column=None, source_line=None):
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.source_line = source_line

    def __str__(self):
        if self.line is None:
            return f"{self.filename}: {self.message}"
        head = f"{self.filename}:{self.line}:{self.column}: {self.message}"
        if self.source_line is None:
            return head
        # one printable character per source character, so the caret stays aligned
        text = "".join(ch if ch.isprintable() else "\ufffd" for ch in self.source_line.replace("\t", " "))
        if len(text) > 200:  # keep the caret's neighbourhood of very long lines
            start = max(0, self.column - 100)
            text = text[start:start + 200]
            col = self.column - start
        else:
            col = self.column
        return f"{head}\n    {text}\n    {' ' * (col - 1)}^"

    def __reduce__(self):
        return (type(self), (self.message, self.filename, self.line, self.column, self.source_line))

    # The message says everything: the parser's internal exception that a DSLError replaces
    # (``raise ... from None``) is not part of it. Hiding it also keeps the error picklable when
    # tblib's pickling support is installed (``import distributed`` does that), which pickles
    # ``__context__`` too, and the parser's internals do not pickle.
    @property
    def __context__(self):
        return None

    @__context__.setter
    def __context__(self, value):
        pass


class DSLSyntaxError(DSLError):
    """The text does not follow the grammar."""


class DSLSemanticError(DSLError):
    """The text parses but says something impossible or inconsistent."""


def did_you_mean(name, known):
    """Return ``"; did you mean 'x'?"`` for the closest known name, or ``""``."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""
