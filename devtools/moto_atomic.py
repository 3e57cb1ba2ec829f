"""moto applies a DynamoDB request in several steps without a lock, so two concurrent
conditional writes (or transactions) on the same item can both pass their condition.
Real DynamoDB applies each request atomically. Serialising moto's DynamoDB handler
restores that guarantee, so the race tests test our code, not moto's gaps."""
from __future__ import annotations

import threading
from functools import wraps
from typing import Any

_lock = threading.RLock()
_applied = False


def make_dynamodb_atomic() -> None:
    global _applied
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler
    original = DynamoHandler.call_action

    @wraps(original)
    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _applied = True


def main() -> None:
    """`python -m devtools.moto_atomic -H 127.0.0.1 -p 5001`: moto's server, patched."""
    make_dynamodb_atomic()
    from moto.server import main as moto_main
    moto_main()


if __name__ == "__main__":
    main()
