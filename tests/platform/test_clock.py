"""Times as the notice writes them (platform.clock.notice_time): Beijing time, and a window's
exclusive end at midnight read as the day before at 24:00."""
from __future__ import annotations

from chalicelib.platform.clock import notice_time, parse_instant


def test_an_end_at_midnight_is_the_day_before_at_24():
    assert notice_time(parse_instant("2026-04-11T00:00:00+08:00"), end=True) == "2026年4月10日 24:00"
    # the same instant as a start is that day's beginning
    assert notice_time(parse_instant("2026-04-11T00:00:00+08:00")) == "2026年4月11日 00:00"


def test_other_times_are_beijing_wall_time():
    assert notice_time(parse_instant("2026-06-30T07:30:00Z"), end=True) == "2026年6月30日 15:30"
    # UTC midnight is 08:00 in Beijing: not an end-of-day
    assert notice_time(parse_instant("2026-07-01T00:00:00Z"), end=True) == "2026年7月1日 08:00"
