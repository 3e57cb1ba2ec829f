"""What the app logs while a block runs, written by the production formatter (the one that
masks personal data): for the tests that assert a secret or a traceback never reaches the
logs."""
from __future__ import annotations

import io
import logging
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def app_log(level: str = "DEBUG") -> Iterator[io.StringIO]:
    """The platform logger at `level` into a string; its handlers and level restored after."""
    from chalicelib.platform.observability import logger
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logger.registered_formatter)
    old_level = logger.log_level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield sink
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
