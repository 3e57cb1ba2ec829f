"""The learning feature's step of the scheduled jobs (chalicelib/jobs/definitions.py names
it as "chalicelib.learning.jobs:close_learning"):
`step(deps, edition, now, cursor, budget_s) -> (counts, next_cursor | None)`, idempotent
(a repeated or resumed run changes nothing twice). The certificates' steps are in
chalicelib/certificates/jobs.py."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from chalicelib.editions.edition import Edition
from chalicelib.learning import media
from chalicelib.learning.repository import mark_once
from chalicelib.platform.deps import Deps

ACTOR = "system:learning_jobs"


def close_learning(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                   budget_s: float) -> tuple[dict[str, int], Any]:
    """Learning has ended: record the closure once (enrolment, playback, heartbeats and the
    questionnaire are refused at request time against the calendar already)."""
    closes = edition.windows.learning.closes
    if now < closes:
        return {"not_due": 1}, None
    first = mark_once(f"learning-closed#{edition.edition_id}", edition.edition_id, now,
                      "learning.closed", ACTOR, {"closes": closes.isoformat()})
    return {"closed": int(first), "already": int(not first)}, None


def package_videos(deps: Deps, edition: Edition, now: datetime, cursor: Any,
                   budget_s: float) -> tuple[dict[str, int], Any]:
    """Uploaded course videos one step further (learning/media.py): packaged as encrypted
    HLS (locally by ffmpeg, in prod by a MediaConvert job submitted here and collected on a
    later run), published, and the course's duration written into the edition. Idempotent:
    each move is conditional on the pending version."""
    counts: dict[str, int] = {}
    started = time.monotonic()
    for item in media.media_repo.of_edition(edition.edition_id):
        if not item.pending_version:
            continue
        if time.monotonic() - started > budget_s:
            return counts, {"resume": True}
        outcome = media.package_pending(deps, edition, item, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts or {"nothing": 1}, None
