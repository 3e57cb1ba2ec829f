"""Unit accounts verified by staff, and linking by the trainee's own choice (issue 14, item
3), through the real routes. Each abuse of the issue's "Why" is a test here: a unit called
"国 家 图 书 馆" sees nobody, a stranger cannot put people into its group order, the
refusals reveal nothing, and a member can leave."""
from __future__ import annotations

from typing import Any

from devtools.appclient import unique_email
from tests.identity.unit_helpers import CODES, PDF, link, upload_letter, verified_unit


def _trainee(api: Any, name: str = "李玥", unit_name: str = "国家图书馆",
             approve: bool = True, reviewer: str | None = None, **extra: Any) -> tuple[str, str, str]:
    """A trainee with a registration (approved unless told otherwise): (email, token, id)."""
    email, token = api.signup(name=name)
    r = api.register(token, unit_name=unit_name, **extra)
    assert r.status_code == 201, r.body
    rid = r.data["registration_id"]
    if approve:
        ok = api.post(f"/admin/registrations/{rid}/approve", reviewer or api.staff("reviewer"))
        assert ok.status_code == 200, ok.body
    return email, token, rid


def _unit_signup(api: Any, unit_name: str = "国 家 图 书 馆", code: str = CODES[0]) -> tuple[str, str]:
    email, token = api.signup(unique_email("unit"), name="单位联系人", kind="unit",
                              unit_name=unit_name, credit_code=code)
    return token, api.get("/me", token).data["user_id"]


def test_a_new_unit_account_is_pending_and_sees_no_trainee_data(api: Any) -> None:
    # Given a trainee registered and approved under 国家图书馆
    _, _, rid = _trainee(api)
    # When anyone signs up as the unit "国 家 图 书 馆" with a checksum-valid credit code
    token, _ = _unit_signup(api)
    # Then it sees nobody and can group nobody (today's main: the list and a 201)
    listed = api.get("/unit/registrations", token)
    assert "李玥" not in listed.body.decode()
    assert listed.status_code == 403 and listed.data["Code"] == "UNIT_NOT_VERIFIED"
    grouped = api.post("/unit/group-orders", token, json={"members": [rid]})
    assert grouped.status_code == 403 and grouped.data["Code"] == "UNIT_NOT_VERIFIED"
    assert rid not in grouped.body.decode()
    # And it is told, in Chinese, that it waits for staff
    me = api.get("/unit/account", token)
    assert me.status_code == 200 and me.data["status"] == "pending"
    assert me.data["status_label"] == "待审核" and "看不到任何学员信息" in me.data["explanation"]


def test_a_verified_unit_sees_only_the_registrations_linked_to_it(api: Any) -> None:
    reviewer = api.staff("reviewer")
    _, _, stranger = _trainee(api, name="路人", reviewer=reviewer)
    _, token_a, linked = _trainee(api, name="甲", reviewer=reviewer)
    _, unit_token, unit_id = verified_unit(api)
    # Verified, but nobody chose it yet: the list is empty (not the 国家图书馆 staff)
    empty = api.get("/unit/registrations", unit_token)
    assert empty.status_code == 200 and empty.data["registrations"] == []
    link(api, token_a, linked, unit_id)
    rows = api.get("/unit/registrations", unit_token).data["registrations"]
    assert [r["registration_id"] for r in rows] == [linked]
    assert stranger not in str(rows) and "路人" not in str(rows)


def test_a_stranger_cannot_put_people_into_its_group_order(api: Any) -> None:
    # Given a verified unit of the same name whose staff did not link to it
    email, trainee, rid = _trainee(api)
    _, unit_token, _ = verified_unit(api, unit_name="国 家 图 书 馆")
    # When it lists them (by id and by e-mail)
    for member in (rid, email):
        r = api.post("/unit/group-orders", unit_token, json={"members": [member]})
        assert r.status_code == 409 and r.data["Code"] == "GROUP_MEMBERS_INVALID"
        assert [p["code"] for p in r.data["problems"]] == ["NOT_LINKED"]
    # Then nothing is reserved: the trainee still pays alone
    paid = api.post("/orders", trainee, json={"registration_id": rid, "channel": "alipay"})
    assert paid.status_code == 201, paid.body


def _refusal(api: Any, token: str, member: str) -> tuple[int, str, str, list[Any]]:
    r = api.post("/unit/group-orders", token, json={"members": [member]})
    problems = [{k: v for k, v in p.items() if k != "member"} for p in r.data.get("problems", [])]
    return r.status_code, r.data["Code"], r.data["Message"].replace(member, "<m>"), problems


def test_every_refusal_for_a_non_linked_person_is_one_uniform_answer(api: Any) -> None:
    reviewer = api.staff("reviewer")
    _, unit_token, _ = verified_unit(api)
    _, other_token, other_id = verified_unit(api, credit_code=CODES[1])
    e_same, _, same_unit = _trainee(api, name="甲", reviewer=reviewer)  # 国家图书馆, not linked
    _, _, elsewhere = _trainee(api, name="乙", unit_name="上海图书馆", reviewer=reviewer)
    _, _, unapproved = _trainee(api, name="丙", approve=False)
    _, tok_other, other_units = _trainee(api, name="丁", reviewer=reviewer)
    link(api, tok_other, other_units, other_id)  # linked to the other unit
    answers = {member: _refusal(api, unit_token, member) for member in (
        "R0000000000", same_unit, elsewhere, unapproved, other_units, e_same,
        "nobody@example.com")}
    first = next(iter(answers.values()))
    assert first[:2] == (409, "GROUP_MEMBERS_INVALID") and first[3][0]["code"] == "NOT_LINKED"
    assert first[3][0]["registration_id"] is None
    for member, answer in answers.items():
        assert answer == first, member  # same status, Code, Message and problem
    # The other unit sees its own linked member as usual (linked: the trainee chose it)
    ok = api.post("/unit/group-orders", other_token, json={"members": [other_units]})
    assert ok.status_code == 201, ok.body


def test_a_member_can_leave_an_unpaid_group_order_and_pay_alone(api: Any) -> None:
    reviewer = api.staff("reviewer")
    _, unit_token, unit_id = verified_unit(api)
    _, tok_a, a = _trainee(api, name="甲", reviewer=reviewer)
    _, tok_b, b = _trainee(api, name="乙", reviewer=reviewer)
    link(api, tok_a, a, unit_id)
    link(api, tok_b, b, unit_id)
    order = api.post("/unit/group-orders", unit_token, json={"members": [a, b]})
    assert order.status_code == 201 and order.data["amount_fen"] == 98000
    oid = order.data["order_id"]
    blocked = api.post("/orders", tok_a, json={"registration_id": a, "channel": "alipay"})
    assert blocked.status_code == 409 and blocked.data["Code"] == "IN_GROUP_ORDER"
    # Someone else cannot make them leave; an unknown order looks the same
    _, tok_x, _ = _trainee(api, name="戊", reviewer=reviewer)
    for who, path in ((tok_x, f"/orders/{oid}/leave"), (tok_a, "/orders/G0000000000/leave")):
        r = api.post(path, who)
        assert r.status_code == 404 and r.data["Code"] == "ORDER_NOT_FOUND"
    left = api.post(f"/orders/{oid}/leave", tok_a)
    assert left.status_code == 200 and left.data == {"order_id": oid, "registration_id": a, "left": True}
    mine = {o["order_id"]: o for o in api.get("/orders/mine", unit_token).data["orders"]}
    assert mine[oid]["amount_fen"] == 49000 and mine[oid]["registration_ids"] == [b]
    again = api.post(f"/orders/{oid}/leave", tok_a)
    assert again.status_code == 404  # no longer in it
    alone = api.post("/orders", tok_a, json={"registration_id": a, "channel": "alipay"})
    assert alone.status_code == 201 and alone.data["amount_fen"] == 49000
    # The last member leaving closes the order: no money was taken, none is owed
    assert api.post(f"/orders/{oid}/leave", tok_b).status_code == 200
    closed = {o["order_id"]: o for o in api.get("/orders/mine", unit_token).data["orders"]}[oid]
    assert closed["status"] == "closed"


def test_the_letter_is_checked_and_staff_approve_or_reject_with_a_reason(api: Any) -> None:
    token, unit_id = _unit_signup(api, unit_name="国家图书馆")
    admin, finance = api.staff("admin"), api.staff("finance")
    # Only PDF or image, at most 10 MB
    for body, field, label in (
            ({"content_type": "text/html", "size_bytes": 10}, "content_type", "文件类型"),
            ({"content_type": "application/pdf", "size_bytes": 11 * 1024 * 1024}, "size_bytes", "文件大小"),
            ({"content_type": "application/pdf", "size_bytes": 0}, "size_bytes", "文件大小")):
        r = api.post("/unit/account/letter", token, json=body)
        assert r.status_code == 400 and r.data["field"] == field, r.body
        assert label in r.data["Message"], r.body  # the field named in Chinese
    # Approving without a letter is refused
    r = api.post(f"/admin/units/{unit_id}/approve", admin)
    assert r.status_code == 409 and r.data["Code"] == "LETTER_MISSING"
    # A file that is not what it says (HTML declared as PDF) is refused too
    upload_letter(api, token, data=b"<html><script>alert(1)</script>")
    r = api.post(f"/admin/units/{unit_id}/approve", admin)
    assert r.status_code == 409 and r.data["Code"] == "LETTER_INVALID"
    # The reviewer is not a verifier; the pending list shows the unit to admin and finance
    assert api.post(f"/admin/units/{unit_id}/approve", api.staff("reviewer")).status_code == 403
    listed = api.get("/admin/units?status=pending", finance).data["units"]
    row = next(u for u in listed if u["unit_id"] == unit_id)
    assert row["credit_code"] == CODES[0] and row["credit_code_valid"] is True
    assert row["letter"]["url"] and row["letter_uploaded"] is True
    # A reason is required, bounded and free of control characters
    for reason in ("", "x" * 201, "授权书\u202e无效"):
        r = api.post(f"/admin/units/{unit_id}/reject", finance, json={"reason": reason})
        assert r.status_code == 400 and "原因" in r.data["Message"], r.body
    r = api.post(f"/admin/units/{unit_id}/reject", finance, json={"reason": "授权书未加盖公章"})
    assert r.status_code == 200 and r.data["status"] == "rejected"
    me = api.get("/unit/account", token).data
    assert me["status"] == "rejected" and me["reject_reason"] == "授权书未加盖公章"
    assert "重新上传" in me["explanation"]
    assert api.get("/unit/registrations", token).data["Code"] == "UNIT_NOT_VERIFIED"
    mails = api.get(f"/dev/mail?to={row['email']}").data["mail"]
    assert any("授权书未加盖公章" in m["body"] for m in mails)
    # A new letter resubmits; a real PDF is approved; approving again is harmless
    upload_letter(api, token, data=PDF)
    assert api.get("/unit/account", token).data["status"] == "pending"
    r = api.post(f"/admin/units/{unit_id}/approve", admin)
    assert r.status_code == 200 and r.data["status"] == "verified"
    assert api.post(f"/admin/units/{unit_id}/approve", admin).data["status"] == "verified"
    r = api.post(f"/admin/units/{unit_id}/reject", admin, json={"reason": "晚了"})
    assert r.status_code == 409 and r.data["Code"] == "UNIT_STATE"
    r = api.post("/unit/account/letter", token, json={"content_type": "image/png", "size_bytes": 10})
    assert r.status_code == 409


def test_a_trainee_links_only_by_their_own_choice(api: Any) -> None:
    pending_token, pending_id = _unit_signup(api, unit_name="国家图书馆")
    _, unit_token, unit_id = verified_unit(api)
    # The registration form offers the verified units of that name, not the pending one
    email, token = api.signup(name="李玥")
    found = api.get("/units/verified?unit_name=国家 图书馆", token).data["units"]
    assert [u["unit_id"] for u in found] == [unit_id]
    # Picking a pending unit, or a unit of another name, is refused
    r = api.register(token, unit_id=pending_id)
    assert r.status_code == 409 and r.data["Code"] == "UNIT_NOT_AVAILABLE"
    r = api.register(token, unit_name="上海图书馆", unit_id=unit_id)
    assert r.status_code == 409 and r.data["Code"] == "UNIT_NAME_MISMATCH"
    r = api.register(token, unit_id=unit_id)
    assert r.status_code == 201 and r.data["unit_id"] == unit_id
    rid = r.data["registration_id"]
    rows = api.get("/unit/registrations", unit_token).data["registrations"]
    assert [x["registration_id"] for x in rows] == [rid]
    # Taking the link back: the unit no longer sees it
    r = api.post(f"/registrations/{rid}/unit-link/remove", token)
    assert r.status_code == 200 and r.data["unit_id"] is None
    assert api.get("/unit/registrations", unit_token).data["registrations"] == []
    # Nobody links someone else's registration
    _, other = api.signup(name="王五")
    r = api.post(f"/registrations/{rid}/unit-link", other, json={"unit_id": unit_id})
    assert r.status_code == 404


def test_a_unit_invites_by_e_mail_and_learns_nothing(api: Any) -> None:
    _, unit_token, unit_id = verified_unit(api)
    email, token, rid = _trainee(api)
    sent = [api.post("/unit/invitations", unit_token, json={"emails": [address]})
            for address in (email, "nobody@example.com")]
    assert [s.status_code for s in sent] == [202, 202]
    assert sent[0].data == sent[1].data == {"status": "sent", "invited": 1}
    mails = api.get(f"/dev/mail?to={email}").data["mail"]
    assert any("邀请" in m["subject"] for m in mails)
    invitations = api.get("/me/unit-invitations", token).data["invitations"]
    assert [i["unit_id"] for i in invitations] == [unit_id]
    link(api, token, rid, unit_id)  # accepting = linking by the trainee
    assert [r["registration_id"] for r in api.get("/unit/registrations", unit_token).data["registrations"]] == [rid]
    # 20 batches an hour, then 429 with Retry-After (a verified unit still sends mail)
    for n in range(20 - 2):
        assert api.post("/unit/invitations", unit_token, json={"emails": [f"p{n}@example.com"]}).status_code == 202
    late = api.post("/unit/invitations", unit_token, json={"emails": ["late@example.com"]})
    assert late.status_code == 429 and late.data["Code"] == "TOO_MANY_ATTEMPTS"
    assert int(late.headers["Retry-After"]) > 0
    # A pending unit cannot invite
    pending, _ = _unit_signup(api)
    r = api.post("/unit/invitations", pending, json={"emails": [email]})
    assert r.status_code == 403 and r.data["Code"] == "UNIT_NOT_VERIFIED"


def test_unlinking_leaves_the_unpaid_group_order_first(api: Any) -> None:
    reviewer = api.staff("reviewer")
    _, unit_token, unit_id = verified_unit(api)
    _, tok_a, a = _trainee(api, name="甲", reviewer=reviewer)
    _, tok_b, b = _trainee(api, name="乙", reviewer=reviewer)
    link(api, tok_a, a, unit_id)
    link(api, tok_b, b, unit_id)
    oid = api.post("/unit/group-orders", unit_token, json={"members": [a, b]}).data["order_id"]
    r = api.post(f"/registrations/{a}/unit-link/remove", tok_a)
    assert r.status_code == 200 and r.data["open_order_id"] is None and r.data["unit_id"] is None
    order = {o["order_id"]: o for o in api.get("/orders/mine", unit_token).data["orders"]}[oid]
    assert order["registration_ids"] == [b] and order["amount_fen"] == 49000
    # Unlinked: the unit can no longer list them
    r = api.post("/unit/group-orders", unit_token, json={"members": [a]})
    assert r.status_code == 409 and r.data["problems"][0]["code"] == "NOT_LINKED"
