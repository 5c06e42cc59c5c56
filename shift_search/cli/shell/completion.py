"""Tab completion: keywords, tables, and the catalog's models, datasets, columns, variables
and proxies. Inside a quote only names are offered, closed with the same quote."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from shift_search.cli.shell.catalog import KEYWORDS, PAPER_PROXIES, TABLES, Catalog

_WORD = re.compile(r"""(["'`]?)([\w\-./:@]*)$""")
_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class ShiftCompleter(Completer):
    """Completes the word before the cursor from `catalog()` (read at each key press, so a
    refreshed catalog is used at once)."""

    def __init__(self, catalog: Callable[[], Catalog]) -> None:
        self._catalog = catalog

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        match = _WORD.search(document.text_before_cursor)
        assert match is not None  # the pattern matches the empty string
        quote, prefix = match.group(1), match.group(2)
        start = -len(match.group(0))
        catalog = self._catalog()
        if quote:
            for name, meta in _names(catalog):
                if _starts(name, prefix):
                    yield Completion(quote + name + quote, start, display=name, display_meta=meta)
            return
        for name, meta in (*_words(catalog), *_names(catalog)):
            if prefix and _starts(name, prefix):
                text = name if _BARE.fullmatch(name) or meta == "proxy" else f'"{name}"'
                yield Completion(_case_like(text, prefix, meta), start, display_meta=meta)


def _words(catalog: Catalog) -> Iterable[tuple[str, str]]:
    yield from ((k, "keyword") for k in KEYWORDS)
    yield from ((t, "table") for t in TABLES)
    yield from ((c, "column") for c in catalog.columns)
    yield from ((v, "variable") for v in catalog.variables)
    yield from ((p, "proxy") for p in PAPER_PROXIES)


def _names(catalog: Catalog) -> Iterable[tuple[str, str]]:
    yield from ((m, "model") for m in catalog.models)
    yield from ((d, "dataset") for d in catalog.datasets)
    yield from ((p, "proxy") for p in catalog.proxies)


def _starts(name: str, prefix: str) -> bool:
    return name.lower().startswith(prefix.lower()) and name != prefix


def _case_like(text: str, prefix: str, meta: str) -> str:
    """Keywords follow the case being typed (`sel` -> `select`, `SEL` -> `SELECT`)."""
    if meta != "keyword":
        return text
    return text.lower() if prefix.islower() else text.upper()
