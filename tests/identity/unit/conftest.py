"""The identity services without AWS: see tests/identity/unit/fakes.py."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.identity.unit.fakes import World, build_world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield build_world(monkeypatch)
