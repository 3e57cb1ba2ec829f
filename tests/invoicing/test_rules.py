"""The invoice rules as pure functions: the window (one calendar month, to the end of that
day in Asia/Shanghai), the buyer title, the credit code, the amount in words."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.invoicing.issuer import amount_in_words
from chalicelib.platform.clock import iso, parse_instant
from chalicelib.editions.edition import invoice_deadline
from chalicelib.platform.errors import ValidationError, WindowClosedError
from chalicelib.invoicing.rules import buyer_for, require_window, window_closes
from chalicelib.platform.money import yuan
from tests.invoicing.factories import BAD_CODE, UNIT_CODE


def at(text: str):
    return parse_instant(text)


@pytest.mark.parametrize("paid, last_second", [
    ("2026-04-05T10:00:00+08:00", "2026-05-05T23:59:59+08:00"),
    ("2026-01-31T09:00:00+08:00", "2026-02-28T23:59:59+08:00"),  # 01-31 -> 02-28
    ("2028-01-31T09:00:00+08:00", "2028-02-29T23:59:59+08:00"),  # leap year
    ("2026-03-31T23:59:59+08:00", "2026-04-30T23:59:59+08:00"),  # 31 -> 30
    ("2026-12-15T00:00:00+08:00", "2027-01-15T23:59:59+08:00"),  # over the year end
    # paid 2026-01-31 17:30 UTC is 02-01 01:30 in Shanghai: the Shanghai day counts
    ("2026-01-31T17:30:00+00:00", "2026-03-01T23:59:59+08:00"),
])
def test_invoice_window_last_second_and_first_second_after(paid, last_second):
    # Given an order paid at `paid`
    paid_at, last = at(paid), at(last_second)
    closes = invoice_deadline(paid_at, 1)
    # Then the window is open at its last second and closed one second later
    assert require_window(paid_at, 1, last) == closes
    assert closes == last + timedelta(seconds=1)
    with pytest.raises(WindowClosedError) as info:
        require_window(paid_at, 1, last + timedelta(seconds=1))
    assert info.value.code == "WINDOW_CLOSED"
    assert info.value.details["window"] == "invoice"
    assert info.value.details["closes_at"] == iso(closes)


def test_window_first_second_after_is_exactly_the_deadline():
    paid_at = at("2026-01-31T09:00:00+08:00")
    closes = invoice_deadline(paid_at, 1)
    assert closes == at("2026-03-01T00:00:00+08:00")
    with pytest.raises(WindowClosedError):
        require_window(paid_at, 1, at("2026-03-01T00:00:00+08:00"))
    require_window(paid_at, 1, at("2026-02-28T23:59:59+08:00"))


def test_window_not_before_payment():
    with pytest.raises(WindowClosedError):
        require_window(at("2026-04-05T10:00:00+08:00"), 1, at("2026-04-05T09:59:59+08:00"))


def test_reversal_reopens_a_full_window_when_later():
    paid_at = at("2026-04-05T10:00:00+08:00")
    reversed_at = at("2026-05-01T12:00:00+08:00")
    assert window_closes(paid_at, 1, reversed_at) == at("2026-06-02T00:00:00+08:00")
    # an earlier reversal never shortens the window
    assert window_closes(paid_at, 1, at("2026-04-04T00:00:00+08:00")) == \
        at("2026-05-06T00:00:00+08:00")


def test_person_title_must_be_the_payer():
    assert buyer_for("individual", "张三", " 张三 ", None) == ("individual", "张三", None)
    with pytest.raises(ValidationError) as info:
        buyer_for("individual", "张三", "李四", None)
    assert info.value.details["field"] == "title"


@pytest.mark.parametrize("code", [BAD_CODE, "9111000060003734", "91110000600037341I", "ABC"])
def test_credit_code_checksum_failures_name_the_field(code):
    with pytest.raises(ValidationError) as info:
        buyer_for("individual", "张三", "国家图书馆", code)
    assert info.value.details["field"] == "credit_code"
    assert info.value.code == "INVALID_CREDIT_CODE"


def test_unit_title_with_valid_code():
    assert buyer_for("individual", "张三", "国家图书馆", UNIT_CODE.lower()) == \
        ("unit", "国家图书馆", UNIT_CODE)


def test_group_order_needs_a_code_and_defaults_to_the_units():
    assert buyer_for("group", "国家图书馆", "国家图书馆", None, UNIT_CODE)[2] == UNIT_CODE
    with pytest.raises(ValidationError) as info:
        buyer_for("group", "国家图书馆", "国家图书馆", None, None)
    assert info.value.details["field"] == "credit_code"


def test_empty_title():
    with pytest.raises(ValidationError) as info:
        buyer_for("individual", "张三", "   ", None)
    assert info.value.details["field"] == "title"


@pytest.mark.parametrize("fen, words", [
    (49000, "肆佰玖拾圆整"), (40000, "肆佰圆整"), (12345, "壹佰贰拾叁圆肆角伍分"),
    (1050, "壹拾圆伍角"), (1005, "壹拾圆零伍分"), (10010000, "壹拾万零壹佰圆整"),
    (-49000, "负肆佰玖拾圆整"), (0, "零圆整"),
])
def test_amount_in_words(fen, words):
    assert amount_in_words(fen) == words


def test_yuan_as_printed_on_invoices():
    assert yuan(49000, grouping=True) == "490.00" and yuan(-49000, grouping=True) == "-490.00"
    assert yuan(123456789, grouping=True) == "1,234,567.89"
