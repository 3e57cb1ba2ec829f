"""Text normalisation shared by matching rules (unit names, memos, e-mails, phones)."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalise_name(value: str) -> str:
    """Full-width to half-width (NFKC), no spaces at all, case-folded: how unit names and
    memos are compared."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value or "")).casefold()


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()


def normalise_phone(value: str) -> str:
    """Digits only, a leading +86/86 dropped: 138 0013 8000 == +86-13800138000."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value or ""))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def mask_name(name: str) -> str:
    """张三丰 -> 张*丰, 张三 -> 张*; for public pages."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
