"""Fakes shared by the unit tiers (no AWS): what a service calls outside its own feature."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest


class FakeOutbox:
    """The outbox: at most one mail per mail id, rendered with the real templates."""

    def __init__(self) -> None:
        self.sent: dict[str, tuple[str, str, str]] = {}  # mail id -> (to, template, body)

    def queue_mail(self, deps: Any, mail_id: str, to: str, template: str,
                   params: dict[str, Any], now: datetime, required: bool = False) -> bool:
        from chalicelib.platform.mail.outbox import render
        if mail_id in self.sent:
            return False
        self.sent[mail_id] = (to, template, render(template, params)[1])
        return True

    def to(self, email: str, template: str | None = None) -> list[str]:
        return [body for to, t, body in self.sent.values()
                if to == email and (template is None or t == template)]


def twin_and_real(twin: Callable[[], Any], real: Callable[[], Any]) -> Any:
    """A `repo` fixture run twice: on the in-memory twin and on the real repository over
    fresh moto tables, so a contract test holds the twin to what production does."""
    @pytest.fixture(params=["memory", "dynamodb"])
    def repo(request: pytest.FixtureRequest) -> Any:
        if request.param == "memory":
            return twin()
        request.getfixturevalue("deps")  # fresh tables on the embedded AWS
        return real()
    return repo
