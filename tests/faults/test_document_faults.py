"""Faults at every write of an invoice and of a certificate's first issue (DynamoDB
throttling, S3 errors, a dying Lambda): the retry converges on one document with one
number, numbers stay gapless, and nothing is half-written."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import at
from tests.faults.injector import at_write, inject, run_faulted

PAID = at("2026-04-05T10:00:00+08:00")


def _kinds(op: str) -> list[str]:
    return ["s3", "interrupt"] if op.startswith("s3.") else ["throttle", "interrupt"]


def test_invoice_request_converges_and_numbers_stay_gapless(deps: Any, clock: Any) -> None:
    from chalicelib.invoicing import service as invoices
    from chalicelib.invoicing.repository import Invoice
    from tests.invoicing.factories import FastIssuer, make_account, make_order
    deps.extras["invoice_issuer"] = FastIssuer()
    clock.set(at("2026-04-10T10:00:00+08:00"))

    def new_case() -> tuple[Any, Any]:
        person = make_account("张三")
        return person, make_order(person.user_sub, PAID, payer_name="张三")

    def ask(person: Any, order: Any) -> Any:
        return invoices.request_invoice(deps, person.user_sub, order.order_id, "张三", None, clock.now())
    person, order = new_case()
    with inject(deps) as rec:
        ask(person, order)
    writes = rec.writes()
    issued = [order.order_id]
    runs = 0
    for k, (_, op) in enumerate(writes):
        for kind in _kinds(op):
            runs += 1
            person, order = new_case()
            with inject(deps, at_write(k, kind)) as inj:
                run_faulted(lambda: ask(person, order))
            assert inj.injected, (k, kind)
            # The owner asks again (or downloads): one invoice for the order, its PDF there
            again = run_faulted(lambda: ask(person, order))
            live = list(Invoice.by_order.query(order.order_id))
            mine = invoices.list_mine(person.user_sub)["invoices"]
            assert len(mine) == 1, (k, kind, inj.injected, again, mine)
            link = invoices.download(deps, mine[0]["invoice_id"], person.user_sub, False, clock.now())
            assert link["url"]
            assert len(live) == 1 and live[0].invoice_no, (k, kind, [i.invoice_no for i in live])
            issued.append(order.order_id)
    # Gapless: every issued blue invoice has the next number, none burned by a fault
    seqs = sorted(int(i.seq) for oid in issued for i in Invoice.by_order.query(oid))
    assert seqs == list(range(seqs[0], seqs[0] + len(issued))), seqs
    print(f"\ninvoice: {len(writes)} writes, {runs} faulted runs")


def test_first_certificate_download_converges_to_one_certificate(deps: Any, clock: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.certificates import service as certificates
    from chalicelib.learning import service as learning, questionnaire
    from chalicelib.certificates.repository import Certificate
    from tests.learning.conftest import CERT_OPENS, LEARNING_OPEN, answers_for, complete_courses, paid_trainee
    monkeypatch.setattr(certificates, "render_pdf", lambda d, e, c: b"%PDF-1.4 " + c.certificate_no.encode())
    monkeypatch.setattr(certificates, "WAIT_FOR_PDF_S", 0.0, raising=False)

    def finished() -> Any:
        t = paid_trainee()
        clock.set(LEARNING_OPEN)
        learning.enroll(deps, t.user_sub, clock.now())
        complete_courses(deps, t)
        clock.set(at("2026-05-20T10:00:00+08:00"))
        questionnaire.submit(deps, t.user_sub, answers_for(deps), clock.now())
        clock.set(CERT_OPENS)
        return t
    t = finished()
    with inject(deps) as rec:
        certificates.download(deps, t.user_sub, clock.now())
    writes = rec.writes()
    runs = 0
    for k, (_, op) in enumerate(writes):
        for kind in _kinds(op):
            runs += 1
            t = finished()
            with inject(deps, at_write(k, kind)) as inj:
                run_faulted(lambda: certificates.download(deps, t.user_sub, clock.now()))
            assert inj.injected, (k, kind)
            first = certificates.mine(deps, t.user_sub, clock.now()).get("certificate_no")
            # The trainee clicks again: a link to the one certificate, whose PDF is stored
            link = certificates.download(deps, t.user_sub, clock.now())
            assert link["url"], (k, kind)
            mine = certificates.mine(deps, t.user_sub, clock.now())
            assert first in (None, mine["certificate_no"]), (k, kind, first, mine)
            stored = Certificate.get(mine["certificate_no"], consistent_read=True)
            assert stored.registration_id == t.registration_id and stored.pdf_state == "stored"
            cert = certificates.verify(deps, mine["certificate_no"])
            assert cert["genuine"] is True, (k, kind, cert)
    print(f"\ncertificate: {len(writes)} writes, {runs} faulted runs")
