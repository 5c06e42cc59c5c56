"""SHiFT-QL: parse scripts into a typed AST, format them back, and describe them as JSON."""

from services.parser.errors import ParseError, ParseErrors
from services.parser.formatter import format_script, format_statement, format_text
from services.parser.json_view import script_to_json, statement_to_json
from services.parser.parsing import parse

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
