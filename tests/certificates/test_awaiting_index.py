"""The certificate jobs' sparse index (issue 18): a response is listed while its certificate
is neither issued nor expired, the issue or the expiry takes it off in the same write, the
jobs read only what is listed, and the migration marks the responses written before the
index existed. The twin (tests/learning/memory.py) keeps the same promises."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Callable

import pytest

from chalicelib.certificates import jobs as certificate_jobs
from chalicelib.learning.repository import QuestionnaireRepository, QuestionnaireResponse
from chalicelib.registration.repository import Registration
from tests.learning.conftest import CERT_CLOSES, CERT_OPENS, run_to_end
from tests.learning.memory import InMemoryQuestionnaireRepository, InMemoryRegistrations
from tests.wire import dynamodb_requests

T0 = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)


@dataclass
class Responses:
    repo: Any
    add_registration: Callable[[Registration], None]
    record_certificate: Callable[[str, str], None]
    record_expired: Callable[[str], None]


@pytest.fixture(params=["memory", "dynamodb"])
def responses(request: pytest.FixtureRequest) -> Responses:
    if request.param == "memory":
        regs = InMemoryRegistrations()
        twin = InMemoryQuestionnaireRepository(regs)
        return Responses(twin, regs.add, twin.record_certificate, twin.record_expired)
    request.getfixturevalue("deps")  # fresh tables on the embedded AWS
    from chalicelib.learning import transitions
    from chalicelib.platform.store.base import committed

    def issued(rid: str, no: str) -> None:
        assert committed(lambda tx: transitions.record_certificate(tx, rid, no))

    def expired(rid: str) -> None:
        assert committed(lambda tx: transitions.record_expired(tx, rid))
    return Responses(QuestionnaireRepository(), lambda reg: reg.save(), issued, expired)


def registration(rid: str) -> Registration:
    return Registration(registration_id=rid, edition_id="2026", user_sub=f"sub-{rid}", name="李玥",
                        unit_name="国家图书馆", job_title="馆员", region="北京", phone="13800138000",
                        email=f"{rid.lower()}@example.com", status="approved", payment_status="paid",
                        tier="non_member", fee_fen=49000, submitted_at=T0,
                        edition_unit="2026#国家图书馆", edition_email=f"2026#{rid.lower()}@example.com",
                        edition_status="2026#approved", version=1)


def response(rid: str, minute: int, **fields: Any) -> QuestionnaireResponse:
    return QuestionnaireResponse(registration_id=rid, edition_id="2026", user_sub=f"sub-{rid}",
                                 name=f"学员{rid}", unit_name="国家图书馆",
                                 email=f"{rid.lower()}@example.com", answers={"q1": 5},
                                 submitted_at=T0 + timedelta(minutes=minute), **fields)


def listed(repo: Any, limit: int = 2) -> list[str]:
    out: list[str] = []
    token = None
    while True:
        page, token = repo.page_awaiting("2026", limit, token)
        out += [r.registration_id for r in page]
        if token is None:
            return out


def test_listed_until_issued_or_expired_in_submission_order(responses: Responses) -> None:
    for minute, rid in enumerate(("R3", "R1", "R4", "R2")):
        responses.add_registration(registration(rid))
        assert responses.repo.submit(response(rid, minute), f"sub-{rid}", T0)
    assert listed(responses.repo) == ["R3", "R1", "R4", "R2"]
    page, _ = responses.repo.page_awaiting("2026", 4, None)
    # the page carries what the certificate mail needs (the index projects it)
    assert {(r.email, r.name) for r in page} >= {("r1@example.com", "学员R1")}
    assert page[0].answers in (None, {})  # not projected: the answers are not read
    responses.record_certificate("R1", "LSC2026-000001")
    responses.record_expired("R4")
    assert listed(responses.repo) == ["R3", "R2"]
    assert responses.repo.get("R1").certificate_no == "LSC2026-000001"
    assert responses.repo.get("R4").certificate_state == "expired"
    assert responses.repo.page_awaiting("2027", 10, None) == ([], None)


def test_the_backfill_marks_only_the_open_unmarked_responses_once(responses: Responses) -> None:
    """Responses written before the index (no `awaiting_certificate`): the migration marks
    the open ones; issued and expired ones stay off; a repeat marks nothing."""
    old = {"R1": {}, "R2": {"certificate_no": "LSC2026-000002", "certificate_state": "issued"},
           "R3": {"certificate_state": "expired"}, "R4": {}}
    for minute, (rid, fields) in enumerate(old.items()):
        item = response(rid, minute, **fields)
        if isinstance(responses.repo, InMemoryQuestionnaireRepository):
            responses.repo._store(item)
        else:
            item.save()
    assert listed(responses.repo) == []
    assert responses.repo.backfill_awaiting("2026", 3, None)[:2] == (3, 1)
    seen = marked = 0
    token = None
    while True:
        n, m, token = responses.repo.backfill_awaiting("2026", 3, token)
        seen, marked = seen + n, marked + m
        if token is None:
            break
    assert (seen, marked) == (4, 1)  # R1 was marked by the first page already
    assert listed(responses.repo) == ["R1", "R4"]


@pytest.fixture
def four_finished(deps: Any, clock: Any) -> list[Any]:
    from chalicelib.learning import questionnaire, service as learning
    from tests.learning.conftest import answers_for, complete_courses, paid_trainee
    people = []
    for name in ("甲", "乙", "丙", "丁"):
        t = paid_trainee(name)
        learning.enroll(deps, t.user_sub, clock.now().replace(year=2026, month=4, day=13))
        complete_courses(deps, t)
        questionnaire.submit(deps, t.user_sub, answers_for(deps), T0)
        people.append(t)
    return people


def test_the_jobs_read_only_the_listed_responses_and_no_registration(
        deps: Any, clock: Any, four_finished: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.certificates import service as certificates
    from chalicelib.platform.mail import outbox as mail
    clock.set(CERT_OPENS)
    certificates.download(deps, four_finished[0].user_sub, CERT_OPENS)  # issued: off the index
    log = dynamodb_requests(monkeypatch)
    assert run_to_end(certificate_jobs.open_certificates, deps, CERT_OPENS) == {"mailed": 3, "skipped": 0}
    queries = [r for r in log if r.operation == "Query"]
    assert [(q.params.get("IndexName"), q.evaluated) for q in queries] == [("awaiting_certificate", 3)]
    assert not [r for r in log if r.table == "registrations"]  # no registration read
    monkeypatch.undo()
    sent = {m["to"]: m for m in mail.list_mail(None) if m["template"] == "certificate.available"}
    regs = {t.name: Registration.get(t.registration_id) for t in four_finished}
    assert set(sent) == {regs[n].email for n in ("乙", "丙", "丁")}
    assert "乙，您好" in sent[regs["乙"].email]["body"]
    log = dynamodb_requests(monkeypatch)
    assert run_to_end(certificate_jobs.expire_certificates, deps, CERT_CLOSES) == \
        {"expired": 3, "already": 0}
    assert sum(r.evaluated for r in log if r.operation == "Query") == 3
    assert run_to_end(certificate_jobs.expire_certificates, deps, CERT_CLOSES) == \
        {"expired": 0, "already": 0}
    assert sum(r.evaluated for r in log if r.operation == "Query") == 3  # the second run reads none


def test_a_cursor_of_the_old_index_starts_over(deps: Any, clock: Any, four_finished: list[Any]) -> None:
    """A run interrupted before the release holds a by_edition token: the new walk ignores it
    and starts from the first listed response (each trainee is mailed once anyway)."""
    from chalicelib.editions import service as editions
    edition = editions.get_current(deps)
    old_cursor = {"phase": 0, "token": "eyJub3QiOiJ0aGlzIGluZGV4In0"}
    counts, cursor = certificate_jobs.open_certificates(deps, edition, CERT_OPENS, old_cursor, 5.0)
    assert counts == {"mailed": 4, "skipped": 0} and cursor is None


def test_the_backfill_command_runs_against_the_stage(deps: Any, clock: Any,
                                                     four_finished: list[Any]) -> None:
    from chalicelib.certificates import backfill
    QuestionnaireResponse(registration_id=four_finished[1].registration_id).update(
        actions=[QuestionnaireResponse.awaiting_certificate.remove()])  # as an old release wrote it
    out = io.StringIO()
    with redirect_stdout(out):
        assert backfill.main(["2026"]) == 0
    assert json.loads(out.getvalue()) == {"edition_id": "2026", "seen": 4, "marked": 1}
    assert backfill.main([]) == 2
