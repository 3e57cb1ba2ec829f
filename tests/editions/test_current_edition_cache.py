"""The current edition in a warm prod process (issue 18): the edition AND the current-edition
pointer come from the process's 30 s cache, so a registration or any other request reads
neither; the dev/test stage reads both fresh each time (the dev clock and an admin's edit
show at once)."""
from __future__ import annotations

import dataclasses
import json
from contextlib import contextmanager
from typing import Any, Iterator

from chalicelib.editions import service as editions


@contextmanager
def requests() -> Iterator[list[tuple[str, str]]]:
    from chalicelib.platform.store.base import connection
    events = connection().client.meta.events
    seen: list[tuple[str, str]] = []

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        seen.append((model.name, str(body.get("TableName", "")).rsplit("-", 1)[-1]))
    events.register("before-call.dynamodb.*", before)
    try:
        yield seen
    finally:
        events.unregister("before-call.dynamodb.*", before)


def test_a_warm_prod_process_reads_neither_the_pointer_nor_the_edition(deps):
    prod = dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, stage="prod"),
                               _edition_cache={})
    with requests() as cold:
        first = editions.get_current(prod)
    assert cold == [("GetItem", "kv"), ("GetItem", "editions")]
    with requests() as warm:
        for _ in range(3):
            assert editions.get_current(prod) == first
    assert warm == []


def test_the_test_stage_reads_the_pointer_fresh_and_sees_a_new_current_edition_at_once(deps, clock):
    doc = editions.load_seed("2026").model_dump(mode="json")
    doc["edition_id"], doc["title"] = "2027", "第二届"
    with requests() as seen:
        assert editions.get_current(deps).edition_id == "2026"
        assert editions.get_current(deps).edition_id == "2026"
    assert [t for _, t in seen].count("kv") == 2  # the pointer, each time
    editions.save_edition(deps, doc, "admin", clock.now(), create=True, make_current=True)
    assert editions.get_current(deps).edition_id == "2027"
