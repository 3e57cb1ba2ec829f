"""The job runner: due times from the calendar, a run recorded once, checkpoints and
resumption under a time budget, a second run that changes nothing, leases."""
from __future__ import annotations

from datetime import time, timedelta

import pytest

from chalicelib.platform.clock import parse_instant
from chalicelib.jobs import runner as framework
from chalicelib.jobs.runner import Budget, run_due_jobs
from chalicelib.jobs.schedule import JobDef, at_dates, daily, every
from chalicelib.jobs import repository as store
from chalicelib.platform.store.uniques import Unique
from tests.jobs import steps


def at(text: str):
    return parse_instant(text)


class CountingBudget(Budget):
    """Plenty of time for the first `calls` checks, then none (a Lambda about to time out)."""

    def __init__(self, calls: int) -> None:
        self.left = calls
        super().__init__(self._tick)

    def _tick(self) -> float:
        self.left -= 1
        return 100.0 if self.left >= 0 else 0.0


MARK = JobDef("mark", "test job", "tests.jobs.steps:mark_items",
              at_dates(lambda e: e.windows.registration.closes))
CLOSES = at("2026-04-11T00:00:00+08:00")


@pytest.fixture(autouse=True)
def _reset_calls():
    steps.CALLS.clear()


def marked(edition_id: str = "2026") -> int:
    return sum(1 for i in range(1, steps.N + 1)
               if Unique.count(f"jobtest#{edition_id}#{i}") == 1)


def test_not_due_before_its_date_then_runs_once(deps):
    # Given the registration close at 2026-04-11 00:00
    # When the runner is called a second before, nothing runs
    report = run_due_jobs(deps, CLOSES - timedelta(seconds=1), Budget.seconds(60), [MARK])
    assert report["ran"] == [] and marked() == 0
    # When it is called at the closing second, the job runs to completion in 3 pages
    report = run_due_jobs(deps, CLOSES, Budget.seconds(60), [MARK])
    assert [(r["job"], r["status"], r["counts"], r["steps"]) for r in report["ran"]] == \
        [("mark", "done", {"done": 7, "again": 0}, 3)]
    assert marked() == 7
    run = store.JobRunRepository().get(store.run_key("mark", "2026", CLOSES.isoformat()))
    assert run.status == "done" and run.finished_at == CLOSES and run.cursor is None
    # When it is called again (a repeated or late EventBridge invocation), nothing happens
    calls = len(steps.CALLS)
    report = run_due_jobs(deps, CLOSES + timedelta(hours=5), Budget.seconds(60), [MARK])
    assert report["ran"] == [] and len(steps.CALLS) == calls


def test_interrupted_half_way_checkpoints_and_resumes_without_repeating(deps):
    # Given a budget that runs out after the first page
    now = CLOSES + timedelta(minutes=3)
    report = run_due_jobs(deps, now, CountingBudget(2), [MARK])
    # Then the run stops PARTIAL with its cursor saved
    assert [(r["status"], r["counts"]) for r in report["ran"]] == \
        [("partial", {"done": 3, "again": 0})]
    run = store.JobRunRepository().get(store.run_key("mark", "2026", CLOSES.isoformat()))
    assert run.status == "partial" and run.cursor == {"next": 4} and run.lease_owner is None
    assert marked() == 3
    # When the next invocation comes, it resumes from the cursor and completes
    report = run_due_jobs(deps, now + timedelta(minutes=15), Budget.seconds(60), [MARK])
    assert [(r["status"], r["counts"]) for r in report["ran"]] == \
        [("done", {"done": 7, "again": 0})]  # counts accumulate; nothing done twice
    assert steps.CALLS == [None, {"next": 4}, {"next": 7}]
    run.refresh()
    assert run.status == "done" and run.invocations == 2 and run.steps == 3
    assert marked() == 7


def test_a_step_repeated_after_a_crash_does_nothing_twice(deps):
    # Given a runner that died after its writes but before its checkpoint (simulated by a
    # run whose lease has expired and whose cursor is behind the work already done)
    steps.mark_items(deps, type("E", (), {"edition_id": "2026"})(), CLOSES, None, 10)
    steps.CALLS.clear()
    report = run_due_jobs(deps, CLOSES, Budget.seconds(60), [MARK])
    # Then the repeated page finds its items done and changes nothing
    assert report["ran"][0]["counts"] == {"done": 4, "again": 3}
    assert marked() == 7


def test_a_live_lease_keeps_a_second_runner_out(deps):
    repo = store.JobRunRepository()
    run = repo.claim("mark", "2026", CLOSES, CLOSES.isoformat(), "other", CLOSES, 900)
    assert run is not None
    report = run_due_jobs(deps, CLOSES + timedelta(minutes=1), Budget.seconds(60), [MARK])
    assert [r["status"] for r in report["ran"]] == ["busy"] and marked() == 0
    # and once the lease has expired (that runner died), the run is taken over
    report = run_due_jobs(deps, CLOSES + timedelta(minutes=16), Budget.seconds(60), [MARK])
    assert [r["status"] for r in report["ran"]] == ["done"] and marked() == 7
    # the dead runner can no longer write
    assert repo.checkpoint(run, {"x": 1}, {"next": 2}, CLOSES, 900) is False
    assert repo.finish(run, store.DONE, {"x": 1}, CLOSES) is False


def test_a_failing_step_is_recorded_and_retried(deps):
    bad = JobDef("bad", "fails", "tests.jobs.steps:explode",
                 at_dates(lambda e: e.windows.registration.closes))
    report = run_due_jobs(deps, CLOSES, Budget.seconds(60), [bad, MARK])
    # one failing job does not stop the others
    assert [(r["job"], r["status"]) for r in report["ran"]] == [("bad", "failed"), ("mark", "done")]
    run = store.JobRunRepository().get(store.run_key("bad", "2026", CLOSES.isoformat()))
    assert run.status == "failed" and "boom" in run.error
    report = run_due_jobs(deps, CLOSES + timedelta(minutes=15), Budget.seconds(60), [bad, MARK])
    assert [(r["job"], r["status"]) for r in report["ran"]] == [("bad", "failed")]
    run.refresh()
    assert run.invocations == 2


def test_a_job_whose_code_is_not_deployed_is_reported_not_crashed(deps):
    missing = JobDef("missing", "not yet", "chalicelib.billing.no_such_module:step",
                     at_dates(lambda e: e.windows.registration.closes))
    report = run_due_jobs(deps, CLOSES, Budget.seconds(60), [missing])
    assert [(r["job"], r["status"]) for r in report["ran"]] == [("missing", "unavailable")]
    # said once; later invocations stay quiet until the code lands
    assert run_due_jobs(deps, CLOSES + timedelta(minutes=15), Budget.seconds(60), [missing])["ran"] == []
    landed = JobDef("missing", "landed", "tests.jobs.steps:mark_items",
                    at_dates(lambda e: e.windows.registration.closes))
    report = run_due_jobs(deps, CLOSES + timedelta(minutes=30), Budget.seconds(60), [landed])
    assert [(r["job"], r["status"]) for r in report["ran"]] == [("missing", "done")]


def test_no_budget_left_defers_everything(deps):
    report = run_due_jobs(deps, CLOSES, Budget(lambda: 0.0), [MARK])
    assert [r["status"] for r in report["ran"]] == ["deferred"]
    assert store.JobRunRepository().get(store.run_key("mark", "2026", CLOSES.isoformat())) is None


def test_global_jobs_run_once_per_slot(deps):
    periodic = JobDef("tick", "every 15 min", "tests.jobs.steps:mark_items", every(15),
                      per_edition=False, keep_s=3600)
    now = at("2026-04-05T10:07:00+08:00")
    report = run_due_jobs(deps, now, Budget.seconds(60), [periodic])
    assert [(r["edition_id"], r["due_at"]) for r in report["ran"]] == [("-", "2026-04-05T10:00:00+08:00")]
    assert run_due_jobs(deps, now + timedelta(minutes=7), Budget.seconds(60), [periodic])["ran"] == []
    report = run_due_jobs(deps, now + timedelta(minutes=8), Budget.seconds(60), [periodic])
    assert [r["due_at"] for r in report["ran"]] == ["2026-04-05T10:15:00+08:00"]
    run = store.JobRunRepository().get(store.run_key("tick", "-", at("2026-04-05T10:15:00+08:00").isoformat()))
    assert run.expires is not None  # periodic records are forgotten after a while


def test_due_helpers():
    from chalicelib.editions.service import load_seed
    edition = load_seed("2026")
    reminder = daily(time(9, 0), lambda e: e.windows.registration.opens,
                     lambda e: e.windows.learning.closes)
    assert reminder(edition, at("2026-04-02T12:00:00+08:00")) == []  # before it is active
    assert reminder(edition, at("2026-04-05T08:59:59+08:00")) == [at("2026-04-04T09:00:00+08:00")]
    assert reminder(edition, at("2026-04-05T09:00:00+08:00")) == [at("2026-04-05T09:00:00+08:00")]
    assert reminder(edition, at("2026-06-13T10:00:00+08:00")) == []  # after
    assert every(15)(None, at("2026-04-05T10:29:59+08:00")) == [at("2026-04-05T10:15:00+08:00")]
    both = at_dates(lambda e: e.windows.refund.closes, lambda e: e.windows.learning.closes)
    assert both(edition, at("2026-01-01T00:00:00+08:00")) == \
        [at("2026-04-13T00:00:00+08:00"), at("2026-06-13T00:00:00+08:00")]


def test_watched_editions_keep_last_years_until_its_dates_are_past(deps):
    from chalicelib.editions.service import load_seed, save_edition
    from chalicelib.platform.store.kv import get_value
    old = load_seed("2026").model_dump(mode="json")
    old["edition_id"] = "2025"
    for w in old["windows"].values():
        for k in ("opens", "closes"):
            if w.get(k):
                w[k] = w[k].replace("2026", "2025")
    save_edition(deps, old, "admin", at("2025-01-01T00:00:00+08:00"), create=True)
    from chalicelib.platform.store.kv import put_value
    put_value(framework.WATCHED_KEY, ["2025"])
    ids = [e.edition_id for e in framework.watched_editions(deps, at("2026-04-05T10:00:00+08:00"))]
    assert ids == ["2026"]  # 2025's last date (invoices) is long past: dropped
    assert get_value(framework.WATCHED_KEY) == ["2026"]
    put_value(framework.WATCHED_KEY, ["2025"])
    ids = [e.edition_id for e in framework.watched_editions(deps, at("2025-07-10T10:00:00+08:00"))]
    assert ids == ["2025", "2026"]


def test_storage_trouble_around_one_run_does_not_stop_the_others(deps, monkeypatch):
    calls = []
    original = store.JobRunRepository.claim

    def flaky_claim(self, job, *args, **kwargs):
        calls.append(job)
        if job == "first":
            raise RuntimeError("throttled")
        return original(self, job, *args, **kwargs)

    monkeypatch.setattr(store.JobRunRepository, "claim", flaky_claim)
    first = JobDef("first", "t", "tests.jobs.steps:mark_items",
                   at_dates(lambda e: e.windows.registration.opens))
    report = run_due_jobs(deps, CLOSES, Budget.seconds(60), [first, MARK])
    assert [(r["job"], r["status"]) for r in report["ran"]] == [("first", "error"), ("mark", "done")]
