"""What identity holds about one person beyond the account itself, for privacy's export and
erasure (`chalicelib/privacy/service.py` is the only caller): the unit account's
verification record and its authorization letters in S3, unit invitations addressed to the
person or sent by their unit, a staff account's TOTP enrolment (never its secret), and the
one-time codes waiting for them. Attempt counters hold only a one-way hash of an e-mail,
phone or address and expire within two windows (at most two hours; DynamoDB's TTL then
deletes them, usually within days): nothing here lists or deletes them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.identity.mfa_repository import StaffMfaRepository
from chalicelib.identity.repository import Account, OneTimeCode
from chalicelib.identity.unit_repository import UnitInvitation, UnitProfile, UnitRepository
from chalicelib.platform.clock import iso
from chalicelib.platform.storage import storage
from chalicelib.platform.store.audit import audit_entry, history, redact
from chalicelib.platform.store.base import committed

LETTER_BUCKET = "vouchers"  # identity.units keeps the letters there, under unit-letters/
# The one-time codes a person can have waiting: <purpose>#<subject> (identity/codes.py),
# the subject being their sub, e-mail or phone. A new purpose is added here.
CODE_PURPOSES = ("phone", "reset", "sms-login", "login-nonce")
ATTEMPT_COUNTERS = ("登录、注册、发送验证码的尝试次数只以邮箱、手机号或网络地址的单向摘要计数，"
                    "不含其原文；计数至多 2 小时后过期不再使用，并由数据库自动删除（通常在过期后几天内）")

units = UnitRepository()
mfa = StaffMfaRepository()


def _letter_keys(unit_id: str, profile: UnitProfile | None) -> list[str]:
    """Every letter the unit ever uploaded (each upload has its own key; the audit entry of
    each upload names it), the current one included."""
    keys = [str(e.data["key"]) for e in history(f"unit#{unit_id}")
            if e.action == "unit.letter_uploaded" and isinstance(e.data, dict) and e.data.get("key")]
    if profile is not None and profile.letter_key:
        keys.append(profile.letter_key)
    return list(dict.fromkeys(keys))


def _invited_by(unit_id: str) -> list[UnitInvitation]:
    """The invitations a unit sent (found through its `unit.invited` audit entries: the
    invitations table is keyed by the invitee's e-mail)."""
    emails = dict.fromkeys(str(e.data["email"]) for e in history(f"unit#{unit_id}")
                           if e.action == "unit.invited" and isinstance(e.data, dict)
                           and e.data.get("email"))
    return [inv for email in emails if (inv := units.invitation(email, unit_id)) is not None]


def _codes(account: Account) -> list[OneTimeCode]:
    subjects = [s for s in (account.user_sub, account.email, account.phone_norm) if s]
    keys = [f"{purpose}#{subject}" for purpose in CODE_PURPOSES for subject in subjects]
    return list(OneTimeCode.batch_get(keys, consistent_read=True))


def export_view(account: Account) -> dict[str, Any]:
    """The person's identity records besides the profile, as they would read them."""
    sub = account.user_sub
    profile = units.get(sub)
    unit = None
    if profile is not None:
        unit = {"unit_id": profile.unit_id, "unit_name": profile.unit_name,
                "credit_code": profile.credit_code, "email": profile.email,
                "status": profile.status, "submitted_at": iso(profile.submitted_at),
                "letter_uploaded": bool(profile.letter_key), "letter_type": profile.letter_type,
                "letter_at": iso(profile.letter_at), "letters_kept": len(_letter_keys(sub, profile)),
                "reviewed_at": iso(profile.reviewed_at), "reject_reason": profile.reject_reason}
    staff_mfa = mfa.get(sub)
    return {
        "unit": unit,
        "unit_invitations": {
            "received": [{"unit_id": i.unit_id, "unit_name": i.unit_name,
                          "invited_at": iso(i.invited_at)}
                         for i in units.invitations_for(account.email)],
            "sent": [{"email": i.email, "invited_at": iso(i.invited_at)}
                     for i in _invited_by(sub)] if profile is not None else []},
        # That a TOTP secret exists and since when; the secret itself never leaves KMS's seal.
        "staff_mfa": None if staff_mfa is None else {
            "status": staff_mfa.status, "created_at": iso(staff_mfa.created_at),
            "enrolled_at": iso(staff_mfa.enrolled_at)},
        "codes": [{"purpose": c.key.split("#", 1)[0], "sent_to": c.target,
                   "expires_at": iso(c.expires_at)} for c in _codes(account)],
        "attempt_counters": ATTEMPT_COUNTERS,
    }


def erase(deps: Any, account: Account, placeholder: str, actor: str,
          now: datetime) -> dict[str, int]:
    """Remove what identity holds about the person besides the profile (the caller erases
    that last, as its commit point): invitations to them (and the e-mail in the inviting
    units' audit entries), their waiting codes, a staff TOTP secret; for a unit account its
    letters in S3, the invitations it sent and its verification record. Each step finds
    nothing the second time: repeating it is harmless."""
    sub, email = account.user_sub, account.email
    counts = {"invitations": 0, "letters": 0, "codes": 0, "staff_mfa": 0}
    received = units.invitations_for(email)
    for inv in received:
        redact(f"unit#{inv.unit_id}", "email", email, placeholder)
        inv.delete()
    counts["invitations"] += len(received)
    profile = units.get(sub)
    if profile is not None:
        s3 = storage(deps)
        for key in _letter_keys(sub, profile):
            s3.delete_object(LETTER_BUCKET, key)
            counts["letters"] += 1
        for inv in _invited_by(sub):
            inv.delete()
            counts["invitations"] += 1
        _forget_unit(profile, actor, now)
    for code in _codes(account):
        code.delete()
        counts["codes"] += 1
    if mfa.get(sub) is not None and mfa.reset(sub, actor, now):
        counts["staff_mfa"] = 1
    return counts


def _forget_unit(profile: UnitProfile, actor: str, now: datetime) -> None:
    """The verification record goes (no longer in the staff's lists, offered by name or
    linkable); the audit entries keep what was decided when, and the erased account keeps
    the organisation's name and credit code."""
    def write(tx: Any) -> None:
        tx.delete(profile)
        tx.save(audit_entry(f"unit#{profile.unit_id}", "unit.erased", actor, now))

    committed(write)
