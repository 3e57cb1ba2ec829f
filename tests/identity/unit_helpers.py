"""Helpers for tests that need a verified unit account or a registration linked to one.
Through the API (`verified_unit`: sign-up, letter, staff approval) or, for service-level
tests, straight into the tables (`verify_directly`, `link_directly`)."""
from __future__ import annotations

from typing import Any

from devtools.appclient import unique_email

CODES = ("12100000400010398P", "91110000600037341L", "121000007178009999", "91310000MA1FL4XX06")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload_letter(api: Any, token: str, data: bytes = PDF,
                  content_type: str = "application/pdf") -> dict[str, Any]:
    """Ask for the presigned form and put the file where it points (as the browser would)."""
    from chalicelib.platform.storage import storage
    r = api.post("/unit/account/letter", token, json={"content_type": content_type,
                                                      "size_bytes": len(data)})
    assert r.status_code == 200, r.body
    storage(api.deps).put_object("vouchers", r.data["key"], data, content_type)
    return dict(r.data)


def verified_unit(api: Any, unit_name: str = "国家图书馆", credit_code: str = CODES[0],
                  staff: str | None = None) -> tuple[str, str, str]:
    """A unit account approved by an admin: (e-mail, id token, unit_id)."""
    email, token = api.signup(unique_email("unit"), name="单位联系人", kind="unit",
                              unit_name=unit_name, credit_code=credit_code)
    unit_id = api.get("/me", token).data["user_id"]
    upload_letter(api, token)
    admin = staff or api.staff("admin")
    r = api.post(f"/admin/units/{unit_id}/approve", admin)
    assert r.status_code == 200 and r.data["status"] == "verified", r.body
    return email, token, unit_id


def link(api: Any, token: str, registration_id: str, unit_id: str) -> Any:
    r = api.post(f"/registrations/{registration_id}/unit-link", token, json={"unit_id": unit_id})
    assert r.status_code == 200, r.body
    return r


def verify_directly(account: Any, now: Any) -> None:
    """A unit account's profile, verified (service-level tests that skip the letter)."""
    from chalicelib.identity.unit_repository import UnitProfile
    from chalicelib.platform.text import normalise_name
    UnitProfile(unit_id=account.user_sub, unit_name=account.unit_name,
                credit_code=account.credit_code or CODES[0], email=account.email,
                status="verified", status_key="verified", submitted_at=now,
                verified_name=normalise_name(account.unit_name)).save()


def link_directly(registration_id: str, unit_id: str, now: Any) -> None:
    """Link a registration to a unit as its trainee's choice would (service-level tests)."""
    from chalicelib.registration.repository import Registration
    reg = Registration.get(registration_id, consistent_read=True)
    reg.update(actions=[Registration.unit_id.set(unit_id), Registration.unit_linked_at.set(now),
                        Registration.edition_linked_unit.set(f"{reg.edition_id}#{unit_id}")])
