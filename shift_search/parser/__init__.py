"""SHiFT-QL: parse scripts into a typed AST, format them back, and describe them as JSON."""

from shift_search.parser.errors import ParseError, ParseErrors
from shift_search.parser.formatter import format_script, format_statement, format_text
from shift_search.parser.json_view import script_to_json, statement_to_json
from shift_search.parser.parsing import parse

__all__ = [
    "ParseError",
    "ParseErrors",
    "format_script",
    "format_statement",
    "format_text",
    "parse",
    "script_to_json",
    "statement_to_json",
]
