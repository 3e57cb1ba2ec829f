"""The invoicing feature's scheduled step: the invoice-deadline reminder
(`chalicelib.invoicing.jobs:remind_deadlines`, a step of chalicelib/jobs)."""
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
