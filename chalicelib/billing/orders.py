"""Orders: one open order per registration (or per group), the amount always the fee
locked in the registration; switching channel closes the unpaid order first."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.platform.clock import iso
from chalicelib.editions.edition import Edition
from chalicelib.billing.states import CHANNEL_LABELS, ONLINE, Channel, OrderKind, OrderStatus, individual_memo
from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, RetryLaterError
from chalicelib.platform.observability import logger
from chalicelib.editions import service as editions
from chalicelib.platform.deps import Deps
from chalicelib.platform.working_days import review_due
from chalicelib.billing import repository as store
from chalicelib.platform.store.base import new_id
from chalicelib.billing.repository import Order
from chalicelib.registration.repository import Registration, RegistrationRepository

regs = RegistrationRepository()
PAY_LINK_TTL = timedelta(hours=2)


def bank_instructions(edition: Edition, order: Order) -> dict[str, Any]:
    acc = edition.bank_account
    return {"account_name": acc.account_name, "bank_name": acc.bank_name,
            "account_no": acc.account_no, "bank_code": acc.bank_code, "memo": order.memo,
            "amount_fen": order.amount_fen, "review_due_at": iso(order.review_due_at),
            "finance_email": edition.finance_email}


def view(order: Order, edition: Edition | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "order_id": order.order_id, "edition_id": order.edition_id, "kind": order.kind,
        "channel": order.channel, "channel_label": CHANNEL_LABELS.get(order.channel, order.channel),
        "status": order.status, "amount_fen": order.amount_fen,
        "official_card": bool(order.official_card),
        "registration_ids": list(order.registration_ids), "unit_name": order.unit_name,
        "payer_name": order.payer_name, "memo": order.memo, "created_at": iso(order.created_at),
        "paid_at": iso(order.paid_at), "closed_at": iso(order.closed_at),
        "close_reason": order.close_reason, "review_due_at": iso(order.review_due_at),
        "voucher_uploaded": bool(order.voucher_key),
        "member_list_uploaded": bool(order.member_list_key),
    }
    if order.status == OrderStatus.OPEN.value and order.pay_link:
        data.update(order.pay_link)
    if order.channel == Channel.BANK_TRANSFER.value and edition is not None:
        data["bank_instructions"] = bank_instructions(edition, order)
    return data


def get_order(order_id: str) -> Order:
    order = store.get_order(order_id)
    if order is None:
        raise NotFoundError("订单不存在", code="ORDER_NOT_FOUND")
    return order


def get_own_order(order_id: str, user_sub: str) -> Order:
    """An order the caller owns (a trainee's individual order or a unit's group order); a
    trainee also sees the group order that holds them. Others' orders are reported missing."""
    order = store.get_order(order_id)
    if order is None:
        raise NotFoundError("订单不存在", code="ORDER_NOT_FOUND")
    if order.owner_sub == user_sub:
        return order
    if order.kind == OrderKind.GROUP.value:
        for reg in _regs(order.registration_ids):
            if reg.user_sub == user_sub:
                return order
    raise NotFoundError("订单不存在", code="ORDER_NOT_FOUND")


def _regs(ids: list[str]) -> list[Registration]:
    return list(Registration.batch_get(list(ids))) if ids else []


def show_order(deps: Deps, order_id: str, user_sub: str | None) -> dict[str, Any]:
    order = get_order(order_id) if user_sub is None else get_own_order(order_id, user_sub)
    data = view(order, editions.get_edition(deps, order.edition_id))
    data["payments"] = [{"payment_id": p.payment_id, "channel": p.channel,
                         "amount_fen": p.amount_fen, "disposition": p.disposition,
                         "received_at": iso(p.received_at)}
                        for p in store.payments_of_order(order.order_id)]
    data["refunds"] = [{"refund_id": r.refund_id, "status": r.status, "kind": r.kind,
                        "amount_fen": r.amount_fen, "requested_at": iso(r.requested_at),
                        "completed_at": iso(r.completed_at)}
                       for r in store.refunds_of_order(order.order_id)]
    return data


def list_mine(deps: Deps, user_sub: str) -> dict[str, Any]:
    """Own orders, and for a trainee also the group orders that hold their registrations."""
    orders = {o.order_id: o for o in store.orders_of_owner(user_sub)}
    for reg in regs.list_mine(user_sub):
        for oid in (reg.open_order_id, reg.paid_order_id):
            if oid and oid not in orders:
                held = store.get_order(oid)
                if held is not None:
                    orders[oid] = held
    items = sorted(orders.values(), key=lambda o: o.created_at, reverse=True)
    cache: dict[str, Edition] = {}
    out = []
    for o in items:
        if o.edition_id not in cache:
            cache[o.edition_id] = editions.get_edition(deps, o.edition_id)
        out.append(view(o, cache[o.edition_id]))
    return {"orders": out}


def _explain_unpayable(reg: Registration) -> ConflictError:
    if reg.status != "approved":
        return ConflictError("报名审核通过后才能交费", code="REGISTRATION_NOT_APPROVED",
                             status=reg.status)
    if reg.payment_status != "unpaid":
        return ConflictError("该报名已交费，请勿重复交费", code="ALREADY_PAID",
                             order_id=reg.paid_order_id)
    return ConflictError("该报名已在其他未支付订单中，请先取消该订单", code="OPEN_ORDER_EXISTS",
                         order_id=reg.open_order_id)


def create_order(deps: Deps, user_sub: str, registration_id: str, channel: str,
                 official_card: bool, now: datetime) -> dict[str, Any]:
    """An order for the trainee's approved, unpaid registration; the amount is its locked
    fee. An open order on the same channel is returned again; on another channel it is
    closed first (at most one open order per registration)."""
    reg = regs.get(registration_id)
    if reg is None or reg.user_sub != user_sub:
        raise NotFoundError("报名记录不存在", code="REGISTRATION_NOT_FOUND")
    edition = editions.get_edition(deps, reg.edition_id)
    edition.require_open("payment", now)
    if reg.status != "approved" or reg.payment_status != "unpaid":
        raise _explain_unpayable(reg)
    if reg.open_order_id:
        current = store.get_order(reg.open_order_id)
        if current is not None and current.kind == OrderKind.GROUP.value:
            raise ConflictError("该报名已在单位集体交费订单中，不能个人交费", code="IN_GROUP_ORDER",
                                order_id=current.order_id)
        if current is not None and current.status == OrderStatus.OPEN.value:
            if current.channel == channel and bool(current.official_card) == official_card:
                return view(current, edition)
            if not close_fully(current, user_sub, now, "channel_switched"):
                reg = regs.get(registration_id) or reg
                raise _explain_unpayable(reg) if reg.payment_status != "unpaid" else \
                    ConflictError("订单状态已变化，请刷新后重试", code="STATE_CHANGED")
            reg = regs.get(registration_id) or reg
    memo = individual_memo(edition.bank_account.memo_prefix, reg.unit_name, reg.name)
    order = Order(
        order_id=new_id("O"), edition_id=reg.edition_id, kind=OrderKind.INDIVIDUAL.value,
        channel=channel, owner_sub=user_sub, registration_ids=[reg.registration_id],
        amount_fen=int(reg.fee_fen), status=OrderStatus.OPEN.value, official_card=official_card,
        unit_name=reg.unit_name, payer_name=reg.name, memo=memo, created_at=now,
        queue=store.order_queue(reg.edition_id, "open", channel))
    if channel == Channel.BANK_TRANSFER.value:
        order.review_due_at = review_due(now, edition.transfer_review_working_days)
    if not store.create_order(order, [reg], user_sub, now):
        latest = regs.get(registration_id)
        raise _explain_unpayable(latest or reg)
    if channel in ONLINE:
        _attach_pay_link(deps, order, edition, now)
    return view(order, edition)


def _attach_pay_link(deps: Deps, order: Order, edition: Edition, now: datetime) -> None:
    from chalicelib.billing.providers import PayRequest, ProviderError, provider
    adapter = provider(deps, order.channel)
    base = deps.settings.public_base_url
    if adapter.sandbox:
        link = {"pay_url" if order.channel == "alipay" else "code_url": f"{base}/dev/pay/{order.order_id}"}
    else:
        expires = min(now + PAY_LINK_TTL, edition.window("payment").closes)
        try:
            link = adapter.pay_link(PayRequest(
                order_id=order.order_id, amount_fen=order.amount_fen,
                subject=f"{edition.title} 培训费", notify_url=f"{base}/webhooks/{order.channel}",
                return_url=f"{base}/#/orders/{order.order_id}", expires_at=expires), now)
        except ProviderError as exc:
            logger.warning("pay link failed", extra={"order_id": order.order_id, "error": str(exc)})
            close_fully(order, "system", now, "provider_unavailable")
            raise RetryLaterError(f"{CHANNEL_LABELS[order.channel]}暂时无法下单，请稍后重试或选择其他方式") from exc
    store.set_order_fields(order, [Order.pay_link.set(link)])
    order.pay_link = link


def cancel_order(deps: Deps, order_id: str, user_sub: str, now: datetime) -> dict[str, Any]:
    """The owner gives up an unpaid order; its registrations are free again."""
    order = get_own_order(order_id, user_sub)
    if order.owner_sub != user_sub:
        raise ForbiddenError("只有下单人可以取消订单")
    if order.status == OrderStatus.CLOSED.value:
        return view(order, editions.get_edition(deps, order.edition_id))
    if order.status != OrderStatus.OPEN.value or not close_fully(order, user_sub, now, "cancelled"):
        current = get_order(order_id)
        if current.status == OrderStatus.CLOSED.value:
            return view(current, editions.get_edition(deps, order.edition_id))
        raise ConflictError(f"订单当前状态为 {current.status}，不能取消", code="INVALID_STATE",
                            status=current.status)
    return view(get_order(order_id), editions.get_edition(deps, order.edition_id))


def _close_at_provider(order: Order, now: datetime) -> None:
    """After our order closed: ask the provider to close its trade too, so the old page or
    QR code cannot take money (best effort; money that still arrives is handled anyway)."""
    if order.channel not in ONLINE:
        return
    from chalicelib.billing.providers import ProviderError, provider
    from chalicelib.platform.deps import get_deps
    try:
        provider(get_deps(), order.channel).close(order.order_id, now)
    except (ProviderError, RetryLaterError, ValueError, KeyError) as exc:
        logger.warning("provider close failed", extra={"order_id": order.order_id, "error": str(exc)})


def close_fully(order: Order, actor: str, now: datetime, reason: str) -> bool:
    """Close an unpaid order and free every registration it holds. An individual order does
    both in one transaction; a group (maybe larger than one transaction) is closed first and
    its members freed one conditional write each, so a repeat finishes the job."""
    ids = list(order.registration_ids)
    if order.kind == OrderKind.INDIVIDUAL.value and order.status == OrderStatus.OPEN.value and \
            store.close_order(order, actor, now, reason, ids):
        _close_at_provider(order, now)
        return True
    closed = order.status in (OrderStatus.OPEN.value, OrderStatus.RESERVING.value) and \
        store.close_order(order, actor, now, reason, [], expected=order.status)
    current = store.get_order(order.order_id)
    if current is not None and current.status == OrderStatus.CLOSED.value:
        store.release_chunk(current, ids)
    if closed:
        _close_at_provider(order, now)
    return closed


def close_open_order_of(deps: Deps, reg: Registration, actor: str, now: datetime,
                        reason: str) -> bool:
    """Free `reg` from the unpaid order holding it: an individual order is closed; a group
    order only releases this member (the unit's other staff stay reserved)."""
    if not reg.open_order_id:
        return True
    order = store.get_order(reg.open_order_id)
    if order is None or order.status != OrderStatus.OPEN.value:
        return False
    if order.kind == OrderKind.GROUP.value and len(order.registration_ids) > 1:
        from chalicelib.billing.group_orders import release_from_group
        return release_from_group(order, reg.registration_id, actor, now)
    return close_fully(order, actor, now, reason)


def receipt_html(deps: Deps, order_id: str, user_sub: str | None) -> str:
    """A printable payment receipt (交费凭证) of a paid order; an official-card payment says
    so (the e-invoice carries the same flag)."""
    import html
    order = get_order(order_id) if user_sub is None else get_own_order(order_id, user_sub)
    if order.status not in (OrderStatus.PAID.value, OrderStatus.REFUNDING.value,
                            OrderStatus.REFUNDED.value) or order.paid_at is None:
        raise ConflictError("订单尚未交费，没有交费凭证", code="ORDER_NOT_PAID", status=order.status)
    edition = editions.get_edition(deps, order.edition_id)
    esc = html.escape
    from chalicelib.billing.states import yuan
    rows = [("收款单位", edition.organizer), ("项目", f"{edition.title} 培训费"),
            ("订单号", order.order_id), ("交费人", order.payer_name), ("单位", order.unit_name),
            ("人数", str(len(order.registration_ids))), ("金额", f"￥{yuan(order.amount_fen)}"),
            ("交费方式", CHANNEL_LABELS.get(order.channel, order.channel)),
            ("交费时间", iso(order.paid_at) or ""),
            ("公务卡", "是（公务卡支付）" if order.official_card else "否")]
    if order.status != OrderStatus.PAID.value:
        rows.append(("状态", "已申请退费" if order.status == OrderStatus.REFUNDING.value else "已退费"))
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return ("<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>交费凭证 {esc(order.order_id)}</title><style>body{{font-family:sans-serif;"
            "max-width:36rem;margin:2rem auto}th{text-align:left;padding:.3rem 1rem .3rem 0}"
            "</style></head><body>"
            f"<h1>交费凭证</h1><table>{body}</table>"
            "<p>本凭证不作报销依据；报销请申请电子发票。</p></body></html>")
