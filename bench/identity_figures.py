"""What the identity safeguards of issue 14 cost per request, counted on the wire (botocore
events) through the real routes on moto, prod-like (`python -m bench.identity_figures`, or
`python -m bench --only identity_figures` once listed in bench/__main__.py MODULES):

- the session check at the view boundary (platform/sessions.py): DynamoDB requests of an
  authenticated GET /me with the cut-offs (one item for all accounts) cached (a warm Lambda within CACHE_S)
  and uncached, and the time of the check itself, cached and uncached;
- the attempt counters (platform/store/throttle.py): requests of a sign-in (right and wrong
  password) and of a sign-up."""
from __future__ import annotations

import time
from typing import Any

from bench.harness import COUNTER, Api, entry, fresh_stack, parse_at, sub_of, summarise


def _calls(fn: Any) -> dict[str, Any]:
    with COUNTER.record() as calls:
        fn()
    return summarise(calls)


def run(quick: bool = False) -> list[dict[str, Any]]:
    from chalicelib.platform import sessions
    from devtools.appclient import PASSWORD, unique_email
    deps = fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    api = Api(deps)
    try:
        email = unique_email("bench-id")
        signup = _calls(lambda: api.post("/auth/signup", json={
            "email": email, "password": PASSWORD, "name": "李玥", "phone": "13800138000"}))
        login_ok = _calls(lambda: api.post("/auth/login", json={"email": email, "password": PASSWORD}))
        login_bad = _calls(lambda: api.post("/auth/login", json={"email": email,
                                                                 "password": "Wrong-pass1!"}))
        token = api.login(email)
        sub = sub_of(token)
        api.get("/me", token)  # warm: edition cached, cut-off cached
        warm = _calls(lambda: api.get("/me", token))
        sessions.forget_cache()
        cold = _calls(lambda: api.get("/me", token))
        n = 2_000 if quick else 50_000
        t0 = time.perf_counter()
        for _ in range(n):
            sessions.token_allowed(sub, 2_000_000_000)
        cached_us = (time.perf_counter() - t0) / n * 1e6
        m = 5 if quick else 50
        t0 = time.perf_counter()
        for _ in range(m):
            sessions.forget_cache()
            sessions.token_allowed(sub, 2_000_000_000)
        uncached_ms = (time.perf_counter() - t0) / m * 1e3
    finally:
        api.close()
    extra = warm["dynamodb_calls"]
    return [
        entry("session check: GET /me requests, cut-off cached", warm["dynamodb_calls"],
              warm["dynamodb_calls"], "requests", "a warm process within CACHE_S",
              operations=warm["operations"]),
        entry("session check: GET /me requests, cut-off not cached", cold["dynamodb_calls"],
              extra, "requests", "one GetItem of the recent cut-offs (one kv item for every "
              f"account) per process every {sessions.CACHE_S:.0f} s", operations=cold["operations"]),
        entry("session check time, cached", cached_us, 1.0, "µs", "in-process dict lookup"),
        entry("session check time, uncached (moto)", uncached_ms, 1.0, "ms",
              "one GetItem to the embedded AWS"),
        entry("sign-in, right password: requests", login_ok["dynamodb_calls"], 0, "requests",
              "two counter reads (account, address)", operations=login_ok["operations"]),
        entry("sign-in, wrong password: requests", login_bad["dynamodb_calls"], 0, "requests",
              "two counter reads + two counter updates", operations=login_bad["operations"]),
        entry("sign-up: requests", signup["dynamodb_calls"], 1, "requests",
              "the account transaction + three counter updates", operations=signup["operations"]),
    ]


if __name__ == "__main__":
    from bench import harness
    harness.setup_env()
    try:
        for e in run(quick=False):
            print(f"{e['name']:<52} {e['figure']:>10} {e['unit']:<9} {e.get('operations', '')}")
    finally:
        harness.stop_env()
