"""The DynamoDB requests a piece of code makes, as seen on the shared PynamoDB client
(botocore's before-call event): what the request-count tests of issue 18 assert."""
from __future__ import annotations

import json
from contextlib import contextmanager
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
