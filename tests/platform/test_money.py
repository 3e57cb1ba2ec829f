"""Money helpers: fen <-> yuan text (unit tier, no AWS)."""
from __future__ import annotations

import pytest

from chalicelib.platform.money import MAX_FEN, parse_yuan, yuan


@pytest.mark.parametrize(("fen", "text"), [(40000, "400.00"), (49000, "490.00"), (5, "0.05"),
                                            (0, "0.00"), (-1250, "-12.50"), (-5, "-0.05")])
def test_yuan_text(fen: int, text: str) -> None:
    assert yuan(fen) == text


def test_yuan_grouping_keeps_the_sign_in_front() -> None:
    assert yuan(123456789, grouping=True) == "1,234,567.89"
    assert yuan(-123456789, grouping=True) == "-1,234,567.89"


@pytest.mark.parametrize(("text", "fen"), [("400", 40000), ("400.00", 40000), ("1,234.5", 123450),
                                           ("¥490", 49000), ("４９０元", 49000), (" 0.01 ", 1),
                                           (400, 40000)])
def test_parse_yuan_reads_what_people_write(text: object, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1e3", "1e309", "inf", "NaN", "0.001", "-5",
                                  "9" * 50, None, True, "1.2.3"])
def test_parse_yuan_refuses_what_is_not_an_exact_amount(text: object) -> None:
    assert parse_yuan(text) is None


def test_parse_yuan_bounds_and_sign() -> None:
    assert parse_yuan("-12.5", allow_negative=True) == -1250
    assert parse_yuan(str(MAX_FEN // 100)) == MAX_FEN
    assert parse_yuan(str(MAX_FEN // 100 + 1)) is None
