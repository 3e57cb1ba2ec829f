"""The unit tier of learning: the services on in-memory twins (tests/learning/memory.py),
the 2026 edition from its seed file, a fixed `now` per call; no moto, no network (a call
that would reach DynamoDB fails the test)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from chalicelib.editions.edition import Edition
from chalicelib.editions.service import load_seed
from chalicelib.learning.repository import learner_key
from chalicelib.registration.repository import Registration
from tests.conftest import at
from tests.learning.memory import InMemoryMediaRepository, InMemoryProgressRepository, InMemoryQuestionnaireRepository, InMemoryRegistrations

SUBMITTED = at("2026-04-05T10:00:00+08:00")


@dataclass
class Trainee:
    user_sub: str
    registration_id: str
    name: str


@dataclass
class World:
    edition: Edition
    registrations: InMemoryRegistrations
    progress: InMemoryProgressRepository
    responses: InMemoryQuestionnaireRepository
    deps: Any = field(default_factory=SimpleNamespace)
    count: int = 0
    media: Any = None  # InMemoryMediaRepository, set by the fixture

    def trainee(self, name: str = "李玥", status: str = "approved",
                payment_status: str = "paid") -> Trainee:
        self.count += 1
        sub, rid = f"user-{self.count}", f"R{self.count:010d}"
        email = f"{sub}@example.com"
        self.registrations.add(Registration(
            registration_id=rid, edition_id="2026", user_sub=sub, name=name,
            unit_name="国家图书馆", job_title="馆员", region="北京", phone="13800138000",
            email=email, status=status, payment_status=payment_status, tier="non_member",
            fee_fen=49000, submitted_at=SUBMITTED, edition_status=f"2026#{status}",
            edition_unit="2026#国家图书馆", edition_email=f"2026#{email}"))
        return Trainee(sub, rid, name)

    def complete(self, t: Trainee, except_ids: tuple[str, ...] = ()) -> None:
        """Credit every course's required time on the progress items."""
        for c in self.edition.courses:
            if c.course_id in except_ids:
                continue
            key = (learner_key("2026", t.user_sub), c.course_id)
            item = self.progress._load(key)
            assert item is not None, "enrol first"
            item.credited_s = item.high_water_s = item.cursor_s = self.edition.required_seconds(c)
            item.watched = f"0-{item.credited_s}"
            self.progress.items[key] = item.serialize()

    def answers(self) -> dict[str, Any]:
        return {q.question_id: (5 if q.type == "rating" else "讲得很好")
                for q in self.edition.questions()}


class FakeSigner:
    def sign(self, key: str, expires_s: int, now: datetime) -> dict[str, Any]:
        return {"url": f"https://videos.example/{key}?ttl={expires_s}", "expires_at": now}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    from pynamodb.connection.base import Connection

    from chalicelib.editions import service as editions
    from chalicelib.learning import queries, questionnaire, service as learning

    def no_dynamodb(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a unit test reached DynamoDB")
    monkeypatch.setattr(Connection, "_make_api_call", no_dynamodb)
    edition = load_seed("2026")
    registrations = InMemoryRegistrations()
    w = World(edition, registrations, InMemoryProgressRepository(registrations),
              InMemoryQuestionnaireRepository(registrations))
    monkeypatch.setattr(editions, "get_current", lambda deps: edition)
    monkeypatch.setattr(editions, "get_edition", lambda deps, edition_id: edition)
    monkeypatch.setattr(learning, "registrations", registrations)
    monkeypatch.setattr(learning, "progress_repo", w.progress)
    w.media = InMemoryMediaRepository(w.progress)
    monkeypatch.setattr(learning, "media_repo", w.media)
    monkeypatch.setattr(queries, "progress_repo", w.progress)
    monkeypatch.setattr(questionnaire, "repo", w.responses)
    monkeypatch.setattr(queries, "response_repo", w.responses)
    monkeypatch.setattr(learning, "video", SimpleNamespace(
        video_signer=lambda deps, edition: FakeSigner(), url_ttl_s=lambda edition: 300))
    yield w
