"""Scheduled jobs as staff see them: the recent runs."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint
from pydantic import Field

from chalicelib.jobs import service as jobs
from chalicelib.jobs.states import RUN_STATUS
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import PageQuery

bp = Blueprint(__name__)

RUN_OUT = {
    "type": "object", "required": ["run_key", "job", "edition_id", "due_at", "status", "counts"],
    "properties": {
        "run_key": {"type": "string"}, "job": {"type": "string"}, "label": {"type": "string"},
        "edition_id": {"type": "string"}, "due_at": {"type": "string"},
        "status": RUN_STATUS.schema(),
        "started_at": {"type": "string"}, "updated_at": {"type": "string"},
        "finished_at": {"type": ["string", "null"]}, "counts": {"type": "object"},
        "invocations": {"type": "integer"}, "steps": {"type": "integer"},
        "error": {"type": ["string", "null"]}, "resumable": {"type": "boolean"},
    },
}
RUNS_OUT = {"type": "object", "required": ["runs"],
            "properties": {"runs": {"type": "array", "items": RUN_OUT},
                           "next_token": {"type": ["string", "null"]},
                           "jobs": {"type": "array", "items": {
                               "type": "object", "required": ["job", "label", "last_run"],
                               "properties": {"job": {"type": "string"},
                                              "label": {"type": "string"},
                                              "last_run": {"anyOf": [RUN_OUT, {"type": "null"}]}}}}}}


class RunsQuery(PageQuery):
    edition_id: str | None = Field(default=None, max_length=32)


@route(bp, "/admin/jobs", summary="定时任务的最近运行记录，及本届每个任务的最近一次运行", roles=("admin",),
       query=RunsQuery, response=RUNS_OUT, tags=("jobs",))
def recent(ctx: Ctx) -> dict[str, Any]:
    q: RunsQuery = ctx.query
    return jobs.recent_runs(q.limit, q.next_token, q.edition_id or jobs.current_edition_id(ctx.deps))
