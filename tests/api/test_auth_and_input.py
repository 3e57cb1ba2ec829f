"""Accounts, tokens and bad input through the HTTP boundary (chalice's test client)."""
import gzip
import json
import time
from pathlib import Path

import jwt
import moto
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import PASSWORD, unique_email

# moto signs its tokens with this key (shipped in the package): a test can mint tokens
# that are correctly signed but wrong in one claim.
MOTO_KEY = json.loads(gzip.decompress(
    (Path(moto.__file__).parent / "cognitoidp/resources/jwks-private.json.gz").read_bytes()))


def moto_signed(claims: dict, key=None, kid="dummy") -> str:
    signing_key = key or jwt.PyJWK(MOTO_KEY).key
    return jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": kid})


def valid_claims(api, **over) -> dict:
    identity = api.deps.identity
    now = int(time.time())
    claims = {"sub": "abc", "iss": identity.issuer, "aud": identity.client_id, "token_use": "id",
              "exp": now + 600, "iat": now, "email": "x@example.com"}
    claims.update(over)
    return claims


def test_signup_login_me(api):
    email, token = api.signup(name="王喆", phone="13800138000")
    r = api.get("/me", token)
    assert r.status_code == 200
    assert r.data["email"] == email and r.data["name"] == "王喆" and r.data["roles"] == ["trainee"]
    assert r.data["membership"]["is_member"] is False


def test_unit_signup_checks_the_credit_code(api):
    r = api.post("/auth/signup", json={"email": unique_email(), "password": PASSWORD, "name": "联系人",
                                        "kind": "unit", "unit_name": "国家图书馆",
                                        "credit_code": "91110000600037341X"})
    assert r.status_code == 400 and r.data["field"] == "credit_code"
    email = unique_email()
    r = api.post("/auth/signup", json={"email": email, "password": PASSWORD, "name": "联系人",
                                        "kind": "unit", "unit_name": "国家图书馆",
                                        "credit_code": "91110000600037341L"})
    assert r.status_code == 201 and r.data["kind"] == "unit"
    assert api.get("/me", api.login(email)).data["roles"] == ["unit"]


def test_duplicate_email_and_wrong_password(api):
    email, _ = api.signup()
    # issue 14: the same answer as for a new e-mail (nothing to enumerate); a mail tells the owner
    r = api.post("/auth/signup", json={"email": email, "password": PASSWORD, "name": "x"})
    assert r.status_code == 201 and r.data["email"] == email
    assert any(m["template"] == "account.signup_again" for m in api.get(f"/dev/mail?to={email}").data["mail"])
    r = api.post("/auth/login", json={"email": email, "password": "Wrong-pass1!"})
    assert r.status_code == 401 and r.data["Code"] == "INVALID_CREDENTIALS"


def test_weak_password_names_the_field(api):
    r = api.post("/auth/signup", json={"email": unique_email(), "password": "alllowercase", "name": "x"})
    assert r.status_code == 400 and r.data["field"] == "password"


@pytest.mark.parametrize("mutate,reason", [
    (lambda c: c.update(exp=int(time.time()) - 5), "TOKEN_EXPIRED"),
    (lambda c: c.update(iss="https://cognito-idp.ap-southeast-1.amazonaws.com/ap-southeast-1_OTHER"), "TOKEN_INVALID"),
    (lambda c: c.update(aud="another-client"), "TOKEN_INVALID"),
    (lambda c: c.update(token_use="access"), "TOKEN_INVALID"),
])
def test_bad_tokens_are_refused_naming_the_problem(api, mutate, reason):
    claims = valid_claims(api)
    mutate(claims)
    r = api.get("/me", moto_signed(claims))
    assert r.status_code == 401 and r.data["Code"] == reason


def test_forged_signature_and_garbage_are_refused(api):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    r = api.get("/me", moto_signed(valid_claims(api), key=other))
    assert r.status_code == 401 and r.data["Code"] == "TOKEN_INVALID"
    assert api.get("/me", "not-a-jwt").status_code == 401
    unsigned = jwt.encode(valid_claims(api), key=None, algorithm="none")
    assert api.get("/me", unsigned).status_code == 401


def test_no_token_is_refused(api):
    assert api.get("/me").status_code == 401
    assert api.post("/registrations", json={"unit_name": "a", "job_title": "b", "region": "c"}).status_code == 401


@pytest.mark.parametrize("path,method", [
    ("/admin/registrations", "GET"), ("/admin/registrations/R1/approve", "POST"),
    ("/admin/members", "POST"), ("/admin/editions", "POST"),
])
def test_a_trainee_cannot_call_staff_routes(api, path, method):
    _, token = api.signup()
    r = api.call(method, path, token, json={} if method == "POST" else None)
    assert r.status_code == 403 and r.data["Code"] == "FORBIDDEN"


def test_reviewer_cannot_edit_the_roster(api):
    r = api.post("/admin/members", api.staff("reviewer"), json={"members": []})
    assert r.status_code == 403


@pytest.mark.parametrize("body,field", [
    (b"{not json", "body"),
    (b"", "body"),
    (b"[1,2]", "body"),
    (json.dumps({"job_title": "馆员", "region": "北京"}).encode(), "unit_name"),
    (json.dumps({"unit_name": "", "job_title": "馆员", "region": "北京"}).encode(), "unit_name"),
    (json.dumps({"unit_name": "x" * 101, "job_title": "馆员", "region": "北京"}).encode(), "unit_name"),
    (json.dumps({"unit_name": 42, "job_title": "馆员", "region": "北京"}).encode(), "unit_name"),
    (json.dumps({"unit_name": "a", "job_title": "b", "region": "c", "fee_fen": 1}).encode(), "fee_fen"),
    (json.dumps({"unit_name": "a", "job_title": "b", "region": "c", "phone": "abc"}).encode(), "phone"),
])
def test_bad_registration_input_is_a_400_naming_the_field_and_writes_nothing(api, body, field):
    _, token = api.signup()
    r = api.call("POST", "/registrations", token, body=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.body
    assert r.data["field"] == field and r.data["Message"]
    assert api.get("/registrations/mine", token).data["registrations"] == []


def test_oversized_body_is_refused(api):
    _, token = api.signup()
    big = json.dumps({"unit_name": "a", "job_title": "b", "region": "c", "pad": "x" * 70000}).encode()
    r = api.call("POST", "/registrations", token, body=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_registration_through_http_locks_the_fee_and_refuses_a_second(api):
    _, token = api.signup()
    r = api.register(token)
    assert r.status_code == 201 and r.data["tier"] == "non_member" and r.data["fee_fen"] == 49000
    again = api.register(token)
    assert again.status_code == 409 and again.data["Code"] == "ALREADY_REGISTERED"
    assert again.data["registration_id"] == r.data["registration_id"]


def test_closed_window_is_a_409_naming_window_and_time(api, clock):
    from tests.conftest import at
    clock.set(at("2026-04-11T00:00:00+08:00"))
    _, token = api.signup()
    r = api.register(token)
    assert r.status_code == 409 and r.data["Code"] == "WINDOW_CLOSED"
    assert r.data["window"] == "registration" and r.data["closes_at"] == "2026-04-11T00:00:00+08:00"


def test_reject_needs_a_reason_and_trainee_sees_it(api):
    _, token = api.signup()
    reg = api.register(token).data
    reviewer = api.staff("reviewer")
    r = api.post(f"/admin/registrations/{reg['registration_id']}/reject", reviewer, json={})
    assert r.status_code == 400 and r.data["field"] == "reason"
    r = api.post(f"/admin/registrations/{reg['registration_id']}/reject", reviewer,
                 json={"reason": "请填写完整单位名称"})
    assert r.status_code == 200
    mine = api.get("/registrations/mine", token).data["registrations"][0]
    assert mine["status"] == "rejected" and mine["reject_reason"] == "请填写完整单位名称"


def test_unknown_registration_and_unknown_edition_are_404(api):
    reviewer = api.staff("reviewer")
    assert api.post("/admin/registrations/RNOPE/approve", reviewer).status_code == 404
    r = api.get("/admin/registrations?edition_id=1999", reviewer)
    assert r.status_code == 404 and r.data["Code"] == "EDITION_NOT_FOUND"
    r = api.get("/admin/registrations?status=bogus", reviewer)
    assert r.status_code == 400 and r.data["field"] == "query.status"
    r = api.get("/admin/registrations?next_token=%%%", reviewer)
    assert r.status_code == 400


def test_bulk_approve_reports_each(api):
    reviewer = api.staff("reviewer")
    ids = [api.register(api.signup()[1]).data["registration_id"] for _ in range(2)]
    r = api.post("/admin/registrations/bulk-approve", reviewer, json={"registration_ids": ids + ["RNOPE"]})
    assert r.status_code == 200 and r.data["approved"] == 2
    assert [x["ok"] for x in r.data["results"]] == [True, True, False]
