"""Reading QueryService.Execute's stream over a raw stub: each message carries the events that
were ready together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from shift_search.proto.v1 import query_pb2


def each_event(messages: Iterable[query_pb2.QueryEvents]) -> Iterator[query_pb2.QueryEvent]:
    """The events of a stream, one by one, as they come."""
    for message in messages:
        yield from message.events


def events_of(messages: Iterable[query_pb2.QueryEvents]) -> list[query_pb2.QueryEvent]:
    """Every event of a stream, in order (reads it to its end)."""
    return list(each_event(messages))
