"""The attempt counters (platform/store/throttle.py) on moto: at the limit, one past it,
Retry-After to the end of the window, a new window starts afresh, subjects kept hashed."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import at

T0 = at("2026-04-05T10:00:20+08:00")


def test_at_the_limit_and_one_past(deps: Any) -> None:
    from chalicelib.platform.store.throttle import Counter, Limit, TooManyAttemptsError, hit
    limit = Limit("test:ip", 3, 60)
    for _ in range(3):
        hit(limit, "198.51.100.7", T0)
    with pytest.raises(TooManyAttemptsError) as info:
        hit(limit, "198.51.100.7", T0)
    assert info.value.status == 429 and info.value.retry_after_s == 40  # to 10:01:00
    hit(limit, "198.51.100.8", T0)  # another subject has its own count
    hit(limit, "198.51.100.7", T0 + timedelta(seconds=40))  # the next window starts afresh
    keys = [c.key for c in Counter.scan()]
    assert keys and not any("198.51.100" in k for k in keys)  # stored hashed


def test_check_and_record_count_failures_only(deps: Any) -> None:
    from chalicelib.platform.store.throttle import Limit, TooManyAttemptsError, check, record
    limit = Limit("test:failures", 2, 900)
    check(limit, "a@example.com", T0)
    record(limit, "a@example.com", T0)
    check(limit, "a@example.com", T0)
    record(limit, "a@example.com", T0)
    with pytest.raises(TooManyAttemptsError):
        check(limit, "a@example.com", T0)
