"""SHiFT-QL's grammar, read by recursive descent into the typed AST (`ast.py`).

One `StatementReader` reads a script's tokens statement by statement. The grammar (keywords are
case-insensitive and contextual: a keyword is one only where the grammar takes it, elsewhere the
word is a name, so `name`, `source`, `model` work as columns):

    statement  := query | declare | register | drop | explain | finetune | use | print | purge
    query      := set_expr | rank
    set_expr   := set_term {(UNION | EXCEPT) set_term}       -- INTERSECT binds tighter
    set_term   := primary {INTERSECT primary}
    primary    := select | NAME | "(" set_expr ")"
    select     := SELECT columns FROM NAME [WHERE or] {clause}
    rank       := RANK columns FROM NAME [WHERE or] {clause} BY STRING [WAIT]
    columns    := "*" | ALL | item {"," item}
    item       := NAME ["(" (NAME | "*") ")"] [AS NAME]      -- a column, or avg(col), count(*)
    clause     := ORDER BY ordering | TRAINED ON datasets | TESTED ON [TASK | BENCHMARK] datasets
                | CLASSIFIED BY proxies | LIMIT number | OTHER THAN NAME
                | CHUNK (number | AUTO) | BUDGET (number | AUTO) | WAIT
                | GROUP BY NAME {"," NAME}
    or         := and {OR and};  and := not {AND not};  not := {NOT} atom
    atom       := "(" or ")" | NAME op value | NAME [NOT] BETWEEN value AND value
                | NAME [NOT] IN ("(" value {"," value} ")" | NAME) | NAME IS [NOT] NULL
                | NAME [NOT] LIKE STRING | NAME
    ordering   := (NAME ["(" [params | NAME | "*"] ")"] | STRING) [ASC | DESC]
    proxies    := proxy | "[" proxy {"," proxy} "]";  proxy := (NAME | STRING) ["(" [params] ")"]
    params     := NAME "=" value {"," NAME "=" value}
    datasets   := name | mutation | "[" (name | mutation) {"," (name | mutation)} "]"
    mutation   := "(" name change {"," change} ")";  change := CHANGE ints TO name [ints]
    ints       := "[" [INT {"," INT}] "]";  name := STRING | NAME
    value      := STRING | number | NAME | TRUE | FALSE | NULL | "[" [value {"," value}] "]"
    number     := ["-"] NUMBER
    declare    := DECLARE NAME AS query | NAME ":=" query
    register   := REGISTER (DATASET | MODEL) name "(" [name {"," name}] ")"
                  VALUES "(" [value {"," value}] ")"
    drop       := DROP (DATASET | MODEL) [IF EXISTS] name
    explain    := EXPLAIN [JSON | ANALYZE] (query | finetune)
    finetune   := FINETUNE (name | "[" name {"," name} "]") WITH datasets [USING params] [WAIT]
    use := USE (STRING | host:port);  print := PRINT (NAME | "*");  purge := PURGE

A syntax error stops the statement: it names what was found and every token that could have come
instead (the `expected` of each failed test at the error's token, gathered as the reader goes).
Static problems (a bare column that is no flag, a clause given twice) are collected with the
token index at which their construct ended; a construct that ended right at a syntax error is
not checked, as an LR parser never reduces it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeAlias

from shift_search.parser import ast, checks, names
from shift_search.parser.cursor import Lit, Param, SyntaxProblem
from shift_search.parser.cursor import position as _pos
from shift_search.parser.errors import Problem, shorten
from shift_search.parser.expressions import ExpressionReader
from shift_search.parser.lexer import Token, host_port_at, tokens_between
from shift_search.parser.literals import quote, unquote

# What may come at a point, as grammar terminals (`errors.describe_expected` words them).
_STATEMENT = (
    "SELECT", "RANK", "LPAR", "NAME", "DECLARE", "REGISTER", "DROP", "EXPLAIN", "FINETUNE", "USE",
    "PRINT", "PURGE",
)  # fmt: skip
_CLAUSES = (
    "ORDER", "TRAINED", "TESTED", "CLASSIFIED", "LIMIT", "OTHER", "CHUNK", "BUDGET", "WAIT",
    "GROUP",
)  # fmt: skip

_VEC_FORM = "SELECT vec FROM <datasets variable> WHERE probe = <models variable>"

_Operand: TypeAlias = "ast.SetOperand | ast.SelectVec"
"""What a set operation reads as an operand (a SELECT vec only to say it cannot be one)."""


class Clause(NamedTuple):
    name: str
    value: Any
    pos: ast.Pos


class StatementReader(ExpressionReader):
    """Reads statements from a script's tokens (`lexer.tokenize`), one `read` call each."""

    # --- statements -------------------------------------------------------------------

    def at_end(self) -> bool:
        """No statement left (only blank ones were: skip those first with `skip_blank`)."""
        return self.tok.kind == "END"

    def skip_blank(self) -> bool:
        """Step over an empty statement (a `;` with only odd spaces such as `\v` before it);
        True when there was one."""
        i = self.i
        while self.tokens[i].kind == "SPACE":
            i += 1
        kind = self.tokens[i].kind
        if kind == "SEMI" or kind == "END":
            self.i = i + (kind == "SEMI")
            self.tok = self.tokens[self.i]
            return kind == "SEMI"
        return False

    def read(self, index: int) -> tuple[ast.Statement | None, list[Problem]]:
        """The next statement and its problems, in the order found; None for a statement that
        is none (after a syntax error, or a lone variable). Reading resumes after its `;`."""
        self.index = index
        self.depth = 0
        self.levels = 0  # NOT, AND, OR, set operations and `[` lists read: at least as many as
        # the statement nests (`nesting.py` need not look when there are few)
        self.problems = []
        try:
            statement = self._statement()
        except SyntaxProblem as error:
            at = self.i
            found = [p for p, when in self.problems if when < at]
            while self.tok.kind not in ("SEMI", "END"):
                self._advance()
            self.skip_blank()
            return None, [*found, error.problem]
        self.skip_blank()
        return statement, [p for p, _ in self.problems]

    def _statement(self) -> ast.Statement | None:
        tok = self.tok
        reader = _STATEMENT_READERS.get(tok.kind)
        if reader is not None:
            return reader(self)
        if tok.word:  # a variable starting a query (`Q1 UNION …`), or `v := query`
            name = self._advance()
            if self.tok.kind == "ASSIGN":
                self._advance()
                query = self._query()
                self._end()
                return ast.Declare(name.text, query, self.index, _pos(name))
            self._miss(("ASSIGN",))
            return self._query_statement(ast.VariableRef(name.text, _pos(name)))
        self._miss(_STATEMENT)
        raise self._error()

    def _query_statement(
        self, first: ast.VariableRef | None = None
    ) -> ast.Select | ast.SetOperation | ast.SelectVec | ast.Rank | None:
        query = self._query(first)
        self._end()
        if isinstance(query, ast.VariableRef):
            name = shorten(query.name)
            self._problem(query.pos, f"`{name}` alone is no statement; use PRINT {name}")
            return None
        return query

    def _end(self) -> None:
        """The statement must end here (at its `;`, or at the end of the script)."""
        kind = self.tok.kind
        if kind != "SEMI" and kind != "END":
            self._miss(("SEMI",))
            raise self._error()

    def _declare(self) -> ast.Declare:
        keyword = self._advance()
        name = self._name()
        self._expect("AS")
        query = self._query()
        self._end()
        return ast.Declare(name.text, query, self.index, _pos(keyword))

    def _register(self) -> ast.RegisterDataset | ast.RegisterModel:
        keyword = self._advance()
        kind = self._kind()
        name = self._name_lit()
        self._expect("LPAR")
        columns: list[str] = []
        if self.tok.kind != "RPAR":
            self._miss(("RPAR",))
            columns.append(str(self._name_lit().value))
            while self._accept("COMMA"):
                columns.append(str(self._name_lit().value))
        self._expect("RPAR")
        self._expect("VALUES")
        self._expect("LPAR")
        values: list[ast.Value] = []
        if self.tok.kind != "RPAR":
            self._miss(("RPAR",))
            values.append(self._value().value)
            while self._accept("COMMA"):
                values.append(self._value().value)
        self._expect("RPAR")
        self._end()
        node = ast.RegisterDataset if kind == "DATASET" else ast.RegisterModel
        return node(str(name.value), tuple(columns), tuple(values), self.index, _pos(keyword))

    def _drop(self) -> ast.DropDataset | ast.DropModel:
        keyword = self._advance()
        kind = self._kind()
        if_exists = self._accept("IF") is not None
        if if_exists:
            self._expect("EXISTS")
        name = self._name_lit()
        self._end()
        node = ast.DropDataset if kind == "DATASET" else ast.DropModel
        return node(str(name.value), if_exists, self.index, _pos(keyword))

    def _kind(self) -> str:
        kind = self.tok.kind
        if kind == "DATASET" or kind == "MODEL":
            self._advance()
            return kind
        self._miss(("DATASET", "MODEL"))
        raise self._error()

    def _explain(self) -> ast.Explain:
        keyword = self._advance()
        mode: ast.ExplainMode = "PLAN"
        if self.tok.kind == "JSON" or self.tok.kind == "ANALYZE":
            mode = "JSON" if self._advance().kind == "JSON" else "ANALYZE"
        else:
            self._miss(("JSON", "ANALYZE"))
        query: ast.Query | ast.Finetune
        if self.tok.kind == "FINETUNE":
            query = self._finetune_body()
        else:
            self._miss(("FINETUNE",))
            query = self._query()
        self._end()
        return ast.Explain(mode, query, self.index, _pos(keyword))

    def _finetune(self) -> ast.Finetune:
        finetune = self._finetune_body()
        self._end()
        return finetune

    def _finetune_body(self) -> ast.Finetune:
        keyword = self._advance()
        models: list[ast.ModelName] = []
        if self._accept("LSQB"):
            models.append(self._model_name())
            while self._accept("COMMA"):
                models.append(self._model_name())
            self._expect("RSQB")
        else:
            models.append(self._model_name())
        self._expect("WITH")
        dataset = self._datasets()
        params: tuple[tuple[str, ast.Value], ...] = ()
        if self._accept("USING"):
            params = self._params()
        wait = self._accept("WAIT") is not None
        return ast.Finetune(tuple(models), dataset, params, wait, self.index, _pos(keyword))

    def _model_name(self) -> ast.ModelName:
        tok = self.tok
        lit = self._name_lit()
        return ast.ModelName(str(lit.value), tok.kind == "STRING", lit.pos)

    def _use(self) -> ast.Use:
        """USE takes a host:port written as is (`127.0.0.1:8001`, `my-host:80`), which other
        statements read as several tokens: the rest of the statement is read again here."""
        keyword = self._advance()
        end = self._statement_end()
        target = host_port_at(self.script, keyword.start + len(keyword.text), end)
        if target is None:
            self._miss(("STRING", "HOSTPORT"))
            raise self._error()
        kind, text, at = target
        line = keyword.line + self.script.count("\n", keyword.start, at)
        newline = self.script.rfind("\n", keyword.start, at)
        column = at - newline if newline >= 0 else keyword.column + at - keyword.start
        value = unquote(text) if kind == "STRING" else text
        pos = ast.Pos(line, column)
        rest = tokens_between(self.script, at + len(text), end, line, column + len(text))
        outer = self.tokens, self.i
        while self.tok.kind not in ("SEMI", "END"):  # the statement's own tokens, read again
            self._advance()
        after = self.i
        self.tokens, self.i, self.tok = rest, 0, rest[0]
        self._missed_at = -1  # what was missed applies to the other tokens
        try:
            self._end()
            if self.tok.kind == "SEMI":
                self._advance()
                if self.tok.kind != "END":  # `;` ends the statement: nothing may follow it
                    raise self._error()
        finally:
            self.tokens, self.i = outer[0], after
            self.tok = self.tokens[after]
            self._missed_at = -1
        self._problems_from(checks.check_use_target(value, pos))
        return ast.Use(value, self.index, _pos(keyword))

    def _statement_end(self) -> int:
        """Where the current statement's text ends: after its `;`, or at the script's end."""
        i = self.i
        while self.tokens[i].kind not in ("SEMI", "END"):
            i += 1
        last = self.tokens[i]
        return last.start + 1 if last.kind == "SEMI" else len(self.script)

    def _print(self) -> ast.Print:
        keyword = self._advance()
        if self._accept("STAR"):
            self._end()
            return ast.Print(None, self.index, _pos(keyword))
        name = self._name()
        self._end()
        return ast.Print(name.text, self.index, _pos(keyword))

    def _purge(self) -> ast.Purge:
        keyword = self._advance()
        self._end()
        return ast.Purge(self.index, _pos(keyword))

    # --- queries ----------------------------------------------------------------------

    def _query(self, first: ast.VariableRef | None = None) -> ast.Query:
        if first is None and self.tok.kind == "RANK":
            return self._rank()
        if first is None:
            self._miss(("RANK",))
        return self._set_expr(first)

    def _set_expr(self, first: ast.VariableRef | None = None) -> _Operand:
        left = self._set_term(first)
        while True:
            kind = self.tok.kind
            if kind != "UNION" and kind != "EXCEPT":
                self._miss(("UNION", "EXCEPT"))
                return left
            op = self._advance()
            left = self._set_operation(op, left, self._set_term())

    def _set_term(self, first: ast.VariableRef | None = None) -> _Operand:
        left = self._set_primary() if first is None else first
        while self.tok.kind == "INTERSECT":
            op = self._advance()
            left = self._set_operation(op, left, self._set_primary())
        self._miss(("INTERSECT",))
        return left

    def _set_primary(self) -> _Operand:
        tok = self.tok
        if tok.kind == "SELECT":
            return self._select()
        if tok.kind == "LPAR":
            self._advance()
            self._enter(tok)
            inner = self._set_expr()
            self._expect("RPAR")
            self.depth -= 1
            return inner
        if tok.word:
            self._advance()
            return ast.VariableRef(tok.text, _pos(tok))
        self._miss(("SELECT", "LPAR", "NAME"))
        raise self._error()

    def _set_operation(self, op: Token, left: _Operand, right: _Operand) -> ast.SetOperation:
        """`left op right`; an operand that is a SELECT vec is a problem (and the statement is
        then dropped, so the node's operand types need not hold)."""
        word = op.kind
        self.levels += 1
        for operand in (left, right):
            if isinstance(operand, ast.SelectVec):
                self._problem(operand.pos, f"SELECT vec cannot be combined with {word}")
        return ast.SetOperation(word, left, right, self.index, left.pos)  # type: ignore[arg-type]

    def _select(self) -> ast.Select | ast.SelectVec:
        keyword = self._advance()
        columns = self._columns()
        table = self._from()
        where = self._where()
        clauses = self._clauses()
        select = self._build_select(keyword, columns, table, where, clauses)
        if isinstance(columns, tuple) and any(
            item.column.name == "vec" and item.aggregate is None for item in columns
        ):
            return self._select_vec(select, clauses)
        return select

    def _rank(self) -> ast.Rank:
        keyword = self._advance()
        columns = self._columns()
        table = self._from()
        where = self._where()
        clauses = self._clauses()
        self._expect("BY")
        scorer = self._string()
        if self.tok.kind == "WAIT":  # `… BY "leep" WAIT`, as the authors' extensions write it
            clauses.append(Clause("WAIT", True, _pos(self._advance())))
        else:
            self._miss(("WAIT",))
        select = self._build_select(keyword, columns, table, where, clauses)
        return ast.Rank(select, str(scorer.value), self.index, select.pos)

    def _columns(self) -> ast.Columns:
        tok = self.tok
        if tok.kind == "STAR" or tok.kind == "ALL":
            self._advance()
            return ast.AllColumns(_pos(tok))
        if not tok.word:
            self._miss(("STAR", "ALL", "NAME"))
            raise self._error()
        items = [self._select_item()]
        while self._accept("COMMA"):
            items.append(self._select_item())
        return tuple(items)

    def _select_item(self) -> ast.SelectItem:
        word = self._name()
        aggregate: ast.ColumnFunc | None = None
        if self.tok.kind == "LPAR":  # avg(test_accuracy), count(*)
            self._advance()
            column = self._aggregated_column()
            self._expect("RPAR")
            aggregate = self._column_func(word, column)
        else:
            self._miss(("LPAR",))
            column = ast.Column(names.column_name(word.text), _pos(word))
        alias = None
        if self._accept("AS"):
            alias = self._name().text
        return ast.SelectItem(column, alias, aggregate, _pos(word))

    def _aggregated_column(self) -> ast.Column:
        """The column in `avg(…)`, or `*`."""
        tok = self.tok
        if tok.kind == "STAR":
            self._advance()
            return ast.Column("*", _pos(tok))
        if tok.word:
            self._advance()
            return ast.Column(names.column_name(tok.text), _pos(tok))
        self._miss(("NAME", "STAR"))
        raise self._error()

    def _column_func(self, word: Token, column: ast.Column) -> ast.ColumnFunc:
        """The aggregate `word(column)` names; a problem for an unknown one, or `*` with
        anything but count."""
        func = word.text.lower()
        if func not in names.COLUMN_FUNCS:
            known = ", ".join(names.COLUMN_FUNCS)
            self._problem(
                _pos(word), f"unknown aggregate `{shorten(word.text)}`; expected one of {known}"
            )
            return "count"
        if column.name == "*" and func != "count":
            self._problem(column.pos, f"`{func}(*)`: only count takes `*`; name a column")
        return func  # type: ignore[return-value]

    def _from(self) -> ast.Table:
        self._expect("FROM")
        word = self._name()
        canonical = names.table_name(word.text)
        return ast.Table(canonical or word.text, canonical is None, _pos(word))

    def _where(self) -> ast.Predicate | None:
        if self.tok.kind == "WHERE":
            self._advance()
            return self._or()
        self._miss(("WHERE",))
        return None

    def _build_select(
        self, keyword: Token, columns: ast.Columns, table: ast.Table, where: Any, clauses: Any
    ) -> ast.Select:
        self._problems_from(checks.repeated_clauses([(c.name, c.pos) for c in clauses]))
        fields: dict[str, Any] = {}
        for clause in clauses:
            if clause.name == "TESTED ON":
                fields.setdefault("test_mode", clause.value[0])
                fields.setdefault("tested_on", clause.value[1])
            else:
                fields.setdefault(_CLAUSE_FIELDS[clause.name], clause.value)
        return ast.Select(columns, table, where, index=self.index, pos=_pos(keyword), **fields)

    def _select_vec(self, select: ast.Select, clauses: list[Clause]) -> ast.Select | ast.SelectVec:
        """`SELECT vec FROM v WHERE probe = m` and nothing more; anything else with a `vec`
        column is an error (no catalog table has one), not a plain SELECT."""
        assert isinstance(select.columns, tuple)
        found = len(self.problems)
        vec = next(i for i in select.columns if i.column.name == "vec" and i.aggregate is None)
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
            wanted = f"a models variable as probe, not the string {quote(shorten(where.value))}"
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
        self._problem(pos, f"SELECT vec {what}; its form is `{_VEC_FORM}`")

    # --- clauses ----------------------------------------------------------------------

    def _clauses(self) -> list[Clause]:
        clauses: list[Clause] = []
        while True:
            reader = _CLAUSE_READERS.get(self.tok.kind)
            if reader is None:
                self._miss(_CLAUSES)
                return clauses
            clauses.append(reader(self))

    def _order_clause(self) -> Clause:
        keyword = self._advance()
        self._expect("BY")
        return Clause("ORDER BY", self._ordering(), _pos(keyword))

    def _trained_clause(self) -> Clause:
        keyword = self._advance()
        self._expect("ON")
        return Clause("TRAINED ON", self._datasets(), _pos(keyword))

    def _tested_clause(self) -> Clause:
        keyword = self._advance()
        self._expect("ON")
        mode = None
        if self.tok.kind == "TASK" or self.tok.kind == "BENCHMARK":
            mode = self._advance().kind
        else:
            self._miss(("TASK", "BENCHMARK"))
        return Clause("TESTED ON", (mode, self._datasets()), _pos(keyword))

    def _classified_clause(self) -> Clause:
        keyword = self._advance()
        self._expect("BY")
        proxies: list[ast.ProxySpec] = []
        if self._accept("LSQB"):
            proxies.append(self._proxy())
            while self._accept("COMMA"):
                proxies.append(self._proxy())
            self._expect("RSQB")
        else:
            proxies.append(self._proxy())
        return Clause("CLASSIFIED BY", tuple(proxies), _pos(keyword))

    def _limit_clause(self) -> Clause:
        keyword = self._advance()
        lit = self._number()
        if lit.value is None:
            return Clause("LIMIT", 1, _pos(keyword))
        limit = self._whole(lit, "LIMIT")
        self._problems_from(checks.check_limit(limit, lit.pos))
        return Clause("LIMIT", limit, _pos(keyword))

    def _other_clause(self) -> Clause:
        keyword = self._advance()
        self._expect("THAN")
        return Clause("OTHER THAN", self._name().text, _pos(keyword))

    def _amount_clause(self) -> Clause:
        keyword = self._advance()
        name = keyword.kind
        if self._accept("AUTO"):
            return Clause(name, ast.AUTO, _pos(keyword))
        lit = self._number()
        if lit.value is None:
            return Clause(name, 1, _pos(keyword))
        value = self._whole(lit, name)
        self._problems_from(checks.check_amount(name, value, lit.pos))
        return Clause(name, value, _pos(keyword))

    def _wait_clause(self) -> Clause:
        return Clause("WAIT", True, _pos(self._advance()))

    def _group_clause(self) -> Clause:
        keyword = self._advance()
        self._expect("BY")
        columns = [self._group_column()]
        while self._accept("COMMA"):
            columns.append(self._group_column())
        return Clause("GROUP BY", tuple(columns), _pos(keyword))

    def _group_column(self) -> ast.Column:
        word = self._name()
        return ast.Column(names.column_name(word.text), _pos(word))

    def _whole(self, lit: Lit, clause: str) -> int:
        if isinstance(lit.value, int) and not isinstance(lit.value, bool):
            return lit.value
        self._problem(lit.pos, f"{clause} takes a whole number, not {lit.value!r}")
        return 1

    # --- orderings --------------------------------------------------------------------

    def _ordering(self) -> ast.Ordering:
        tok = self.tok
        key: ast.OrderKey
        if tok.kind == "AUTO":
            key = self._auto_key()
        elif tok.kind == "STRING":
            self._advance()
            text = unquote(tok.text)
            spec = ast.ProxySpec(names.proxy_name(text), (), text, _pos(tok))
            key = ast.ProxyOrdering(spec, _pos(tok))
        elif tok.word:
            self._advance()
            if self.tok.kind == "LPAR":
                key = self._call_key(tok)
            else:
                self._miss(("LPAR",))
                key = self._name_key(tok)
        else:
            self._miss(("NAME", "STRING"))
            raise self._error()
        descending = False
        if self.tok.kind == "ASC" or self.tok.kind == "DESC":
            descending = self._advance().kind == "DESC"
        else:
            self._miss(("ASC", "DESC"))
        return ast.Ordering(key, descending, key.pos)

    def _name_key(self, tok: Token) -> ast.OrderKey:
        word, pos = tok.text, _pos(tok)
        if word.lower() in names.METRICS:
            return ast.ProxyErr(word.lower(), pos)  # type: ignore[arg-type]
        proxy = names.known_proxy(word)
        if proxy is not None:
            return ast.ProxyOrdering(ast.ProxySpec(proxy, (), word, pos), pos)
        return ast.Column(names.column_name(word), pos)

    def _auto_key(self) -> ast.AutoStrategy:
        """`AUTO` or `Auto(regret=0.5)`: SHiFT chooses the strategy."""
        keyword = self._advance()
        params: tuple[tuple[str, ast.Value], ...] = ()
        if self._accept("LPAR"):
            if self.tok.word:
                params = self._params()
            else:
                self._miss(("NAME",))
            self._expect("RPAR")
        return ast.AutoStrategy(params, _pos(keyword))

    def _call_key(self, name: Token) -> ast.OrderKey:
        """`Linear(lr=0.1)` (a proxy with parameters), `avg(err)` (an aggregate) or
        `Cascade(CosineNN, LogME, keep=4)` (stages, then parameters)."""
        self._advance()
        params: tuple[tuple[str, ast.Value], ...] = ()
        word = None
        if self.tok.kind == "STRING":
            return self._cascade(name, self._proxy_rest(self._advance()))
        if self.tok.word:
            first = self._advance()
            kind = self.tok.kind
            if kind == "OP_EQ" or kind == "OP_EQEQ":
                params = self._params(first)
            elif kind == "COMMA" or kind == "LPAR":
                return self._cascade(name, self._proxy_rest(first))
            else:
                self._miss(("OP_EQ", "COMMA", "LPAR"))
                word = first
        elif self.tok.kind == "STAR":  # count(*)
            word = self._advance()
        else:
            self._miss(("NAME", "STRING", "STAR"))
        self._expect("RPAR")
        pos = _pos(name)
        if word is None:
            spec = ast.ProxySpec(names.proxy_name(name.text), params, name.text, pos)
            return ast.ProxyOrdering(spec, pos)
        func, metric = name.text.lower(), word.text.lower()
        if func in names.AGGREGATES and metric in names.METRICS:
            return ast.Aggregate(func, metric, pos)  # type: ignore[arg-type]
        if func in names.COLUMN_FUNCS and (word.kind != "STAR" or func == "count"):
            column = ast.Column(
                "*" if word.kind == "STAR" else names.column_name(word.text), _pos(word)
            )
            return ast.ColumnAggregate(func, column, pos)  # type: ignore[arg-type]
        self._problem(_pos(word), checks.aggregate_problem(name.text, word.text))
        return ast.Aggregate("avg", "err", pos)

    def _cascade(self, name: Token, first: ast.ProxySpec) -> ast.Cascade:
        """The rest of `Cascade(first, stage, …, keep=…, prior=…)`: at least two stages, then
        parameters (a word followed by `=` is a parameter)."""
        self._expect("COMMA")
        stages = [first, self._proxy()]
        params: list[Param] = []
        while self._accept("COMMA"):
            tok = self.tok
            if tok.kind == "STRING" and not params:
                stages.append(self._proxy_rest(self._advance()))
            elif tok.word:
                self._advance()
                if params or self.tok.kind == "OP_EQ" or self.tok.kind == "OP_EQEQ":
                    params.append(self._param(tok))
                else:
                    self._miss(("OP_EQ",))
                    stages.append(self._proxy_rest(tok))
            else:
                self._miss(("NAME",) if params else ("NAME", "STRING"))
                raise self._error()
        self._expect("RPAR")
        self._problems_from(checks.repeated_params([(p.name, p.spelling, p.pos) for p in params]))
        self._problems_from(checks.check_cascade(name.text, _pos(name), stages, params))
        keep, prior = checks.cascade_options(params)
        return ast.Cascade(tuple(stages), keep, prior, _pos(name))


_CLAUSE_FIELDS = {
    "ORDER BY": "order",
    "TRAINED ON": "trained_on",
    "CLASSIFIED BY": "classified_by",
    "LIMIT": "limit",
    "OTHER THAN": "other_than",
    "CHUNK": "chunk",
    "BUDGET": "budget",
    "WAIT": "wait",
    "GROUP BY": "group_by",
}

_Reader = Callable[[StatementReader], Any]

_STATEMENT_READERS: dict[str, _Reader] = {
    "SELECT": StatementReader._query_statement,
    "LPAR": StatementReader._query_statement,
    "RANK": StatementReader._query_statement,
    "DECLARE": StatementReader._declare,
    "REGISTER": StatementReader._register,
    "DROP": StatementReader._drop,
    "EXPLAIN": StatementReader._explain,
    "FINETUNE": StatementReader._finetune,
    "USE": StatementReader._use,
    "PRINT": StatementReader._print,
    "PURGE": StatementReader._purge,
}

_CLAUSE_READERS: dict[str, _Reader] = {
    "ORDER": StatementReader._order_clause,
    "TRAINED": StatementReader._trained_clause,
    "TESTED": StatementReader._tested_clause,
    "CLASSIFIED": StatementReader._classified_clause,
    "LIMIT": StatementReader._limit_clause,
    "OTHER": StatementReader._other_clause,
    "CHUNK": StatementReader._amount_clause,
    "BUDGET": StatementReader._amount_clause,
    "WAIT": StatementReader._wait_clause,
    "GROUP": StatementReader._group_clause,
}
