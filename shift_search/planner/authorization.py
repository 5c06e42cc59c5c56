"""Which role each statement of a script needs, checked before any of it runs.

The public port admits an Execute call with the reader role; what the script then does
decides the rest: REGISTER, DROP and FINETUNE change the catalog (writer), PURGE drops cached
results (admin), anything else reads. EXPLAIN only plans (reader), but EXPLAIN ANALYZE runs
its statement, so it needs that statement's role: EXPLAIN ANALYZE FINETUNE fine-tunes and
registers models (writer). A script is refused whole, so a reader's `SELECT …; PURGE;` runs
nothing.
"""

from __future__ import annotations

from typing import assert_never

from shift_search.parser import ast
from shift_search.runtime.callers import Role, require


def authorize_script(script: ast.Script) -> None:
    """Raise PermissionDenied unless the caller's role allows every statement of `script`."""
    for stmt in script.statements:
        require(statement_role(stmt), f"{_action(stmt)} (statement {stmt.index + 1})")


def statement_role(stmt: ast.Statement | ast.Query) -> Role:
    match stmt:
        case (
            ast.RegisterDataset()
            | ast.RegisterModel()
            | ast.DropDataset()
            | ast.DropModel()
            | ast.Finetune()
        ):
            return Role.WRITER
        case ast.Purge():
            return Role.ADMIN
        case ast.Explain(mode="ANALYZE", query=query):
            return statement_role(query)  # runs it
        case (
            ast.Select()
            | ast.SetOperation()
            | ast.VariableRef()
            | ast.SelectVec()
            | ast.Rank()
            | ast.Declare()
            | ast.Explain()  # plans only
            | ast.Use()
            | ast.Print()
        ):
            return Role.READER
        case _:
            assert_never(stmt)


def _action(stmt: ast.Statement) -> str:
    """What the statement does, as a denial names it (`EXPLAIN ANALYZE FINETUNE`)."""
    name = type(stmt).__name__.upper()
    if isinstance(stmt, ast.Explain) and stmt.mode == "ANALYZE":
        return f"{name} ANALYZE {type(stmt.query).__name__.upper()}"
    return name
