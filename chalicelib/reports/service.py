"""Read-only views for the web front end that no feature module serves: the admin's report
(funnel, registrations per day, income by channel), a unit's own registrations (the group
order builder picks from them) and finance's open bank transfers (group confirmations).
Keys and GSIs only (no Scan): every list is a Query on an index partition of the edition."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from chalicelib.platform.clock import SHANGHAI, iso
from chalicelib.billing.states import CHANNEL_LABELS, Channel
from chalicelib.platform.text import normalise_name
from chalicelib.platform.errors import ForbiddenError
from chalicelib.editions import service as editions
from chalicelib.identity.accounts import get_account
from chalicelib.platform.deps import Deps

STATUSES = ("pending", "approved", "rejected", "withdrawn")
UNIT_PROBLEMS = {
    "NOT_APPROVED": "报名尚未审核通过",
    "ALREADY_PAID": "已交费",
    "IN_OTHER_ORDER": "已在其他未支付订单中",
}


def _all_by_status(edition_id: str, status: str) -> list[Any]:
    from chalicelib.registration.repository import Registration
    return list(Registration.by_edition_status.query(f"{edition_id}#{status}"))


def _orders_in_queue(edition_id: str, status: str, channel: str) -> list[Any]:
    from chalicelib.billing.repository import Order, order_queue
    return list(Order.by_queue.query(order_queue(edition_id, status, channel)))


def _all_courses_done(edition_id: str, user_sub: str, course_count: int) -> bool:
    from chalicelib.learning.repository import Progress, learner_key
    items = list(Progress.query(learner_key(edition_id, user_sub)))
    return len(items) >= course_count and all(p.completed_at is not None for p in items)


def summary(deps: Deps, edition_id: str | None, now: datetime) -> dict[str, Any]:
    """The funnel registered -> approved -> paid -> all courses done -> questionnaire ->
    certificate, registrations per day (Beijing dates) and income by channel. Cost: one
    Query per registration status, per order queue, per paid trainee's progress (10 items)
    and one on the questionnaire responses of the edition."""
    from chalicelib.learning.repository import QuestionnaireResponse
    edition = editions.get_edition(deps, edition_id) if edition_id else editions.get_current(deps)
    eid = edition.edition_id
    by_status = {s: _all_by_status(eid, s) for s in STATUSES}
    registered = [r for regs in by_status.values() for r in regs]
    approved = by_status["approved"]
    paid = [r for r in approved if r.payment_status == "paid"]
    done = sum(1 for r in paid if _all_courses_done(eid, r.user_sub, len(edition.courses)))
    responses = list(QuestionnaireResponse.by_edition.query(eid))
    per_day = Counter(r.submitted_at.astimezone(SHANGHAI).date().isoformat() for r in registered)
    income = []
    for channel in Channel:
        orders = _orders_in_queue(eid, "paid", channel.value)
        refunded = _orders_in_queue(eid, "refunded", channel.value)
        income.append({"channel": channel.value, "label": CHANNEL_LABELS[channel.value],
                       "orders": len(orders), "amount_fen": sum(int(o.amount_fen) for o in orders),
                       "refunded_orders": len(refunded),
                       "refunded_fen": sum(int(o.amount_fen) for o in refunded)})
    funnel = [
        {"step": "registered", "label": "报名", "count": len(registered)},
        {"step": "approved", "label": "审核通过", "count": len(approved)},
        {"step": "paid", "label": "已交费", "count": len(paid)},
        {"step": "courses_done", "label": "全部课程学完", "count": done},
        {"step": "questionnaire", "label": "提交问卷", "count": len(responses)},
        {"step": "certificate", "label": "领取证书", "count": sum(1 for r in responses if r.certificate_no)},
    ]
    return {"edition_id": eid, "title": edition.title, "generated_at": iso(now),
            "by_status": {s: len(v) for s, v in by_status.items()}, "funnel": funnel,
            "registrations_per_day": [{"date": d, "count": per_day[d]} for d in sorted(per_day)],
            "income_by_channel": income,
            "income_total_fen": sum(i["amount_fen"] for i in income)}


def unit_registrations(deps: Deps, unit_sub: str) -> dict[str, Any]:
    """The current edition's registrations under the unit account's name (compared after
    normalising full-width characters and spaces), each saying whether it can join a group
    order now and, if not, why."""
    from chalicelib.registration.repository import RegistrationRepository
    account = get_account(unit_sub)
    if account.kind != "unit" or not account.unit_name:
        raise ForbiddenError("仅单位账号可以查看本单位报名", code="UNIT_ACCOUNT_REQUIRED")
    edition = editions.get_current(deps)
    regs = RegistrationRepository().list_by_unit(edition.edition_id, normalise_name(account.unit_name))
    out = []
    for r in sorted(regs, key=lambda r: r.submitted_at):
        if r.status in ("rejected", "withdrawn"):
            continue
        problem = ("NOT_APPROVED" if r.status != "approved" else
                   "ALREADY_PAID" if r.payment_status != "unpaid" else
                   "IN_OTHER_ORDER" if r.open_order_id else None)
        out.append({"registration_id": r.registration_id, "name": r.name, "email": r.email,
                    "job_title": r.job_title, "status": r.status,
                    "payment_status": r.payment_status, "fee_fen": r.fee_fen, "tier": r.tier,
                    "open_order_id": r.open_order_id, "payable": problem is None,
                    "problem": problem, "problem_text": UNIT_PROBLEMS.get(problem or "")})
    return {"unit_name": account.unit_name, "credit_code": account.credit_code,
            "registrations": out}


def open_transfers(deps: Deps, kind: str | None) -> dict[str, Any]:
    """Open bank-transfer orders of the current edition (oldest first), for finance to
    confirm: group remittances with their voucher/member-list uploads, and individuals."""
    edition = editions.get_current(deps)
    orders = _orders_in_queue(edition.edition_id, "open", Channel.BANK_TRANSFER.value)
    if kind:
        orders = [o for o in orders if o.kind == kind]
    orders.sort(key=lambda o: o.created_at)
    return {"orders": [{
        "order_id": o.order_id, "kind": o.kind, "amount_fen": int(o.amount_fen), "memo": o.memo,
        "unit_name": o.unit_name, "payer_name": o.payer_name,
        "members": len(o.registration_ids or []), "created_at": iso(o.created_at),
        "review_due_at": iso(o.review_due_at), "voucher_uploaded": bool(o.voucher_key),
        "member_list_uploaded": bool(o.member_list_key)} for o in orders]}
