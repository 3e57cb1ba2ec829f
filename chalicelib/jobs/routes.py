"""Scheduled jobs as staff see them: the recent runs."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.jobs import service as jobs
from chalicelib.jobs.models import RunsOut, RunsQuery
from chalicelib.platform.http import Ctx, route

bp = Blueprint(__name__)


@route(bp, "/admin/jobs", summary="定时任务的最近运行记录，及本届每个任务的最近一次运行", roles=("admin",),
       query=RunsQuery, response=RunsOut, tags=("jobs",))
def recent(ctx: Ctx) -> RunsOut:
    q: RunsQuery = ctx.query
    return RunsOut.model_validate(jobs.recent_runs(
        q.limit, q.next_token, q.edition_id or jobs.current_edition_id(ctx.deps)))
