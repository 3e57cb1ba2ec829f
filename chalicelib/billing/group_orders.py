"""Group remittances (集体交费): a verified unit account pays for several of its approved staff
in one bank transfer. Only registrations their trainees linked to the unit (their own
choice) can be listed; every refusal for anyone else is one uniform answer (`NOT_LINKED`:
same status, code and message for an unknown id, another unit's trainee or an unapproved
unit), so the answer reveals nothing of who is registered where. A linked member must be
registered under the unit's name (compared after normalisation), approved, unpaid and in no
other open order; members are reserved atomically (one transaction up to ~95 members,
larger groups in chunks while the order is `reserving`, rolled back if any member is taken
meanwhile) and only while still linked. A member may leave an unpaid group order."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing import rules
from chalicelib.billing.closing import close_fully, release_from_group
from chalicelib.billing.errors import GroupMembersInvalidError, GroupReservationConflictError, InvalidOrderStateError, MemberNotFoundError, OrderNotFoundError, StateChangedError, UnitAccountRequiredError
from chalicelib.billing.orders import get_own_order, view
from chalicelib.billing.repository import Order, order_queue, repository
from chalicelib.billing.states import Channel, OrderKind, OrderStatus, group_memo
from chalicelib.editions import service as editions
from chalicelib.identity.accounts import get_account
from chalicelib.identity.units import require_verified
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ValidationError
from chalicelib.platform.storage import storage
from chalicelib.platform.store.base import new_id
from chalicelib.platform.text import normalise_email, normalise_name
from chalicelib.platform.working_days import review_due
from chalicelib.registration.states import RegistrationStatus

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


# The one answer for a member who did not link their registration to this unit (unknown
# id, another unit's trainee, someone who never chose this unit): nothing distinguishes them.
NOT_LINKED = "NOT_LINKED"
NOT_LINKED_MESSAGE = "没有关联本单位的可交费报名（学员须在报名时选择本单位或接受本单位的邀请）"


def _unit_account(user_sub: str, now: datetime) -> Any:
    """The unit account, verified by staff (403 UNIT_NOT_VERIFIED before that)."""
    account = get_account(user_sub)
    if account.kind != "unit" or not account.unit_name:
        raise UnitAccountRequiredError()
    require_verified(user_sub, now)
    return account


def _by_email(deps: Deps, edition_id: str, email: str, unit_sub: str) -> Any:
    """A member named by e-mail: their approved (else pending) registration of the edition
    that is linked to this unit."""
    found = [r for r in repository(deps).registrations_by_email(edition_id, normalise_email(email))
             if r.status in (RegistrationStatus.APPROVED.value, RegistrationStatus.PENDING.value)
             and r.unit_id == unit_sub]
    found.sort(key=lambda r: r.status != RegistrationStatus.APPROVED.value)
    return found[0] if found else None


def create_group_order(deps: Deps, unit_sub: str, members: list[str],
                       now: datetime) -> dict[str, Any]:
    """Build a unit's group order from its staff (registration ids or e-mails)."""
    store = repository(deps)
    account = _unit_account(unit_sub, now)
    edition = editions.get_current(deps)
    edition.require_open("payment", now)
    wanted = list(dict.fromkeys(m.strip() for m in members if m and m.strip()))
    if not wanted:
        raise ValidationError("请至少列出一名学员", field="members")
    if len(wanted) > MAX_MEMBERS:
        raise ValidationError(f"一个集体订单最多 {MAX_MEMBERS} 人", field="members")
    unit_norm = normalise_name(account.unit_name)
    chosen: dict[str, Any] = {}
    problems = []
    by_id = {r.registration_id: r for r in store.registrations(
        [m for m in wanted if "@" not in m], consistent=True)}
    for member in wanted:
        if "@" in member:
            reg = _by_email(deps, edition.edition_id, member, unit_sub)
        else:
            found = by_id.get(member)
            reg = found if found is not None and found.edition_id == edition.edition_id \
                and found.unit_id == unit_sub else None
        if reg is None:  # not linked to this unit: the one uniform answer
            problems.append({"member": member, "code": NOT_LINKED, "message": NOT_LINKED_MESSAGE,
                             "registration_id": None})
            continue
        code = rules.group_problem(reg, unit_norm)
        if code is None:
            chosen.setdefault(reg.registration_id, reg)
        else:  # a linked member: the trainee chose to show this unit their registration
            problems.append({"member": member, "code": code, "message": rules.GROUP_PROBLEMS[code],
                             "registration_id": reg.registration_id})
    if problems:
        raise GroupMembersInvalidError("以下学员不能加入集体交费：" + "；".join(
            f"{p['member']}（{p['message']}）" for p in problems), problems=problems)
    members_regs = list(chosen.values())
    big = len(members_regs) > ONE_TRANSACTION
    status = OrderStatus.RESERVING if big else OrderStatus.OPEN
    ids = [r.registration_id for r in members_regs]
    order = Order(
        order_id=new_id("G"), edition_id=edition.edition_id, kind=OrderKind.GROUP.value,
        channel=Channel.BANK_TRANSFER.value, owner_sub=unit_sub, registration_ids=ids,
        amount_fen=sum(int(r.fee_fen) for r in members_regs), status=status.value,
        official_card=False, unit_name=account.unit_name, payer_name=account.unit_name,
        memo=group_memo(edition.bank_account.memo_prefix, account.unit_name), created_at=now,
        review_due_at=review_due(now, edition.transfer_review_working_days),
        queue=order_queue(edition.edition_id, status, Channel.BANK_TRANSFER.value))
    first, rest = ids[:ONE_TRANSACTION], ids[ONE_TRANSACTION:]
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
            order.status = status.value
            close_fully(deps, order, unit_sub, now, "reservation_failed")
        raise GroupReservationConflictError()
    order.status = OrderStatus.OPEN.value
    return view(order, edition)


def release_member(deps: Deps, unit_sub: str, order_id: str, registration_id: str,
                   now: datetime) -> dict[str, Any]:
    """The unit takes one member out of its unpaid group order."""
    order = _own_group(deps, order_id, unit_sub)
    if order.status != OrderStatus.OPEN.value:
        raise InvalidOrderStateError("只有未支付的集体订单可以移出学员", status=order.status)
    if registration_id not in order.registration_ids:
        raise MemberNotFoundError()
    if not release_from_group(deps, order, registration_id, unit_sub, now):
        raise StateChangedError("订单已变化，请刷新后重试")
    current = repository(deps).get_order(order_id) or order
    return view(current, editions.get_edition(deps, current.edition_id))


def leave_group(deps: Deps, user_sub: str, order_id: str, now: datetime) -> dict[str, Any]:
    """A trainee leaves the unpaid group order that holds their registration: the order's
    total drops by their fee (the last member closes it); no money has moved, and they may
    then pay themselves. Another person's or an unknown order is 404, as for an order that
    does not exist; the answer names only the trainee's own registration."""
    store = repository(deps)
    order = store.get_order(order_id)
    if order is None or order.kind != OrderKind.GROUP.value:
        raise OrderNotFoundError()
    mine = [r for r in store.registrations(list(order.registration_ids), consistent=True)
            if r.user_sub == user_sub]
    if not mine:
        raise OrderNotFoundError()
    if order.status != OrderStatus.OPEN.value:
        raise InvalidOrderStateError("只有未支付的集体订单可以退出", status=order.status)
    if order.voucher_key:  # the unit's money may be on its way: its total must stay
        raise InvalidOrderStateError("单位已上传汇款凭证，款项可能已经汇出，不能自行退出；"
                                     "请联系单位在财务确认到账前将您移出", status=order.status)
    registration_id = mine[0].registration_id
    if not release_from_group(deps, order, registration_id, user_sub, now):
        raise StateChangedError("订单已变化，请刷新后重试")
    return {"order_id": order.order_id, "registration_id": registration_id, "left": True}


def _own_group(deps: Deps, order_id: str, unit_sub: str) -> Order:
    order = get_own_order(deps, order_id, unit_sub)
    if order.kind != OrderKind.GROUP.value or order.owner_sub != unit_sub:
        raise OrderNotFoundError()
    return order


def presign_upload(deps: Deps, unit_sub: str, order_id: str, kind: str, content_type: str,
                   size_bytes: int, now: datetime) -> dict[str, Any]:
    """A presigned S3 POST for the remittance voucher or the member list: type and size
    limited by the policy; the object key is recorded on the order."""
    order = _own_group(deps, order_id, unit_sub)
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
        raise InvalidOrderStateError("该订单已关闭", status=order.status)
    key = f"{order.edition_id}/{order.order_id}/{kind}-{int(now.timestamp())}.{ext}"
    post = storage(deps).presigned_post("vouchers", key, [content_type], UPLOAD_MAX_BYTES,
                                        UPLOAD_TTL_S, now)
    repository(deps).set_upload(order, kind, key)
    edition = editions.get_edition(deps, order.edition_id)
    post["finance_email"] = edition.finance_email
    return post


def upload_links(deps: Deps, order_id: str, now: datetime) -> dict[str, Any]:
    """Finance: short-lived links to the unit's voucher and member list (when uploaded)."""
    order = repository(deps).get_order(order_id)
    if order is None or order.kind != OrderKind.GROUP.value:
        raise OrderNotFoundError("集体订单不存在")
    s3 = storage(deps)
    links: dict[str, Any] = {"order_id": order.order_id}
    for name, key in (("voucher", order.voucher_key), ("member_list", order.member_list_key)):
        links[name] = s3.presigned_get("vouchers", key, 300, now) if key and s3.exists("vouchers", key) else None
    return links
