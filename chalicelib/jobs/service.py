"""The jobs' use cases: run what is due (EventBridge and POST /dev/jobs/run both enter
through `on_schedule`) and show staff the recent runs."""
from __future__ import annotations

from typing import Any

from chalicelib.editions import service as editions
from chalicelib.jobs.definitions import BY_NAME, JOBS
from chalicelib.jobs.repository import JobRunRepository
from chalicelib.jobs.runner import GLOBAL, Budget, run_due_jobs
from chalicelib.platform.clock import iso
from chalicelib.platform.deps import Deps, get_deps
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.observability import count, logger
from chalicelib.platform.paging import decode_token, encode_token, page_out


def on_schedule(context: Any = None, budget_s: float | None = None) -> dict[str, Any]:
    """The one entry point: run whatever is due at the application clock's now, within the
    Lambda's remaining time (or `budget_s`)."""
    deps = get_deps()
    budget = Budget.seconds(budget_s) if budget_s is not None else Budget.from_lambda(context)
    report = run_due_jobs(deps, deps.now(), budget)
    logger.info("scheduled jobs", extra={"ran": report["ran"]})
    _emit_metrics(report)
    return report


def _emit_metrics(report: dict[str, Any]) -> None:
    """JobRunCompleted once per finished invocation (infra alarms when it is missing for two
    hours), JobRunFailed per failed run."""
    count("JobRunCompleted")
    failed = sum(1 for r in report["ran"] if r["status"] == "failed")
    if failed:
        count("JobRunFailed", failed)


def current_edition_id(deps: Deps) -> str | None:
    try:
        return editions.current_edition_id(deps)
    except NotFoundError:
        return None


def _run_view(r: Any) -> dict[str, Any]:
    return {"run_key": r.run_key, "job": r.job,
            "label": BY_NAME[r.job].label if r.job in BY_NAME else r.job,
            "edition_id": r.edition_id, "due_at": iso(r.due_at), "status": r.status,
            "started_at": iso(r.started_at), "updated_at": iso(r.updated_at),
            "finished_at": iso(r.finished_at), "counts": r.counts or {},
            "invocations": r.invocations, "steps": r.steps, "error": r.error,
            "resumable": r.cursor is not None}


def recent_runs(limit: int, token: str | None, edition_id: str | None = None) -> dict[str, Any]:
    """The latest job runs, newest first, and each job's last run for `edition_id` (for
    admins; the first page only)."""
    repo = JobRunRepository()
    items, last = repo.recent(limit, decode_token(token))
    extra: dict[str, Any] = {}
    if edition_id and not token:
        jobs = []
        for job in JOBS:
            run = repo.last_run(job.name, edition_id if job.per_edition else GLOBAL)
            jobs.append({"job": job.name, "label": job.label,
                         "last_run": _run_view(run) if run is not None else None})
        extra["jobs"] = jobs
    return page_out("runs", [_run_view(r) for r in items], encode_token(last), **extra)
