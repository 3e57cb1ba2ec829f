"""A job run's states. `partial`: stopped by the time budget after a checkpoint, resumable;
`unavailable`: the job's step is not deployed (recorded, retried later); `done` is final."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


class RunStatus(StrEnum):
    RUNNING = "running"
    PARTIAL = "partial"
    DONE = "done"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"


_RESUMABLE = {RunStatus.PARTIAL, RunStatus.FAILED, RunStatus.UNAVAILABLE}
RUN_STATUS = StateMachine.of("job_run.status", RunStatus, {
    RunStatus.RUNNING: {RunStatus.PARTIAL, RunStatus.DONE, RunStatus.FAILED, RunStatus.UNAVAILABLE,
                        RunStatus.RUNNING},  # a lease that ran out is claimed again
    RunStatus.PARTIAL: {RunStatus.RUNNING},
    RunStatus.FAILED: {RunStatus.RUNNING},
    RunStatus.UNAVAILABLE: {RunStatus.RUNNING},
    RunStatus.DONE: set(),
}, {RunStatus.RUNNING: "运行中", RunStatus.PARTIAL: "未完成（将继续）", RunStatus.DONE: "已完成",
    RunStatus.FAILED: "失败", RunStatus.UNAVAILABLE: "未部署"})
RESUMABLE = tuple(s.value for s in _RESUMABLE)
