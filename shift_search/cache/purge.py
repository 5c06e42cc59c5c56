"""PURGE: drop everything derived (features, 1-NN summaries, results, SH state); keep the
catalog, the query history and leases."""

from __future__ import annotations

from shift_search.cache import keys
from shift_search.cache.store import Store


def purge(store: Store) -> int:
    """Drop features, 1-NN summaries, results and SH state; keep the catalog and history.
    Returns the number of keys deleted."""
    return sum(store.delete_prefix(prefix) for prefix in keys.PURGE_PREFIXES)
