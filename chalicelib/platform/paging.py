"""Pages, for the API and for jobs. The API's lists answer `{"<items>": [...]}` with
`next_token` only when there is more; a job walks pages within its time budget and hands
back a cursor where it stopped."""
from __future__ import annotations

import base64
import json
from typing import Any, Callable, Sequence

from chalicelib.platform.clock import monotonic
from chalicelib.platform.errors import ValidationError

# One page of a query: (items, the token of the next page or None).
Page = tuple[Sequence[Any], str | None]


def encode_token(last_key: dict[str, Any] | None) -> str | None:
    """A store's last-evaluated key as an opaque URL-safe token (None: no more)."""
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("分页参数 next_token 无效", field="next_token") from exc
    if not isinstance(value, dict):
        raise ValidationError("分页参数 next_token 无效", field="next_token")
    return value


def page_out(name: str, items: list[Any], next_token: str | None, **extra: Any) -> dict[str, Any]:
    """The one list shape: `{name: items, **extra}` plus `next_token` only when there is more."""
    out: dict[str, Any] = {name: items, **extra}
    if next_token:
        out["next_token"] = next_token
    return out


def walk_pages(phases: Sequence[Callable[[str | None], Page]], handle: Callable[[Any], bool],
               cursor: dict[str, Any] | None, budget_s: float, *, share: float = 0.7
               ) -> tuple[dict[str, int], dict[str, Any] | None]:
    """A job's walk: page through each phase's query in turn, `handle(item)` saying whether
    it changed something. Stops when `share` of the budget is spent and returns a cursor
    pointing at the start of the page being worked on, so a resumed run re-reads it (the
    steps are idempotent per item: the second look changes nothing)."""
    started = monotonic()
    if not isinstance(cursor, dict):  # none yet, or one an older release wrote: start over
        cursor = None  # (safe: each step changes an item at most once)
    phase = int((cursor or {}).get("phase", 0))
    token = (cursor or {}).get("token")
    counts = {"changed": 0, "seen": 0}
    while phase < len(phases):
        items, token = phases[phase](token)
        for item in items:
            counts["seen"] += 1
            if handle(item):
                counts["changed"] += 1
        if token is None:
            phase += 1
        if phase < len(phases) and monotonic() - started > budget_s * share:
            return counts, {"phase": phase, "token": token}
    return counts, None
