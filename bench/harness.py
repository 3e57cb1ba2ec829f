"""What every benchmark shares: the embedded AWS (moto's threaded server, as the tests use),
fresh tables per benchmark, a "prod-like" Deps, the app through chalice's test client, and
a counter of AWS calls taken on the wire from botocore's events.

The counter hooks `botocore.session.Session.create_client`, so every client the app makes
(PynamoDB's one shared DynamoDB client, boto3's S3/Cognito/SES clients) reports its calls;
it must therefore be installed before the app builds any client (`setup_env` does it)."""
from __future__ import annotations

import dataclasses
import itertools
import json
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

from devtools import embedded_aws
from devtools.appclient import PASSWORD, AppClient, unique_email  # noqa: F401 - used by bench modules
_prefixes = itertools.count(1)
_state: dict[str, Any] = {}

# Request units of one item of at most 1 KB (write) / 4 KB (read), on-demand pricing:
# a transactional item costs twice, an eventually consistent read half.
READ_OPS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@dataclasses.dataclass
class Call:
    service: str
    operation: str
    params: dict[str, Any]
    items_read: int = 0
    items_written: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this thread's CPU inside the call (send, wait, parse)
    error: str | None = None
    response_bytes: int = 0


class WireCounter:
    """Records every AWS call made on the recording thread while `recording` is on."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.recording = False
        self._thread: int | None = None
        self._open: dict[int, tuple[Call, float, float]] = {}

    def attach(self, client: Any) -> None:
        """Count the calls of a client that exists already (e.g. in a test process)."""
        client.meta.events.register("before-call.*.*", self._before)
        client.meta.events.register("after-call.*.*", self._after)
        client.meta.events.register("after-call-error.*.*", self._error)

    def install(self) -> None:
        import botocore.session
        if getattr(botocore.session.Session.create_client, "_bench_counted", False):
            return
        original = botocore.session.Session.create_client
        counter = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-call.*.*", counter._before)
            client.meta.events.register("after-call.*.*", counter._after)
            client.meta.events.register("after-call-error.*.*", counter._error)
            return client

        create_client._bench_counted = True  # type: ignore[attr-defined]
        botocore.session.Session.create_client = create_client  # type: ignore[method-assign]

    def _mine(self) -> bool:
        return self.recording and threading.get_ident() == self._thread

    def _before(self, model: Any = None, params: Any = None, **kwargs: Any) -> None:
        if not self._mine() or model is None:
            return
        service = model.service_model.endpoint_prefix
        call = Call(service, model.name, {})
        body = (params or {}).get("body")
        if service == "dynamodb" and body:
            call.params = json.loads(body)  # DynamoDB's wire body is its API's JSON
        self._open[id(call)] = (call, time.perf_counter(), time.thread_time())
        self.calls.append(call)
        self._last = call

    def _finish(self, call_error: str | None, parsed: Any, model: Any) -> None:
        if not self._mine() or model is None or not self.calls:
            return
        call = getattr(self, "_last", None)
        if call is None or id(call) not in self._open:
            return
        _, started, cpu_started = self._open.pop(id(call))
        call.seconds = time.perf_counter() - started
        call.cpu_seconds = time.thread_time() - cpu_started
        call.error = call_error
        if call.service == "dynamodb":
            _units(call, parsed or {})

    def _after(self, http_response: Any = None, parsed: Any = None, model: Any = None,
               **kwargs: Any) -> None:
        error = None
        if isinstance(parsed, dict) and parsed.get("Error"):
            error = parsed["Error"].get("Code")
        call = getattr(self, "_last", None)
        if call is not None and http_response is not None and self._mine():
            call.response_bytes = len(getattr(http_response, "content", b"") or b"")
        self._finish(error, parsed, model)

    def _error(self, exception: Any = None, model: Any = None, **kwargs: Any) -> None:
        self._finish(type(exception).__name__, None, model)

    @contextmanager
    def record(self) -> Iterator[list[Call]]:
        """Record the calls made inside the block (on this thread)."""
        start = len(self.calls)
        self._thread = threading.get_ident()
        self.recording = True
        out: list[Call] = []
        try:
            yield out
        finally:
            self.recording = False
            out.extend(self.calls[start:])
            del self.calls[start:]


def _units(call: Call, parsed: dict[str, Any]) -> None:
    """Items and request units of one DynamoDB call (items <= 1 KB written, <= 4 KB read)."""
    op, p = call.operation, call.params
    failed = call.error is not None
    if op == "GetItem":
        call.items_read = 1
        call.read_units = 1.0 if p.get("ConsistentRead") else 0.5
    elif op in ("Query", "Scan"):
        # capacity is charged on what was read (ScannedCount), not what a filter kept
        # a Query is charged on the size it read, in 4 KB units (the JSON answer's size is
        # a close upper bound when no filter dropped items)
        n = int(parsed.get("ScannedCount", parsed.get("Count", 0)) or 0)
        call.items_read = n
        size_units = max(1, -(-call.response_bytes // 4096))
        call.read_units = size_units * (1.0 if p.get("ConsistentRead") else 0.5)
    elif op == "BatchGetItem":
        # each table's keys at its own consistency (a consistent read costs a full unit)
        tables = (p.get("RequestItems") or {}).values()
        call.items_read = sum(len(v.get("Keys", [])) for v in tables)
        call.read_units = sum(len(v.get("Keys", [])) * (1.0 if v.get("ConsistentRead") else 0.5)
                              for v in tables)
    elif op == "TransactGetItems":
        n = len(p.get("TransactItems") or [])
        call.items_read = n
        call.read_units = 2.0 * n
    elif op in ("PutItem", "UpdateItem", "DeleteItem"):
        call.items_written = 0 if failed else 1
        call.write_units = 1.0  # a failed condition still consumes the write
    elif op == "BatchWriteItem":
        n = sum(len(v) for v in (p.get("RequestItems") or {}).values())
        call.items_written = n
        call.write_units = float(n)
    elif op == "TransactWriteItems":
        items = p.get("TransactItems") or []
        writes = [i for i in items if "ConditionCheck" not in i]
        call.items_written = 0 if failed else len(writes)
        call.items_read = len(items) - len(writes)
        call.write_units = 2.0 * len(items)


COUNTER = WireCounter()


def summarise(calls: list[Call]) -> dict[str, Any]:
    """Per-service call counts and DynamoDB items/units of a list of calls."""
    ddb = [c for c in calls if c.service == "dynamodb"]
    ops = Counter(c.operation for c in ddb)
    other = Counter(f"{c.service}.{c.operation}" for c in calls if c.service != "dynamodb")
    return {
        "dynamodb_calls": len(ddb),
        "reads": sum(1 for c in ddb if c.operation in READ_OPS),
        "writes": sum(1 for c in ddb if c.operation in WRITE_OPS),
        "items_read": sum(c.items_read for c in ddb),
        "items_written": sum(c.items_written for c in ddb),
        "read_units": round(sum(c.read_units for c in ddb), 2),
        "write_units": round(sum(c.write_units for c in ddb), 2),
        "operations": dict(ops),
        "other_aws_calls": dict(other),
        "detail": [_describe(c) for c in ddb],
    }


def _describe(c: Call) -> str:
    table = c.params.get("TableName")
    if c.operation == "TransactWriteItems":
        parts = []
        for item in c.params.get("TransactItems") or []:
            (kind, body), = item.items()
            parts.append(f"{kind}:{_short(body.get('TableName'))}")
        return f"TransactWriteItems[{', '.join(parts)}]"
    index = c.params.get("IndexName")
    extra = f"/{index}" if index else ""
    err = f" ({c.error})" if c.error else ""
    return f"{c.operation}:{_short(table)}{extra}{err}"


def _short(table: Any) -> str:
    text = str(table or "?")
    prefix = _state.get("prefix", "")
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


# --- the embedded AWS and fresh stacks ---------------------------------------------------
def setup_env() -> str:
    """The environment the app reads, the wire counter, and moto's server (once)."""
    if "endpoint" in _state:
        return str(_state["endpoint"])
    embedded_aws.set_environment(embedded_aws.app_environment("b0-", "bench-users", "ERROR"))
    COUNTER.install()
    _state["endpoint"] = embedded_aws.start()
    return str(_state["endpoint"])


def stop_env() -> None:
    _state.pop("endpoint", None)
    embedded_aws.stop()


def fresh_stack(at: datetime, prod_like: bool = True) -> Any:
    """New tables and buckets (own prefix), the editions seeded; installs and returns the
    app's Deps with a fixed clock at `at`. `prod_like`: the Deps behaves as in the prod
    stage (no dev clock offset read, the edition cached in memory) while still talking to
    moto; otherwise the test stage's own behaviour (dev clock read from storage)."""
    setup_env()
    from chalicelib.platform import deps as context
    from chalicelib.platform.clock import FixedClock
    from chalicelib.platform.settings import load_settings
    prefix = f"b{next(_prefixes)}{uuid.uuid4().hex[:4]}-"
    _state["prefix"] = prefix
    deps = embedded_aws.fresh_stack(prefix)
    settings = load_settings()
    if prod_like:
        deps = dataclasses.replace(deps, settings=dataclasses.replace(settings, stage="prod"),
                                   clock=FixedClock(at), extras={}, _edition_cache={})
        # keyed by the settings the process reads (stage test), so get_deps() finds it
        with context._lock:
            context._deps.clear()
            context._deps[settings] = deps
    return deps


def install_payment_simulators(deps: Any) -> dict[str, Any]:
    """Sandbox keys and the payment simulators, built straight into `deps`: a prod-like Deps
    (stage prod) would refuse sandbox keys and build the real adapters, and the bench counts
    DynamoDB requests, not calls to Alipay. Returns the key documents (to sign notifications)."""
    from chalicelib.dev.sandbox_keys import make_sandbox_keys
    from chalicelib.dev.sandbox_providers import SandboxAlipay, SandboxWechatPay
    keys = make_sandbox_keys()
    for channel, simulator in (("alipay", SandboxAlipay), ("wechatpay", SandboxWechatPay)):
        deps.extras[f"keys:{channel}"] = keys[channel]
        deps.extras[f"provider:{channel}"] = simulator(deps, keys[channel])
    return keys


def dev_clock_deps(deps: Any) -> Any:
    """The same stack with the test stage's own clock (offset read from storage per
    request) and no edition cache: what `make run` / the dev stage pays per request."""
    from chalicelib.platform.clock import Clock
    from chalicelib.platform import deps as context
    from chalicelib.platform.settings import load_settings
    settings = load_settings()
    dev = dataclasses.replace(deps, settings=settings,
                              clock=Clock(read_offset=context._dev_offset), _edition_cache={})
    with context._lock:
        context._deps.clear()
        context._deps[settings] = dev
    return dev


def install(deps: Any) -> None:
    from chalicelib.platform import deps as context
    from chalicelib.platform.settings import load_settings
    with context._lock:
        context._deps.clear()
        context._deps[load_settings()] = deps


def at_learning() -> datetime:
    """An instant inside the 2026 learning window."""
    return parse_at("2026-04-13T09:00:00+08:00")


_signups = itertools.count()
SIGNUP_SPACING_S = 37  # sign-ups per address: 10 a minute, 100 an hour (identity/throttling.py)


def signup(api: Any, deps: Any) -> tuple[str, str]:
    """A new trainee through POST /auth/signup, at a registration-window instant spaced from
    the bench's earlier sign-ups: the bench is one client address, and the per-address
    limits apply to it as to anyone. Returns (email, token)."""
    from datetime import timedelta
    k = next(_signups)
    deps.clock.set(parse_at("2026-04-05T10:00:00+08:00") + timedelta(seconds=SIGNUP_SPACING_S * k))
    return api.signup()  # type: ignore[no-any-return]


def parse_at(text: str) -> datetime:
    from chalicelib.platform.clock import parse_instant
    return parse_instant(text)


# --- the app through chalice's test client ------------------------------------------------
class Api(AppClient):
    """The app through chalice's test client (stage "test"): the real routes, authorizer
    and view boundary."""

    def __init__(self, deps: Any) -> None:
        from chalice.test import Client

        from app import app
        self._cm = Client(app, stage_name="test")
        super().__init__(self._cm.__enter__(), deps)

    def close(self) -> None:
        self._cm.__exit__(None, None, None)


def sub_of(token: str) -> str:
    import jwt
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def entry(name: str, figure: float, floor: float, unit: str, note: str = "",
          **extra: Any) -> dict[str, Any]:
    """One line of the results: the figure, the floor it is compared with, their ratio."""
    ratio = round(figure / floor, 2) if floor else None
    return {"name": name, "figure": _round(figure), "floor": _round(floor), "ratio": ratio,
            "unit": unit, "note": note, **extra}


def _round(x: float) -> float:
    return round(x, 4) if isinstance(x, float) else x
