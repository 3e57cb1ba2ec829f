"""Staff MFA (issue 14, item 6): admin, finance and reviewer sign in with a TOTP on top of
their password; codes computed by pyotp (the oracle), the enrolment URI parsed by pyotp's
own parser, the secret sealed with KMS (moto)."""
from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from devtools.appclient import PASSWORD, unique_email


def _login(api: Any, email: str, totp: str | None = None, password: str = PASSWORD) -> Any:
    body = {"email": email, "password": password}
    if totp is not None:
        body["totp"] = totp
    return api.post("/auth/login", json=body)


def _code(secret: str, step_offset: int = 0) -> str:
    return str(pyotp.TOTP(secret).at(int(time.time()) + 30 * step_offset))


def _staff(api: Any, role: str, enrolled: bool = True) -> tuple[str, str | None, str]:
    from chalicelib.identity import accounts, mfa
    email = unique_email(role)
    profile = accounts.sign_up(api.deps, email=email, password=PASSWORD, name=f"{role}员",
                               phone=None, kind="staff", unit_name=None, credit_code=None,
                               now=api.deps.now(), group=role)
    secret = None
    if enrolled:
        secret = pyotp.random_base32()
        mfa.seed_enrolled(api.deps, profile["user_id"], secret, api.deps.now())
    return email, secret, str(profile["user_id"])


@pytest.mark.parametrize("role", ["admin", "finance", "reviewer"])
def test_a_staff_password_alone_does_not_sign_in(api: Any, role: str) -> None:
    email, secret, _ = _staff(api, role)
    assert secret
    r = _login(api, email)
    assert r.status_code == 401 and r.data["Code"] == "MFA_REQUIRED"
    assert "动态口令" in r.data["Message"] and "id_token" not in r.data
    r = _login(api, email, "000000" if _code(secret) != "000000" else "111111")
    assert r.status_code == 401 and r.data["Code"] == "MFA_INVALID"
    r = _login(api, email, _code(secret))
    assert r.status_code == 200 and r.data["id_token"]
    me = api.get("/me", r.data["id_token"])
    assert role in me.data["roles"]


def test_a_code_is_accepted_once_and_only_for_its_own_account(api: Any) -> None:
    email, secret, _ = _staff(api, "admin")
    other, other_secret, _ = _staff(api, "finance")
    assert secret and other_secret
    code = _code(secret)
    assert _login(api, other, code).status_code == 401 or code == _code(other_secret)
    assert _login(api, email, code).status_code == 200
    again = _login(api, email, code)  # replayed within its 30 s
    assert again.status_code == 401 and again.data["Code"] == "MFA_INVALID"
    # the next step's code (a phone's clock a little ahead) is still good, once
    assert _login(api, email, _code(secret, +1)).status_code == 200
    # a code far from now is not
    assert _login(api, email, _code(secret, +5)).status_code == 401
    # a malformed code is a 400 naming the field
    bad = _login(api, email, "12ab56")
    assert bad.status_code == 400 and "动态口令" in bad.data["Message"]


def test_a_staff_account_enrols_at_its_first_sign_in(api: Any) -> None:
    from chalicelib.identity.mfa_repository import StaffMfa
    email, _, sub = _staff(api, "reviewer", enrolled=False)
    # Wrong password: nothing about MFA is revealed
    wrong = _login(api, email, password="Wrong-Passw0rd!")
    assert wrong.status_code == 401 and wrong.data["Code"] == "INVALID_CREDENTIALS"
    r = _login(api, email)
    assert r.status_code == 401 and r.data["Code"] == "MFA_ENROLMENT_REQUIRED"
    assert "扫描二维码" in r.data["Message"]
    assert r.data["qr_svg"].startswith("data:image/svg+xml")
    # pyotp's own parser reads what an authenticator app would scan
    totp = pyotp.parse_uri(r.data["otpauth_uri"])
    assert totp.secret == r.data["secret"] and totp.name == email
    assert totp.digits == 6 and totp.interval == 30
    # Asking again shows the same secret (the app set up once keeps working)
    assert _login(api, email).data["secret"] == r.data["secret"]
    # The secret is kept sealed by KMS, never in clear
    item = StaffMfa.get(sub, consistent_read=True)
    assert item.status == "pending" and r.data["secret"] not in item.sealed_secret
    # A wrong code does not enrol; the right one signs in and enrols
    wrong_code = _login(api, email, "000000" if totp.now() != "000000" else "111111")
    assert wrong_code.status_code == 401 and wrong_code.data["Code"] == "MFA_INVALID"
    ok = _login(api, email, totp.now())
    assert ok.status_code == 200 and ok.data["id_token"]
    assert StaffMfa.get(sub, consistent_read=True).status == "enrolled"
    after = _login(api, email)
    assert after.status_code == 401 and after.data["Code"] == "MFA_REQUIRED"  # no secret shown again
    assert "secret" not in after.data


def test_the_sealed_secret_opens_only_for_its_own_account(api: Any) -> None:
    from chalicelib.identity.mfa_repository import SecretSealError, StaffMfa, StaffMfaRepository
    email, secret, sub = _staff(api, "admin")
    _, _, other_sub = _staff(api, "finance")
    sealed = StaffMfa.get(sub, consistent_read=True).sealed_secret
    repo = StaffMfaRepository()
    assert repo.unseal(api.deps.settings, sub, sealed) == secret
    with pytest.raises(SecretSealError):
        repo.unseal(api.deps.settings, other_sub, sealed)


def test_trainees_and_units_never_need_a_code(api: Any) -> None:
    email, _ = api.signup()
    assert _login(api, email).status_code == 200
    unit, _ = api.signup(unique_email("unit"), kind="unit", unit_name="国家图书馆",
                         credit_code="12100000400010398P")
    assert _login(api, unit).status_code == 200


def test_wrong_codes_count_as_failed_sign_ins(api: Any) -> None:
    email, secret, _ = _staff(api, "admin")
    assert secret
    wrong = "000000" if _code(secret) != "000000" else "111111"
    statuses = [_login(api, email, wrong).status_code for _ in range(10)]
    assert statuses == [401] * 10
    blocked = _login(api, email, _code(secret))  # even the right code waits now
    assert blocked.status_code == 429 and blocked.data["Code"] == "TOO_MANY_ATTEMPTS"


def test_dev_secrets_are_made_once_and_kept(tmp_path: Any) -> None:
    import dataclasses
    import json

    from chalicelib.platform.settings import load_settings
    from devtools.bootstrap import STAFF, staff_totp_secrets
    settings = dataclasses.replace(load_settings(), dev_keys_dir=str(tmp_path))
    first = staff_totp_secrets(settings)
    assert sorted(first) == sorted(e for e, _, _ in STAFF) == ["admin@dev.local", "finance@dev.local",
                                                                "reviewer@dev.local"]
    assert all(pyotp.TOTP(s).now().isdigit() for s in first.values())
    assert staff_totp_secrets(settings) == first
    assert json.loads((tmp_path / "staff-totp.json").read_text()) == first
    with pytest.raises(AssertionError):
        staff_totp_secrets(dataclasses.replace(settings, stage="prod"))


def test_an_admin_resets_a_lost_authenticator(api: Any) -> None:
    email, secret, sub = _staff(api, "finance")
    assert secret
    admin = api.staff("admin")
    # only an admin may; a finance colleague may not
    assert api.post(f"/admin/staff/{sub}/mfa/reset", api.staff("finance")).status_code == 403
    r = api.post(f"/admin/staff/{sub}/mfa/reset", admin)
    assert r.status_code == 200 and r.data == {"user_id": sub, "status": "reset"}
    # the old phone's code opens nothing; the next sign-in shows a new secret
    stale = _login(api, email, _code(secret))
    assert stale.status_code == 401 and stale.data["Code"] == "MFA_INVALID"
    fresh = _login(api, email)
    assert fresh.status_code == 401 and fresh.data["Code"] == "MFA_ENROLMENT_REQUIRED"
    assert fresh.data["secret"] != secret
    assert _login(api, email, pyotp.TOTP(fresh.data["secret"]).now()).status_code == 200
    again = api.post(f"/admin/staff/{sub}/mfa/reset", admin)
    assert again.data["status"] == "reset"
    nobody = api.post("/admin/staff/nobody/mfa/reset", admin)
    assert nobody.status_code == 200 and nobody.data["status"] == "not_enrolled"
