"""A verified unit invites a trainee and the trainee accepts, in Chromium (issue 14, item 3):
the unit types the address in 邀请学员关联本单位, the invitation mail arrives, the trainee (on
a phone) sees "<单位> 邀请您关联本报名" under 我的培训 and accepts, and the unit then lists that
registration. A trainee who was not invited is offered nothing of it. (Units invite by
e-mail; there is no invitation QR code.)"""
from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, unique_email

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
CREDIT_CODE = "121000007178009999"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _verified_unit(stack, page, unit_name: str) -> tuple[str, str]:
    """A unit account through the API, its letter posted to the presigned form from the
    browser's own request context (as the page's upload does), approved by an admin."""
    email = unique_email("unit")
    stack.ok("POST", "/auth/signup", {"email": email, "password": PASSWORD, "name": "王主任",
                                      "phone": "13900139100", "kind": "unit",
                                      "unit_name": unit_name, "credit_code": CREDIT_CODE})
    token = stack.login(email)
    unit_id = stack.ok("GET", "/me", token=token)["user_id"]
    form = stack.ok("POST", "/unit/account/letter", {"content_type": "application/pdf",
                                                     "size_bytes": len(PDF)}, token=token)
    multipart = {**form["fields"], "file": {"name": "授权书.pdf", "mimeType": "application/pdf",
                                            "buffer": PDF}}
    sent = page.p.request.post(form["url"], multipart=multipart)
    assert sent.ok, sent.status
    approved = stack.ok("POST", f"/admin/units/{unit_id}/approve", token=stack.staff("admin"))
    assert approved["status"] == "verified"
    return token, unit_id


def _registered(stack, name: str, unit_name: str) -> tuple[str, str]:
    email = unique_email("t")
    stack.ok("POST", "/auth/signup", {"email": email, "password": PASSWORD, "name": name,
                                      "phone": "13900139101"})
    token = stack.login(email)
    stack.ok("POST", "/registrations", {"unit_name": unit_name, "job_title": "馆员",
                                        "region": "北京"}, token=token)
    return email, token


def test_a_trainee_accepts_the_units_invitation(stack, new_page):
    stack.set_clock("2026-04-08T09:00:00+08:00")
    tag = unique_email("x")[2:6]
    unit_name = f"首都图书馆{tag}"
    upage = new_page(**DESKTOP)
    unit_token, unit_id = _verified_unit(stack, upage, unit_name)
    invited_email, invited = _registered(stack, f"乙{tag}", unit_name)
    _, stranger = _registered(stack, f"丙{tag}", f"别的馆{tag}")

    # The unit, on a desktop, invites the trainee by e-mail
    u = upage.p
    upage.sign_in(stack, unit_token)
    upage.goto("#/unit")
    u.get_by_text("还没有学员关联本单位").wait_for()
    u.get_by_label("学员邮箱（每行一个）").fill(f"  {invited_email.upper()}  \n")
    u.get_by_role("button", name="发送邀请").click()
    u.locator("#flash").get_by_text("已发送 1 份邀请").wait_for()
    upage.shot("80-unit-invites-desktop")
    upage.assert_fits()

    # The invitation mail names the unit and says where to accept
    mails = stack.ok("GET", f"/dev/mail?to={invited_email}")["mail"]
    invitation = next(m for m in mails if m["template"] == "unit.invitation")
    assert invitation["subject"] == f"【单位邀请】{unit_name} 邀请您关联本届报名"
    assert "在“我的报名”中查看并接受邀请" in invitation["body"]

    # The trainee, on a phone, sees the invitation with the unit's name and accepts it
    tpage = new_page(**PHONE)
    t = tpage.p
    tpage.sign_in(stack, invited)
    tpage.goto("#/home")
    offer = t.locator(".unit-link")
    offer.get_by_text(f"{unit_name} 邀请您关联本报名").wait_for()
    assert "该单位可以看到您的报名（姓名、邮箱、职务、交费状态）" in offer.inner_text()
    tpage.shot("81-trainee-invitation-phone")
    tpage.assert_fits()
    offer.get_by_role("button", name="接受邀请").click()
    t.locator("#flash").get_by_text(f"已关联 {unit_name}").wait_for()
    t.get_by_text("本报名已关联单位账号").wait_for()
    tpage.shot("82-trainee-linked-phone")
    mine = stack.ok("GET", "/registrations/mine", token=invited)["registrations"][0]
    assert mine["unit_id"] == unit_id

    # The unit now lists that registration, and only it
    upage.goto("#/unit")
    u.get_by_text(f"乙{tag}", exact=True).wait_for()
    assert u.get_by_text(f"丙{tag}").count() == 0
    upage.shot("83-unit-sees-linked-desktop")
    upage.assert_fits()
    listed = stack.ok("GET", "/unit/registrations", token=unit_token)["registrations"]
    assert [r["name"] for r in listed] == [f"乙{tag}"]

    # A trainee who was not invited (registered under another name) is offered nothing
    spage = new_page(**PHONE)
    spage.sign_in(stack, stranger)
    spage.goto("#/home")
    spage.p.get_by_text(f"别的馆{tag}").first.wait_for()
    spage.p.wait_for_load_state("networkidle")
    assert spage.p.get_by_text(unit_name).count() == 0
    assert spage.p.get_by_role("button", name="接受邀请").count() == 0
