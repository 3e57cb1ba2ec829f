"""Approval's DynamoDB requests (issue 18). One approval: GetItem registration,
Tx[registration, audit, mail], UpdateItem mail (sent) = 3 (the mail needs the stored address,
name, fee and tier: docs/performance.md). A bulk approval reads its registrations together
(one consistent BatchGetItem per 100), so N approvals cost 2N + 1; each still answers on
its own, and a copy gone stale between the read and the transaction is read again."""
from __future__ import annotations

from typing import Any

from chalicelib.identity import accounts
from chalicelib.platform.mail.repository import Mail
from chalicelib.registration import service as registrations
from tests.conftest import PASSWORD, unique_email
from tests.wire import on_the_wire

FIELDS = {"unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}


def pending(deps: Any, n: int) -> list[tuple[str, str]]:
    out = []
    for _ in range(n):
        email = unique_email("bulk")
        sub = str(accounts.sign_up(deps, email=email, password=PASSWORD, name="李玥",
                                   phone="13800138000", kind="personal", unit_name=None,
                                   credit_code=None, now=deps.now())["user_id"])
        out.append((registrations.create_registration(deps, sub, FIELDS, deps.now())
                    ["registration_id"], email))
    return out


def test_one_approval_is_three_requests(deps, clock):
    [(rid, _)] = pending(deps, 1)
    with on_the_wire(skip_stage_reads=True) as seen:
        registrations.approve(deps, rid, "reviewer", deps.now())
    assert [op for op, _ in seen] == ["GetItem", "TransactWriteItems", "UpdateItem"], seen


def test_a_bulk_approval_reads_its_registrations_in_one_batch(deps, clock):
    regs = pending(deps, 5)
    ids = [rid for rid, _ in regs]
    with on_the_wire(skip_stage_reads=True) as seen:
        out = registrations.bulk_approve(deps, ids, "reviewer", deps.now())
    assert out["approved"] == 5
    ops = [op for op, _ in seen]
    assert ops == ["BatchGetItem"] + ["TransactWriteItems", "UpdateItem"] * 5, seen
    for rid, email in regs:
        assert registrations.get_for_staff(rid).status == "approved"
        [mail] = Mail.by_recipient.query(email)
        assert (mail.template, mail.status) == ("registration.approved", "sent")
        assert rid in mail.body


def test_a_bulk_approval_answers_each_as_before(deps, clock):
    (a, mail_a), (b, _), (c, _) = pending(deps, 3)
    registrations.approve(deps, a, "reviewer", deps.now())  # approved already
    registrations.reject(deps, b, "材料不全", "reviewer", deps.now())
    out = registrations.bulk_approve(deps, [a, b, c, c, "RNOPE"], "reviewer", deps.now())
    assert [(r["registration_id"], r["ok"], r.get("code")) for r in out["results"]] == [
        (a, True, None), (b, False, "INVALID_STATE"), (c, True, None), (c, True, None),
        ("RNOPE", False, "REGISTRATION_NOT_FOUND")]
    assert out["approved"] == 3
    assert len(list(Mail.by_recipient.query(mail_a))) == 1  # a repeat mails nothing


def test_a_copy_gone_stale_after_the_batch_read_is_read_again(deps, clock, monkeypatch):
    (a, email), = pending(deps, 1)
    real = registrations.repo.get_many

    def read_then_someone_approves(ids: list[str], consistent_read: bool = False) -> list[Any]:
        got = real(ids, consistent_read=consistent_read)
        registrations.approve(deps, a, "other-reviewer", deps.now())  # in between
        return got

    monkeypatch.setattr(registrations.repo, "get_many", read_then_someone_approves)
    out = registrations.bulk_approve(deps, [a], "reviewer", deps.now())
    assert out["results"] == [{"registration_id": a, "ok": True}]
    reg = registrations.get_for_staff(a)
    assert (reg.status, reg.reviewed_by) == ("approved", "other-reviewer")
    assert len(list(Mail.by_recipient.query(email))) == 1
