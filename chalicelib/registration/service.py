"""Registration and review: submit inside the window, one live per person and edition,
approve or reject with a reason, withdraw while unpaid."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.clock import iso
from chalicelib.registration.states import PaymentStatus, RegistrationStatus, Tier
from chalicelib.platform.text import normalise_email, normalise_name, normalise_phone
from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from chalicelib.editions import service as editions, members
from chalicelib.platform.mail import outbox as mail
from chalicelib.identity.accounts import get_account
from chalicelib.platform.deps import Deps
from chalicelib.platform.store.base import new_id
from chalicelib.registration.repository import Registration, RegistrationRepository

repo = RegistrationRepository()

TIER_LABELS = {"member": "会员", "non_member": "非会员"}


def view(reg: Registration) -> dict[str, Any]:
    return {
        "registration_id": reg.registration_id, "edition_id": reg.edition_id,
        "status": reg.status, "payment_status": reg.payment_status, "tier": reg.tier,
        "fee_fen": reg.fee_fen, "name": reg.name, "unit_name": reg.unit_name,
        "job_title": reg.job_title, "region": reg.region, "phone": reg.phone,
        "email": reg.email, "submitted_at": iso(reg.submitted_at),
        "reviewed_at": iso(reg.reviewed_at), "reject_reason": reg.reject_reason,
        "open_order_id": reg.open_order_id, "paid_order_id": reg.paid_order_id,
        "paid_at": iso(reg.paid_at), "enrolled_at": iso(reg.enrolled_at),
    }


def create_registration(deps: Deps, user_sub: str, fields: dict[str, Any],
                        now: datetime) -> dict[str, Any]:
    """Submit a registration: window checked at `now`, tier decided and locked now."""
    edition = editions.get_current(deps)
    edition.require_open("registration", now)
    account = get_account(user_sub)
    if account.kind != "personal":
        raise ForbiddenError("单位账号不能报名，请使用个人账号", code="PERSONAL_ACCOUNT_REQUIRED")
    name = fields.get("name") or account.name
    phone = fields.get("phone") or account.phone
    email = normalise_email(fields.get("email") or account.email)
    if not phone:
        raise ValidationError("请填写手机号", field="phone")
    if not (7 <= len(normalise_phone(phone)) <= 15):
        raise ValidationError("手机号码格式不正确", field="phone")
    status = members.membership_status(account.email, account.phone_norm, edition, now)
    tier = Tier.MEMBER if status["is_member"] else Tier.NON_MEMBER
    fee = edition.fee_for(status["is_member"])
    unit_norm = normalise_name(fields["unit_name"])
    if not unit_norm:
        raise ValidationError("单位名称不能为空", field="unit_name")
    reg = Registration(
        registration_id=new_id("R"), edition_id=edition.edition_id, user_sub=user_sub,
        name=name, unit_name=fields["unit_name"].strip(), job_title=fields["job_title"].strip(),
        region=fields["region"].strip(), phone=phone.strip(), email=email,
        status=RegistrationStatus.PENDING.value, payment_status=PaymentStatus.UNPAID.value,
        tier=tier.value, fee_fen=fee, submitted_at=now,
        edition_status=f"{edition.edition_id}#{RegistrationStatus.PENDING.value}",
        edition_unit=f"{edition.edition_id}#{unit_norm}",
        edition_email=f"{edition.edition_id}#{email}")
    if not repo.create(reg, user_sub, now):
        existing = repo.live_registration_id(edition.edition_id, user_sub)
        raise ConflictError("您已报名本届培训，不能重复报名", code="ALREADY_REGISTERED",
                            registration_id=existing)
    return view(reg)


def list_mine(user_sub: str) -> dict[str, Any]:
    return {"registrations": [view(r) for r in repo.list_mine(user_sub)]}


def get_for_staff(registration_id: str) -> Registration:
    reg = repo.get(registration_id)
    if reg is None:
        raise NotFoundError("报名记录不存在", code="REGISTRATION_NOT_FOUND")
    return reg


def get_own(registration_id: str, user_sub: str) -> Registration:
    """A trainee's own registration; someone else's is reported as missing (no probing)."""
    reg = repo.get(registration_id)
    if reg is None or reg.user_sub != user_sub:
        raise NotFoundError("报名记录不存在", code="REGISTRATION_NOT_FOUND")
    return reg


def list_for_review(deps: Deps, status: str, limit: int, token: str | None,
                    edition_id: str | None) -> dict[str, Any]:
    edition_id = edition_id or editions.current_edition_id(deps)
    editions.get_edition(deps, edition_id)  # 404 for an unknown edition
    items, next_token = repo.list_by_status(edition_id, status, limit, token)
    return {"registrations": [view(r) for r in items], "next_token": next_token}


def _edition_title(deps: Deps, reg: Registration) -> str:
    return editions.get_edition(deps, reg.edition_id).title


def approve(deps: Deps, registration_id: str, actor: str, now: datetime) -> dict[str, Any]:
    reg = get_for_staff(registration_id)
    if reg.status == RegistrationStatus.APPROVED.value:
        return view(reg)  # a repeated click changes nothing
    if reg.status != RegistrationStatus.PENDING.value or not repo.transition(
            reg, RegistrationStatus.PENDING.value, RegistrationStatus.APPROVED.value, actor, now,
            "registration.approved",
            extra_actions=[Registration.reviewed_at.set(now), Registration.reviewed_by.set(actor)]):
        current = get_for_staff(registration_id)
        if current.status == RegistrationStatus.APPROVED.value:
            return view(current)
        raise ConflictError(f"该报名当前状态为 {current.status}，不能通过", code="INVALID_STATE",
                            status=current.status)
    # What the conditional transaction wrote, applied here instead of read back: nothing
    # else changes a pending registration (orders and payments need it approved).
    reg.status = RegistrationStatus.APPROVED.value
    reg.edition_status = f"{reg.edition_id}#{reg.status}"
    reg.version = (reg.version or 0) + 1
    reg.reviewed_at, reg.reviewed_by = now, actor
    mail.queue_mail(deps, f"registration.approved#{reg.registration_id}", reg.email,
                    "registration.approved",
                    {"name": reg.name, "edition_title": _edition_title(deps, reg),
                     "registration_id": reg.registration_id, "fee_yuan": f"{reg.fee_fen / 100:.2f}",
                     "tier_label": TIER_LABELS.get(reg.tier, reg.tier)}, now)
    return view(reg)


def reject(deps: Deps, registration_id: str, reason: str, actor: str,
           now: datetime) -> dict[str, Any]:
    reason = reason.strip()
    if not reason:
        raise ValidationError("驳回须填写原因", field="reason")
    reg = get_for_staff(registration_id)
    if reg.status != RegistrationStatus.PENDING.value or not repo.transition(
            reg, RegistrationStatus.PENDING.value, RegistrationStatus.REJECTED.value, actor, now,
            "registration.rejected", data={"reason": reason}, release_live=True,
            extra_actions=[Registration.reviewed_at.set(now), Registration.reviewed_by.set(actor),
                           Registration.reject_reason.set(reason)]):
        current = get_for_staff(registration_id)
        raise ConflictError(f"该报名当前状态为 {current.status}，不能驳回", code="INVALID_STATE",
                            status=current.status)
    reg.refresh(consistent_read=True)
    if reg.open_order_id:  # money can no longer be taken for it
        from chalicelib.billing.orders import close_open_order_of
        close_open_order_of(deps, reg, actor, now, "registration_rejected")
    mail.queue_mail(deps, f"registration.rejected#{reg.registration_id}", reg.email,
                    "registration.rejected",
                    {"name": reg.name, "edition_title": _edition_title(deps, reg),
                     "registration_id": reg.registration_id, "reason": reason}, now)
    return view(reg)


def withdraw(deps: Deps, registration_id: str, user_sub: str, now: datetime) -> dict[str, Any]:
    """The trainee withdraws a registration that is not paid; its unpaid order is closed
    first. Money that still arrives for it is refunded automatically (services/payments)."""
    reg = get_own(registration_id, user_sub)
    if reg.status not in (RegistrationStatus.PENDING.value, RegistrationStatus.APPROVED.value):
        raise ConflictError("该报名已结束，无需撤回", code="INVALID_STATE", status=reg.status)
    if reg.payment_status != PaymentStatus.UNPAID.value:
        raise ConflictError("已交费的报名不能撤回，请申请退费", code="ALREADY_PAID")
    if reg.open_order_id:  # the unpaid order is closed (a group order only releases this seat)
        from chalicelib.billing.orders import close_open_order_of
        close_open_order_of(deps, reg, user_sub, now, "registration_withdrawn")
        reg.refresh(consistent_read=True)
        if reg.payment_status != PaymentStatus.UNPAID.value:
            raise ConflictError("已交费的报名不能撤回，请申请退费", code="ALREADY_PAID")
    ok = repo.transition(
        reg, reg.status, RegistrationStatus.WITHDRAWN.value, user_sub, now,
        "registration.withdrawn", release_live=True,
        extra_actions=[Registration.withdrawn_at.set(now)],
        extra_condition=(Registration.payment_status == PaymentStatus.UNPAID.value)
        & Registration.open_order_id.does_not_exist())
    if not ok:
        raise ConflictError("报名状态已变化，请刷新后重试", code="STATE_CHANGED")
    reg.refresh(consistent_read=True)
    return view(reg)


def bulk_approve(deps: Deps, ids: list[str], actor: str, now: datetime) -> dict[str, Any]:
    results = []
    for registration_id in ids:
        try:
            approve(deps, registration_id, actor, now)
            results.append({"registration_id": registration_id, "ok": True})
        except (ConflictError, NotFoundError) as exc:
            results.append({"registration_id": registration_id, "ok": False,
                            "code": exc.code, "message": exc.message})
    return {"results": results, "approved": sum(1 for r in results if r["ok"])}
