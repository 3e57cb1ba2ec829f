"""Sessions that end: an account's id tokens issued before a cut-off (a password reset) or
all of them (erased, disabled) are refused at the view boundary, although their signature
and expiry are still good. The cut-off is one small item per account in the `kv` table,
read at most once a CACHE_S per account and process (a GetItem of ~100 bytes), so a
revocation reaches every warm Lambda within CACHE_S; the process that revokes sees it at
once. Written by identity (erasure, disabling, password reset), read by platform/http."""
from __future__ import annotations

import threading
from typing import Any

from chalicelib.platform.clock import monotonic, system_now
from chalicelib.platform.store.kv import get_value, put_value

CACHE_S = 30.0  # how long a process trusts what it read: revocation reaches all within it
CACHE_MAX = 10_000  # accounts remembered per process (cleared when full)
CLOSED = "closed"

_lock = threading.Lock()
_cache: dict[str, tuple[float, Any]] = {}  # sub -> (read at, value)


def _key(sub: str) -> str:
    return f"session-cutoff#{sub}"


def revoke(sub: str, *, closed: bool = False) -> None:
    """End the account's sessions: tokens issued up to now are refused; `closed` (erased,
    disabled): every token is refused, whenever issued."""
    value: Any = CLOSED if closed else int(system_now().timestamp())
    put_value(_key(sub), value)
    with _lock:
        _cache[sub] = (monotonic(), value)


def reopen(sub: str) -> None:
    """An account enabled again: its tokens issued from now on are accepted."""
    revoke(sub)


def token_allowed(sub: str, issued_at: int | None) -> bool:
    """Whether a token of `sub` issued at `issued_at` (epoch seconds, the `iat` claim) may
    still be used."""
    now = monotonic()
    with _lock:
        cached = _cache.get(sub)
    if cached is None or now - cached[0] > CACHE_S:
        value = get_value(_key(sub))
        with _lock:
            if len(_cache) >= CACHE_MAX:
                _cache.clear()
            _cache[sub] = (now, value)
    else:
        value = cached[1]
    if value is None:
        return True
    if value == CLOSED:
        return False
    # iat has whole seconds: a token of the revoking second itself is refused too (a
    # sign-in in that very second must sign in again a second later).
    return issued_at is not None and int(issued_at) > int(value)


def forget_cache() -> None:
    """Tests and bench: start from an empty per-process cache."""
    with _lock:
        _cache.clear()
