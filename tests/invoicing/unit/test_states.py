"""The invoice tables are the one source: a state, kind or buyer type they do not know
cannot be written, compared in a condition or answered; the schemas and labels come from
them."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.invoicing.repository import Invoice
from chalicelib.invoicing.states import BUYER, KIND, STATUS
from tests.invoicing.memory import InMemoryInvoiceRepository


def blue(**over: object) -> Invoice:
    fields: dict[str, object] = dict(
        invoice_id="I1", invoice_no="", series="2026", seq=0, kind="blue", status="issued",
        order_id="O1", order_kind="individual", edition_id="2026", owner_sub="s1",
        buyer_type="individual", title="张三", item="培训费", amount_fen=49000,
        issued_at=datetime(2026, 4, 5, tzinfo=UTC), issued_by="s1", issuer="fake", pdf_key="k")
    fields.update(over)
    return Invoice(**fields)


@pytest.mark.parametrize("field, value", [("status", "cancelled"), ("status", "voided"),
                                          ("kind", "green"), ("buyer_type", "company")])
def test_writing_an_unknown_state_raises(field, value):
    with pytest.raises(ValueError, match="unknown state"):
        blue(**{field: value}).serialize()
    with pytest.raises(ValueError, match="unknown state"):
        InMemoryInvoiceRepository().issue(blue(**{field: value}), "s1", datetime(2026, 4, 5, tzinfo=UTC))


def test_a_condition_on_an_unknown_state_raises():
    with pytest.raises(ValueError, match="unknown state"):
        Invoice.status.is_in("issued", "voided")


def test_every_known_state_round_trips():
    for status in STATUS.values():
        for kind in KIND.values():
            for buyer in BUYER.values():
                item = blue(status=status, kind=kind, buyer_type=buyer).serialize()
                back = Invoice.from_raw_data(item)
                assert (back.status, back.kind, back.buyer_type) == (status, kind, buyer)


def test_only_an_issued_invoice_may_be_reversed_and_labels_are_chinese():
    assert STATUS.sources("reversed") == ["issued"]
    assert not STATUS.can_move("reversed", "issued")
    assert STATUS.label("reversed") == "已红冲" and KIND.label("red") == "红字发票"
    assert BUYER.label("unit") == "单位"


def test_the_response_schema_enums_come_from_the_tables():
    from chalicelib.invoicing.models import InvoiceOut
    props = InvoiceOut.model_json_schema()["properties"]
    assert props["kind"]["enum"] == KIND.values() == ["blue", "red"]
    assert props["status"]["enum"] == STATUS.values() == ["requested", "issuing", "issued",
                                                          "failed", "reversed"]
    assert props["buyer_type"]["enum"] == BUYER.values() == ["individual", "unit"]
