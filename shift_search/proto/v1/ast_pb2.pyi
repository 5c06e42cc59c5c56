from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CompareOp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPARE_OP_UNSPECIFIED: _ClassVar[CompareOp]
    COMPARE_OP_EQ: _ClassVar[CompareOp]
    COMPARE_OP_NE: _ClassVar[CompareOp]
    COMPARE_OP_LT: _ClassVar[CompareOp]
    COMPARE_OP_LE: _ClassVar[CompareOp]
    COMPARE_OP_GT: _ClassVar[CompareOp]
    COMPARE_OP_GE: _ClassVar[CompareOp]

class Metric(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    METRIC_UNSPECIFIED: _ClassVar[Metric]
    METRIC_ERR: _ClassVar[Metric]
    METRIC_ACC: _ClassVar[Metric]

class AggregateFunc(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AGGREGATE_FUNC_UNSPECIFIED: _ClassVar[AggregateFunc]
    AGGREGATE_FUNC_AVG: _ClassVar[AggregateFunc]
    AGGREGATE_FUNC_SUM: _ClassVar[AggregateFunc]
    AGGREGATE_FUNC_MIN: _ClassVar[AggregateFunc]
    AGGREGATE_FUNC_MAX: _ClassVar[AggregateFunc]

class ColumnFunc(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COLUMN_FUNC_UNSPECIFIED: _ClassVar[ColumnFunc]
    COLUMN_FUNC_AVG: _ClassVar[ColumnFunc]
    COLUMN_FUNC_SUM: _ClassVar[ColumnFunc]
    COLUMN_FUNC_MIN: _ClassVar[ColumnFunc]
    COLUMN_FUNC_MAX: _ClassVar[ColumnFunc]
    COLUMN_FUNC_COUNT: _ClassVar[ColumnFunc]

class TestMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TEST_MODE_UNSPECIFIED: _ClassVar[TestMode]
    TEST_MODE_TASK: _ClassVar[TestMode]
    TEST_MODE_BENCHMARK: _ClassVar[TestMode]

class SetOp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SET_OP_UNSPECIFIED: _ClassVar[SetOp]
    SET_OP_UNION: _ClassVar[SetOp]
    SET_OP_INTERSECT: _ClassVar[SetOp]
    SET_OP_EXCEPT: _ClassVar[SetOp]

class ExplainMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPLAIN_MODE_UNSPECIFIED: _ClassVar[ExplainMode]
    EXPLAIN_MODE_PLAN: _ClassVar[ExplainMode]
    EXPLAIN_MODE_JSON: _ClassVar[ExplainMode]
    EXPLAIN_MODE_ANALYZE: _ClassVar[ExplainMode]
COMPARE_OP_UNSPECIFIED: CompareOp
COMPARE_OP_EQ: CompareOp
COMPARE_OP_NE: CompareOp
COMPARE_OP_LT: CompareOp
COMPARE_OP_LE: CompareOp
COMPARE_OP_GT: CompareOp
COMPARE_OP_GE: CompareOp
METRIC_UNSPECIFIED: Metric
METRIC_ERR: Metric
METRIC_ACC: Metric
AGGREGATE_FUNC_UNSPECIFIED: AggregateFunc
AGGREGATE_FUNC_AVG: AggregateFunc
AGGREGATE_FUNC_SUM: AggregateFunc
AGGREGATE_FUNC_MIN: AggregateFunc
AGGREGATE_FUNC_MAX: AggregateFunc
COLUMN_FUNC_UNSPECIFIED: ColumnFunc
COLUMN_FUNC_AVG: ColumnFunc
COLUMN_FUNC_SUM: ColumnFunc
COLUMN_FUNC_MIN: ColumnFunc
COLUMN_FUNC_MAX: ColumnFunc
COLUMN_FUNC_COUNT: ColumnFunc
TEST_MODE_UNSPECIFIED: TestMode
TEST_MODE_TASK: TestMode
TEST_MODE_BENCHMARK: TestMode
SET_OP_UNSPECIFIED: SetOp
SET_OP_UNION: SetOp
SET_OP_INTERSECT: SetOp
SET_OP_EXCEPT: SetOp
EXPLAIN_MODE_UNSPECIFIED: ExplainMode
EXPLAIN_MODE_PLAN: ExplainMode
EXPLAIN_MODE_JSON: ExplainMode
EXPLAIN_MODE_ANALYZE: ExplainMode

class Position(_message.Message):
    __slots__ = ("line", "column")
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    line: int
    column: int
    def __init__(self, line: _Optional[int] = ..., column: _Optional[int] = ...) -> None: ...

class Identifier(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class LiteralList(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[Literal]
    def __init__(self, items: _Optional[_Iterable[_Union[Literal, _Mapping]]] = ...) -> None: ...

class Literal(_message.Message):
    __slots__ = ("string_value", "int_value", "float_value", "bool_value", "null_value", "identifier", "list_value", "big_int_value")
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    FLOAT_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    NULL_VALUE_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    LIST_VALUE_FIELD_NUMBER: _ClassVar[int]
    BIG_INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    string_value: str
    int_value: int
    float_value: float
    bool_value: bool
    null_value: bool
    identifier: Identifier
    list_value: LiteralList
    big_int_value: str
    def __init__(self, string_value: _Optional[str] = ..., int_value: _Optional[int] = ..., float_value: _Optional[float] = ..., bool_value: _Optional[bool] = ..., null_value: _Optional[bool] = ..., identifier: _Optional[_Union[Identifier, _Mapping]] = ..., list_value: _Optional[_Union[LiteralList, _Mapping]] = ..., big_int_value: _Optional[str] = ...) -> None: ...

class Param(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: Literal
    def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Literal, _Mapping]] = ...) -> None: ...

class Column(_message.Message):
    __slots__ = ("name", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    pos: Position
    def __init__(self, name: _Optional[str] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class SelectItem(_message.Message):
    __slots__ = ("column", "alias", "pos", "aggregate")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    ALIAS_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    column: Column
    alias: str
    pos: Position
    aggregate: ColumnFunc
    def __init__(self, column: _Optional[_Union[Column, _Mapping]] = ..., alias: _Optional[str] = ..., pos: _Optional[_Union[Position, _Mapping]] = ..., aggregate: _Optional[_Union[ColumnFunc, str]] = ...) -> None: ...

class AllColumns(_message.Message):
    __slots__ = ("pos",)
    POS_FIELD_NUMBER: _ClassVar[int]
    pos: Position
    def __init__(self, pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class SelectItems(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[SelectItem]
    def __init__(self, items: _Optional[_Iterable[_Union[SelectItem, _Mapping]]] = ...) -> None: ...

class Table(_message.Message):
    __slots__ = ("name", "variable", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    variable: bool
    pos: Position
    def __init__(self, name: _Optional[str] = ..., variable: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Comparison(_message.Message):
    __slots__ = ("column", "op", "value", "pos")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    column: Column
    op: CompareOp
    value: Literal
    pos: Position
    def __init__(self, column: _Optional[_Union[Column, _Mapping]] = ..., op: _Optional[_Union[CompareOp, str]] = ..., value: _Optional[_Union[Literal, _Mapping]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Between(_message.Message):
    __slots__ = ("column", "low", "high", "negated", "pos")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    LOW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    column: Column
    low: Literal
    high: Literal
    negated: bool
    pos: Position
    def __init__(self, column: _Optional[_Union[Column, _Mapping]] = ..., low: _Optional[_Union[Literal, _Mapping]] = ..., high: _Optional[_Union[Literal, _Mapping]] = ..., negated: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class InList(_message.Message):
    __slots__ = ("column", "values", "negated", "pos")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    column: Column
    values: _containers.RepeatedCompositeFieldContainer[Literal]
    negated: bool
    pos: Position
    def __init__(self, column: _Optional[_Union[Column, _Mapping]] = ..., values: _Optional[_Iterable[_Union[Literal, _Mapping]]] = ..., negated: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class InVariable(_message.Message):
    __slots__ = ("column", "variable", "negated", "pos")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_FIELD_NUMBER: _ClassVar[int]
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    column: Column
    variable: str
    negated: bool
    pos: Position
    def __init__(self, column: _Optional[_Union[Column, _Mapping]] = ..., variable: _Optional[str] = ..., negated: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class IsNull(_message.Message):
    __slots__ = ("column", "negated", "pos")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    column: Column
    negated: bool
    pos: Position
    def __init__(self, column: _Optional[_Union[Column, _Mapping]] = ..., negated: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Like(_message.Message):
    __slots__ = ("column", "pattern", "negated", "pos")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    PATTERN_FIELD_NUMBER: _ClassVar[int]
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    column: Column
    pattern: str
    negated: bool
    pos: Position
    def __init__(self, column: _Optional[_Union[Column, _Mapping]] = ..., pattern: _Optional[str] = ..., negated: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Flag(_message.Message):
    __slots__ = ("name", "negated", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEGATED_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    negated: bool
    pos: Position
    def __init__(self, name: _Optional[str] = ..., negated: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class And(_message.Message):
    __slots__ = ("operands", "pos")
    OPERANDS_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    operands: _containers.RepeatedCompositeFieldContainer[Predicate]
    pos: Position
    def __init__(self, operands: _Optional[_Iterable[_Union[Predicate, _Mapping]]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Or(_message.Message):
    __slots__ = ("operands", "pos")
    OPERANDS_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    operands: _containers.RepeatedCompositeFieldContainer[Predicate]
    pos: Position
    def __init__(self, operands: _Optional[_Iterable[_Union[Predicate, _Mapping]]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Not(_message.Message):
    __slots__ = ("operand", "pos")
    OPERAND_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    operand: Predicate
    pos: Position
    def __init__(self, operand: _Optional[_Union[Predicate, _Mapping]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Predicate(_message.Message):
    __slots__ = ("comparison", "between", "in_list", "in_variable", "is_null", "like", "flag", "all_of", "any_of", "negation")
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    BETWEEN_FIELD_NUMBER: _ClassVar[int]
    IN_LIST_FIELD_NUMBER: _ClassVar[int]
    IN_VARIABLE_FIELD_NUMBER: _ClassVar[int]
    IS_NULL_FIELD_NUMBER: _ClassVar[int]
    LIKE_FIELD_NUMBER: _ClassVar[int]
    FLAG_FIELD_NUMBER: _ClassVar[int]
    ALL_OF_FIELD_NUMBER: _ClassVar[int]
    ANY_OF_FIELD_NUMBER: _ClassVar[int]
    NEGATION_FIELD_NUMBER: _ClassVar[int]
    comparison: Comparison
    between: Between
    in_list: InList
    in_variable: InVariable
    is_null: IsNull
    like: Like
    flag: Flag
    all_of: And
    any_of: Or
    negation: Not
    def __init__(self, comparison: _Optional[_Union[Comparison, _Mapping]] = ..., between: _Optional[_Union[Between, _Mapping]] = ..., in_list: _Optional[_Union[InList, _Mapping]] = ..., in_variable: _Optional[_Union[InVariable, _Mapping]] = ..., is_null: _Optional[_Union[IsNull, _Mapping]] = ..., like: _Optional[_Union[Like, _Mapping]] = ..., flag: _Optional[_Union[Flag, _Mapping]] = ..., all_of: _Optional[_Union[And, _Mapping]] = ..., any_of: _Optional[_Union[Or, _Mapping]] = ..., negation: _Optional[_Union[Not, _Mapping]] = ...) -> None: ...

class Proxy(_message.Message):
    __slots__ = ("name", "params", "text", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    params: _containers.RepeatedCompositeFieldContainer[Param]
    text: str
    pos: Position
    def __init__(self, name: _Optional[str] = ..., params: _Optional[_Iterable[_Union[Param, _Mapping]]] = ..., text: _Optional[str] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class ProxyOrdering(_message.Message):
    __slots__ = ("proxy", "pos")
    PROXY_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    proxy: Proxy
    pos: Position
    def __init__(self, proxy: _Optional[_Union[Proxy, _Mapping]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class ProxyErr(_message.Message):
    __slots__ = ("metric", "pos")
    METRIC_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    metric: Metric
    pos: Position
    def __init__(self, metric: _Optional[_Union[Metric, str]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Aggregate(_message.Message):
    __slots__ = ("func", "metric", "pos")
    FUNC_FIELD_NUMBER: _ClassVar[int]
    METRIC_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    func: AggregateFunc
    metric: Metric
    pos: Position
    def __init__(self, func: _Optional[_Union[AggregateFunc, str]] = ..., metric: _Optional[_Union[Metric, str]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class ColumnAggregate(_message.Message):
    __slots__ = ("func", "column", "pos")
    FUNC_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    func: ColumnFunc
    column: Column
    pos: Position
    def __init__(self, func: _Optional[_Union[ColumnFunc, str]] = ..., column: _Optional[_Union[Column, _Mapping]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Cascade(_message.Message):
    __slots__ = ("stages", "keep", "prior", "pos")
    STAGES_FIELD_NUMBER: _ClassVar[int]
    KEEP_FIELD_NUMBER: _ClassVar[int]
    PRIOR_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    stages: _containers.RepeatedCompositeFieldContainer[Proxy]
    keep: _containers.RepeatedScalarFieldContainer[int]
    prior: str
    pos: Position
    def __init__(self, stages: _Optional[_Iterable[_Union[Proxy, _Mapping]]] = ..., keep: _Optional[_Iterable[int]] = ..., prior: _Optional[str] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class AutoStrategy(_message.Message):
    __slots__ = ("params", "pos")
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    params: _containers.RepeatedCompositeFieldContainer[Param]
    pos: Position
    def __init__(self, params: _Optional[_Iterable[_Union[Param, _Mapping]]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Ordering(_message.Message):
    __slots__ = ("column", "proxy", "proxy_err", "aggregate", "column_aggregate", "cascade", "auto", "descending", "pos")
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    PROXY_FIELD_NUMBER: _ClassVar[int]
    PROXY_ERR_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    CASCADE_FIELD_NUMBER: _ClassVar[int]
    AUTO_FIELD_NUMBER: _ClassVar[int]
    DESCENDING_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    column: Column
    proxy: ProxyOrdering
    proxy_err: ProxyErr
    aggregate: Aggregate
    column_aggregate: ColumnAggregate
    cascade: Cascade
    auto: AutoStrategy
    descending: bool
    pos: Position
    def __init__(self, column: _Optional[_Union[Column, _Mapping]] = ..., proxy: _Optional[_Union[ProxyOrdering, _Mapping]] = ..., proxy_err: _Optional[_Union[ProxyErr, _Mapping]] = ..., aggregate: _Optional[_Union[Aggregate, _Mapping]] = ..., column_aggregate: _Optional[_Union[ColumnAggregate, _Mapping]] = ..., cascade: _Optional[_Union[Cascade, _Mapping]] = ..., auto: _Optional[_Union[AutoStrategy, _Mapping]] = ..., descending: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class DatasetName(_message.Message):
    __slots__ = ("name", "quoted", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUOTED_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    quoted: bool
    pos: Position
    def __init__(self, name: _Optional[str] = ..., quoted: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class IndexList(_message.Message):
    __slots__ = ("indices",)
    INDICES_FIELD_NUMBER: _ClassVar[int]
    indices: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, indices: _Optional[_Iterable[int]] = ...) -> None: ...

class Change(_message.Message):
    __slots__ = ("indices", "source", "source_indices", "pos")
    INDICES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_INDICES_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    indices: IndexList
    source: DatasetName
    source_indices: IndexList
    pos: Position
    def __init__(self, indices: _Optional[_Union[IndexList, _Mapping]] = ..., source: _Optional[_Union[DatasetName, _Mapping]] = ..., source_indices: _Optional[_Union[IndexList, _Mapping]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Mutation(_message.Message):
    __slots__ = ("base", "changes", "pos")
    BASE_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    base: DatasetName
    changes: _containers.RepeatedCompositeFieldContainer[Change]
    pos: Position
    def __init__(self, base: _Optional[_Union[DatasetName, _Mapping]] = ..., changes: _Optional[_Iterable[_Union[Change, _Mapping]]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class DatasetItem(_message.Message):
    __slots__ = ("name", "mutation")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MUTATION_FIELD_NUMBER: _ClassVar[int]
    name: DatasetName
    mutation: Mutation
    def __init__(self, name: _Optional[_Union[DatasetName, _Mapping]] = ..., mutation: _Optional[_Union[Mutation, _Mapping]] = ...) -> None: ...

class DatasetList(_message.Message):
    __slots__ = ("items", "pos")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[DatasetItem]
    pos: Position
    def __init__(self, items: _Optional[_Iterable[_Union[DatasetItem, _Mapping]]] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class DatasetExpr(_message.Message):
    __slots__ = ("name", "list", "mutation")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LIST_FIELD_NUMBER: _ClassVar[int]
    MUTATION_FIELD_NUMBER: _ClassVar[int]
    name: DatasetName
    list: DatasetList
    mutation: Mutation
    def __init__(self, name: _Optional[_Union[DatasetName, _Mapping]] = ..., list: _Optional[_Union[DatasetList, _Mapping]] = ..., mutation: _Optional[_Union[Mutation, _Mapping]] = ...) -> None: ...

class Amount(_message.Message):
    __slots__ = ("count", "auto")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AUTO_FIELD_NUMBER: _ClassVar[int]
    count: int
    auto: bool
    def __init__(self, count: _Optional[int] = ..., auto: _Optional[bool] = ...) -> None: ...

class Select(_message.Message):
    __slots__ = ("all_columns", "items", "table", "where", "order", "trained_on", "tested_on", "test_mode", "classified_by", "limit", "other_than", "chunk", "budget", "wait", "index", "pos", "group_by")
    ALL_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TABLE_FIELD_NUMBER: _ClassVar[int]
    WHERE_FIELD_NUMBER: _ClassVar[int]
    ORDER_FIELD_NUMBER: _ClassVar[int]
    TRAINED_ON_FIELD_NUMBER: _ClassVar[int]
    TESTED_ON_FIELD_NUMBER: _ClassVar[int]
    TEST_MODE_FIELD_NUMBER: _ClassVar[int]
    CLASSIFIED_BY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OTHER_THAN_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    BUDGET_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    all_columns: AllColumns
    items: SelectItems
    table: Table
    where: Predicate
    order: Ordering
    trained_on: DatasetExpr
    tested_on: DatasetExpr
    test_mode: TestMode
    classified_by: _containers.RepeatedCompositeFieldContainer[Proxy]
    limit: int
    other_than: str
    chunk: Amount
    budget: Amount
    wait: bool
    index: int
    pos: Position
    group_by: _containers.RepeatedCompositeFieldContainer[Column]
    def __init__(self, all_columns: _Optional[_Union[AllColumns, _Mapping]] = ..., items: _Optional[_Union[SelectItems, _Mapping]] = ..., table: _Optional[_Union[Table, _Mapping]] = ..., where: _Optional[_Union[Predicate, _Mapping]] = ..., order: _Optional[_Union[Ordering, _Mapping]] = ..., trained_on: _Optional[_Union[DatasetExpr, _Mapping]] = ..., tested_on: _Optional[_Union[DatasetExpr, _Mapping]] = ..., test_mode: _Optional[_Union[TestMode, str]] = ..., classified_by: _Optional[_Iterable[_Union[Proxy, _Mapping]]] = ..., limit: _Optional[int] = ..., other_than: _Optional[str] = ..., chunk: _Optional[_Union[Amount, _Mapping]] = ..., budget: _Optional[_Union[Amount, _Mapping]] = ..., wait: _Optional[bool] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ..., group_by: _Optional[_Iterable[_Union[Column, _Mapping]]] = ...) -> None: ...

class VariableRef(_message.Message):
    __slots__ = ("name", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    pos: Position
    def __init__(self, name: _Optional[str] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class SetOperand(_message.Message):
    __slots__ = ("select", "set_operation", "variable")
    SELECT_FIELD_NUMBER: _ClassVar[int]
    SET_OPERATION_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_FIELD_NUMBER: _ClassVar[int]
    select: Select
    set_operation: SetOperation
    variable: VariableRef
    def __init__(self, select: _Optional[_Union[Select, _Mapping]] = ..., set_operation: _Optional[_Union[SetOperation, _Mapping]] = ..., variable: _Optional[_Union[VariableRef, _Mapping]] = ...) -> None: ...

class SetOperation(_message.Message):
    __slots__ = ("op", "left", "right", "index", "pos")
    OP_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    RIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    op: SetOp
    left: SetOperand
    right: SetOperand
    index: int
    pos: Position
    def __init__(self, op: _Optional[_Union[SetOp, str]] = ..., left: _Optional[_Union[SetOperand, _Mapping]] = ..., right: _Optional[_Union[SetOperand, _Mapping]] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class SelectVec(_message.Message):
    __slots__ = ("datasets", "probe", "index", "pos")
    DATASETS_FIELD_NUMBER: _ClassVar[int]
    PROBE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    datasets: str
    probe: str
    index: int
    pos: Position
    def __init__(self, datasets: _Optional[str] = ..., probe: _Optional[str] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Rank(_message.Message):
    __slots__ = ("query", "scorer", "index", "pos")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SCORER_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    query: Select
    scorer: str
    index: int
    pos: Position
    def __init__(self, query: _Optional[_Union[Select, _Mapping]] = ..., scorer: _Optional[str] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Query(_message.Message):
    __slots__ = ("select", "set_operation", "variable", "select_vec", "rank")
    SELECT_FIELD_NUMBER: _ClassVar[int]
    SET_OPERATION_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_FIELD_NUMBER: _ClassVar[int]
    SELECT_VEC_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    select: Select
    set_operation: SetOperation
    variable: VariableRef
    select_vec: SelectVec
    rank: Rank
    def __init__(self, select: _Optional[_Union[Select, _Mapping]] = ..., set_operation: _Optional[_Union[SetOperation, _Mapping]] = ..., variable: _Optional[_Union[VariableRef, _Mapping]] = ..., select_vec: _Optional[_Union[SelectVec, _Mapping]] = ..., rank: _Optional[_Union[Rank, _Mapping]] = ...) -> None: ...

class Declare(_message.Message):
    __slots__ = ("name", "query", "index", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    query: Query
    index: int
    pos: Position
    def __init__(self, name: _Optional[str] = ..., query: _Optional[_Union[Query, _Mapping]] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class RegisterDataset(_message.Message):
    __slots__ = ("name", "columns", "values", "index", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    columns: _containers.RepeatedScalarFieldContainer[str]
    values: _containers.RepeatedCompositeFieldContainer[Literal]
    index: int
    pos: Position
    def __init__(self, name: _Optional[str] = ..., columns: _Optional[_Iterable[str]] = ..., values: _Optional[_Iterable[_Union[Literal, _Mapping]]] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class RegisterModel(_message.Message):
    __slots__ = ("name", "columns", "values", "index", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    COLUMNS_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    columns: _containers.RepeatedScalarFieldContainer[str]
    values: _containers.RepeatedCompositeFieldContainer[Literal]
    index: int
    pos: Position
    def __init__(self, name: _Optional[str] = ..., columns: _Optional[_Iterable[str]] = ..., values: _Optional[_Iterable[_Union[Literal, _Mapping]]] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class DropDataset(_message.Message):
    __slots__ = ("name", "if_exists", "index", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IF_EXISTS_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    if_exists: bool
    index: int
    pos: Position
    def __init__(self, name: _Optional[str] = ..., if_exists: _Optional[bool] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class DropModel(_message.Message):
    __slots__ = ("name", "if_exists", "index", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    IF_EXISTS_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    if_exists: bool
    index: int
    pos: Position
    def __init__(self, name: _Optional[str] = ..., if_exists: _Optional[bool] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class ModelName(_message.Message):
    __slots__ = ("name", "quoted", "pos")
    NAME_FIELD_NUMBER: _ClassVar[int]
    QUOTED_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    name: str
    quoted: bool
    pos: Position
    def __init__(self, name: _Optional[str] = ..., quoted: _Optional[bool] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Finetune(_message.Message):
    __slots__ = ("models", "dataset", "params", "wait", "index", "pos")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    DATASET_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelName]
    dataset: DatasetExpr
    params: _containers.RepeatedCompositeFieldContainer[Param]
    wait: bool
    index: int
    pos: Position
    def __init__(self, models: _Optional[_Iterable[_Union[ModelName, _Mapping]]] = ..., dataset: _Optional[_Union[DatasetExpr, _Mapping]] = ..., params: _Optional[_Iterable[_Union[Param, _Mapping]]] = ..., wait: _Optional[bool] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Explain(_message.Message):
    __slots__ = ("mode", "query", "finetune", "index", "pos")
    MODE_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    FINETUNE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    mode: ExplainMode
    query: Query
    finetune: Finetune
    index: int
    pos: Position
    def __init__(self, mode: _Optional[_Union[ExplainMode, str]] = ..., query: _Optional[_Union[Query, _Mapping]] = ..., finetune: _Optional[_Union[Finetune, _Mapping]] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Use(_message.Message):
    __slots__ = ("target", "index", "pos")
    TARGET_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    target: str
    index: int
    pos: Position
    def __init__(self, target: _Optional[str] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Print(_message.Message):
    __slots__ = ("variable", "index", "pos")
    VARIABLE_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    variable: str
    index: int
    pos: Position
    def __init__(self, variable: _Optional[str] = ..., index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Purge(_message.Message):
    __slots__ = ("index", "pos")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    POS_FIELD_NUMBER: _ClassVar[int]
    index: int
    pos: Position
    def __init__(self, index: _Optional[int] = ..., pos: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class Statement(_message.Message):
    __slots__ = ("select", "set_operation", "select_vec", "rank", "declare", "register_dataset", "register_model", "explain", "finetune", "use", "print", "purge", "drop_dataset", "drop_model")
    SELECT_FIELD_NUMBER: _ClassVar[int]
    SET_OPERATION_FIELD_NUMBER: _ClassVar[int]
    SELECT_VEC_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    DECLARE_FIELD_NUMBER: _ClassVar[int]
    REGISTER_DATASET_FIELD_NUMBER: _ClassVar[int]
    REGISTER_MODEL_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    FINETUNE_FIELD_NUMBER: _ClassVar[int]
    USE_FIELD_NUMBER: _ClassVar[int]
    PRINT_FIELD_NUMBER: _ClassVar[int]
    PURGE_FIELD_NUMBER: _ClassVar[int]
    DROP_DATASET_FIELD_NUMBER: _ClassVar[int]
    DROP_MODEL_FIELD_NUMBER: _ClassVar[int]
    select: Select
    set_operation: SetOperation
    select_vec: SelectVec
    rank: Rank
    declare: Declare
    register_dataset: RegisterDataset
    register_model: RegisterModel
    explain: Explain
    finetune: Finetune
    use: Use
    print: Print
    purge: Purge
    drop_dataset: DropDataset
    drop_model: DropModel
    def __init__(self, select: _Optional[_Union[Select, _Mapping]] = ..., set_operation: _Optional[_Union[SetOperation, _Mapping]] = ..., select_vec: _Optional[_Union[SelectVec, _Mapping]] = ..., rank: _Optional[_Union[Rank, _Mapping]] = ..., declare: _Optional[_Union[Declare, _Mapping]] = ..., register_dataset: _Optional[_Union[RegisterDataset, _Mapping]] = ..., register_model: _Optional[_Union[RegisterModel, _Mapping]] = ..., explain: _Optional[_Union[Explain, _Mapping]] = ..., finetune: _Optional[_Union[Finetune, _Mapping]] = ..., use: _Optional[_Union[Use, _Mapping]] = ..., print: _Optional[_Union[Print, _Mapping]] = ..., purge: _Optional[_Union[Purge, _Mapping]] = ..., drop_dataset: _Optional[_Union[DropDataset, _Mapping]] = ..., drop_model: _Optional[_Union[DropModel, _Mapping]] = ...) -> None: ...

class Script(_message.Message):
    __slots__ = ("statements", "source")
    STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    statements: _containers.RepeatedCompositeFieldContainer[Statement]
    source: str
    def __init__(self, statements: _Optional[_Iterable[_Union[Statement, _Mapping]]] = ..., source: _Optional[str] = ...) -> None: ...
