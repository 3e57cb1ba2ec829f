"""账号与隐私 in Chromium (issue 14): a trainee reaches the page from the navigation, downloads
the export (Playwright's download event: the file's name and JSON), is refused erasure while
a paid training is not over (the server's 409 message and the day it becomes possible shown,
nothing erased), and an unpaid trainee erases the account after typing 注销 (the button
disabled before): signed out here, the old id token refused, the password refused.
Screenshots at 390x844 and 1366x900."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.browser.conftest import PASSWORD, unique_email

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
PHONE_SIZE = (390, 844)
DESKTOP = (1366, 900)
BEIJING = timezone(timedelta(hours=8))


def _open_from_nav(page, width: int) -> None:
    """Through the navigation, as a person would (the phone's menu button first)."""
    if width < 700 and page.p.get_by_role("button", name="菜单").is_visible():
        page.p.get_by_role("button", name="菜单").click()
    page.p.get_by_role("navigation", name="主导航").get_by_role("link", name="账号与隐私").click()
    page.p.get_by_role("heading", name="账号与隐私", level=1).wait_for()


def _end_text(iso: str) -> str:
    """The last moment an exclusive bound allows, as the notice writes it (a bound at
    midnight is the day before at 24:00): the oracle for the page's date."""
    at = datetime.fromisoformat(iso).astimezone(BEIJING)
    if (at.hour, at.minute, at.second) == (0, 0, 0):
        last = at - timedelta(seconds=1)
        return f"{last.year}年{last.month}月{last.day}日 24:00"
    return f"{at.year}年{at.month}月{at.day}日 {at.hour:02d}:{at.minute:02d}"


def _blob_readable(page, url: str) -> bool:
    return bool(page.p.evaluate("(u) => fetch(u).then(() => true, () => false)", url))


def _session(page) -> object:
    return page.p.evaluate("() => localStorage.getItem('lsc.session')")


def test_export_downloads_and_a_paid_training_blocks_erasure(stack, new_page, tmp_path):
    email, token, rid = stack.paid_trainee("秦隐")  # the clock at 2026-04-05 10:00
    edition = stack.ok("GET", "/editions/current")
    for width, height in (PHONE_SIZE, DESKTOP):
        page = new_page(width, height)
        page.sign_in(stack, token)
        _open_from_nav(page, width)
        held = page.p.get_by_role("region", name="平台保存的您的信息")
        for item in ("账号与联系方式", "报名与交费", "学习记录", "问卷", "证书", "单位认证材料"):
            assert held.get_by_text(item, exact=True).is_visible(), item
        page.assert_fits()
        page.shot(f"privacy-page-{width}")

    # 下载我的个人信息: a JSON file named after the day of the export, naming the trainee
    with page.p.expect_download() as info:
        page.p.get_by_role("button", name="下载我的个人信息").click()
    download = info.value
    assert download.suggested_filename == "个人信息-2026-04-05.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = json.loads(Path(saved).read_text(encoding="utf-8"))
    assert data["account"]["email"] == email and data["account"]["name"] == "秦隐"
    assert [r["registration_id"] for r in data["registrations"]] == [rid]
    assert data["orders"] and data["orders"][0]["status"] == "paid"
    page.p.get_by_role("link", name="个人信息-2026-04-05.json").wait_for()  # kept for a second try

    # 注销账号 while the paid training runs: the typed word first, then the server's refusal
    page.p.get_by_role("button", name="注销账号…").click()
    dialog = page.p.get_by_role("dialog", name="确认注销账号？")
    submit = dialog.get_by_role("button", name="确认注销")
    assert submit.is_disabled()
    page.expect_http_error(1)
    dialog.get_by_label("请输入“注销”两个字以确认").fill("注销")
    held: list = []  # the request held on the wire: Esc meanwhile does not drop its answer
    page.p.route("**/me/erasure", lambda route: held.append(route))
    submit.click()
    for _ in range(100):
        if held:
            break
        page.p.wait_for_timeout(50)
    assert held and submit.is_disabled()
    page.p.keyboard.press("Escape")
    dialog.get_by_role("button", name="取消").click(force=True)
    assert dialog.is_visible()
    held[0].continue_()
    page.p.unroute("**/me/erasure")
    blocked = dialog.locator("#erase-blocked")
    blocked.wait_for()
    text = blocked.text_content()
    assert "尚有进行中的报名、培训或款项" in text
    closes = edition["windows"]["certificate"]["closes"]
    assert rid in text and f"证书下载期至 {_end_text(closes)}，结束后可申请注销" in text, text
    page.assert_fits()
    page.shot(f"privacy-erasure-blocked-{width}")
    dialog.get_by_role("button", name="取消").click()
    assert page.p.get_by_role("dialog").count() == 0

    # Nothing erased: still signed in here, the token and the password still work
    assert _session(page) is not None
    me = stack.ok("GET", "/me", token=token)
    assert me["email"] == email and me["name"] == "秦隐"
    assert stack.call("POST", "/auth/login", {"email": email, "password": PASSWORD})[0] == 200


def test_an_unpaid_trainee_withdraws_then_erases_after_typing_the_word(stack, new_page):
    stack.set_clock("2026-04-05T10:00:00+08:00")
    email, token = stack.trainee("许清", tag="erase")
    rid = stack.ok("POST", "/registrations", {"unit_name": "国家图书馆", "job_title": "馆员",
                                              "region": "北京"}, token=token)["registration_id"]
    for width, height in (PHONE_SIZE, DESKTOP):
        page = new_page(width, height)
        page.sign_in(stack, token)
        _open_from_nav(page, width)
        page.p.get_by_role("button", name="注销账号…").click()
        dialog = page.p.get_by_role("dialog", name="确认注销账号？")
        dialog.get_by_text("已颁发的结业证书").wait_for()
        submit = dialog.get_by_role("button", name="确认注销")
        box = dialog.get_by_label("请输入“注销”两个字以确认")
        assert submit.is_disabled()
        box.fill("注")
        assert submit.is_disabled()
        box.fill("删除")
        assert submit.is_disabled()
        page.assert_fits()
        page.shot(f"privacy-erasure-confirm-{width}")
        if width == PHONE_SIZE[0]:  # 取消 (and Esc) erase nothing
            page.p.keyboard.press("Escape")
            assert page.p.get_by_role("dialog").count() == 0
            assert page.p.evaluate("document.activeElement.id") == "privacy-erase"  # focus back
            assert stack.call("GET", "/me", token=token)[0] == 200

    # A registration waiting for review blocks the erasure: the page says how to withdraw it
    page.expect_http_error(1)
    box.fill("注销")
    assert submit.is_enabled()
    submit.click()
    blocked = dialog.locator("#erase-blocked")
    blocked.wait_for()
    assert f"报名 {rid} 尚未交费" in blocked.text_content()
    assert stack.call("GET", "/me", token=token)[0] == 200
    page.p.once("dialog", lambda d: d.accept())  # 撤回报名's own confirmation
    blocked.get_by_role("link", name="我的培训").click()
    page.p.get_by_role("button", name="撤回报名").click()
    page.p.locator("#flash").get_by_text("报名已撤回").wait_for()
    assert stack.ok("GET", "/registrations/mine", token=token)["registrations"][0]["status"] == "withdrawn"

    _open_from_nav(page, DESKTOP[0])
    page.p.get_by_role("button", name="注销账号…").click()
    dialog = page.p.get_by_role("dialog", name="确认注销账号？")
    submit = dialog.get_by_role("button", name="确认注销")
    assert submit.is_disabled()
    dialog.get_by_label("请输入“注销”两个字以确认").fill("注销")
    submit.click()
    # Signed out here, with the final message, on the public landing page
    page.p.locator("#flash").get_by_text("账号已注销").wait_for()
    page.p.wait_for_url("**#/welcome")
    assert _session(page) is None
    page.p.locator("#main h1").first.wait_for()  # the landing page, for anyone signed out
    assert page.p.locator("#nav").get_by_role("link", name="登录").is_visible()
    assert page.p.locator("#flash").get_by_text("账号已注销").is_visible()
    page.assert_fits()
    page.shot("privacy-erased-1366")

    # The old session is refused, and so is the password
    status, body = stack.call("GET", "/me", token=token)
    assert status == 401, (status, body)
    status, body = stack.call("POST", "/registrations", {"unit_name": "国家图书馆", "job_title": "馆员",
                                                          "region": "北京"}, token=token)
    assert status == 401, (status, body)
    status, body = stack.call("POST", "/auth/login", {"email": email, "password": PASSWORD})
    assert status == 401, (status, body)


def test_a_unit_account_downloads_its_export_and_erases(stack, new_page, tmp_path):
    email = unique_email("unit-erase")
    stack.ok("POST", "/auth/signup", {"email": email, "password": PASSWORD, "name": "王主任", "kind": "unit",
                                      "unit_name": f"隐私测试图书馆{email[11:17]}",
                                      "credit_code": "91110000600037341L"})
    token = stack.login(email)
    page = new_page(*PHONE_SIZE)
    page.sign_in(stack, token)
    _open_from_nav(page, PHONE_SIZE[0])
    with page.p.expect_download() as info:
        page.p.get_by_role("button", name="下载我的个人信息").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert saved.name.startswith("个人信息-") and saved.suffix == ".json"
    assert data["account"]["email"] == email and data["account"]["kind"] == "unit"
    assert data["unit"] is not None  # its verification record (pending)
    blob_url = page.p.locator("#privacy-export-link").get_attribute("href")
    assert blob_url.startswith("blob:") and _blob_readable(page, blob_url)

    page.p.get_by_role("button", name="注销账号…").click()
    dialog = page.p.get_by_role("dialog", name="确认注销账号？")
    box = dialog.get_by_label("请输入“注销”两个字以确认")
    assert page.p.evaluate("document.activeElement.id") == "erase-confirm"  # the dialog asks at once
    box.press("Enter")  # nothing typed: Enter sends nothing
    assert dialog.is_visible() and stack.call("GET", "/me", token=token)[0] == 200
    page.p.keyboard.insert_text(" 注销 ")  # as an input method commits it (spaces from a paste)
    assert dialog.get_by_role("button", name="确认注销").is_enabled()
    box.press("Enter")
    page.p.locator("#flash").get_by_text("账号已注销").wait_for()
    assert _session(page) is None
    assert not _blob_readable(page, blob_url)  # the copy in the page's memory is gone too
    page.errors.remove("Failed to load resource: net::ERR_FILE_NOT_FOUND")  # that probe's own
    assert stack.call("GET", "/me", token=token)[0] == 401
    assert stack.call("POST", "/auth/login", {"email": email, "password": PASSWORD})[0] == 401
