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


def issue(purpose: str, subject: str, target: str, now: datetime) -> str:
    """A fresh code for (purpose, subject), proving `target`; returns it for sending."""
    key = f"{purpose}#{subject}"
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    expires = now + timedelta(seconds=CODE_TTL_S)
    repo.put(OneTimeCode(key=key, code_hash=_hash(salt, key, code), salt=salt, target=target,
                         attempts=0, expires_at=expires, ttl=expires + timedelta(days=1)))
    return code


def redeem(purpose: str, subject: str, code: str, now: datetime) -> str:
    """Use the code once: the target it proves; CodeInvalidError when it is wrong, expired,
    used, or has had its tries (the same answer for each: nothing to probe)."""
    key = f"{purpose}#{subject}"
    stored = repo.get(key)
    code = (code or "").strip()
    if stored is None or now >= stored.expires_at:
        raise CodeInvalidError()
    if not repo.count_attempt(stored, MAX_ATTEMPTS):
        raise CodeInvalidError(exhausted=True)
    if not (code.isdigit() and hmac.compare_digest(stored.code_hash,
                                                   _hash(stored.salt, key, code))):
        raise CodeInvalidError(exhausted=int(stored.attempts or 0) >= MAX_ATTEMPTS)
    if not repo.consume(stored):
        raise CodeInvalidError()
    return str(stored.target)
