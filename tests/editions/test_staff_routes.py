"""The admin's edition form and roster screen through the HTTP API (chalice test client,
real tokens, moto): Beijing times in and out of the edition, the member list and search,
the import template (opened with openpyxl and imported back), and row numbers that match
the ones Excel shows."""
from __future__ import annotations

import json
from io import BytesIO
from urllib.parse import unquote

from chalicelib.platform.clock import parse_instant
from tests.conftest import unique_email

CSV = "text/csv"


def edition_doc(api, admin):
    doc = api.get("/admin/editions/2026", admin).data
    return doc, doc.pop("version")


def test_the_admin_reads_the_edition_in_beijing_time_never_utc(api):
    doc, version = edition_doc(api, api.staff("admin"))
    assert version >= 1
    windows = doc["windows"]
    assert windows["registration"] == {"opens": "2026-04-03T00:00:00+08:00",
                                       "closes": "2026-04-11T00:00:00+08:00"}
    assert "Z" not in json.dumps(windows) and "+00:00" not in json.dumps(windows)


def test_beijing_times_typed_in_the_form_store_the_same_instant(api):
    admin = api.staff("admin")
    doc, version = edition_doc(api, admin)
    # Given the form's values: a datetime-local without an offset, and "24:00" as the end of
    # the last day (the notice's "至 4月10日 24:00")
    doc["windows"]["registration"] = {"opens": "2026-04-02T08:30", "closes": "2026-04-10T24:00"}
    doc["windows"]["refund"] = {"closes": "2026-04-12 24:00"}
    r = api.call("PUT", "/admin/editions/2026", admin,
                 json={"edition": doc, "expected_version": version})
    assert r.status_code == 200, r.body
    # Then the stored instants are those Beijing times, and they read back in Beijing time
    public = api.get("/editions/current").data["windows"]
    assert parse_instant(public["registration"]["opens"]) == parse_instant("2026-04-02T00:30:00Z")
    assert public["registration"]["closes"] == "2026-04-11T00:00:00+08:00"
    assert public["refund"]["closes"] == "2026-04-13T00:00:00+08:00"
    again, new_version = edition_doc(api, admin)
    assert again["windows"]["registration"]["opens"] == "2026-04-02T08:30:00+08:00"
    assert new_version == version + 1
    # And a UTC time still means its own instant (nothing is shifted twice)
    again["windows"]["registration"]["opens"] = "2026-04-02T00:30:00Z"
    assert api.call("PUT", "/admin/editions/2026", admin, json={"edition": again}).status_code == 200
    assert edition_doc(api, admin)[0]["windows"]["registration"]["opens"] == "2026-04-02T08:30:00+08:00"


def test_a_form_time_out_of_order_is_refused_in_chinese(api):
    admin = api.staff("admin")
    doc, _ = edition_doc(api, admin)
    doc["windows"]["registration"]["closes"] = "2026-05-01T24:00"
    r = api.call("PUT", "/admin/editions/2026", admin, json={"edition": doc})
    assert r.status_code == 400 and "报名必须在在线学习开始前截止" in r.data["Message"]


def members(api, admin, rows):
    r = api.post("/admin/members", admin, json={"members": rows})
    assert r.status_code == 200, r.body


def test_member_list_and_search_by_name_number_email_and_phone(api):
    admin = api.staff("admin")
    email = unique_email("m")
    members(api, admin, [
        {"name": "周喆", "email": email, "member_no": "M-ZZ-1", "dues_year": 2026,
         "approved_at": "2026-03-01T09:00:00+08:00"},
        {"name": "周敏", "phone": "13900139000", "member_no": "M-ZM-2", "dues_year": 2025},
        {"name": "王芳", "email": unique_email("w"), "member_no": "M-WF-3", "dues_year": 2026}])
    r = api.get("/admin/members?limit=2", admin)
    assert r.status_code == 200, r.body
    assert len(r.data["members"]) == 2 and r.data["next_token"]
    rest = api.get(f"/admin/members?limit=2&next_token={r.data['next_token']}", admin).data
    assert len(r.data["members"]) + len(rest["members"]) == 3
    # by a part of the name (every scan page read until found)
    found = api.get("/admin/members?q=周&limit=5", admin).data["members"]
    assert sorted(m["member_no"] for m in found) == ["M-ZM-2", "M-ZZ-1"]
    # by member number, e-mail (any case) and phone (as typed, with spaces)
    assert [m["name"] for m in api.get("/admin/members?q=WF", admin).data["members"]] == ["王芳"]
    by_mail = api.get(f"/admin/members?q={email.upper()}", admin).data["members"]
    assert [m["member_no"] for m in by_mail] == ["M-ZZ-1"]
    assert by_mail[0]["approved_at"] == "2026-03-01T09:00:00+08:00"
    by_phone = api.get("/admin/members?q=139 0013 9000", admin).data["members"]
    assert [m["name"] for m in by_phone] == ["周敏"] and by_phone[0]["email"] is None
    assert api.get("/admin/members?q=没有这个人", admin).data["members"] == []
    assert api.get("/admin/members", api.staff("reviewer")).status_code == 403


def test_the_template_downloads_and_imports_back_with_excel_row_numbers(api):
    from openpyxl import load_workbook
    admin = api.staff("admin")
    r = api.get("/admin/members/template", admin, headers={"Accept": "*/*"})
    assert r.status_code == 200 and r.body[:2] == b"PK"
    name = unquote(r.headers["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert name == "会员名册导入模板.xlsx"
    book = load_workbook(BytesIO(r.body))
    sheet = book.worksheets[0]
    assert [c.value for c in next(sheet.iter_rows())] == ["姓名", "邮箱", "手机号", "会员号", "会费年度", "审批时间"]
    assert sheet.max_row == 1  # no example row on the sheet that is imported
    assert book.sheetnames[1] == "填写说明"
    # When the admin fills it in Excel (a blank row left in) and one row lacks its number
    sheet.append(["李雷", unique_email("t"), None, "T-1", 2026, "2026-03-01 09:00"])
    sheet.append([])
    sheet.append(["韩梅梅", unique_email("t"), None, None, 2026, None])
    buf = BytesIO()
    book.save(buf)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    bad = api.call("POST", "/admin/members/import", admin, body=buf.getvalue(),
                   headers={"Content-Type": xlsx})
    # Then the message names the row Excel shows beside it (header = row 1, blank row counted)
    assert bad.status_code == 400, bad.body
    assert bad.data["Message"].startswith("第 4 行（表头为第 1 行）：会员号"), bad.data["Message"]
    # And once fixed, it imports
    sheet.cell(row=4, column=4, value="T-2")
    buf = BytesIO()
    book.save(buf)
    ok = api.call("POST", "/admin/members/import", admin, body=buf.getvalue(),
                  headers={"Content-Type": xlsx})
    assert ok.status_code == 200 and ok.data == {"upserted": 2}
    assert [m["name"] for m in api.get("/admin/members?q=T-2", admin).data["members"]] == ["韩梅梅"]


def test_csv_row_numbers_count_the_header_too(api):
    admin = api.staff("admin")
    body = ("姓名,邮箱,手机号,会员号,会费年度,审批时间\n"
            f"甲,{unique_email()},,C-1,2026,\n"
            f"乙,{unique_email()},,C-2,二〇二六,\n").encode()
    r = api.call("POST", "/admin/members/import", admin, body=body, headers={"Content-Type": CSV})
    assert r.status_code == 400 and r.data["Message"].startswith("第 3 行（表头为第 1 行）：会费年度")
    # the JSON route has no header: it counts its items
    r = api.post("/admin/members", admin, json={"members": [
        {"name": "丙", "email": unique_email(), "member_no": "J-1", "dues_year": 2026},
        {"name": "丁", "email": unique_email(), "member_no": "J-1", "dues_year": 2026}]})
    assert r.status_code == 400 and r.data["Message"].startswith("第 2 条：会员号 J-1 重复")


def test_a_document_read_back_whole_saves_against_the_version_it_was_read_at(api):
    admin = api.staff("admin")
    doc = api.get("/admin/editions/2026", admin).data  # with its "version"
    first = api.call("PUT", "/admin/editions/2026", admin, json={"edition": doc})
    assert first.status_code == 200, first.body
    # the same stale read saved again is refused instead of undoing the first save
    stale = api.call("PUT", "/admin/editions/2026", admin, json={"edition": doc})
    assert stale.status_code == 409
