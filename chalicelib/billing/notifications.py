"""Provider notifications we acknowledge without crediting, kept for finance: unknown order
or refund, amount, channel or merchant mismatch, malformed, a transaction id already used
by another order, money refunded automatically (duplicate, unapproved, late) and failed
provider refunds. Kept once per provider transaction and problem (a replay counts another
delivery) on the sparse `by_flag` index finance's list queries; the reason in Chinese
(states.NOTIFICATION_PROBLEMS). Payments and refunds both flag here."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.billing.repository import ProviderNotification, repository
from chalicelib.billing.states import NotificationFlag, problem_label
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.observability import logger
from chalicelib.platform.paging import page_out


def flag(deps: Deps, provider: str, txn_id: str, out_trade_no: str | None,
         amount_fen: int | None, problem: str, detail: str, data: dict[str, Any] | None,
         now: datetime) -> dict[str, Any]:
    """Keep the notification for finance; the webhook still answers success (a retry would
    not change what we found)."""
    note = ProviderNotification(
        notification_id=f"{provider}#{txn_id or '-'}#{problem}", provider=provider,
        provider_txn_id=txn_id or "-", out_trade_no=out_trade_no,
        amount_fen=amount_fen if type(amount_fen) is int else None,
        problem=problem, detail=detail, data=data or {}, received_at=now,
        flag=NotificationFlag.OPEN.value)
    repository(deps).keep_notification(note)
    logger.warning("payment notification flagged", extra={"problem": problem, "provider": provider,
                                                          "out_trade_no": out_trade_no})
    return {"result": problem}


def list_flagged(deps: Deps, limit: int, token: str | None) -> dict[str, Any]:
    """Finance's list of the notifications still open, newest first."""
    items, next_token = repository(deps).page_open_notifications(limit, token)
    return page_out("notifications", [{
        "notification_id": n.notification_id, "provider": n.provider,
        "provider_txn_id": n.provider_txn_id, "out_trade_no": n.out_trade_no,
        "amount_fen": n.amount_fen, "problem": n.problem, "reason": problem_label(n.problem),
        "detail": n.detail,
        "received_at": iso(n.received_at), "deliveries": n.deliveries,
        "data": json.loads(json.dumps(n.data or {}, default=str))} for n in items], next_token)
