"""The job runner: the edition's calendar decides what is due, not a cron line per date.

One frequent EventBridge schedule calls `run_due_jobs(deps, now, budget)`. For every
watched edition (the current one, and earlier ones until their last date is past) each job
definition yields its due instants; a due instant that has passed and whose run is not
DONE is run now. A run is claimed with a lease, advanced by `step` calls that each do a
bounded page of work and return a cursor, checkpointed after every step, and closed DONE
exactly once. When the time budget runs out the run is left PARTIAL with its cursor and the
next invocation resumes it. Each step is itself idempotent per item (conditional writes),
so even a step repeated after a crash between its writes and its checkpoint does nothing
twice.

A step: `step(deps, edition, now, cursor, budget_s) -> (counts, next_cursor | None)`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.editions import service as editions
from chalicelib.editions.edition import Edition
from chalicelib.jobs import repository as store
from chalicelib.jobs.definitions import JOBS
from chalicelib.jobs.schedule import JobDef, edition_end, resolve
from chalicelib.platform.clock import iso, monotonic
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.observability import logger
from chalicelib.platform.store.base import new_id
from chalicelib.platform.store.kv import get_value, put_value

WATCHED_KEY = "jobs.watched_editions"
GLOBAL = "-"  # the "edition" of jobs that belong to no edition (mail retry)
LEASE_S = 15 * 60  # a runner that died frees its run after this (Lambda max is 15 min)
MIN_STEP_S = 5.0  # do not start a step with less time than this left
MAX_STEP_S = 60.0  # a step is asked to return within this, so checkpoints stay frequent
SAFETY_S = 10.0  # kept back from the Lambda's remaining time


class Budget:
    """The time left to this invocation: a Lambda context's remaining time, or a plain
    number of seconds measured on the monotonic clock."""

    def __init__(self, remaining: Callable[[], float]) -> None:
        self._remaining = remaining

    def remaining(self) -> float:
        return max(0.0, self._remaining())

    @classmethod
    def seconds(cls, total: float) -> Budget:
        start = monotonic()
        return cls(lambda: total - (monotonic() - start))

    @classmethod
    def from_lambda(cls, context: Any, fallback_s: float = 840.0) -> Budget:
        getter = getattr(context, "get_remaining_time_in_millis", None)
        if getter is None:
            return cls.seconds(fallback_s)
        return cls(lambda: getter() / 1000.0 - SAFETY_S)


# --- the runner ------------------------------------------------------------------------
@dataclass
class Outcome:
    job: str
    edition_id: str
    due_at: datetime
    status: str  # done | partial | failed | unavailable | busy | deferred | error
    counts: dict[str, int] = field(default_factory=dict)
    steps: int = 0

    def view(self) -> dict[str, Any]:
        return {"job": self.job, "edition_id": self.edition_id, "due_at": iso(self.due_at),
                "status": self.status, "counts": self.counts, "steps": self.steps}


def _add(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    out = dict(total)
    for k, v in more.items():
        out[k] = out.get(k, 0) + int(v)
    return out


def run_one(deps: Deps, job: JobDef, edition: Edition | None, due_at: datetime, now: datetime,
            budget: Budget, repo: store.JobRunRepository | None = None) -> Outcome | None:
    """Run (or resume) one due run of `job`; None when it is already done or busy elsewhere."""
    repo = repo or store.JobRunRepository()
    edition_id = edition.edition_id if edition is not None else GLOBAL
    due_key = due_at.isoformat()
    existing = repo.get(store.run_key(job.name, edition_id, due_key))
    if existing is not None and existing.status == store.DONE:
        return None
    step = resolve(job.step)
    if step is None:
        if existing is None:
            repo.record_unavailable(job.name, edition_id, due_at, due_key, now)
            logger.warning("job not available", extra={"job": job.name})
            return Outcome(job.name, edition_id, due_at, store.UNAVAILABLE)
        return None  # recorded already; nothing new to say
    if budget.remaining() < MIN_STEP_S:
        return Outcome(job.name, edition_id, due_at, "deferred")
    owner = new_id("L", 12)
    run = repo.claim(job.name, edition_id, due_at, due_key, owner, now, LEASE_S, job.keep_s)
    if run is None:
        return Outcome(job.name, edition_id, due_at, "busy")
    counts: dict[str, int] = dict(run.counts or {})
    cursor = run.cursor
    steps = 0
    while True:
        left = budget.remaining()
        if left < MIN_STEP_S:
            repo.finish(run, store.PARTIAL, counts, now)
            return Outcome(job.name, edition_id, due_at, store.PARTIAL, counts, steps)
        try:
            more, cursor = step(deps, edition, now, cursor, min(left - MIN_STEP_S / 2, MAX_STEP_S))
        except Exception as exc:  # one job failing must not stop the others
            logger.exception("job step failed", extra={"job": job.name})
            repo.finish(run, store.FAILED, counts, now, error=f"{type(exc).__name__}: {exc}")
            return Outcome(job.name, edition_id, due_at, store.FAILED, counts, steps)
        steps += 1
        counts = _add(counts, more)
        if cursor is None:
            if not repo.finish(run, store.DONE, counts, now):
                return Outcome(job.name, edition_id, due_at, "busy", counts, steps)
            return Outcome(job.name, edition_id, due_at, store.DONE, counts, steps)
        if not repo.checkpoint(run, counts, cursor, now, LEASE_S):
            return Outcome(job.name, edition_id, due_at, "busy", counts, steps)


def watched_editions(deps: Deps, now: datetime) -> list[Edition]:
    """The current edition and every earlier one that still has a date ahead or a run not
    done. Kept as a list in kv (keys only, no Scan); an edition leaves it once all its jobs'
    dates are more than a week past."""
    ids: list[str] = list(get_value(WATCHED_KEY, []) or [])
    try:
        current = editions.current_edition_id(deps)
    except NotFoundError:
        current = None
    if current and current not in ids:
        ids.append(current)
    keep: list[Edition] = []
    for edition_id in ids:
        try:
            edition = editions.get_edition(deps, edition_id)
        except NotFoundError:
            continue
        if edition_id != current and edition_end(edition) < now - timedelta(days=7):
            continue
        keep.append(edition)
    new_ids = [e.edition_id for e in keep]
    if new_ids != list(get_value(WATCHED_KEY, []) or []):
        put_value(WATCHED_KEY, new_ids)
    return keep


def run_due_jobs(deps: Deps, now: datetime, budget: Budget,
                 jobs: list[JobDef] | None = None) -> dict[str, Any]:
    """Everything due at `now` that is not done yet, oldest due first; returns what ran."""
    jobs = JOBS if jobs is None else jobs
    pending: list[tuple[datetime, int, JobDef, Edition | None]] = []
    for index, job in enumerate(jobs):
        if not job.per_edition:
            pending += [(d, index, job, None) for d in job.due(None, now) if d <= now]
    for edition in watched_editions(deps, now):
        for index, job in enumerate(jobs):
            if job.per_edition:
                pending += [(d, index, job, edition) for d in job.due(edition, now) if d <= now]
    pending.sort(key=lambda p: (p[0], p[1]))
    outcomes = []
    for due_at, _, job, for_edition in pending:
        try:
            outcome = run_one(deps, job, for_edition, due_at, now, budget)
        except Exception:  # storage trouble around one run must not stop the others
            logger.exception("job run not recorded", extra={"job": job.name})
            outcome = Outcome(job.name, for_edition.edition_id if for_edition else GLOBAL,
                              due_at, "error")
        if outcome is not None:
            outcomes.append(outcome)
    return {"now": iso(now), "ran": [o.view() for o in outcomes]}
