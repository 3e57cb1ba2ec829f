"""Sessions that end and attempts that are limited (issue 14, items 4 and 5): erasure and
disabling end every session (refresh tokens revoked at Cognito, id tokens refused at the
boundary), a password reset by code ends the old sessions, and sign-in, sign-up and code
sending answer 429 TOO_MANY_ATTEMPTS with Retry-After past their limits."""
from __future__ import annotations

import re
import time
from typing import Any

from tests.conftest import PASSWORD, unique_email

CONFIRM = {"confirm": "注销"}
NEW_PASSWORD = "N3w-Passw0rd!"


def _tokens(api: Any, email: str, password: str = PASSWORD) -> dict[str, Any]:
    r = api.post("/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.body
    return dict(r.data)


def test_an_erased_accounts_old_token_is_refused_at_once(api: Any) -> None:
    # Given a signed-in trainee with nothing under way
    email, token = api.signup(unique_email("gone"))
    # When they erase their account
    assert api.post("/me/erasure", token, json=CONFIRM).status_code == 200
    # Then the old id token registers nothing (it answered 201 before issue 14)
    r = api.register(token, name="新名字", phone="13000000000", email=unique_email())
    assert r.status_code == 401 and r.data["Code"] == "SESSION_ENDED"
    assert api.get("/me", token).status_code == 401


def test_erasure_revokes_the_refresh_token(api: Any) -> None:
    email, _ = api.signup(unique_email("gone"))
    tokens = _tokens(api, email)
    fresh = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert fresh.status_code == 200 and fresh.data["id_token"].count(".") == 2
    assert api.post("/me/erasure", tokens["id_token"], json=CONFIRM).status_code == 200
    r = api.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401 and r.data["Code"] == "SESSION_ENDED"
    assert api.get("/me", fresh.data["id_token"]).data["Code"] == "SESSION_ENDED"


def test_another_process_sees_a_revocation_within_the_cache_time(api: Any, monkeypatch: Any) -> None:
    from chalicelib.platform import sessions
    from chalicelib.platform.store.kv import set_entry
    email, token = api.signup(unique_email())
    sub = api.get("/me", token).data["user_id"]  # this process has read the cut-offs
    # Given another process erased the account (it wrote the cut-off; our cache is older)
    set_entry(sessions.RECENT, sub, {"v": sessions.CLOSED, "at": sessions._now_s()})
    assert api.get("/me", token).status_code == 200  # still inside the cache time
    # When the cache time has passed
    later = sessions.monotonic() + sessions.CACHE_S + 1
    monkeypatch.setattr(sessions, "monotonic", lambda: later)
    # Then the token is refused (within a minute of the revocation)
    r = api.get("/me", token)
    assert r.status_code == 401 and r.data["Code"] == "SESSION_ENDED"
    assert sessions.CACHE_S < 60


def test_a_disabled_account_can_neither_use_its_token_nor_sign_in(api: Any) -> None:
    email, token = api.signup(unique_email())
    sub = api.get("/me", token).data["user_id"]
    admin = api.staff("admin")
    r = api.post(f"/admin/accounts/{sub}/disable", admin)
    assert r.status_code == 200 and r.data == {"user_id": sub, "disabled": True}
    assert api.get("/me", token).data["Code"] == "SESSION_ENDED"
    r = api.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 401
    assert api.post(f"/admin/accounts/{sub}/disable", token).status_code == 403  # a trainee, revoked or not


def _mailed_code(api: Any, email: str) -> str:
    [mail] = [m for m in api.get(f"/dev/mail?to={email}").data["mail"]
              if m["template"] == "account.reset_code"][:1]
    match = re.search(r"验证码为 (\d{6})", mail["body"])
    assert match, mail["body"]
    return match.group(1)


def test_forgotten_password_reset_by_mailed_code_ends_the_old_sessions(api: Any) -> None:
    email, old_token = api.signup(unique_email("forgot"))
    # When the owner asks for a code and sets a new password with it
    r = api.post("/auth/password/forgot", json={"email": email})
    assert r.status_code == 202 and r.data["status"] == "sent"
    code = _mailed_code(api, email)
    r = api.post("/auth/password/reset", json={"email": email, "code": code, "password": NEW_PASSWORD})
    assert r.status_code == 200, r.body
    # Then the new password signs in, the old one does not, and the old token is refused
    assert api.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 401
    time.sleep(1.05)  # the cut-off has whole seconds (as iat): a sign-in of that second waits one
    new_token = api.login(email, NEW_PASSWORD)
    assert api.get("/me", new_token).status_code == 200
    assert api.get("/me", old_token).data["Code"] == "SESSION_ENDED"
    # And the code was single use
    r = api.post("/auth/password/reset", json={"email": email, "code": code, "password": "An0ther-pass!"})
    assert r.status_code == 400 and r.data["Code"] == "CODE_INVALID"


def test_forgot_answers_alike_for_an_unknown_email_and_sends_nothing(api: Any) -> None:
    known, _ = api.signup(unique_email())
    unknown = unique_email("nobody")
    a = api.post("/auth/password/forgot", json={"email": known})
    b = api.post("/auth/password/forgot", json={"email": unknown})
    assert (a.status_code, a.data) == (b.status_code, b.data)
    assert api.get(f"/dev/mail?to={unknown}").data["mail"] == []
    r = api.post("/auth/password/reset", json={"email": unknown, "code": "123456", "password": NEW_PASSWORD})
    assert r.status_code == 400 and r.data["Code"] == "CODE_INVALID"


def test_a_weak_new_password_does_not_use_the_code_up(api: Any) -> None:
    email, _ = api.signup(unique_email())
    api.post("/auth/password/forgot", json={"email": email})
    code = _mailed_code(api, email)
    r = api.post("/auth/password/reset", json={"email": email, "code": code, "password": "alllowercase"})
    assert r.status_code == 400 and r.data["field"] == "password"
    r = api.post("/auth/password/reset", json={"email": email, "code": code, "password": NEW_PASSWORD})
    assert r.status_code == 200


def test_reset_by_sms_goes_to_the_verified_phone_only(api: Any, clock: Any) -> None:
    email, token = api.signup(unique_email(), phone="13500000001")
    # an unverified phone: the code goes by mail
    api.post("/auth/password/forgot", json={"email": email, "channel": "sms"})
    assert api.get("/dev/sms?to=13500000001").data["sms"] == []
    # verified: by SMS
    api.post("/me/phone/code", token)
    code = api.get("/dev/sms?to=13500000001").data["sms"][0]["code"]
    assert api.post("/me/phone/verify", token, json={"code": code}).status_code == 200
    clock.advance(seconds=61)
    api.post("/auth/password/forgot", json={"email": email, "channel": "sms"})
    sms = api.get("/dev/sms?to=13500000001").data["sms"][0]
    assert sms["purpose"] == "reset" and "重置密码" in sms["text"]
    r = api.post("/auth/password/reset", json={"email": email, "code": sms["code"], "password": NEW_PASSWORD})
    assert r.status_code == 200
    assert api.get("/me", token).data["Code"] == "SESSION_ENDED"
    assert api.post("/auth/login", json={"email": email, "password": NEW_PASSWORD}).status_code == 200


def test_ten_wrong_passwords_then_even_the_right_one_waits(api: Any, clock: Any) -> None:
    email, _ = api.signup(unique_email())
    wrong = {"email": email, "password": "Wrong-pass1!"}
    # at the limit: nine failures, and the right password still signs in
    for _ in range(9):
        assert api.post("/auth/login", json=wrong).status_code == 401
    assert api.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    # the tenth failure uses the limit up; one past it the right password waits too
    assert api.post("/auth/login", json=wrong).status_code == 401
    r = api.post("/auth/login", json={"email": email.upper(), "password": PASSWORD})
    assert r.status_code == 429 and r.data["Code"] == "TOO_MANY_ATTEMPTS"
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
    assert "分钟后再试" in r.data["Message"]
    # and after the window it signs in again
    clock.advance(seconds=int(r.headers["Retry-After"]))
    assert api.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200


def test_sign_ups_from_one_address_are_limited(api: Any) -> None:
    def signup() -> Any:
        return api.post("/auth/signup", json={"email": unique_email("burst"), "password": PASSWORD,
                                               "name": "批量", "phone": "13800138000"})
    # ten within a minute are served (a library office signing up together)
    assert [signup().status_code for _ in range(10)] == [201] * 10
    # the eleventh waits
    r = signup()
    assert r.status_code == 429 and r.data["Code"] == "TOO_MANY_ATTEMPTS"
    assert 0 < int(r.headers["Retry-After"]) <= 60


def test_a_taken_email_gets_the_same_answer_as_a_new_one(api: Any) -> None:
    email, _ = api.signup(unique_email("taken"))
    fresh = api.post("/auth/signup", json={"email": unique_email(), "password": PASSWORD, "name": "甲"})
    taken = api.post("/auth/signup", json={"email": email, "password": PASSWORD, "name": "甲"})
    assert (taken.status_code, sorted(taken.data)) == (fresh.status_code, sorted(fresh.data))
    assert taken.data["user_id"] != api.get("/me", api.login(email)).data["user_id"]
    [mail] = [m for m in api.get(f"/dev/mail?to={email}").data["mail"]
              if m["template"] == "account.signup_again"]
    assert "该邮箱已有账号" in mail["body"]


def test_confirmation_codes_are_limited_per_email(api: Any) -> None:
    email, _ = api.signup(unique_email("conf"))
    answers = [api.post("/auth/confirm", json={"email": email, "code": "000000"}).status_code
               for _ in range(11)]
    assert answers[:10] == [200] * 10 and answers[10] == 429  # moto takes any code: the limit holds


def test_the_cut_offs_are_one_read_per_process_whatever_the_number_of_accounts(
        api: Any, monkeypatch: Any) -> None:
    """A warm process checks every account's token against one cached item: the 30 s
    heartbeat of thousands of viewers reads nothing extra (it once read a per-account item
    every 30 s, i.e. at almost every heartbeat)."""
    from chalicelib.platform import sessions
    tokens = [api.signup(unique_email("many"))[1] for _ in range(3)]
    for token in tokens:
        assert api.get("/me", token).status_code == 200
    reads: list[str] = []
    real_read = sessions.get_entries
    monkeypatch.setattr(sessions, "get_entries",
                        lambda key, **kw: reads.append(key) or real_read(key, **kw))
    # When the cache time has passed, three accounts' requests follow
    later = sessions.monotonic() + sessions.CACHE_S + 1
    monkeypatch.setattr(sessions, "monotonic", lambda: later)
    for token in tokens:
        assert api.get("/me", token).status_code == 200
    # Then the cut-offs were read once for the three
    assert reads == [sessions.RECENT]


def test_old_cut_offs_leave_the_item_and_two_revocations_at_once_both_land(api: Any) -> None:
    import threading

    from chalicelib.platform import sessions
    from chalicelib.platform.store.kv import get_entries, set_entry
    # Given an entry older than every token it could refuse
    old = sessions._now_s() - sessions.KEEP_S - 10
    set_entry(sessions.RECENT, "sub-long-ago", {"v": old, "at": old})
    # When two accounts are revoked at the same moment
    threads = [threading.Thread(target=sessions.revoke, args=(f"sub-now-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = get_entries(sessions.RECENT, consistent_read=True)
    # Then both are kept, the old one is gone
    assert {"sub-now-0", "sub-now-1"} <= set(entries) and "sub-long-ago" not in entries
    # ...and a token of theirs issued before is refused, one issued later accepted
    assert not sessions.token_allowed("sub-now-0", entries["sub-now-0"]["v"])
    assert sessions.token_allowed("sub-now-0", entries["sub-now-0"]["v"] + 1)
