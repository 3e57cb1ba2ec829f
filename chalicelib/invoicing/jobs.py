"""The invoicing feature's scheduled steps (steps of chalicelib/jobs): the invoice-deadline
reminder (`remind_deadlines`) and the issuing follow-up (`advance_invoices`)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from chalicelib.billing import queries as billing
from chalicelib.billing.states import Channel
from chalicelib.editions.edition import Edition
from chalicelib.invoicing import rules, service
from chalicelib.platform.deps import Deps
from chalicelib.platform.paging import Page, walk_pages

REMIND_PAGE = 100
ADVANCE_PAGE = 25  # each invoice costs a provider call or two


def remind_deadlines(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                     budget_s: float) -> tuple[dict[str, int], Any]:
    """Job step: paid orders of `edition` whose invoice window closes within
    rules.REMIND_DAYS and that have no invoice get one reminder. Walks the paid orders of
    each channel, only those paid when a window can be closing (one phase per channel)."""
    months = edition.invoice_window_months
    lo, hi = rules.reminder_paid_between(now, months)

    def paid_on(channel: str) -> Callable[[str | None], Page]:
        def page(token: str | None) -> Page:
            return billing.paid_orders_between(edition.edition_id, channel, lo, hi,
                                               REMIND_PAGE, token)
        return page

    counts, next_cursor = walk_pages(
        [paid_on(c.value) for c in Channel],
        lambda order: service.remind_deadline(deps, order, months, now), cursor, budget_s)
    return {"checked": counts["seen"], "reminded": counts["changed"]}, next_cursor


def advance_invoices(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                     budget_s: float) -> tuple[dict[str, int], Any]:
    """Job step (every 15 minutes): each invoice of `edition` still with the provider
    (requested, issuing) is looked at once: submitted, queried, retried or recorded issued
    with its documents (service.advance). An invoice that fails stays for the next run."""
    def page(token: str | None) -> Page:
        return service.repo.list_in_flight(edition.edition_id, ADVANCE_PAGE, token)

    counts, next_cursor = walk_pages([page], lambda inv: service.advance_one(deps, inv, now),
                                     cursor, budget_s)
    return {"checked": counts["seen"], "moved": counts["changed"]}, next_cursor
