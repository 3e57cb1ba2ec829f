"""Fault injection through botocore's `before-call` event: on the shared PynamoDB client
(chalicelib.platform.store.base) and on the boto3 clients (chalicelib.platform.aws: the idempotency
table, S3, SES). A handler that returns a response short-circuits the call, so the fault
looks to the app exactly like AWS answering with it.

Kinds: `throttle` (ProvisionedThroughputExceededException: a ClientError the code sees),
`conditional` (ConditionalCheckFailedException), `s3`/`ses` service errors, and
`interrupt` (the Lambda dies: a BaseException no `except Exception` catches, nothing after
it runs)."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem",
          "PutObject", "SendEmail", "SendRawEmail"}
ERRORS = {
    "throttle": (400, "ProvisionedThroughputExceededException", "Rate of requests exceeds the allowed throughput"),
    "conditional": (400, "ConditionalCheckFailedException", "The conditional request failed"),
    "s3": (503, "SlowDown", "Please reduce your request rate"),
    "ses": (400, "Throttling", "Maximum sending rate exceeded"),
}


class Interrupted(BaseException):
    """The Lambda ran out of time here: nothing after this point happens."""


class _Http:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""
        self.text = ""
        self.raw = None


@dataclass
class Injector:
    calls: list[str] = field(default_factory=list)
    fail: Callable[[int, str], str | None] | None = None  # (index, "Service.Op") -> kind or None
    injected: list[str] = field(default_factory=list)

    def handler(self, model: Any, **_: Any) -> Any:
        name = f"{model.service_model.service_name}.{model.name}"
        index = len(self.calls)
        self.calls.append(name)
        kind = self.fail(index, name) if self.fail else None
        if kind is None:
            return None
        self.injected.append(f"{kind}@{index}:{name}")
        if kind == "interrupt":
            raise Interrupted(name)
        status, code, message = ERRORS[kind]
        return _Http(status), {"Error": {"Code": code, "Message": message},
                               "ResponseMetadata": {"HTTPStatusCode": status}}

    def writes(self) -> list[tuple[int, str]]:
        return [(i, c) for i, c in enumerate(self.calls) if c.split(".")[1] in WRITES]


def _clients(deps: Any) -> list[Any]:
    from chalicelib.platform.aws import client
    from chalicelib.platform.store.base import connection
    return [connection().client] + [client(deps.settings, s) for s in ("dynamodb", "s3", "ses")]


@contextmanager
def inject(deps: Any, fail: Callable[[int, str], str | None] | None = None) -> Iterator[Injector]:
    """Record every AWS call (in order) and fail the ones `fail` picks."""
    inj = Injector(fail=fail)
    clients = _clients(deps)
    for c in clients:
        c.meta.events.register_first("before-call", inj.handler, unique_id=f"fault-{id(inj)}")
    try:
        yield inj
    finally:
        for c in clients:
            c.meta.events.unregister("before-call", unique_id=f"fault-{id(inj)}")


def at_write(k: int, kind: str) -> Callable[[int, str], str | None]:
    """Fail the k-th write (counting from 0) of the flow with `kind`, once."""
    seen = {"writes": 0, "done": False}

    def pick(index: int, name: str) -> str | None:
        if name.split(".")[1] not in WRITES or seen["done"]:
            return None
        if seen["writes"] == k:
            seen["done"] = True
            return kind
        seen["writes"] += 1
        return None
    return pick


def run_faulted(fn: Callable[[], Any]) -> Any:
    """Run a step that may be failed: its outcome (value or exception) is returned."""
    try:
        return fn()
    except (Exception, Interrupted) as exc:  # noqa: BLE001 - the fault is the point
        return exc
