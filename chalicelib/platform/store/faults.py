"""What a failing AWS dependency looks like to the view boundary: which exceptions are
storage/AWS faults, and which of them a retry may cure (503 RETRY_LATER) rather than a
bug (500). A dependency that cannot be reached, times out or throttles is transient."""
from __future__ import annotations

import socket
import urllib.error
from typing import Iterator

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError as BotoConnectionError, HTTPClientError
from pynamodb.exceptions import PynamoDBException

STORAGE_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, PynamoDBException)
# A dependency reached without botocore (the JWKS over HTTPS) failing the same way.
NETWORK_ERRORS: tuple[type[Exception], ...] = (urllib.error.URLError, socket.timeout,
                                               TimeoutError, ConnectionError)
RETRY_AFTER_S = 5  # what a 503 RETRY_LATER tells the client to wait

_TRANSIENT = ("Throttl", "ProvisionedThroughputExceeded", "RequestLimitExceeded",
              "ServiceUnavailable", "InternalServerError", "TransactionConflict",
              "TooManyRequests", "SlowDown", "RequestTimeout", "InternalFailure",
              "InternalError", "LimitExceeded")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (PynamoDB keeps botocore's as `cause`)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__


def is_transient(exc: Exception) -> bool:
    # PynamoDB's errors carry AWS's code apart from their text (and a cancelled transaction
    # its reasons): a throttled transaction is as transient as a throttled put.
    for link in _chain(exc):
        # unreachable, connect/read timeout, connection closed: botocore's network faults
        if isinstance(link, (BotoConnectionError, HTTPClientError) + NETWORK_ERRORS):
            return True
    codes = [getattr(exc, "cause_response_code", None)]
    codes += [getattr(r, "code", None) for r in getattr(exc, "cancellation_reasons", None) or []]
    text = repr(exc) + " " + " ".join(str(c) for c in codes if c)
    return any(s in text for s in _TRANSIENT)
