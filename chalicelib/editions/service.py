"""The edition as data: seeding from the JSON files, reading the current one, admin edits."""
from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pydantic

from chalicelib.editions.edition import Edition
from chalicelib.editions.errors import EditionConflictError, EditionNotFoundError
from chalicelib.editions.repository import EditionRepository
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ValidationError

DATA_DIR = Path(__file__).resolve().parent / "data"  # one JSON document per edition
repo = EditionRepository()
# How long a process may keep the current edition in memory (prod): edits show within it.
CACHE_SECONDS_PROD = 30.0


def load_seed(edition_id: str) -> Edition:
    return Edition.model_validate_json((DATA_DIR / f"{edition_id}.json").read_text("utf-8"))


def parse_edition(data: Any) -> Edition:
    try:
        return Edition.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first.get("loc", ())) or "edition"
        msg = str(first.get("msg", "")).removeprefix("Value error, ")
        raise ValidationError(f"届次数据无效（{name}）：{msg}", field=name) from exc


def seed_edition(edition: Edition, now: datetime, make_current: bool = True) -> bool:
    """Create the edition unless it exists (idempotent); returns True when created."""
    created = repo.seed(edition.edition_id, edition.model_dump(mode="json"), now)
    if make_current and repo.current_id() is None:
        repo.set_current(edition.edition_id)
    return created


def get_edition(deps: Deps, edition_id: str) -> Edition:
    cache = deps._edition_cache
    ttl = 0.0 if deps.settings.is_dev else CACHE_SECONDS_PROD
    hit = cache.get(edition_id)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]  # type: ignore[no-any-return]
    item = repo.get(edition_id)
    if item is None:
        raise EditionNotFoundError(edition_id)
    edition = Edition.model_validate(item.document)
    cache[edition_id] = (time.monotonic(), edition)
    return edition


def current_edition_id(deps: Deps) -> str:
    edition_id = repo.current_id()
    if not edition_id:
        raise EditionNotFoundError()
    return edition_id


def get_current(deps: Deps) -> Edition:
    cache = deps._edition_cache
    if not deps.settings.is_dev and "current_id" in cache and \
            time.monotonic() - cache["current_id"][0] < CACHE_SECONDS_PROD:
        return get_edition(deps, cache["current_id"][1])
    edition_id = current_edition_id(deps)
    cache["current_id"] = (time.monotonic(), edition_id)
    return get_edition(deps, edition_id)


def save_edition(deps: Deps, data: Any, actor: str, now: datetime, *, create: bool,
                 edition_id: str | None = None, expected_version: int | None = None,
                 make_current: bool = False) -> dict[str, Any]:
    """Create or replace an edition after validating it (windows in the notice's order)."""
    edition = parse_edition(data)
    if edition_id is not None and edition.edition_id != edition_id:
        raise ValidationError("edition_id 与路径不一致", field="edition_id")
    document = edition.model_dump(mode="json")
    if create:
        version = 1
        saved = repo.create(edition.edition_id, document, actor, now)
    else:
        current = repo.get(edition.edition_id, consistent_read=True)
        if current is None:
            raise EditionNotFoundError(edition.edition_id)
        expected = expected_version if expected_version is not None else int(current.version)
        version = expected + 1
        saved = repo.replace(edition.edition_id, document, expected, actor, now)
    if not saved:
        raise EditionConflictError()
    if make_current:
        repo.set_current(edition.edition_id)
    deps._edition_cache.clear()
    return {"edition_id": edition.edition_id, "version": version,
            "current": make_current or repo.current_id() == edition.edition_id}


def seed_all(now: datetime) -> list[str]:
    created = []
    for path in sorted(DATA_DIR.glob("*.json")):
        edition = Edition.model_validate(json.loads(path.read_text("utf-8")))
        if seed_edition(edition, now):
            created.append(edition.edition_id)
    return created
