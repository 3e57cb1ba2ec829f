"""Attempt counters with a TTL: "at most N of this per subject per window" for sign-in,
sign-up, code sending and password reset. One DynamoDB item per (limit, subject, window),
incremented atomically (one UpdateItem per counted attempt); DynamoDB's TTL removes the
old windows. Subjects (e-mail, phone, IP) are stored only as a hash."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.platform.errors import AppError
from chalicelib.platform.store.base import register


class TooManyAttemptsError(AppError):
    """429 with Retry-After: the limit of this window is used up."""
    status = 429
    code = "TOO_MANY_ATTEMPTS"

    def __init__(self, retry_after_s: int, message: str | None = None) -> None:
        self.retry_after_s = max(1, retry_after_s)
        wait = (f"{math.ceil(self.retry_after_s / 60)} 分钟" if self.retry_after_s >= 60
                else f"{self.retry_after_s} 秒")
        super().__init__(message or f"尝试次数过多，请 {wait}后再试", retry_after_s=self.retry_after_s)


@register
class Counter(Model):
    class Meta:
        table_name = "throttle"

    key = UnicodeAttribute(hash_key=True)  # <limit name>#<subject hash>#<window start>
    hits = NumberAttribute(default=0)
    expires = TTLAttribute()


@dataclass(frozen=True)
class Limit:
    """`limit` attempts per `window_s` seconds (fixed windows) for one kind of subject."""
    name: str  # e.g. "login:account"
    limit: int
    window_s: int

    def _window(self, now: datetime) -> tuple[int, int]:
        epoch = int(now.timestamp())
        start = epoch - epoch % self.window_s
        return start, start + self.window_s - epoch

    def _key(self, subject: str, start: int) -> str:
        digest = hashlib.sha256(f"{self.name}\0{subject}".encode()).hexdigest()[:32]
        return f"{self.name}#{digest}#{start}"


def hit(limit: Limit, subject: str, now: datetime) -> None:
    """Count one attempt; TooManyAttemptsError when it is past the limit (the refused
    attempt is counted too, so hammering does not reopen the window)."""
    count, retry_after = _add(limit, subject, now)
    if count > limit.limit:
        raise TooManyAttemptsError(retry_after)


def check(limit: Limit, subject: str, now: datetime) -> None:
    """Refuse when the window's count has reached the limit, without counting (for limits
    that count failures only: `record` them after the attempt failed)."""
    start, retry_after = limit._window(now)
    try:
        count = int(Counter.get(limit._key(subject, start)).hits or 0)
    except DoesNotExist:
        return
    if count >= limit.limit:
        raise TooManyAttemptsError(retry_after)


def record(limit: Limit, subject: str, now: datetime) -> None:
    """Count one (failed) attempt without refusing it."""
    _add(limit, subject, now)


def _add(limit: Limit, subject: str, now: datetime) -> tuple[int, int]:
    start, retry_after = limit._window(now)
    item = Counter(key=limit._key(subject, start))
    item.update(actions=[Counter.hits.add(1),
                         Counter.expires.set(datetime.fromtimestamp(start + 2 * limit.window_s,
                                                                    now.tzinfo))])
    return int(item.hits or 0), retry_after
