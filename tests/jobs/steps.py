"""Step functions for testing the job runner: each marks items `1..N` done with a
conditional write (so doing one twice would show), a page of PAGE per call."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.platform.store.base import is_condition_failure
from chalicelib.platform.store.uniques import Unique

N = 7
PAGE = 3
CALLS: list[Any] = []


def mark_items(deps: Any, edition: Any, now: datetime, cursor: Any,
               budget_s: float) -> tuple[dict[str, int], Any]:
    CALLS.append(cursor)
    start = (cursor or {}).get("next", 1)
    done = again = 0
    prefix = edition.edition_id if edition is not None else "-"
    for i in range(start, min(start + PAGE, N + 1)):
        try:
            Unique(key=f"jobtest#{prefix}#{i}", owner="job", created_at=now).save(
                condition=Unique.key.does_not_exist())
            done += 1
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
            again += 1
    nxt = start + PAGE
    return {"done": done, "again": again}, ({"next": nxt} if nxt <= N else None)


def explode(deps: Any, edition: Any, now: datetime, cursor: Any,
            budget_s: float) -> tuple[dict[str, int], Any]:
    raise RuntimeError("boom")
