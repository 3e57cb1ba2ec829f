"""Roster import, membership on /me, editions as data, the dev clock and mailbox, OpenAPI."""
import io
import json

import pytest

from tests.conftest import unique_email

ROSTER_CSV = "姓名,邮箱,手机号,会员号,会费年度,审批时间\n{name},{email},,M100,2026,2026-03-01 09:00:00\n"


def test_roster_csv_import_makes_a_member(api):
    email, token = api.signup(name="赵堃")
    admin = api.staff("admin")
    body = ROSTER_CSV.format(name="赵堃", email=email.upper()).encode("utf-8-sig")
    r = api.call("POST", "/admin/members/import", admin, body=body, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.data == {"upserted": 1}
    me = api.get("/me", token).data
    assert me["membership"]["is_member"] is True and me["membership"]["member_no"] == "M100"
    assert api.register(token).data["fee_fen"] == 40000


def test_roster_xlsx_import_and_gbk_csv(api):
    import openpyxl
    admin = api.staff("admin")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["会员号", "姓名", "手机号", "会费年度", "审批时间"])
    sheet.append(["M200", "钱玥", "13900001111", 2026, "2026-02-01T08:00:00+08:00"])
    buf = io.BytesIO()
    book.save(buf)
    r = api.call("POST", "/admin/members/import", admin, body=buf.getvalue(), headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    assert r.status_code == 200 and r.data == {"upserted": 1}
    gbk = ROSTER_CSV.format(name="孙悦", email=unique_email()).replace("M100", "M201").encode("gb18030")
    r = api.call("POST", "/admin/members/import", admin, body=gbk, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.data == {"upserted": 1}


@pytest.mark.parametrize("csv_text,field", [
    ("foo,bar\n1,2\n", "file"),
    ("姓名,邮箱,会员号,会费年度\n张三,z@example.com,M1,今年\n", "members[0].dues_year"),
    ("姓名,邮箱,会员号,会费年度\n张三,,M1,2026\n", "members[0].email"),
    ("姓名,邮箱,会员号,会费年度\n张三,a@example.com,M1,2026\n李四,b@example.com,M1,2026\n", "members[1].member_no"),
])
def test_bad_roster_files_are_refused_whole(api, csv_text, field):
    admin = api.staff("admin")
    r = api.call("POST", "/admin/members/import", admin, body=csv_text.encode(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 400 and r.data["field"] == field
    from chalicelib.editions.members_repository import Member
    assert Member.count("M1") == 0  # all or nothing


def test_roster_upload_of_wrong_type_is_415(api):
    admin = api.staff("admin")
    r = api.call("POST", "/admin/members/import", admin, body=b"%PDF", headers={"Content-Type": "application/pdf"})
    assert r.status_code in (400, 415)


def test_members_json_upsert(api):
    admin = api.staff("admin")
    r = api.post("/admin/members", admin, json={"members": [
        {"name": "周喆", "email": unique_email(), "member_no": "M300", "dues_year": 2026,
         "approved_at": "2026-03-01T09:00:00+08:00"}]})
    assert r.status_code == 200 and r.data == {"upserted": 1}
    r = api.post("/admin/members", admin, json={"members": [{"name": "x", "member_no": "M1", "dues_year": 1900}]})
    assert r.status_code == 400 and r.data["field"].startswith("members.0")


def edition_doc(api, admin, edition_id="2026"):
    return api.get(f"/admin/editions/{edition_id}", admin).data


def test_admin_creates_next_years_edition_and_makes_it_current(api):
    admin = api.staff("admin")
    doc = edition_doc(api, admin)
    text = json.dumps(doc).replace("2026-", "2027-")
    doc27 = json.loads(text)
    doc27["edition_id"] = "2027"
    doc27["title"] = "2027年图书馆员在职专业培训"
    r = api.post("/admin/editions", admin, json={"edition": doc27, "make_current": True})
    assert r.status_code == 201 and r.data["current"] is True
    cur = api.get("/editions/current").data
    assert cur["edition_id"] == "2027" and cur["windows"]["registration"]["opens"] == "2027-04-03T00:00:00+08:00"
    again = api.post("/admin/editions", admin, json={"edition": doc27})
    assert again.status_code == 409


def test_edition_edit_is_validated_and_versioned(api):
    admin = api.staff("admin")
    doc = edition_doc(api, admin)
    bad = json.loads(json.dumps(doc))
    bad["windows"]["registration"]["closes"] = "2026-04-02T00:00:00+08:00"
    r = api.call("PUT", "/admin/editions/2026", admin, json={"edition": bad})
    assert r.status_code == 400 and "windows" in r.data["field"]
    doc["fees"]["non_member_fen"] = 50000
    r = api.call("PUT", "/admin/editions/2026", admin, json={"edition": doc, "expected_version": 1})
    assert r.status_code == 200 and r.data["version"] == 2
    stale = api.call("PUT", "/admin/editions/2026", admin, json={"edition": doc, "expected_version": 1})
    assert stale.status_code == 409
    assert api.get("/editions/current").data["fees"]["non_member_fen"] == 50000


def test_edition_current_shows_calendar_contacts_and_bank(api, clock):
    data = api.get("/editions/current").data
    assert data["windows"]["registration"]["open_now"] is True
    assert data["windows"]["learning"]["open_now"] is False
    assert data["bank_account"]["account_no"] == "20000006591800105310002"
    assert [c["phone"] for c in data["contacts"]][0] == "010-88544290"
    assert [c["title"] for c in data["courses"]][0] == "图书馆史"
    assert data["total_hours"] == 30


def test_dev_clock_is_kept_in_storage_and_flows(api, deps):
    from chalicelib.platform.clock import Clock
    from chalicelib.platform.deps import _dev_offset
    deps.clock = Clock(read_offset=_dev_offset)  # the real dev clock, not the fixed one
    r = api.post("/dev/clock", json={"now": "2026-04-12T23:59:59+08:00"})
    assert r.status_code == 200 and r.data["now"].startswith("2026-04-12T23:59:5")
    assert api.get("/dev/clock").data["now"] >= "2026-04-12T23:59:59+08:00"
    assert api.post("/dev/clock", json={"now": "yesterday"}).status_code == 400
    assert api.post("/dev/clock", json={"reset": True}).data["offset_s"] == 0


def test_dev_mailbox_lists_what_was_sent(api):
    email, token = api.signup()
    reg = api.register(token).data
    api.post(f"/admin/registrations/{reg['registration_id']}/approve", api.staff("reviewer"))
    mails = api.get(f"/dev/mail?to={email}").data["mail"]
    assert len(mails) == 1 and "报名成功" in mails[0]["subject"]


def test_openapi_describes_every_route_of_the_app(api):
    from app import app
    doc = api.get("/openapi.json").data
    assert doc["openapi"].startswith("3.")
    skip = set()
    try:
        from chalicelib.dev.web import WEB_ROUTES
        skip = set(WEB_ROUTES)
    except ImportError:
        pass
    missing = []
    for path, methods in app.routes.items():
        if path in skip:
            continue
        for method in methods:
            if method == "OPTIONS":
                continue
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == [], f"routes missing from /openapi.json: {missing}"
    op = doc["paths"]["/registrations"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("RegistrationIn")
    assert op["security"] == [{"bearer": []}]


def test_openapi_is_a_valid_document(api):
    from openapi_spec_validator import validate
    validate(api.get("/openapi.json").data)
