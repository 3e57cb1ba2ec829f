"""What staff see of the scheduled jobs (GET /admin/jobs): the same models answer and
describe the route in OpenAPI."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, WithJsonSchema

from chalicelib.jobs.states import RUN_STATUS, RunStatus
from chalicelib.platform.schemas import Out, PageOut, PageQuery

RunStatusField = Annotated[RunStatus, WithJsonSchema(RUN_STATUS.schema())]


class RunsQuery(PageQuery):
    edition_id: str | None = Field(default=None, max_length=32)


class RunOut(Out):
    run_key: str
    job: str
    label: str
    edition_id: str
    due_at: str
    status: RunStatusField
    started_at: str | None
    updated_at: str | None
    finished_at: str | None
    counts: dict[str, int]
    invocations: int
    steps: int
    error: str | None
    resumable: bool


class JobLastRunOut(Out):
    job: str
    label: str
    last_run: RunOut | None


class RunsOut(PageOut):
    runs: list[RunOut]
    jobs: list[JobLastRunOut] | None = None
