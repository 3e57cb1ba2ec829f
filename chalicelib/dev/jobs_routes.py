"""Local development stage only: run the scheduled jobs that are due at the dev clock,
through the same entry point EventBridge invokes."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.jobs import service as jobs
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.http import Ctx, route

bp = Blueprint(__name__)


class RunJobsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    budget_s: float = Field(default=60.0, ge=1, le=600)


RAN_OUT = {"type": "object", "required": ["now", "ran"],
           "properties": {"now": {"type": "string"},
                          "ran": {"type": "array", "items": {"type": "object"}}}}


@route(bp, "/dev/jobs/run", "POST", summary="运行在开发时钟下到期的定时任务（仅开发环境）",
       query=RunJobsQuery, response=RAN_OUT, tags=("dev",))
def run_jobs(ctx: Ctx) -> dict[str, Any]:
    if not ctx.deps.settings.is_dev:
        raise NotFoundError()
    return jobs.on_schedule(None, budget_s=ctx.query.budget_s)
