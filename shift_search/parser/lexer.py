"""SHiFT-QL's tokens: one pass over a whole script with one regular expression.

Words are keywords or names: a word's `kind` is its keyword (`SELECT`) when it spells one, else
`NAME`, and the parser reads a keyword as a name wherever the grammar takes a name but not that
keyword (keywords are contextual). Whitespace and comments (`#` or `--` to the end of the line)
separate tokens and are dropped unless asked for.

Nothing is refused here: a string without its closing quote (it runs to the end of its line, so
a `;` in it ends no statement), a word that starts like a number but is none (`1.5e`, `10KB`) and
any other character become tokens of their own (`BADSTRING`, `JUNK`, `CHAR`), which the parser
reports where it meets them. Tokens are what lark's lexer made of the same text for the grammar
this parser replaced (`shiftql.lark`), so errors quote the same text at the same places.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Token(NamedTuple):
    """One token: its kind, its text, where it starts (offset, 1-based line and column) and
    whether it is a word (a name, or a keyword that may be read as one)."""

    kind: str
    text: str
    start: int
    line: int
    column: int
    word: bool = False


# fmt: off
KEYWORDS = frozenset((
    "SELECT", "ALL", "FROM", "WHERE", "AS", "ORDER", "BY", "ASC", "DESC", "TRAINED", "TESTED",
    "ON", "TASK", "BENCHMARK", "CLASSIFIED", "LIMIT", "OTHER", "THAN", "CHUNK", "BUDGET", "AUTO",
    "WAIT", "AND", "OR", "NOT", "BETWEEN", "IN", "IS", "LIKE", "TRUE", "FALSE", "NULL", "UNION",
    "INTERSECT", "EXCEPT", "CHANGE", "TO", "DECLARE", "REGISTER", "DATASET", "MODEL", "VALUES",
    "EXPLAIN", "JSON", "ANALYZE", "FINETUNE", "WITH", "USING", "RANK", "USE", "PRINT", "PURGE",
    "DROP", "IF", "EXISTS", "GROUP",
))
# fmt: on
_KEYWORD_OF = {k.lower(): k for k in KEYWORDS}

SYMBOLS = {
    "==": "OP_EQEQ",
    ">=": "OP_GE",
    "<=": "OP_LE",
    "<>": "OP_LTGT",
    "!=": "OP_NE",
    ":=": "ASSIGN",
    "=": "OP_EQ",
    "<": "OP_LT",
    ">": "OP_GT",
    ",": "COMMA",
    "(": "LPAR",
    ")": "RPAR",
    "[": "LSQB",
    "]": "RSQB",
    "-": "MINUS",
    "*": "STAR",
    ";": "SEMI",
}

# Case-insensitive like the grammar's terminals (so `[a-z]` also takes the letters that fold to
# a-z, as lark's did). The order is lark's: numbers before the junk that a host:port would be.
_STRING = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\\n]|\\.)*`"""
_BAD_STRING = r""""(?:[^"\\\n]|\\.)*|'(?:[^'\\\n]|\\.)*|`(?:[^`\\\n]|\\.)*"""
NUMBER = r"(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:e[+-]?[0-9]+)?[kmb]?(?![a-z0-9_])"
NAME = r"[a-z_][a-z0-9_]*"
HOST_PORT = r"[a-z0-9_.\-]+(?::[0-9]+)?"
_PIECE = re.compile(
    rf"""
    ([\ \t\f\r\n]*)                          # the blanks before a token, and the token:
    (
      {NAME}                                  # a word
    | ==|>=|<=|<>|!=|:=|-(?!-)|[=<>,()\[\]*;] # a symbol
    | {_STRING}                               # a string
    | {NUMBER}                                # a number
    | (?:\#|--)[^\n]*                         # a comment
    | {_BAD_STRING}                           # a string without its end (it ends its line)
    | (?:[a-z0-9_.]|-(?!-))+(?::[0-9]+)?      # junk (what lark's lexer took for a host:port)
    | (?s:.)                                  # any other character
    |                                         # nothing: the end
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_NAME_ALL = re.compile(rf"{NAME}\Z", re.IGNORECASE)
_NUMBER_ALL = re.compile(rf"{NUMBER}\Z", re.IGNORECASE)
_HOST_PORT = re.compile(HOST_PORT, re.IGNORECASE)
_STRING_AT = re.compile(_STRING)
_GAP = re.compile(r"(?:[ \t\f\r\n]+|(?:#|--)[^\n]*)*")
_new = tuple.__new__  # builds a Token without the Python-level __new__ of NamedTuple

# What a token is, told by its first character (then checked where two kinds start alike).
_WORD, _SYMBOL, _QUOTE, _DIGIT, _HASH, _DASH = range(6)
_FIRST = {
    **dict.fromkeys("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_", _WORD),
    **dict.fromkeys("=<>!:,()[]*;", _SYMBOL),
    **dict.fromkeys("\"'`", _QUOTE),
    **dict.fromkeys("0123456789.", _DIGIT),
    "#": _HASH,
    "-": _DASH,
}


def tokenize(script: str, comments: bool = False) -> list[Token]:
    """The tokens of `script` in order, ended by an `END` token placed just after the script's
    last non-blank character (where "unexpected end of statement" points); with `comments`,
    `COMMENT` tokens too. (One `findall` cuts the script; the loop only names the pieces.)"""
    tokens: list[Token] = []
    append = tokens.append
    keyword_of = _KEYWORD_OF.get
    symbol = SYMBOLS.get
    first_of = _FIRST.get
    offset, line, line_start = 0, 1, 0
    for blanks, text in _PIECE.findall(script):
        if blanks:
            if "\n" in blanks:
                line += blanks.count("\n")
                line_start = offset + blanks.rindex("\n") + 1
            offset += len(blanks)
        if not text:
            break
        start = offset
        offset += len(text)
        column = start - line_start + 1
        first = first_of(text[0])
        if first == _WORD:
            keyword = keyword_of(text.lower()) if text.isascii() else _folded_keyword(text)
            append(_new(Token, (keyword or "NAME", text, start, line, column, True)))
        elif first == _QUOTE:
            kind = "STRING" if _closed(text) else "BADSTRING"
            append(_new(Token, (kind, text, start, line, column, False)))
        elif first == _SYMBOL:
            append(_new(Token, (symbol(text, "CHAR"), text, start, line, column, False)))
        elif first == _DIGIT:
            if _NUMBER_ALL.match(text):
                whole = text.isdigit() and script[offset : offset + 1] != "."
                kind = "INT" if whole else "NUMBER"
            else:
                kind = "JUNK"
            append(_new(Token, (kind, text, start, line, column, False)))
        elif first == _DASH and not text.startswith("--"):
            append(_new(Token, ("MINUS", text, start, line, column, False)))
        elif first in (_HASH, _DASH):
            if comments:
                append(_new(Token, ("COMMENT", text, start, line, column, False)))
        elif _NAME_ALL.match(text):  # a word starting with a letter that folds to a-z (`ſ`)
            keyword = _folded_keyword(text)
            append(_new(Token, (keyword or "NAME", text, start, line, column, True)))
        else:  # a space that is no separator (`\v`, U+00A0…) is blank but to the parser
            kind = "SPACE" if text.isspace() else "CHAR"
            append(_new(Token, (kind, text, start, line, column, False)))
    append(end_token(script))
    return tokens


def _closed(text: str) -> bool:
    """Whether a piece starting with a quote ends with it (the quote not escaped)."""
    if len(text) < 2 or text[-1] != text[0]:
        return False
    backslashes = len(text) - 1 - len(text[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def end_token(script: str) -> Token:
    end = len(script.rstrip())
    line_start = script.rfind("\n", 0, end) + 1
    line = script.count("\n", 0, end) + 1
    return Token("END", "", end, line, end - line_start + 1)


def _folded_keyword(word: str) -> str | None:
    """The keyword a non-ASCII word matches case-insensitively (`ſelect` is SELECT to `re`)."""
    return next((k for k in KEYWORDS if re.fullmatch(k, word, re.IGNORECASE)), None)


def host_port_at(script: str, start: int, end: int) -> tuple[str, str, int] | None:
    """After USE, read the target at `start` (skipping blanks and comments) as lark's grammar
    did: a quoted string, or else a host:port (`my-host:8080`, `127.0.0.1:80`, which other
    statements would read as several tokens). Returns (kind, text, offset) or None."""
    gap = _GAP.match(script, start, end)
    at = gap.end() if gap is not None else start
    string = _STRING_AT.match(script, at, end)
    if string is not None:
        return "STRING", string.group(), at
    host = _HOST_PORT.match(script, at, end)
    if host is not None:
        return "HOSTPORT", host.group(), at
    return None


def tokens_between(script: str, start: int, end: int, line: int, column: int) -> list[Token]:
    """The tokens of `script[start:end]`, which starts at `line`, `column`, ended by `END`."""
    out = []
    for t in tokenize(script[start:end]):
        shifted = t.column + column - 1 if t.line == 1 else t.column
        out.append(t._replace(start=t.start + start, line=t.line + line - 1, column=shifted))
    return out
