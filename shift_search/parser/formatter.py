"""Canonical SHiFT-QL text for an AST: upper-case keywords, one clause per line.

For every valid script, `parse(format_script(parse(x))) == parse(x)` (positions aside).
`format_text` also keeps the script's comments (placed as `comments.py` says).
"""

from __future__ import annotations

from dataclasses import replace
from typing import assert_never

from shift_search.parser import ast
from shift_search.parser.comments import Comments, find_comments
from shift_search.parser.literals import is_bare_word, quote, write_number
from shift_search.parser.parsing import Interrupt, parse

_INDENT = "  "

# How proxies are written where a bare word would do (paper style).
PROXY_SPELLINGS = {
    "cosine_nn": "CosineNN",
    "euclidean_nn": "EuclideanNN",
    "linear": "Linear",
    "knn": "kNN",
    "logme": "LogME",
    "leep": "LEEP",
    "finetune": "FineTune",
    "meta_learned": "MetaLearned",
}

# Binding strength: an operand weaker than its context is parenthesised.
_OR, _AND, _NOT, _ATOM = 1, 2, 3, 4
_UNION, _INTERSECT, _OPERAND = 1, 2, 3


def format_script(
    script: ast.Script, comments: Comments | None = None, *, interrupt: Interrupt | None = None
) -> str:
    """Every statement, each ended by `;` on its own lines, with `comments` (of the text
    `script` was parsed from) each on its own line, or after the `;` of the statement it trails.
    `interrupt` is called between statements (see `parse`)."""
    if comments is None:
        count = len(script.statements)
        comments = Comments(((),) * count, (None,) * count)
    parts = zip(script.statements, comments.leading, comments.trailing, strict=True)
    lines: list[str] = []
    for stmt, leading, trailing in parts:
        if interrupt is not None:
            interrupt()
        lines.extend(leading)
        lines.append(f"{format_statement(stmt)};" + (f" {trailing}" if trailing else ""))
    lines.extend(comments.end)
    return "".join(f"{line}\n" for line in lines)


def format_text(text: str, source: str = "<query>", *, interrupt: Interrupt | None = None) -> str:
    """The canonical form of a script, comments kept; raises `ParseErrors` when it has errors.
    `interrupt` is called between statements (see `parse`)."""
    script = parse(text, source, interrupt=interrupt)
    return format_script(script, find_comments(text), interrupt=interrupt)


def format_statement(stmt: ast.Statement) -> str:
    """One statement without its `;`."""
    match stmt:
        case ast.Select() | ast.SetOperation() | ast.SelectVec() | ast.Rank():
            return format_query(stmt)
        case ast.Declare():
            return f"DECLARE {stmt.name} AS {format_query(stmt.query)}"
        case ast.RegisterDataset():
            return _register("DATASET", stmt.name, stmt.columns, stmt.values)
        case ast.RegisterModel():
            return _register("MODEL", stmt.name, stmt.columns, stmt.values)
        case ast.DropDataset():
            return _drop("DATASET", stmt.name, stmt.if_exists)
        case ast.DropModel():
            return _drop("MODEL", stmt.name, stmt.if_exists)
        case ast.Explain():
            mode = "" if stmt.mode == "PLAN" else f"{stmt.mode} "
            inner = stmt.query
            body = _finetune(inner) if isinstance(inner, ast.Finetune) else format_query(inner)
            return f"EXPLAIN {mode}{body}"
        case ast.Finetune():
            return _finetune(stmt)
        case ast.Use():
            return f"USE {quote(stmt.target)}"
        case ast.Print():
            return f"PRINT {stmt.variable or '*'}"
        case ast.Purge():
            return "PURGE"
        case _:
            assert_never(stmt)


def format_query(query: ast.Query) -> str:
    match query:
        case ast.Select():
            return "\n".join(_select_lines(query, "SELECT"))
        case ast.SetOperation():
            return _set_operand(query, 0)
        case ast.VariableRef():
            return query.name
        case ast.SelectVec():
            return f"SELECT vec FROM {query.datasets} WHERE probe = {_word(query.probe)}"
        case ast.Rank():
            select = query.query
            lines = _select_lines(replace(select, wait=False), "RANK")
            lines.append(f"{_INDENT}BY {quote(query.scorer)}")
            if select.wait:
                lines.append(f"{_INDENT}WAIT")
            return "\n".join(lines)
        case _:
            assert_never(query)


def _set_operand(query: ast.SetOperand, context: int) -> str:
    match query:
        case ast.SetOperation():
            strength = _INTERSECT if query.op == "INTERSECT" else _UNION
            left = _set_operand(query.left, strength)
            right = _set_operand(query.right, strength + 1)
            text = f"{left}\n{query.op}\n{right}"
            return f"({text})" if strength < context else text
        case ast.Select() | ast.VariableRef():
            return format_query(query)
        case _:
            assert_never(query)


def _select_lines(select: ast.Select, keyword: str) -> list[str]:
    lines = [f"{keyword} {_columns(select.columns)}", f"FROM {select.table.name}"]
    if select.where is not None:
        lines.append(f"WHERE {format_predicate(select.where)}")
    if select.group_by:
        lines.append("GROUP BY " + ", ".join(c.name for c in select.group_by))
    if select.order is not None:
        lines.append(f"ORDER BY {_ordering(select.order)}")
    if select.trained_on is not None:
        lines.append(f"TRAINED ON {format_datasets(select.trained_on)}")
    if select.tested_on is not None:
        mode = f"{select.test_mode} " if select.test_mode else ""
        lines.append(f"TESTED ON {mode}{format_datasets(select.tested_on)}")
    if select.classified_by:
        proxies = ", ".join(format_proxy(p) for p in select.classified_by)
        lines.append(f"CLASSIFIED BY [{proxies}]")
    if select.limit is not None:
        lines.append(f"LIMIT {select.limit}")
    if select.other_than is not None:
        lines.append(f"OTHER THAN {select.other_than}")
    if select.chunk is not None:
        lines.append(f"CHUNK {select.chunk}")
    if select.budget is not None:
        lines.append(f"BUDGET {select.budget}")
    if select.wait:
        lines.append("WAIT")
    return [lines[0], *(f"{_INDENT}{line}" for line in lines[1:])]


def _columns(columns: ast.Columns) -> str:
    if isinstance(columns, ast.AllColumns):
        return "*"
    return ", ".join(
        (f"{item.aggregate}({item.column.name})" if item.aggregate else item.column.name)
        + (f" AS {item.alias}" if item.alias else "")
        for item in columns
    )


def _ordering(ordering: ast.Ordering) -> str:
    direction = "DESC" if ordering.descending else "ASC"
    key = ordering.key
    match key:
        case ast.Column():
            text = key.name
        case ast.ProxyOrdering():
            text = format_proxy(key.proxy)
        case ast.ProxyErr():
            text = key.metric
        case ast.Aggregate():
            text = f"{key.func}({key.metric})"
        case ast.ColumnAggregate():
            text = f"{key.func}({key.column.name})"
        case ast.Cascade():
            text = format_cascade(key)
        case ast.AutoStrategy():
            text = f"Auto({format_params(key.params)})" if key.params else "AUTO"
        case _:
            assert_never(key)
    return f"{text} {direction}"


def format_cascade(cascade: ast.Cascade) -> str:
    """`Cascade(CosineNN, LogME, keep=4, prior=upstream_accuracy)`."""
    parts = [format_proxy(stage) for stage in cascade.stages]
    if cascade.keep:
        keep = cascade.keep
        parts.append(f"keep={keep[0]}" if len(keep) == 1 else f"keep={list(keep)}")
    if cascade.prior is not None:
        prior = cascade.prior
        parts.append(f"prior={prior if is_bare_word(prior) else quote(prior)}")
    return f"Cascade({', '.join(parts)})"


def format_proxy(proxy: ast.ProxySpec) -> str:
    """`CosineNN`, `Linear(lr=0.1)`, or a quoted name for proxies without a bare spelling."""
    name = PROXY_SPELLINGS.get(proxy.name)
    if name is None:
        name = proxy.name if proxy.params and is_bare_word(proxy.name) else quote(proxy.name)
    return f"{name}({format_params(proxy.params)})" if proxy.params else name


def format_params(params: tuple[tuple[str, ast.Value], ...]) -> str:
    return ", ".join(f"{key}={format_value(value)}" for key, value in params)


def format_predicate(predicate: ast.Predicate, context: int = 0) -> str:
    text, strength = _predicate(predicate)
    return f"({text})" if strength < context else text


def _predicate(p: ast.Predicate) -> tuple[str, int]:
    match p:
        case ast.Or():
            return " OR ".join(format_predicate(op, _AND) for op in p.operands), _OR
        case ast.And():
            return " AND ".join(format_predicate(op, _NOT) for op in p.operands), _AND
        case ast.Not():
            return f"NOT {format_predicate(p.operand, _NOT)}", _NOT
        case ast.Flag():
            return f"{_not(p.negated)}{p.name.upper()}", _ATOM
        case ast.Comparison():
            return f"{p.column.name} {p.op} {format_value(p.value)}", _ATOM
        case ast.Between():
            low, high = format_value(p.low), format_value(p.high)
            return f"{p.column.name} {_not(p.negated)}BETWEEN {low} AND {high}", _ATOM
        case ast.InList():
            values = ", ".join(format_value(v) for v in p.values)
            return f"{p.column.name} {_not(p.negated)}IN ({values})", _ATOM
        case ast.InVariable():
            return f"{p.column.name} {_not(p.negated)}IN {p.variable}", _ATOM
        case ast.IsNull():
            return f"{p.column.name} IS {_not(p.negated)}NULL", _ATOM
        case ast.Like():
            return f"{p.column.name} {_not(p.negated)}LIKE {quote(p.pattern)}", _ATOM
        case _:
            assert_never(p)


def _not(negated: bool) -> str:
    return "NOT " if negated else ""


def format_datasets(datasets: ast.DatasetExpr) -> str:
    match datasets:
        case ast.DatasetName():
            return quote(datasets.name) if datasets.quoted else datasets.name
        case ast.DatasetList():
            return f"[{', '.join(format_datasets(item) for item in datasets.items)}]"
        case ast.Mutation():
            changes = ", ".join(_change(c) for c in datasets.changes)
            return f"({format_datasets(datasets.base)} {changes})"
        case _:
            assert_never(datasets)


def _change(change: ast.Change) -> str:
    text = f"CHANGE {_indices(change.indices)} TO {format_datasets(change.source)}"
    if change.source_indices is not None:
        text += f" {_indices(change.source_indices)}"
    return text


def _indices(indices: tuple[int, ...]) -> str:
    return f"[{', '.join(str(i) for i in indices)}]"


def format_value(value: ast.Value) -> str:
    match value:
        case bool():
            return "TRUE" if value else "FALSE"
        case None:
            return "NULL"
        case str():
            return quote(value)
        case int() | float():
            return write_number(value)
        case ast.Identifier():
            return value.name
        case tuple():
            return f"[{', '.join(format_value(v) for v in value)}]"
        case _:
            assert_never(value)


def _word(text: str) -> str:
    return text if is_bare_word(text) else quote(text)


def _register(kind: str, name: str, columns: tuple[str, ...], values: tuple[ast.Value, ...]) -> str:
    cols = ", ".join(quote(c) for c in columns)
    vals = ", ".join(format_value(v) for v in values)
    return f"REGISTER {kind} {quote(name)} ({cols})\n{_INDENT}VALUES ({vals})"


def _drop(kind: str, name: str, if_exists: bool) -> str:
    return f"DROP {kind} {'IF EXISTS ' if if_exists else ''}{quote(name)}"


def _finetune(stmt: ast.Finetune) -> str:
    names = [quote(m.name) if m.quoted else m.name for m in stmt.models]
    models = names[0] if len(names) == 1 else f"[{', '.join(names)}]"
    text = f"FINETUNE {models} WITH {format_datasets(stmt.dataset)}"
    if stmt.params:
        text += f" USING {format_params(stmt.params)}"
    return text + (" WAIT" if stmt.wait else "")
