"""Working days on the official Chinese calendar (public holidays and the adjusted working
weekends), from the maintained `chinese-calendar` package."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from chalicelib.platform.clock import SHANGHAI, UTC


def is_working_day(day: date) -> bool:
    import chinese_calendar
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package does not know yet: Mon-Fri
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (start itself does not count)."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def review_due(submitted_at: datetime, days: int) -> datetime:
    """Finance reviews a bank transfer by the end (Asia/Shanghai) of the `days`-th working
    day after the day it was submitted; returned as the exclusive instant, in UTC."""
    local_day = submitted_at.astimezone(SHANGHAI).date()
    due_day = add_working_days(local_day, days)
    return datetime.combine(due_day + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(UTC)
