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


def header_height(page) -> float:
    return page.p.evaluate("document.querySelector('header.top').getBoundingClientRect().height")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_landing_page_shows_the_notice_and_one_join_action(stack, new_page, size):
    # Given registration is open (2026-04-05) and nobody is signed in
    stack.set_clock("2026-04-05T10:00:00+08:00")
    page = new_page(*size)
    p = page.p
    # When they open the platform's address
    page.goto("#/")
    landing = p.locator(".landing")
    landing.wait_for()
    text = p.locator("main").inner_text()
    # Then the page says what the training is, with the courses and their hours
    assert p.get_by_role("heading", level=1).inner_text() == "2026年图书馆员在职专业培训"
    assert "中图学字〔2026〕17号" in text and "全国各级各类图书馆工作者" in text
    courses = p.locator("#landing-courses li")
    assert courses.count() == 10
    assert "图书馆史" in courses.first.inner_text() and "3 学时" in courses.first.inner_text()
    assert "共 30 学时" in text
    # and the schedule as the notice writes it: every end date the last day, inclusive
    for period in ("4月3日至4月10日", "4月13日至6月12日", "4月20日至6月12日", "6月1日至6月30日", "4月12日 24:00"):
        assert period in text, period
    for exclusive in ("4月11日", "6月13日", "7月1日", "00:00"):
        assert exclusive not in text, exclusive
    # the fees, the steps in the notice's menu words, and the contacts
    assert "¥400.00" in text and "¥490.00" in text
    steps = p.locator("#landing-steps").inner_text()
    for words in ("我的云课堂", "我的考试", "我的选课", "个人中心—订单发票", "选学"):
        assert words in steps, words
    assert "010-88545653" in text and "ztxhcaiwu@nlc.cn" in text
    assert "正在报名，4月10日 24:00 截止" in p.locator("#reg-state").inner_text()
    # and one clear action, leading to sign-up
    primary = p.locator("main .btn-primary")
    assert primary.count() == 1 and primary.inner_text() == "参加培训（注册报名）"
    if size == PHONE:
        assert header_height(page) <= 120, header_height(page)
    # 登录 is on the screen once: at the top right on the phone, in the navigation on a desktop
    assert sum(1 for a in p.get_by_role("link", name="登录", exact=True).all() if a.is_visible()) == 1
    name = "landing-" + ("390" if size == PHONE else "1366")
    page.shot(name)
    page.assert_fits()
    primary.click()
    p.get_by_label("密码").wait_for()
    assert p.url.endswith("#/signup")


def test_landing_after_registration_closed_says_so(stack, new_page):
    stack.set_clock("2026-04-11T00:00:00+08:00")  # the exclusive bound itself
    page = new_page(*PHONE)
    page.goto("#/")
    state = page.p.locator("#reg-state")
    state.wait_for()
    assert state.inner_text() == "本届报名已于 2026年4月10日 24:00 截止"
    assert page.p.locator("#join").inner_text() == "登录查看我的培训"


@pytest.fixture(scope="module")
def certified(stack):
    """One trainee with an issued certificate (made through the API once per module)."""
    return stack.certified_trainee("王小梅")


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_signed_in_header_is_compact_and_the_menu_uses_the_notices_words(stack, new_page, certified, size):
    email, token, _ = certified
    stack.set_clock("2026-04-21T09:00:00+08:00")
    page = new_page(*size)
    p = page.p
    page.sign_in(stack, token)
    p.get_by_role("heading", name="您好，王小梅").wait_for()
    toggle = p.get_by_role("button", name="菜单")
    nav = p.get_by_role("navigation", name="主导航")
    labels = ["我的培训", "我的云课堂", "我的考试", "我的选课·证书", "个人中心—订单发票", "账号与隐私", "联系与帮助"]
    name = "home-" + ("390" if size == PHONE else "1366")
    print(f"header at {size[0]}x{size[1]}: {header_height(page):.0f} px")
    if size == PHONE:
        # On the phone the header is one row: the menu sits behind one button
        assert header_height(page) <= 120, header_height(page)
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not nav.get_by_role("link", name="我的云课堂").is_visible()
        page.shot(name)
        page.assert_fits()
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert [a.inner_text() for a in nav.get_by_role("link").all()] == labels
        page.shot(name + "-menu")
        # Escape closes it and gives focus back to the button
        p.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert p.evaluate("document.activeElement.id") == "menu-toggle"
        toggle.click()
    else:
        assert not toggle.is_visible()
        assert header_height(page) <= 80, header_height(page)
        assert [a.inner_text() for a in nav.get_by_role("link").all()] == labels
        page.shot(name)
        page.assert_fits()
    # Choosing a page goes there and closes the menu
    nav.get_by_role("link", name="我的考试").click()
    p.get_by_role("heading", name="课程效果问卷").wait_for()
    assert p.locator("#nav a[aria-current=page]").inner_text() == "我的考试"
    assert p.locator("#menu-toggle").get_attribute("aria-expanded") == "false"
    # The calendar on the home page shows the notice's inclusive dates
    page.goto("#/home")
    calendar = p.locator(".windows")
    calendar.wait_for()
    cal = calendar.inner_text()
    for period in ("2026年4月3日至4月10日", "2026年4月13日至6月12日", "2026年6月1日至6月30日", "至 2026年4月12日 24:00"):
        assert period in cal, period
    assert "00:00" not in cal and "4月11日" not in cal and "7月1日" not in cal
    assert "2026年4月5日 10:00" in p.locator(".registration").inner_text()  # submitted at
    # The training's public page stays one tap away for a signed-in trainee (the footer)
    p.locator("footer").get_by_role("link", name="培训介绍").click()
    p.locator(".landing #join").wait_for()
    assert p.locator(".landing #join").inner_text() == "进入我的培训"  # registration closed on 4/21


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_certificate_page_after_the_window_says_it_closed(stack, new_page, certified, size):
    # Given a trainee downloaded the certificate in June, and it is now 2026-07-02
    _, token, number = certified
    stack.set_clock("2026-07-02T09:00:00+08:00")
    page = new_page(*size)
    page.sign_in(stack, token)
    page.goto("#/certificate")
    note = page.p.locator("#cert-window")
    note.wait_for()
    text = page.p.locator("main").inner_text()
    # Then the page says the download window closed (not that it is about to open)
    assert note.inner_text().startswith("证书下载期已于 2026年6月30日 24:00 结束")
    assert "开放下载" not in text and "7月1日" not in text and "2026-06-01" not in text
    assert "证书下载时间：2026年6月1日至6月30日" in text
    assert page.p.locator("#cert-no").inner_text() == number  # the number still shows, to verify
    assert page.p.get_by_role("button", name="下载证书（PDF）").count() == 0
    page.shot("certificate-after-0701-" + ("390" if size == PHONE else "1366"))
    page.assert_fits()


def test_wechat_browser_gets_the_download_hint(stack, browser, certified):
    """Inside WeChat (user agent MicroMessenger) the certificate's download button comes with
    the note to open the page in a real browser; a normal browser shows no note."""
    _, token, _ = certified
    stack.set_clock("2026-06-10T09:00:00+08:00")
    from tests.browser.conftest import Page
    wechat_ua = ("Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 "
                 "MMWEBID/2247 MicroMessenger/8.0.47.2560(0x28002F30) WeChat/arm64 Weixin NetType/WIFI "
                 "Language/zh_CN ABI/arm64")
    results = {}
    for label, ua in (("wechat", wechat_ua), ("chrome", None)):
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", **({"user_agent": ua} if ua else {}))
        try:
            page = Page(ctx.new_page(), stack.base)
            page.sign_in(stack, token)
            page.goto("#/certificate")
            page.p.get_by_role("button", name="下载证书（PDF）").wait_for()
            hint = page.p.locator(".wechat-hint")
            results[label] = hint.inner_text() if hint.count() else None
            if label == "wechat":
                page.shot("certificate-wechat-390")
            page.check_console()
        finally:
            ctx.close()
    assert results["chrome"] is None
    assert results["wechat"] and "在浏览器打开" in results["wechat"] and "微信内不能下载文件" in results["wechat"]


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_public_verify_page(stack, new_page, certified, size):
    _, _, number = certified
    page = new_page(*size)
    p = page.p
    # The hint points where the certificate prints its number: bottom left, by the QR code
    p.goto(f"{stack.base}/verify.html")
    assert "左下角" in p.locator("#no-hint").inner_text()
    page.expect_http_error()  # the unknown number's 404, shown as the message below
    p.get_by_label("证书编号").fill("2026-NOPE-NOPE-NOPE-NOPE1")
    p.get_by_role("button", name="查验").click()
    p.locator("#verify-bad").wait_for()
    # A real number: genuine, the name masked, the date as a date
    p.goto(f"{stack.base}/verify.html?no={number}")
    p.locator("#verify-ok").wait_for()
    facts = p.locator("dl").inner_text()
    assert "王小梅" not in facts and "30" in facts and "2026年6月2日" in facts
    page.shot("verify-" + ("390" if size == PHONE else "1366"))
    page.assert_fits()


def test_registration_form_is_checked_in_the_page_in_the_servers_words(stack, new_page):
    stack.set_clock("2026-04-05T10:00:00+08:00")
    _, token = stack.trainee("赵敏")
    page = new_page(*PHONE)
    p = page.p
    sent = []
    p.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/registrations") else None)
    page.sign_in(stack, token)
    form = p.get_by_role("form", name="报名表")
    form.wait_for()
    # When they send the form with fields missing and a malformed phone number
    p.get_by_label("手机号").fill("138-abc")
    p.get_by_role("button", name="提交报名").click()
    # Then the page lists each problem by the field's Chinese name, sends nothing,
    # and puts the cursor in the first field to fix
    alert = form.get_by_role("alert")
    alert.wait_for()
    problems = alert.inner_text()
    for message in ("请填写单位名称", "请填写职务", "请填写地区", "手机号只能由数字"):
        assert message in problems, message
    assert sent == []
    assert p.evaluate("document.activeElement.name") == "unit_name"
    assert p.get_by_label("单位名称").get_attribute("aria-invalid") == "true"
    page.shot("registration-invalid-390")
    # When what only the server can refuse gets through (a hidden text-direction character)
    p.get_by_label("单位名称").fill("国家图书馆")
    p.get_by_label("职务").fill("馆员")
    p.get_by_label("地区").fill("北京\u202e")
    p.get_by_label("手机号").fill("13800138000")
    page.expect_http_error()
    p.get_by_role("button", name="提交报名").click()
    # Then the server's message names the same field the page calls it, and focuses it
    p.wait_for_function("document.activeElement && document.activeElement.name === 'region'")
    server = form.get_by_role("alert").inner_text()
    assert "地区" in server and "文字方向控制符" in server, server
    assert len(sent) == 1
    # And once corrected, the registration goes through
    p.get_by_label("地区").fill("北京")
    p.get_by_role("button", name="提交报名").click()
    p.locator(".registration[data-status=pending]").wait_for()


def test_landing_page_is_small_and_loads_no_other_area(stack, new_page):
    """Issue 18's budget: the first page a visitor opens is at most 60 KB gzip, and it loads
    none of the signed-in areas' modules (they come when first used)."""
    import gzip

    page = new_page(*PHONE)
    bodies: dict[str, int] = {}

    def record(response):
        if response.request.resource_type in ("document", "script", "stylesheet", "fetch", "xhr", "image", "font"):
            try:
                bodies[response.url] = len(gzip.compress(response.body(), 9))
            except Exception:  # noqa: BLE001 - a redirect has no body
                pass

    page.p.on("response", record)
    page.goto("#/")
    page.p.locator(".landing").wait_for()
    page.p.wait_for_load_state("networkidle")
    names = sorted(u.split("?")[0].rsplit("/", 1)[-1] for u in bodies)
    total = sum(bodies.values())
    print(f"landing page: {total} bytes gzip in {len(bodies)} responses: {names}")
    assert total <= 60 * 1024, (total, names)
    for module in ("trainee.js", "pay.js", "learn.js", "staff.js", "finance.js", "unit.js", "invoice.js", "auth.js"):
        assert module not in names, module
    assert "landing.js" in names


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_help_page_contacts_reflow_and_dates_are_inclusive(stack, new_page, size):
    page = new_page(*size)
    p = page.p
    page.goto("#/help")
    p.get_by_role("heading", name="联系与帮助", level=1).wait_for()
    text = p.locator("main").inner_text()
    assert "2026年4月12日 24:00（4月13日开课前）可申请退费" in text
    assert "个人中心—订单发票" in text
    cell = p.locator("td[data-label=电话]").first
    # On the phone each contact is a card: the column's name shows in front of each value
    label = p.evaluate("(td) => getComputedStyle(td, '::before').content", cell.element_handle())
    assert label == ('"电话"' if size == PHONE else "none"), label
    page.shot("help-" + ("390" if size == PHONE else "1366"))
    page.assert_fits()


def test_reflowed_table_keeps_its_table_semantics(stack, new_page):
    """(Chromium keeps a block-laid table's semantics by itself; the explicit roles ui.table
    adds are for WebKit, whose iPhone browsers drop them. This checks what Chromium says.)"""
    page = new_page(*PHONE)
    page.goto("#/help")
    table = page.p.get_by_role("table").first
    table.wait_for()
    assert table.evaluate("(t) => getComputedStyle(t).display") == "block"  # laid out as cards
    # Chromium's own accessibility tree (what a screen reader gets) still has the table,
    # its column headers and its cells
    cdp = page.p.context.new_cdp_session(page.p)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    roles = {(n.get("role", {}).get("value"), n.get("name", {}).get("value")) for n in nodes}
    assert any(r == "table" for r, _ in roles)
    assert ("columnheader", "电话") in roles
    assert ("cell", "电话 010-88545653") in roles  # the card's label is read with the value


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_login_page_header_and_accessibility(stack, new_page, size):
    page = new_page(*size)
    page.goto("#/login")
    page.p.get_by_label("密码").wait_for()
    if size == PHONE:
        assert header_height(page) <= 120, header_height(page)
    page.shot("login-" + ("390" if size == PHONE else "1366"))  # the axe gate runs here
    page.assert_fits()


def test_the_accessibility_gate_catches_a_serious_violation(stack, new_page, monkeypatch):
    """The gate itself: a page with a nameless button and low-contrast text fails it, with
    the rules named; the same page without them passes."""
    monkeypatch.setattr("tests.browser.conftest.AXE_GATE", "fail")
    page = new_page(*PHONE)
    page.goto("#/")
    page.p.locator(".landing").wait_for()
    page.p.evaluate("""() => {
        const box = document.createElement("div");
        box.id = "bad";
        box.innerHTML = '<button type="button"></button><p style="color:#ccc;background:#fff">看不清的字</p>';
        document.querySelector("main").append(box);
    }""")
    with pytest.raises(AssertionError) as failed:
        page.assert_accessible("gate-self-test")
    assert "critical button-name" in str(failed.value) and "serious color-contrast" in str(failed.value)
    page.p.evaluate("document.getElementById('bad').remove()")
    page.assert_accessible("gate-self-test")
