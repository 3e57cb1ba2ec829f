"""An invoice's kind, state and buyer, each one table: the model's attributes, the store's
conditions, the response schemas and the web's labels all come from these."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


class InvoiceKind(StrEnum):
    BLUE = "blue"  # an invoice
    RED = "red"  # the negative invoice that reverses a blue one


class InvoiceStatus(StrEnum):
    REQUESTED = "requested"  # numbered and recorded (orderNo persisted), not yet accepted
    ISSUING = "issuing"  # the tax-platform provider accepted it; the result is awaited
    ISSUED = "issued"  # the provider issued it: 20-digit number, its PDF stored
    FAILED = "failed"  # refused, or failed after the retries (finance retries it)
    REVERSED = "reversed"  # a blue invoice that a red one cancelled


class BuyerType(StrEnum):
    INDIVIDUAL = "individual"  # the payer's own name, no credit code
    UNIT = "unit"  # a unit's name with its 统一社会信用代码


# A kind never changes: an invoice is corrected by another invoice, never edited.
KIND = StateMachine.of("invoice.kind", InvoiceKind,
                       {InvoiceKind.BLUE: (), InvoiceKind.RED: ()},
                       {InvoiceKind.BLUE: "蓝字发票", InvoiceKind.RED: "红字发票"})

# The provider's asynchronous issue: requested -> issuing -> issued | failed; a failure is
# retried through the provider (failed -> issuing, same orderNo). Only a blue, issued
# invoice is ever reversed (red ones stay issued: the service refuses them).
STATUS = StateMachine.of("invoice.status", InvoiceStatus,
                         {InvoiceStatus.REQUESTED: (InvoiceStatus.ISSUING, InvoiceStatus.ISSUED,
                                                    InvoiceStatus.FAILED),
                          InvoiceStatus.ISSUING: (InvoiceStatus.ISSUED, InvoiceStatus.FAILED),
                          InvoiceStatus.FAILED: (InvoiceStatus.ISSUING, InvoiceStatus.REQUESTED),
                          InvoiceStatus.ISSUED: (InvoiceStatus.REVERSED,),
                          InvoiceStatus.REVERSED: ()},
                         {InvoiceStatus.REQUESTED: "已申请", InvoiceStatus.ISSUING: "开具中",
                          InvoiceStatus.ISSUED: "已开具", InvoiceStatus.FAILED: "开具失败",
                          InvoiceStatus.REVERSED: "已红冲"})

# The invoices the issuing job still follows.
IN_FLIGHT = (InvoiceStatus.REQUESTED, InvoiceStatus.ISSUING)

BUYER = StateMachine.of("invoice.buyer_type", BuyerType,
                        {BuyerType.INDIVIDUAL: (), BuyerType.UNIT: ()},
                        {BuyerType.INDIVIDUAL: "个人", BuyerType.UNIT: "单位"})
