"""The report's arithmetic as pure functions of what the features' queries answered: the
funnel, registrations per Beijing day, income by channel, a unit's pickable staff, the open
transfers finance confirms. No storage: the service gathers, these count."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

from chalicelib.billing.states import CHANNEL_LABELS, Channel, RefundKind, RefundStatus
from chalicelib.platform.clock import SHANGHAI, iso
from chalicelib.registration.states import PaymentStatus, RegistrationStatus

STATUSES = tuple(s.value for s in RegistrationStatus)  # pending, approved, rejected, withdrawn
UNIT_PROBLEMS = {
    "NOT_APPROVED": "报名尚未审核通过",
    "ALREADY_PAID": "已交费",
    "IN_OTHER_ORDER": "已在其他未支付订单中",
}


def paid_registrations(by_status: Mapping[str, Sequence[Any]]) -> list[Any]:
    """The approved registrations whose fee is paid (the funnel's third step)."""
    return [r for r in by_status.get(RegistrationStatus.APPROVED, [])
            if r.payment_status == PaymentStatus.PAID]


def funnel(by_status: Mapping[str, Sequence[Any]], courses_done: int,
           responses: Sequence[Any]) -> list[dict[str, Any]]:
    """registered -> approved -> paid -> all courses done -> questionnaire -> certificate."""
    registered = sum(len(v) for v in by_status.values())
    return [
        {"step": "registered", "label": "报名", "count": registered},
        {"step": "approved", "label": "审核通过", "count": len(by_status.get(RegistrationStatus.APPROVED, []))},
        {"step": "paid", "label": "已交费", "count": len(paid_registrations(by_status))},
        {"step": "courses_done", "label": "全部课程学完", "count": courses_done},
        {"step": "questionnaire", "label": "提交问卷", "count": len(responses)},
        {"step": "certificate", "label": "领取证书", "count": sum(1 for r in responses if r.certificate_no)},
    ]


def registrations_per_day(registrations: Iterable[Any]) -> list[dict[str, Any]]:
    """How many registrations were submitted on each Beijing date, by date."""
    per_day = Counter(r.submitted_at.astimezone(SHANGHAI).date().isoformat() for r in registrations)
    return [{"date": d, "count": per_day[d]} for d in sorted(per_day)]


def income_by_channel(credited: Mapping[str, Sequence[Any]], refunds: Iterable[Any]
                      ) -> list[dict[str, Any]]:
    """Per channel (every channel, in order), gross and net, labelled so nobody guesses:
    `gross_fen` (收款总额，毛收入): every order a payment credited (paid, refunding or
    refunded since); `refunded_fen` (已退款): refunds done on the trainees' request
    (a group member's share included); `refunding_fen` (退款处理中): requested, at the
    provider or failed, not yet returned; `net_fen` (净收入) = gross − refunded.
    `amount_fen` is `net_fen` (the field older clients read). Automatic refunds of money
    no order took (a duplicate, late or unapproved payment) are outside both: that money
    was never income. `credited`: the credited orders by channel; `refunds`: the edition's
    refunds in any state."""
    done: Counter[str] = Counter()
    done_n: Counter[str] = Counter()
    pending: Counter[str] = Counter()
    for f in refunds:
        if f.kind != RefundKind.REQUEST:
            continue
        if f.status == RefundStatus.DONE:
            done[f.channel] += int(f.amount_fen)
            done_n[f.channel] += 1
        else:
            pending[f.channel] += int(f.amount_fen)
    income = []
    for channel in Channel:
        orders = credited.get(channel.value, [])
        gross = sum(int(o.amount_fen) for o in orders)
        net = gross - done[channel.value]
        income.append({"channel": channel.value, "label": CHANNEL_LABELS[channel.value],
                       "orders": len(orders), "gross_fen": gross,
                       "refunded_orders": done_n[channel.value],
                       "refunded_fen": done[channel.value],
                       "refunding_fen": pending[channel.value],
                       "net_fen": net, "amount_fen": net})
    return income


def unit_problem(registration: Any) -> str | None:
    """Why a registration cannot join a group order now (None: it can)."""
    if registration.status != RegistrationStatus.APPROVED:
        return "NOT_APPROVED"
    if registration.payment_status != PaymentStatus.UNPAID:
        return "ALREADY_PAID"
    if registration.open_order_id:
        return "IN_OTHER_ORDER"
    return None


def unit_rows(registrations: Iterable[Any]) -> list[dict[str, Any]]:
    """A unit's live registrations, oldest first, each saying whether it can be picked."""
    out = []
    for r in sorted(registrations, key=lambda r: r.submitted_at):
        if r.status in (RegistrationStatus.REJECTED, RegistrationStatus.WITHDRAWN):
            continue
        problem = unit_problem(r)
        out.append({"registration_id": r.registration_id, "name": r.name, "email": r.email,
                    "job_title": r.job_title, "status": r.status,
                    "payment_status": r.payment_status, "fee_fen": int(r.fee_fen), "tier": r.tier,
                    "open_order_id": r.open_order_id, "payable": problem is None,
                    "problem": problem, "problem_text": UNIT_PROBLEMS.get(problem or "")})
    return out


def open_transfer_rows(orders: Iterable[Any], kind: str | None) -> list[dict[str, Any]]:
    """Open bank-transfer orders (of `kind`, if given), oldest first, as finance sees them."""
    chosen = sorted((o for o in orders if not kind or o.kind == kind), key=lambda o: o.created_at)
    return [{
        "order_id": o.order_id, "kind": o.kind, "amount_fen": int(o.amount_fen), "memo": o.memo,
        "unit_name": o.unit_name, "payer_name": o.payer_name,
        "members": len(o.registration_ids or []), "created_at": iso(o.created_at),
        "review_due_at": iso(o.review_due_at), "voucher_uploaded": bool(o.voucher_key),
        "member_list_uploaded": bool(o.member_list_key)} for o in chosen]
