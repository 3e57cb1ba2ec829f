"""Unit accounts verified by staff (单位认证) and invitations.

A unit account is `pending` from sign-up and sees no trainee data until an admin or finance
approves it after checking its 统一社会信用代码 and its uploaded authorization letter
(单位介绍信/授权书: PDF or image, presigned upload into a private bucket); staff may reject
it with a reason, and a new letter resubmits it. A verified unit may invite people by
e-mail to link their registration to it; the answer never says whether that e-mail has an
account. Who is linked is the registration's (a trainee's own choice)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.identity.accounts import get_account, is_erased
from chalicelib.identity.credit_code import normalise_credit_code
from chalicelib.identity.errors import AccountNotFoundError
from chalicelib.identity.unit_errors import LetterInvalidError, LetterMissingError, UnitAccountRequiredError, UnitNotFoundError, UnitNotVerifiedError, UnitStateError
from chalicelib.identity.unit_repository import UnitInvitation, UnitProfile, UnitRepository
from chalicelib.identity.states import EXPLANATIONS, UNIT_STATUS, UnitStatus
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ValidationError
from chalicelib.platform.mail import outbox as mail
from chalicelib.platform.paging import page_out
from chalicelib.platform.storage import storage
from chalicelib.platform.store import throttle
from chalicelib.platform.store.throttle import Limit
from chalicelib.platform.text import normalise_email, normalise_name

repo = UnitRepository()

LETTER_BUCKET = "vouchers"  # private; letters live under unit-letters/
LETTER_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
LETTER_MAX_BYTES = 10 * 1024 * 1024
LETTER_UPLOAD_TTL_S = 900
LETTER_LINK_TTL_S = 300
# The first bytes of each allowed type: staff approve only a file that is what it claims.
MAGIC = {"application/pdf": (b"%PDF-",), "image/jpeg": (b"\xff\xd8\xff",),
         "image/png": (b"\x89PNG\r\n\x1a\n",)}
MAX_INVITES = 50
# Invitations send mail: a unit may send 20 batches (up to 1,000 addresses) an hour; each
# address gets one mail per unit at most (the mail id).
INVITES_PER_UNIT = Limit("invite:unit", 20, 60 * 60)

mail.register_template(
    "unit.verified", "【单位账号已认证】{unit_name}",
    "{unit_name}：\n\n贵单位的平台账号已通过审核（统一社会信用代码 {credit_code}）。"
    "\n本单位学员在报名时选择贵单位，或接受贵单位的邀请后，即可在“单位集体交费”中为其交费。")
mail.register_template(
    "unit.rejected", "【单位账号未通过审核】{unit_name}",
    "{unit_name}：\n\n贵单位的平台账号未通过审核。\n原因：{reason}"
    "\n请登录平台，按原因重新上传单位介绍信或授权书，上传后将重新审核。")
mail.register_template(
    "unit.invitation", "【单位邀请】{unit_name} 邀请您关联本届报名",
    "您好：\n\n{unit_name} 邀请您将在职培训的报名关联到该单位，以便单位为您集体交费。"
    "\n登录平台后，在“我的报名”中查看并接受邀请；关联后该单位可以看到您的报名信息"
    "（姓名、邮箱、职务、交费状态）。\n如您不认识该单位或不需要集体交费，请忽略此邮件。")


# --- the unit's own profile --------------------------------------------------------------
def ensure_profile(unit_sub: str, now: datetime) -> UnitProfile:
    """The unit account's verification record, made `pending` on first use."""
    profile = repo.get(unit_sub)
    if profile is not None:
        return profile
    account = get_account(unit_sub)
    # an erased unit's record was deleted on purpose: never made again (no review, no mail)
    if account.kind != "unit" or not account.unit_name or not account.credit_code \
            or is_erased(account):
        raise UnitAccountRequiredError()
    profile = UnitProfile(unit_id=unit_sub, unit_name=account.unit_name,
                          credit_code=account.credit_code, email=account.email,
                          status=UnitStatus.PENDING.value, submitted_at=account.created_at)
    repo.create(profile, now)
    return repo.get(unit_sub) or profile


def _view(profile: UnitProfile) -> dict[str, Any]:
    status = UnitStatus(profile.status)
    return {"unit_id": profile.unit_id, "unit_name": profile.unit_name,
            "credit_code": profile.credit_code, "status": status.value,
            "status_label": UNIT_STATUS.label(status), "explanation": EXPLANATIONS[status],
            "letter_uploaded": bool(profile.letter_key), "letter_type": profile.letter_type,
            "letter_at": iso(profile.letter_at), "submitted_at": iso(profile.submitted_at),
            "reviewed_at": iso(profile.reviewed_at), "reject_reason": profile.reject_reason}


def status_for_me(user_sub: str, kind: str) -> dict[str, Any] | None:
    """What `/me` shows a unit account of its verification (None for other accounts):
    the status, its label and the rejection reason. Reads only (no record is made here)."""
    if kind != "unit":
        return None
    profile = repo.get(user_sub)
    status = UnitStatus(profile.status) if profile is not None else UnitStatus.PENDING
    return {"status": status.value, "status_label": UNIT_STATUS.label(status),
            "explanation": EXPLANATIONS[status],
            "reject_reason": profile.reject_reason
            if profile is not None and status == UnitStatus.REJECTED else None}


def my_unit(deps: Deps, unit_sub: str, now: datetime) -> dict[str, Any]:
    """The unit's status with what it means, in Chinese."""
    return _view(ensure_profile(unit_sub, now))


def presign_letter(deps: Deps, unit_sub: str, content_type: str, size_bytes: int,
                   now: datetime) -> dict[str, Any]:
    """A presigned S3 POST for the authorization letter: type pinned and size limited by the
    policy; the key is recorded on the profile (a rejected unit is pending again)."""
    ext = LETTER_TYPES.get(content_type)
    if ext is None:
        raise ValidationError("单位介绍信或授权书须为 PDF、JPEG 或 PNG 文件", field="content_type")
    if not 0 < size_bytes <= LETTER_MAX_BYTES:
        raise ValidationError(f"文件大小须在 1 字节到 {LETTER_MAX_BYTES // 1024 // 1024} MB 之间",
                              field="size_bytes")
    profile = ensure_profile(unit_sub, now)
    if profile.status == UnitStatus.VERIFIED.value:
        raise UnitStateError("单位账号已认证，无需再上传授权书", status=profile.status)
    key = f"unit-letters/{unit_sub}/letter-{int(now.timestamp())}.{ext}"
    post = storage(deps).presigned_post(LETTER_BUCKET, key, [content_type], LETTER_MAX_BYTES,
                                        LETTER_UPLOAD_TTL_S, now)
    if not repo.set_letter(profile, key, content_type, now):
        raise UnitStateError("单位账号状态已变化，请刷新后重试", status=profile.status)
    return post


# --- staff --------------------------------------------------------------------------------
def _staff_view(deps: Deps, profile: UnitProfile, now: datetime) -> dict[str, Any]:
    view = _view(profile)
    view.pop("explanation")
    s3 = storage(deps)
    has_letter = bool(profile.letter_key) and s3.exists(LETTER_BUCKET, profile.letter_key or "")
    view["letter"] = s3.presigned_get(
        LETTER_BUCKET, profile.letter_key or "", LETTER_LINK_TTL_S, now, inline=True,
        content_type=profile.letter_type) if has_letter else None
    view["letter_uploaded"] = has_letter
    view["credit_code_valid"] = normalise_credit_code(profile.credit_code) is not None
    view["email"] = profile.email
    view["reviewed_by"] = profile.reviewed_by
    return view


def list_for_staff(deps: Deps, status: str, limit: int, token: str | None,
                   now: datetime) -> dict[str, Any]:
    """A page of unit accounts in `status` (oldest submission first), each with a
    short-lived link to its letter."""
    items, next_token = repo.page_by_status(status, limit, token)
    return page_out("units", [_staff_view(deps, p, now) for p in items], next_token)


def _for_review(unit_id: str, now: datetime | None = None) -> UnitProfile:
    profile = repo.get(unit_id)
    if profile is not None:
        return profile
    if now is not None:  # a unit account that never opened its page: pending, no letter
        try:
            return ensure_profile(unit_id, now)
        except (AccountNotFoundError, UnitAccountRequiredError):
            pass
    raise UnitNotFoundError()


def _letter_checked(deps: Deps, profile: UnitProfile) -> None:
    s3 = storage(deps)
    if not profile.letter_key or not s3.exists(LETTER_BUCKET, profile.letter_key):
        raise LetterMissingError()
    head = s3.get_object(LETTER_BUCKET, profile.letter_key)[:16]
    if not head.startswith(MAGIC.get(profile.letter_type or "", (b"\x00\x00never",))):
        raise LetterInvalidError()


def approve(deps: Deps, unit_id: str, actor: str, now: datetime) -> dict[str, Any]:
    """pending -> verified: the credit code is valid and the letter is there and is what it
    claims to be. A repeated click answers the verified unit."""
    profile = _for_review(unit_id, now)
    if profile.status == UnitStatus.VERIFIED.value:
        return _staff_view(deps, profile, now)
    if profile.status != UnitStatus.PENDING.value:
        raise UnitStateError(f"该单位账号当前为“{UNIT_STATUS.label(profile.status)}”，不能通过",
                             status=profile.status)
    if normalise_credit_code(profile.credit_code) is None:
        raise UnitStateError("统一社会信用代码无效，不能通过", status=profile.status)
    if not normalise_name(profile.unit_name):
        raise UnitStateError("单位名称无效，不能通过", status=profile.status)
    _letter_checked(deps, profile)
    if not repo.review(profile, UnitStatus.VERIFIED, actor, now, None,
                       normalise_name(profile.unit_name)):
        current = _for_review(unit_id)
        if current.status == UnitStatus.VERIFIED.value:
            return _staff_view(deps, current, now)
        raise UnitStateError("单位账号已变化（可能刚上传了新的授权书），请刷新后重试",
                             status=current.status)
    mail.queue_mail(deps, f"unit.verified#{unit_id}", profile.email, "unit.verified",
                    {"unit_name": profile.unit_name, "credit_code": profile.credit_code}, now)
    return _staff_view(deps, _for_review(unit_id), now)


def reject(deps: Deps, unit_id: str, reason: str, actor: str, now: datetime) -> dict[str, Any]:
    """pending -> rejected with a reason the unit reads."""
    profile = _for_review(unit_id, now)
    if profile.status != UnitStatus.PENDING.value:
        raise UnitStateError(f"该单位账号当前为“{UNIT_STATUS.label(profile.status)}”，不能驳回",
                             status=profile.status)
    if not repo.review(profile, UnitStatus.REJECTED, actor, now, reason, None):
        raise UnitStateError("单位账号已变化，请刷新后重试", status=profile.status)
    mail.queue_mail(deps, f"unit.rejected#{unit_id}#{profile.version}", profile.email,
                    "unit.rejected", {"unit_name": profile.unit_name, "reason": reason}, now)
    return _staff_view(deps, _for_review(unit_id), now)


# --- what the other features ask -------------------------------------------------------------
def require_verified(unit_sub: str, now: datetime) -> UnitProfile:
    """The verified unit behind a unit account; 403 UNIT_NOT_VERIFIED otherwise (the unit's
    own status, nothing of anyone else). Reads only: a refusal writes nothing."""
    profile = repo.get(unit_sub)
    if profile is None or profile.status != UnitStatus.VERIFIED.value:
        raise UnitNotVerifiedError()
    return profile


def verified_unit(unit_id: str) -> UnitProfile | None:
    """A verified unit by id (None for an unknown, pending or rejected one)."""
    profile = repo.get(unit_id) if unit_id else None
    return profile if profile is not None and profile.status == UnitStatus.VERIFIED.value else None


def verified_units_named(unit_name: str) -> dict[str, Any]:
    """The verified units whose name equals `unit_name` (after normalising full-width
    characters and spaces): what a trainee may pick at registration."""
    key = normalise_name(unit_name)
    found = repo.verified_by_name(key) if key else []
    return page_out("units", [{"unit_id": p.unit_id, "unit_name": p.unit_name} for p in found
                              if p.status == UnitStatus.VERIFIED.value], None)


# --- invitations ----------------------------------------------------------------------------
def invite(deps: Deps, unit_sub: str, emails: list[str], now: datetime) -> dict[str, Any]:
    """A verified unit invites people by e-mail. The answer is the same whoever the
    addresses belong to (nothing about who has an account or a registration)."""
    profile = require_verified(unit_sub, now)
    wanted = list(dict.fromkeys(normalise_email(e) for e in emails if e and e.strip()))
    if not wanted:
        raise ValidationError("请至少填写一个邮箱", field="emails")
    if len(wanted) > MAX_INVITES:
        raise ValidationError(f"一次最多邀请 {MAX_INVITES} 人", field="emails")
    throttle.hit(INVITES_PER_UNIT, unit_sub, now)  # 429 TOO_MANY_ATTEMPTS past it
    for email in wanted:
        repo.invite(UnitInvitation(email=email, unit_id=unit_sub, unit_name=profile.unit_name,
                                   invited_at=now), now)
        mail.queue_mail(deps, f"unit.invitation#{unit_sub}#{email}", email, "unit.invitation",
                        {"unit_name": profile.unit_name}, now)
    return {"status": "sent", "invited": len(wanted)}


def invitations_for(email: str) -> list[dict[str, Any]]:
    """The invitations addressed to this e-mail from units that are still verified."""
    out = []
    for inv in repo.invitations_for(normalise_email(email)):
        if verified_unit(inv.unit_id) is not None:
            out.append({"unit_id": inv.unit_id, "unit_name": inv.unit_name,
                        "invited_at": iso(inv.invited_at)})
    return out


def invited(email: str, unit_id: str) -> bool:
    return repo.invitation(normalise_email(email), unit_id) is not None
