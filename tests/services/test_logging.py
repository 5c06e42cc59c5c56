"""Service logs: one line per record with the request id, and no library chatter."""

from __future__ import annotations

import logging

from shift_search.runtime.log import QUIET, configure_logging


def test_library_chatter_is_kept_below_warning() -> None:
    configure_logging()
    for name in QUIET:
        logger = logging.getLogger(name)
        assert not logger.isEnabledFor(logging.INFO)
        assert logger.isEnabledFor(logging.WARNING)
