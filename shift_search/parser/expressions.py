"""The expressions of SHiFT-QL statements, read by recursive descent (the grammar is in
`grammar.py`'s docstring): conditions, values, datasets, proxies and their parameters."""

from __future__ import annotations

from shift_search.parser import ast, checks, names
from shift_search.parser.cursor import Lit, Param, TokenCursor
from shift_search.parser.cursor import position as _pos
from shift_search.parser.errors import shorten
from shift_search.parser.lexer import Token
from shift_search.parser.literals import read_number, unquote

FLAGS = ("finetuned",)

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

# What may come at a point, as grammar terminals (`errors.describe_expected` words them).
_VALUE = ("STRING", "MINUS", "NUMBER", "INT_LIT", "NAME", "TRUE", "FALSE", "NULL", "LSQB")
_AFTER_COLUMN = (*_OPS, "NOT", "BETWEEN", "IN", "IS", "LIKE")

_CONSTANTS: dict[str, ast.Value] = {"TRUE": True, "FALSE": False, "NULL": None}


class ExpressionReader(TokenCursor):
    """Reads the parts of statements that nest: conditions, values, datasets, proxies."""

    # --- proxies and parameters -------------------------------------------------------

    def _proxy(self) -> ast.ProxySpec:
        tok = self.tok
        if tok.kind != "STRING" and not tok.word:
            self._miss(("NAME", "STRING"))
            raise self._error()
        return self._proxy_rest(self._advance())

    def _proxy_rest(self, tok: Token) -> ast.ProxySpec:
        """A proxy whose name (`tok`, a word or a string) was read: its parameters, if any."""
        text = unquote(tok.text) if tok.kind == "STRING" else tok.text
        params: tuple[tuple[str, ast.Value], ...] = ()
        if self._accept("LPAR"):
            if self.tok.word:
                params = self._params()
            else:
                self._miss(("NAME",))
            self._expect("RPAR")
        return ast.ProxySpec(names.proxy_name(text), params, text, _pos(tok))

    def _params(self, first: Token | None = None) -> tuple[tuple[str, ast.Value], ...]:
        """`name=value, …` (`first`: its first name, already read)."""
        params = [self._param(first)]
        while self._accept("COMMA"):
            params.append(self._param())
        self._problems_from(checks.repeated_params([(p.name, p.spelling, p.pos) for p in params]))
        return tuple((p.name, p.value) for p in params)

    def _param(self, name: Token | None = None) -> Param:
        if name is None:
            name = self._name()
        tok = self.tok
        if tok.kind == "OP_EQEQ":  # `lr==1` reads as `lr=` and then a stray `=`
            second = Token("OP_EQ", "=", tok.start + 1, tok.line, tok.column + 1)
            raise self._error_at(second, _VALUE)
        self._expect("OP_EQ")
        lit = self._value()
        return Param(names.param_name(name.text), name.text, lit.value, _pos(name))

    # --- datasets ---------------------------------------------------------------------

    def _datasets(self) -> ast.DatasetExpr:
        tok = self.tok
        if tok.kind == "LSQB":
            self._advance()
            items = [self._dataset_item()]
            while self._accept("COMMA"):
                items.append(self._dataset_item())
            self._expect("RSQB")
            return ast.DatasetList(tuple(items), items[0].pos)
        self._miss(("LSQB",))
        return self._dataset_item()

    def _dataset_item(self) -> ast.DatasetName | ast.Mutation:
        if self.tok.kind == "LPAR":
            return self._mutation()
        self._miss(("LPAR",))
        return self._dataset_name()

    def _dataset_name(self) -> ast.DatasetName:
        tok = self.tok
        lit = self._name_lit()
        return ast.DatasetName(str(lit.value), tok.kind == "STRING", lit.pos)

    def _mutation(self) -> ast.Mutation:
        self._advance()
        base = self._dataset_name()
        changes = [self._change()]
        while self._accept("COMMA"):
            changes.append(self._change())
        self._expect("RPAR")
        return ast.Mutation(base, tuple(changes), base.pos)

    def _change(self) -> ast.Change:
        keyword = self._expect("CHANGE")
        indices = self._indices()
        self._expect("TO")
        source = self._dataset_name()
        source_indices = None
        if self.tok.kind == "LSQB":
            source_indices = self._indices()
        else:
            self._miss(("LSQB",))
        return ast.Change(indices, source, source_indices, _pos(keyword))

    def _indices(self) -> tuple[int, ...]:
        self._expect("LSQB")
        found: list[Token] = []
        if self.tok.kind == "INT":
            found.append(self._advance())
            while self._accept("COMMA"):
                found.append(self._expect("INT"))
        else:
            self._miss(("INT_LIT",))
        self._expect("RSQB")
        indices = []
        for tok in found:
            index = checks.read_index(tok.text)
            self._problems_from(checks.check_index(index, tok.text, _pos(tok)))
            indices.append(index)
        return tuple(indices)

    # --- predicates -------------------------------------------------------------------

    def _or(self) -> ast.Predicate:
        first = self._and()
        if self.tok.kind != "OR":
            self._miss(("OR",))
            return first
        parts = [first]
        while self._accept("OR"):
            parts.append(self._and())
        operands = tuple(
            op for p in parts for op in (p.operands if isinstance(p, ast.Or) else (p,))
        )
        self.levels += 1
        return ast.Or(operands, first.pos)

    def _and(self) -> ast.Predicate:
        first = self._not()
        if self.tok.kind != "AND":
            self._miss(("AND",))
            return first
        parts = [first]
        while self._accept("AND"):
            parts.append(self._not())
        operands = tuple(
            op for p in parts for op in (p.operands if isinstance(p, ast.And) else (p,))
        )
        self.levels += 1
        return ast.And(operands, first.pos)

    def _not(self) -> ast.Predicate:
        nots = []
        while self.tok.kind == "NOT":
            nots.append(self._advance())
        self._miss(("NOT",))
        operand = self._atom()
        self.levels += len(nots)
        for keyword in reversed(nots):
            if isinstance(operand, ast.Flag):
                operand = ast.Flag(operand.name, not operand.negated, _pos(keyword))
            else:
                operand = ast.Not(operand, _pos(keyword))
        return operand

    def _atom(self) -> ast.Predicate:
        tok = self.tok
        if tok.kind == "LPAR":
            self._advance()
            self._enter(tok)
            inner = self._or()
            self._expect("RPAR")
            self.depth -= 1
            return inner
        if not tok.word:
            self._miss(("LPAR", "NAME"))
            raise self._error()
        self._advance()
        column = ast.Column(names.column_name(tok.text), _pos(tok))
        kind = self.tok.kind
        op = _OPS.get(kind)
        if op is not None:
            self._advance()
            return ast.Comparison(column, op, self._value().value, column.pos)
        negated = kind == "NOT"
        if negated:
            self._advance()
            kind = self.tok.kind
        if kind == "BETWEEN":
            self._advance()
            low = self._value()
            self._expect("AND")
            high = self._value()
            return ast.Between(column, low.value, high.value, negated, column.pos)
        if kind == "IN":
            return self._in(column, negated)
        if kind == "LIKE":
            self._advance()
            pattern = self._string()
            return ast.Like(column, str(pattern.value), negated, column.pos)
        if negated:
            self._miss(("BETWEEN", "IN", "LIKE"))
            raise self._error()
        if kind == "IS":
            self._advance()
            is_not = self._accept("NOT") is not None
            self._expect("NULL")
            return ast.IsNull(column, is_not, column.pos)
        self._miss(_AFTER_COLUMN)
        if column.name not in FLAGS:
            self._problem(
                column.pos,
                f"`{shorten(column.name)}` alone is no condition; expected a comparison such as "
                f"`{shorten(column.name)} = …`, or a flag: {', '.join(f.upper() for f in FLAGS)}",
            )
        return ast.Flag(column.name, False, column.pos)

    def _in(self, column: ast.Column, negated: bool) -> ast.Predicate:
        self._advance()
        if self._accept("LPAR"):
            values = [self._value().value]
            while self._accept("COMMA"):
                values.append(self._value().value)
            self._expect("RPAR")
            return ast.InList(column, tuple(values), negated, column.pos)
        if self.tok.word:
            variable = self._advance().text
            return ast.InVariable(column, variable, negated, column.pos)
        self._miss(("NAME",))
        raise self._error()

    # --- values -----------------------------------------------------------------------

    def _value(self) -> Lit:
        tok = self.tok
        kind = tok.kind
        if kind == "STRING":
            self._advance()
            return Lit(unquote(tok.text), _pos(tok))
        if kind == "NUMBER" or kind == "INT" or kind == "MINUS":
            return self._number()
        if kind == "TRUE" or kind == "FALSE" or kind == "NULL":
            self._advance()
            return Lit(_CONSTANTS[kind], _pos(tok))
        if kind == "LSQB":
            self._advance()
            self._enter(tok)
            self.levels += 1
            items: list[ast.Value] = []
            pos = ast.NO_POS
            if self.tok.kind != "RSQB":
                self._miss(("RSQB",))
                first = self._value()
                items.append(first.value)
                pos = first.pos
                while self._accept("COMMA"):
                    items.append(self._value().value)
            self._expect("RSQB")
            self.depth -= 1
            return Lit(tuple(items), pos)
        if tok.word:
            self._advance()
            return Lit(ast.Identifier(tok.text), _pos(tok))
        self._miss(_VALUE)
        raise self._error()

    def _number(self) -> Lit:
        minus = self._accept("MINUS")
        tok = self.tok
        if tok.kind != "NUMBER" and tok.kind != "INT":
            self._miss(("NUMBER", "INT_LIT") if minus else ("MINUS", "NUMBER", "INT_LIT"))
            raise self._error()
        self._advance()
        pos = _pos(minus or tok)
        try:
            return Lit(read_number(tok.text, negative=minus is not None), pos)
        except ValueError as error:
            self._problem(pos, str(error))
            return Lit(None, pos)  # no value: the clauses reading it check nothing more

    def _string(self) -> Lit:
        tok = self._expect("STRING")
        return Lit(unquote(tok.text), _pos(tok))

    def _name_lit(self) -> Lit:
        """A quoted or bare name (of a dataset, a model, a registered field)."""
        tok = self.tok
        if tok.kind == "STRING":
            self._advance()
            return Lit(unquote(tok.text), _pos(tok))
        if tok.word:
            self._advance()
            return Lit(tok.text, _pos(tok))
        self._miss(("STRING", "NAME"))
        raise self._error()
