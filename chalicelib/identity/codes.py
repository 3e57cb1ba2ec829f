"""One-time codes (phone verification, password reset): six digits, kept only as a salted
hash, valid CODE_TTL_S, used once, at most MAX_ATTEMPTS tries; a new code replaces the
previous one. The code itself is never logged: it leaves here only towards its sender."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from chalicelib.identity.errors import CodeInvalidError
from chalicelib.identity.repository import CodeRepository, OneTimeCode

CODE_TTL_S = 300
MAX_ATTEMPTS = 5
CODE_DIGITS = 6

repo = CodeRepository()


def _hash(salt: str, key: str, code: str) -> str:
    return hmac.new(bytes.fromhex(salt), f"{key}\0{code}".encode(), hashlib.sha256).hexdigest()


def issue(purpose: str, subject: str, target: str, now: datetime, *, ttl_s: int = CODE_TTL_S,
          secret: str | None = None) -> str:
    """A fresh code for (purpose, subject), proving `target`; returns it for sending.
    `secret`: a value to store instead of six digits (a long server-side nonce)."""
    key = f"{purpose}#{subject}"
    code = secret if secret is not None else f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    expires = now + timedelta(seconds=ttl_s)
    repo.put(OneTimeCode(key=key, code_hash=_hash(salt, key, code), salt=salt, target=target,
                         attempts=0, expires_at=expires, ttl=expires + timedelta(days=1)))
    return code


def redeem(purpose: str, subject: str, code: str, now: datetime, *,
           max_attempts: int = MAX_ATTEMPTS, digits: bool = True) -> str:
    """Use the code once: the target it proves; CodeInvalidError when it is wrong, expired,
    used, or has had its `max_attempts` tries (the same answer for each: nothing to probe).
    `digits=False`: the code is a nonce (any characters)."""
    return str(use(purpose, subject, code, now, max_attempts=max_attempts, digits=digits).target)


def restore(used: OneTimeCode) -> bool:
    """Give back a code that matched but whose use then failed for a passing reason (the
    identity provider unreachable): the person may type it again until it expires. Not when
    a newer code was sent meanwhile (False)."""
    return repo.put_back(used)


def use(purpose: str, subject: str, code: str, now: datetime, *,
        max_attempts: int = MAX_ATTEMPTS, digits: bool = True) -> OneTimeCode:
    """redeem, returning the code's record as it was (for `restore`)."""
    key = f"{purpose}#{subject}"
    stored = repo.get(key)
    code = (code or "").strip()
    if stored is None or now >= stored.expires_at:
        raise CodeInvalidError()
    if not repo.count_attempt(stored, max_attempts):
        raise CodeInvalidError(exhausted=True)
    if not ((code.isdigit() or not digits) and code and hmac.compare_digest(
            stored.code_hash, _hash(stored.salt, key, code))):
        raise CodeInvalidError(exhausted=int(stored.attempts or 0) >= max_attempts)
    if not repo.consume(stored):
        raise CodeInvalidError()
    return stored
