"""Login by SMS code (issue 14), end to end through the API: the code read from the dev
outbox (GET /dev/sms), the tokens Cognito's own, issued through CUSTOM_AUTH whose triggers
(chalicelib/identity/custom_auth.py) moto runs in-process (devtools/moto_custom_auth.py)."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import unique_email
from tests.logs import app_log

PHONE = "13700001111"


def _verified(api: Any, phone: str = PHONE, **signup: Any) -> tuple[str, str]:
    """A signed-up account whose phone is verified by its SMS code; (e-mail, id token)."""
    email, token = api.signup(unique_email("sms"), phone=phone, **signup)
    assert api.post("/me/phone/code", token).status_code == 200
    code = api.get(f"/dev/sms?to={phone}").data["sms"][0]["code"]
    r = api.post("/me/phone/verify", token, json={"code": code})
    assert r.status_code == 200 and r.data["phone_verified"] is True, r.body
    return email, token


def _outbox(api: Any, phone: str) -> list[dict[str, Any]]:
    return list(api.get(f"/dev/sms?to={phone}").data["sms"])


def _login_code(api: Any, clock: Any, phone: str = PHONE) -> str:
    clock.advance(seconds=61)  # one code a minute per phone
    r = api.post("/auth/login/sms/code", json={"phone": phone})
    assert r.status_code == 200, r.body
    sms = _outbox(api, phone)[0]
    assert sms["purpose"] == "login" and sms["code"] in sms["text"] and "登录" in sms["text"]
    return str(sms["code"])


def _login(api: Any, code: str, phone: str = PHONE) -> Any:
    return api.post("/auth/login/sms", json={"phone": phone, "code": code})


def test_sms_login_end_to_end_gives_cognitos_tokens_that_the_app_verifies(api: Any, clock: Any,
                                                                          deps: Any) -> None:
    # Given an account whose phone is verified
    email, _ = _verified(api, phone="137 0000 1111")
    # When its owner asks for a login code (the number written as people write it) and types it
    clock.advance(seconds=61)
    sent = api.post("/auth/login/sms/code", json={"phone": "+86 137-0000-1111"})
    assert sent.status_code == 200 and sent.data["phone"] == "137****1111", sent.body
    assert (sent.data["expires_in"], sent.data["resend_after"]) == (300, 60)
    code = _outbox(api, PHONE)[0]["code"]
    r = _login(api, code, phone="137 0000 1111")
    # Then the answer is /auth/login's TokensOut
    assert r.status_code == 200, r.body
    assert set(r.data) == {"id_token", "access_token", "refresh_token", "expires_in"}
    # And the id token passes the app's own JWT verification (signature against the pool's
    # JWKS, issuer, audience = the web client, token_use) and the boundary
    claims = deps.identity.verify(r.data["id_token"])
    assert claims["email"] == email and claims["token_use"] == "id"
    me = api.get("/me", r.data["id_token"])
    assert me.status_code == 200 and me.data["email"] == email and me.data["phone_verified"] is True
    # And its refresh token refreshes, like a password login's
    again = api.post("/auth/refresh", json={"refresh_token": r.data["refresh_token"]})
    assert again.status_code == 200 and api.get("/me", again.data["id_token"]).status_code == 200


def test_wrong_expired_and_reused_codes_are_refused(api: Any, clock: Any) -> None:
    _verified(api)
    code = _login_code(api, clock)
    wrong = "000000" if code != "000000" else "111111"
    r = _login(api, wrong)
    assert (r.status_code, r.data["Code"], r.data["field"]) == (400, "CODE_INVALID", "code")
    assert r.data["Message"] == "验证码错误或已过期"
    # the right code still works once...
    assert _login(api, code).status_code == 200
    # ...and only once
    r = _login(api, code)
    assert (r.status_code, r.data["Code"]) == (400, "CODE_INVALID")
    # an expired one (5 minutes) is refused
    code = _login_code(api, clock)
    clock.advance(seconds=300)
    r = _login(api, code)
    assert (r.status_code, r.data["Code"]) == (400, "CODE_INVALID")


def test_three_wrong_codes_and_then_the_right_one_is_refused(api: Any, clock: Any) -> None:
    _verified(api)
    code = _login_code(api, clock)
    wrong = [c for c in ("000000", "111111", "222222", "333333") if c != code][:3]
    for w in wrong:
        assert _login(api, w).data["Code"] == "CODE_INVALID"
    r = _login(api, code)
    assert (r.status_code, r.data["Code"]) == (400, "CODE_INVALID")
    assert r.data["Message"] == "验证码已失效，请重新获取"
    # a new code works again
    assert _login(api, _login_code(api, clock)).status_code == 200


def test_an_unverified_or_unknown_phone_gets_no_sms_and_the_same_answer(api: Any, clock: Any) -> None:
    # Given a verified phone, an account's unverified phone and a number nobody has
    _verified(api, phone="13700002222")
    api.signup(unique_email("unverified"), phone="13700003333")
    answers = {}
    for phone in ("13700002222", "13700003333", "13700004444"):
        clock.advance(seconds=61)
        r = api.post("/auth/login/sms/code", json={"phone": phone})
        answers[phone] = (r.status_code, {k: v for k, v in r.data.items() if k != "phone"},
                          r.data["phone"])
    # Then the three answers are alike (only the masked number differs)
    assert len({(s, tuple(sorted(d.items()))) for s, d, _ in answers.values()}) == 1
    assert answers["13700003333"][0] == 200
    assert answers["13700003333"][2] == "137****3333"
    # And only the verified phone received an SMS
    assert [m["purpose"] for m in _outbox(api, "13700002222")] == ["login", "phone"]
    assert _outbox(api, "13700003333") == [] and _outbox(api, "13700004444") == []
    # And a code typed for them is simply invalid
    r = _login(api, "123456", phone="13700003333")
    assert (r.status_code, r.data["Code"]) == (400, "CODE_INVALID")


def test_a_phone_that_is_not_a_mainland_mobile_is_named(api: Any) -> None:
    r = api.post("/auth/login/sms/code", json={"phone": "010-12345678"})
    assert (r.status_code, r.data["field"], r.data["Code"]) == (400, "phone", "PHONE_NOT_MOBILE")
    assert "手机号" in r.data["Message"]


def _staff_with_verified_phone(api: Any, deps: Any, phone: str, kind: str, group: str) -> str:
    from chalicelib.identity import accounts
    email = unique_email(group)
    profile = accounts.sign_up(deps, email=email, password="Passw0rd!x", name="工作人员",
                               phone=phone, kind=kind, unit_name=None, credit_code=None,
                               now=deps.now(), group=group)
    account = accounts.get_account(str(profile["user_id"]), consistent_read=True)
    assert accounts.repo.mark_phone_verified(account, phone, deps.now())
    return email


@pytest.mark.parametrize("kind, group", [("staff", "admin"), ("personal", "finance")])
def test_staff_cannot_log_in_by_sms(api: Any, clock: Any, deps: Any, kind: str, group: str) -> None:
    # Given a staff account (or an account later put into a staff group) with a verified phone
    _staff_with_verified_phone(api, deps, "13700005555", kind, group)
    # When a right code is typed
    r = _login(api, _login_code(api, clock, "13700005555"), "13700005555")
    # Then one clear refusal: staff sign in with password and TOTP
    assert (r.status_code, r.data["Code"]) == (403, "SMS_LOGIN_NOT_FOR_STAFF")
    assert "动态口令" in r.data["Message"]
    assert "id_token" not in r.data


def test_a_disabled_account_gets_no_code_and_cannot_use_one_it_had(api: Any, clock: Any) -> None:
    admin = api.staff("admin")
    _verified(api, phone="13700006666")
    me_sub = None
    # A code sent before the account was disabled is refused after
    code = _login_code(api, clock, "13700006666")
    from chalicelib.identity import accounts
    me_sub = accounts.repo.with_verified_phone("13700006666")[0].user_sub
    assert api.post(f"/admin/accounts/{me_sub}/disable", admin).status_code == 200
    r = _login(api, code, "13700006666")
    assert (r.status_code, r.data["Code"]) == (403, "ACCOUNT_DISABLED")
    # And no new code is sent (the answer is the usual one)
    before = len(_outbox(api, "13700006666"))
    clock.advance(seconds=61)
    r = api.post("/auth/login/sms/code", json={"phone": "13700006666"})
    assert r.status_code == 200 and len(_outbox(api, "13700006666")) == before


def test_a_phone_verified_by_two_accounts_is_refused_after_the_code(api: Any, clock: Any) -> None:
    _verified(api, phone="13700007777")
    clock.advance(seconds=61)
    _verified(api, phone="13700007777")
    r = _login(api, _login_code(api, clock, "13700007777"), "13700007777")
    assert (r.status_code, r.data["Code"]) == (409, "PHONE_AMBIGUOUS")
    assert "邮箱和密码" in r.data["Message"]


def test_code_sending_is_limited_per_phone_at_the_limit_and_one_past(api: Any, clock: Any) -> None:
    _verified(api)
    clock.advance(seconds=61)
    # at the limit: one a minute
    assert api.post("/auth/login/sms/code", json={"phone": PHONE}).status_code == 200
    r = api.post("/auth/login/sms/code", json={"phone": PHONE})
    assert (r.status_code, r.data["Code"]) == (429, "TOO_MANY_ATTEMPTS")
    assert 0 < int(r.headers["Retry-After"]) <= 60 and "后再试" in r.data["Message"]
    # an unknown number is limited alike (nothing to tell them apart)
    assert api.post("/auth/login/sms/code", json={"phone": "13700009999"}).status_code == 200
    assert api.post("/auth/login/sms/code", json={"phone": "13700009999"}).status_code == 429
    # and five an hour: the sixth in the hour waits (the verification SMS was the first)
    for _ in range(3):
        clock.advance(seconds=61)
        assert api.post("/auth/login/sms/code", json={"phone": PHONE}).status_code == 200
    clock.advance(seconds=61)
    r = api.post("/auth/login/sms/code", json={"phone": PHONE})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 60


def test_code_checks_are_limited_per_phone_at_the_limit_and_one_past(api: Any, clock: Any) -> None:
    _verified(api)
    for i in range(10):  # ten checks in 15 minutes (a new code after each three)
        if i % 3 == 0:
            _login_code(api, clock)
        assert _login(api, "000000" if i % 2 else "999999").status_code == 400
    r = _login(api, "000000")
    assert (r.status_code, r.data["Code"]) == (429, "TOO_MANY_ATTEMPTS")
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60


def test_the_code_and_the_nonce_are_never_logged_nor_stored_in_clear(api: Any, clock: Any) -> None:
    from chalicelib.identity.repository import OneTimeCode
    from devtools import moto_custom_auth
    _verified(api)
    with app_log() as sink:
        code = _login_code(api, clock)
        assert [i.key for i in OneTimeCode.scan()] == [f"sms-login#{PHONE}"]
        assert code not in str([i.attribute_values for i in OneTimeCode.scan()])
        assert _login(api, code).status_code == 200
    verify = [e["event"] for e in moto_custom_auth.events
              if e["triggerSource"] == "VerifyAuthChallengeResponse_Authentication"][-1]
    nonce = verify["request"]["challengeAnswer"]
    assert len(nonce) >= 40  # 32 random bytes
    out = sink.getvalue()
    assert "request served" in out  # the platform's log lines were captured
    assert code not in out and nonce not in out
    # and the nonce was used up: nothing is left in the codes table
    assert list(OneTimeCode.scan()) == []


def test_cognito_unreachable_is_a_503_and_the_right_code_may_be_typed_again(
        api: Any, clock: Any, monkeypatch: Any) -> None:
    from botocore.exceptions import EndpointConnectionError

    from tests.hardening.test_dependencies import assert_retry_later, failing
    _verified(api)
    code = _login_code(api, clock)
    # When the identity provider is unreachable (moto stopped) after the code was checked
    with monkeypatch.context() as m:
        failing(m, "cognito-idp", EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
        assert_retry_later(_login(api, code))
    # Then nothing is lost: the same code signs in once it answers again, and only once
    assert _login(api, code).status_code == 200
    assert _login(api, code).data["Code"] == "CODE_INVALID"


def test_a_refusal_after_the_code_uses_it_up(api: Any, clock: Any, deps: Any) -> None:
    _staff_with_verified_phone(api, deps, "13700008888", "staff", "reviewer")
    code = _login_code(api, clock, "13700008888")
    assert _login(api, code, "13700008888").data["Code"] == "SMS_LOGIN_NOT_FOR_STAFF"
    assert _login(api, code, "13700008888").data["Code"] == "CODE_INVALID"
