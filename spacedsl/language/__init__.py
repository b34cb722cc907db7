"""The language: text to syntax tree and back. Imports nothing else of spacedsl.

`lexer` and `parser` (with the grammar, ``grammars/spacedsl.lark``) turn text into the frozen
attrs tree of `ast`; `errors` holds the compiler-style errors; `printer` writes the canonical
text (`dumps`) and `fmt` the same with the comments kept.
"""
