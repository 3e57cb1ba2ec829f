"""Registration and review: submit inside the window, one live per person and edition,
approve or reject with a reason, withdraw while unpaid."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing import queries as billing
from chalicelib.billing.closing import close_open_order_of
from chalicelib.billing.states import OrderKind
from chalicelib.editions import service as editions
from chalicelib.identity import units
from chalicelib.identity import queries as identity_queries
from chalicelib.identity.accounts import get_account
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ConflictError, NotFoundError, ValidationError
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.mail.outbox import prepare_mail, send_recorded
from chalicelib.platform.money import yuan
from chalicelib.platform.paging import page_out
from chalicelib.platform.store.base import new_id
from chalicelib.platform.text import normalise_email, normalise_name, normalise_phone
from chalicelib.registration.errors import AlreadyLinkedError, AlreadyPaidError, AlreadyRegisteredError, LinkLockedError, PersonalAccountRequiredError, RegistrationChangedError, RegistrationNotFoundError, RegistrationStateError, UnitNameMismatchError, UnitNotAvailableError
from chalicelib.registration.repository import Registration, RegistrationRepository
from chalicelib.registration.states import LIVE, TIER, PaymentStatus, RegistrationStatus, Tier

repo = RegistrationRepository()


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
        "unit_id": reg.unit_id, "unit_linked_at": iso(reg.unit_linked_at),
    }


def create_registration(deps: Deps, user_sub: str, fields: dict[str, Any],
                        now: datetime) -> dict[str, Any]:
    """Submit a registration: window checked at `now`, tier decided and locked now."""
    edition = editions.get_current(deps)
    edition.require_open("registration", now)
    account = get_account(user_sub)
    if account.kind != "personal":
        raise PersonalAccountRequiredError()
    name = fields.get("name") or account.name
    phone = fields.get("phone") or account.phone
    email = normalise_email(fields.get("email") or account.email)
    if not phone:
        raise ValidationError("请填写手机号", field="phone")
    if not (7 <= len(normalise_phone(phone)) <= 15):
        raise ValidationError("手机号码格式不正确", field="phone")
    status = identity_queries.membership_status(account, edition, now)  # verified contacts only
    tier = Tier.MEMBER if status["is_member"] else Tier.NON_MEMBER
    fee = edition.fee_for(status["is_member"])
    unit_norm = normalise_name(fields["unit_name"])
    if not unit_norm:
        raise ValidationError("单位名称不能为空", field="unit_name")
    unit_id = fields.get("unit_id")
    if unit_id:  # the trainee's own choice: a verified unit account of the same name
        _linkable_unit(unit_id, unit_norm)
    reg = Registration(
        registration_id=new_id("R"), edition_id=edition.edition_id, user_sub=user_sub,
        name=name, unit_name=fields["unit_name"].strip(), job_title=fields["job_title"].strip(),
        region=fields["region"].strip(), phone=phone.strip(), email=email,
        status=RegistrationStatus.PENDING.value, payment_status=PaymentStatus.UNPAID.value,
        tier=tier.value, fee_fen=fee, submitted_at=now,
        edition_unit=f"{edition.edition_id}#{unit_norm}",
        edition_email=f"{edition.edition_id}#{email}")
    if unit_id:
        reg.unit_id, reg.unit_linked_at = unit_id, now
        reg.edition_linked_unit = f"{edition.edition_id}#{unit_id}"
    if not repo.create(reg, user_sub, now):
        existing = repo.live_registration_id(edition.edition_id, user_sub)
        raise AlreadyRegisteredError(registration_id=existing)
    return view(reg)


def _linkable_unit(unit_id: str, unit_norm: str) -> Any:
    """The verified unit account a trainee may link to: registered under its very name
    (after normalising full-width characters and spaces)."""
    unit = units.verified_unit(unit_id)
    if unit is None:
        raise UnitNotAvailableError()
    if normalise_name(unit.unit_name) != unit_norm:
        raise UnitNameMismatchError(
            f"报名填写的单位名称须与所选单位账号一致（{unit.unit_name}），请修改单位名称或选择其他单位")
    return unit


def link_unit(deps: Deps, user_sub: str, registration_id: str, unit_id: str,
              now: datetime) -> dict[str, Any]:
    """The trainee links their live registration to a verified unit account (their own
    choice: picking it, or accepting its invitation). Linking again is harmless."""
    reg = get_own(registration_id, user_sub)
    if reg.status not in LIVE:
        raise RegistrationStateError("该报名已结束，不能关联单位", status=reg.status)
    if reg.unit_id == unit_id:
        return view(reg)
    if reg.unit_id:
        raise AlreadyLinkedError()
    _linkable_unit(unit_id, normalise_name(reg.unit_name))
    if not repo.link_unit(reg, unit_id, user_sub, now):
        raise RegistrationChangedError()
    return view(get_own(registration_id, user_sub))


def unlink_unit(deps: Deps, user_sub: str, registration_id: str, now: datetime) -> dict[str, Any]:
    """The trainee takes the link back: the unit no longer sees the registration. An unpaid
    group order holding it is left first (its total drops; no money is involved); a
    registration the unit has paid for stays linked."""
    reg = get_own(registration_id, user_sub)
    if not reg.unit_id:
        return view(reg)
    paid_by = billing.get_order(reg.paid_order_id) if reg.paid_order_id else None
    if paid_by is not None and paid_by.kind == OrderKind.GROUP.value:
        raise LinkLockedError()
    held_by = billing.get_order(reg.open_order_id) if reg.open_order_id else None
    if held_by is not None and held_by.kind == OrderKind.GROUP.value:
        close_open_order_of(deps, reg, user_sub, now, "member_left")
        reg = get_own(registration_id, user_sub)
    if not repo.unlink_unit(reg, user_sub, now):
        raise RegistrationChangedError()
    return view(get_own(registration_id, user_sub))


def list_mine(user_sub: str) -> dict[str, Any]:
    return page_out("registrations", [view(r) for r in repo.list_mine(user_sub)], None)


def get_for_staff(registration_id: str) -> Registration:
    reg = repo.get(registration_id)
    if reg is None:
        raise RegistrationNotFoundError()
    return reg


def get_own(registration_id: str, user_sub: str) -> Registration:
    """A trainee's own registration; someone else's is reported as missing (no probing)."""
    reg = repo.get(registration_id)
    if reg is None or reg.user_sub != user_sub:
        raise RegistrationNotFoundError()
    return reg


def list_for_review(deps: Deps, status: str, limit: int, token: str | None,
                    edition_id: str | None) -> dict[str, Any]:
    """A page of the review queue (oldest first); `next_token` only when there is more."""
    edition_id = edition_id or editions.current_edition_id(deps)
    editions.get_edition(deps, edition_id)  # 404 for an unknown edition
    items, next_token = repo.list_by_status(edition_id, status, limit, token)
    return page_out("registrations", [view(r) for r in items], next_token)


def _edition_title(deps: Deps, reg: Registration) -> str:
    return editions.get_edition(deps, reg.edition_id).title


def approve(deps: Deps, registration_id: str, actor: str, now: datetime,
            read: Registration | None = None) -> dict[str, Any]:
    """pending -> approved, with the approval mail (`read`: the registration as a bulk
    approval just read it; a stale copy loses the transaction's condition and is read again)."""
    reg = read if read is not None else get_for_staff(registration_id)
    if reg.status == RegistrationStatus.APPROVED.value:
        return view(reg)  # a repeated click changes nothing
    # The mail is recorded in the approving transaction (one request fewer, and it exists
    # exactly when the approval does), then sent; a failed send waits for the retry job.
    notice = prepare_mail(f"registration.approved#{reg.registration_id}", reg.email,
                          "registration.approved",
                          {"name": reg.name, "edition_title": _edition_title(deps, reg),
                           "registration_id": reg.registration_id,
                           "fee_yuan": yuan(int(reg.fee_fen)), "tier_label": TIER.label(reg.tier)},
                          now)
    if reg.status != RegistrationStatus.PENDING.value or not repo.approve(reg, actor, now,
                                                                          mail=notice):
        current = get_for_staff(registration_id)
        if current.status == RegistrationStatus.APPROVED.value:
            return view(current)
        raise RegistrationStateError(f"该报名当前状态为 {current.status}，不能通过",
                                     status=current.status)
    send_recorded(deps, notice, now)
    return view(reg)


def reject(deps: Deps, registration_id: str, reason: str, actor: str,
           now: datetime) -> dict[str, Any]:
    reason = reason.strip()
    if not reason:
        raise ValidationError("驳回须填写原因", field="reason")
    reg = get_for_staff(registration_id)
    if reg.status != RegistrationStatus.PENDING.value or not repo.reject(reg, reason, actor, now):
        current = get_for_staff(registration_id)
        raise RegistrationStateError(f"该报名当前状态为 {current.status}，不能驳回",
                                     status=current.status)
    reg = get_for_staff(registration_id)
    if reg.open_order_id:  # money can no longer be taken for it
        close_open_order_of(deps, reg, actor, now, "registration_rejected")
    mail.queue_mail(deps, f"registration.rejected#{reg.registration_id}", reg.email,
                    "registration.rejected",
                    {"name": reg.name, "edition_title": _edition_title(deps, reg),
                     "registration_id": reg.registration_id, "reason": reason}, now)
    return view(reg)


def withdraw(deps: Deps, registration_id: str, user_sub: str, now: datetime) -> dict[str, Any]:
    """The trainee withdraws a registration that is not paid; its unpaid order is closed
    first. Money that still arrives for it is refunded automatically (billing)."""
    reg = get_own(registration_id, user_sub)
    if reg.status not in LIVE:
        raise RegistrationStateError("该报名已结束，无需撤回", status=reg.status)
    if reg.payment_status != PaymentStatus.UNPAID.value:
        raise AlreadyPaidError()
    if reg.open_order_id:  # the unpaid order is closed (a group order only releases this seat)
        close_open_order_of(deps, reg, user_sub, now, "registration_withdrawn")
        reg = get_own(registration_id, user_sub)
        if reg.payment_status != PaymentStatus.UNPAID.value:
            raise AlreadyPaidError()
    if not repo.withdraw(reg, user_sub, now):
        raise RegistrationChangedError()
    return view(get_own(registration_id, user_sub))


def bulk_approve(deps: Deps, ids: list[str], actor: str, now: datetime) -> dict[str, Any]:
    """Each approved on its own (one failing does not stop the others); the registrations
    are read together first (one consistent BatchGetItem per 100 instead of a GetItem each)."""
    known = {r.registration_id: r for r in repo.get_many(ids, consistent_read=True)}
    results = []
    for registration_id in ids:
        try:
            approve(deps, registration_id, actor, now, read=known.get(registration_id))
            results.append({"registration_id": registration_id, "ok": True})
        except (ConflictError, NotFoundError) as exc:
            results.append({"registration_id": registration_id, "ok": False,
                            "code": exc.code, "message": exc.message})
    return {"results": results, "approved": sum(1 for r in results if r["ok"])}


def erase_person(user_sub: str, name: str, phone: str, email: str) -> int:
    """Erasure: the person's name and contact replaced on all their registrations (the
    facts stay: status, payment, fee). Returns how many; repeating it is harmless."""
    return repo.scrub_person(user_sub, repo.list_mine(user_sub), name, phone, email)
