"""The bench's own arithmetic, on made-up calls (no AWS, milliseconds): which items a write
request writes, which partition keys several trainees share and what they take at scale,
and the issue's goals table read from results."""
from __future__ import annotations

from typing import Any

from bench.harness import Call, entry


def _put(table: str, **item: str) -> Call:
    return Call("dynamodb", "PutItem", {"TableName": table,
                                        "Item": {k: {"S": v} for k, v in item.items()}})


def _tx(*parts: tuple[str, str, dict[str, str]]) -> Call:
    items = []
    for kind, table, key in parts:
        body = {"TableName": table, ("Item" if kind == "Put" else "Key"):
                {k: {"S": v} for k, v in key.items()}}
        items.append({kind: body})
    return Call("dynamodb", "TransactWriteItems", {"TransactItems": items})


def test_written_items_reads_every_kind_of_write() -> None:
    from bench.load import written_items
    hashes, ranges = {"a": "pk", "b": "id"}, {"a": "sk", "b": None}
    short = lambda t: t.removeprefix("p-")  # noqa: E731
    assert written_items(_put("p-a", pk="1", sk="x"), short, hashes, ranges) == [("a", "1", "x")]
    tx = _tx(("Put", "p-b", {"id": "7"}), ("Update", "p-a", {"pk": "2", "sk": "y"}),
             ("ConditionCheck", "p-b", {"id": "8"}))
    assert written_items(tx, short, hashes, ranges) == [("b", "7", ""), ("a", "2", "y"),
                                                         ("b", "8", "")]
    batch = Call("dynamodb", "BatchWriteItem", {"RequestItems": {"p-b": [
        {"PutRequest": {"Item": {"id": {"S": "9"}}}}, {"DeleteRequest": {"Key": {"id": {"S": "10"}}}}]}})
    assert written_items(batch, short, hashes, ranges) == [("b", "9", ""), ("b", "10", "")]


def test_a_key_shared_by_trainees_is_scaled_by_the_request_rate(monkeypatch: Any) -> None:
    import bench.harness
    from bench import load
    monkeypatch.setattr(load, "_hash_keys", lambda: {"progress": "pk", "counter": "series"})
    monkeypatch.setattr(load, "_range_keys", lambda: {"progress": None, "counter": None})
    monkeypatch.setattr(bench.harness, "_short", lambda t: t)
    # Given heartbeats of two viewers (their own items) and two requests writing one counter
    beats = load.Sample("heartbeat")
    for user in ("u1", "u2", "u1", "u2"):
        beats.calls.append([_put("progress", pk=user)])
        beats.users.append(user)
    issues = load.Sample("invoice")
    for user in ("u1", "u2"):
        issues.calls.append([_put("counter", series="2026")])
        issues.users.append(user)
    # When scaled to 100 heartbeats/s and 4 invoices/s
    keys = load.hot_keys([beats, issues], {"heartbeat": 100.0, "invoice": 4.0})
    # Then the counter is the shared key and takes every invoice's write: 4/s; a viewer's
    # own item takes one write per 30 s
    [shared] = keys["shared_partitions"]
    assert (shared["table"], shared["key"], shared["trainees"]) == ("counter", "2026", 2)
    assert shared["writes_per_s_at_scale"] == 4.0
    assert keys["hottest_at_scale"]["key"] == "2026"
    assert keys["hottest_at_scale"]["all_writes_per_s"] == 104.0
    assert keys["writes_by_table"] == {"progress": 4, "counter": 2}


def test_the_goals_table_reads_today_from_the_results() -> None:
    import bench.__main__ as runner
    results = [entry("cold_start", 0.5, 0.4, "CPU s"), entry("ddb_calls.webhook_confirmation", 3, 1, "r"),
               entry("ddb_calls.approval", 2, 1, "r"), entry("ddb_calls.enroll", 4, 1, "r"),
               entry("ddb_calls.questionnaire", 3, 2, "r"),
               entry("jobs.close_registration", 51, 1, "items", must_change=1),
               entry("jobs.lock_refunds", 50, 1, "items", must_change=0),
               entry("jobs.open_certificates", 400, 161, "items", must_change=161),
               entry("jobs.expire_certificates", 370, 161, "items", must_change=161),
               entry("jobs.runner_bookkeeping", 5, 5, "items")]
    rows = {g["figure"]: g for g in runner.goals(results)}
    assert rows["cold start, CPU vs a bare Chalice + boto3 app"]["met"] is True  # 1.25x
    # with valgrind's count of instructions, that decides (CPU time swings with the load)
    noisy = [e if e["name"] != "cold_start" else {**e, "ratio": 1.45, "instructions_ratio": 1.12}
             for e in results]
    cold = {g["figure"]: g for g in runner.goals(noisy)}["cold start, CPU vs a bare Chalice + boto3 app"]
    assert cold["met"] is True and "1.12x in instructions" in cold["today"]
    slow = [e if e["name"] != "cold_start" else {**e, "ratio": 1.2, "instructions_ratio": 1.41}
            for e in results]
    assert {g["figure"]: g for g in runner.goals(slow)}[
        "cold start, CPU vs a bare Chalice + boto3 app"]["met"] is False
    assert rows["webhook confirmation, DynamoDB requests"]["met"] is True
    assert rows["approval / enrolment / questionnaire, DynamoDB requests"]["today"] == "2 / 4 / 3"
    assert rows["approval / enrolment / questionnaire, DynamoDB requests"]["met"] is False
    assert rows["jobs: items read+written vs items they must change"]["met"] is False  # 400 > 2x161+50
    # the runner's own items (the same for every job) are not the job's: 370 - 5 <= 372
    met_but_open = [e if e["name"] != "jobs.open_certificates" else {**e, "figure": 377}
                    for e in results]
    rows_met = {g["figure"]: g for g in runner.goals(met_but_open)}
    assert rows_met["jobs: items read+written vs items they must change"]["met"] is True
    assert "incl. the runner's 5" in rows_met["jobs: items read+written vs items they must change"]["today"]
    assert rows["registration, DynamoDB requests"]["met"] is None  # not measured
    text = runner.goals_table(runner.goals(results))
    assert "not measured" in text and "NO" in text and "<= 1.3x" in text
    assert len(text.splitlines()) == 2 + len(runner.GOALS)


def test_certificate_bench_floor_and_the_full_face_in_one_run() -> None:
    """The certificate rows on tiny sizes: the exact-glyph floor is below the certificate,
    the certificate with the built fonts below the way it was made with the full face (a
    ratio of the same run, never an absolute time), and the rare name printed."""
    from bench import certificates
    rows = {e["name"]: e for e in certificates.run(quick=True, batch=1, budget_s=5)}
    cert, before = rows["certificate.generation"], rows["certificate.full_font_before"]
    assert cert["floor"] == before["floor"] > 0
    assert cert["figure"] < before["figure"]
    assert rows["certificate.generation_rare_name"]["printed_rare"] is True
    assert cert["common_font"] is True
