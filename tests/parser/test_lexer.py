"""The lexer's tokens: what each piece of text becomes, and where it is."""

from __future__ import annotations

from shift_search.parser.lexer import tokenize


def kinds(text: str, comments: bool = False) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in tokenize(text, comments)][:-1]  # without END


def test_words_are_keywords_or_names_whole() -> None:
    assert kinds("select Name ORDERBY limit5 ſelect") == [
        ("SELECT", "select"),
        ("NAME", "Name"),
        ("NAME", "ORDERBY"),
        ("NAME", "limit5"),
        ("SELECT", "ſelect"),  # `re` folds ſ to s, as the grammar's terminals did
    ]


def test_numbers_whole_numbers_and_junk() -> None:
    assert kinds("7 7.5 10M 2e-5 5. 1.5e 10KB .x") == [
        ("INT", "7"),
        ("NUMBER", "7.5"),
        ("NUMBER", "10M"),
        ("NUMBER", "2e-5"),
        ("NUMBER", "5"),  # `5` then `.`: no whole number (an index needs one)
        ("JUNK", "."),
        ("NUMBER", "1"),
        ("JUNK", ".5e"),
        ("JUNK", "10KB"),
        ("JUNK", ".x"),
    ]


def test_strings_comments_and_odd_characters() -> None:
    assert kinds("'a\\'b' \"open; -x --c\n# d\n`q`\x0b?", comments=True) == [
        ("STRING", "'a\\'b'"),
        ("BADSTRING", '"open; -x --c'),  # to the end of the line, `;` and `--` included
        ("COMMENT", "# d"),
        ("STRING", "`q`"),
        ("SPACE", "\x0b"),
        ("CHAR", "?"),
    ]
    assert kinds("x-y--all a comment\n-3 == <> :=") == [
        ("NAME", "x"),
        ("MINUS", "-"),
        ("NAME", "y"),
        ("MINUS", "-"),
        ("INT", "3"),
        ("OP_EQEQ", "=="),
        ("OP_LTGT", "<>"),
        ("ASSIGN", ":="),
    ]


def test_positions_and_the_end() -> None:
    tokens = tokenize("PURGE;\n  SELECT\t*  -- c\n\n")
    assert [(t.kind, t.start, t.line, t.column) for t in tokens] == [
        ("PURGE", 0, 1, 1),
        ("SEMI", 5, 1, 6),
        ("SELECT", 9, 2, 3),
        ("STAR", 16, 2, 10),
        ("END", 23, 2, 17),  # just after the last non-blank character, the comment's
    ]
