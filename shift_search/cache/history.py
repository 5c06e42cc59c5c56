"""The query history: an append-only log numbered across writers, which PURGE never drops."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shift_search.cache import keys
from shift_search.cache.codec import dump_json, load_json
from shift_search.cache.store import Store


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    entry: Mapping[str, Any]


class History:
    """Appends and reads history entries on a store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def append(self, entry: Mapping[str, Any]) -> int:
        """Append an entry and return its sequence number (1, 2, …; unique across writers)."""
        return self._store.append(keys.history_seq(), keys.history_entry, dump_json(entry))

    def entries(self, *, after: int = 0, limit: int | None = None) -> list[HistoryEntry]:
        """Entries with seq > `after`, oldest first, at most `limit` of them."""
        names = [k for k in self._store.scan(keys.HISTORY_ENTRIES) if _seq(k) > after]
        names = names[:limit] if limit is not None else names
        raws = self._store.get_many(names)
        return [
            HistoryEntry(_seq(k), load_json(r))
            for k, r in zip(names, raws, strict=True)
            if r is not None
        ]


def _seq(history_key: str) -> int:
    return int(history_key.removeprefix(keys.HISTORY_ENTRIES))
