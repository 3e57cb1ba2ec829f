"""Why the certificate mail needs no registration read (issue 18): the questionnaire
response carries the registration's e-mail and name as they were when it was written (the
submit transaction held the registration approved and paid), and two rules keep them true
until the mail goes out — proved here through the API, not assumed:
- a refund request is refused from course start on (billing.refunds: the refund window);
- erasure is refused while a paid trainee's edition is not over (privacy.service), and the
  job runs only inside the certificate window.
Where the calendar lets a refund follow the response (refunds closing after the
questionnaire opens), the job reads the registration and skips one refunded since."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.certificates import jobs as certificate_jobs
from tests.conftest import at, unique_email
from tests.learning.conftest import CERT_CLOSES, CERT_OPENS, LEARNING_OPEN, Trainee, answers_for, complete_courses, run_to_end
from tests.wire import dynamodb_requests

CONFIRM = {"confirm": "注销"}


def paid_by_transfer(api: Any, deps: Any, clock: Any, name: str, serial: str
                     ) -> tuple[str, str, str, str]:
    """Signed up, registered, approved and paid by bank transfer, all through the app:
    (token, user sub, registration id, order id)."""
    from chalicelib.billing import payments
    from chalicelib.registration import service as registrations
    _email, token = api.signup(unique_email("cert"), name=name)
    rid = api.register(token).data["registration_id"]
    registrations.approve(deps, rid, "reviewer", clock.now())
    order = api.post("/orders", token, json={"registration_id": rid,
                                             "channel": "bank_transfer"}).data
    payments.confirm_transfer(deps, order["order_id"], None, serial, order["amount_fen"],
                              "finance", clock.now())
    sub = api.get("/me", token).data["user_id"]
    return token, sub, rid, order["order_id"]


def finish(api: Any, deps: Any, clock: Any, token: str, sub: str, rid: str, name: str,
           answered: Any) -> None:
    """选学 at course start, every course 学习完, the questionnaire answered at `answered`."""
    clock.set(LEARNING_OPEN)
    assert api.post("/learning/enroll", token, json={}).status_code == 200
    complete_courses(deps, Trainee(sub, rid, name))
    clock.set(answered)
    r = api.post("/questionnaire/responses", token, json={"answers": answers_for(deps)})
    assert r.status_code == 201, r.body


def certificate_mails() -> dict[str, dict[str, Any]]:
    from chalicelib.platform.mail import outbox as mail
    return {m["to"]: m for m in mail.list_mail(None) if m["template"] == "certificate.available"}


def test_after_the_response_the_registration_cannot_change_so_the_mail_reads_none(
        api: Any, deps: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.registration.repository import Registration
    token, sub, rid, order_id = paid_by_transfer(api, deps, clock, "钱玥", "SER-CERT-1")
    finish(api, deps, clock, token, sub, rid, "钱玥", at("2026-05-20T10:00:00+08:00"))
    # The refund request is refused once the course has started (the response is later)
    r = api.post("/refunds", token, json={"order_id": order_id, "reason": "不想学了"})
    assert r.status_code == 409 and r.data["Code"] == "REFUND_WINDOW_CLOSED", r.body
    assert "退费申请" in r.data["Message"]
    # Erasure is refused while the training (up to the certificate window's end) runs
    clock.set(CERT_OPENS)
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 409 and r.data["Code"] == "ERASURE_BLOCKED", r.body
    clock.set(CERT_CLOSES - timedelta(seconds=1))
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 409, r.body  # to the window's last second
    clock.set(CERT_OPENS)
    reg = Registration.get(rid, consistent_read=True)
    assert (reg.status, reg.payment_status) == ("approved", "paid")
    # So the job mails the registration's address and name without reading it
    log = dynamodb_requests(monkeypatch)
    assert run_to_end(certificate_jobs.open_certificates, deps, CERT_OPENS) == \
        {"mailed": 1, "skipped": 0}
    assert [r.operation for r in log if r.table == "registrations"] == []
    monkeypatch.undo()
    mail = certificate_mails()[reg.email]
    assert mail["body"].startswith("钱玥，您好") and "2026年6月30日 24:00" in mail["body"]
    # and it never runs once the window is over (when erasure becomes possible)
    assert run_to_end(certificate_jobs.open_certificates, deps, CERT_CLOSES) == {"not_due": 1}
    r = api.get("/certificates/mine", token)
    assert r.status_code == 200 and r.data["state"] == "eligible"


def test_a_refund_after_the_response_is_caught_by_reading_the_registration(
        api: Any, deps: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edition whose refund requests close on 5-01, after the questionnaire opens
    (the editions' rules allow it): a trainee answers on 4-25 and asks for a refund on
    4-28. The job reads the registrations of responses written before 5-01 and mails only
    the one still paid."""
    from chalicelib.editions import service as editions
    from chalicelib.registration.repository import Registration
    doc = editions.admin_view(deps, "2026")
    doc["windows"]["refund"]["closes"] = "2026-05-01T00:00:00+08:00"
    editions.save_edition(deps, doc, "admin", clock.now(), create=False)
    assert editions.get_current(deps).windows.refund.closes == at("2026-05-01T00:00:00+08:00")
    stays = paid_by_transfer(api, deps, clock, "孙喆", "SER-CERT-2")
    leaves = paid_by_transfer(api, deps, clock, "李堃", "SER-CERT-3")
    for (token, sub, rid, _order), name in ((stays, "孙喆"), (leaves, "李堃")):
        finish(api, deps, clock, token, sub, rid, name, at("2026-04-25T10:00:00+08:00"))
    clock.set(at("2026-04-28T10:00:00+08:00"))
    r = api.post("/refunds", leaves[0], json={"order_id": leaves[3], "reason": "单位另有安排"})
    assert r.status_code == 201, r.body
    assert Registration.get(leaves[2], consistent_read=True).payment_status != "paid"
    log = dynamodb_requests(monkeypatch)
    assert run_to_end(certificate_jobs.open_certificates, deps, CERT_OPENS) == \
        {"mailed": 1, "skipped": 1}
    assert [r.operation for r in log if r.table == "registrations"].count("GetItem") == 2
    monkeypatch.undo()
    assert set(certificate_mails()) == {Registration.get(stays[2]).email}
