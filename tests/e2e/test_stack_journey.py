"""End to end over HTTP against the stack `make run` starts (moto server + chalice local):
sign-up -> login -> register -> approve, with the dev clock and the dev mailbox."""
import uuid

import pytest

from tests.browser.conftest import stack  # noqa: F401 - the session fixture: the running stack

pytestmark = pytest.mark.e2e


def test_signup_login_register_approve_over_http(stack):  # noqa: F811
    # Given the registration window is open on the dev clock
    stack.set_clock("2026-04-05T10:00:00+08:00")
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    # When a librarian signs up, logs in and registers
    status, profile = stack.call("POST", "/auth/signup", {"email": email, "password": "Passw0rd!x",
                                                          "name": "吴玥", "phone": "13800138000"})
    assert status == 201 and profile["email"] == email
    token = stack.login(email)
    status, me = stack.call("GET", "/me", token=token)
    assert status == 200 and me["membership"]["tier"] == "non_member"
    status, reg = stack.call("POST", "/registrations", {"unit_name": "上海图书馆", "job_title": "馆员",
                                                        "region": "上海"}, token=token)
    assert status == 201 and reg["status"] == "pending" and reg["fee_fen"] == 49000
    # And the seeded reviewer approves it
    reviewer = stack.staff("reviewer")
    queue = stack.ok("GET", "/admin/registrations?status=pending&limit=200", token=reviewer)
    assert reg["registration_id"] in [r["registration_id"] for r in queue["registrations"]]
    approved = stack.ok("POST", f"/admin/registrations/{reg['registration_id']}/approve", token=reviewer)
    # Then the trainee sees it approved and was mailed
    assert approved["status"] == "approved"
    mine = stack.ok("GET", "/registrations/mine", token=token)["registrations"]
    assert [r["status"] for r in mine] == ["approved"]
    mail = stack.ok("GET", f"/dev/mail?to={email}")["mail"]
    assert any("报名成功" in m["subject"] for m in mail)
    # And after the window closes (to the second) a registration is refused
    stack.set_clock("2026-04-11T00:00:00+08:00")
    other = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    stack.ok("POST", "/auth/signup", {"email": other, "password": "Passw0rd!x", "name": "郑喆"})
    status, err = stack.call("POST", "/registrations", {"unit_name": "a", "job_title": "b", "region": "c"},
                             token=stack.login(other))
    assert status == 409 and err["Code"] == "WINDOW_CLOSED"


def test_health_and_openapi_over_http(stack):  # noqa: F811
    assert stack.ok("GET", "/health") == {"status": "ok"}
    doc = stack.ok("GET", "/openapi.json")
    assert "/registrations" in doc["paths"] and "/dev/clock" in doc["paths"]
