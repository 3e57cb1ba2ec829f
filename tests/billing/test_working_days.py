"""The 5-working-day review date on the official calendar (chinese-calendar)."""
from __future__ import annotations

from chalicelib.platform.clock import iso, parse_instant
from chalicelib.platform.working_days import review_due


def test_across_qingming_2026() -> None:
    # Submitted Fri 2026-04-03; Sat 4 - Mon 6 is the Qingming holiday: Apr 7, 8, 9, 10, 13
    due = review_due(parse_instant("2026-04-03T23:59:59+08:00"), 5)
    assert iso(due) == "2026-04-14T00:00:00+08:00"


def test_across_labour_day_2026_with_the_adjusted_saturday() -> None:
    # Submitted Thu 2026-04-30; May 1-5 holiday; Sat May 9 is a working day: May 6, 7, 8, 9, 11
    due = review_due(parse_instant("2026-04-30T09:00:00+08:00"), 5)
    assert iso(due) == "2026-05-12T00:00:00+08:00"


def test_day_boundary_is_shanghai_not_utc() -> None:
    # 2026-04-02 23:30 in Beijing is still Thursday there (15:30 UTC): Apr 3, 7, 8, 9, 10
    due = review_due(parse_instant("2026-04-02T23:30:00+08:00"), 5)
    assert iso(due) == "2026-04-11T00:00:00+08:00"
    # Half an hour later it is Friday: one more day
    due = review_due(parse_instant("2026-04-03T00:00:00+08:00"), 5)
    assert iso(due) == "2026-04-14T00:00:00+08:00"
