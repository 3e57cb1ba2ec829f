"""When each scheduled job is due, as data: a job is a name, a label, its step (as
"module:function", imported only when it runs) and a due-time rule derived from the
edition's calendar (so next year's edition needs no code change). Pure: no storage."""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from chalicelib.editions.edition import Edition
from chalicelib.platform.clock import SHANGHAI, shanghai

# step(deps, edition, now, cursor, budget_s) -> (counts, next_cursor | None)
Step = Callable[[Any, Any, datetime, Any, float], tuple[dict[str, int], Any]]


@dataclass(frozen=True)
class JobDef:
    """A job: its name, what it does, when it is due for an edition, and its step (as
    "module:function", imported only when it runs: heavy or not-yet-deployed code stays off
    the cold-start path and a missing module is reported, not a crash)."""
    name: str
    label: str
    step: str
    due: Callable[[Edition | None, datetime], list[datetime]]
    per_edition: bool = True
    keep_s: int | None = None  # periodic runs: forget the record after this


def resolve(spec: str) -> Step | None:
    module_name, _, attr = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:  # the module exists but is broken: that is a bug
            raise
        return None
    fn = getattr(module, attr, None)
    return fn if callable(fn) else None


# --- due-time helpers (used by the definitions) -----------------------------------------
def at_dates(*getters: Callable[[Edition], datetime | None]
             ) -> Callable[[Edition | None, datetime], list[datetime]]:
    """Due once at each of the edition's dates."""
    def due(edition: Edition | None, now: datetime) -> list[datetime]:
        assert edition is not None
        return sorted({d for d in (g(edition) for g in getters) if d is not None})
    return due


def daily(at_local: time, active_from: Callable[[Edition], datetime],
          active_until: Callable[[Edition], datetime]
          ) -> Callable[[Edition | None, datetime], list[datetime]]:
    """Due every day at `at_local` (Asia/Shanghai) while the edition's period is active;
    only the latest occurrence counts (the job catches up on whatever it missed)."""
    def due(edition: Edition | None, now: datetime) -> list[datetime]:
        assert edition is not None
        local = shanghai(now)
        slot = datetime.combine(local.date(), at_local, tzinfo=SHANGHAI)
        if slot > local:
            slot -= timedelta(days=1)
        if not active_from(edition) <= slot < active_until(edition):
            return []
        return [slot.astimezone(now.tzinfo)]
    return due


def every(minutes: int) -> Callable[[Edition | None, datetime], list[datetime]]:
    """Due at every `minutes` slot (UTC-aligned): the latest slot only."""
    def due(edition: Edition | None, now: datetime) -> list[datetime]:
        slot = now.replace(second=0, microsecond=0)
        return [slot - timedelta(minutes=slot.minute % minutes)]
    return due


def edition_end(edition: Edition) -> datetime:
    """The last instant any per-edition job of `edition` can become due: certificates
    expire, and the invoice window of an order paid on the last day of learning ends."""
    invoices_end = edition.windows.learning.closes + timedelta(
        days=31 * edition.invoice_window_months + 2)
    return max(edition.windows.certificate.closes, invoices_end)
