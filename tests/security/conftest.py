from __future__ import annotations

from typing import Iterator

import pytest

from tests.security.world import World, shared_world


@pytest.fixture(scope="session")
def world(moto_endpoint: str) -> World:
    return shared_world()


@pytest.fixture
def active_world(world: World) -> Iterator[World]:
    with world.using():
        yield world


from tests.billing.conftest import foreign_keys, keys, pdeps  # noqa: E402,F401 - payment fixtures
