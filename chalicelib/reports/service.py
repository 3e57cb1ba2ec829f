"""Read-only views for the web front end that no feature module serves: the admin's report
(funnel, registrations per day, income by channel), a unit's own registrations (the group
order builder picks from them) and finance's open bank transfers (group confirmations).
Reads only through the features' queries (keys and GSIs, no Scan); rules.py counts."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.billing import queries as billing
from chalicelib.billing.states import PAID_STATES, Channel, OrderStatus, RefundStatus
from chalicelib.editions import service as editions
from chalicelib.identity.accounts import get_account
from chalicelib.identity.units import require_verified
from chalicelib.learning import queries as learning
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ForbiddenError
from chalicelib.platform.paging import page_out
from chalicelib.registration import queries as registrations
from chalicelib.reports import rules


def summary(deps: Deps, edition_id: str | None, now: datetime) -> dict[str, Any]:
    """The funnel registered -> approved -> paid -> all courses done -> questionnaire ->
    certificate, registrations per day (Beijing dates) and income by channel, gross and
    net (rules.income_by_channel). Cost: one Query per registration status, per credited
    order queue (3 states x 3 channels), per refund status, per paid trainee's progress
    (10 items) and one on the questionnaire responses of the edition."""
    edition = editions.get_edition(deps, edition_id) if edition_id else editions.get_current(deps)
    eid = edition.edition_id
    by_status = {s: registrations.all_by_status(eid, s) for s in rules.STATUSES}
    done = sum(1 for r in rules.paid_registrations(by_status)
               if learning.all_courses_done(eid, r.user_sub, len(edition.courses)))
    responses = learning.responses_of_edition(eid)
    income = rules.income_by_channel(
        {c.value: [o for status in PAID_STATES
                   for o in billing.orders_in_queue(eid, status, c.value)] for c in Channel},
        edition_refunds(eid))
    return {"edition_id": eid, "title": edition.title, "generated_at": iso(now),
            "by_status": {s: len(v) for s, v in by_status.items()},
            "funnel": rules.funnel(by_status, done, responses),
            "registrations_per_day": rules.registrations_per_day(
                r for regs in by_status.values() for r in regs),
            "income_by_channel": income,
            "gross_total_fen": sum(i["gross_fen"] for i in income),
            "refunded_total_fen": sum(i["refunded_fen"] for i in income),
            "refunding_total_fen": sum(i["refunding_fen"] for i in income),
            "net_total_fen": sum(i["net_fen"] for i in income),
            "income_total_fen": sum(i["net_fen"] for i in income)}


def edition_refunds(edition_id: str) -> list[Any]:
    """Every refund of the edition, page by page over the four status queues."""
    out: list[Any] = []
    for status in RefundStatus:
        token: str | None = None
        while True:
            items, token = billing.page_refunds(edition_id, status.value, 500, token)
            out.extend(items)
            if token is None:
                break
    return out


def unit_registrations(deps: Deps, unit_sub: str, now: datetime) -> dict[str, Any]:
    """The current edition's registrations their trainees linked to this verified unit
    account (their own choice; nobody else's), each saying whether it can join a group
    order now and, if not, why. A pending or rejected unit sees nothing (403)."""
    account = get_account(unit_sub)
    if account.kind != "unit" or not account.unit_name:
        raise ForbiddenError("仅单位账号可以查看本单位报名", code="UNIT_ACCOUNT_REQUIRED")
    require_verified(unit_sub, now)
    edition = editions.get_current(deps)
    regs = registrations.linked_to_unit(edition.edition_id, unit_sub)
    return page_out("registrations", rules.unit_rows(regs), None,
                    unit_name=account.unit_name, credit_code=account.credit_code)


def open_transfers(deps: Deps, kind: str | None) -> dict[str, Any]:
    """Open bank-transfer orders of the current edition (oldest first), for finance to
    confirm: group remittances with their voucher/member-list uploads, and individuals."""
    edition = editions.get_current(deps)
    orders = billing.orders_in_queue(edition.edition_id, OrderStatus.OPEN, Channel.BANK_TRANSFER)
    return page_out("orders", rules.open_transfer_rows(orders, kind), None)
