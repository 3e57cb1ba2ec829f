"""Certificate numbers: read aloud, typed from paper, checked before any lookup, and
impossible to guess.

Format: `<edition>-XXXX-XXXX-XXXX-XXXXC`, e.g. `2026-7K3M-Q9XP-4TZR-8HWDF`:
- 16 random characters from Crockford's base32 alphabet (no I, L, O, U): 80 random bits
  from `secrets`, so enumerating numbers finds nothing (2^80 possibilities per edition
  against a few thousand issued);
- one check character (Luhn mod 32 over the edition and the random part): catches every
  single mistyped character and every swap of two neighbours (but "0Z" <-> "Z0", Luhn's
  blind spot) before the database is asked.
Input is normalised the Crockford way: case, spaces and hyphens do not matter, O reads as
0 and I/L as 1.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARS = 16
GROUP = 4
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_EDITION = re.compile(r"^[0-9A-Z]{1,32}$")


def check_char(payload: str) -> str:
    """Luhn mod N (N = 32) over `payload` (characters of ALPHABET)."""
    n = len(ALPHABET)
    factor, total = 2, 0
    for ch in reversed(payload):
        addend = factor * _INDEX[ch]
        addend = addend // n + addend % n
        total += addend
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def _edition_part(edition_id: str) -> str:
    """The edition id as a prefix: characters outside the alphabet are dropped."""
    part = "".join(c for c in edition_id.upper().translate(_CONFUSABLE) if c in _INDEX)
    if not _EDITION.match(part):
        raise ValueError(f"edition id not usable in a certificate number: {edition_id!r}")
    return part


def new_certificate_no(edition_id: str) -> str:
    """A fresh random number for `edition_id` ."""
    edition = _edition_part(edition_id)
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    tail = body + check_char(edition + body)
    groups = [tail[i:i + GROUP] for i in range(0, RANDOM_CHARS - GROUP, GROUP)]
    groups.append(tail[RANDOM_CHARS - GROUP:])
    return edition + "-" + "-".join(groups)


def normalise(text: str) -> str | None:
    """The canonical form of a typed number, or None when it cannot be one (wrong
    characters, wrong length or a wrong check character)."""
    raw = re.sub(r"[\s\-]", "", (text or "").upper()).translate(_CONFUSABLE)
    if len(raw) <= RANDOM_CHARS + 1 or len(raw) > RANDOM_CHARS + 1 + 32:
        return None
    if any(c not in _INDEX for c in raw):
        return None
    edition, body, check = raw[:-(RANDOM_CHARS + 1)], raw[-(RANDOM_CHARS + 1):-1], raw[-1]
    if check_char(edition + body) != check:
        return None
    tail = body + check
    groups = [tail[i:i + GROUP] for i in range(0, RANDOM_CHARS - GROUP, GROUP)]
    groups.append(tail[RANDOM_CHARS - GROUP:])
    return edition + "-" + "-".join(groups)
