"""Sessions that end: an account's id tokens issued before a cut-off (a password reset) or
all of them (erased, disabled) are refused at the view boundary, although their signature
and expiry are still good.

The cut-offs of the last token lifetime are the entries of ONE small item in the `kv` table
(`session-cutoffs#recent`: sub -> {"v": cut-off epoch or "closed", "at": when}), read at most
once a CACHE_S per process, whatever the number of trainees it serves: a warm Lambda's
requests (the heartbeat above all, every 30 s per viewer) read nothing of it in between. A
revocation reaches every warm Lambda within CACHE_S; the process that revokes sees it at once.
An entry older than an id token's lifetime is dropped: every token it could refuse has
expired by then, and an erased or disabled account cannot get a new one (Cognito refuses
it). Written by identity (erasure, disabling, password reset), read by platform/http."""
from __future__ import annotations

import threading
from typing import Any

from chalicelib.platform.clock import monotonic, system_now
from chalicelib.platform.store.kv import get_entries, remove_entries, set_entry

CACHE_S = 30.0  # how long a process trusts what it read: revocation reaches all within it
TOKEN_LIFETIME_S = 3600  # the pool's id_token_validity (infra/stacks/identity.py)
KEEP_S = TOKEN_LIFETIME_S + 300  # an entry outlives every token it refuses, with margin
RECENT = "session-cutoffs#recent"
CLOSED = "closed"

_lock = threading.Lock()
_cache: dict[str, Any] = {"read_at": None, "entries": {}}


def _now_s() -> int:
    return int(system_now().timestamp())


def revoke(sub: str, *, closed: bool = False) -> None:
    """End the account's sessions: tokens issued up to now are refused; `closed` (erased,
    disabled): every token is refused, whenever issued."""
    now = _now_s()
    entry = {"v": CLOSED if closed else now, "at": now}
    set_entry(RECENT, sub, entry)
    # this process sees it at once: the map read back consistently becomes its cache
    entries = get_entries(RECENT, consistent_read=True)
    entries[sub] = entries.get(sub, entry)
    with _lock:
        _cache["read_at"], _cache["entries"] = monotonic(), entries
    # keep the item small: entries past every token they could refuse go (best effort: one
    # changed meanwhile is left for the next revocation)
    remove_entries(RECENT, {s: e for s, e in entries.items()
                            if s != sub and now - int(e.get("at", 0)) > KEEP_S})


def reopen(sub: str) -> None:
    """An account enabled again: its tokens issued from now on are accepted."""
    revoke(sub)


def _entries() -> dict[str, Any]:
    now = monotonic()
    with _lock:
        read_at, entries = _cache["read_at"], _cache["entries"]
    if read_at is None or now - read_at > CACHE_S:
        entries = get_entries(RECENT)
        with _lock:
            _cache["read_at"], _cache["entries"] = now, entries
    return dict(entries)


def token_allowed(sub: str, issued_at: int | None) -> bool:
    """Whether a token of `sub` issued at `issued_at` (epoch seconds, the `iat` claim) may
    still be used."""
    entry = _entries().get(sub)
    if entry is None:
        return True
    if entry.get("v") == CLOSED:
        return False
    # iat has whole seconds: a token of the revoking second itself is refused too (a
    # sign-in in that very second must sign in again a second later).
    return issued_at is not None and int(issued_at) > int(entry["v"])


def forget_cache() -> None:
    """Tests and bench: start from an empty per-process cache."""
    with _lock:
        _cache["read_at"], _cache["entries"] = None, {}
