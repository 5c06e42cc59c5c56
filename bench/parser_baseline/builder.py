"""Builds AST nodes from the grammar's reductions (run inline by the LALR parser).

One builder parses one statement at a time: `reset` gives it the statement's index and where the
statement starts in the script, so positions are script-wide. Problems found while building
(a bare column that is no flag, a fractional LIMIT, a clause given twice) are collected in
`problems`, never raised, so the parser keeps going.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lark import Token, Transformer

from bench.parser_baseline import checks, names
from bench.parser_baseline.errors import Problem
from bench.parser_baseline.literals import quote, read_number, unquote
from shift_search.parser import ast

Children = list[Any]

_OPS: dict[str, ast.CompareOp] = {
    "OP_EQ": "=",
    "OP_EQEQ": "=",
    "OP_NE": "!=",
    "OP_LTGT": "!=",
    "OP_LT": "<",
    "OP_LE": "<=",
    "OP_GT": ">",
    "OP_GE": ">=",
}

FLAGS = ("finetuned",)


class Lit(NamedTuple):
    """A value with the position it was written at."""

    value: ast.Value
    pos: ast.Pos


class Clause(NamedTuple):
    name: str
    value: Any
    pos: ast.Pos


class Param(NamedTuple):
    """`name=value`: the canonical name, as written, the value, where."""

    name: str
    spelling: str
    value: ast.Value
    pos: ast.Pos


class Call(NamedTuple):
    name: Token
    params: tuple[tuple[str, ast.Value], ...]
    word: Token | None


class Stages(NamedTuple):
    """A Cascade's arguments: its stages, then its parameters."""

    proxies: tuple[ast.ProxySpec, ...]
    params: tuple[Param, ...]


class AstBuilder(Transformer[Token, Any]):
    def __init__(self) -> None:
        super().__init__()
        self.reset(0, 1, 1)

    def reset(self, index: int, line: int, column: int) -> None:
        """Prepare for the statement `index` whose text starts at `line`, `column`."""
        self.index = index
        self.line_offset = line - 1
        self.column_offset = column - 1
        self.problems: list[Problem] = []
        self.muted = False

    # --- positions and problems ---------------------------------------------------------

    def pos(self, token: Token) -> ast.Pos:
        line = token.line or 1
        column = token.column or 1
        if line == 1:
            column += self.column_offset
        return ast.Pos(line + self.line_offset, column)

    def problem(self, pos: ast.Pos, message: str, expected: tuple[str, ...] = ()) -> None:
        if not self.muted:
            self.problems.append(Problem(pos, message, expected))

    def problems_from(self, found: list[Problem]) -> None:
        for p in found:
            self.problem(p.pos, p.message, p.expected)

    # --- statements -----------------------------------------------------------------------

    def start(self, c: Children) -> Any:
        return c[0]

    def query_stmt(self, c: Children) -> Any:
        query = c[0]
        if isinstance(query, ast.VariableRef):
            self.problem(query.pos, f"`{query.name}` alone is no statement; use PRINT {query.name}")
        return query

    def declare(self, c: Children) -> ast.Declare:
        if len(c) == 3:
            return ast.Declare(str(c[1]), c[2], self.index, self.pos(c[0]))
        return ast.Declare(str(c[0]), c[1], self.index, self.pos(c[0]))

    def register(self, c: Children) -> ast.RegisterDataset | ast.RegisterModel:
        keyword, kind, name, columns, values = c
        node = ast.RegisterDataset if kind == "DATASET" else ast.RegisterModel
        return node(str(name.value), columns, values, self.index, self.pos(keyword))

    def register_kind(self, c: Children) -> str:
        return str(c[0]).upper()

    def register_name(self, c: Children) -> Lit:
        return self._name_lit(c[0])

    def register_columns(self, c: Children) -> tuple[str, ...]:
        return tuple(str(lit.value) for lit in c)

    def register_values(self, c: Children) -> tuple[ast.Value, ...]:
        return tuple(lit.value for lit in c)

    def explain(self, c: Children) -> ast.Explain:
        return ast.Explain(c[1] or "PLAN", c[2], self.index, self.pos(c[0]))

    def explain_mode(self, c: Children) -> str:
        return str(c[0]).upper()

    def finetune(self, c: Children) -> ast.Finetune:
        keyword, models, dataset, params, wait = c
        models = models if isinstance(models, tuple) else (models,)
        return ast.Finetune(
            models, dataset, params or (), wait is not None, self.index, self.pos(keyword)
        )

    def model_name(self, c: Children) -> ast.ModelName:
        lit = self._name_lit(c[0])
        return ast.ModelName(str(lit.value), c[0].type == "STRING", lit.pos)

    def model_list(self, c: Children) -> tuple[ast.ModelName, ...]:
        return tuple(c)

    def use(self, c: Children) -> ast.Use:
        target = c[1]
        text = unquote(target) if target.type == "STRING" else str(target)
        self.problems_from(checks.check_use_target(text, self.pos(target)))
        return ast.Use(text, self.index, self.pos(c[0]))

    def print(self, c: Children) -> ast.Print:
        variable = None if c[1].type == "STAR" else str(c[1])
        return ast.Print(variable, self.index, self.pos(c[0]))

    def purge(self, c: Children) -> ast.Purge:
        return ast.Purge(self.index, self.pos(c[0]))

    # --- queries --------------------------------------------------------------------------

    def set_op(self, c: Children) -> ast.SetOperation:
        left, op, right = c
        for operand in (left, right):
            if isinstance(operand, ast.SelectVec):
                self.problem(operand.pos, f"SELECT vec cannot be combined with {str(op).upper()}")
        return ast.SetOperation(str(op).upper(), left, right, self.index, left.pos)  # type: ignore[arg-type]

    def variable_ref(self, c: Children) -> ast.VariableRef:
        return ast.VariableRef(str(c[0]), self.pos(c[0]))

    def select(self, c: Children) -> ast.Select | ast.SelectVec:
        keyword, columns, table, where, *clauses = c
        select = self._select(keyword, columns, table, where, clauses)
        if isinstance(columns, tuple) and any(item.column.name == "vec" for item in columns):
            return self._select_vec(select, clauses)
        return select

    def _select_vec(self, select: ast.Select, clauses: list[Clause]) -> ast.Select | ast.SelectVec:
        """`SELECT vec FROM v WHERE probe = m` and nothing more; anything else with a `vec`
        column is an error (no catalog table has one), not a plain SELECT."""
        assert isinstance(select.columns, tuple)
        found = len(self.problems)
        vec = next(i for i in select.columns if i.column.name == "vec")
        extra = [i for i in select.columns if i is not vec]
        where = select.where
        if extra:
            self._vec_problem(extra[0].pos, "takes no other column")
        if vec.alias is not None:
            self._vec_problem(vec.pos, "takes no AS alias")
        if not select.table.variable and select.table.name != "datasets":
            self._vec_problem(select.table.pos, f"reads datasets, not {select.table.name}")
        if where is None:
            self._vec_problem(vec.pos, "needs WHERE probe = <models variable>")
        elif not (isinstance(where, ast.Comparison) and where.column.name == "probe"):
            self._vec_problem(where.pos, "takes the one condition probe = <models variable>")
        elif where.op != "=":
            self._vec_problem(where.pos, f"takes probe = …, not probe {where.op} …")
        elif isinstance(where.value, str):
            # A quoted model name would read the same as a variable once converted.
            wanted = f"a models variable as probe, not the string {quote(where.value)}"
            self._vec_problem(where.pos, f"takes {wanted} (DECLARE one)")
        elif not isinstance(where.value, ast.Identifier):
            self._vec_problem(where.pos, "takes a models variable as probe")
        if clauses:
            self._vec_problem(clauses[0].pos, f"takes no {clauses[0].name}")
        if len(self.problems) > found or not isinstance(where, ast.Comparison):
            return select
        assert isinstance(where.value, ast.Identifier)
        return ast.SelectVec(select.table.name, where.value.name, self.index, select.pos)

    def _vec_problem(self, pos: ast.Pos, what: str) -> None:
        self.problem(pos, f"SELECT vec {what}; its form is `{_VEC_FORM}`")

    def rank(self, c: Children) -> ast.Rank:
        keyword, columns, table, where, *clauses, scorer = c
        select = self._select(keyword, columns, table, where, clauses)
        return ast.Rank(select, str(scorer.value), self.index, select.pos)

    def _select(
        self, keyword: Token, columns: Any, table: Any, where: Any, clauses: list[Clause]
    ) -> ast.Select:
        self.problems_from(checks.repeated_clauses([(cl.name, cl.pos) for cl in clauses]))
        fields: dict[str, Any] = {}
        for clause in clauses:
            if clause.name == "TESTED ON":
                fields.setdefault("test_mode", clause.value[0])
                fields.setdefault("tested_on", clause.value[1])
            else:
                fields.setdefault(_CLAUSE_FIELDS[clause.name], clause.value)
        return ast.Select(columns, table, where, index=self.index, pos=self.pos(keyword), **fields)

    def all_columns(self, c: Children) -> ast.AllColumns:
        return ast.AllColumns(self.pos(c[0]))

    def columns(self, c: Children) -> tuple[ast.SelectItem, ...]:
        return tuple(c)

    def select_item(self, c: Children) -> ast.SelectItem:
        column = ast.Column(names.column_name(c[0]), self.pos(c[0]))
        return ast.SelectItem(column, None if c[1] is None else str(c[1]), pos=column.pos)

    def table(self, c: Children) -> ast.Table:
        canonical = names.table_name(c[0])
        name = canonical or str(c[0])
        return ast.Table(name, canonical is None, self.pos(c[0]))

    # --- clauses --------------------------------------------------------------------------

    def order_clause(self, c: Children) -> Clause:
        return Clause("ORDER BY", c[1], self.pos(c[0]))

    def trained_clause(self, c: Children) -> Clause:
        return Clause("TRAINED ON", c[1], self.pos(c[0]))

    def tested_clause(self, c: Children) -> Clause:
        return Clause("TESTED ON", (c[1], c[2]), self.pos(c[0]))

    def test_mode(self, c: Children) -> str:
        return str(c[0]).upper()

    def classified_clause(self, c: Children) -> Clause:
        proxies = c[1] if isinstance(c[1], tuple) else (c[1],)
        return Clause("CLASSIFIED BY", proxies, self.pos(c[0]))

    def limit_clause(self, c: Children) -> Clause:
        pos = self.pos(c[0])
        limit = self._whole(c[1], "LIMIT")
        self.problems_from(checks.check_limit(limit, c[1].pos))
        return Clause("LIMIT", limit, pos)

    def other_clause(self, c: Children) -> Clause:
        return Clause("OTHER THAN", str(c[1]), self.pos(c[0]))

    def chunk_clause(self, c: Children) -> Clause:
        return self._amount_clause("CHUNK", c)

    def budget_clause(self, c: Children) -> Clause:
        return self._amount_clause("BUDGET", c)

    def _amount_clause(self, name: str, c: Children) -> Clause:
        amount = c[1]
        value: int | ast.Auto = ast.AUTO if amount is None else self._whole(amount, name)
        if amount is not None:
            self.problems_from(checks.check_amount(name, value, amount.pos))
        return Clause(name, value, self.pos(c[0]))

    def amount(self, c: Children) -> Lit | None:
        return None if isinstance(c[0], Token) else c[0]

    def wait_clause(self, c: Children) -> Clause:
        return Clause("WAIT", True, self.pos(c[0]))

    def _whole(self, lit: Lit, clause: str) -> int:
        if isinstance(lit.value, int) and not isinstance(lit.value, bool):
            return lit.value
        self.problem(lit.pos, f"{clause} takes a whole number, not {lit.value!r}")
        return 1

    # --- orderings and proxies ------------------------------------------------------------

    def ordering(self, c: Children) -> ast.Ordering:
        key, descending = c
        return ast.Ordering(key, bool(descending), key.pos)

    def direction(self, c: Children) -> bool:
        return str(c[0]).upper() == "DESC"

    def name_key(self, c: Children) -> ast.OrderKey:
        word, pos = str(c[0]), self.pos(c[0])
        if word.lower() in names.METRICS:
            return ast.ProxyErr(word.lower(), pos)  # type: ignore[arg-type]
        proxy = names.known_proxy(word)
        if proxy is not None:
            return ast.ProxyOrdering(ast.ProxySpec(proxy, (), word, pos), pos)
        return ast.Column(names.column_name(word), pos)

    def quoted_key(self, c: Children) -> ast.ProxyOrdering:
        lit = c[0]
        spec = ast.ProxySpec(names.proxy_name(lit.value), (), lit.value, lit.pos)
        return ast.ProxyOrdering(spec, lit.pos)

    def call_key(self, c: Children) -> ast.OrderKey:
        if isinstance(c[0], ast.Cascade):
            return c[0]
        call: Call = c[0]
        name, pos = str(call.name), self.pos(call.name)
        if call.word is None:
            spec = ast.ProxySpec(names.proxy_name(name), call.params, name, pos)
            return ast.ProxyOrdering(spec, pos)
        func, metric = name.lower(), str(call.word).lower()
        if func not in names.AGGREGATES or metric not in names.METRICS:
            self.problem(self.pos(call.word), checks.aggregate_problem(name, str(call.word)))
            return ast.Aggregate("avg", "err", pos)
        return ast.Aggregate(func, metric, pos)  # type: ignore[arg-type]

    def auto_key(self, c: Children) -> ast.AutoStrategy:
        params = (c[1] or ()) if len(c) > 1 else ()
        return ast.AutoStrategy(params, self.pos(c[0]))

    def stages(self, c: Children) -> Stages:
        proxies = tuple(x for x in c if isinstance(x, ast.ProxySpec))
        return Stages(proxies, tuple(x for x in c if isinstance(x, Param)))

    def call(self, c: Children) -> Call | ast.Cascade:
        args = c[1]
        if isinstance(args, Stages):
            params = list(args.params)
            self.problems_from(
                checks.repeated_params([(p.name, p.spelling, p.pos) for p in params])
            )
            pos = self.pos(c[0])
            self.problems_from(checks.check_cascade(str(c[0]), pos, args.proxies, params))
            keep, prior = checks.cascade_options(params)
            return ast.Cascade(args.proxies, keep, prior, pos)
        if isinstance(args, Token):
            return Call(c[0], (), args)
        return Call(c[0], args or (), None)

    def call_word(self, c: Children) -> Token:
        return c[0]

    def params(self, c: Children) -> tuple[tuple[str, ast.Value], ...]:
        params: list[Param] = c
        self.problems_from(checks.repeated_params([(p.name, p.spelling, p.pos) for p in params]))
        return tuple((p.name, p.value) for p in params)

    def param(self, c: Children) -> Param:
        return Param(names.param_name(c[0]), str(c[0]), c[1].value, self.pos(c[0]))

    def proxy(self, c: Children) -> ast.ProxySpec:
        head = c[0]
        params = (c[1] or ()) if len(c) > 1 else ()
        if isinstance(head, Lit):
            text, pos = str(head.value), head.pos
        else:
            text, pos = str(head), self.pos(head)
        return ast.ProxySpec(names.proxy_name(text), params, text, pos)

    def proxy_list(self, c: Children) -> tuple[ast.ProxySpec, ...]:
        return tuple(c)

    # --- predicates -----------------------------------------------------------------------

    def or_(self, c: Children) -> ast.Predicate:
        if len(c) == 1:
            return c[0]
        operands = tuple(op for p in c for op in (p.operands if isinstance(p, ast.Or) else (p,)))
        return ast.Or(operands, c[0].pos)

    def and_(self, c: Children) -> ast.Predicate:
        if len(c) == 1:
            return c[0]
        operands = tuple(op for p in c for op in (p.operands if isinstance(p, ast.And) else (p,)))
        return ast.And(operands, c[0].pos)

    def not_(self, c: Children) -> ast.Predicate:
        operand = c[1]
        if isinstance(operand, ast.Flag):
            return ast.Flag(operand.name, not operand.negated, self.pos(c[0]))
        return ast.Not(operand, self.pos(c[0]))

    def column(self, c: Children) -> ast.Column:
        return ast.Column(names.column_name(c[0]), self.pos(c[0]))

    def comparison(self, c: Children) -> ast.Comparison:
        column, op, lit = c
        return ast.Comparison(column, _OPS[op.type], lit.value, column.pos)

    def comp_op(self, c: Children) -> Token:
        return c[0]

    def between(self, c: Children) -> ast.Between:
        column, negated, low, high = c
        return ast.Between(column, low.value, high.value, negated is not None, column.pos)

    def in_list(self, c: Children) -> ast.InList:
        column, negated, *values = c
        return ast.InList(column, tuple(v.value for v in values), negated is not None, column.pos)

    def in_variable(self, c: Children) -> ast.InVariable:
        column, negated, name = c
        return ast.InVariable(column, str(name), negated is not None, column.pos)

    def is_null(self, c: Children) -> ast.IsNull:
        return ast.IsNull(c[0], c[1] is not None, c[0].pos)

    def like(self, c: Children) -> ast.Like:
        column, negated, pattern = c
        return ast.Like(column, str(pattern.value), negated is not None, column.pos)

    def flag(self, c: Children) -> ast.Flag:
        column: ast.Column = c[0]
        if column.name not in FLAGS:
            self.problem(
                column.pos,
                f"`{column.name}` alone is no condition; expected a comparison such as "
                f"`{column.name} = …`, or a flag: {', '.join(f.upper() for f in FLAGS)}",
            )
        return ast.Flag(column.name, False, column.pos)

    # --- datasets -------------------------------------------------------------------------

    def dataset_name(self, c: Children) -> ast.DatasetName:
        lit = self._name_lit(c[0])
        return ast.DatasetName(str(lit.value), c[0].type == "STRING", lit.pos)

    def dataset_list(self, c: Children) -> ast.DatasetList:
        return ast.DatasetList(tuple(c), c[0].pos)

    def mutation(self, c: Children) -> ast.Mutation:
        base, *changes = c
        return ast.Mutation(base, tuple(changes), base.pos)

    def change(self, c: Children) -> ast.Change:
        keyword, indices, source, source_indices = c
        return ast.Change(indices, source, source_indices, self.pos(keyword))

    def index_list(self, c: Children) -> tuple[int, ...]:
        for token in c:
            self.problems_from(checks.check_index(int(token), self.pos(token)))
        return tuple(int(t) for t in c)

    # --- values ---------------------------------------------------------------------------

    def string(self, c: Children) -> Lit:
        return Lit(unquote(c[0]), self.pos(c[0]))

    def number(self, c: Children) -> Lit:
        minus, token = c
        pos = self.pos(minus or token)
        try:
            return Lit(read_number(token, negative=minus is not None), pos)
        except ValueError as error:
            self.problem(pos, str(error))
            return Lit(0, pos)

    def identifier(self, c: Children) -> Lit:
        return Lit(ast.Identifier(str(c[0])), self.pos(c[0]))

    def true(self, c: Children) -> Lit:
        return Lit(True, self.pos(c[0]))

    def false(self, c: Children) -> Lit:
        return Lit(False, self.pos(c[0]))

    def null(self, c: Children) -> Lit:
        return Lit(None, self.pos(c[0]))

    def value_list(self, c: Children) -> Lit:
        pos = c[0].pos if c else ast.NO_POS
        return Lit(tuple(v.value for v in c), pos)

    def _name_lit(self, token: Token) -> Lit:
        text = unquote(token) if token.type == "STRING" else str(token)
        return Lit(text, self.pos(token))


_CLAUSE_FIELDS = {
    "ORDER BY": "order",
    "TRAINED ON": "trained_on",
    "CLASSIFIED BY": "classified_by",
    "LIMIT": "limit",
    "OTHER THAN": "other_than",
    "CHUNK": "chunk",
    "BUDGET": "budget",
    "WAIT": "wait",
}


_VEC_FORM = "SELECT vec FROM <datasets variable> WHERE probe = <models variable>"
