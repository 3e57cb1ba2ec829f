"""Benchmark 3: throughput of the hot handlers (heartbeat, payment webhook, registration)
through the real routes, authorizer and view boundary (chalice's test client) against moto,
as a ratio to the bare DynamoDB calls they make against the same moto.

The floor is measured in the same run, on the wire: the time between botocore's
`before-call` and `after-call` events of every DynamoDB request the handlers made (the HTTP
exchange with moto and its parsing), i.e. what the same calls cost without the app around
them. For reference the requests are also replayed through a plain botocore client; a
replayed conditional write fails its condition (the state moved on) and moto is slower at
failing, so the replay over-states the floor and is only reported."""
from __future__ import annotations

import time
import uuid
from typing import Any

from bench.harness import COUNTER, Api, Call, entry, fresh_stack, install_payment_simulators, parse_at


def _replay(calls: list[Call]) -> float:
    import botocore.session
    from botocore.exceptions import ClientError

    from chalicelib.platform.deps import get_deps
    settings = get_deps().settings
    client = botocore.session.get_session().create_client(
        "dynamodb", region_name=settings.region, endpoint_url=settings.endpoint_url)
    ddb = [c for c in calls if c.service == "dynamodb"]
    client.list_tables(Limit=1)  # open the connection before timing
    t0 = time.perf_counter()
    for c in ddb:
        try:
            client._make_api_call(c.operation, c.params)
        except ClientError:
            pass
    return time.perf_counter() - t0


def _measure(name: str, n: int, fn: Any) -> dict[str, Any]:
    with COUNTER.record() as calls:
        t0 = time.perf_counter()
        for i in range(n):
            fn(i)
        elapsed = time.perf_counter() - t0
    ddb = [c for c in calls if c.service == "dynamodb"]
    in_calls = sum(c.seconds for c in ddb)
    replay = _replay(ddb)
    return entry(f"throughput.{name}", elapsed / n, in_calls / n, "s per request",
                 f"{n} requests through the app vs the time inside their {len(ddb)} DynamoDB "
                 "requests (on the wire, same run)",
                 requests=n, requests_per_s=round(n / elapsed, 1),
                 bare_requests_per_s=round(n / in_calls, 1) if in_calls else None,
                 ddb_requests_per_request=round(len(ddb) / n, 2),
                 replay_s_per_request=round(replay / n, 4),
                 replay_note="the same requests replayed with a bare botocore client; "
                             "replayed conditional writes fail their condition, which moto "
                             "answers more slowly than a success, so this is not the floor")


def _heartbeats(api: Api, deps: Any, n: int) -> dict[str, Any]:
    from chalicelib.learning import service as learning
    from bench.harness import signup, sub_of
    _email, token = signup(api, deps)
    sub = sub_of(token)
    _approve_and_pay(deps, sub)
    deps.clock.set(parse_at("2026-04-13T09:00:00+08:00"))
    view = learning.enroll(deps, sub, deps.clock.now())
    # one course after the other (a trainee plays one at a time: a newer play session
    # supersedes the older), each opened with /play; a video is shorter than 200 reports
    courses = [{"path": f"/learning/courses/{c['course_id']}", "pos": 0, "end": c["duration_s"]}
               for c in view["courses"]]
    current: dict[str, Any] = {}

    def beat(i: int) -> None:
        if not current or current["pos"] + 30 > current["end"]:
            current.clear()
            current.update(courses.pop(0))
            link = api.get(f"{current['path']}/play", token).data
            current.update(token=link["token"], session_id=link["session_id"])
        deps.clock.advance(seconds=30)
        current["pos"] += 30
        r = api.post(f"{current['path']}/heartbeat", token, json={
            "position_s": current["pos"], "token": current["token"],
            "session_id": current["session_id"]})
        assert r.status_code == 200 and r.data["accepted"], r.body
        current["token"] = r.data["token"]

    beat(0)  # warm
    return _measure("heartbeat", n, beat)


def _approve_and_pay(deps: Any, sub: str) -> str:
    """An approved, paid registration for `sub`, made through the services."""
    from chalicelib.registration import service as registrations
    now = deps.clock.now()
    reg = registrations.create_registration(deps, sub, {
        "unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}, now)
    registrations.approve(deps, reg["registration_id"], "reviewer", now)
    from chalicelib.registration.repository import Registration
    item = Registration.get(reg["registration_id"], consistent_read=True)
    item.update(actions=[Registration.payment_status.set("paid")])
    return str(reg["registration_id"])


def _account(name: str = "李玥") -> Any:
    from chalicelib.platform.clock import system_now
    from chalicelib.identity.repository import Account
    sub = f"sub-{uuid.uuid4().hex[:12]}"
    acc = Account(user_sub=sub, email=f"{sub}@example.com", name=name, phone="13800138000",
                  phone_norm="13800138000", kind="personal", unit_name=None, credit_code=None,
                  created_at=system_now())
    acc.save()
    return acc


def _webhooks(api: Api, deps: Any, keys: dict[str, Any], n: int) -> dict[str, Any]:
    from chalicelib.billing import orders
    from chalicelib.registration import service as registrations
    from chalicelib.dev.sandbox import alipay_notification, alipay_passback_of
    deps.clock.set(parse_at("2026-04-05T10:00:00+08:00"))
    now = deps.clock.now()
    bodies = []
    for i in range(n + 1):
        acc = _account()
        reg = registrations.create_registration(deps, acc.user_sub, {
            "unit_name": "国家图书馆", "job_title": "馆员", "region": "北京"}, now)
        registrations.approve(deps, reg["registration_id"], "reviewer", now)
        order = orders.create_order(deps, acc.user_sub, reg["registration_id"], "alipay",
                                    False, now)
        bodies.append(alipay_notification(keys, order["order_id"], order["amount_fen"],
                                          f"2026{i:024d}", now,
                                          passback_params=alipay_passback_of(order.get("pay_url"))))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    def post(i: int) -> None:
        r = api.call("POST", "/webhooks/alipay", body=bodies[i], headers=headers)
        assert r.status_code == 200 and r.body in (b"success", "success"), r.body

    post(n)  # warm
    return _measure("webhook", n, post)


def _registrations(api: Api, deps: Any, n: int) -> dict[str, Any]:
    from bench.harness import signup
    tokens = [signup(api, deps)[1] for _ in range(n + 1)]

    def register(i: int) -> None:
        r = api.register(tokens[i])
        assert r.status_code == 201, r.body

    register(n)  # warm
    return _measure("registration", n, register)


def run(quick: bool = False) -> list[dict[str, Any]]:
    deps = fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    keys = install_payment_simulators(deps)
    api = Api(deps)
    try:
        n_hb, n_wh, n_reg = (3, 2, 2) if quick else (120, 40, 40)
        return [_heartbeats(api, deps, n_hb), _webhooks(api, deps, keys["alipay"], n_wh),
                _registrations(api, deps, n_reg)]
    finally:
        api.close()
