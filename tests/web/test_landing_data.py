"""What the public landing page (web/landing.js) reads from GET /editions/current, without
signing in: the notice's substance as data."""
from __future__ import annotations


def test_the_public_edition_carries_what_the_landing_page_shows(api):
    r = api.get("/editions/current")
    assert r.status_code == 200
    ed = r.data
    assert ed["title"] == "2026年图书馆员在职专业培训" and ed["notice_no"] == "中图学字〔2026〕17号"
    assert ed["audience"] == "全国各级各类图书馆工作者"
    assert "案例讲授" in ed["summary"]
    assert [c["hours"] for c in ed["courses"]] == [3] * 10 and ed["total_hours"] == 30
    assert ed["certificate_hours"] == 30
    assert {w: ed["windows"][w]["closes"] for w in ("registration", "learning", "certificate")} == {
        "registration": "2026-04-11T00:00:00+08:00", "learning": "2026-06-13T00:00:00+08:00",
        "certificate": "2026-07-01T00:00:00+08:00"}  # exclusive bounds: the page shows 4/10, 6/12, 6/30
    assert ed["fees"] == {"member_fen": 40000, "non_member_fen": 49000}
    assert {c["role"] for c in ed["contacts"]} == {"平台技术支持", "财务咨询", "报名咨询", "入会咨询"}
    assert "video_key" not in ed["courses"][0] and "video_delivery" not in ed


def test_the_landing_module_is_served(api):
    r = api.get("/web/landing.js")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/javascript")
    assert "export function landingView" in r.body.decode()
