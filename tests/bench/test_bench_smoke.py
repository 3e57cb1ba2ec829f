"""The bench harness cannot rot: its wire counter, its results file and table, and the
heartbeat's one-write promise, on tiny sizes against the tests' own moto (a few seconds)."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def counter(deps: Any) -> Any:
    """A wire counter attached to the app's shared DynamoDB client of this test's stack."""
    from bench.harness import WireCounter
    from chalicelib.platform.store import base
    wire = WireCounter()
    wire.attach(base.connection().client)
    return wire


@pytest.fixture
def prod_like(deps: Any, clock: Any) -> Any:
    """The stack's Deps behaving as in prod: fixed clock, the edition cached in memory."""
    from bench.harness import install
    prod = dataclasses.replace(deps, settings=dataclasses.replace(deps.settings, stage="prod"),
                               _edition_cache={})
    install(prod)
    return prod


def test_the_wire_counter_counts_items_and_units(deps: Any, counter: Any) -> None:
    from bench.harness import summarise
    from chalicelib.platform.store.kv import get_value, put_value
    # Given a value in the kv table
    put_value("bench-smoke", 1)
    # When it is read twice and written once while recording
    with counter.record() as calls:
        get_value("bench-smoke")
        get_value("missing-key")
        put_value("bench-smoke", 2)
    s = summarise(calls)
    # Then three DynamoDB requests are seen on the wire, two reads and one write
    assert s["dynamodb_calls"] == 3
    assert s["operations"] == {"GetItem": 2, "PutItem": 1}
    assert (s["reads"], s["writes"], s["items_written"]) == (2, 1, 1)
    assert s["read_units"] == 1.0 and s["write_units"] == 1.0
    # And nothing is recorded outside the block
    get_value("bench-smoke")
    assert len(calls) == 3


def test_heartbeat_with_its_token_is_exactly_one_write(api: Any, prod_like: Any,
                                                      counter: Any) -> None:
    from bench.harness import at_learning, summarise
    from bench.throughput import _approve_and_pay
    from chalicelib.learning import service as learning
    # Given a paid, enrolled trainee holding the token of a play answer
    _email, token = api.signup()
    import jwt
    sub = jwt.decode(token, options={"verify_signature": False})["sub"]
    _approve_and_pay(prod_like, sub)
    prod_like.clock.set(at_learning())
    course = learning.enroll(prod_like, sub, prod_like.clock.now())["courses"][0]
    link = api.get(f"/learning/courses/{course['course_id']}/play", token).data
    session = {"session_id": link["session_id"]}  # the play session the reports name
    api.post(f"/learning/courses/{course['course_id']}/heartbeat", token,
             json={"position_s": 0, "token": link["token"], **session})  # warm the edition cache
    prod_like.clock.advance(seconds=30)
    answer = api.post(f"/learning/courses/{course['course_id']}/heartbeat", token,
                      json={"position_s": 30, "token": link["token"], **session})
    assert answer.status_code == 200 and answer.data["accepted"] is True
    prod_like.clock.advance(seconds=30)
    # When the next heartbeat sends the token back
    with counter.record() as calls:
        r = api.post(f"/learning/courses/{course['course_id']}/heartbeat", token,
                     json={"position_s": 60, "token": answer.data["token"], **session})
    # Then it is credited with one conditional UpdateItem and nothing else
    assert r.status_code == 200 and r.data["credited_s"] == 60
    s = summarise(calls)
    assert s["operations"] == {"UpdateItem": 1}, s["detail"]


def test_runner_writes_results_and_prints_a_table(tmp_path: Path, monkeypatch: Any) -> None:
    import sys
    import types

    import bench.__main__ as runner
    from bench import harness
    # Given two benchmark modules, one of which breaks (the runner needs no AWS here)
    monkeypatch.setattr(harness, "setup_env", lambda: "")
    monkeypatch.setattr(harness, "stop_env", lambda: None)
    tiny = types.ModuleType("bench.tiny")
    tiny.run = lambda quick=False: [harness.entry("tiny.one", 3.0, 1.5, "s", "a tiny one")]  # type: ignore[attr-defined]
    broken = types.ModuleType("bench.broken")

    def explode(quick: bool = False) -> list[Any]:
        raise RuntimeError("boom")

    broken.run = explode  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bench.tiny", tiny)
    monkeypatch.setitem(sys.modules, "bench.broken", broken)
    out = tmp_path / "results.json"
    # When the runner runs both
    report = runner.run_all(("tiny", "broken"), quick=True, out=out)
    # Then the good one's entry is saved with its figure, floor and ratio, the broken one
    # is named with its traceback, and the table shows the entry
    saved = json.loads(out.read_text("utf-8"))
    [result] = saved["results"]
    assert (result["name"], result["figure"], result["floor"], result["ratio"]) == \
        ("tiny.one", 3.0, 1.5, 2.0)
    assert result["benchmark"] == "tiny"
    assert list(report["failures"]) == ["broken"] and "boom" in saved["failures"]["broken"]
    text = runner.table(saved["results"])
    assert text.splitlines()[0].split()[:4] == ["benchmark", "figure", "floor", "ratio"]
    assert "tiny.one" in text and "2.00" in text


def test_reconciliation_floor_and_growth_on_a_small_set() -> None:
    from bench import reconciliation
    from bench.reconciliation_scaling import _floor_s, _match_s, _slope
    orders, lines, expected = reconciliation.dataset(n_orders=300, n_lines=60, seed=3)
    elapsed, result = _match_s(orders, lines)
    assert elapsed > 0 and _floor_s(orders, lines) > 0
    assert all(expected.get(m["line_id"]) == m["order_id"] for m in result["matches"])
    assert _slope([(10, 1.0), (20, 2.0), (40, 4.0)]) == pytest.approx(1.0)
    assert _slope([(10, 1.0), (20, 4.0), (40, 16.0)]) == pytest.approx(2.0)


def test_runner_refuses_an_unknown_benchmark(capsys: Any) -> None:
    import bench.__main__ as runner
    with pytest.raises(SystemExit):
        runner.main(["--only", "no_such_bench"])
    assert "unknown benchmark" in capsys.readouterr().err
