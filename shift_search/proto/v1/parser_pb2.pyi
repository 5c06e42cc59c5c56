from shift_search.proto.v1 import ast_pb2 as _ast_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ParseRequest(_message.Message):
    __slots__ = ("text", "source_name")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    text: str
    source_name: str
    def __init__(self, text: _Optional[str] = ..., source_name: _Optional[str] = ...) -> None: ...

class ParseResponse(_message.Message):
    __slots__ = ("script",)
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    script: _ast_pb2.Script
    def __init__(self, script: _Optional[_Union[_ast_pb2.Script, _Mapping]] = ...) -> None: ...

class FormatRequest(_message.Message):
    __slots__ = ("text", "source_name")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_NAME_FIELD_NUMBER: _ClassVar[int]
    text: str
    source_name: str
    def __init__(self, text: _Optional[str] = ..., source_name: _Optional[str] = ...) -> None: ...

class FormatResponse(_message.Message):
    __slots__ = ("text",)
    TEXT_FIELD_NUMBER: _ClassVar[int]
    text: str
    def __init__(self, text: _Optional[str] = ...) -> None: ...
