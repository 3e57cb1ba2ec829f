"""The scheduled jobs with a fault at every write of a run (throttling, SES down, the
Lambda dying mid-job): the next runs converge on what a run without faults leaves, each
order closed once, each mail sent once."""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from tests.conftest import at
from tests.faults.injector import at_write, inject, run_faulted
from tests.billing.conftest import approved_registration

CLOSES = at("2026-06-13T00:10:00+08:00")  # learning (and payment) closed: orders and mail due


def _setup(pdeps: Any, clock: Any) -> dict[str, Any]:
    """Two unpaid orders that can no longer be paid, and a mail whose first send failed."""
    from chalicelib.platform.mail import outbox as mail  # noqa: F401 - registers the templates
    from chalicelib.billing import orders
    clock.set(at("2026-04-05T10:00:00+08:00"))
    made: dict[str, Any] = {"orders": [], "mail": []}
    for channel in ("bank_transfer", "alipay"):
        acc, rid = approved_registration(pdeps, clock.now())
        made["orders"].append(orders.create_order(pdeps, acc.user_sub, rid, channel, False, clock.now())["order_id"])
    with inject(pdeps, lambda i, name: "ses" if name.startswith("ses.") else None):
        mail_id = f"test.notice#{made['orders'][0]}"
        mail.queue_mail(pdeps, mail_id, "someone@example.com", "payment.confirmed", {
            "name": "某", "edition_title": "t", "order_id": "o", "paid_at": "p", "amount_yuan": "1",
            "channel_label": "c", "card_line": ""}, clock.now())
    made["mail"].append(mail_id)
    clock.set(CLOSES)
    _forget_job_runs()
    return made


def _forget_job_runs() -> None:
    """Each case starts from a ledger where nothing ran yet (a test may scan; the app never does)."""
    from chalicelib.jobs.repository import JobRun
    for run in JobRun.scan():
        run.delete()


def _state(made: dict[str, Any]) -> dict[str, Any]:
    from chalicelib.platform.store.audit import history
    from chalicelib.platform.mail.repository import Mail
    from chalicelib.billing.repository import Order
    orders = [Order.get(o, consistent_read=True) for o in made["orders"]]
    return {
        "orders": [o.status for o in orders],
        "closed_entries": [sum(1 for e in history(f"order#{o}") if e.action == "order.closed")
                           for o in made["orders"]],
        "mail": [(m.status, m.sent_at is not None) for m in (Mail.get(i, consistent_read=True) for i in made["mail"])],
    }


def _run(deps: Any) -> Any:
    from chalicelib.jobs.runner import Budget, run_due_jobs
    return run_due_jobs(deps, deps.now(), Budget.seconds(60))


def test_jobs_converge_after_a_fault_at_every_write(pdeps: Any, clock: Any) -> None:
    made = _setup(pdeps, clock)
    with inject(pdeps) as rec:
        _run(pdeps)
    expected = _state(made)
    assert expected["orders"] == ["closed", "closed"] and expected["mail"] == [("sent", True)], expected
    assert expected["closed_entries"] == [1, 1]
    writes = rec.writes()
    # A job run makes ~30 writes; every one was walked once (all converged, ~150 s on a
    # loaded machine); `make test` walks 8 spread over the run, FAULT_ALL_JOB_WRITES=1 all.
    step = 1 if os.environ.get("FAULT_ALL_JOB_WRITES") else max(1, len(writes) // 8)
    runs = 0
    for k in range(0, len(writes), step):
        op = writes[k][1]
        kind = "ses" if op.startswith("ses.") else ("throttle" if (k // step) % 2 else "interrupt")
        made = _setup(pdeps, clock)
        with inject(pdeps, at_write(k, kind)) as inj:
            run_faulted(lambda: _run(pdeps))
        if not inj.injected:  # this run wrote less than the reference (nothing left to fail)
            continue
        runs += 1
        # The next slots (15 minutes apart) pick up what is left; a dead run's lease expires
        for minutes in (15, 30, 45):
            clock.set(CLOSES + timedelta(minutes=minutes))
            _run(pdeps)
        assert _state(made) == expected, (k, kind, inj.injected, _state(made))
    assert runs >= 4, runs
    print(f"\njobs: {len(writes)} writes, {runs} faulted runs")
