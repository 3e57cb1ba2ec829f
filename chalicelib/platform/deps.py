"""The dependencies of a request, built once per process from settings: the clock, the
identity provider, the mailer. Tests swap parts of it (a fixed clock, a failing mailer)."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.platform.clock import Clock
from chalicelib.platform.cognito import CognitoIdentity
from chalicelib.platform.mail.ses import SesMailer
from chalicelib.platform.settings import Settings, load_settings
from chalicelib.platform.store import base
from chalicelib.platform.store.kv import get_value

DEV_CLOCK_KEY = "dev_clock_offset_s"


@dataclass
class Deps:
    settings: Settings
    clock: Clock
    identity: Any
    mailer: Any
    extras: dict[str, Any] = field(default_factory=dict)  # lazily built adapters
    _edition_cache: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        return self.clock.now()

    def adapter(self, name: str, factory: Any) -> Any:
        """A per-process adapter (payment providers, object storage) built on first use, so
        heavy imports stay off the cold-start path of routes that never use them."""
        if name not in self.extras:
            self.extras[name] = factory(self)
        return self.extras[name]


_lock = threading.Lock()
_deps: dict[Any, Deps] = {}


def _dev_offset() -> float:
    value = get_value(DEV_CLOCK_KEY, 0)
    return float(value or 0)


def build_deps(settings: Settings) -> Deps:
    # Only the models imported so far are bound here; a repository imported later binds
    # itself on registration (store.base.register), so no request imports every feature.
    base.bind(settings)
    clock = Clock(read_offset=_dev_offset) if settings.is_dev else Clock()
    return Deps(settings=settings, clock=clock, identity=CognitoIdentity(settings),
                mailer=SesMailer(settings))


def get_deps() -> Deps:
    settings = load_settings()
    with _lock:
        deps = _deps.get(settings)
        if deps is None:
            _deps.clear()
            deps = _deps[settings] = build_deps(settings)
        return deps


def set_deps(deps: Deps) -> None:
    """Tests: install a Deps (e.g. with a fixed clock) for the current settings."""
    with _lock:
        _deps.clear()
        _deps[deps.settings] = deps


def reset_deps() -> None:
    with _lock:
        _deps.clear()
