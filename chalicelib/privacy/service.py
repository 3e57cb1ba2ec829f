"""Personal data on request: a trainee's export (everything the platform holds about them)
and erasure (their name and contact replaced wherever the law lets us; what finance must
keep is kept). Retention policy: docs/hardening.md, "Personal data"."""
from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from chalicelib.billing import orders, personal_data as billing_data, queries as billing_queries
from chalicelib.billing.refunds import view as refund_view
from chalicelib.billing.states import OrderStatus
from chalicelib.certificates import queries as certificates
from chalicelib.editions import service as editions
from chalicelib.identity.errors import AccountNotFoundError
from chalicelib.editions.errors import EditionNotFoundError
from chalicelib.identity import accounts, personal_data as identity_data, queries as identity_queries
from chalicelib.identity.accounts import Account, erased_email, is_erased
from chalicelib.invoicing import service as invoices
from chalicelib.learning import queries as learning, transitions as learning_writes
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ConflictError
from chalicelib.platform import sessions
from chalicelib.platform.mail import outbox
from chalicelib.platform.observability import logger
from chalicelib.platform.store.audit import history
from chalicelib.platform.store.base import committed
from chalicelib.registration import queries as registration_queries, service as registrations
from chalicelib.registration.states import LIVE, PaymentStatus, RegistrationStatus

ERASED_NAME = "已注销用户"
ERASED_PHONE = "-"
# Money matters still moving: erasure waits until they are final (the person is needed).
UNFINISHED_ORDER = {OrderStatus.OPEN.value, OrderStatus.RESERVING.value,
                    OrderStatus.REFUNDING.value}


def _account(user_sub: str) -> Account:
    try:
        return accounts.get_account(user_sub, consistent_read=True)
    except AccountNotFoundError as exc:
        raise AccountNotFoundError("账号不存在") from exc


def export(deps: Deps, user_sub: str, now: datetime) -> dict[str, Any]:
    """Everything held about the person, in one JSON document (PIPL art. 45: a copy)."""
    account = _account(user_sub)
    regs = registrations.list_mine(user_sub)["registrations"]
    return {
        "exported_at": iso(now),
        "account": {"user_id": account.user_sub, "email": account.email, "name": account.name,
                    "phone": account.phone, "kind": account.kind, "unit_name": account.unit_name,
                    "credit_code": account.credit_code, "created_at": iso(account.created_at),
                    "email_verified": identity_queries.email_verified(account),
                    "phone_verified": identity_queries.phone_verified(account),
                    "erased": is_erased(account)},
        "registrations": regs,
        "orders": (mine := orders.list_mine(deps, user_sub)["orders"]),
        "refunds": _refunds(account, regs, mine),
        "invoices": invoices.list_mine(user_sub)["invoices"],
        "learning": _learning(user_sub, regs),
        "mail": [] if is_erased(account) else outbox.mails_to(account.email),
        "history": [{"entity": e.entity, "action": e.action, "at": iso(e.at)}
                    for r in regs for e in history(f"registration#{r['registration_id']}")],
        "questionnaire": (answered := _questionnaire(regs)),
        "certificates": _certificates(answered),
        "membership": _membership(deps, account, now),
        # unit, unit_invitations, staff_mfa, codes, attempt_counters
        **identity_data.export_view(account),
    }


def _refunds(account: Account, regs: list[dict[str, Any]],
             mine: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The refunds of the person's share of each order (a unit: all of its group orders')."""
    own = {r["registration_id"] for r in regs}
    return [refund_view(f) for o in mine for f in billing_queries.refunds_of_order(o["order_id"])
            if account.kind == "unit" or f.registration_id in own]


def _questionnaire(regs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each questionnaire response with its answers and what became of the certificate."""
    out = []
    for r in regs:
        record = learning.response_of(r["registration_id"])
        if record is not None:
            out.append({"registration_id": record.registration_id,
                        "edition_id": record.edition_id, "submitted_at": iso(record.submitted_at),
                        "answers": learning.answers_of(record.registration_id),
                        "certificate_no": record.certificate_no,
                        "certificate_state": record.certificate_state})
    return out


def _certificates(answered: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The certificates issued to the person (kept as issued after an erasure: an official
    document third parties verify)."""
    found = certificates.get_certificates([a["certificate_no"] for a in answered
                                           if a["certificate_no"]])
    return [{"certificate_no": c.certificate_no, "edition_id": c.edition_id,
             "holder_name": c.holder_name, "unit_name": c.unit_name, "hours": int(c.hours),
             "issued_at": iso(c.issued_at), "status": c.status}
            for c in sorted(found.values(), key=lambda c: c.issued_at)]


def _membership(deps: Deps, account: Account, now: datetime) -> dict[str, Any] | None:
    """The roster row the account reaches through its verified contact points, as /me
    shows it (None: no current edition, or the account is erased)."""
    if is_erased(account):
        return None
    try:
        edition = editions.get_current(deps)
    except EditionNotFoundError:
        return None
    return identity_queries.membership_status(account, edition, now)


def _learning(user_sub: str, regs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"edition_id": edition_id, "course_id": p.course_id, "credited_s": p.credited_s}
            for edition_id in sorted({r["edition_id"] for r in regs if r.get("edition_id")})
            for p in learning.progress_of(edition_id, user_sub)]


def erase(deps: Deps, user_sub: str, actor: str, now: datetime) -> dict[str, Any]:
    """Replace the person's name and contact in their account, registrations and outgoing
    mail; remove their sign-in. Orders, payments, refunds, invoices and certificates stay
    as issued (accounting records and an official document third parties verify).
    Refused while a registration is live or money is still moving. Repeating is harmless."""
    account = _account(user_sub)
    if is_erased(account):
        sessions.revoke(user_sub, closed=True)  # a repeat after a failure before the sign-out
        return {"user_id": user_sub, "erased": True, "already": True}
    regs = registration_queries.registrations_of_user(user_sub)
    live = [r.registration_id for r in regs if r.status in LIVE
            and r.payment_status == PaymentStatus.UNPAID.value]
    mine = orders.list_mine(deps, user_sub)["orders"]
    moving = [o["order_id"] for o in mine if o["status"] in UNFINISHED_ORDER]
    in_training = [r.registration_id for r in regs if r.status == RegistrationStatus.APPROVED.value
                   and r.payment_status == PaymentStatus.PAID.value
                   and not _edition_over(deps, r.edition_id, now)]
    if live or moving or in_training:
        raise ConflictError("尚有进行中的报名、培训或款项，请先撤回报名或待其办结后再申请注销",
                            code="ERASURE_BLOCKED", registrations=live + in_training, orders=moving)
    email, placeholder = account.email, erased_email(user_sub)
    # Everything else first: the account's erasure is the commit point (a repeat after a
    # failure in between finds the account unerased and does it all again; each step finds
    # nothing left of what it did the first time).
    count = registrations.erase_person(user_sub, ERASED_NAME, ERASED_PHONE, placeholder)
    for reg in regs:  # the questionnaire responses keep the name and e-mail they were written with
        if learning.response_of(reg.registration_id) is not None:
            committed(partial(learning_writes.erase_contact, registration_id=reg.registration_id,
                              name=ERASED_NAME, email=placeholder))
    identity = identity_data.erase(deps, account, placeholder, actor, now)
    refunds = billing_data.erase_refund_contact([o["order_id"] for o in mine], email, placeholder)
    scrubbed = outbox.scrub_recipient(email, placeholder)
    # Signed out everywhere and the sign-in deleted before the commit point as well: after
    # it, a repeat could no longer find the provider's user (its e-mail is gone), which
    # would keep e-mail and name. Refresh tokens revoked, the user deleted, and only then
    # the id tokens refused at the boundary: if the provider fails, the person's own session
    # still works to ask again. Each call is harmless to repeat.
    deps.identity.global_sign_out(email)
    deps.identity.delete_user(email)
    sessions.revoke(user_sub, closed=True)
    if not accounts.erase_account(account, ERASED_NAME, placeholder, actor, now,
                                  {"registrations": count, "mail": scrubbed, "refunds": refunds,
                                   **identity}):
        return {"user_id": user_sub, "erased": True, "already": True}  # a racing request won
    logger.info("personal data erased", extra={"user_sub": user_sub, "registrations": count,
                                               "mail": scrubbed, "refunds": refunds, **identity})
    return {"user_id": user_sub, "erased": True, "already": False,
            "registrations": count, "mail": scrubbed, "refunds": refunds, **identity}


def _edition_over(deps: Deps, edition_id: str, now: datetime) -> bool:
    """The training is over once its certificate window has closed."""
    closes = editions.get_edition(deps, edition_id).window("certificate").closes
    return closes is not None and now >= closes
