"""Fixtures of the learning (and certificates) tests: a paid, approved trainee of the 2026
edition, made by updating the Registration item directly (the billing feature does this in
production), enrolled, then finished (every course 学习完, questionnaire submitted)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import at

LEARNING_OPEN = at("2026-04-13T00:00:00+08:00")
LEARNING_CLOSES = at("2026-06-13T00:00:00+08:00")
QUESTIONNAIRE_OPEN = at("2026-04-20T00:00:00+08:00")
CERT_OPENS = at("2026-06-01T00:00:00+08:00")
CERT_CLOSES = at("2026-07-01T00:00:00+08:00")


@dataclass
class Trainee:
    user_sub: str
    registration_id: str
    name: str


def make_registration(name: str = "李玥", user_sub: str | None = None,
                      submitted_at: datetime | None = None) -> Trainee:
    from chalicelib.platform.store.base import new_id
    from chalicelib.registration.repository import Registration, RegistrationRepository
    sub = user_sub or str(uuid.uuid4())
    email = f"{sub[:8]}@example.com"
    now = submitted_at or at("2026-04-05T10:00:00+08:00")
    reg = Registration(
        registration_id=new_id("R"), edition_id="2026", user_sub=sub, name=name,
        unit_name="国家图书馆", job_title="馆员", region="北京", phone="13800138000",
        email=email, status="pending", payment_status="unpaid", tier="non_member",
        fee_fen=49000, submitted_at=now, edition_status="2026#pending",
        edition_unit="2026#国家图书馆", edition_email=f"2026#{email}")
    assert RegistrationRepository().create(reg, sub, now)
    return Trainee(sub, reg.registration_id, name)


def set_payment(registration_id: str, status: str = "approved",
                payment_status: str = "paid") -> None:
    """The test stand-in for the payments feature: a conditional update of the item."""
    from chalicelib.registration.repository import Registration
    reg = Registration.get(registration_id, consistent_read=True)
    reg.update(actions=[Registration.status.set(status),
                        Registration.edition_status.set(f"2026#{status}"),
                        Registration.payment_status.set(payment_status)],
               condition=Registration.registration_id.exists())


def paid_trainee(name: str = "李玥") -> Trainee:
    t = make_registration(name)
    set_payment(t.registration_id)
    return t


def complete_courses(deps: Any, t: Trainee, except_ids: tuple[str, ...] = ()) -> None:
    """Credit every course's required time directly on the progress items (tests that are
    about what comes after learning; the crediting itself is tested through heartbeats)."""
    from chalicelib.editions import service as editions
    from chalicelib.learning.repository import Progress, learner_key
    edition = editions.get_current(deps)
    for c in edition.courses:
        if c.course_id in except_ids:
            continue
        item = Progress.get(learner_key("2026", t.user_sub), c.course_id)
        required = edition.required_seconds(c)
        item.update(actions=[Progress.credited_s.set(required), Progress.high_water_s.set(required),
                             Progress.cursor_s.set(required), Progress.watched.set(f"0-{required}")])


def paid_api_trainee(api: Any, name: str = "赵玥") -> tuple[str, str]:
    """A trainee signed up and registered through the API, then paid: (token, registration id)."""
    _email, token = api.signup(name=name)
    r = api.register(token)
    assert r.status_code == 201, r.body
    set_payment(r.data["registration_id"])
    return token, r.data["registration_id"]


def run_to_end(step: Any, deps: Any, now: Any) -> dict[str, int]:
    """A job step called until it hands back no cursor; the counts summed."""
    from chalicelib.editions import service as editions
    edition = editions.get_current(deps)
    total: dict[str, int] = {}
    cursor = None
    while True:
        counts, cursor = step(deps, edition, now, cursor, 5.0)
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
        if cursor is None:
            return total


def answers_for(deps: Any) -> dict[str, Any]:
    from chalicelib.editions import service as editions
    edition = editions.get_current(deps)
    return {q.question_id: (5 if q.type == "rating" else "讲得很好") for q in edition.questions()}


@pytest.fixture
def trainee(deps: Any) -> Trainee:
    return paid_trainee()


@pytest.fixture
def enrolled(deps: Any, clock: Any, trainee: Trainee) -> Trainee:
    from chalicelib.learning import service as learning
    clock.set(LEARNING_OPEN)
    learning.enroll(deps, trainee.user_sub, clock.now())
    return trainee


@pytest.fixture
def finished(deps: Any, clock: Any, enrolled: Trainee) -> Trainee:
    """Every course 学习完 and the questionnaire submitted: eligible for the certificate."""
    from chalicelib.learning import questionnaire
    complete_courses(deps, enrolled)
    clock.set(at("2026-05-20T10:00:00+08:00"))
    questionnaire.submit(deps, enrolled.user_sub, answers_for(deps), clock.now())
    return enrolled
