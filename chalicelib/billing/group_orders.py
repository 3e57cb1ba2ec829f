"""Group remittances (集体交费): a unit account pays for several of its approved staff in one
bank transfer. Every member must be registered under the unit's name (compared after
normalisation), approved, unpaid and in no other open order; members are reserved
atomically (one transaction up to ~95 members, larger groups in chunks while the order is
`reserving`, rolled back if any member is taken meanwhile)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing.states import Channel, OrderKind, OrderStatus, group_memo
from chalicelib.platform.text import normalise_email, normalise_name
from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from chalicelib.editions import service as editions
from chalicelib.identity.accounts import get_account
from chalicelib.platform.deps import Deps
from chalicelib.billing.orders import close_fully, get_own_order, view
from chalicelib.platform.working_days import review_due
from chalicelib.billing import repository as store
from chalicelib.platform.store.base import new_id
from chalicelib.billing.repository import Order
from chalicelib.registration.repository import Registration, RegistrationRepository

regs = RegistrationRepository()
ONE_TRANSACTION = 95  # members reserved with the order in one transaction (limit 100 items)
CHUNK = 95
MAX_MEMBERS = 500
UPLOAD_TYPES = {
    "voucher": {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"},
    "member_list": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
                    "text/csv": "csv", "application/pdf": "pdf"},
}
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_TTL_S = 900

PROBLEMS = {
    "NOT_FOUND": "未找到该报名",
    "UNIT_MISMATCH": "报名单位与本单位名称不一致",
    "NOT_APPROVED": "报名尚未审核通过",
    "ALREADY_PAID": "已交费",
    "IN_OTHER_ORDER": "已在其他未支付订单中",
}


def _unit_account(user_sub: str) -> Any:
    account = get_account(user_sub)
    if account.kind != "unit" or not account.unit_name:
        raise ForbiddenError("仅单位账号可以集体交费", code="UNIT_ACCOUNT_REQUIRED")
    return account


def _resolve(edition_id: str, member: str) -> Registration | None:
    member = member.strip()
    if "@" in member:
        found = [r for r in regs.find_by_email(edition_id, normalise_email(member))
                 if r.status in ("approved", "pending")]
        found.sort(key=lambda r: r.status != "approved")
        return found[0] if found else None
    reg = regs.get(member)
    return reg if reg is not None and reg.edition_id == edition_id else None


def _problem(reg: Registration, unit_norm: str) -> str | None:
    if normalise_name(reg.unit_name) != unit_norm:
        return "UNIT_MISMATCH"
    if reg.status != "approved":
        return "NOT_APPROVED"
    if reg.payment_status != "unpaid":
        return "ALREADY_PAID"
    if reg.open_order_id:
        return "IN_OTHER_ORDER"
    return None


def create_group_order(deps: Deps, unit_sub: str, members: list[str],
                       now: datetime) -> dict[str, Any]:
    """Build a unit's group order from its staff (registration ids or e-mails)."""
    account = _unit_account(unit_sub)
    edition = editions.get_current(deps)
    edition.require_open("payment", now)
    wanted = list(dict.fromkeys(m.strip() for m in members if m and m.strip()))
    if not wanted:
        raise ValidationError("请至少列出一名学员", field="members")
    if len(wanted) > MAX_MEMBERS:
        raise ValidationError(f"一个集体订单最多 {MAX_MEMBERS} 人", field="members")
    unit_norm = normalise_name(account.unit_name)
    chosen: dict[str, Registration] = {}
    problems = []
    by_id = {r.registration_id: r for r in Registration.batch_get(
        [m for m in wanted if "@" not in m], consistent_read=True)}
    for member in wanted:
        if "@" in member:
            reg = _resolve(edition.edition_id, member)
        else:
            found = by_id.get(member)
            reg = found if found is not None and found.edition_id == edition.edition_id else None
        code = "NOT_FOUND" if reg is None else _problem(reg, unit_norm)
        if code is None and reg is not None:
            chosen.setdefault(reg.registration_id, reg)
        else:
            problems.append({"member": member, "code": code, "message": PROBLEMS[code or "NOT_FOUND"],
                             "registration_id": reg.registration_id if reg else None})
    if problems:
        raise ConflictError("以下学员不能加入集体交费：" + "；".join(
            f"{p['member']}（{p['message']}）" for p in problems), code="GROUP_MEMBERS_INVALID",
            problems=problems)
    members_regs = list(chosen.values())
    big = len(members_regs) > ONE_TRANSACTION
    order = Order(
        order_id=new_id("G"), edition_id=edition.edition_id, kind=OrderKind.GROUP.value,
        channel=Channel.BANK_TRANSFER.value, owner_sub=unit_sub,
        registration_ids=[r.registration_id for r in members_regs],
        amount_fen=sum(int(r.fee_fen) for r in members_regs),
        status=OrderStatus.RESERVING.value if big else OrderStatus.OPEN.value,
        official_card=False, unit_name=account.unit_name, payer_name=account.unit_name,
        memo=group_memo(edition.bank_account.memo_prefix, account.unit_name), created_at=now,
        review_due_at=review_due(now, edition.transfer_review_working_days),
        queue=store.order_queue(edition.edition_id,
                                "reserving" if big else "open", Channel.BANK_TRANSFER.value))
    first, rest = members_regs[:ONE_TRANSACTION], members_regs[ONE_TRANSACTION:]
    ok = store.create_order(order, first, unit_sub, now)
    reserved = list(first) if ok else []
    for i in range(0, len(rest), CHUNK):
        if not ok:
            break
        chunk = rest[i:i + CHUNK]
        ok = store.reserve_members(order, chunk)
        if ok:
            reserved.extend(chunk)
    if ok and big:
        ok = store.open_reserved(order, unit_sub, now)
    if not ok:
        if reserved:  # roll back what this request reserved
            order.status = OrderStatus.RESERVING.value if big else OrderStatus.OPEN.value
            close_fully(order, unit_sub, now, "reservation_failed")
        raise ConflictError("部分学员刚刚被其他订单占用或状态已变化，请刷新后重试",
                            code="GROUP_RESERVATION_CONFLICT")
    order.status = OrderStatus.OPEN.value
    return view(order, edition)


def release_from_group(order: Order, registration_id: str, actor: str, now: datetime) -> bool:
    """Take one member out of an unpaid group order; the amount drops by their fee."""
    reg = regs.get(registration_id)
    if reg is None or registration_id not in order.registration_ids:
        return False
    if len(order.registration_ids) == 1:
        return close_fully(order, actor, now, "last_member_released")
    return store.release_member(order, registration_id, int(order.amount_fen) - int(reg.fee_fen),
                                actor, now)


def release_member(deps: Deps, unit_sub: str, order_id: str, registration_id: str,
                   now: datetime) -> dict[str, Any]:
    order = _own_group(order_id, unit_sub)
    if order.status != OrderStatus.OPEN.value:
        raise ConflictError("只有未支付的集体订单可以移出学员", code="INVALID_STATE", status=order.status)
    if registration_id not in order.registration_ids:
        raise NotFoundError("该学员不在此订单中", code="MEMBER_NOT_FOUND")
    if not release_from_group(order, registration_id, unit_sub, now):
        raise ConflictError("订单已变化，请刷新后重试", code="STATE_CHANGED")
    current = store.get_order(order_id) or order
    return view(current, editions.get_edition(deps, current.edition_id))


def _own_group(order_id: str, unit_sub: str) -> Order:
    order = get_own_order(order_id, unit_sub)
    if order.kind != OrderKind.GROUP.value or order.owner_sub != unit_sub:
        raise NotFoundError("订单不存在", code="ORDER_NOT_FOUND")
    return order


def presign_upload(deps: Deps, unit_sub: str, order_id: str, kind: str, content_type: str,
                   size_bytes: int, now: datetime) -> dict[str, Any]:
    """A presigned S3 POST for the remittance voucher or the member list: type and size
    limited by the policy; the object key is recorded on the order."""
    from chalicelib.platform.storage import storage
    order = _own_group(order_id, unit_sub)
    types = UPLOAD_TYPES.get(kind)
    if types is None:
        raise ValidationError("kind 须为 voucher 或 member_list", field="kind")
    ext = types.get(content_type)
    if ext is None:
        raise ValidationError(f"不支持的文件类型，允许：{', '.join(types)}", field="content_type")
    if not 0 < size_bytes <= UPLOAD_MAX_BYTES:
        raise ValidationError(f"文件大小须在 1 字节到 {UPLOAD_MAX_BYTES // 1024 // 1024} MB 之间",
                              field="size_bytes")
    if order.status not in (OrderStatus.OPEN.value, OrderStatus.PAID.value):
        raise ConflictError("该订单已关闭", code="INVALID_STATE", status=order.status)
    key = f"{order.edition_id}/{order.order_id}/{kind}-{int(now.timestamp())}.{ext}"
    post = storage(deps).presigned_post("vouchers", key, [content_type], UPLOAD_MAX_BYTES,
                                        UPLOAD_TTL_S, now)
    field = Order.voucher_key if kind == "voucher" else Order.member_list_key
    store.set_order_fields(order, [field.set(key)])
    edition = editions.get_edition(deps, order.edition_id)
    post["finance_email"] = edition.finance_email
    return post


def upload_links(deps: Deps, order_id: str, now: datetime) -> dict[str, Any]:
    """Finance: short-lived links to the unit's voucher and member list (when uploaded)."""
    from chalicelib.platform.storage import storage
    order = store.get_order(order_id)
    if order is None or order.kind != OrderKind.GROUP.value:
        raise NotFoundError("集体订单不存在", code="ORDER_NOT_FOUND")
    s3 = storage(deps)
    links: dict[str, Any] = {"order_id": order.order_id}
    for name, key in (("voucher", order.voucher_key), ("member_list", order.member_list_key)):
        links[name] = s3.presigned_get("vouchers", key, 300, now) if key and s3.exists("vouchers", key) else None
    return links
