"""The authorization matrix: every route of the app, called as each kind of caller, against
a declared expectation. The route list comes from the app itself (`app.routes`, with the
declared `roles` of chalicelib.platform.http.REGISTRY); a route without a row fails.

Callers: anon (no token), a (trainee A, using trainee B's object ids), b (trainee B, the
owner), unit, reviewer, finance, admin. Outcome classes:
  +    the caller got past authorization (2xx/3xx, or a 4xx about the input or the state)
  401  not signed in        403  wrong role        404  not yours / not there
A 5xx is always a failure."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.security.world import CALLERS, World

# Columns:    anon a    b    unit rev  fin  adm
PUBLIC = "+ + + + + + +"
SIGNED_IN = "401 + + + + + +"
TRAINEE = "401 + + 403 403 403 403"
OWNERS = "401 + + + 403 403 403"  # trainee, unit: their own things
UNIT = "401 403 403 + 403 403 403"
REVIEW = "401 403 403 403 + 403 +"
FINANCE = "401 403 403 403 403 + +"
ADMIN = "401 403 403 403 403 403 +"
# trainee B's object, reached by id: A and the unit get a 404 (as for an id that does not exist)
B_ONLY_TRAINEE = "401 404 + 403 403 403 403"
B_OWNERS = "401 404 + 404 403 403 403"
B_OWNERS_FINANCE = "401 404 + 404 403 + +"
CSV = "text/csv"


@dataclass
class Row:
    expect: str
    params: dict[str, str] = field(default_factory=dict)  # path param -> world id key (or literal)
    body: Any = None  # JSON (strings starting with $ are world ids)
    raw: bytes | None = None
    ctype: str | None = None
    query: str = ""


# Order matters only for state: reads first, mutating calls on B's objects last.
MATRIX: dict[tuple[str, str], Row] = {
    # --- public --------------------------------------------------------------------------
    ("GET", "/health"): Row(PUBLIC),
    ("GET", "/openapi.json"): Row(PUBLIC),
    ("GET", "/editions/current"): Row(PUBLIC),
    ("GET", "/verify/{certificate_no}"): Row(PUBLIC, {"certificate_no": "b_cert"}),
    ("POST", "/auth/signup"): Row(PUBLIC, body={}),
    ("POST", "/auth/login"): Row(PUBLIC, body={}),
    ("POST", "/auth/confirm"): Row(PUBLIC, body={}),
    ("POST", "/auth/refresh"): Row(PUBLIC, body={}),
    ("POST", "/auth/password/forgot"): Row(PUBLIC, body={}),
    ("POST", "/auth/password/reset"): Row(PUBLIC, body={}),
    ("POST", "/auth/login/sms/code"): Row(PUBLIC, body={}),
    ("POST", "/auth/login/sms"): Row(PUBLIC, body={}),
    # the providers: trust comes from the signature (an unsigned call is refused alike)
    ("POST", "/webhooks/alipay"): Row(PUBLIC, raw=b"a=b", ctype="application/x-www-form-urlencoded"),
    ("POST", "/webhooks/wechatpay"): Row("401 401 401 401 401 401 401", body={}),
    # --- the static site and the dev stage (never deployed; see app.py) ------------------
    ("GET", "/"): Row(PUBLIC),
    ("GET", "/web"): Row(PUBLIC),
    ("GET", "/web/{name}"): Row(PUBLIC, {"name": "index.html"}),
    ("GET", "/web/vendor/{name}"): Row(PUBLIC, {"name": "hls.light.min.js"}),
    ("GET", "/verify.html"): Row(PUBLIC),
    ("GET", "/favicon.ico"): Row(PUBLIC),
    ("GET", "/dev/clock"): Row(PUBLIC),
    ("POST", "/dev/clock"): Row(PUBLIC, body={}),
    ("GET", "/dev/mail"): Row(PUBLIC),
    ("GET", "/dev/sms"): Row(PUBLIC),
    ("GET", "/dev/pay/{order_id}"): Row(PUBLIC, {"order_id": "b_order"}),
    ("POST", "/dev/pay/{order_id}"): Row(PUBLIC, {"order_id": "b_order"}, body={}),
    ("POST", "/dev/jobs/run"): Row(PUBLIC, query="?budget_s=1"),
    # the simulated payment gateways: trust comes from the request's signature
    ("GET", "/dev/pay/alipay/gateway.do"): Row(PUBLIC),
    ("POST", "/dev/pay/alipay/gateway.do"): Row(PUBLIC, raw=b"a=b", ctype="application/x-www-form-urlencoded"),
    ("POST", "/dev/pay/wechatpay/v3/pay/transactions/{product}"): Row(
        "401 401 401 401 401 401 401", {"product": "h5"}, body={}),
    ("GET", "/dev/pay/wechatpay/checkmweb"): Row(PUBLIC),
    ("POST", "/dev/pay/wechatpay/jsapi-pay"): Row(PUBLIC, body={}),
    ("GET", "/dev/pay/wechatpay/jsbridge.js"): Row(PUBLIC),
    ("GET", "/dev/pay/wechatpay/connect/oauth2/authorize"): Row(PUBLIC),
    # the simulated tax provider (诺诺): trust comes from the request's signature
    ("POST", "/dev/tax/open/v1/services"): Row(PUBLIC, body={}),
    ("POST", "/dev/tax/fail"): Row(PUBLIC, body={}),
    ("GET", "/dev/tax/files/{name}"): Row("404 404 404 404 404 404 404", {"name": "00000000000000000000.pdf"}),
    # --- any signed-in user: own things only ---------------------------------------------
    ("GET", "/me"): Row(SIGNED_IN),
    ("GET", "/me/personal-data"): Row(OWNERS),
    ("POST", "/me/erasure"): Row(OWNERS, body={}),
    ("POST", "/me/phone/code"): Row(SIGNED_IN),  # staff have no phone: 400, past authorization
    ("POST", "/me/phone/verify"): Row(SIGNED_IN, body={}),
    ("GET", "/registrations/mine"): Row(TRAINEE),
    ("GET", "/orders/mine"): Row(OWNERS),
    ("GET", "/invoices/mine"): Row(OWNERS),
    ("GET", "/learning/courses"): Row(TRAINEE),
    ("GET", "/learning/courses/{course_id}/play"): Row(TRAINEE, {"course_id": "course"}),
    ("POST", "/learning/courses/{course_id}/heartbeat"): Row(TRAINEE, {"course_id": "course"},
                                                             body={"position_s": 10}),
    ("POST", "/learning/enroll"): Row(TRAINEE),
    ("GET", "/learning/courses/{course_id}/playlist"): Row(TRAINEE, {"course_id": "course"},
                                                           query="?session_id=S0000000000000000"),
    ("GET", "/learning/courses/{course_id}/key"): Row(TRAINEE, {"course_id": "course"},
                                                      query="?session_id=S0000000000000000"),
    ("GET", "/questionnaire"): Row(TRAINEE),
    ("POST", "/questionnaire/responses"): Row(TRAINEE, body={}),
    ("GET", "/certificates/mine"): Row(TRAINEE),
    ("GET", "/certificates/mine/download"): Row(TRAINEE),
    ("POST", "/registrations"): Row(TRAINEE, body={}),
    # --- B's objects by id ---------------------------------------------------------------
    ("GET", "/orders/{order_id}"): Row(B_OWNERS_FINANCE, {"order_id": "b_order"}),
    ("GET", "/orders/{order_id}/receipt"): Row(B_OWNERS_FINANCE, {"order_id": "b_order"}),
    ("GET", "/invoices/{invoice_id}"): Row(B_OWNERS_FINANCE, {"invoice_id": "b_invoice"}),
    ("GET", "/invoices/{invoice_id}/download"): Row(B_OWNERS_FINANCE, {"invoice_id": "b_invoice"}),
    ("POST", "/orders"): Row("401 404 + 403 403 403 403",
                             body={"registration_id": "$b_reg", "channel": "alipay"}),
    ("POST", "/invoices"): Row(B_OWNERS, body={"order_id": "$b_order", "title": "乙学员"}),
    ("POST", "/refunds"): Row(B_ONLY_TRAINEE, body={"order_id": "$b_order", "reason": "想退"}),
    ("POST", "/orders/{order_id}/cancel"): Row(B_OWNERS, {"order_id": "b_order"}),
    ("POST", "/orders/{order_id}/transfer-claim"): Row(B_ONLY_TRAINEE, {"order_id": "b_order"},
                                                       body={"paid_on": "2026-04-05", "amount_fen": 49000}),
    ("POST", "/registrations/{registration_id}/withdraw"): Row(B_ONLY_TRAINEE, {"registration_id": "b_reg"}),
    # --- units ---------------------------------------------------------------------------
    ("GET", "/unit/registrations"): Row(UNIT),
    ("POST", "/unit/group-orders"): Row(UNIT, body={"members": ["$b_reg"]}),
    ("POST", "/unit/group-orders/{order_id}/uploads"): Row(
        UNIT, {"order_id": "group_order"},
        body={"kind": "voucher", "content_type": "image/png", "size_bytes": 1000}),
    ("POST", "/unit/group-orders/{order_id}/release"): Row(UNIT, {"order_id": "group_order"},
                                                           body={"registration_id": "$d_reg"}),
    ("GET", "/unit/account"): Row(UNIT),
    ("POST", "/unit/account/letter"): Row(UNIT, body={}),
    ("POST", "/unit/invitations"): Row(UNIT, body={}),
    # linking is the trainee's own act; nobody else's registration, nobody else's group
    ("GET", "/units/verified"): Row(TRAINEE, query="?unit_name=首都图书馆"),
    ("GET", "/me/unit-invitations"): Row(TRAINEE),
    ("POST", "/registrations/{registration_id}/unit-link"): Row(
        B_ONLY_TRAINEE, {"registration_id": "b_reg"}, body={"unit_id": "$unit_id"}),
    ("POST", "/registrations/{registration_id}/unit-link/remove"): Row(
        B_ONLY_TRAINEE, {"registration_id": "b_reg"}),
    ("POST", "/orders/{order_id}/leave"): Row("401 404 404 403 403 403 403", {"order_id": "group_order"}),
    # unit verification: admin and finance
    ("GET", "/admin/units"): Row(FINANCE, query="?status=pending"),
    ("POST", "/admin/units/{unit_id}/approve"): Row(FINANCE, {"unit_id": "unit_id"}),
    ("POST", "/admin/units/{unit_id}/reject"): Row(FINANCE, {"unit_id": "unit_id"}, body={}),
    ("POST", "/admin/staff/{user_id}/mfa/reset"): Row(ADMIN, {"user_id": "a_sub"}),
    # --- reviewers -----------------------------------------------------------------------
    ("GET", "/admin/registrations"): Row(REVIEW, query="?status=pending"),
    ("POST", "/admin/registrations/{registration_id}/approve"): Row(REVIEW, {"registration_id": "b_reg"}),
    ("POST", "/admin/registrations/{registration_id}/reject"): Row(REVIEW, {"registration_id": "b_reg"},
                                                                   body={}),
    ("POST", "/admin/registrations/bulk-approve"): Row(REVIEW, body={}),
    # --- finance -------------------------------------------------------------------------
    ("GET", "/admin/invoices"): Row(FINANCE),
    ("POST", "/admin/invoices/{invoice_id}/reverse"): Row(FINANCE, {"invoice_id": "b_invoice"}, body={}),
    ("POST", "/admin/invoices/{invoice_id}/retry"): Row(FINANCE, {"invoice_id": "b_invoice"}),
    ("GET", "/admin/orders/overdue-transfers"): Row(FINANCE),
    ("POST", "/admin/orders/{order_id}/confirm-transfer"): Row(FINANCE, {"order_id": "group_order"},
                                                               body={}),
    ("GET", "/admin/payment-notifications"): Row(FINANCE),
    ("GET", "/admin/transfers/open"): Row(FINANCE),
    ("GET", "/admin/orders/{order_id}/uploads"): Row(FINANCE, {"order_id": "group_order"}),
    ("GET", "/admin/refunds"): Row(FINANCE),
    ("GET", "/admin/transfer-claims"): Row(FINANCE),
    ("POST", "/admin/refunds/{refund_id}/complete"): Row(FINANCE, {"refund_id": "c_refund"}, body={}),
    ("POST", "/admin/bank-statements"): Row(FINANCE, raw=b"", ctype=CSV),
    # --- admin ---------------------------------------------------------------------------
    ("GET", "/admin/jobs"): Row(ADMIN),
    ("GET", "/admin/courses/media"): Row(ADMIN),
    ("POST", "/admin/courses/{course_id}/video/upload"): Row(ADMIN, {"course_id": "course"}),
    ("POST", "/admin/courses/{course_id}/video"): Row("401 403 403 403 403 403 404", {"course_id": "course"},
                                                      body={"upload_key": "uploads/2026/C01/VNONE.mp4"}),
    ("GET", "/admin/reports/summary"): Row(ADMIN),
    ("GET", "/admin/exports/{name}"): Row(FINANCE, {"name": "registrations"}),
    ("GET", "/admin/members"): Row(ADMIN),
    ("GET", "/admin/members/template"): Row(ADMIN),
    ("POST", "/admin/members"): Row(ADMIN, body={}),
    ("POST", "/admin/members/import"): Row(ADMIN, raw=b"", ctype=CSV),
    ("POST", "/admin/editions"): Row(ADMIN, body={}),
    ("GET", "/admin/editions/{edition_id}"): Row(ADMIN, {"edition_id": "2026"}),
    ("PUT", "/admin/editions/{edition_id}"): Row(ADMIN, {"edition_id": "2026"}, body={}),
    ("GET", "/admin/questionnaire/export"): Row(ADMIN),
    ("GET", "/admin/people/{user_id}/personal-data"): Row(ADMIN, {"user_id": "b_sub"}),
    ("POST", "/admin/people/{user_id}/erasure"): Row(ADMIN, {"user_id": "b_sub"}, body={}),
    ("POST", "/admin/certificates/{certificate_no}/revoke"): Row(ADMIN, {"certificate_no": "b_cert"},
                                                                 body={}),
    # last: it ends trainee C's sessions (C is no caller here)
    ("POST", "/admin/accounts/{user_id}/disable"): Row(ADMIN, {"user_id": "c_sub"}),
}


def app_routes() -> list[tuple[str, str]]:
    from app import app
    return sorted((method, path) for path, methods in app.routes.items() for method in methods)


def outcome(status: int) -> str:
    if status in (401, 403, 404):
        return str(status)
    return "+" if status < 500 else f"5xx({status})"


def _fill(value: Any, w: World) -> Any:
    if isinstance(value, str) and value.startswith("$"):
        return w.ids[value[1:]]
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, w) for v in value]
    return value


def request_for(w: World, method: str, path: str, row: Row) -> tuple[str, dict[str, Any]]:
    url = path
    for name, ref in row.params.items():
        url = url.replace("{" + name + "}", w.ids.get(ref, ref))
    kw: dict[str, Any] = {}
    if row.raw is not None:
        kw["body"] = row.raw
        kw["headers"] = {"Content-Type": row.ctype or "application/octet-stream"}
    elif row.body is not None or method in ("POST", "PUT"):
        kw["json"] = _fill(row.body if row.body is not None else {}, w)
    return url + row.query, kw


def test_every_route_of_the_app_has_a_row_and_no_row_is_stale() -> None:
    routes = set(app_routes())
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    assert not stale, f"rows for routes the app no longer has: {stale}"


def test_rows_agree_with_the_declared_roles() -> None:
    """The matrix is written by hand; the roles are declared on the routes. They must agree:
    a route with roles refuses the anonymous caller, and a caller without one of its roles."""
    from chalicelib.platform.http import REGISTRY
    role_of = {"a": "trainee", "b": "trainee", "unit": "unit", "reviewer": "reviewer",
               "finance": "finance", "admin": "admin"}
    wrong = []
    for spec in REGISTRY.routes:
        row = MATRIX.get((spec.method, spec.path))
        if row is None:
            continue
        expect = dict(zip(CALLERS, row.expect.split(), strict=True))
        if spec.roles and expect["anon"] != "401":
            wrong.append((spec.method, spec.path, "anon", expect["anon"]))
        for caller, role in role_of.items():
            if spec.roles and role not in spec.roles and expect[caller] != "403":
                wrong.append((spec.method, spec.path, caller, expect[caller]))
            if (not spec.roles or role in spec.roles) and expect[caller] == "403":
                wrong.append((spec.method, spec.path, caller, expect[caller]))
    assert not wrong, wrong


@pytest.fixture(scope="module")
def matrix_run(world: World) -> dict[tuple[str, str, str], tuple[int, Any]]:
    """Every route as every caller, once; the answers are checked by the tests below."""
    answers: dict[tuple[str, str, str], tuple[int, Any]] = {}
    with world.using():
        for (method, path), row in MATRIX.items():
            url, kw = request_for(world, method, path, row)
            for caller in CALLERS:
                r = world.api.call(method, url, world.tokens[caller], **kw)
                answers[(method, path, caller)] = (r.status_code, r.data if r.data is not None else r.body)
    return answers


def test_every_caller_gets_the_declared_outcome(matrix_run: Any) -> None:
    wrong = []
    for (method, path), row in MATRIX.items():
        for caller, want in zip(CALLERS, row.expect.split(), strict=True):
            status, body = matrix_run[(method, path, caller)]
            if outcome(status) != want:
                wrong.append(f"{method} {path} as {caller}: want {want}, got {status} {str(body)[:120]}")
    assert not wrong, "\n".join(wrong)


def test_someone_elses_id_is_answered_like_an_id_that_does_not_exist(active_world: World) -> None:
    """No oracle: trainee A cannot tell B's order/invoice/registration from a made-up id."""
    w = active_world
    a = w.tokens["a"]
    made_up = {"order_id": "O0000000000", "invoice_id": "I0000000000", "registration_id": "R0000000000"}
    pairs = [("GET", "/orders/{order_id}", "order_id", "b_order", None),
             ("GET", "/invoices/{invoice_id}", "invoice_id", "b_invoice", None),
             ("GET", "/invoices/{invoice_id}/download", "invoice_id", "b_invoice", None),
             ("POST", "/orders/{order_id}/cancel", "order_id", "b_order", {}),
             ("POST", "/registrations/{registration_id}/withdraw", "registration_id", "b_reg", {})]
    for method, path, param, key, body in pairs:
        theirs = w.api.call(method, path.replace("{" + param + "}", w.ids[key]), a, json=body)
        nobody = w.api.call(method, path.replace("{" + param + "}", made_up[param]), a, json=body)
        assert theirs.status_code == nobody.status_code == 404, (path, theirs.body, nobody.body)
        assert theirs.data["Code"] == nobody.data["Code"], (path, theirs.data, nobody.data)
    for path, body in (("/refunds", {"order_id": w.ids["b_order"], "reason": "x"}),
                       ("/invoices", {"order_id": w.ids["b_order"], "title": "甲学员"}),
                       ("/orders", {"registration_id": w.ids["b_reg"], "channel": "alipay"})):
        theirs = w.api.post(path, a, json=body)
        fake = {k: (made_up["registration_id"] if k == "registration_id" else made_up["order_id"])
                if k in ("order_id", "registration_id") else v for k, v in body.items()}
        nobody = w.api.post(path, a, json=fake)
        assert theirs.status_code == nobody.status_code == 404, (path, theirs.body, nobody.body)
        assert theirs.data["Code"] == nobody.data["Code"], (path, theirs.data, nobody.data)


def test_nothing_of_b_appears_in_what_a_is_shown(matrix_run: Any, world: World) -> None:
    """A's lists and pages (those not about an id A passed in) never carry B's objects."""
    b_things = [world.ids[k] for k in ("b_reg", "b_order", "b_invoice", "b_cert")] + [world.subs["b"]]
    leaks = []
    for (method, path), row in MATRIX.items():
        if row.params or row.body or path.startswith(("/dev/", "/verify")):
            continue
        status, body = matrix_run[(method, path, "a")]
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        leaks += [(method, path, thing) for thing in b_things if thing in text]
    assert not leaks, leaks


def test_tampered_expired_and_foreign_tokens_are_401(active_world: World) -> None:
    w = active_world
    token = w.tokens["a"] or ""
    head, payload, sig = token.split(".")
    tampered = ".".join([head, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), sig])
    for bad in (tampered, token[:-3], "not-a-jwt", "Bearer", head + ".." + sig):
        r = w.api.get("/me", bad)
        assert r.status_code == 401, (bad[:20], r.status_code, r.body)
