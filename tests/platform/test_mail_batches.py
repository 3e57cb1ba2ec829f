"""The outbox's batches (issue 18, item 4): a job's page of mails is one outbox item, put
once per page start and updated once after the sends, with the single mail's guarantees
per recipient: recorded before sent, a crash between the two re-sends on retry (never
loses), a failed recipient stays pending and is retried alone, a re-run of the page sends
nobody twice, and privacy's export and erasure find and scrub a person inside a batch.
Against DynamoDB on moto, the wire counted through PynamoDB's connection."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.platform.clock import parse_instant
from chalicelib.platform.mail import outbox
from chalicelib.platform.mail.repository import Mail
from chalicelib.platform.mail.ses import MailSendError
from tests.wire import dynamodb_requests

NOW = parse_instant("2026-06-01T00:01:00+08:00")
SERIES = "test.batch#2026"
outbox.register_template("test.batch", "【测试】{edition_title}", "{name}，您好：\n请于 {closes} 前下载。")
SHARED = {"edition_title": "2026年培训", "closes": "2026年6月30日 24:00"}


class Mailer:
    """Takes every mail except to the addresses in `failing` (a throttled provider)."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.sent: list[tuple[str, str, str]] = []

    def send(self, to_addr: str, subject: str, body: str) -> str:
        if to_addr in self.failing:
            raise MailSendError("Throttling")
        self.sent.append((to_addr, subject, body))
        return f"msg-{len(self.sent)}"


@pytest.fixture
def mailer(deps: Any, monkeypatch: pytest.MonkeyPatch) -> Mailer:
    m = Mailer()
    monkeypatch.setattr(deps, "mailer", m)
    return m


def people(n: int, first: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
    return [(f"{SERIES}#R{i:04d}", f"p{i:04d}@example.com", {"name": f"学员{i}"})
            for i in range(first, first + n)]


def mine() -> list[dict[str, Any]]:
    return [m for m in outbox.list_mail(None, limit=1000) if m["template"] == "test.batch"]


def test_a_page_is_one_put_and_one_update_and_recorded_once(deps: Any, mailer: Mailer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    log = dynamodb_requests(monkeypatch)
    assert outbox.queue_batch(deps, SERIES, None, "tok-1", "test.batch", SHARED, people(25),
                              NOW) == (25, "tok-1", True)
    assert [r.operation for r in log] == ["PutItem", "UpdateItem"]
    assert len(mailer.sent) == 25
    to, subject, body = mailer.sent[3]
    assert (to, subject) == ("p0003@example.com", "【测试】2026年培训")
    assert body.startswith("学员3，您好：\n请于 2026年6月30日 24:00 前下载。")
    # the same page start again, whatever it reads now: nothing recorded or sent, and the
    # walk goes on from where the recorded page ended (not from this read's end)
    assert outbox.queue_batch(deps, SERIES, None, "tok-other", "test.batch", SHARED,
                              people(25, first=1), NOW) == (0, "tok-1", False)
    assert len(mailer.sent) == 25
    assert outbox.queue_batch(deps, SERIES, "tok-1", None, "test.batch", SHARED,
                              people(3, first=25), NOW) == (3, None, True)
    listed = mine()
    assert len(listed) == 28 and {m["status"] for m in listed} == {"sent"}
    assert sorted(m["mail_id"] for m in listed) == sorted(k for k, _t, _p in people(28))
    assert all(m["sent_at"] == NOW for m in listed)
    assert not list(Mail.pending_index.query("pending"))


def test_an_empty_page_is_recorded_for_the_chain_and_lists_nothing(deps: Any, mailer: Mailer) -> None:
    assert outbox.queue_batch(deps, SERIES, "tok-9", None, "test.batch", SHARED, [], NOW) == \
        (0, None, True)
    assert outbox.queue_batch(deps, SERIES, "tok-9", "tok-10", "test.batch", SHARED,
                              people(2), NOW) == (0, None, False)
    assert mine() == [] and mailer.sent == []
    assert not list(Mail.pending_index.query("pending"))


def test_a_crash_between_record_and_send_is_sent_by_the_retry(deps: Any, mailer: Mailer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: Any) -> None:
        raise SystemExit("the function timed out after recording the batch")
    with monkeypatch.context() as m:
        m.setattr(outbox, "_send_batch", crash)
        with pytest.raises(SystemExit):
            outbox.queue_batch(deps, SERIES, None, None, "test.batch", SHARED, people(4), NOW)
    assert mailer.sent == []
    assert {m["status"] for m in mine()} == {"pending"}  # recorded: not lost
    # the job resumed: the page is found, nothing sent twice; the retry job sends them
    assert outbox.queue_batch(deps, SERIES, None, None, "test.batch", SHARED, people(4), NOW) == \
        (0, None, False)
    assert mailer.sent == []
    later = NOW + timedelta(minutes=10)
    assert outbox.send_pending(deps, later) == {"sent": 4, "failed": 0}
    assert sorted(to for to, _s, _b in mailer.sent) == [p[1] for p in people(4)]
    assert {(m["status"], m["sent_at"]) for m in mine()} == {("sent", later)}
    assert outbox.send_pending(deps, later) == {"sent": 0, "failed": 0}
    assert len(mailer.sent) == 4


def test_a_failed_recipient_stays_pending_and_is_retried_alone(deps: Any, mailer: Mailer) -> None:
    mailer.failing = {"p0001@example.com"}
    assert outbox.queue_batch(deps, SERIES, None, None, "test.batch", SHARED, people(3), NOW)[0] == 3
    assert [to for to, _s, _b in mailer.sent] == ["p0000@example.com", "p0002@example.com"]
    status = {m["to"]: m["status"] for m in mine()}
    assert status == {"p0000@example.com": "sent", "p0001@example.com": "pending",
                      "p0002@example.com": "sent"}
    stored = Mail.get(outbox.batch_id(SERIES, None))
    assert stored.pending == "pending" and stored.status == "pending"
    assert stored.batch["mails"][1]["error"] == "Throttling"
    # its job may still be sending it: the retry job leaves a new batch alone a while
    assert outbox.send_pending(deps, NOW + outbox.BATCH_GRACE - timedelta(seconds=1)) == \
        {"sent": 0, "failed": 0}
    later = NOW + outbox.BATCH_GRACE
    assert outbox.send_pending(deps, later) == {"sent": 0, "failed": 1}  # still throttled
    mailer.failing = set()
    assert outbox.send_pending(deps, later) == {"sent": 1, "failed": 0}
    assert [to for to, _s, _b in mailer.sent] == ["p0000@example.com", "p0002@example.com",
                                                  "p0001@example.com"]  # only the failed one
    stored = Mail.get(outbox.batch_id(SERIES, None))
    assert (stored.status, stored.pending) == ("sent", None)
    assert stored.batch["mails"][1]["attempts"] == 3


def test_export_and_erasure_find_a_person_inside_a_batch(deps: Any, mailer: Mailer) -> None:
    """privacy.service uses mails_to (export) and scrub_recipient (erasure)."""
    mailer.failing = {"p0002@example.com"}  # p0002's mail is still pending when erased
    outbox.queue_batch(deps, SERIES, None, None, "test.batch", SHARED, people(3), NOW)
    mailer.failing = set()
    (found,) = outbox.mails_to("p0001@example.com")
    assert found["mail_id"] == f"{SERIES}#R0001" and "学员1，您好" in found["body"]
    assert [m["to"] for m in outbox.list_mail("p0001@example.com")] == ["p0001@example.com"]
    assert outbox.scrub_recipient("p0001@example.com", "erased-1@erased.invalid") == 1
    assert outbox.scrub_recipient("p0002@example.com", "erased-2@erased.invalid") == 1
    assert outbox.mails_to("p0001@example.com") == [] and outbox.mails_to("p0002@example.com") == []
    assert outbox.list_mail("p0001@example.com") == []
    kept = {m["to"]: m for m in mine()}
    assert set(kept) == {"p0000@example.com", "erased-1@erased.invalid", "erased-2@erased.invalid"}
    assert kept["erased-1@erased.invalid"]["body"] == "（已按本人申请删除）"
    assert kept["erased-1@erased.invalid"]["status"] == "sent"  # that it was sent stays
    assert "学员0，您好" in kept["p0000@example.com"]["body"]  # the others untouched
    stored = Mail.get(outbox.batch_id(SERIES, None))
    assert "p0001@example.com" not in stored.to_addrs and "学员1" not in json.dumps(stored.batch)
    # the erased pending one is never sent: the batch leaves the pending index
    assert outbox.send_pending(deps, NOW + timedelta(hours=1)) == {"sent": 0, "failed": 0}
    assert "p0002@example.com" not in [to for to, _s, _b in mailer.sent]
    assert stored.pending is None


def test_a_full_batch_stays_far_under_the_item_limit(deps: Any, mailer: Mailer) -> None:
    many = [(f"{SERIES}#R{i:010d}", f"{'x' * 40}{i:06d}@example.com", {"name": "欧阳" * 10})
            for i in range(outbox.BATCH_MAX)]
    outbox.queue_batch(deps, SERIES, "t" * 400, None, "test.batch", SHARED, many, NOW)
    stored = Mail.get(outbox.batch_id(SERIES, "t" * 400))
    size = len(json.dumps(stored.serialize(), ensure_ascii=False).encode())
    assert size < 100_000, size  # DynamoDB's limit is 400 KB
    with pytest.raises(ValueError):
        outbox.queue_batch(deps, SERIES, "more", None, "test.batch", SHARED, many + many[:1], NOW)


def test_privacy_export_and_erasure_of_a_trainee_mailed_in_a_batch(api: Any, deps: Any,
                                                                   clock: Any) -> None:
    """Through the API (privacy's /me/export and /me/erasure): the certificate mail, sent in
    the job page's batch, is in the person's export, and their erasure (allowed once the
    certificate window is over) scrubs it there while the other trainee's mail stays."""
    from chalicelib.certificates import jobs
    from tests.certificates.test_certificate_mail_contact import CONFIRM, finish, paid_by_transfer
    from tests.learning.conftest import CERT_CLOSES, CERT_OPENS, run_to_end
    answered = parse_instant("2026-05-20T10:00:00+08:00")
    paid = [(name, paid_by_transfer(api, deps, clock, name, serial))
            for name, serial in (("甲", "S-BATCH-1"), ("乙", "S-BATCH-2"))]
    people = []
    for name, (token, sub, rid, _order) in paid:
        finish(api, deps, clock, token, sub, rid, name, answered)
        people.append((token, api.get("/me", token).data["email"]))
    clock.set(CERT_OPENS)
    assert run_to_end(jobs.open_certificates, deps, CERT_OPENS) == {"mailed": 2, "skipped": 0}
    assert len(list(Mail.feed_index.query("batch"))) == 1  # one page, one outbox item
    (token, email), (_other, other_email) = people
    exported = api.get("/me/personal-data", token).data["mail"]
    mailed = [m for m in exported if m["template"] == "certificate.available"]
    assert [m["to"] for m in mailed] == [email] and "甲，您好" in mailed[0]["body"]
    clock.set(CERT_CLOSES + timedelta(days=1))
    r = api.post("/me/erasure", token, json=CONFIRM)
    assert r.status_code == 200, r.body
    assert outbox.mails_to(email) == [] and outbox.list_mail(email) == []
    batch = next(iter(Mail.feed_index.query("batch")))
    assert email not in batch.to_addrs and email not in json.dumps(batch.batch)
    left = {m["to"]: m for m in outbox.list_mail(None) if m["template"] == "certificate.available"}
    assert "乙，您好" in left[other_email]["body"]
    (erased,) = [m for to, m in left.items() if to != other_email]
    assert erased["body"] == "（已按本人申请删除）" and erased["status"] == "sent"


def test_a_batch_recorded_sent_by_another_sender_is_left_as_it_is(deps: Any, mailer: Mailer) -> None:
    """Two senders of one batch (a job and a late retry): the second's final write finds it
    sent already and leaves it (no error for the job step, nothing undone)."""
    mailer.failing = {"p0000@example.com"}
    outbox.queue_batch(deps, SERIES, None, None, "test.batch", SHARED, people(1), NOW)
    stale = Mail.get(outbox.batch_id(SERIES, None))
    mailer.failing = set()
    later = NOW + outbox.BATCH_GRACE
    assert outbox.send_pending(deps, later) == {"sent": 1, "failed": 0}
    assert outbox._send_batch(deps, stale, later) == (1, 0)  # the other sender's copy
    stored = Mail.get(outbox.batch_id(SERIES, None))
    assert (stored.status, stored.pending) == ("sent", None)
