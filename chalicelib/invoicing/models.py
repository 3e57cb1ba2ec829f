"""Invoicing's request and response models: the routes validate into the first and answer
with the second, and the OpenAPI document is built from both (so they cannot drift). The
kind, state and buyer fields take their enums from the state machines."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema, model_serializer

from chalicelib.invoicing.states import BUYER, KIND, STATUS, BuyerType, InvoiceKind, InvoiceStatus
from chalicelib.platform.clock import iso
from chalicelib.platform.schemas import Body, LongText, Text

KindField = Annotated[InvoiceKind, WithJsonSchema(KIND.schema())]
StatusField = Annotated[InvoiceStatus, WithJsonSchema(STATUS.schema())]
BuyerField = Annotated[BuyerType, WithJsonSchema(BUYER.schema())]
# A time the API shows in Asia/Shanghai ("2026-04-05T10:05:00+08:00").
Instant = Annotated[datetime, PlainSerializer(iso, return_type=str), WithJsonSchema({"type": "string"})]


# --- requests ---------------------------------------------------------------------------
class InvoiceIn(Body):
    order_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    title: Text
    credit_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None


class ReverseIn(Body):
    reason: LongText


class InvoiceListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    edition_id: str | None = Field(default=None, max_length=32)
    limit: int = Field(default=50, ge=1, le=200)
    next_token: str | None = Field(default=None, max_length=2000)


# --- responses --------------------------------------------------------------------------
class InvoiceOut(BaseModel):
    """An invoice as its owner and finance see it (times in Asia/Shanghai)."""
    model_config = ConfigDict(extra="forbid")
    invoice_id: str
    invoice_no: str
    kind: KindField
    status: StatusField
    order_id: str
    edition_id: str
    buyer_type: BuyerField
    title: str
    credit_code: str | None
    item: str
    quantity: int
    amount_fen: int  # negative on a red invoice
    official_card: bool
    issued_at: str
    reverses_invoice_id: str | None
    reverses_no: str | None
    reversed_by_invoice_id: str | None
    reversed_at: str | None
    reason: str | None
    pdf_ready: bool


class InvoiceListOut(BaseModel):
    """The one list shape: `next_token` only when there is more."""
    model_config = ConfigDict(extra="forbid")
    invoices: list[InvoiceOut]
    next_token: str | None = None

    @model_serializer(mode="wrap")
    def _without_empty_token(self, handler: Any) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        if out.get("next_token") is None:
            out.pop("next_token", None)
        return out


class InvoiceLinkOut(BaseModel):
    """A short-lived link to a stored file."""
    model_config = ConfigDict(extra="forbid")
    url: str
    expires_at: Instant


class InvoiceReversalOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reversal: InvoiceOut
    original: InvoiceOut
