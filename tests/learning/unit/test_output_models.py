"""The typed output models change nothing in the answers: serialising a service's result
through its model gives the same JSON as serialising the result itself (no field added or
dropped, 30 stays 30, 0.6 stays 0.6, times stay Asia/Shanghai strings)."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from chalicelib.learning import questionnaire, service as learning
from chalicelib.learning.models import CoursesOut, EnrollOut, HeartbeatOut, PlayOut, QuestionnaireOut, ResponseOut
from chalicelib.platform.http import json_response
from tests.conftest import at
from tests.learning.unit.conftest import World

OPENS = at("2026-04-13T00:00:00+08:00")


def same_json(model: type[BaseModel], result: dict[str, Any]) -> dict[str, Any]:
    plain = json.loads(json_response(result).body)
    typed = json.loads(json_response(model.model_validate(result)).body)
    assert typed == plain
    return typed


def test_learning_answers_are_unchanged_by_their_models(world: World) -> None:
    t = world.trainee()
    before = same_json(CoursesOut, learning.list_courses(world.deps, t.user_sub, OPENS))
    assert before["courses"][0]["completed_at"] is None and "token" in before["courses"][0]
    enrolled = same_json(EnrollOut, learning.enroll(world.deps, t.user_sub, OPENS))
    assert "edition_id" not in enrolled  # enrol never answered it; its model does not add it
    link = same_json(PlayOut, learning.play(world.deps, t.user_sub, "C01", OPENS))
    assert link["expires_at"].endswith("+08:00")
    beat = same_json(HeartbeatOut, learning.heartbeat(
        world.deps, t.user_sub, "C01", 30, link["token"], OPENS + timedelta(seconds=30),
        session_id=link["session_id"]))
    assert beat["credited_s"] == 30
    world.complete(t)
    survey = same_json(QuestionnaireOut, questionnaire.get_questionnaire(
        world.deps, t.user_sub, at("2026-04-20T00:00:00+08:00")))
    kinds = {q["type"]: q for q in survey["questions"]}
    assert kinds["rating"]["min"] == 1 and "min" not in kinds["text"]  # scale on ratings only
    same_json(ResponseOut, questionnaire.submit(world.deps, t.user_sub, world.answers(),
                                                at("2026-04-20T00:00:00+08:00")))
