"""Issue 17, the trainee/public half: the public landing page built from the edition, dates
shown inclusively (as the notice writes them), the compact phone layout, Chinese validation
in the page, the WeChat download hint and the accessibility gate (conftest: every
`page.shot()` runs axe-core)."""
from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

PHONE = (390, 844)
DESKTOP = (1366, 900)


def ui(page, script: str, *args):
    """Run `script` (a function of the ui.js module and args) inside the app's page."""
    return page.p.evaluate(f"""async (args) => {{
        const ui = await import("/web/ui.js");
        return ({script})(ui, ...args);
    }}""", list(args))


def test_end_dates_are_shown_as_the_last_day_the_notice_names(stack, new_page):
    page = new_page(*PHONE)
    page.goto("#/")
    got = ui(page, """(ui) => ({
        regDay: ui.untilDay("2026-04-11T00:00:00+08:00"),
        regUntil: ui.untilText("2026-04-11T00:00:00+08:00"),
        shortUntil: ui.untilText("2026-06-13T00:00:00+08:00", { year: false }),
        utc: ui.untilText("2026-06-30T16:00:00Z"),
        notMidnight: ui.endText("2026-05-06T15:30:00+08:00"),
        oneSecond: ui.endText("2026-04-11T00:00:01+08:00"),
        range: ui.rangeText("2026-04-03T00:00:00+08:00", "2026-04-11T00:00:00+08:00"),
        rangeYearEnd: ui.rangeText("2026-12-20T00:00:00+08:00", "2027-01-01T00:00:00+08:00"),
        rangeCross: ui.rangeText("2026-12-20T00:00:00+08:00", "2027-01-02T00:00:00+08:00"),
        rangeTimed: ui.rangeText("2026-04-03T09:30:00+08:00", "2026-04-11T00:00:00+08:00", { year: false }),
        start: ui.dayText("2026-04-13T00:00:00+08:00"),
        startTimed: ui.dayText("2026-04-05T10:00:00+08:00"),
        newYear: ui.untilDay("2027-01-01T00:00:00+08:00", { year: true }),
        march: ui.untilDay("2028-03-01T00:00:00+08:00"),
        missing: ui.untilText(null),
    })""")
    assert got == {
        "regDay": "4月10日", "regUntil": "至 2026年4月10日 24:00", "shortUntil": "至 6月12日 24:00",
        "utc": "至 2026年6月30日 24:00", "notMidnight": "2026年5月6日 15:30",
        "oneSecond": "2026年4月11日 00:00", "range": "2026年4月3日至4月10日",
        "rangeYearEnd": "2026年12月20日至12月31日",
        "rangeCross": "2026年12月20日至2027年1月1日", "rangeTimed": "4月3日 09:30至4月10日",
        "start": "2026年4月13日", "startTimed": "2026年4月5日 10:00", "newYear": "2026年12月31日",
        "march": "2月29日", "missing": "—",
    }
