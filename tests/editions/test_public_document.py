"""GET /editions/current answers from the public document stored with the edition (issue 18:
the cold start builds no pydantic model): the same bytes as the model's own
`Edition.public_view(now)` (the answer before, the oracle here) at any clock time, including
each window's first and last second; every write path stores the document; an item saved
without one (an older release) is answered through the model, as before."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from chalicelib.editions import public, service as editions
from chalicelib.editions.edition import Edition
from chalicelib.editions.repository import EditionItem
from chalicelib.platform.clock import UTC
from chalicelib.platform.http import json_response
from tests.wire import on_the_wire as requests

WINDOWS = ("registration", "refund", "learning", "questionnaire", "certificate", "payment")


def body(data: Any) -> str:
    """The bytes the route answers (the view boundary's own serialisation)."""
    return str(json_response(data).body)


def instants(edition: Edition) -> list[datetime]:
    """Each window's first second, last second and the instants around them (a second and a
    microsecond either side), plus the edition's opening and closing days."""
    out = []
    for name in WINDOWS:
        w = edition.window(name)
        for bound in (w.opens, w.closes):
            if bound is None:
                continue
            out += [bound + timedelta(seconds=d) for d in (-1, 0, 1)]
            out += [bound + timedelta(microseconds=d) for d in (-1, 1)]
    return out + [datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)]


@pytest.fixture(scope="module")
def edition() -> Edition:
    return editions.load_seed("2026")


def test_the_stored_answer_is_the_models_answer_at_every_window_bound(edition: Edition) -> None:
    stored = public.read(public.written(edition))
    assert stored is not None
    seen = set()
    for now in instants(edition):
        assert body(stored.view(now)) == body(edition.public_view(now)), now
        seen.add(tuple(stored.view(now)["windows"][n]["open_now"] for n in WINDOWS))
    assert len(seen) > 5  # the instants did open and close the windows


def test_a_window_is_open_from_its_first_second_to_its_last(edition: Edition) -> None:
    stored = public.read(public.written(edition))
    assert stored is not None
    w = edition.windows.registration
    assert w.opens is not None
    state = {at: stored.view(at)["windows"]["registration"]["open_now"]
             for at in (w.opens - timedelta(seconds=1), w.opens, w.closes - timedelta(seconds=1),
                        w.closes)}
    assert list(state.values()) == [False, True, True, False]
    assert stored.view(w.opens)["now"] == "2026-04-03T00:00:00+08:00"  # as the notice says


@given(st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 1),
                    timezones=st.just(UTC)))
@settings(max_examples=200, deadline=None)
def test_the_stored_answer_is_the_models_answer_at_any_time(now: datetime) -> None:
    edition = editions.load_seed("2026")
    stored = public.read(public.written(edition))
    assert stored is not None and body(stored.view(now)) == body(edition.public_view(now))


def test_sub_second_bounds_are_kept_exactly(edition: Edition) -> None:
    """The answer shows times to the second; the windows compare to the microsecond."""
    doc = edition.model_dump(mode="json")
    closes = edition.windows.registration.closes + timedelta(microseconds=500_000)
    doc["windows"]["registration"]["closes"] = closes.isoformat()
    odd = Edition.model_validate(doc)
    stored = public.read(public.written(odd))
    assert stored is not None
    for now in (closes - timedelta(microseconds=1), closes):
        assert body(stored.view(now)) == body(odd.public_view(now))
    assert stored.view(closes - timedelta(microseconds=1))["windows"]["registration"]["open_now"]


def test_each_answer_is_its_own(edition: Edition) -> None:
    stored = public.read(public.written(edition))
    assert stored is not None
    first = stored.view(edition.windows.registration.closes)
    first["windows"]["registration"]["open_now"] = "changed"
    first["now"] = "changed"
    again = stored.view(edition.windows.registration.closes)
    assert body(again) == body(edition.public_view(edition.windows.registration.closes))


@pytest.mark.parametrize("text", [None, "", "{", "[]", '{"format": 0, "answer": {}, "bounds": {}}',
                                  '{"format": 1, "answer": {"windows": {}}, "bounds": {"x": [null]}}',
                                  '{"format": 1, "answer": {"windows": {"a": {}}}, "bounds": {}}',
                                  '{"format": 1, "answer": {"windows": {}}, "bounds": {"a": ["x", "y"]}}'])
def test_a_missing_unreadable_or_older_document_is_not_used(text: str | None) -> None:
    assert public.read(text) is None


# --- through the API, on the embedded DynamoDB --------------------------------------------
def _item() -> EditionItem:
    return EditionItem.get("2026", consistent_read=True)


def test_the_route_answers_the_models_bytes_at_each_window_bound(api: Any, clock: Any,
                                                                  edition: Edition) -> None:
    assert _item().public_document == public.written(edition)  # seeded with it
    for now in instants(edition)[::3]:
        clock.set(now)
        r = api.get("/editions/current")
        assert r.status_code == 200
        assert r.body.decode() == body(edition.public_view(now)), now


def test_an_item_saved_without_the_document_is_answered_through_the_model(api: Any, clock: Any,
                                                                          deps: Any,
                                                                          edition: Edition) -> None:
    item = _item()
    item.public_document = None
    item.save()  # as an older release left it
    assert _item().public_document is None
    for now in instants(edition)[::4]:
        clock.set(now)
        assert api.get("/editions/current").body.decode() == body(edition.public_view(now))
    # ... and a prod process builds the model once, then answers from its cache
    prod = dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, stage="prod"),
                               _edition_cache={})
    with requests() as cold:
        first = editions.current_public_view(prod, clock.now())
    assert cold == [("GetItem", ["kv"]), ("GetItem", ["editions"])]
    assert isinstance(prod._edition_cache["2026"][1], Edition)
    with requests() as warm:
        assert body(editions.current_public_view(prod, clock.now())) == body(first)
    assert warm == []


def test_an_item_with_an_older_format_is_answered_through_the_model(api: Any, clock: Any,
                                                                    edition: Edition) -> None:
    item = _item()
    item.public_document = json.dumps({"format": public.FORMAT - 1, "answer": {"title": "旧"},
                                       "bounds": {}})
    item.save()
    assert api.get("/editions/current").body.decode() == body(edition.public_view(clock.now()))


def test_an_admin_edit_stores_the_new_document_and_shows_at_once(api: Any, clock: Any) -> None:
    admin = api.staff("admin")
    doc = api.get("/admin/editions/2026", admin).data
    doc["fees"]["non_member_fen"] = 52000
    doc["courses"][0]["title"] = "图书馆史（修订）"
    doc["windows"]["registration"]["closes"] = "2026-04-12T24:00"
    r = api.call("PUT", "/admin/editions/2026", admin, json={"edition": doc})
    assert r.status_code == 200 and r.data["version"] == 2
    saved = Edition.model_validate(_item().document)
    assert _item().public_document == public.written(saved)
    for now in instants(saved)[::3]:
        clock.set(now)
        answer = api.get("/editions/current")
        assert answer.body.decode() == body(saved.public_view(now))
    clock.set(datetime(2026, 4, 12, 15, 59, 59, tzinfo=UTC))  # 4月12日 23:59:59 Beijing
    data = api.get("/editions/current").data
    assert data["windows"]["registration"]["open_now"] is True
    assert data["windows"]["registration"]["closes"] == "2026-04-13T00:00:00+08:00"
    assert (data["fees"]["non_member_fen"], data["courses"][0]["title"]) == (52000, "图书馆史（修订）")


def test_a_new_edition_is_created_with_its_document(api: Any, clock: Any, edition: Edition) -> None:
    admin = api.staff("admin")
    doc = json.loads(json.dumps(edition.model_dump(mode="json")).replace("2026-", "2027-"))
    doc["edition_id"], doc["title"] = "2027", "2027年图书馆员在职专业培训"
    r = api.post("/admin/editions", admin, json={"edition": doc, "make_current": True})
    assert r.status_code == 201
    new = Edition.model_validate(doc)
    assert EditionItem.get("2027").public_document == public.written(new)
    assert api.get("/editions/current").body.decode() == body(new.public_view(clock.now()))


def test_a_warm_prod_process_answers_from_its_cache_and_builds_no_model(deps: Any, clock: Any) -> None:
    prod = dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, stage="prod"),
                               _edition_cache={})
    with requests() as cold:
        first = editions.current_public_view(prod, clock.now())
    assert cold == [("GetItem", ["kv"]), ("GetItem", ["editions"])]
    assert "2026" not in prod._edition_cache  # no Edition built for it
    with requests() as warm:
        for _ in range(3):
            assert editions.current_public_view(prod, clock.now()) == first
    assert warm == []
    # the test stage reads both each time
    with requests() as fresh:
        editions.current_public_view(deps, clock.now())
        editions.current_public_view(deps, clock.now())
    assert [t for _, ts in fresh for t in ts] == ["kv", "editions", "kv", "editions"]


PROD_CHILD = r'''
import json, sys
from app import app
event = {"resource": "/editions/current", "path": "/editions/current", "httpMethod": "GET",
         "headers": {"Host": "localhost", "Accept": "application/json"},
         "multiValueHeaders": {}, "queryStringParameters": None,
         "multiValueQueryStringParameters": None, "pathParameters": None,
         "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/editions/current", "httpMethod": "GET",
                            "stage": "api", "requestId": "t", "path": "/api/editions/current",
                            "identity": {"sourceIp": "127.0.0.1"}}}
bodies = [app(event, None)["body"] for _ in range(2)]
print(json.dumps({"bodies": bodies, "pydantic": "pydantic" in sys.modules}))
'''


def test_a_prod_process_answers_the_models_bytes_without_loading_pydantic(deps: Any) -> None:
    """The Lambda's own path (the prod stage's lazy app, its real clock, its cache), in a
    fresh interpreter: the answer is the model's at the instant it names."""
    import subprocess
    import sys
    from pathlib import Path

    from bench.cold_start import child_env
    from chalicelib.platform.clock import parse_instant
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, "-c", PROD_CHILD], cwd=root,
                         env=child_env(str(root), "prod"), capture_output=True, text=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["pydantic"] is False
    edition = editions.load_seed("2026")
    for text in out["bodies"]:  # the first read the item, the second came from the cache
        now = parse_instant(json.loads(text)["now"])
        assert text == body(edition.public_view(now))


@pytest.mark.parametrize("kind", ["memory", "dynamodb"])
def test_both_repositories_keep_the_document_with_its_edition(kind: str, request: Any) -> None:
    """The in-memory twin (tests/editions/memory.py) stores it as DynamoDB does; a save
    without one leaves none (the whole item is replaced)."""
    from chalicelib.editions.repository import EditionRepository
    from tests.editions.memory import InMemoryEditionRepository
    if kind == "dynamodb":
        request.getfixturevalue("deps")
    repo = EditionRepository() if kind == "dynamodb" else InMemoryEditionRepository()
    at = datetime(2026, 4, 5, 2, tzinfo=UTC)
    assert repo.create("E1", {"a": 1}, "admin", at, public="p1")
    assert repo.get("E1", consistent_read=True).public_document == "p1"
    assert repo.replace("E1", {"a": 2}, 1, "admin", at, public="p2")
    assert repo.get("E1", consistent_read=True).public_document == "p2"
    assert repo.replace("E1", {"a": 3}, 2, "admin", at)
    assert repo.get("E1", consistent_read=True).public_document is None
    assert repo.seed("E2", {"a": 1}, at, public="p3")
    assert repo.get("E2", consistent_read=True).public_document == "p3"
