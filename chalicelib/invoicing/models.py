"""Invoicing's request and response models: the routes validate into the first and answer
with the second, and the OpenAPI document is built from both (so they cannot drift). The
kind, state and buyer fields take their enums from the state machines."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from chalicelib.invoicing.states import BUYER, KIND, STATUS, BuyerType, InvoiceKind, InvoiceStatus
from chalicelib.platform.schemas import Body, LongText, PageOut, PageQuery, Text

KindField = Annotated[InvoiceKind, WithJsonSchema(KIND.schema())]
StatusField = Annotated[InvoiceStatus, WithJsonSchema(STATUS.schema())]
BuyerField = Annotated[BuyerType, WithJsonSchema(BUYER.schema())]


# --- requests ---------------------------------------------------------------------------
class InvoiceIn(Body):
    order_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    title: Text
    credit_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None


class ReverseIn(Body):
    reason: LongText


class DownloadQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["pdf", "ofd", "xml"] = "pdf"


class InvoiceListQuery(PageQuery):
    edition_id: str | None = Field(default=None, max_length=32)


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
    invoice_number: str | None = Field(description="数电票号码（20 位），开具后才有")
    order_no: str | None = Field(description="提交给开票服务商的订单号（唯一，提交前即保存）")
    invoice_date: str | None = Field(description="开票日期（服务商开具的时间）")
    failure_reason: str | None
    documents: list[Literal["pdf", "ofd", "xml"]]


class InvoiceListOut(PageOut):
    invoices: list[InvoiceOut]


class InvoiceReversalOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reversal: InvoiceOut
    original: InvoiceOut
