"""Benchmark 8: load of the worst hour, through the in-process handlers (chalice's test
client: real routes, authorizer, view boundary) against moto, prod-like.

Two peaks are driven with sampled trainees, then scaled to 20,000 trainees:
- 6/1 00:00-01:00, the certificate download window opening: first downloads (issue + PDF
  + S3 put), each trainee's first one;
- an evening of learning, 20:00: viewers each sending a heartbeat every 30 s.

Per request: the handler's CPU (this thread's CPU time, less the CPU inside each AWS call:
sending, waiting and parsing; what a Lambda's own code costs), wall time, DynamoDB requests
and request units. Per item and per partition key written: the writes of the sample, which
keys are shared by several trainees (those are the ones that could become hot), and the
writes/s the hottest would take at 20,000 trainees (DynamoDB's limit: 1,000 writes/s per
partition). The invoice counter (one item per edition, written once per invoice) and the
edition item (never written by trainees' traffic; read from a 30 s in-process cache) are
reported by name."""
from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from typing import Any

from bench.harness import COUNTER, Api, Call, entry, fresh_stack, parse_at, summarise

TRAINEES = 20_000
VIEWERS = 5_000  # evening peak, each reporting every 30 s
HEARTBEAT_EVERY_S = 30
DOWNLOADS_IN_HOUR = 12_000  # 60 % of the trainees take the certificate in the first hour
PEAK_FACTOR = 3.0  # the first minutes run at 3x the hour's average
INVOICES_IN_HOUR = 20_000  # worst case for the counter: every trainee asks in one hour
ITEM_LIMIT_WRITES_S = 1_000


def _hash_keys() -> dict[str, str]:
    from chalicelib.platform.store.tables import table_specs
    return {s["base_name"]: next(k["AttributeName"] for k in s["key_schema"]
                                 if k["KeyType"] == "HASH") for s in table_specs()}


def _range_keys() -> dict[str, str | None]:
    from chalicelib.platform.store.tables import table_specs
    return {s["base_name"]: next((k["AttributeName"] for k in s["key_schema"]
                                  if k["KeyType"] == "RANGE"), None) for s in table_specs()}


def _value(attr: Any) -> str:
    if isinstance(attr, dict) and attr:
        return str(next(iter(attr.values())))
    return str(attr)


def written_items(call: Call, short: Any, hashes: dict[str, str],
                  ranges: dict[str, str | None]) -> list[tuple[str, str, str]]:
    """(table, partition key, sort key) of every item a write request writes or
    condition-checks (a condition check also consumes write capacity)."""
    out: list[tuple[str, str, str]] = []

    def add(table: str, item: dict[str, Any]) -> None:
        base = short(table)
        h, r = hashes.get(base), ranges.get(base)
        pk = _value(item.get(h)) if h else "?"
        sk = _value(item.get(r)) if r else ""
        out.append((base, pk, sk))

    p = call.params
    if call.operation == "PutItem":
        add(p["TableName"], p.get("Item", {}))
    elif call.operation in ("UpdateItem", "DeleteItem"):
        add(p["TableName"], p.get("Key", {}))
    elif call.operation == "TransactWriteItems":
        for t in p.get("TransactItems") or []:
            (kind, body), = t.items()
            add(body["TableName"], body.get("Item") or body.get("Key") or {})
    elif call.operation == "BatchWriteItem":
        for table, reqs in (p.get("RequestItems") or {}).items():
            for r in reqs:
                (kind, body), = r.items()
                add(table, body.get("Item") or body.get("Key") or {})
    return out


class Sample:
    """The requests of one kind: per-request figures and the items each one wrote."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.cpu_ms: list[float] = []
        self.wall_ms: list[float] = []
        self.aws_cpu_ms: list[float] = []
        self.calls: list[list[Call]] = []
        self.users: list[str] = []

    def run(self, user: str, fn: Any) -> Any:
        with COUNTER.record() as calls:
            c0, w0 = time.thread_time(), time.perf_counter()
            out = fn()
            c1, w1 = time.thread_time(), time.perf_counter()
        aws_cpu = sum(c.cpu_seconds for c in calls)
        self.cpu_ms.append((c1 - c0 - aws_cpu) * 1000)
        self.aws_cpu_ms.append(aws_cpu * 1000)
        self.wall_ms.append((w1 - w0) * 1000)
        self.calls.append(calls)
        self.users.append(user)
        return out

    def summary(self) -> dict[str, Any]:
        n = len(self.calls)
        flat = [c for calls in self.calls for c in calls]
        s = summarise(flat)
        return {"requests": n, "handler_cpu_ms_median": round(statistics.median(self.cpu_ms), 2),
                "handler_cpu_ms_p90": round(sorted(self.cpu_ms)[int(0.9 * (n - 1))], 2),
                "aws_call_cpu_ms_median": round(statistics.median(self.aws_cpu_ms), 2),
                "wall_ms_median": round(statistics.median(self.wall_ms), 1),
                "ddb_requests_per_request": round(s["dynamodb_calls"] / n, 2),
                "rru_per_request": round(s["read_units"] / n, 2),
                "wru_per_request": round(s["write_units"] / n, 2),
                "other_aws_calls": s["other_aws_calls"]}


def _finished_trainee(api: Api, deps: Any, answers: dict[str, Any]) -> tuple[str, str]:
    """A trainee eligible for the certificate (paid, every course credited, questionnaire
    answered), made through the services; returns (token, sub)."""
    from bench.dynamo_calls import _complete_all
    from bench.harness import signup, sub_of
    from bench.throughput import _approve_and_pay
    from chalicelib.learning import questionnaire, service as learning
    _email, token = signup(api, deps)
    sub = sub_of(token)
    _approve_and_pay(deps, sub)
    deps.clock.set(parse_at("2026-04-13T09:00:00+08:00"))
    learning.enroll(deps, sub, deps.clock.now())
    _complete_all(deps, sub)
    deps.clock.set(parse_at("2026-05-20T10:00:00+08:00"))
    questionnaire.submit(deps, sub, answers, deps.clock.now())
    return token, sub


def _downloads(api: Api, deps: Any, n: int) -> Sample:
    from bench.dynamo_calls import _answers
    answers = _answers(deps)
    trainees = [_finished_trainee(api, deps, answers) for _ in range(n + 1)]
    from chalicelib.editions import service as editions
    opens = editions.get_current(deps).windows.certificate.opens
    sample = Sample("certificate_download_first")
    for i, (token, sub) in enumerate(trainees):
        deps.clock.set(opens)
        deps.clock.advance(seconds=1 + i)

        def get(token: str = token) -> Any:
            r = api.get("/certificates/mine/download", token)
            assert r.status_code == 200 and r.data.get("certificate_no"), r.body[:300]
            return r
        if i == 0:
            get()  # warm: fonts, QR encoder, the S3 client
            continue
        sample.run(sub, get)
    return sample


def _heartbeats(api: Api, deps: Any, viewers: int, rounds: int) -> Sample:
    from bench.harness import sub_of
    from bench.throughput import _approve_and_pay
    from chalicelib.learning import service as learning
    people = []
    from bench.harness import signup
    for _ in range(viewers + 1):
        _email, token = signup(api, deps)
        sub = sub_of(token)
        _approve_and_pay(deps, sub)
        deps.clock.set(parse_at("2026-04-20T20:00:00+08:00"))
        course = learning.enroll(deps, sub, deps.clock.now())["courses"][0]
        path = f"/learning/courses/{course['course_id']}"
        link = api.get(f"{path}/play", token).data
        people.append({"sub": sub, "token": token, "path": path, "hb": link["token"],
                       "session": link["session_id"], "pos": 0})
    sample = Sample("heartbeat")
    for k in range(rounds + 1):
        deps.clock.advance(seconds=HEARTBEAT_EVERY_S)
        for j, p in enumerate(people):
            p["pos"] += HEARTBEAT_EVERY_S

            def beat(p: dict[str, Any] = p) -> Any:
                r = api.post(f"{p['path']}/heartbeat", p["token"], json={
                    "position_s": p["pos"], "token": p["hb"], "session_id": p["session"]})
                assert r.status_code == 200 and r.data["accepted"], r.body[:300]
                p["hb"] = r.data["token"]
                return r
            if k == 0 or j == 0:
                beat()  # the first round and the first viewer warm the process
            else:
                sample.run(p["sub"], beat)
    return sample


def hot_keys(samples: list[Sample], rates: dict[str, float]) -> dict[str, Any]:
    """Writes per item and per partition key; the keys shared by several trainees, scaled
    to the worst hour's request rates (`rates`: requests/s of each kind)."""
    from bench.harness import _short
    hashes, ranges = _hash_keys(), _range_keys()
    items: Counter[tuple[str, str, str]] = Counter()
    parts: Counter[tuple[str, str]] = Counter()
    users: dict[tuple[str, str], set[str]] = defaultdict(set)
    per_request: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    # a trainee's own key: its writes per request of that trainee (kind -> user -> writes)
    own: dict[tuple[str, str], dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    requests_of: dict[str, Counter[str]] = defaultdict(Counter)
    written_per_request: dict[str, float] = defaultdict(float)
    tables: Counter[str] = Counter()
    total = 0
    for s in samples:
        n = len(s.calls)
        for calls, user in zip(s.calls, s.users, strict=True):
            requests_of[s.kind][user] += 1
            for c in calls:
                if c.service != "dynamodb":
                    continue
                for table, pk, sk in written_items(c, _short, hashes, ranges):
                    items[(table, pk, sk)] += 1
                    parts[(table, pk)] += 1
                    users[(table, pk)].add(user)
                    per_request[(table, pk)][s.kind] += 1 / n
                    own[(table, pk)][s.kind][user] += 1
                    written_per_request[s.kind] += 1 / n
                    tables[table] += 1
                    total += 1
    shared = {k: v for k, v in parts.items() if len(users[k]) > 1}

    def at_scale(key: tuple[str, str]) -> float:
        if key in shared:  # every trainee's requests write it
            return sum(w * rates.get(kind, 0.0) for kind, w in per_request[key].items())
        # one trainee's own key: its writes per request of that trainee, at that trainee's
        # rate (a heartbeat every 30 s; a download's writes land within its one second)
        rate = 0.0
        for kind, by_user in own[key].items():
            user, writes = by_user.most_common(1)[0]
            per = writes / requests_of[kind][user]
            rate += per / HEARTBEAT_EVERY_S if kind == "heartbeat" else per
        return rate

    (hot_table, hot_pk), hot_n = parts.most_common(1)[0]
    scaled = sorted(((at_scale(k), k) for k in parts), reverse=True)
    top_rate, top_key = scaled[0]
    all_writes_s = sum(w * rates.get(kind, 0.0) for kind, w in written_per_request.items())
    return {
        "writes_in_sample": total,
        "writes_by_table": dict(tables),
        "hottest_partition_in_sample": {"table": hot_table, "key": hot_pk, "writes": hot_n,
                                        "share": round(hot_n / total, 4),
                                        "trainees_writing_it": len(users[(hot_table, hot_pk)])},
        "shared_partitions": [{"table": t, "key": k, "writes": n, "trainees": len(users[(t, k)]),
                               "per_request": {kind: round(w, 3) for kind, w in per_request[(t, k)].items()},
                               "writes_per_s_at_scale": round(at_scale((t, k)), 2)}
                              for (t, k), n in sorted(shared.items(), key=lambda kv: -kv[1])],
        "hottest_at_scale": {"table": top_key[0], "key": top_key[1],
                             "writes_per_s": round(top_rate, 2),
                             "share_of_all_writes": round(top_rate / all_writes_s, 6),
                             "all_writes_per_s": round(all_writes_s, 1),
                             "share_of_limit": round(top_rate / ITEM_LIMIT_WRITES_S, 4)},
    }


def run(quick: bool = False) -> list[dict[str, Any]]:
    deps = fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    api = Api(deps)
    try:
        n_dl, viewers, rounds = (3, 3, 2) if quick else (20, 40, 3)
        downloads = _downloads(api, deps, n_dl)
        beats = _heartbeats(api, deps, viewers, rounds)
    finally:
        api.close()
    hb_rate = VIEWERS / HEARTBEAT_EVERY_S
    dl_rate = DOWNLOADS_IN_HOUR / 3600 * PEAK_FACTOR
    rates = {"heartbeat": hb_rate, "certificate_download_first": dl_rate}
    keys = hot_keys([downloads, beats], rates)
    dl, hb = downloads.summary(), beats.summary()
    hour_rru = (dl["rru_per_request"] * DOWNLOADS_IN_HOUR
                + hb["rru_per_request"] * hb_rate * 3600)
    hour_wru = (dl["wru_per_request"] * DOWNLOADS_IN_HOUR
                + hb["wru_per_request"] * hb_rate * 3600)
    invoice_counter_s = INVOICES_IN_HOUR / 3600  # one conditional write per invoice
    edition_writes = keys["writes_by_table"].get("editions", 0)
    assumptions = {"trainees": TRAINEES, "viewers": VIEWERS, "heartbeat_every_s": HEARTBEAT_EVERY_S,
                   "downloads_in_hour": DOWNLOADS_IN_HOUR, "peak_factor": PEAK_FACTOR,
                   "heartbeats_per_s": round(hb_rate, 1), "downloads_per_s_peak": round(dl_rate, 2)}
    return [
        entry("load.heartbeat_cpu_ms", hb["handler_cpu_ms_median"], 0, "CPU ms per request",
              f"evening peak: {len(beats.calls)} heartbeats of {viewers} viewers, "
              "handler CPU excluding the AWS calls' own CPU", **hb),
        entry("load.certificate_download_cpu_ms", dl["handler_cpu_ms_median"], 0,
              "CPU ms per request", f"6/1 00:00: {len(downloads.calls)} first downloads "
              "(issue, PDF, S3 put), handler CPU excluding the AWS calls' own CPU", **dl),
        entry("load.worst_hour_units", round(hour_rru + hour_wru), 0, "request units",
              f"the worst hour at {TRAINEES:,} trainees: {DOWNLOADS_IN_HOUR:,} downloads + "
              f"{VIEWERS:,} viewers x {3600 // HEARTBEAT_EVERY_S} heartbeats",
              read_units=round(hour_rru), write_units=round(hour_wru), **assumptions),
        entry("load.hottest_partition_share", keys["hottest_at_scale"]["share_of_all_writes"], 0,
              "share of writes", "the most written partition key's share of the worst hour's "
              f"writes at {TRAINEES:,} trainees ({keys['hottest_at_scale']['table']}; in the "
              f"sample: {keys['hottest_partition_in_sample']['share']:.1%} of "
              f"{keys['writes_in_sample']} writes)",
              at_scale=keys["hottest_at_scale"], in_sample=keys["hottest_partition_in_sample"]),
        entry("load.hottest_item_writes_per_s", keys["hottest_at_scale"]["writes_per_s"],
              ITEM_LIMIT_WRITES_S, "writes/s at 20,000 trainees",
              f"the most written key at scale ({keys['hottest_at_scale']['table']}) vs "
              "DynamoDB's 1,000 writes/s per partition; shared keys listed in the details",
              shared_partitions=keys["shared_partitions"],
              writes_by_table=keys["writes_by_table"],
              invoice_counter={"writes_per_s": round(invoice_counter_s, 2),
                               "assumption": f"{INVOICES_IN_HOUR:,} invoices in one hour, one "
                                             "conditional counter write each (invoicing/"
                                             "repository.py)",
                               "share_of_limit": round(invoice_counter_s / ITEM_LIMIT_WRITES_S, 4)},
              edition_item={"writes_in_sample": edition_writes,
                            "reads": "cached 30 s per process (editions/service.py): at most "
                                     "one read per warm Lambda per 30 s"}),
    ]
