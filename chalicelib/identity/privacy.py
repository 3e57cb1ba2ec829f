"""Personal data on request: a trainee's export (everything the platform holds about them)
and erasure (their name and contact replaced wherever the law lets us; what finance must
keep is kept). Retention policy: docs/hardening.md, "Personal data"."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.platform.clock import iso
from chalicelib.platform.errors import ConflictError, NotFoundError
from chalicelib.platform.observability import logger
from chalicelib.platform.deps import Deps

ERASED_NAME = "已注销用户"
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never deliverable
# Money matters still moving: erasure waits until they are final (the person is needed).
UNFINISHED_ORDER = {"open", "reserving", "refunding"}
LIVE_REGISTRATION = {"pending", "approved"}


def erased_email(user_sub: str) -> str:
    return f"erased-{user_sub}@{ERASED_DOMAIN}"


def is_erased(account: Any) -> bool:
    return str(account.email).endswith("@" + ERASED_DOMAIN)


def _account(user_sub: str) -> Any:
    from chalicelib.identity.repository import Account
    try:
        return Account.get(user_sub, consistent_read=True)
    except Account.DoesNotExist as exc:
        raise NotFoundError("账号不存在", code="ACCOUNT_NOT_FOUND") from exc


def export(deps: Deps, user_sub: str, now: datetime) -> dict[str, Any]:
    """Everything held about the person, in one JSON document (PIPL art. 45: a copy)."""
    from chalicelib.invoicing import service as invoices
    from chalicelib.billing import orders
    from chalicelib.registration import service as registrations
    from chalicelib.platform.mail.outbox import list_mail
    from chalicelib.platform.store.audit import history
    account = _account(user_sub)
    regs = registrations.list_mine(user_sub)["registrations"]
    return {
        "exported_at": iso(now),
        "account": {"user_id": account.user_sub, "email": account.email, "name": account.name,
                    "phone": account.phone, "kind": account.kind, "unit_name": account.unit_name,
                    "credit_code": account.credit_code, "created_at": iso(account.created_at),
                    "erased": is_erased(account)},
        "registrations": regs,
        "orders": orders.list_mine(deps, user_sub)["orders"],
        "invoices": invoices.list_mine(user_sub)["invoices"],
        "learning": _learning(user_sub, regs),
        "mail": [] if is_erased(account) else list_mail(account.email, limit=500),
        "history": [{"entity": e.entity, "action": e.action, "at": iso(e.at)}
                    for r in regs for e in history(f"registration#{r['registration_id']}")],
    }


def _learning(user_sub: str, regs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from chalicelib.learning.repository import Progress, learner_key
    out = []
    for edition_id in sorted({r["edition_id"] for r in regs if r.get("edition_id")}):
        for p in Progress.query(learner_key(edition_id, user_sub)):
            out.append({"edition_id": edition_id, "course_id": p.course_id,
                        "credited_s": int(p.credited_s or 0)})
    return out


def erase(deps: Deps, user_sub: str, actor: str, now: datetime) -> dict[str, Any]:
    """Replace the person's name and contact in their account, registrations and outgoing
    mail; remove their sign-in. Orders, payments, refunds, invoices and certificates stay
    as issued (accounting records and an official document third parties verify).
    Refused while a registration is live or money is still moving. Repeating is harmless."""
    from chalicelib.billing import orders
    from chalicelib.identity.repository import Account
    from chalicelib.platform.store.audit import audit_entry
    from chalicelib.platform.store.base import is_condition_failure, transaction
    from chalicelib.registration.repository import Registration, RegistrationRepository
    account = _account(user_sub)
    if is_erased(account):
        return {"user_id": user_sub, "erased": True, "already": True}
    regs = RegistrationRepository().list_mine(user_sub)
    live = [r.registration_id for r in regs if r.status in LIVE_REGISTRATION
            and r.payment_status == "unpaid"]
    moving = [o["order_id"] for o in orders.list_mine(deps, user_sub)["orders"]
              if o["status"] in UNFINISHED_ORDER]
    in_training = [r.registration_id for r in regs if r.status == "approved"
                   and r.payment_status == "paid" and not _edition_over(deps, r.edition_id, now)]
    if live or moving or in_training:
        raise ConflictError("尚有进行中的报名、培训或款项，请先撤回报名或待其办结后再申请注销",
                            code="ERASURE_BLOCKED", registrations=live + in_training, orders=moving)
    email, placeholder = account.email, erased_email(user_sub)
    try:
        with transaction() as tx:
            tx.update(account, actions=[Account.name.set(ERASED_NAME), Account.email.set(placeholder),
                                        Account.phone.remove(), Account.phone_norm.remove()],
                      condition=Account.email == email)
            for reg in regs:
                tx.update(reg, actions=[
                    Registration.name.set(ERASED_NAME), Registration.phone.set("-"),
                    Registration.email.set(placeholder),
                    Registration.edition_email.set(f"{reg.edition_id}#{placeholder}")],
                    condition=Registration.user_sub == user_sub)
            tx.save(audit_entry(f"account#{user_sub}", "account.erased", actor, now,
                                {"registrations": len(regs)}))
    except Exception as exc:
        if is_condition_failure(exc):  # erased by a racing request meanwhile
            return {"user_id": user_sub, "erased": True, "already": True}
        raise
    scrubbed = _scrub_mail(email, placeholder)
    deps.identity.delete_user(email)  # after commit; repeating it is harmless
    logger.info("personal data erased", extra={"user_sub": user_sub, "registrations": len(regs),
                                               "mail": scrubbed})
    return {"user_id": user_sub, "erased": True, "already": False,
            "registrations": len(regs), "mail": scrubbed}


def _edition_over(deps: Deps, edition_id: str, now: datetime) -> bool:
    """The training is over once its certificate window has closed."""
    from chalicelib.editions import service as editions
    closes = editions.get_edition(deps, edition_id).window("certificate").closes
    return closes is not None and now >= closes


def _scrub_mail(email: str, placeholder: str) -> int:
    """Outgoing mail to the person: address replaced, body (which names them) dropped."""
    from chalicelib.platform.mail.repository import Mail
    count = 0
    for m in Mail.by_recipient.query(email):
        m.update(actions=[Mail.to_addr.set(placeholder), Mail.body.set("（已按本人申请删除）"),
                          Mail.pending.remove()])
        count += 1
    return count
