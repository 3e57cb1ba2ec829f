"""The invoicing feature's errors: each code and message written once."""
from __future__ import annotations

from chalicelib.platform.errors import ConflictError, NotFoundError


class InvoiceNotFoundError(NotFoundError):
    code = "INVOICE_NOT_FOUND"
    message = "发票不存在"


class InvoiceExistsError(ConflictError):
    """The order already has a live invoice (details: its `invoice_id`)."""
    code = "INVOICE_EXISTS"
    message = "该订单已开具发票，如需更正请联系财务红冲后重开"


class AlreadyReversedError(ConflictError):
    code = "ALREADY_REVERSED"
    message = "该发票已红冲"


class OrderRefundedError(ConflictError):
    """The order's money went (or is going) back: nothing to invoice."""
    code = "ORDER_REFUNDED"
    message = "该订单已申请退费，不能开具发票"
