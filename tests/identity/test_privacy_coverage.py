"""The personal-data export and erasure cover every item held about a person (issue 14):
a unit account with its authorization letters and invitations, a trainee it invited who has
SMS and reset codes waiting and attempt counters, and a staff account enrolled in TOTP.
After erasure, every table is scanned: none of the person's e-mail, phone or name is left
anywhere, and their `sub` only where a kept record needs its pseudonymous key."""
from __future__ import annotations

import json
from typing import Any

import boto3
import pyotp

from devtools.appclient import PASSWORD, unique_email
from tests.identity.unit_helpers import CODES, upload_letter

CONFIRM = {"confirm": "注销"}
# Where an erased person's `sub` may stay: the erased account itself (placeholders only),
# the audit log (ids and actions), the session cut-off that refuses their tokens, the mail
# records (ids only; address and text gone) and the anonymised registrations. Everything
# keyed by the person in identity's own tables goes.
SUB_MAY_STAY = {"accounts", "audit", "kv", "mail", "registrations"}
GONE_TABLES = {"units", "unit-invitations", "codes", "staff-mfa"}
# The dev stand-in for the SMS provider's own send log (GET /dev/sms; dev and test stages
# only): in prod the messages are Alibaba Cloud's record, not an item of ours.
DEV_SMS_OUTBOX = "dev-sms-outbox"


def _tables(deps: Any) -> dict[str, list[dict[str, Any]]]:
    settings = deps.settings
    ddb = boto3.client("dynamodb", endpoint_url=settings.endpoint_url, region_name=settings.region)
    prefix = settings.table_name("")
    out: dict[str, list[dict[str, Any]]] = {}
    for page in ddb.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if name.startswith(prefix):
                out[name[len(prefix):]] = [item for p in ddb.get_paginator("scan").paginate(
                    TableName=name) for item in p["Items"]]
    return out


def _holding(tables: dict[str, list[dict[str, Any]]], needle: str) -> list[tuple[str, str]]:
    """(table, item) for every item whose text holds `needle` (case-insensitive)."""
    return [(table, text) for table, items in tables.items() for item in items
            if needle.lower() in (text := json.dumps(item, ensure_ascii=False)).lower()]


def _letters(deps: Any, unit_id: str) -> list[str]:
    s3 = boto3.client("s3", endpoint_url=deps.settings.endpoint_url, region_name=deps.settings.region)
    out = s3.list_objects_v2(Bucket=deps.settings.bucket_name("vouchers"),
                             Prefix=f"unit-letters/{unit_id}/")
    return [o["Key"] for o in out.get("Contents", [])]


def _assert_nothing_left(deps: Any, who: dict[str, str], sub: str,
                         kept: dict[str, set[str]] | None = None) -> None:
    """None of `who` in any item (but in the tables `kept` names for it); `sub` only in
    SUB_MAY_STAY (and the tables of `kept`)."""
    kept = kept or {}
    if "email" in who:
        assert not _cognito_user(deps, who["email"])
    tables = _tables(deps)
    for what, needle in who.items():
        left = [(t, text) for t, text in _holding(tables, needle)
                if not (t == "kv" and DEV_SMS_OUTBOX in text) and t not in kept.get(what, set())]
        assert left == [], (what, left)
    holding_sub = {t for t, _ in _holding(tables, sub)}
    assert holding_sub <= SUB_MAY_STAY | kept.get("sub", set()), holding_sub
    assert not holding_sub & GONE_TABLES
    account = [json.loads(text) for t, text in _holding(tables, sub) if t == "accounts"]
    assert [a["name"]["S"] for a in account] == ["已注销用户"]
    assert all(a["email"]["S"] == f"erased-{sub}@erased.invalid" and "phone" not in a
               for a in account)


def _unit(api: Any, contact: str) -> tuple[str, str, str]:
    """A unit account that uploaded two letters (the first one replaced), then verified."""
    email, token = api.signup(unique_email("unitpii"), name=contact, phone="13655556666",
                              kind="unit", unit_name="国家图书馆", credit_code=CODES[1])
    unit_id = api.get("/me", token).data["user_id"]
    upload_letter(api, token)
    clock = api.deps.clock
    clock.set(clock.now().replace(second=30))  # the second letter gets its own key
    upload_letter(api, token)
    r = api.post(f"/admin/units/{unit_id}/approve", api.staff("admin"))
    assert r.status_code == 200 and r.data["status"] == "verified", r.body
    return email, token, unit_id


def test_a_unit_and_the_trainee_it_invited_leave_nothing_behind(api: Any, deps: Any) -> None:
    unit_email, unit_token, unit_id = _unit(api, "联系人欧阳甲")
    assert len(_letters(deps, unit_id)) == 2
    # Given a trainee the unit invited, who linked the registration, then withdrew it
    email = unique_email("tpii")
    _, token = api.signup(email, name="欧阳覆盖", phone="13711112222")
    sub = api.get("/me", token).data["user_id"]
    bystander = unique_email("bystander")
    r = api.post("/unit/invitations", unit_token, json={"emails": [email, bystander]})
    assert r.status_code == 202, r.body
    rid = api.register(token).data["registration_id"]
    assert api.post(f"/registrations/{rid}/unit-link", token,
                    json={"unit_id": unit_id}).status_code == 200
    assert api.post(f"/registrations/{rid}/withdraw", token, json={}).status_code == 200
    # ...with an SMS code and a reset code waiting, attempt counters, and a mail whose id
    # names the address (someone tried to sign up with it again)
    assert api.post("/me/phone/code", token, json={}).status_code == 200
    assert api.post("/auth/password/forgot", json={"email": email, "channel": "email"}).status_code == 202
    assert api.post("/auth/login", json={"email": email, "password": "Wrong-pass1"}).status_code == 401
    assert api.post("/auth/signup", json={"email": email, "password": PASSWORD, "name": "冒名",
                                          "phone": "13900000000"}).status_code == 201

    # When the trainee exports: the invitation, the codes (where they went, never the
    # code or its hash) and what the attempt counters hold are listed
    data = api.get("/me/personal-data", token).data
    assert data["unit_invitations"]["received"] == [
        {"unit_id": unit_id, "unit_name": "国家图书馆", "invited_at": data["unit_invitations"]["received"][0]["invited_at"]}]
    assert data["unit_invitations"]["sent"] == [] and data["unit"] is None
    assert data["staff_mfa"] is None
    assert sorted((c["purpose"], c["sent_to"]) for c in data["codes"]) == [
        ("phone", "13711112222"), ("reset", email)]
    assert all(c["expires_at"].endswith("+08:00") for c in data["codes"])
    assert "摘要" in data["attempt_counters"] and "2 小时" in data["attempt_counters"]
    text = json.dumps(data, ensure_ascii=False)
    assert "code_hash" not in text and "salt" not in text
    # ...and the unit's export lists its verification record and both invitations it sent
    unit_data = api.get("/me/personal-data", unit_token).data
    assert unit_data["unit"]["status"] == "verified" and unit_data["unit"]["letters_kept"] == 2
    assert unit_data["unit"]["email"] == unit_email
    assert sorted(i["email"] for i in unit_data["unit_invitations"]["sent"]) == sorted([email, bystander])

    # When the trainee is erased
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 200 and r.data["already"] is False, r.body
    assert (r.data["invitations"], r.data["codes"], r.data["letters"]) == (1, 2, 0)
    # Then nothing holds their e-mail, phone or name (the scan of every table), and their
    # sub stays only on the kept, anonymised records
    _assert_nothing_left(deps, {"email": email, "phone": "13711112222", "name": "欧阳覆盖"}, sub)
    # ...the unit no longer sees them among its invitations, but the bystander's stays
    sent = api.get("/me/personal-data", unit_token).data["unit_invitations"]["sent"]
    assert [i["email"] for i in sent] == [bystander]
    # ...and the invitation mail is still on record as sent, under an id without the address
    from chalicelib.platform.mail.repository import Mail
    kept = Mail.get(f"unit.invitation#{unit_id}#erased-{sub}@erased.invalid")
    assert kept.status == "sent" and kept.to_addr == f"erased-{sub}@erased.invalid"

    # When the unit account is erased
    r = api.post("/me/erasure", unit_token, json=CONFIRM)
    assert r.status_code == 200 and r.data["already"] is False, r.body
    assert (r.data["letters"], r.data["invitations"]) == (2, 1)
    # Then both letters are gone from storage, and nothing holds the contact's data; the
    # invitation it sent the bystander is gone too (the bystander's own mail stays theirs)
    assert _letters(deps, unit_id) == []
    _assert_nothing_left(deps, {"email": unit_email, "phone": "13655556666", "name": "联系人欧阳甲"},
                         unit_id)
    # ...the unit is offered to nobody and linkable by nobody any more
    _, newcomer = api.signup(unique_email("newcomer"), name="新学员")
    found = api.get("/units/verified?unit_name=国家图书馆", newcomer)
    assert found.status_code == 200 and found.data["units"] == []
    new_rid = api.register(newcomer).data["registration_id"]
    refused = api.post(f"/registrations/{new_rid}/unit-link", newcomer, json={"unit_id": unit_id})
    assert 400 <= refused.status_code < 500 and refused.data["Code"] == "UNIT_NOT_AVAILABLE", refused.body
    admin = api.staff("admin")
    listed = api.get("/admin/units?status=verified", admin)
    assert listed.status_code == 200 and unit_id not in listed.body.decode()
    # ...and staff reviewing it find nothing: no pending record is made again, no mail sent
    mails_before = len(list(Mail.scan()))
    for action in ("approve", "reject"):
        body = {"reason": "材料不符"} if action == "reject" else None
        r = api.post(f"/admin/units/{unit_id}/{action}", admin, json=body)
        assert r.status_code == 404 and r.data["Code"] == "UNIT_NOT_FOUND", r.body
    assert len(list(Mail.scan())) == mails_before
    _assert_nothing_left(deps, {"email": unit_email, "phone": "13655556666", "name": "联系人欧阳甲"},
                         unit_id)

    # A second erasure: the old token is refused (signed out everywhere), an administrator's
    # repeat is harmless and changes nothing
    again = api.post("/me/erasure", token, json=CONFIRM)
    assert again.status_code == 401 and again.data["Code"] == "SESSION_ENDED"
    again = api.post(f"/admin/people/{unit_id}/erasure", admin, json=CONFIRM)
    assert again.status_code == 200 and again.data["already"] is True
    exported = api.get(f"/admin/people/{unit_id}/personal-data", admin).data
    assert exported["unit"] is None and exported["unit_invitations"] == {"received": [], "sent": []}
    assert exported["codes"] == [] and exported["account"]["erased"] is True


def test_a_staff_account_lists_its_totp_enrolment_and_erasure_forgets_the_secret(api: Any,
                                                                             deps: Any) -> None:
    from chalicelib.identity import accounts, mfa
    email = unique_email("staffpii")
    profile = accounts.sign_up(deps, email=email, password=PASSWORD, name="审核员欧阳乙",
                               phone="13544443333", kind="staff", unit_name=None,
                               credit_code=None, now=deps.now(), group="reviewer")
    sub = str(profile["user_id"])
    secret = pyotp.random_base32()
    mfa.seed_enrolled(deps, sub, secret, deps.now())
    r = api.post("/auth/login", json={"email": email, "password": PASSWORD,
                                      "totp": pyotp.TOTP(secret).now()})
    assert r.status_code == 200, r.body
    admin = api.staff("admin")
    # The export says a TOTP secret exists and since when, never the secret or its seal
    data = api.get(f"/admin/people/{sub}/personal-data", admin).data
    assert data["staff_mfa"] == {"status": "enrolled", "created_at": "2026-04-05T10:00:00+08:00",
                                 "enrolled_at": "2026-04-05T10:00:00+08:00"}
    from chalicelib.identity.mfa_repository import StaffMfa
    sealed = StaffMfa.get(sub).sealed_secret
    text = json.dumps(data, ensure_ascii=False)
    assert secret not in text and sealed not in text and "sealed" not in text
    # Erasure (by an administrator: staff have no self-service erasure) forgets the secret
    r = api.post(f"/admin/people/{sub}/erasure", admin, json=CONFIRM)
    assert r.status_code == 200 and r.data["staff_mfa"] == 1, r.body
    _assert_nothing_left(deps, {"email": email, "phone": "13544443333", "name": "审核员欧阳乙",
                                "sealed": sealed}, sub)
    assert api.post("/auth/login", json={"email": email, "password": PASSWORD,
                                         "totp": pyotp.TOTP(secret).now()}).status_code in (400, 401)
    again = api.post(f"/admin/people/{sub}/erasure", admin, json=CONFIRM)
    assert again.status_code == 200 and again.data["already"] is True


def test_a_paid_trainee_keeps_only_the_name_on_the_money_records(api: Any, deps: Any,
                                                                  clock: Any) -> None:
    """Orders and invoices are accounting records (kept as issued: the payer's name on the
    transfer memo, the invoice title); nothing else keeps the name, nothing keeps the
    e-mail or phone."""
    from tests.conftest import at
    from tests.identity.test_privacy import _paid_trainee
    email, token, ids = _paid_trainee(api, deps, clock)
    sub = api.get("/me", token).data["user_id"]
    clock.set(at("2026-07-01T00:00:00+08:00"))  # the certificate window has closed
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 200 and r.data["already"] is False, r.body
    money = {"orders", "invoices"}
    _assert_nothing_left(deps, {"email": email, "phone": "13912345678", "name": "王小明"}, sub,
                         kept={"name": money, "sub": money | {"uniques", "payments"}})
    names = {t for t, _ in _holding(_tables(deps), "王小明")}
    assert names == money  # the check above did not pass by finding nothing at all


class ProviderDown(Exception):
    """The identity provider (or the store) failing in the middle of an erasure."""


def _cognito_user(deps: Any, email: str) -> bool:
    idp = boto3.client("cognito-idp", endpoint_url=deps.settings.endpoint_url,
                       region_name=deps.settings.region)
    users = idp.list_users(UserPoolId=deps.identity.pool_id, Filter=f'email = "{email}"')["Users"]
    return bool(users)


def test_an_erasure_that_fails_half_way_is_finished_by_the_repeat(api: Any, deps: Any,
                                                                   monkeypatch: Any) -> None:
    """A failure anywhere before the account's commit point leaves the account unerased, so
    the repeat does every step again; nothing is done only after the commit (a failed
    provider deletion there would keep the sign-in, with e-mail and name, for good)."""
    from chalicelib.identity import accounts
    from chalicelib.privacy import service as privacy
    email, token = api.signup(unique_email("half"), name="欧阳半途", phone="13722223333")
    sub = api.get("/me", token).data["user_id"]
    assert _cognito_user(deps, email)
    real_delete, real_commit = deps.identity.delete_user, accounts.erase_account

    def provider_down(address: str) -> None:
        from botocore.exceptions import ClientError
        raise ClientError({"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}},
                          "AdminDeleteUser")

    def store_down(*args: Any, **kwargs: Any) -> bool:
        raise ProviderDown("dynamodb unavailable")

    # The provider throttles the deletion: a 503 to retry (never a 500), nothing committed
    monkeypatch.setattr(deps.identity, "delete_user", provider_down)
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 503 and r.data["Code"] == "RETRY_LATER", r.body
    assert api.get(f"/admin/people/{sub}/personal-data", api.staff("admin")).data[
        "account"]["erased"] is False
    assert api.get("/me", token).status_code == 200  # the person may ask again themselves
    # The store fails at the commit point after the provider deleted the sign-in
    monkeypatch.setattr(deps.identity, "delete_user", real_delete)
    monkeypatch.setattr(accounts, "erase_account", store_down)
    try:
        privacy.erase(deps, sub, "admin", deps.now())
    except ProviderDown:
        pass
    assert not _cognito_user(deps, email)
    # The administrator's repeat finishes it: nothing of the person is left anywhere
    monkeypatch.setattr(accounts, "erase_account", real_commit)
    out = privacy.erase(deps, sub, "admin", deps.now())
    assert out["erased"] is True and out["already"] is False
    _assert_nothing_left(deps, {"email": email, "phone": "13722223333", "name": "欧阳半途"}, sub)
    assert privacy.erase(deps, sub, "admin", deps.now())["already"] is True


def test_the_export_shows_the_roster_row_reached_through_a_verified_phone(api: Any,
                                                                         deps: Any) -> None:
    """Membership as /me shows it: the member number only through a verified contact point.
    The roster itself is the association's member register (imported by staff, kept by
    its own rules): erasing the platform account leaves it, and nothing else holds the phone."""
    admin = api.staff("admin")
    row = {"name": "会员欧阳丙", "phone": "13733334444", "member_no": "M-PII-1", "dues_year": 2026,
           "approved_at": "2026-03-01T09:00:00+08:00"}
    assert api.post("/admin/members", admin, json={"members": [row]}).status_code == 200
    email, token = api.signup(unique_email("member"), name="欧阳丙", phone="13733334444")
    sub = api.get("/me", token).data["user_id"]
    before = api.get("/me/personal-data", token).data
    assert before["membership"]["member_no"] is None  # not verified yet: nothing of the row
    assert before["account"]["phone_verified"] is False
    assert api.post("/me/phone/code", token, json={}).status_code == 200
    code = api.get("/dev/sms?to=13733334444").data["sms"][0]["code"]
    assert api.post("/me/phone/verify", token, json={"code": code}).status_code == 200
    data = api.get("/me/personal-data", token).data
    assert data["account"]["phone_verified"] is True
    assert (data["membership"]["is_member"], data["membership"]["member_no"]) == (True, "M-PII-1")
    assert data["codes"] == []  # the code was used up
    assert api.post("/me/erasure", token, json=CONFIRM).status_code == 200
    _assert_nothing_left(deps, {"email": email, "phone": "13733334444", "name": "欧阳丙"}, sub,
                         kept={"phone": {"members"}, "name": {"members"}})
    assert api.get(f"/admin/people/{sub}/personal-data", admin).data["membership"] is None


def test_the_questionnaire_answers_are_exported_and_the_response_loses_name_and_email(
        api: Any, deps: Any, clock: Any) -> None:
    """The response carries the name and e-mail it was written with (the certificate mail
    reads them): erasure replaces both; the answers and the certificate outcome stay."""
    from tests.certificates.test_certificate_mail_contact import finish, paid_by_transfer
    from tests.conftest import at
    from tests.learning.conftest import CERT_CLOSES, CERT_OPENS
    token, sub, rid, _ = paid_by_transfer(api, deps, clock, "欧阳问卷", "SER-PII-Q1")
    email = api.get("/me", token).data["email"]
    finish(api, deps, clock, token, sub, rid, "欧阳问卷", at("2026-05-20T10:00:00+08:00"))
    clock.set(CERT_OPENS)
    assert api.get("/certificates/mine/download", token).status_code == 200  # issued
    data = api.get("/me/personal-data", token).data
    [response] = data["questionnaire"]
    assert response["registration_id"] == rid and response["answers"]["overall"] == 5
    assert response["submitted_at"] == "2026-05-20T10:00:00+08:00"
    [certificate] = data["certificates"]
    assert certificate["certificate_no"] == response["certificate_no"]
    assert (certificate["holder_name"], certificate["status"]) == ("欧阳问卷", "issued")
    clock.set(CERT_CLOSES)  # the training is over: erasure may go through
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 200 and r.data["already"] is False, r.body
    # The name stays on the order and on the certificate (an official document as issued)
    kept_name = {"orders", "certificates"}
    _assert_nothing_left(deps, {"email": email, "name": "欧阳问卷"}, sub,
                         kept={"name": kept_name, "sub": kept_name | {
                             "uniques", "payments", "learning_progress", "questionnaire_responses"}})
    from chalicelib.learning import queries as learning
    kept = learning.response_of(rid)
    assert kept is not None and (kept.name, kept.email) == ("已注销用户", f"erased-{sub}@erased.invalid")
    assert learning.answers_of(rid) == response["answers"]


def test_a_refunded_trainee_is_no_longer_the_address_of_the_refund(api: Any, deps: Any,
                                                                    clock: Any) -> None:
    """The refund stays as recorded (an accounting record) but the e-mail its completion
    was mailed to goes; the export lists the refund."""
    from tests.identity.test_privacy import _paid_trainee
    email, token, ids = _paid_trainee(api, deps, clock)
    sub = api.get("/me", token).data["user_id"]
    r = api.post("/refunds", token, json={"order_id": ids["order"], "reason": "工作调动"})
    assert r.status_code == 201, r.body
    refund_id = r.data["refund_id"]
    done = api.post(f"/admin/refunds/{refund_id}/complete", api.staff("finance"),
                    json={"bank_serial": "SER-PII-RF-1"})
    assert done.status_code == 200 and done.data["status"] == "done", done.body
    [listed] = api.get("/me/personal-data", token).data["refunds"]
    assert (listed["refund_id"], listed["amount_fen"], listed["status"]) == (refund_id, 49000, "done")
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 200 and r.data["refunds"] == 1, r.body
    money = {"orders", "invoices", "refunds", "payments", "uniques"}
    _assert_nothing_left(deps, {"email": email, "phone": "13912345678", "name": "王小明"}, sub,
                         kept={"name": {"orders", "invoices"}, "sub": money})
    from chalicelib.billing import queries as billing
    [kept] = billing.refunds_of_order(ids["order"])
    assert (kept.status, kept.amount_fen, kept.bank_serial) == ("done", 49000, "SER-PII-RF-1")
    assert kept.notify_to == f"erased-{sub}@erased.invalid"


def test_a_unit_with_an_unpaid_group_order_is_not_erased(api: Any, deps: Any) -> None:
    """The trainees in its group order rely on it: erasure waits until the order is paid or
    closed (its members leave it, or it is cancelled), and nothing is erased meanwhile."""
    from tests.identity.unit_helpers import link, verified_unit
    unit_email, unit_token, unit_id = verified_unit(api, unit_name="国家图书馆")
    _, trainee = api.signup(unique_email("grouped"), name="组员欧阳")
    rid = api.register(trainee).data["registration_id"]
    link(api, trainee, rid, unit_id)
    assert api.post(f"/admin/registrations/{rid}/approve", api.staff("reviewer")).status_code == 200
    order = api.post("/unit/group-orders", unit_token, json={"members": [rid]})
    assert order.status_code == 201, order.body
    r = api.post("/me/erasure", unit_token, json=CONFIRM)
    assert r.status_code == 409 and r.data["Code"] == "ERASURE_BLOCKED", r.body
    assert r.data["orders"] == [order.data["order_id"]] and "请先" in r.data["Message"]
    data = api.get("/me/personal-data", unit_token).data
    assert data["unit"]["status"] == "verified" and data["account"]["email"] == unit_email
    assert len(_letters(deps, unit_id)) == 1
