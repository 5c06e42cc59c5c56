"""Logging for every service: one line per record, with the request id."""

from __future__ import annotations

import logging
import os

from shift_search.runtime.context import request_id

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
QUIET = ("faiss.loader",)
"""Libraries whose INFO lines say nothing to an operator (faiss lists every CPU build it tries)."""


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def configure_logging(level: str | None = None) -> None:
    """Configure the root logger once (level from SHIFT_LOG_LEVEL, default INFO)."""
    root = logging.getLogger()
    if any(isinstance(f, RequestIdFilter) for h in root.handlers for f in h.filters):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level or os.environ.get("SHIFT_LOG_LEVEL", "INFO"))
    for name in QUIET:
        logging.getLogger(name).setLevel(max(root.level, logging.WARNING))
