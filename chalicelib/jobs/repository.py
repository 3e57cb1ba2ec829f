"""Scheduled-job runs: one item per (job, edition, due time), claimed with a lease, moved
forward by checkpoints (cursor + counts) and finished once. A finished run is never redone:
every write is conditional on the run's state and on the lease its runner holds."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.jobs.states import RESUMABLE, RUN_STATUS, RunStatus
from chalicelib.platform.store.attributes import StateAttribute
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import is_condition_failure, register, save_if_absent, transaction

# The run states by their old names (the runner and the tests use them).
RUNNING, PARTIAL, DONE, FAILED, UNAVAILABLE = (s.value for s in RunStatus)


class Feed(GlobalSecondaryIndex["JobRun"]):
    """Every run by its last update, newest first (GET /admin/jobs)."""
    class Meta:
        index_name = "feed"
        projection = AllProjection()

    feed = UnicodeAttribute(hash_key=True)
    updated_at = UTCDateTimeAttribute(range_key=True)


class ByJob(GlobalSecondaryIndex["JobRun"]):
    """The runs of one job in one edition (`close_registration#2026`), by due time."""
    class Meta:
        index_name = "by_job"
        projection = AllProjection()

    job_edition = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


@register
class JobRun(Model):
    class Meta:
        table_name = "job_runs"

    run_key = UnicodeAttribute(hash_key=True)  # <job>#<edition or ->#<due key>
    job = UnicodeAttribute()
    edition_id = UnicodeAttribute()
    due_key = UnicodeAttribute()  # ISO instant of the due time (sortable)
    due_at = UTCDateTimeAttribute()
    job_edition = UnicodeAttribute()
    status = StateAttribute(RUN_STATUS)
    started_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    finished_at = UTCDateTimeAttribute(null=True)
    counts = JSONAttribute(default=dict)
    cursor = JSONAttribute(null=True)
    invocations = NumberAttribute(default=0)  # how many invocations worked on it
    steps = NumberAttribute(default=0)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    error = UnicodeAttribute(null=True)
    feed = UnicodeAttribute(default="run")
    expires = TTLAttribute(null=True)  # periodic runs (mail retry) are forgotten after a while

    feed_index = Feed()
    by_job = ByJob()


def run_key(job: str, edition_id: str, due_key: str) -> str:
    return f"{job}#{edition_id}#{due_key}"


class JobRunRepository:
    def get(self, key: str) -> JobRun | None:
        try:
            return JobRun.get(key, consistent_read=True)
        except DoesNotExist:
            return None

    def claim(self, job: str, edition_id: str, due_at: datetime, due_key: str, owner: str,
              now: datetime, lease_s: float, keep_s: int | None = None) -> JobRun | None:
        """Take the run for (job, edition, due) unless it is done or another runner holds a
        live lease; None when it is not ours to run."""
        key = run_key(job, edition_id, due_key)
        lease_until = now + timedelta(seconds=lease_s)
        run = JobRun(run_key=key, job=job, edition_id=edition_id, due_key=due_key, due_at=due_at,
                     job_edition=f"{job}#{edition_id}", status=RUNNING, started_at=now,
                     updated_at=now, counts={}, cursor=None, invocations=1, steps=0,
                     lease_owner=owner, lease_until=lease_until)
        if keep_s:
            run.expires = now + timedelta(seconds=keep_s)
        try:
            with transaction() as tx:
                tx.save(run, condition=JobRun.run_key.does_not_exist())
                tx.save(audit_entry(f"job#{key}", "job.started", f"system:{job}", now,
                                    {"due_at": due_key}))
            return run
        except TransactWriteError as exc:
            if not is_condition_failure(exc):
                raise
        existing = self.get(key)
        if existing is None or existing.status == DONE:
            return None
        resumable = JobRun.status.is_in(*RESUMABLE) | (
            (JobRun.status == RUNNING) & (JobRun.lease_until < now))
        try:
            existing.update(actions=[JobRun.status.set(RUNNING), JobRun.lease_owner.set(owner),
                                     JobRun.lease_until.set(lease_until),
                                     JobRun.updated_at.set(now), JobRun.invocations.add(1),
                                     JobRun.error.remove()],
                            condition=resumable)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return existing

    def checkpoint(self, run: JobRun, counts: dict[str, int], cursor: Any, now: datetime,
                   lease_s: float) -> bool:
        """Record progress (cursor and counts so far) and extend the lease; False when the
        lease was lost (another runner took over: stop without writing anything else)."""
        try:
            run.update(actions=[JobRun.counts.set(counts), JobRun.cursor.set(cursor),
                                JobRun.steps.add(1), JobRun.updated_at.set(now),
                                JobRun.lease_until.set(now + timedelta(seconds=lease_s))],
                       condition=(JobRun.lease_owner == run.lease_owner)
                       & (JobRun.status == RUNNING))
        except UpdateError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def finish(self, run: JobRun, status: str, counts: dict[str, int], now: datetime,
               error: str | None = None) -> bool:
        """Close this invocation's work on the run: DONE (never reopened), PARTIAL (budget
        ran out: resumable), FAILED or UNAVAILABLE. Audited when DONE."""
        actions: list[Any] = [JobRun.status.set(status), JobRun.counts.set(counts),
                   JobRun.updated_at.set(now), JobRun.lease_until.remove(),
                   JobRun.lease_owner.remove()]
        if status == DONE:  # the last step has no checkpoint of its own
            actions += [JobRun.finished_at.set(now), JobRun.cursor.remove(), JobRun.steps.add(1)]
        if error:
            actions.append(JobRun.error.set(error[:500]))
        condition = (JobRun.lease_owner == run.lease_owner) & (JobRun.status == RUNNING)
        try:
            if status == DONE:
                with transaction() as tx:
                    tx.update(run, actions=actions, condition=condition)
                    tx.save(audit_entry(f"job#{run.run_key}", "job.completed",
                                        f"system:{run.job}", now, {"counts": counts}))
            else:
                run.update(actions=actions, condition=condition)
        except (TransactWriteError, UpdateError) as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def record_unavailable(self, job: str, edition_id: str, due_at: datetime, due_key: str,
                           now: datetime) -> bool:
        """A job whose code is not deployed: recorded once, not as done (it runs when the
        code lands). False when the run already exists."""
        key = run_key(job, edition_id, due_key)
        run = JobRun(run_key=key, job=job, edition_id=edition_id, due_key=due_key, due_at=due_at,
                     job_edition=f"{job}#{edition_id}", status=UNAVAILABLE, started_at=now,
                     updated_at=now, counts={}, error="not available")
        return save_if_absent(run, JobRun.run_key)

    def recent(self, limit: int, last_key: dict[str, Any] | None
               ) -> tuple[list[JobRun], dict[str, Any] | None]:
        result = JobRun.feed_index.query("run", scan_index_forward=False, limit=limit,
                                         last_evaluated_key=last_key)
        items = list(result)
        return items, result.last_evaluated_key

    def last_run(self, job: str, edition_id: str) -> JobRun | None:
        """The run of `job` for `edition_id` with the latest due time."""
        return next(iter(JobRun.by_job.query(f"{job}#{edition_id}", scan_index_forward=False,
                                             limit=1)), None)

    def runs_of(self, job: str, edition_id: str) -> list[JobRun]:
        return list(JobRun.by_job.query(f"{job}#{edition_id}"))
