"""AST <-> protobuf (`shift.v1.Script`) both ways: the parser's only contact with generated code."""

from __future__ import annotations

from typing import Any, TypeVar, assert_never

from shift_search.parser import ast
from shift_search.proto.v1 import ast_pb2 as pb
from shift_search.runtime.errors import InvalidArgument

_INT64 = range(-(2**63), 2**63)

_OPS: dict[ast.CompareOp, int] = {
    "=": pb.COMPARE_OP_EQ,
    "!=": pb.COMPARE_OP_NE,
    "<": pb.COMPARE_OP_LT,
    "<=": pb.COMPARE_OP_LE,
    ">": pb.COMPARE_OP_GT,
    ">=": pb.COMPARE_OP_GE,
}
_METRICS: dict[ast.Metric, int] = {"err": pb.METRIC_ERR, "acc": pb.METRIC_ACC}
_AGGREGATES: dict[ast.AggregateFunc, int] = {
    "avg": pb.AGGREGATE_FUNC_AVG,
    "sum": pb.AGGREGATE_FUNC_SUM,
    "min": pb.AGGREGATE_FUNC_MIN,
    "max": pb.AGGREGATE_FUNC_MAX,
}
_COLUMN_FUNCS: dict[ast.ColumnFunc, int] = {
    "avg": pb.COLUMN_FUNC_AVG,
    "sum": pb.COLUMN_FUNC_SUM,
    "min": pb.COLUMN_FUNC_MIN,
    "max": pb.COLUMN_FUNC_MAX,
    "count": pb.COLUMN_FUNC_COUNT,
}
_TEST_MODES: dict[ast.TestMode, int] = {
    "TASK": pb.TEST_MODE_TASK,
    "BENCHMARK": pb.TEST_MODE_BENCHMARK,
}
_SET_OPS: dict[ast.SetOp, int] = {
    "UNION": pb.SET_OP_UNION,
    "INTERSECT": pb.SET_OP_INTERSECT,
    "EXCEPT": pb.SET_OP_EXCEPT,
}
_EXPLAIN_MODES: dict[ast.ExplainMode, int] = {
    "PLAN": pb.EXPLAIN_MODE_PLAN,
    "JSON": pb.EXPLAIN_MODE_JSON,
    "ANALYZE": pb.EXPLAIN_MODE_ANALYZE,
}

K = TypeVar("K")


def _back(table: dict[K, int], value: int) -> K:
    for key, number in table.items():
        if number == value:
            return key
    raise InvalidArgument(f"unknown enum value {value}")


# ==== AST -> protobuf ======================================================================


def script_to_proto(script: ast.Script) -> pb.Script:
    return pb.Script(
        statements=[statement_to_proto(s) for s in script.statements], source=script.source
    )


def _pos(pos: ast.Pos) -> pb.Position:
    return pb.Position(line=pos.line, column=pos.column)


def literal_to_proto(value: ast.Value) -> pb.Literal:
    match value:
        case bool():
            return pb.Literal(bool_value=value)
        case None:
            return pb.Literal(null_value=True)
        case str():
            return pb.Literal(string_value=value)
        case int() if value in _INT64:
            return pb.Literal(int_value=value)
        case int():
            return pb.Literal(big_int_value=str(value))
        case float():
            return pb.Literal(float_value=value)
        case ast.Identifier():
            return pb.Literal(identifier=pb.Identifier(name=value.name))
        case tuple():
            return pb.Literal(list_value=pb.LiteralList(items=[literal_to_proto(v) for v in value]))
        case _:
            assert_never(value)


def _params(params: tuple[tuple[str, ast.Value], ...]) -> list[pb.Param]:
    return [pb.Param(key=k, value=literal_to_proto(v)) for k, v in params]


def _column(column: ast.Column) -> pb.Column:
    return pb.Column(name=column.name, pos=_pos(column.pos))


def predicate_to_proto(p: ast.Predicate) -> pb.Predicate:
    match p:
        case ast.Comparison():
            return pb.Predicate(
                comparison=pb.Comparison(
                    column=_column(p.column),
                    op=_OPS[p.op],  # type: ignore[arg-type]
                    value=literal_to_proto(p.value),
                    pos=_pos(p.pos),
                )
            )
        case ast.Between():
            between = pb.Between(
                column=_column(p.column),
                low=literal_to_proto(p.low),
                high=literal_to_proto(p.high),
                negated=p.negated,
                pos=_pos(p.pos),
            )
            return pb.Predicate(between=between)
        case ast.InList():
            in_list = pb.InList(
                column=_column(p.column),
                values=[literal_to_proto(v) for v in p.values],
                negated=p.negated,
                pos=_pos(p.pos),
            )
            return pb.Predicate(in_list=in_list)
        case ast.InVariable():
            in_variable = pb.InVariable(
                column=_column(p.column), variable=p.variable, negated=p.negated, pos=_pos(p.pos)
            )
            return pb.Predicate(in_variable=in_variable)
        case ast.IsNull():
            is_null = pb.IsNull(column=_column(p.column), negated=p.negated, pos=_pos(p.pos))
            return pb.Predicate(is_null=is_null)
        case ast.Like():
            like = pb.Like(
                column=_column(p.column), pattern=p.pattern, negated=p.negated, pos=_pos(p.pos)
            )
            return pb.Predicate(like=like)
        case ast.Flag():
            return pb.Predicate(flag=pb.Flag(name=p.name, negated=p.negated, pos=_pos(p.pos)))
        case ast.And():
            operands = [predicate_to_proto(op) for op in p.operands]
            return pb.Predicate(all_of=pb.And(operands=operands, pos=_pos(p.pos)))
        case ast.Or():
            operands = [predicate_to_proto(op) for op in p.operands]
            return pb.Predicate(any_of=pb.Or(operands=operands, pos=_pos(p.pos)))
        case ast.Not():
            negation = pb.Not(operand=predicate_to_proto(p.operand), pos=_pos(p.pos))
            return pb.Predicate(negation=negation)
        case _:
            assert_never(p)


def _proxy(proxy: ast.ProxySpec) -> pb.Proxy:
    return pb.Proxy(
        name=proxy.name, params=_params(proxy.params), text=proxy.text, pos=_pos(proxy.pos)
    )


def _ordering(ordering: ast.Ordering) -> pb.Ordering:
    out = pb.Ordering(descending=ordering.descending, pos=_pos(ordering.pos))
    key = ordering.key
    match key:
        case ast.Column():
            out.column.CopyFrom(_column(key))
        case ast.ProxyOrdering():
            out.proxy.CopyFrom(pb.ProxyOrdering(proxy=_proxy(key.proxy), pos=_pos(key.pos)))
        case ast.ProxyErr():
            out.proxy_err.CopyFrom(
                pb.ProxyErr(metric=_METRICS[key.metric], pos=_pos(key.pos))  # type: ignore[arg-type]
            )
        case ast.Aggregate():
            aggregate = pb.Aggregate(
                func=_AGGREGATES[key.func],  # type: ignore[arg-type]
                metric=_METRICS[key.metric],  # type: ignore[arg-type]
                pos=_pos(key.pos),
            )
            out.aggregate.CopyFrom(aggregate)
        case ast.ColumnAggregate():
            column_aggregate = pb.ColumnAggregate(
                func=_COLUMN_FUNCS[key.func],  # type: ignore[arg-type]
                column=_column(key.column),
                pos=_pos(key.pos),
            )
            out.column_aggregate.CopyFrom(column_aggregate)
        case ast.Cascade():
            cascade = pb.Cascade(
                stages=[_proxy(stage) for stage in key.stages], keep=key.keep, pos=_pos(key.pos)
            )
            if key.prior is not None:
                cascade.prior = key.prior
            out.cascade.CopyFrom(cascade)
        case ast.AutoStrategy():
            out.auto.CopyFrom(pb.AutoStrategy(params=_params(key.params), pos=_pos(key.pos)))
        case _:
            assert_never(key)
    return out


def _dataset_name(name: ast.DatasetName) -> pb.DatasetName:
    return pb.DatasetName(name=name.name, quoted=name.quoted, pos=_pos(name.pos))


def _mutation(mutation: ast.Mutation) -> pb.Mutation:
    changes = []
    for c in mutation.changes:
        change = pb.Change(
            indices=pb.IndexList(indices=c.indices), source=_dataset_name(c.source), pos=_pos(c.pos)
        )
        if c.source_indices is not None:
            change.source_indices.CopyFrom(pb.IndexList(indices=c.source_indices))
        changes.append(change)
    return pb.Mutation(base=_dataset_name(mutation.base), changes=changes, pos=_pos(mutation.pos))


def datasets_to_proto(datasets: ast.DatasetExpr) -> pb.DatasetExpr:
    match datasets:
        case ast.DatasetName():
            return pb.DatasetExpr(name=_dataset_name(datasets))
        case ast.Mutation():
            return pb.DatasetExpr(mutation=_mutation(datasets))
        case ast.DatasetList():
            items = [
                pb.DatasetItem(mutation=_mutation(item))
                if isinstance(item, ast.Mutation)
                else pb.DatasetItem(name=_dataset_name(item))
                for item in datasets.items
            ]
            return pb.DatasetExpr(list=pb.DatasetList(items=items, pos=_pos(datasets.pos)))
        case _:
            assert_never(datasets)


def _amount(amount: int | ast.Auto) -> pb.Amount:
    return pb.Amount(auto=True) if amount == ast.AUTO else pb.Amount(count=int(amount))


def select_to_proto(s: ast.Select) -> pb.Select:
    out = pb.Select(
        table=pb.Table(name=s.table.name, variable=s.table.variable, pos=_pos(s.table.pos)),
        classified_by=[_proxy(p) for p in s.classified_by],
        wait=s.wait,
        index=s.index,
        pos=_pos(s.pos),
    )
    if isinstance(s.columns, ast.AllColumns):
        out.all_columns.CopyFrom(pb.AllColumns(pos=_pos(s.columns.pos)))
    else:
        items = [
            pb.SelectItem(
                column=_column(i.column),
                alias=i.alias,
                pos=_pos(i.pos),
                aggregate=_COLUMN_FUNCS[i.aggregate] if i.aggregate else 0,  # type: ignore[arg-type]
            )
            for i in s.columns
        ]
        out.items.CopyFrom(pb.SelectItems(items=items))
    if s.where is not None:
        out.where.CopyFrom(predicate_to_proto(s.where))
    if s.order is not None:
        out.order.CopyFrom(_ordering(s.order))
    if s.trained_on is not None:
        out.trained_on.CopyFrom(datasets_to_proto(s.trained_on))
    if s.tested_on is not None:
        out.tested_on.CopyFrom(datasets_to_proto(s.tested_on))
    if s.test_mode is not None:
        out.test_mode = _TEST_MODES[s.test_mode]  # type: ignore[assignment]
    if s.limit is not None:
        out.limit = s.limit
    if s.other_than is not None:
        out.other_than = s.other_than
    if s.chunk is not None:
        out.chunk.CopyFrom(_amount(s.chunk))
    if s.budget is not None:
        out.budget.CopyFrom(_amount(s.budget))
    out.group_by.extend(_column(c) for c in s.group_by)
    return out


def _set_operation(s: ast.SetOperation) -> pb.SetOperation:
    return pb.SetOperation(
        op=_SET_OPS[s.op],  # type: ignore[arg-type]
        left=_set_operand(s.left),
        right=_set_operand(s.right),
        index=s.index,
        pos=_pos(s.pos),
    )


def _operand_fields(q: ast.SetOperand) -> dict[str, Any]:
    """The oneof field for a select, set operation or variable: what pb.SetOperand and pb.Query
    share."""
    match q:
        case ast.Select():
            return {"select": select_to_proto(q)}
        case ast.SetOperation():
            return {"set_operation": _set_operation(q)}
        case ast.VariableRef():
            return {"variable": pb.VariableRef(name=q.name, pos=_pos(q.pos))}
        case _:
            assert_never(q)


def _set_operand(q: ast.SetOperand) -> pb.SetOperand:
    return pb.SetOperand(**_operand_fields(q))


def _select_vec(q: ast.SelectVec) -> pb.SelectVec:
    return pb.SelectVec(datasets=q.datasets, probe=q.probe, index=q.index, pos=_pos(q.pos))


def _rank(q: ast.Rank) -> pb.Rank:
    return pb.Rank(query=select_to_proto(q.query), scorer=q.scorer, index=q.index, pos=_pos(q.pos))


def query_to_proto(q: ast.Query) -> pb.Query:
    match q:
        case ast.Select() | ast.SetOperation() | ast.VariableRef():
            return pb.Query(**_operand_fields(q))
        case ast.SelectVec():
            return pb.Query(select_vec=_select_vec(q))
        case ast.Rank():
            return pb.Query(rank=_rank(q))
        case _:
            assert_never(q)


def _finetune(s: ast.Finetune) -> pb.Finetune:
    models = [pb.ModelName(name=m.name, quoted=m.quoted, pos=_pos(m.pos)) for m in s.models]
    return pb.Finetune(
        models=models,
        dataset=datasets_to_proto(s.dataset),
        params=_params(s.params),
        wait=s.wait,
        index=s.index,
        pos=_pos(s.pos),
    )


def statement_to_proto(s: ast.Statement) -> pb.Statement:
    pos = _pos(s.pos)
    match s:
        case ast.Select():
            return pb.Statement(select=select_to_proto(s))
        case ast.SetOperation():
            return pb.Statement(set_operation=_set_operation(s))
        case ast.SelectVec():
            return pb.Statement(select_vec=_select_vec(s))
        case ast.Rank():
            return pb.Statement(rank=_rank(s))
        case ast.Declare():
            query = query_to_proto(s.query)
            return pb.Statement(
                declare=pb.Declare(name=s.name, query=query, index=s.index, pos=pos)
            )
        case ast.RegisterDataset():
            values = [literal_to_proto(v) for v in s.values]
            register = pb.RegisterDataset(
                name=s.name, columns=s.columns, values=values, index=s.index, pos=pos
            )
            return pb.Statement(register_dataset=register)
        case ast.RegisterModel():
            values = [literal_to_proto(v) for v in s.values]
            model = pb.RegisterModel(
                name=s.name, columns=s.columns, values=values, index=s.index, pos=pos
            )
            return pb.Statement(register_model=model)
        case ast.DropDataset():
            drop_dataset = pb.DropDataset(
                name=s.name, if_exists=s.if_exists, index=s.index, pos=pos
            )
            return pb.Statement(drop_dataset=drop_dataset)
        case ast.DropModel():
            drop_model = pb.DropModel(name=s.name, if_exists=s.if_exists, index=s.index, pos=pos)
            return pb.Statement(drop_model=drop_model)
        case ast.Explain():
            explain = pb.Explain(mode=_EXPLAIN_MODES[s.mode], index=s.index, pos=pos)  # type: ignore[arg-type]
            if isinstance(s.query, ast.Finetune):
                explain.finetune.CopyFrom(_finetune(s.query))
            else:
                explain.query.CopyFrom(query_to_proto(s.query))
            return pb.Statement(explain=explain)
        case ast.Finetune():
            return pb.Statement(finetune=_finetune(s))
        case ast.Use():
            return pb.Statement(use=pb.Use(target=s.target, index=s.index, pos=pos))
        case ast.Print():
            return pb.Statement(print=pb.Print(variable=s.variable, index=s.index, pos=pos))
        case ast.Purge():
            return pb.Statement(purge=pb.Purge(index=s.index, pos=pos))
        case _:
            assert_never(s)


# ==== protobuf -> AST ======================================================================


def script_from_proto(message: pb.Script) -> ast.Script:
    return ast.Script(
        tuple(statement_from_proto(s) for s in message.statements), message.source or "<query>"
    )


def _pos_of(message: Any) -> ast.Pos:
    return ast.Pos(message.pos.line, message.pos.column)


def literal_from_proto(message: pb.Literal) -> ast.Value:
    kind = message.WhichOneof("kind")
    match kind:
        case "string_value" | "int_value" | "float_value" | "bool_value":
            return getattr(message, kind)
        case "big_int_value":
            return int(message.big_int_value)
        case "identifier":
            return ast.Identifier(message.identifier.name)
        case "list_value":
            return tuple(literal_from_proto(v) for v in message.list_value.items)
        case _:
            return None


def _params_from(params: Any) -> tuple[tuple[str, ast.Value], ...]:
    return tuple((p.key, literal_from_proto(p.value)) for p in params)


def _column_from(message: pb.Column) -> ast.Column:
    return ast.Column(message.name, _pos_of(message))


def predicate_from_proto(message: pb.Predicate) -> ast.Predicate:
    kind = message.WhichOneof("kind")
    match kind:
        case "comparison":
            c = message.comparison
            op = _back(_OPS, c.op)
            return ast.Comparison(
                _column_from(c.column), op, literal_from_proto(c.value), _pos_of(c)
            )
        case "between":
            b = message.between
            low, high = literal_from_proto(b.low), literal_from_proto(b.high)
            return ast.Between(_column_from(b.column), low, high, b.negated, _pos_of(b))
        case "in_list":
            i = message.in_list
            values = tuple(literal_from_proto(v) for v in i.values)
            return ast.InList(_column_from(i.column), values, i.negated, _pos_of(i))
        case "in_variable":
            v = message.in_variable
            return ast.InVariable(_column_from(v.column), v.variable, v.negated, _pos_of(v))
        case "is_null":
            n = message.is_null
            return ast.IsNull(_column_from(n.column), n.negated, _pos_of(n))
        case "like":
            lk = message.like
            return ast.Like(_column_from(lk.column), lk.pattern, lk.negated, _pos_of(lk))
        case "flag":
            return ast.Flag(message.flag.name, message.flag.negated, _pos_of(message.flag))
        case "all_of":
            a = message.all_of
            return ast.And(tuple(predicate_from_proto(o) for o in a.operands), _pos_of(a))
        case "any_of":
            o = message.any_of
            return ast.Or(tuple(predicate_from_proto(x) for x in o.operands), _pos_of(o))
        case "negation":
            n2 = message.negation
            return ast.Not(predicate_from_proto(n2.operand), _pos_of(n2))
        case _:
            raise InvalidArgument(f"predicate without a kind: {kind}")


def _proxy_from(message: pb.Proxy) -> ast.ProxySpec:
    return ast.ProxySpec(message.name, _params_from(message.params), message.text, _pos_of(message))


def _ordering_from(message: pb.Ordering) -> ast.Ordering:
    kind = message.WhichOneof("key")
    key: ast.OrderKey
    match kind:
        case "column":
            key = _column_from(message.column)
        case "proxy":
            key = ast.ProxyOrdering(_proxy_from(message.proxy.proxy), _pos_of(message.proxy))
        case "proxy_err":
            key = ast.ProxyErr(
                _back(_METRICS, message.proxy_err.metric), _pos_of(message.proxy_err)
            )
        case "aggregate":
            a = message.aggregate
            key = ast.Aggregate(_back(_AGGREGATES, a.func), _back(_METRICS, a.metric), _pos_of(a))
        case "column_aggregate":
            c = message.column_aggregate
            key = ast.ColumnAggregate(
                _back(_COLUMN_FUNCS, c.func), _column_from(c.column), _pos_of(c)
            )
        case "cascade":
            cascade = message.cascade
            prior = cascade.prior if cascade.HasField("prior") else None
            stages = tuple(_proxy_from(stage) for stage in cascade.stages)
            key = ast.Cascade(stages, tuple(cascade.keep), prior, _pos_of(cascade))
        case "auto":
            key = ast.AutoStrategy(_params_from(message.auto.params), _pos_of(message.auto))
        case _:
            raise InvalidArgument(f"ordering without a key: {kind}")
    return ast.Ordering(key, message.descending, _pos_of(message))


def _dataset_name_from(message: pb.DatasetName) -> ast.DatasetName:
    return ast.DatasetName(message.name, message.quoted, _pos_of(message))


def _mutation_from(message: pb.Mutation) -> ast.Mutation:
    changes = tuple(
        ast.Change(
            tuple(c.indices.indices),
            _dataset_name_from(c.source),
            tuple(c.source_indices.indices) if c.HasField("source_indices") else None,
            _pos_of(c),
        )
        for c in message.changes
    )
    return ast.Mutation(_dataset_name_from(message.base), changes, _pos_of(message))


def datasets_from_proto(message: pb.DatasetExpr) -> ast.DatasetExpr:
    kind = message.WhichOneof("kind")
    match kind:
        case "name":
            return _dataset_name_from(message.name)
        case "mutation":
            return _mutation_from(message.mutation)
        case "list":
            items = tuple(
                _mutation_from(i.mutation)
                if i.WhichOneof("kind") == "mutation"
                else _dataset_name_from(i.name)
                for i in message.list.items
            )
            return ast.DatasetList(items, _pos_of(message.list))
        case _:
            raise InvalidArgument(f"datasets without a kind: {kind}")


def _amount_from(message: pb.Amount) -> int | ast.Auto:
    return ast.AUTO if message.WhichOneof("kind") == "auto" else int(message.count)


def select_from_proto(m: pb.Select) -> ast.Select:
    columns: ast.Columns
    if m.WhichOneof("columns") == "items":
        columns = tuple(
            ast.SelectItem(
                _column_from(i.column),
                i.alias if i.HasField("alias") else None,
                _column_func(i.aggregate),
                _pos_of(i),
            )
            for i in m.items.items
        )
    else:
        columns = ast.AllColumns(_pos_of(m.all_columns))
    return ast.Select(
        columns=columns,
        table=ast.Table(m.table.name, m.table.variable, _pos_of(m.table)),
        where=predicate_from_proto(m.where) if m.HasField("where") else None,
        order=_ordering_from(m.order) if m.HasField("order") else None,
        trained_on=datasets_from_proto(m.trained_on) if m.HasField("trained_on") else None,
        tested_on=datasets_from_proto(m.tested_on) if m.HasField("tested_on") else None,
        test_mode=_test_mode_from(m.test_mode),
        classified_by=tuple(_proxy_from(p) for p in m.classified_by),
        limit=m.limit if m.HasField("limit") else None,
        other_than=m.other_than if m.HasField("other_than") else None,
        chunk=_amount_from(m.chunk) if m.HasField("chunk") else None,
        budget=_amount_from(m.budget) if m.HasField("budget") else None,
        wait=m.wait,
        group_by=tuple(_column_from(c) for c in m.group_by),
        index=m.index,
        pos=_pos_of(m),
    )


def _column_func(value: int) -> ast.ColumnFunc | None:
    if not value:
        return None
    func: ast.ColumnFunc = _back(_COLUMN_FUNCS, value)
    return func


def _test_mode_from(value: int) -> ast.TestMode | None:
    if not value:
        return None
    mode: ast.TestMode = _back(_TEST_MODES, value)
    return mode


def _set_operation_from(m: pb.SetOperation) -> ast.SetOperation:
    op = _back(_SET_OPS, m.op)
    return ast.SetOperation(
        op, _set_operand_from(m.left), _set_operand_from(m.right), m.index, _pos_of(m)
    )


def _set_operand_from(m: pb.SetOperand) -> ast.SetOperand:
    operand = _operand_from(m)
    if operand is None:
        raise InvalidArgument(f"set operand without a kind: {m.WhichOneof('kind')}")
    return operand


def _operand_from(m: pb.SetOperand | pb.Query) -> ast.SetOperand | None:
    """A select, set operation or variable from the oneof pb.SetOperand and pb.Query share;
    None for any other kind."""
    match m.WhichOneof("kind"):
        case "select":
            return select_from_proto(m.select)
        case "set_operation":
            return _set_operation_from(m.set_operation)
        case "variable":
            return ast.VariableRef(m.variable.name, _pos_of(m.variable))
        case _:
            return None


def _select_vec_from(m: pb.SelectVec) -> ast.SelectVec:
    return ast.SelectVec(m.datasets, m.probe, m.index, _pos_of(m))


def _rank_from(m: pb.Rank) -> ast.Rank:
    return ast.Rank(select_from_proto(m.query), m.scorer, m.index, _pos_of(m))


def query_from_proto(m: pb.Query) -> ast.Query:
    operand = _operand_from(m)
    if operand is not None:
        return operand
    kind = m.WhichOneof("kind")
    match kind:
        case "select_vec":
            return _select_vec_from(m.select_vec)
        case "rank":
            return _rank_from(m.rank)
        case _:
            raise InvalidArgument(f"query without a kind: {kind}")


def _finetune_from(m: pb.Finetune) -> ast.Finetune:
    models = tuple(ast.ModelName(x.name, x.quoted, _pos_of(x)) for x in m.models)
    return ast.Finetune(
        models,
        datasets_from_proto(m.dataset),
        _params_from(m.params),
        m.wait,
        m.index,
        _pos_of(m),
    )


def statement_from_proto(m: pb.Statement) -> ast.Statement:
    kind = m.WhichOneof("kind")
    match kind:
        case "select":
            return select_from_proto(m.select)
        case "set_operation":
            return _set_operation_from(m.set_operation)
        case "select_vec":
            return _select_vec_from(m.select_vec)
        case "rank":
            return _rank_from(m.rank)
        case "declare":
            d = m.declare
            return ast.Declare(d.name, query_from_proto(d.query), d.index, _pos_of(d))
        case "register_dataset":
            r = m.register_dataset
            values = tuple(literal_from_proto(v) for v in r.values)
            return ast.RegisterDataset(r.name, tuple(r.columns), values, r.index, _pos_of(r))
        case "register_model":
            rm = m.register_model
            values = tuple(literal_from_proto(v) for v in rm.values)
            return ast.RegisterModel(rm.name, tuple(rm.columns), values, rm.index, _pos_of(rm))
        case "drop_dataset":
            dd = m.drop_dataset
            return ast.DropDataset(dd.name, dd.if_exists, dd.index, _pos_of(dd))
        case "drop_model":
            dm = m.drop_model
            return ast.DropModel(dm.name, dm.if_exists, dm.index, _pos_of(dm))
        case "explain":
            e = m.explain
            target: ast.Query | ast.Finetune
            if e.WhichOneof("target") == "finetune":
                target = _finetune_from(e.finetune)
            else:
                target = query_from_proto(e.query)
            return ast.Explain(_back(_EXPLAIN_MODES, e.mode), target, e.index, _pos_of(e))
        case "finetune":
            return _finetune_from(m.finetune)
        case "use":
            return ast.Use(m.use.target, m.use.index, _pos_of(m.use))
        case "print":
            p = m.print
            variable = p.variable if p.HasField("variable") else None
            return ast.Print(variable, p.index, _pos_of(p))
        case "purge":
            return ast.Purge(m.purge.index, _pos_of(m.purge))
        case _:
            raise InvalidArgument(f"statement without a kind: {kind}")
