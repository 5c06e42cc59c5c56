"""The typed SHiFT-QL syntax tree: immutable nodes, each knowing where it came from.

Positions (`pos`) and original spellings (`ProxySpec.text`) are excluded from equality, so two
trees compare equal when they mean the same thing: `parse(format_script(s)) == s`.
Names are normalised here once: tables, columns, proxies and proxy parameters (see `names.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias


@dataclass(frozen=True, slots=True)
class Pos:
    """1-based line and column of a node's first character in the script."""

    line: int
    column: int


NO_POS = Pos(0, 0)


# --- values ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identifier:
    """A bare word used as a value (`source = TensorFlow`), unlike the string 'TensorFlow'."""

    name: str


Value: TypeAlias = "str | int | float | bool | Identifier | tuple[Value, ...] | None"

Auto: TypeAlias = Literal["AUTO"]
AUTO: Auto = "AUTO"

# --- columns and tables -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A catalog field, normalised (`ModelId` -> `name`, `up_acc` -> `upstream_accuracy`)."""

    name: str
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


ColumnFunc: TypeAlias = Literal["avg", "sum", "min", "max", "count"]


@dataclass(frozen=True, slots=True)
class SelectItem:
    """A column, or an aggregate of one over each GROUP BY group (`avg(test_accuracy)`;
    `count(*)` has the column `*`)."""

    column: Column
    alias: str | None = None
    aggregate: ColumnFunc | None = None
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AllColumns:
    """`*` or `ALL`."""

    pos: Pos = field(default=NO_POS, compare=False, repr=False)


Columns: TypeAlias = AllColumns | tuple[SelectItem, ...]

TableName: TypeAlias = Literal[
    "models", "image_models", "text_models", "datasets", "benchmark_results"
]


@dataclass(frozen=True, slots=True)
class Table:
    """A catalog table (`readers` -> `datasets`), or a DECLAREd variable (`variable=True`)."""

    name: str
    variable: bool = False
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


# --- predicates ---------------------------------------------------------------------------

CompareOp: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True, slots=True)
class Comparison:
    """`column op value`; `==` is stored as `=`, `<>` as `!=`."""

    column: Column
    op: CompareOp
    value: Value
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Between:
    column: Column
    low: Value
    high: Value
    negated: bool = False
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class InList:
    column: Column
    values: tuple[Value, ...]
    negated: bool = False
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class InVariable:
    """`column [NOT] IN v`: membership in the models (or datasets) held by variable `v`."""

    column: Column
    variable: str
    negated: bool = False
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class IsNull:
    column: Column
    negated: bool = False
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Like:
    column: Column
    pattern: str
    negated: bool = False
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Flag:
    """A boolean catalog field used alone: `FINETUNED`, `NOT FINETUNED`."""

    name: str
    negated: bool = False
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    """Conjunction of two or more operands (chains are flattened)."""

    operands: tuple[Predicate, ...]
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or:
    """Disjunction of two or more operands (chains are flattened)."""

    operands: tuple[Predicate, ...]
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: Predicate
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


Predicate: TypeAlias = (
    "Comparison | Between | InList | InVariable | IsNull | Like | Flag | And | Or | Not"
)

# --- proxies and orderings ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProxySpec:
    """A proxy score. `name` is canonical (`cosine_nn`, `euclidean_nn`, `linear`, `knn`,
    `logme`, `finetune`, or an unknown name lower-cased); params are normalised
    (`learning_rate` -> `lr`, `num_epochs` -> `epochs`) and typed; `text` is the original spelling.
    """

    name: str
    params: tuple[tuple[str, Value], ...] = ()
    text: str = field(default="", compare=False)
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ProxyOrdering:
    """`ORDER BY CosineNN`, `ORDER BY Linear(lr=0.1)`: a proxy written directly (paper style)."""

    proxy: ProxySpec
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


Metric: TypeAlias = Literal["err", "acc"]


@dataclass(frozen=True, slots=True)
class ProxyErr:
    """`ORDER BY err` / `acc`: the proxy (or proxies) of `CLASSIFIED BY`."""

    metric: Metric
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


AggregateFunc: TypeAlias = Literal["avg", "sum", "min", "max"]


@dataclass(frozen=True, slots=True)
class Aggregate:
    """`ORDER BY avg(err)`: per-model aggregate over `TESTED ON BENCHMARK` datasets."""

    func: AggregateFunc
    metric: Metric
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ColumnAggregate:
    """`ORDER BY avg(test_accuracy)`, `count(*)`: a column aggregated over each GROUP BY group
    (the column `*` for `count(*)`)."""

    func: ColumnFunc
    column: Column
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Cascade:
    """`ORDER BY Cascade(CosineNN, LogME, keep=4)`: the first stage ranks every candidate, each
    next stage ranks only the best `keep` of the stage before (`keep` has one count per step
    between stages, or one count for all; empty: the planner's default). With `prior` (a
    metadata column, highest first) the column's top model joins the first stage's survivors:
    the paper's hybrid. A FineTune stage may only come last (halving over fine-tuning epochs)."""

    stages: tuple[ProxySpec, ...]
    keep: tuple[int, ...] = ()
    prior: str | None = None
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AutoStrategy:
    """`ORDER BY AUTO` or `ORDER BY Auto(regret=0.5)`: SHiFT chooses the strategy (hybrid,
    cascade, hybrid then halving over fine-tuning epochs, …) from the cost model and the regret
    it expects from cheap evidence; `params` tune the choice (normalised names, typed values)."""

    params: tuple[tuple[str, Value], ...] = ()
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


OrderKey: TypeAlias = (
    Column | ProxyOrdering | ProxyErr | Aggregate | ColumnAggregate | Cascade | AutoStrategy
)


@dataclass(frozen=True, slots=True)
class Ordering:
    key: OrderKey
    descending: bool = False
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


# --- datasets -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasetName:
    """A registered dataset (`quoted`) or a bare word: a dataset or a DECLAREd variable."""

    name: str
    quoted: bool = True
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Change:
    """`CHANGE [i...] TO "source" [j...]`; `source_indices` None means the same indices."""

    indices: tuple[int, ...]
    source: DatasetName
    source_indices: tuple[int, ...] | None = None
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Mutation:
    """`("base" CHANGE ... TO ..., CHANGE ...)`: base with samples replaced."""

    base: DatasetName
    changes: tuple[Change, ...]
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DatasetList:
    """`[a, b, ...]`: datasets concatenated as segments."""

    items: tuple[DatasetName | Mutation, ...]
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


DatasetExpr: TypeAlias = DatasetName | DatasetList | Mutation

TestMode: TypeAlias = Literal["TASK", "BENCHMARK"]

# --- queries ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Select:
    """A SELECT with every optional clause; `index` is the statement it belongs to (0-based)."""

    columns: Columns
    table: Table
    where: Predicate | None = None
    order: Ordering | None = None
    trained_on: DatasetExpr | None = None
    tested_on: DatasetExpr | None = None
    test_mode: TestMode | None = None
    classified_by: tuple[ProxySpec, ...] = ()
    limit: int | None = None
    other_than: str | None = None
    chunk: int | Auto | None = None
    budget: int | Auto | None = None
    wait: bool = False
    group_by: tuple[Column, ...] = ()
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class VariableRef:
    """A DECLAREd variable standing for its query (`Q1 UNION SELECT ...`)."""

    name: str
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


SetOp: TypeAlias = Literal["UNION", "INTERSECT", "EXCEPT"]


@dataclass(frozen=True, slots=True)
class SetOperation:
    """`left op right`; INTERSECT binds tighter than UNION and EXCEPT (left-associative)."""

    op: SetOp
    left: SetOperand
    right: SetOperand
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


SetOperand: TypeAlias = "Select | SetOperation | VariableRef"


@dataclass(frozen=True, slots=True)
class SelectVec:
    """`SELECT vec FROM datasets WHERE probe = models`: a dataset-similarity matrix. `datasets` is
    a variable or `datasets` (every registered dataset, also spelled `readers`); `probe` is a
    models variable (never a quoted name: the two would be indistinguishable here)."""

    datasets: str
    probe: str
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Rank:
    """`RANK cols FROM table ... BY "scorer"`: the SELECT part plus an extension scorer."""

    query: Select
    scorer: str
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


Query: TypeAlias = Select | SetOperation | VariableRef | SelectVec | Rank

# --- other statements ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Declare:
    """`DECLARE v AS q` or `v := q`."""

    name: str
    query: Query
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RegisterDataset:
    name: str
    columns: tuple[str, ...]
    values: tuple[Value, ...]
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class RegisterModel:
    name: str
    columns: tuple[str, ...]
    values: tuple[Value, ...]
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DropDataset:
    """`DROP DATASET [IF EXISTS] name`: unregister a dataset; with `if_exists`, one that is not
    registered is no error."""

    name: str
    if_exists: bool = False
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class DropModel:
    """`DROP MODEL [IF EXISTS] name`: unregister a model; with `if_exists`, one that is not
    registered is no error."""

    name: str
    if_exists: bool = False
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ModelName:
    """A model by name (`quoted`) or a bare word: a model or a DECLAREd variable."""

    name: str
    quoted: bool = True
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Finetune:
    """`FINETUNE models WITH dataset [USING k=v, ...] [WAIT]`; params normalised like proxies'."""

    models: tuple[ModelName, ...]
    dataset: DatasetExpr
    params: tuple[tuple[str, Value], ...] = ()
    wait: bool = False
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


ExplainMode: TypeAlias = Literal["PLAN", "JSON", "ANALYZE"]


@dataclass(frozen=True, slots=True)
class Explain:
    mode: ExplainMode
    query: Query | Finetune
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Use:
    """`USE host:port`."""

    target: str
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Print:
    """`PRINT v`, or `PRINT *` (variable None)."""

    variable: str | None = None
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Purge:
    index: int = 0
    pos: Pos = field(default=NO_POS, compare=False, repr=False)


Statement: TypeAlias = (
    Select
    | SetOperation
    | SelectVec
    | Rank
    | Declare
    | RegisterDataset
    | RegisterModel
    | DropDataset
    | DropModel
    | Explain
    | Finetune
    | Use
    | Print
    | Purge
)


@dataclass(frozen=True, slots=True)
class Script:
    statements: tuple[Statement, ...]
    source: str = field(default="<query>", compare=False)
