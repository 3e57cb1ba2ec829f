"""The certificate jobs write about what they change (issue 18, item 4): counted on the wire
(every DynamoDB request through PynamoDB's connection, items read and written as the bench
counts them), over more than two pages of responses awaiting a certificate, each job stays
within 2 x what it changes + one page. The expiry is one transaction per page (each
response's mark + one audit entry naming them); the mail is one outbox batch per page
(tests/platform/test_mail_batches.py holds the outbox's side)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.certificates import jobs as certificate_jobs
from chalicelib.certificates.repository import CertificateRepository
from chalicelib.learning.repository import QuestionnaireResponse
from chalicelib.platform.store.audit import history
from chalicelib.registration.repository import Registration
from tests.certificates.test_repository_contract import world  # noqa: F401 - the fixture
from tests.learning.conftest import CERT_CLOSES, CERT_OPENS

T0 = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)  # after the refund window: no registration read
WAITING = 120  # three pages of 50: 50, 50, 20
ISSUED = 7  # off the sparse index: never read


def seed(n: int, issued: int) -> list[str]:
    """`n` paid trainees' responses awaiting a certificate, `issued` more already issued."""
    rids = []
    with Registration.batch_write() as regs, QuestionnaireResponse.batch_write() as resp:
        for i in range(n + issued):
            rid = f"R{i:06d}"
            email = f"t{i:06d}@example.com"
            regs.save(Registration(
                registration_id=rid, edition_id="2026", user_sub=f"sub-{rid}", name="李玥",
                unit_name="国家图书馆", job_title="馆员", region="北京", phone="13800138000",
                email=email, status="approved", payment_status="paid", tier="non_member",
                fee_fen=49000, submitted_at=T0, edition_status="2026#approved",
                edition_unit="2026#国家图书馆", edition_email=f"2026#{email}", version=1))
            done = i >= n
            resp.save(QuestionnaireResponse(
                registration_id=rid, edition_id="2026", user_sub=f"sub-{rid}", name=f"学员{i}",
                unit_name="国家图书馆", email=email, answers={"q1": 5},
                submitted_at=T0 + timedelta(seconds=i),
                certificate_no=f"LSC2026-{i:06d}" if done else None,
                certificate_state="issued" if done else None,
                awaiting_certificate=None if done else "2026"))
            if not done:
                rids.append(rid)
    return rids


def wire(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Items read and written on the wire, as bench/harness.py counts them (a Query: the
    items it evaluated; a transaction: its writes, its condition checks as reads)."""
    from pynamodb.connection.base import Connection
    counts = {"read": 0, "written": 0, "requests": 0}
    original = Connection._make_api_call

    def counting(self: Any, operation: str, kwargs: dict[str, Any]) -> Any:
        counts["requests"] += 1
        out = original(self, operation, kwargs)  # a failed write raises: not counted
        if operation in ("Query", "Scan"):
            counts["read"] += int(out.get("ScannedCount", out.get("Count", 0)))
        elif operation == "GetItem":
            counts["read"] += 1
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            counts["written"] += 1
        elif operation == "TransactWriteItems":
            items = kwargs.get("TransactItems") or []
            checks = sum(1 for i in items if "ConditionCheck" in i)
            counts["written"] += len(items) - checks
            counts["read"] += checks
        elif operation == "BatchWriteItem":
            counts["written"] += sum(len(v) for v in kwargs.get("RequestItems", {}).values())
        elif operation == "BatchGetItem":
            counts["read"] += sum(len(v.get("Keys", []))
                                  for v in kwargs.get("RequestItems", {}).values())
        return out
    monkeypatch.setattr(Connection, "_make_api_call", counting)
    return counts


def current(deps: Any) -> Any:
    from chalicelib.editions import service as editions
    return editions.get_current(deps)


def run_to_end(step: Any, deps: Any, now: datetime, edition: Any = None) -> dict[str, int]:
    """The job step called until it hands back no cursor, the counts summed (the edition
    read before the counting starts: the runner hands it to the step)."""
    edition = edition or current(deps)
    total: dict[str, int] = {}
    cursor = None
    while True:
        counts, cursor = step(deps, edition, now, cursor, 5.0)
        total = {k: total.get(k, 0) + counts.get(k, 0) for k in {*total, *counts}}
        if cursor is None:
            return total


def goal(changed: int) -> int:
    return 2 * changed + certificate_jobs.PAGE


def test_expiry_writes_one_audit_entry_per_page(deps: Any, clock: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rids = seed(WAITING, ISSUED)
    clock.set(CERT_CLOSES)
    edition = current(deps)
    counts = wire(monkeypatch)
    assert run_to_end(certificate_jobs.expire_certificates, deps, CERT_CLOSES, edition) == \
        {"expired": WAITING, "already": 0}
    # 120 responses read, 120 marks + 3 audit entries written (was 120 + 120 + 120)
    assert counts["read"] == WAITING
    assert counts["written"] == WAITING + 3
    assert counts["read"] + counts["written"] <= goal(WAITING)
    assert counts["requests"] == 3 + 3  # a Query and a transaction per page
    monkeypatch.undo()
    entries = history("certificates#2026")
    assert [e.action for e in entries] == ["certificate.expired"] * 3
    named = [rid for e in entries for rid in e.data["registration_ids"]]
    assert sorted(named) == rids  # every transition on the record, each once
    assert {e.actor for e in entries} == {certificate_jobs.ACTOR}
    assert all(QuestionnaireResponse.get(r).certificate_state == "expired" for r in rids[::17])
    # a second run reads and writes nothing: they are off the index
    counts = wire(monkeypatch)
    assert run_to_end(certificate_jobs.expire_certificates, deps, CERT_CLOSES, edition) == \
        {"expired": 0, "already": 0}
    assert (counts["read"], counts["written"]) == (0, 0)


def test_a_page_whose_response_moved_meanwhile_expires_the_others(deps: Any, clock: Any) -> None:
    """The index is eventually consistent: a listed response may have been expired (or
    issued) a moment ago. Its condition fails; the rest of the page expires, the audit
    entry names only those, and nothing is half written."""
    rids = seed(4, 0)
    repo = CertificateRepository()
    assert repo.expire_all([rids[1]], "2026", "system:test", CERT_CLOSES) == [rids[1]]
    assert repo.expire_all(rids + [rids[0]], "2026", "system:test", CERT_CLOSES) == \
        [rids[0], rids[2], rids[3]]
    assert repo.expire_all(rids, "2026", "system:test", CERT_CLOSES) == []
    named = sorted((e.data["registration_ids"] for e in history("certificates#2026")), key=len)
    assert named == [[rids[1]], [rids[0], rids[2], rids[3]]]
    assert {QuestionnaireResponse.get(r).certificate_state for r in rids} == {"expired"}


def test_a_page_larger_than_one_transaction_is_split(deps: Any, clock: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A transaction holds at most 100 items: a page of 150 is two transactions."""
    rids = seed(150, 0)
    monkeypatch.setattr(certificate_jobs, "PAGE", 150)
    assert run_to_end(certificate_jobs.expire_certificates, deps, CERT_CLOSES) == \
        {"expired": 150, "already": 0}
    named = [rid for e in history("certificates#2026") for rid in e.data["registration_ids"]]
    assert sorted(named) == rids and len(history("certificates#2026")) == 2
def test_open_mails_each_trainee_once_within_the_goal(deps: Any, clock: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.platform.mail import outbox as mail
    seed(WAITING, ISSUED)
    clock.set(CERT_OPENS)
    edition = current(deps)
    counts = wire(monkeypatch)
    assert run_to_end(certificate_jobs.open_certificates, deps, CERT_OPENS, edition) == \
        {"mailed": WAITING, "skipped": 0}
    assert counts["read"] == WAITING
    assert counts["written"] == 3 + 3  # a batch Put and Update per page (was 2 per mail)
    assert counts["read"] + counts["written"] <= goal(WAITING)
    monkeypatch.undo()
    sent = [m for m in mail.list_mail(None, limit=1000) if m["template"] == "certificate.available"]
    assert len(sent) == WAITING and {m["status"] for m in sent} == {"sent"}
    assert len({m["to"] for m in sent}) == WAITING
    # a repeated run (the window's date moved, say) finds each page's batch: nobody twice
    assert run_to_end(certificate_jobs.open_certificates, deps, CERT_OPENS, edition) == \
        {"mailed": 0, "skipped": 0}
    again = [m for m in mail.list_mail(None, limit=1000) if m["template"] == "certificate.available"]
    assert len(again) == WAITING


def test_the_twin_expires_a_page_as_the_repository_does(world: Any) -> None:  # noqa: F811
    """tests/certificates/memory.py's expire_all keeps the real one's promises (the unit
    tier's job tests run on it): the open ones of the page expire once, in the order given,
    an issued or already expired one is left out, a repeated id counts once."""
    from tests.certificates.test_repository_contract import certificate, eligible
    from tests.learning.test_repository_contract import T0 as AT
    for rid in ("R1", "R2", "R3", "R4"):
        eligible(world, rid)
    assert world.certificates.issue(certificate("N4", "R4"), "sub-R4", AT)
    assert world.certificates.expire_all(["R2"], "2026", "system", AT) == ["R2"]
    assert world.certificates.expire_all(["R1", "R2", "R3", "R1", "R4"], "2026", "system", AT) \
        == ["R1", "R3"]
    assert world.certificates.expire_all(["R1", "R4"], "2026", "system", AT) == []
    assert [world.responses.get(r).certificate_state for r in ("R1", "R2", "R3", "R4")] == \
        ["expired", "expired", "expired", "issued"]
    assert not world.certificates.issue(certificate("N1", "R1"), "sub-R1", AT)
