"""Money is integer fen everywhere; yuan appears only as text for people and providers.
The one place that turns fen into yuan text and yuan text into fen."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from chalicelib.platform.text import normalise_name

# Far above any fee or remittance this platform takes (10 million yuan), far below what a
# Decimal or a DynamoDB number could hold: a value outside is a typo or an attack.
MAX_FEN = 10_000_000 * 100
_NOISE = re.compile(r"[,，\s¥￥元]")


def yuan(fen: int, *, grouping: bool = False) -> str:
    """400.00 for 40000 fen; -12.50 for -1250 (the sign stays in front); 1,234.00 with
    `grouping` (invoices, receipts)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}" if grouping else f"{sign}{whole}.{cents:02d}"


def parse_yuan(text: object, *, allow_negative: bool = False) -> int | None:
    """Fen from a yuan amount as people and providers write it ("400", "400.00",
    "1,234.5", "¥490", "４９０元"); None when it is not an exact amount of fen within
    ±MAX_FEN (no rounding: 0.001 yuan is not money)."""
    if text is None or isinstance(text, bool):
        return None
    raw = str(text)
    if len(raw) > 40:
        return None
    cleaned = _NOISE.sub("", normalise_name(raw))
    if not cleaned or not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned):
        return None  # refuses "1e3", "inf", "NaN" before Decimal would accept them
    try:
        fen = Decimal(cleaned) * 100
    except InvalidOperation:
        return None
    if fen != fen.to_integral_value():
        return None
    value = int(fen)
    if abs(value) > MAX_FEN or (value < 0 and not allow_negative):
        return None
    return value
