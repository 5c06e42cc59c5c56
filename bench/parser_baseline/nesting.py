"""How deeply a statement nests, kept within `MAX_NESTING` levels so that every accepted statement
also decodes from protobuf (the decoder refuses messages nested more than 100 deep).

A level is a set operation (UNION, INTERSECT, EXCEPT), a NOT, an AND or OR, or a `[…]` value list.
Each costs two protobuf messages (`Predicate > Not > Predicate`, `SetOperand > SetOperation >
SetOperand`, `Literal > LiteralList > Literal`); everything else in a statement adds a fixed
`BASE_DEPTH` at most, so an accepted statement is at most `BASE_DEPTH + 2 * MAX_NESTING` deep.
The walk is iterative: a statement too deep for recursion is reported, not crashed on.
"""

from __future__ import annotations

from typing import TypeAlias, assert_never

from bench.parser_baseline.errors import Problem
from shift_search.parser import ast

MAX_NESTING = 32

# The deepest path of messages without levels: Script > Statement > Explain > Query > Rank >
# Select > DatasetExpr > DatasetList > DatasetItem > Mutation > Change > DatasetName > Position.
# Paths with levels are shallower (at most 11 messages besides their levels, through Rank > Select
# > Ordering > ProxyOrdering > Proxy > Param > Literal); tests/parser/test_limits.py measures both.
BASE_DEPTH = 13

Node: TypeAlias = "ast.Statement | ast.Query | ast.Finetune | ast.Predicate | ast.ProxySpec"


def nesting_problem(stmt: ast.Statement) -> Problem | None:
    """A problem at the first place nested more than `MAX_NESTING` levels deep, or None."""
    # (node or value, its level, the position of it or of the nearest node around a value)
    stack: list[tuple[Node | ast.Value, int, ast.Pos]] = [(stmt, 0, stmt.pos)]
    while stack:
        item, level, pos = stack.pop()
        if isinstance(item, _LEVELS):
            level += 1
            pos = item.pos
        elif isinstance(item, tuple):
            level += 1
        if level > MAX_NESTING:
            return Problem(
                pos,
                f"nested more than {MAX_NESTING} levels deep (each NOT, AND, OR, UNION, "
                "INTERSECT, EXCEPT and `[` inside another is a level); "
                "split the query with DECLARE",
            )
        stack.extend((child, level, _pos(child, pos)) for child in reversed(_children(item)))
    return None


_LEVELS = (ast.SetOperation, ast.Not, ast.And, ast.Or)


def _pos(item: Node | ast.Value, around: ast.Pos) -> ast.Pos:
    pos = getattr(item, "pos", None)
    return pos if isinstance(pos, ast.Pos) else around


def _children(item: Node | ast.Value) -> list[Node | ast.Value]:
    """What may nest inside `item` (dataset expressions never do)."""
    match item:
        case ast.Select():
            found: list[Node | ast.Value] = [] if item.where is None else [item.where]
            if item.order is not None and isinstance(item.order.key, ast.ProxyOrdering):
                found.append(item.order.key.proxy)
            return [*found, *item.classified_by]
        case ast.SetOperation():
            return [item.left, item.right]
        case ast.Rank() | ast.Declare() | ast.Explain():
            return [item.query]
        case ast.And() | ast.Or():
            return list(item.operands)
        case ast.Not():
            return [item.operand]
        case ast.Comparison():
            return [item.value]
        case ast.Between():
            return [item.low, item.high]
        case ast.InList() | ast.RegisterDataset() | ast.RegisterModel():
            return list(item.values)
        case ast.ProxySpec() | ast.Finetune():
            return [value for _, value in item.params]
        case tuple():
            return list(item)
        case (
            ast.VariableRef()
            | ast.SelectVec()
            | ast.Use()
            | ast.Print()
            | ast.Purge()
            | ast.DropDataset()
            | ast.DropModel()
            | ast.InVariable()
            | ast.IsNull()
            | ast.Like()
            | ast.Flag()
        ):
            return []
        case str() | int() | float() | bool() | ast.Identifier() | None:
            return []
        case _:
            assert_never(item)
