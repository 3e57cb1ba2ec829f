"""An invoice's kind, state and buyer, each one table: the model's attributes, the store's
conditions, the response schemas and the web's labels all come from these."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


class InvoiceKind(StrEnum):
    BLUE = "blue"  # an invoice
    RED = "red"  # the negative invoice that reverses a blue one


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    REVERSED = "reversed"  # a blue invoice that a red one cancelled


class BuyerType(StrEnum):
    INDIVIDUAL = "individual"  # the payer's own name, no credit code
    UNIT = "unit"  # a unit's name with its 统一社会信用代码


# A kind never changes: an invoice is corrected by another invoice, never edited.
KIND = StateMachine.of("invoice.kind", InvoiceKind,
                       {InvoiceKind.BLUE: (), InvoiceKind.RED: ()},
                       {InvoiceKind.BLUE: "蓝字发票", InvoiceKind.RED: "红字发票"})

# Only a blue invoice is ever reversed (red ones stay issued: the service refuses them).
STATUS = StateMachine.of("invoice.status", InvoiceStatus,
                         {InvoiceStatus.ISSUED: (InvoiceStatus.REVERSED,),
                          InvoiceStatus.REVERSED: ()},
                         {InvoiceStatus.ISSUED: "已开具", InvoiceStatus.REVERSED: "已红冲"})

BUYER = StateMachine.of("invoice.buyer_type", BuyerType,
                        {BuyerType.INDIVIDUAL: (), BuyerType.UNIT: ()},
                        {BuyerType.INDIVIDUAL: "个人", BuyerType.UNIT: "单位"})
