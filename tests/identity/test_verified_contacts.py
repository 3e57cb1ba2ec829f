"""Verified contact points (issue 14, items 1 and 2): a phone is verified by an SMS code read
through the dev outbox (GET /dev/sms), the roster counts only through verified contacts,
and codes expire, are used once, have few tries and are never logged or stored in clear."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import PASSWORD, unique_email
from tests.logs import app_log

MEMBER_PHONE = "13911112222"


def _roster_member(api: Any, phone: str = MEMBER_PHONE, email: str | None = None) -> None:
    admin = api.staff("admin")
    row = {"name": "会员本人", "phone": phone, "member_no": "M-PHONE-1", "dues_year": 2026,
           "approved_at": "2026-03-01T09:00:00+08:00"}
    if email:
        row["email"] = email
    r = api.post("/admin/members", admin, json={"members": [row]})
    assert r.status_code == 200, r.body


def _last_code(api: Any, phone: str) -> str:
    r = api.get(f"/dev/sms?to={phone}")
    assert r.status_code == 200, r.body
    return str(r.data["sms"][0]["code"])


def test_a_stranger_with_a_members_phone_pays_490_and_sees_no_member_no(api: Any) -> None:
    # Given a roster member known by phone only
    _roster_member(api)
    # When a stranger signs up with that phone (not verified) and registers
    _email, token = api.signup(unique_email("stranger"), name="冒名者", phone=MEMBER_PHONE)
    me = api.get("/me", token).data
    # Then /me shows no member number (before issue 14: M-PHONE-1), only the hint to verify
    assert me["membership"]["is_member"] is False and me["membership"]["member_no"] is None
    assert "M-PHONE-1" not in str(me)
    # And the registration is priced as a non-member (before: 400)
    reg = api.register(token)
    assert reg.status_code == 201 and (reg.data["tier"], reg.data["fee_fen"]) == ("non_member", 49000)
    assert me["membership"]["note"] == "验证手机后可确认会员身份"
    assert me["phone_verified"] is False


def test_verifying_ones_own_roster_phone_by_sms_prices_as_member(api: Any) -> None:
    # Given the member signs up with their phone, unverified at first
    _roster_member(api)
    _email, token = api.signup(unique_email("member"), name="会员本人", phone="139 1111 2222")
    assert api.get("/me", token).data["membership"]["is_member"] is False
    # When they ask for an SMS code and type the one the phone received
    sent = api.post("/me/phone/code", token)
    assert sent.status_code == 200, sent.body
    assert sent.data["phone"] == "139****2222" and sent.data["expires_in"] == 300
    sms = api.get(f"/dev/sms?to={MEMBER_PHONE}").data["sms"][0]
    assert sms["code"] in sms["text"] and "5 分钟内有效" in sms["text"]
    r = api.post("/me/phone/verify", token, json={"code": sms["code"]})
    # Then the phone is verified, the member number shows and the price is the member's
    assert r.status_code == 200, r.body
    assert r.data["phone_verified"] is True
    assert (r.data["membership"]["is_member"], r.data["membership"]["member_no"]) == (True, "M-PHONE-1")
    reg = api.register(token)
    assert reg.status_code == 201 and (reg.data["tier"], reg.data["fee_fen"]) == ("member", 40000)
    # And a second verification is not needed (nor sent)
    assert api.post("/me/phone/code", token).data["Code"] == "PHONE_ALREADY_VERIFIED"


def test_email_verified_shows_and_the_roster_email_counts_once_verified(api: Any) -> None:
    # Given a member known by e-mail (the test stage confirms the e-mail at sign-up, as the
    # confirmation code does in prod)
    email = unique_email("m")
    _roster_member(api, phone="13000000000", email=email)
    _email, token = api.signup(email, phone="13800138000")
    me = api.get("/me", token).data
    assert me["email_verified"] is True and me["phone_verified"] is False
    assert me["membership"]["member_no"] == "M-PHONE-1"


def test_a_code_is_used_once_and_a_wrong_one_is_refused(api: Any) -> None:
    _email, token = api.signup(unique_email(), phone="13700000001")
    api.post("/me/phone/code", token)
    code = _last_code(api, "13700000001")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    r = api.post("/me/phone/verify", token, json={"code": wrong})
    assert r.status_code == 400 and (r.data["Code"], r.data["field"]) == ("CODE_INVALID", "code")
    assert api.post("/me/phone/verify", token, json={"code": code}).status_code == 200
    # the same code again: used
    from chalicelib.identity import codes
    from chalicelib.identity.repository import OneTimeCode
    assert list(OneTimeCode.scan()) == []
    assert codes.MAX_ATTEMPTS == 5


def test_five_wrong_tries_use_the_code_up(api: Any) -> None:
    _email, token = api.signup(unique_email(), phone="13700000002")
    api.post("/me/phone/code", token)
    code = _last_code(api, "13700000002")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [api.post("/me/phone/verify", token, json={"code": wrong}).data["Message"]
               for _ in range(5)]
    assert answers[:4] == ["验证码错误或已过期"] * 4 and answers[4] == "验证码已失效，请重新获取"
    # the right code after five wrong tries is refused too
    r = api.post("/me/phone/verify", token, json={"code": code})
    assert r.status_code == 400 and r.data["Code"] == "CODE_INVALID"
    assert api.get("/me", token).data["phone_verified"] is False


def test_a_code_expires_after_five_minutes(api: Any, clock: Any) -> None:
    _email, token = api.signup(unique_email(), phone="13700000003")
    api.post("/me/phone/code", token)
    code = _last_code(api, "13700000003")
    clock.advance(seconds=300)
    r = api.post("/me/phone/verify", token, json={"code": code})
    assert r.status_code == 400 and r.data["Code"] == "CODE_INVALID"


def test_a_code_four_minutes_59_old_still_works(api: Any, clock: Any) -> None:
    _email, token = api.signup(unique_email(), phone="13700000004")
    api.post("/me/phone/code", token)
    code = _last_code(api, "13700000004")
    clock.advance(seconds=299)
    assert api.post("/me/phone/verify", token, json={"code": code}).status_code == 200


def test_codes_are_stored_hashed_and_never_logged(api: Any) -> None:
    from chalicelib.identity.repository import OneTimeCode
    _email, token = api.signup(unique_email(), phone="13700000005")
    with app_log() as sink:
        api.post("/me/phone/code", token)
        code = _last_code(api, "13700000005")
        api.post("/me/phone/verify", token, json={"code": "000000" if code != "000000" else "111111"})
    [stored] = list(OneTimeCode.scan())
    assert code not in str(stored.attribute_values)
    out = sink.getvalue()
    assert "request served" in out  # the platform's log lines were captured
    assert code not in out


def test_sms_codes_are_limited_per_phone(api: Any, clock: Any) -> None:
    _email, token = api.signup(unique_email(), phone="13700000006")
    assert api.post("/me/phone/code", token).status_code == 200
    # one a minute: the second within the minute waits
    r = api.post("/me/phone/code", token)
    assert r.status_code == 429 and r.data["Code"] == "TOO_MANY_ATTEMPTS"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # five an hour: the sixth in the hour waits, although a minute passed each time
    for _ in range(4):
        clock.advance(seconds=61)
        assert api.post("/me/phone/code", token).status_code == 200
    clock.advance(seconds=61)
    r = api.post("/me/phone/code", token)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 60
    assert len(api.get("/dev/sms?to=13700000006").data["sms"]) == 5


def test_a_phone_changed_after_the_code_was_sent_is_not_verified(api: Any) -> None:
    from chalicelib.identity import accounts
    email, token = api.signup(unique_email(), phone="13700000007")
    api.post("/me/phone/code", token)
    code = _last_code(api, "13700000007")
    account = accounts.find_by_email(email)
    account.update(actions=[type(account).phone_norm.set("13700000008")])
    r = api.post("/me/phone/verify", token, json={"code": code})
    assert r.status_code == 400 and r.data["Code"] == "CODE_INVALID"


def test_login_and_registration_do_not_wait_for_phone_verification(api: Any) -> None:
    email, token = api.signup(unique_email(), phone="13700000009")
    assert api.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    assert api.register(token).status_code == 201


def test_dev_sms_answers_newest_first_and_filters_by_number(api: Any, clock: Any) -> None:
    _e, t1 = api.signup(unique_email(), phone="13600000001")
    _e, t2 = api.signup(unique_email(), phone="13600000002")
    api.post("/me/phone/code", t1)
    clock.advance(seconds=1)
    api.post("/me/phone/code", t2)
    all_sms = api.get("/dev/sms").data["sms"]
    assert [m["to"] for m in all_sms[:2]] == ["13600000002", "13600000001"]
    assert [m["to"] for m in api.get("/dev/sms?to=+86 136 0000 0001").data["sms"]] == ["13600000001"]
    assert timedelta(seconds=0) is not None


def test_the_email_confirmation_code_marks_the_email_verified(api: Any) -> None:
    # Given an account whose e-mail is not verified yet (prod: before the Cognito code)
    from chalicelib.identity import accounts
    from chalicelib.identity.repository import Account
    email, token = api.signup(unique_email("confirm"))
    accounts.find_by_email(email).update(actions=[Account.email_verified.set(False)])
    assert api.get("/me", token).data["email_verified"] is False
    # When the code from Cognito's mail is confirmed
    r = api.post("/auth/confirm", json={"email": email.upper(), "code": "123456"})
    # Then /me says the e-mail is verified
    assert r.status_code == 200 and api.get("/me", token).data["email_verified"] is True


def test_one_code_used_by_two_racing_requests_works_once(api: Any, deps: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.identity import codes
    from chalicelib.identity.errors import CodeInvalidError
    now = deps.now()
    code = codes.issue("reset", "u-race", "race@example.com", now)

    def use(_: int) -> str:
        try:
            return codes.redeem("reset", "u-race", code, now)
        except CodeInvalidError:
            return "refused"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(use, range(8)))
    assert sorted(results) == ["race@example.com"] + ["refused"] * 7


def test_racing_wrong_guesses_get_five_tries_in_all(api: Any, deps: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib.identity import codes
    from chalicelib.identity.errors import CodeInvalidError
    from chalicelib.identity.repository import OneTimeCode
    now = deps.now()
    code = codes.issue("phone", "u-guess", "13700000099", now)
    guesses = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, 21)]

    def guess(g: str) -> bool:
        try:
            codes.redeem("phone", "u-guess", g, now)
            return True
        except CodeInvalidError:
            return False

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert not any(pool.map(guess, guesses))
    assert OneTimeCode.get("phone#u-guess").attempts == codes.MAX_ATTEMPTS
    with pytest.raises(CodeInvalidError):
        codes.redeem("phone", "u-guess", code, now)  # the right code, after the tries are used up


def test_sign_in_records_an_email_cognito_has_verified(api: Any, deps: Any) -> None:
    # Given an account confirmed at Cognito (email_verified) before the platform recorded it
    from chalicelib.identity import accounts
    from chalicelib.identity.repository import Account
    email, _ = api.signup(unique_email("legacy"))
    accounts.find_by_email(email).update(actions=[Account.email_verified.set(False)])
    cognito = deps.identity._cognito
    cognito.admin_update_user_attributes(UserPoolId=deps.identity.pool_id, Username=email,
                                         UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    # When the person signs in, Then the platform records what the id token says
    token = api.login(email)
    assert api.get("/me", token).data["email_verified"] is True


def test_only_a_mainland_mobile_gets_an_sms(api: Any) -> None:
    _email, token = api.signup(unique_email(), phone="010-6284 1234")  # a landline
    r = api.post("/me/phone/code", token)
    assert r.status_code == 400 and (r.data["Code"], r.data["field"]) == ("PHONE_NOT_MOBILE", "phone")
    assert api.get("/dev/sms").data["sms"] == []
