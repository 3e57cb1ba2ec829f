"""A populated platform for the hardening tests: one fresh stack per test module (not per
route), people in every role, and objects owned by trainee B that trainee A must not reach.

Built through the same services and API the product uses; the clock ends inside the
certificate window (2026-06-02), so every kind of object exists at once."""
from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from contextlib import contextmanager
from typing import Any, Iterator

from tests.conftest import Api, at, unique_email

_prefixes = itertools.count(1)
UNIT_NAME = "首都图书馆"
UNIT_CODE = "91110000600037341L"  # valid check character
CALLERS = ("anon", "a", "b", "unit", "reviewer", "finance", "admin")


@dataclass
class World:
    api: Api
    deps: Any
    clock: Any
    prefix: str
    tokens: dict[str, str | None] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    subs: dict[str, str] = field(default_factory=dict)

    @contextmanager
    def using(self) -> Iterator[World]:
        """Make this world's tables and Deps the app's (another test on this worker may have
        pointed the app at its own prefix since), with the PDF renderers stubbed: the
        documents are tested by their own features and cost ~10 s each on a loaded machine."""
        import pytest

        from chalicelib.certificates import service as certificates
        from chalicelib.platform.deps import set_deps
        saved = {k: os.environ.get(k) for k in ("TABLE_PREFIX", "BUCKET_PREFIX")}
        os.environ["TABLE_PREFIX"] = self.prefix
        os.environ["BUCKET_PREFIX"] = self.prefix
        if self.deps is not None:
            set_deps(self.deps)
        patch = pytest.MonkeyPatch()
        patch.setattr(certificates, "render_pdf", lambda deps, edition, cert: b"%PDF-1.4 stub")
        try:
            yield self
        finally:
            patch.undo()
            for k, v in saved.items():
                if v is not None:
                    os.environ[k] = v


def fresh_stack() -> tuple[str, Any]:
    """Like tests/conftest.py's `stack`, for a module: own prefix, tables, buckets, editions."""
    from tests.conftest import fresh_stack as build
    prefix = f"h{os.getpid() % 10000}x{next(_prefixes)}-"
    return prefix, build(prefix)


def _paid_by_transfer(api: Api, deps: Any, token: str, rid: str, serial: str) -> str:
    from chalicelib.billing import payments
    r = api.post("/orders", token, json={"registration_id": rid, "channel": "bank_transfer"})
    assert r.status_code == 201, r.body
    oid = r.data["order_id"]
    payments.confirm_transfer(deps, oid, None, serial, r.data["amount_fen"], "finance-sub", deps.now())
    return str(oid)


def build_world(client: Any) -> World:
    """Trainees A and B (both approved, paid, invoiced; B also certified), a trainee C with a
    bank-transfer refund waiting for finance, a unit with a group order holding trainee D,
    and one staff member per role."""
    from chalicelib.platform.clock import FixedClock
    from chalicelib.editions import service as editions
    from chalicelib.learning import service as learning, questionnaire
    from chalicelib.billing import refunds
    from chalicelib.registration import service as registrations
    from tests.invoicing.factories import FastIssuer
    from tests.learning.conftest import Trainee, answers_for, complete_courses

    prefix, deps = fresh_stack()
    clock = FixedClock(at("2026-04-05T10:00:00+08:00"))
    deps.clock = clock
    deps.extras["invoice_issuer"] = FastIssuer()
    api = Api(client, deps)
    w = World(api=api, deps=deps, clock=clock, prefix=prefix)
    w.tokens["anon"] = None
    for role in ("reviewer", "finance", "admin"):
        w.tokens[role] = api.staff(role)

    people: dict[str, tuple[str, str]] = {}
    for key, name in (("a", "甲学员"), ("b", "乙学员"), ("c", "丙学员"), ("d", "丁学员")):
        email, token = api.signup(unique_email(key), name=name, phone="13912345678")
        w.tokens[key] = token
        me = api.get("/me", token).data
        w.subs[key] = w.ids[f"{key}_sub"] = me["user_id"]
        unit = UNIT_NAME if key == "d" else "国家图书馆"
        r = api.register(token, unit_name=unit)
        assert r.status_code == 201, r.body
        rid = r.data["registration_id"]
        w.ids[f"{key}_reg"] = rid
        registrations.approve(deps, rid, "reviewer-sub", clock.now())
        people[key] = (email, name)
    from tests.identity.unit_helpers import link, verified_unit
    _, w.tokens["unit"], w.subs["unit"] = verified_unit(api, unit_name=UNIT_NAME,
                                                        credit_code=UNIT_CODE,
                                                        staff=w.tokens["admin"])
    link(api, w.tokens["d"] or "", w.ids["d_reg"], w.subs["unit"])  # D chose the unit
    w.ids["unit_id"] = w.subs["unit"]

    for n, key in enumerate(("a", "b", "c")):
        w.ids[f"{key}_order"] = _paid_by_transfer(api, deps, w.tokens[key] or "", w.ids[f"{key}_reg"],
                                                  f"SERIAL-WORLD-{n}")
    for key in ("a", "b"):
        r = api.post("/invoices", w.tokens[key], json={"order_id": w.ids[f"{key}_order"],
                                                       "title": people[key][1]})
        assert r.status_code == 201, r.body
        w.ids[f"{key}_invoice"] = r.data["invoice_id"]
    refund = refunds.request_refund(deps, w.subs["c"], w.ids["c_order"], "工作安排冲突", clock.now())
    w.ids["c_refund"] = refund["refund_id"]
    r = api.post("/unit/group-orders", w.tokens["unit"], json={"members": [w.ids["d_reg"]]})
    assert r.status_code == 201, r.body
    w.ids["group_order"] = r.data["order_id"]

    # Learning: A and B enrolled and done; B's certificate issued in the download window.
    clock.set(at("2026-04-13T09:00:00+08:00"))
    for key in ("a", "b"):
        learning.enroll(deps, w.subs[key], clock.now())
        complete_courses(deps, Trainee(w.subs[key], w.ids[f"{key}_reg"], people[key][1]))
    clock.set(at("2026-05-20T10:00:00+08:00"))
    for key in ("a", "b"):
        questionnaire.submit(deps, w.subs[key], answers_for(deps), clock.now())
    clock.set(at("2026-06-02T10:00:00+08:00"))
    r = api.get("/certificates/mine/download", w.tokens["b"])
    assert r.status_code == 200, r.body
    w.ids["b_cert"] = api.get("/certificates/mine", w.tokens["b"]).data["certificate_no"]
    w.ids["course"] = editions.get_current(deps).courses[0].course_id
    return w


_cache: dict[str, World] = {}


def shared_world() -> World:
    """One world per test process (xdist worker), built on first use: the authorization
    matrix, the fuzzer and the PII checks all read it."""
    if "world" not in _cache:
        from chalice.test import Client

        from app import app
        import pytest

        from chalicelib.certificates import service as certificates
        client = Client(app, stage_name="test")
        client.__enter__()
        patch = pytest.MonkeyPatch()
        patch.setattr(certificates, "render_pdf", lambda deps, edition, cert: b"%PDF-1.4 stub")
        try:
            _cache["world"] = build_world(client)
        finally:
            patch.undo()
    return _cache["world"]
