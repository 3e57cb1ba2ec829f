"""The DynamoDB requests a piece of code makes, as seen on the shared PynamoDB client
(botocore's before-call event): what the request-count tests of issue 18 assert."""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

STAGE_READS = (["kv"], ["editions"])  # the test stage's own reads (dev clock, edition)


@contextmanager
def on_the_wire(skip_stage_reads: bool = False) -> Iterator[list[tuple[str, list[str]]]]:
    """(operation, tables it touched, without the test's prefix) of each request;
    `skip_stage_reads`: less the dev clock's and the edition's reads, which a warm prod
    Lambda has in memory."""
    from chalicelib.platform.store.base import connection
    events = connection().client.meta.events
    seen: list[tuple[str, list[str]]] = []

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        items = body.get("TransactItems") or []
        tables = [next(iter(i.values()))["TableName"] for i in items] or \
            sorted(body.get("RequestItems") or {}) or [body.get("TableName", "")]
        tables = [t.rsplit("-", 1)[-1] for t in tables]
        if not (skip_stage_reads and tables in STAGE_READS):
            seen.append((model.name, tables))
    events.register("before-call.dynamodb.*", before)
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb.*", before)


@dataclass
class Request:
    """One DynamoDB request PynamoDB made: its operation, parameters and answer (empty
    when the request failed)."""
    operation: str
    params: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def table(self) -> str:
        """The table named by the request, without the test's prefix ("" for none)."""
        return str(self.params.get("TableName", "")).rsplit("-", 1)[-1]

    @property
    def evaluated(self) -> int:
        """The items a Query or Scan evaluated (what DynamoDB charges for), else 0."""
        if self.operation not in ("Query", "Scan"):
            return 0
        return int(self.answer.get("ScannedCount", self.answer.get("Count", 0)))


def dynamodb_requests(monkeypatch: Any) -> list[Request]:
    """Every request PynamoDB sends from now until `monkeypatch` is undone, in order (at its
    low-level call, so the operation's own parameters and answer are kept)."""
    from pynamodb.connection.base import Connection
    log: list[Request] = []
    original = Connection._make_api_call

    def recording(self: Any, operation: str, kwargs: dict[str, Any]) -> Any:
        request = Request(operation, kwargs)
        log.append(request)  # before the call: a refused request counts too
        answer = original(self, operation, kwargs)
        request.answer = answer or {}
        return answer
    monkeypatch.setattr(Connection, "_make_api_call", recording)
    return log
