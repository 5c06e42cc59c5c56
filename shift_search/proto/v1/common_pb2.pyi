from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Value(_message.Message):
    __slots__ = ("null_value", "string_value", "int_value", "double_value", "bool_value", "list_value")
    NULL_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    LIST_VALUE_FIELD_NUMBER: _ClassVar[int]
    null_value: bool
    string_value: str
    int_value: int
    double_value: float
    bool_value: bool
    list_value: ValueList
    def __init__(self, null_value: _Optional[bool] = ..., string_value: _Optional[str] = ..., int_value: _Optional[int] = ..., double_value: _Optional[float] = ..., bool_value: _Optional[bool] = ..., list_value: _Optional[_Union[ValueList, _Mapping]] = ...) -> None: ...

class ValueList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[Value]
    def __init__(self, values: _Optional[_Iterable[_Union[Value, _Mapping]]] = ...) -> None: ...

class SourceLocation(_message.Message):
    __slots__ = ("statement", "line", "column", "source")
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    LINE_FIELD_NUMBER: _ClassVar[int]
    COLUMN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    statement: int
    line: int
    column: int
    source: str
    def __init__(self, statement: _Optional[int] = ..., line: _Optional[int] = ..., column: _Optional[int] = ..., source: _Optional[str] = ...) -> None: ...

class ErrorDetail(_message.Message):
    __slots__ = ("message", "locations", "expected", "suggestions")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_FIELD_NUMBER: _ClassVar[int]
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    message: str
    locations: _containers.RepeatedCompositeFieldContainer[SourceLocation]
    expected: _containers.RepeatedScalarFieldContainer[str]
    suggestions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, message: _Optional[str] = ..., locations: _Optional[_Iterable[_Union[SourceLocation, _Mapping]]] = ..., expected: _Optional[_Iterable[str]] = ..., suggestions: _Optional[_Iterable[str]] = ...) -> None: ...
