"""Registration's service without AWS: the in-memory twins of the registration, account,
edition and roster repositories, and fakes of the identity provider, the outbox and
billing's "free the unpaid order" (what registration asks of billing). Nothing here
starts moto."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.identity.unit.fakes import World, build_world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield build_world(monkeypatch)
