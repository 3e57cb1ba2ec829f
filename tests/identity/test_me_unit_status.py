"""/me shows a unit account its verification status (issue 14, item 3): pending at sign-up,
rejected with the reason staff gave, verified after approval; other accounts get null."""
from __future__ import annotations

from typing import Any

from devtools.appclient import unique_email
from tests.identity.unit_helpers import CODES, upload_letter


def test_me_shows_the_unit_status_from_pending_to_rejected_to_verified(api: Any) -> None:
    _email, token = api.signup(unique_email("unit"), name="单位联系人", kind="unit",
                               unit_name="国家图书馆", credit_code=CODES[1])
    me = api.get("/me", token).data
    assert me["unit"] == {"status": "pending", "status_label": "待审核",
                          "explanation": me["unit"]["explanation"], "reject_reason": None}
    assert "看不到任何学员信息" in me["unit"]["explanation"]
    unit_id = me["user_id"]
    finance = api.staff("finance")
    upload_letter(api, token)
    r = api.post(f"/admin/units/{unit_id}/reject", finance, json={"reason": "授权书未加盖公章"})
    assert r.status_code == 200, r.body
    me = api.get("/me", token).data
    assert (me["unit"]["status"], me["unit"]["status_label"], me["unit"]["reject_reason"]) == (
        "rejected", "未通过", "授权书未加盖公章")
    upload_letter(api, token)  # a new letter resubmits: pending again, no old reason shown
    assert api.get("/me", token).data["unit"]["reject_reason"] is None
    assert api.post(f"/admin/units/{unit_id}/approve", api.staff("admin")).status_code == 200
    me = api.get("/me", token).data
    assert (me["unit"]["status"], me["unit"]["status_label"], me["unit"]["reject_reason"]) == (
        "verified", "已认证", None)


def test_me_of_a_personal_account_has_no_unit_status(api: Any) -> None:
    _email, token = api.signup(unique_email("p"))
    assert api.get("/me", token).data["unit"] is None
