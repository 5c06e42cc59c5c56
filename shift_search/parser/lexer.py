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
    "DROP", "IF", "EXISTS",
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
_TOKEN = re.compile(
    rf"""
    ([\ \t\f\r\n]*)                                     # 1: blanks before the token
    (?:
      ({NAME})                                          # 2: a word
    | (==|>=|<=|<>|!=|:=|-(?!-)|[=<>,()\[\]*;])         # 3: a symbol
    | ({_STRING})                                       # 4: a string
    | ({NUMBER})                                        # 5: a number
    | ((?:\#|--)[^\n]*)                                 # 6: a comment
    | ({_BAD_STRING})                                   # 7: a string without its end
    | ((?:[a-z0-9_.]|-(?!-))+(?::[0-9]+)?)              # 8: junk a host:port would be
    | ((?s:.))                                          # 9: any other character
    | \Z                                                # the end
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_HOST_PORT = re.compile(HOST_PORT, re.IGNORECASE)
_STRING_AT = re.compile(_STRING)
_GAP = re.compile(r"(?:[ \t\f\r\n]+|(?:#|--)[^\n]*)*")
_new = tuple.__new__  # builds a Token without the Python-level __new__ of NamedTuple


def tokenize(script: str, comments: bool = False) -> list[Token]:
    """The tokens of `script` in order, ended by an `END` token placed just after the script's
    last non-blank character (where "unexpected end of statement" points); with `comments`,
    `COMMENT` tokens too."""
    tokens: list[Token] = []
    append = tokens.append
    keyword_of = _KEYWORD_OF.get
    symbol = SYMBOLS.__getitem__
    line, line_start = 1, 0
    for match in _TOKEN.finditer(script):
        blanks = match.group(1)
        if "\n" in blanks:
            line += blanks.count("\n")
            line_start = match.start() + blanks.rindex("\n") + 1
        group = match.lastindex
        start = match.end(1)
        column = start - line_start + 1
        if group == 2:
            text = match.group(2)
            keyword = keyword_of(text.lower()) if text.isascii() else _folded_keyword(text)
            append(_new(Token, (keyword or "NAME", text, start, line, column, True)))
        elif group == 3:
            text = match.group(3)
            append(_new(Token, (symbol(text), text, start, line, column, False)))
        elif group == 4:
            append(_new(Token, ("STRING", match.group(4), start, line, column, False)))
        elif group == 5:
            text = match.group(5)
            end = match.end()
            whole = text.isdigit() and script[end : end + 1] != "."
            append(_new(Token, ("INT" if whole else "NUMBER", text, start, line, column, False)))
        elif group == 6:
            if comments:
                append(_new(Token, ("COMMENT", match.group(6), start, line, column, False)))
        elif group == 7:
            append(_new(Token, ("BADSTRING", match.group(7), start, line, column, False)))
        elif group == 8:
            append(_new(Token, ("JUNK", match.group(8), start, line, column, False)))
        elif group == 9:  # a space that is no separator (`\v`, U+00A0…) is blank but to the parser
            text = match.group(9)
            kind = "SPACE" if text.isspace() else "CHAR"
            append(_new(Token, (kind, text, start, line, column, False)))
        else:
            break
    append(end_token(script))
    return tokens


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
