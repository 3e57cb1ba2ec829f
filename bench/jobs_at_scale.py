"""Benchmark 6: scheduled jobs at scale. 50,000 registrations of the 2026 edition (most
approved and paid, some pending, rejected or withdrawn) and the questionnaire responses of
the trainees who finished, written in bulk; then every calendar job runs at its due date
through the same runner EventBridge invokes (jobs.runner.run_one).

For each job: the DynamoDB items it read and wrote (counted on the wire, including the
runner's lease/checkpoint bookkeeping) against the number of items it had to change
(the floor: what the seeded data makes due), and its time."""
from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from bench.harness import COUNTER, entry, fresh_stack, parse_at, summarise

# share of the registrations in each state; the rest are approved and paid
SHARES = {"pending": 0.02, "rejected": 0.01, "withdrawn": 0.004}
RESPONSE_SHARE = 0.005  # finished trainees with a questionnaire response (a sample)
ISSUED_SHARE = 0.3  # of those, already downloaded (certificate issued)


def _seed(n: int) -> dict[str, int]:
    """Bulk-write `n` registrations and the sampled questionnaire responses (not counted)."""
    from chalicelib.learning.repository import QuestionnaireResponse
    from chalicelib.registration.repository import Registration
    submitted = parse_at("2026-04-05T10:00:00+08:00")
    counts = {"approved": 0, **{k: 0 for k in SHARES}}
    bounds = []
    edge = 0.0
    for state, share in SHARES.items():
        edge += share
        bounds.append((edge, state))
    responses = issued = 0
    regs, resp = _Writer(Registration), _Writer(QuestionnaireResponse)
    if True:
        for i in range(n):
            frac = (i + 0.5) / n
            status = next((s for b, s in bounds if frac < b), "approved")
            counts[status] += 1
            sub = uuid.uuid4().hex
            email = f"{sub[:12]}@example.com"
            paid = status == "approved"
            rid = f"R{i:010d}"
            regs.save(Registration(
                registration_id=rid, edition_id="2026", user_sub=sub, name="李玥",
                unit_name="国家图书馆", job_title="馆员", region="北京", phone="13800138000",
                email=email, status=status, payment_status="paid" if paid else "unpaid",
                tier="non_member", fee_fen=49000, submitted_at=submitted,
                edition_status=f"2026#{status}", edition_unit="2026#国家图书馆",
                edition_email=f"2026#{email}", paid_order_id=f"O{i:010d}" if paid else None))
            if paid and (i % int(1 / RESPONSE_SHARE)) == 0:
                responses += 1
                done = responses % int(1 / ISSUED_SHARE) == 0
                issued += int(done)
                resp.save(QuestionnaireResponse(
                    registration_id=rid, edition_id="2026", user_sub=sub, name="李玥",
                    unit_name="国家图书馆", email=email, answers={"overall": 5},
                    submitted_at=submitted + timedelta(days=40, seconds=i),
                    certificate_no=f"LSC2026-{i:06d}" if done else None,
                    certificate_state="issued" if done else None,
                    awaiting_certificate=None if done else "2026"))  # as submit writes it
    return {**counts, "responses": responses, "issued": issued}


class _Writer:
    """Puts items straight into the in-process moto backend (the server runs in this
    process): seeding 50,000 items over HTTP would take minutes and is not what is measured."""

    def __init__(self, model: Any) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends
        self.backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][model.Meta.region]
        self.table = model.Meta.table_name

    def save(self, item: Any) -> None:
        self.backend.put_item(self.table, item.serialize())


def _floors(seeded: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Items each job must change, from what was seeded."""
    waiting = seeded["responses"] - seeded["issued"]
    return {
        "close_registration": (1, "one reminder mail to the reviewers (pending > 0)"),
        "lock_refunds": (0, "no unapproved registration holds money or an open order"),
        "close_unusable_orders": (0, "no open order is left"),
        "open_certificates": (waiting, "one mail per eligible trainee without a certificate"),
        "expire_certificates": (waiting, "one expiry mark per eligibility never used"),
        "remind_invoice_deadlines": (0, "no order's invoice window ends soon"),
    }


RUN_AT = {
    "close_registration": "2026-04-11T00:00:00+08:00",
    "lock_refunds": "2026-04-13T00:00:00+08:00",
    "close_unusable_orders": "2026-04-13T00:00:00+08:00",
    "remind_invoice_deadlines": "2026-05-10T09:00:00+08:00",
    "open_certificates": "2026-06-01T00:00:00+08:00",
    "expire_certificates": "2026-07-01T00:00:00+08:00",
}


def _noop_step(deps: Any, edition: Any, now: Any, cursor: Any, budget_s: float) -> Any:
    """A job step that changes nothing: what is left is the runner's own bookkeeping."""
    return {"noop": 1}, None


def _runner_bookkeeping(deps: Any, edition: Any) -> dict[str, Any]:
    """The items every run costs whatever its job does (the run record / lease and its
    audit: jobs/runner.py), measured with a job that does nothing: the jobs' goal is about
    what the job's own step reads and writes."""
    from chalicelib.jobs.runner import Budget, run_one
    from chalicelib.jobs.schedule import JobDef
    job = JobDef(name="bench_noop", label="空任务", step="bench.jobs_at_scale:_noop_step",
                 due=lambda e, n: [])
    due = parse_at("2026-04-05T00:00:00+08:00")
    with COUNTER.record() as calls:
        run_one(deps, job, edition, due, due + timedelta(minutes=1), Budget.seconds(60))
    s = summarise(calls)
    touched = s["items_read"] + s["items_written"]
    return entry("jobs.runner_bookkeeping", touched, touched, "items read+written",
                 "one run of a job that changes nothing (the run record and its audit, "
                 "jobs/runner.py): every job's figure includes these", items_read=s["items_read"],
                 items_written=s["items_written"], dynamodb_calls=s["dynamodb_calls"],
                 operations=s["operations"])


def run(quick: bool = False, n: int | None = None) -> list[dict[str, Any]]:
    from chalicelib.jobs.definitions import BY_NAME
    from chalicelib.jobs.runner import Budget, run_one
    from chalicelib.editions import service as editions
    n = n if n is not None else (300 if quick else 50_000)
    deps = fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    t0 = time.perf_counter()
    seeded = _seed(n)
    seed_s = time.perf_counter() - t0
    edition = editions.get_current(deps)
    floors = _floors(seeded)
    results = [_runner_bookkeeping(deps, edition)]
    for name, when in RUN_AT.items():
        job = BY_NAME.get(name)
        if job is None:
            continue
        due = parse_at(when)
        now = due + timedelta(minutes=1)
        deps.clock.set(now)
        with COUNTER.record() as calls:
            t0 = time.perf_counter()
            outcome = run_one(deps, job, edition, due, now, Budget.seconds(600))
            elapsed = time.perf_counter() - t0
        s = summarise(calls)
        floor, why = floors[name]
        touched = s["items_read"] + s["items_written"]
        view = outcome.view() if outcome is not None else {"status": "not run"}
        results.append(entry(
            f"jobs.{name}", touched, max(floor, 1), "items read+written",
            f"{n} registrations; must change {floor} ({why})", must_change=floor,
            seconds=round(elapsed, 2), items_read=s["items_read"],
            items_written=s["items_written"], dynamodb_calls=s["dynamodb_calls"],
            read_units=s["read_units"], write_units=s["write_units"],
            operations=s["operations"], other_aws_calls=s["other_aws_calls"],
            outcome=view, seeded=seeded, seed_s=round(seed_s, 1)))
    return results
