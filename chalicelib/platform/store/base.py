"""Shared pieces of the store: the base model, binding to a stage, transactions, paging."""
from __future__ import annotations

import random
import secrets
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.platform.errors import RetryLaterError
from chalicelib.platform.paging import decode_token, encode_token  # noqa: F401 - re-exported for the repositories
from chalicelib.platform.settings import Settings

# Crockford's base32 without I, L, O, U: ids people read aloud or type from paper.
ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

_MODELS: list[type[Model]] = []


class _Connection(Connection):
    """Retries a transaction cancelled only by a conflict with another in-flight transaction
    (nothing was written; DynamoDB asks the caller to retry). A lost condition is final."""

    def transact_write_items(self, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(6):
            try:
                return super().transact_write_items(*args, **kwargs)
            except TransactWriteError as exc:
                codes = {r.code for r in (exc.cancellation_reasons or []) if r is not None}
                if attempt == 5 or not codes or not codes <= {"TransactionConflict", "None"}:
                    raise
                time.sleep(random.uniform(0, 0.02 * 2 ** attempt))  # noqa: S311 - jitter
        raise AssertionError("unreachable")
_bound: dict[Any, Any] = {}


def register(model: type[Model]) -> type[Model]:
    """Class decorator: the model's table is part of the platform (created locally, in
    tests and by infra/ from the same definition)."""
    model.Meta.base_name = model.Meta.table_name  # type: ignore[attr-defined]
    _MODELS.append(model)
    if "settings" in _bound:  # imported after `bind` (a route module loaded on first use)
        _bind_model(model, _bound["settings"], _bound["connection"])
    return model


def registered_models() -> list[type[Model]]:
    return list(_MODELS)


# PynamoDB's defaults (15 s connect, 30 s read) outlast API Gateway's 29 s; a DynamoDB call
# in the region answers in milliseconds (a 100-item transaction well under a second), so at
# worst (1 + RETRIES) x (1 s + 5 s) + backoff = ~20 s, inside the gateway's 29 s.
DYNAMODB_CONNECT_TIMEOUT_S = 1
DYNAMODB_READ_TIMEOUT_S = 5
DYNAMODB_RETRIES = 2  # retries after the first attempt (throttling, a dropped connection)
# The embedded AWS (moto, dev and tests) shares two cores with everything else and can stall
# for seconds under load; a timed-out write that is retried may then find its own first
# attempt and lose its condition. So locally: patient reads, the same number of retries.
EMBEDDED_READ_TIMEOUT_S = 60


def dynamodb_timeouts(settings: Settings) -> tuple[int, int, int]:
    """(connect s, read s, retries) of the stage's DynamoDB client."""
    read = EMBEDDED_READ_TIMEOUT_S if settings.endpoint_url else DYNAMODB_READ_TIMEOUT_S
    return DYNAMODB_CONNECT_TIMEOUT_S, read, DYNAMODB_RETRIES


def bind(settings: Settings) -> None:
    """Point every model at the stage's tables and endpoint (moto or AWS). All models share
    one botocore client: PynamoDB would otherwise build one per table (~0.1 s each, on the
    cold-start path of every Lambda)."""
    key = (settings.table_prefix, settings.endpoint_url, settings.region)
    if _bound.get("key") == key:
        return
    conn_key = ("connection", settings.region, settings.endpoint_url)
    connect_s, read_s, retries = dynamodb_timeouts(settings)
    if conn_key not in _bound:
        _bound[conn_key] = _Connection(region=settings.region, host=settings.endpoint_url,
                                      connect_timeout_seconds=connect_s,
                                      read_timeout_seconds=read_s,
                                      max_retry_attempts=retries,
                                      max_pool_connections=50)
    shared = _bound[conn_key]
    for model in _MODELS:
        _bind_model(model, settings, shared)
    _bound["key"] = key
    _bound["connection"] = shared
    _bound["settings"] = settings


def _bind_model(model: type[Model], settings: Settings, shared: Any) -> None:
    connect_s, read_s, retries = dynamodb_timeouts(settings)
    meta = model.Meta
    meta.table_name = settings.table_name(meta.base_name)  # type: ignore[attr-defined]
    meta.host = settings.endpoint_url
    meta.region = settings.region
    meta.max_retry_attempts = retries
    meta.connect_timeout_seconds = connect_s
    meta.read_timeout_seconds = read_s
    model._connection = None
    table = model._get_connection()
    shared.add_meta_table(table.get_meta_table())
    table.connection = shared


def connection() -> Connection:
    return _bound["connection"]  # type: ignore[no-any-return]


def new_id(prefix: str, length: int = 10) -> str:
    """A readable random id: `R` + 10 base32 characters (50 bits) = unguessable enough for
    object ids, which are always checked against their owner anyway."""
    return prefix + "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


@contextmanager
def transaction() -> Iterator[TransactWrite]:
    """Items that change together change in one DynamoDB transaction."""
    with TransactWrite(connection=connection()) as tx:
        yield tx


def committed(write: Callable[[TransactWrite], None]) -> bool:
    """Run `write(tx)` as one transaction: True when it committed, False when one of its
    conditions failed (someone else moved first). Any other failure propagates."""
    try:
        with transaction() as tx:
            write(tx)
    except TransactWriteError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def is_condition_failure(exc: Exception) -> bool:
    """True when a conditional write (or a transaction) lost: the state was not as
    expected. Other failures (throttling, network) are not this and should propagate."""
    if isinstance(exc, TransactWriteError):
        reasons = getattr(exc, "cancellation_reasons", None) or []
        return any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons)
    if isinstance(exc, (PutError, UpdateError)) or hasattr(exc, "cause_response_code"):
        return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"
    return False


def save_if_absent(item: Model, key: Any) -> bool:
    """Save a new item unless one with its key exists: False when it does (a replay, or a
    racing writer won). Any other failure propagates."""
    try:
        item.save(condition=key.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


T = TypeVar("T")


def retry_lost_races(attempt: Callable[[int], T | None], attempts: int = 6) -> T:
    """Optimistic concurrency, written once: `attempt(n)` reads the state, decides and makes
    its conditional write; it answers None when that write lost a race (someone changed
    the item in between), and is then run again on the state as it is now. A race lost
    `attempts` times in a row is a 503 the client may retry, never a silent give-up."""
    for n in range(attempts):
        result = attempt(n)
        if result is not None:
            return result
    raise RetryLaterError("系统繁忙（并发冲突），请稍后重试", code="RETRY_LATER")
