"""Orders: one open order per registration (or per group), the amount always the fee
locked in the registration; switching channel closes the unpaid order first."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, cast

from chalicelib.billing import rules
from chalicelib.billing.closing import close_fully
from chalicelib.billing.errors import WechatOAuthRequiredError, InGroupOrderError, InvalidOrderStateError, NotBankTransferError, OrderNotFoundError, RegistrationNotFoundError, StateChangedError
from chalicelib.billing.providers import PayRequest, ProviderError, provider
from chalicelib.billing.providers.protocol import WechatOAuth
from chalicelib.billing.repository import Order, order_queue, repository
from chalicelib.billing.states import CHANNEL_LABELS, ONLINE, ORDER_STATUS, Channel, Device, OrderKind, OrderStatus, Product, individual_memo
from chalicelib.editions import service as editions
from chalicelib.editions.edition import Edition
from chalicelib.platform.clock import iso, shanghai
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ForbiddenError, RetryLaterError, ValidationError
from chalicelib.platform.observability import logger
from chalicelib.platform.store.base import new_id
from chalicelib.platform.working_days import review_due
from chalicelib.registration.states import PaymentStatus

__all__ = ["bank_instructions", "cancel_order", "create_order",
           "get_order", "get_own_order", "list_mine", "show_order", "view"]

PAY_LINK_TTL = timedelta(hours=2)


def bank_instructions(edition: Edition, order: Order) -> dict[str, Any]:
    acc = edition.bank_account
    return {"account_name": acc.account_name, "bank_name": acc.bank_name,
            "account_no": acc.account_no, "bank_code": acc.bank_code, "memo": order.memo,
            "amount_fen": order.amount_fen, "review_due_at": iso(order.review_due_at),
            "finance_email": edition.finance_email}


def view(order: Order, edition: Edition | None = None) -> dict[str, Any]:
    """The order as the API shows it (models.OrderOut)."""
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
    if order.transfer_claim:
        data["transfer_claim"] = dict(order.transfer_claim)
    return data


def get_order(deps: Deps, order_id: str) -> Order:
    order = repository(deps).get_order(order_id)
    if order is None:
        raise OrderNotFoundError()
    return order


def get_own_order(deps: Deps, order_id: str, user_sub: str) -> Order:
    """An order the caller owns (a trainee's individual order or a unit's group order); a
    trainee also sees the group order that holds them. Others' orders are reported missing."""
    store = repository(deps)
    order = get_order(deps, order_id)
    if order.owner_sub == user_sub:
        return order
    if order.kind == OrderKind.GROUP.value:
        for reg in store.registrations(order.registration_ids):
            if reg.user_sub == user_sub:
                return order
    raise OrderNotFoundError()


def _visible(deps: Deps, order_id: str, user_sub: str | None) -> Order:
    """Staff (`user_sub` None) see any order; others their own."""
    return get_order(deps, order_id) if user_sub is None else get_own_order(deps, order_id, user_sub)


def show_order(deps: Deps, order_id: str, user_sub: str | None) -> dict[str, Any]:
    store = repository(deps)
    order = _visible(deps, order_id, user_sub)
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
    store = repository(deps)
    orders = {o.order_id: o for o in store.orders_of_owner(user_sub)}
    for reg in store.registrations_of_user(user_sub):
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


def create_order(deps: Deps, user_sub: str, registration_id: str, channel: str,
                 official_card: bool, now: datetime, device: str = Device.DESKTOP.value,
                 client_ip: str = "", wechat_code: str | None = None) -> dict[str, Any]:
    """An order for the trainee's approved, unpaid registration; the amount is its locked
    fee. The provider's product follows `device` (rules.product_for). An open order on the
    same channel and product is returned again; otherwise it is closed first (at most one
    open order per registration). Inside WeChat the payer's openid comes first: without a
    `wechat_code` the answer is WECHAT_OAUTH_REQUIRED with WeChat's authorize_url, and
    nothing is written."""
    store = repository(deps)
    reg = store.registration(registration_id)
    if reg is None or reg.user_sub != user_sub:
        raise RegistrationNotFoundError()
    edition = editions.get_edition(deps, reg.edition_id)
    edition.require_open("payment", now)
    if not rules.is_payable(reg):
        raise rules.unpayable(reg)
    product = rules.product_for(channel, device)
    current = store.get_order(reg.open_order_id) if reg.open_order_id else None
    if current is not None and current.kind == OrderKind.GROUP.value:
        raise InGroupOrderError(order_id=current.order_id)
    if current is not None and current.status == OrderStatus.OPEN.value and \
            current.channel == channel and bool(current.official_card) == official_card and \
            (channel not in ONLINE or rules.product_of(current) == product):
        return view(current, edition)
    openid = None
    if product == Product.WECHAT_JSAPI.value:
        openid = _wechat_openid(deps, registration_id, official_card, wechat_code, now)
    if current is not None and current.status == OrderStatus.OPEN.value:
        if not close_fully(deps, current, user_sub, now, "channel_switched"):
            reg = store.registration(registration_id) or reg
            raise rules.unpayable(reg) if reg.payment_status != PaymentStatus.UNPAID.value \
                else StateChangedError()
        reg = store.registration(registration_id) or reg
    memo = individual_memo(edition.bank_account.memo_prefix, reg.unit_name, reg.name)
    order = Order(
        order_id=new_id("O"), edition_id=reg.edition_id, kind=OrderKind.INDIVIDUAL.value,
        channel=channel, owner_sub=user_sub, registration_ids=[reg.registration_id],
        amount_fen=int(reg.fee_fen), status=OrderStatus.OPEN.value, official_card=official_card,
        unit_name=reg.unit_name, payer_name=reg.name, memo=memo, created_at=now,
        queue=order_queue(reg.edition_id, OrderStatus.OPEN, channel))
    if channel == Channel.BANK_TRANSFER.value:
        order.review_due_at = review_due(now, edition.transfer_review_working_days)
    if not store.create_order(order, [reg.registration_id], user_sub, now):
        latest = store.registration(registration_id)
        raise rules.unpayable(latest or reg)
    if channel in ONLINE:
        _attach_pay_link(deps, order, edition, now, device, client_ip, openid)
    return view(order, edition)


def oauth_state(registration_id: str, official_card: bool) -> str:
    """The OAuth `state` the page reads back: which registration, and 公务卡 or not."""
    return f"pay{1 if official_card else 0}{registration_id}"


def _wechat_openid(deps: Deps, registration_id: str, official_card: bool,
                   code: str | None, now: datetime) -> str:
    """The payer's openid from WeChat's web OAuth code; without a (good) code, the
    authorize URL the page must send the trainee to (a code is valid once, 5 minutes)."""
    oauth = cast(WechatOAuth, provider(deps, Channel.WECHATPAY.value))
    if code:
        try:
            return oauth.openid_from_code(code, now)
        except ProviderError as exc:
            logger.warning("wechat oauth code refused", extra={"error": str(exc)})
    back = f"{deps.settings.public_base_url}/web/index.html#/pay/{registration_id}"
    raise WechatOAuthRequiredError(authorize_url=oauth.oauth_url(back, oauth_state(registration_id, official_card)))


def _attach_pay_link(deps: Deps, order: Order, edition: Edition, now: datetime,
                     device: str = Device.DESKTOP.value, client_ip: str = "",
                     openid: str | None = None) -> None:
    base = deps.settings.public_base_url
    expires = min(now + PAY_LINK_TTL, edition.window("payment").closes)
    try:
        link = provider(deps, order.channel).pay_link(PayRequest(
            order_id=order.order_id, amount_fen=int(order.amount_fen),
            subject=f"{edition.title} 培训费", notify_url=f"{base}/webhooks/{order.channel}",
            return_url=f"{base}/web/index.html#/orders", expires_at=expires, device=device,
            client_ip=client_ip, openid=openid,
            # handed back in the notification, so the webhook reads order + registration at once
            registration_id=order.registration_ids[0]
            if order.kind == OrderKind.INDIVIDUAL.value and order.registration_ids else None), now)
    except ProviderError as exc:
        logger.warning("pay link failed", extra={"order_id": order.order_id, "error": str(exc)})
        close_fully(deps, order, "system", now, "provider_unavailable")
        raise RetryLaterError(f"{CHANNEL_LABELS[order.channel]}暂时无法下单，请稍后重试或选择其他方式") from exc
    repository(deps).set_pay_link(order, link)
    order.pay_link = link


CLAIM_LOOKBACK_DAYS = 60  # a transfer sent before the order (from the notice's account)


def claim_transfer(deps: Deps, order_id: str, user_sub: str, paid_on: str, amount_fen: int,
                   now: datetime) -> dict[str, Any]:
    """我已汇款: the trainee records the day and amount of their bank transfer, for finance to
    find it on the statement. It pays nothing; a repeat replaces the claim while open."""
    order = get_own_order(deps, order_id, user_sub)
    if order.owner_sub != user_sub or order.channel != Channel.BANK_TRANSFER.value:
        raise NotBankTransferError()
    if order.status != OrderStatus.OPEN.value:
        raise InvalidOrderStateError(f"订单{ORDER_STATUS.label(order.status)}，无需再登记汇款",
                                     status=order.status)
    try:
        day = date.fromisoformat(paid_on)
    except ValueError as exc:
        raise ValidationError("汇款日期格式应为 2026-04-07", field="paid_on") from exc
    today = shanghai(now).date()
    if day > today:
        raise ValidationError("汇款日期不能晚于今天", field="paid_on")
    if day < shanghai(order.created_at).date() - timedelta(days=CLAIM_LOOKBACK_DAYS):
        raise ValidationError("汇款日期过早，请核对", field="paid_on")
    claim = {"paid_on": day.isoformat(), "amount_fen": int(amount_fen), "claimed_at": iso(now)}
    if not repository(deps).set_transfer_claim(order, claim):
        current = get_order(deps, order_id)
        raise InvalidOrderStateError(f"订单{ORDER_STATUS.label(current.status)}，无需再登记汇款",
                                     status=current.status)
    order.transfer_claim = claim
    return view(order, editions.get_edition(deps, order.edition_id))


def list_transfer_claims(deps: Deps) -> dict[str, Any]:
    """Open bank transfers of the current edition whose trainee said 我已汇款 (the open
    bank-transfer queue, not a scan), the earliest claim first."""
    edition = editions.get_current(deps)
    items = [o for o in repository(deps).orders_in_queue(edition.edition_id, OrderStatus.OPEN.value,
                                                         Channel.BANK_TRANSFER.value) if o.transfer_claim]
    items.sort(key=lambda o: str((o.transfer_claim or {}).get("claimed_at")))
    return {"orders": [view(o, edition) for o in items]}


def cancel_order(deps: Deps, order_id: str, user_sub: str, now: datetime) -> dict[str, Any]:
    """The owner gives up an unpaid order; its registrations are free again."""
    order = get_own_order(deps, order_id, user_sub)
    if order.owner_sub != user_sub:
        raise ForbiddenError("只有下单人可以取消订单")
    if order.status == OrderStatus.CLOSED.value:
        return view(order, editions.get_edition(deps, order.edition_id))
    if order.status != OrderStatus.OPEN.value or not close_fully(deps, order, user_sub, now,
                                                                 "cancelled"):
        current = get_order(deps, order_id)
        if current.status == OrderStatus.CLOSED.value:
            return view(current, editions.get_edition(deps, order.edition_id))
        raise InvalidOrderStateError(f"订单当前状态为 {current.status}，不能取消",
                                     status=current.status)
    return view(get_order(deps, order_id), editions.get_edition(deps, order.edition_id))
