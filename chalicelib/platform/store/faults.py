"""What a failing AWS dependency looks like to the view boundary: which exceptions are
storage/AWS faults, and which of them a retry may cure (503 RETRY_LATER) rather than a
bug (500)."""
from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

STORAGE_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, PynamoDBException)

_TRANSIENT = ("Throttl", "ProvisionedThroughputExceeded", "RequestLimitExceeded",
              "ServiceUnavailable", "InternalServerError", "TransactionConflict")


def is_transient(exc: Exception) -> bool:
    # PynamoDB's errors carry AWS's code apart from their text (and a cancelled transaction
    # its reasons): a throttled transaction is as transient as a throttled put.
    codes = [getattr(exc, "cause_response_code", None)]
    codes += [getattr(r, "code", None) for r in getattr(exc, "cancellation_reasons", None) or []]
    text = repr(exc) + " " + " ".join(str(c) for c in codes if c)
    return any(s in text for s in _TRANSIENT)
