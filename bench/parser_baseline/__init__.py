"""The lark-based SHiFT-QL parser as it was before the hand-written one (commit bdcf3c5), kept
unchanged as `bench.parser`'s baseline and as a reference in the parser's tests; not shipped.

It builds the same AST (`shift_search.parser.ast`); everything else it uses is its own copy.
"""

from bench.parser_baseline.errors import ParseError, ParseErrors
from bench.parser_baseline.parsing import parse

__all__ = ["ParseError", "ParseErrors", "parse"]
