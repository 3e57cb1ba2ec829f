"""The application clock. Services take `now`; only this module reads the real time.

In prod the clock is the system clock. In dev/test it is the system clock plus an offset
kept in storage (so every process sees it): setting the dev clock to 2026-04-05 10:00
makes time flow on from there, which heartbeats and timeouts need.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, UTC
from typing import Callable
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = UTC


def system_now() -> datetime:
    return datetime.now(UTC)


def monotonic() -> float:
    """For measuring durations (logs, job time budgets), never for business rules."""
    return time.monotonic()


class Clock:
    """Now = system time + offset; the offset is 0 unless a dev clock store provides one."""

    def __init__(self, read_offset: Callable[[], float] | None = None,
                 system: Callable[[], datetime] = system_now) -> None:
        self._read_offset = read_offset
        self._system = system

    def now(self) -> datetime:
        offset = self._read_offset() if self._read_offset else 0.0
        return self._system() + timedelta(seconds=offset)


class FixedClock(Clock):
    """A clock that stands still unless moved; for tests."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **kwargs: float) -> None:
        self._at = self._at + timedelta(**kwargs)


def parse_instant(value: str) -> datetime:
    """ISO 8601 with an offset; a naive time is read as Asia/Shanghai."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    return parsed.astimezone(UTC)


def shanghai(at: datetime) -> datetime:
    return at.astimezone(SHANGHAI)


def iso(at: datetime | None) -> str | None:
    """How the API shows a time: ISO 8601 in Asia/Shanghai with its offset."""
    return None if at is None else shanghai(at).isoformat(timespec="seconds")


def notice_time(at: datetime, *, end: bool = False) -> str:
    """A time as the notice writes it, in Beijing time: "2026年4月10日 15:30". A window's
    end is exclusive, so an `end` at midnight reads as the day before at 24:00
    ("2026年4月10日 24:00", not "4月11日 00:00", which readers take for the 11th)."""
    local = shanghai(at)
    if end and (local.hour, local.minute, local.second) == (0, 0, 0):
        day = local - timedelta(days=1)
        return f"{day.year}年{day.month}月{day.day}日 24:00"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
