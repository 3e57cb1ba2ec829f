"""Benchmark 2: DynamoDB calls per operation, counted on the wire (botocore events), through
the real routes and middleware (chalice's test client) against moto, in the prod-like mode
(no dev-clock read, the edition cached in memory as in the prod stage).

A warm-up trainee walks the whole journey first, so the figures are a warm Lambda's; a
second trainee's journey is measured. The floor of each operation is the minimum number of
DynamoDB requests it could need (MINIMUM below, argued in docs/performance.md)."""
from __future__ import annotations

from typing import Any

from bench.harness import COUNTER, Api, entry, fresh_stack, install_payment_simulators, parse_at, sub_of, summarise

# The minimum DynamoDB requests each operation could need, and why (docs/performance.md).
MINIMUM: dict[str, tuple[int, str]] = {
    "signup": (1, "one transaction: the account item + the e-mail/phone guard items"),
    "registration": (2, "read the roster/membership to price the tier, then one transaction "
                        "(registration + one-per-person guard + audit). Measured 3: GetItem "
                        "account (its contact points and whether each is verified decide which "
                        "roster rows count, so it comes before the roster read; 2 would need "
                        "them in the token), one consistent BatchGetItem of the roster's lookup "
                        "items (member#email:, member#phone:, written with the rows; until the "
                        "one-off backfill two index Queries), the transaction. The edition and "
                        "its pointer come from the process cache, and so do the session "
                        "cut-offs (one kv item for all accounts, platform/sessions, read once "
                        "per process per 30 s)"),
    "approval": (1, "one conditional transaction (pending->approved + audit); the mail "
                    "outbox item rides in it. Measured 3, kept: the registration is read first "
                    "because the mail item needs its address, name, fee and tier and a "
                    "transaction returns nothing on success (ALL_OLD only on a failed "
                    "condition); the outbox marks the mail sent after SES accepts it (without "
                    "that marker the retry job would mail every approval twice). Not done: "
                    "the reviewer's screen sending its copy of those fields with the "
                    "registration's version, all of them conditions of the transaction (a "
                    "stale or altered copy fails and is read again): 2, but the browser would "
                    "name the address the server mails. The bulk approval (the reviewers' "
                    "path at scale) reads its registrations in one BatchGetItem per 100: "
                    "2 per registration + 1 (ddb_calls.bulk_approval)"),
    "order_creation": (2, "read the registration (owner, state, fee), then one transaction "
                          "(order + the registration's open-order pointer + audit)"),
    "webhook_confirmation": (1, "one transaction: order open->paid, registration "
                                "unpaid->paid, payment record, audit (ids in the notice). "
                                "Measured 3: one consistent BatchGetItem of the order and its "
                                "registration (the registration id comes back in the notice's "
                                "passback_params / attach, set by the pay request; credited "
                                "only when the order names it), the transaction (guard, "
                                "payment, order, registration, audit, the mail item), the "
                                "mail marked sent. The read stays: the amount, channel and "
                                "state are checked and the mail is addressed before writing. "
                                "No idempotency record and no guard read: a replay loses the "
                                "guard's condition. Without the hint (older pay requests): 4"),
    "enroll": (1, "one transaction: the registration's enrolment mark + one progress item "
                  "per course (10) + audit. Measured 2: + the live-registration guard "
                  "(GetItem uniques), the only place the trainee's registration id is "
                  "(the token carries the sub); the transaction's conditions (approved, "
                  "paid, not enrolled) are the check, the registration is read only after "
                  "a refusal, to name its reason (learning.service.enroll)"),
    "questionnaire": (2, "one Query of the progress items (all 学习完?), then one "
                         "transaction: the response + its one-per-registration condition. "
                         "Measured 3: the progress items name the registration (no "
                         "live-guard read), which is read once: the response records its "
                         "name, unit and e-mail (the certificate mail and the export use "
                         "them; the token carries the account's, which a registration may "
                         "override) and the refusals (not approved / not paid / refunded) "
                         "need its state; a transaction returns nothing on success"),
    "catalogue": (2, "the registration (paid?) and one Query of the trainee's progress items"),
    "play": (3, "the registration (paid?), one Query of the trainee's progress items (which "
                "one holds the session), one transaction stamping the played course and "
                "taking the session off the course that held it (first play: creating the "
                "per-trainee session item instead): 1-2 items, 2-4 WRU"),
    "heartbeat": (1, "one conditional UpdateItem on the progress item (the token carries "
                     "the state the condition checks; the condition also checks the play "
                     "session)"),
    "certificate_download_first": (3, "read the eligibility inputs (registration, progress "
                                      "of all courses in one Query, questionnaire) then one "
                                      "transaction issuing the number; the PDF goes to S3"),
    "certificate_download_again": (2, "find the registration, read the issued certificate"),
    "verification": (1, "one GetItem by certificate number"),
}

LABELS = {
    "signup": "sign-up (POST /auth/signup)",
    "registration": "registration (POST /registrations)",
    "approval": "approval (POST /admin/registrations/{id}/approve)",
    "order_creation": "order creation (POST /orders)",
    "webhook_confirmation": "webhook confirmation (POST /webhooks/alipay)",
    "enroll": "选学 (POST /learning/enroll)",
    "questionnaire": "questionnaire response (POST /questionnaire/responses)",
    "catalogue": "catalogue with own progress (GET /learning/courses)",
    "play": "playback link (GET /learning/courses/{id}/play)",
    "heartbeat": "heartbeat with token (steady state)",
    "heartbeat_no_token": "heartbeat without token (first / stale)",
    "certificate_download_first": "certificate download, first (issues)",
    "certificate_download_again": "certificate download, again",
    "verification": "verification (GET /verify/{no})",
}


# How often each operation happens per trainee over an edition (2026 data: 10 courses x
# 5,400 s, 90 % required = 13.5 h watched, a heartbeat every 30 s; a play link every 5 min
# of watching; the rest are guesses stated here): for the cost table of docs/deploy.md.
PER_TRAINEE = {"signup": 1, "registration": 1, "approval": 1, "order_creation": 1,
               "webhook_confirmation": 1, "enroll": 1, "catalogue": 30, "play": 162,
               "heartbeat": 1620, "heartbeat_no_token": 0, "questionnaire": 1,
               "certificate_download_first": 1, "certificate_download_again": 2,
               "verification": 2}


def per_trainee(steps: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """DynamoDB requests and request units of one trainee's edition, from the measured
    operations and PER_TRAINEE volumes; the floor is the same volumes at MINIMUM."""
    requests = floor = 0
    rru = wru = 0.0
    for name, times in PER_TRAINEE.items():
        s = steps.get(name)
        if s is None:
            continue
        requests += times * s["dynamodb_calls"]
        rru += times * s["read_units"]
        wru += times * s["write_units"]
        floor += times * MINIMUM.get(name, (s["dynamodb_calls"], ""))[0]
    return {"requests": requests, "floor": floor, "read_units": round(rru, 1),
            "write_units": round(wru, 1)}


def _journey(api: Api, deps: Any, reviewer: str, keys: dict[str, Any],
             measure: bool) -> dict[str, Any]:
    """One trainee from sign-up to certificate verification; returns the calls per step."""
    from chalicelib.dev.sandbox import alipay_notification, alipay_passback_of
    out: dict[str, Any] = {}
    clock = deps.clock
    clock.set(parse_at("2026-04-05T10:00:00+08:00"))

    def step(name: str, fn: Any) -> Any:
        with COUNTER.record() as calls:
            resp = fn()
        status = getattr(resp, "status_code", None)
        assert status is None or status < 400, (name, status, getattr(resp, "body", b"")[:300])
        out[name] = calls
        return resp

    from bench.harness import PASSWORD, unique_email
    email = unique_email("bench")
    step("signup", lambda: api.post("/auth/signup", json={
        "email": email, "password": PASSWORD, "name": "李玥", "phone": "13800138000"}))
    token = api.login(email)
    sub = sub_of(token)
    # The home page with the form loads /me (with /registrations/mine and the edition)
    # before a registration can be sent (web/trainee.js homePage), as the browser does.
    assert api.get("/me", token).status_code == 200
    r = step("registration", lambda: api.register(token))
    rid = r.data["registration_id"]
    step("approval", lambda: api.post(f"/admin/registrations/{rid}/approve", reviewer, json={}))
    r = step("order_creation", lambda: api.post("/orders", token, json={
        "registration_id": rid, "channel": "alipay", "official_card": False}))
    order_id, amount = r.data["order_id"], r.data["amount_fen"]
    # Alipay posts back the pay request's passback_params (the registration id) unchanged
    body = alipay_notification(keys, order_id, amount, "2026" + order_id.rjust(24, "0")[-24:],
                               clock.now(), passback_params=alipay_passback_of(r.data.get("pay_url")))
    r = step("webhook_confirmation", lambda: api.call(
        "POST", "/webhooks/alipay", body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert r.body in (b"success", "success"), r.body

    clock.set(parse_at("2026-04-13T09:00:00+08:00"))
    r = step("enroll", lambda: api.post("/learning/enroll", token, json={}))
    course = r.data["courses"][0]["course_id"]
    step("catalogue", lambda: api.get("/learning/courses", token))
    r = step("play", lambda: api.get(f"/learning/courses/{course}/play", token))
    hb_token, session_id = r.data["token"], r.data["session_id"]
    clock.advance(seconds=30)
    r = step("heartbeat", lambda: api.post(f"/learning/courses/{course}/heartbeat", token, json={
        "position_s": 30, "token": hb_token, "session_id": session_id}))
    assert r.data["accepted"], r.data
    clock.advance(seconds=30)
    r = step("heartbeat_no_token", lambda: api.post(
        f"/learning/courses/{course}/heartbeat", token,
        json={"position_s": 60, "session_id": session_id}))
    assert r.data["accepted"], r.data

    _complete_all(deps, sub)
    clock.set(parse_at("2026-05-20T10:00:00+08:00"))
    step("questionnaire", lambda: api.post("/questionnaire/responses", token,
                                           json={"answers": _answers(deps)}))
    clock.set(parse_at("2026-06-01T09:00:00+08:00"))
    r = step("certificate_download_first", lambda: api.get("/certificates/mine/download", token))
    number = r.data["certificate_no"]
    step("certificate_download_again", lambda: api.get("/certificates/mine/download", token))
    step("verification", lambda: api.get(f"/verify/{number}"))
    out["_ids"] = {"token": token, "course": course, "sub": sub}
    return out


def _complete_all(deps: Any, sub: str) -> None:
    """Credit every course's required time on the progress items (what weeks of heartbeats
    would do; the crediting itself is what the heartbeat step measures)."""
    from chalicelib.editions import service as editions
    from chalicelib.learning.repository import Progress, learner_key
    edition = editions.get_current(deps)
    for c in edition.courses:
        item = Progress.get(learner_key(edition.edition_id, sub), c.course_id)
        required = edition.required_seconds(c)
        item.update(actions=[Progress.credited_s.set(required), Progress.high_water_s.set(required),
                             Progress.cursor_s.set(required), Progress.watched.set(f"0-{required}")])


def _answers(deps: Any) -> dict[str, Any]:
    from chalicelib.editions import service as editions
    edition = editions.get_current(deps)
    return {q.question_id: (5 if q.type == "rating" else "讲得很好") for q in edition.questions()}


BULK_APPROVAL = 20  # registrations approved in one bulk request (the screen sends 100s)


def _bulk_approval(api: Api, deps: Any, reviewer: str, n: int) -> dict[str, Any]:
    """`n` pending registrations (written directly: n sign-ups would hit the per-address
    limits) approved in one bulk request; the calls of that request."""
    import uuid

    from chalicelib.platform.store.base import new_id
    from chalicelib.registration.repository import Registration, RegistrationRepository
    now = deps.clock.now()
    ids = []
    for _ in range(n):
        sub = uuid.uuid4().hex
        email = f"bulk-{sub[:12]}@example.com"
        reg = Registration(
            registration_id=new_id("R"), edition_id="2026", user_sub=sub, name="李玥",
            unit_name="国家图书馆", job_title="馆员", region="北京", phone="13800138000",
            email=email, status="pending", payment_status="unpaid", tier="non_member",
            fee_fen=49000, submitted_at=now, edition_status="2026#pending",
            edition_unit="2026#国家图书馆", edition_email=f"2026#{email}")
        assert RegistrationRepository().create(reg, sub, now)
        ids.append(reg.registration_id)
    with COUNTER.record() as calls:
        r = api.post("/admin/registrations/bulk-approve", reviewer, json={"registration_ids": ids})
    assert r.status_code == 200 and r.data["approved"] == n, r.body[:300]
    return summarise(calls)


def _dev_overhead(api: Api, deps: Any, ids: dict[str, Any]) -> dict[str, Any]:
    """The same heartbeat in the test/dev stage's own mode: the dev clock offset and the
    edition are read from storage on every request."""
    from bench.harness import dev_clock_deps, install
    from chalicelib.platform.clock import system_now
    from chalicelib.platform.deps import DEV_CLOCK_KEY
    from chalicelib.platform.store.kv import put_value
    target = parse_at("2026-06-02T10:00:00+08:00")
    put_value(DEV_CLOCK_KEY, (target - system_now()).total_seconds())
    dev_clock_deps(deps)
    try:
        with COUNTER.record() as calls:
            r = api.get("/editions/current")
        assert r.status_code == 200
        return summarise(calls)
    finally:
        install(deps)


def run(quick: bool = False) -> list[dict[str, Any]]:
    deps = fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    keys = install_payment_simulators(deps)
    api = Api(deps)
    try:
        reviewer = api.staff("reviewer")
        _journey(api, deps, reviewer, keys["alipay"], measure=False)  # warm-up
        steps = _journey(api, deps, reviewer, keys["alipay"], measure=True)
        ids = steps.pop("_ids")
        deps.clock.set(parse_at("2026-04-05T10:00:00+08:00"))
        bulk = _bulk_approval(api, deps, reviewer, BULK_APPROVAL)
        with COUNTER.record() as calls:
            r = api.get("/editions/current")
        assert r.status_code == 200
        prod_edition = summarise(calls)
        dev_edition = _dev_overhead(api, deps, ids)
    finally:
        api.close()
    results = []
    summaries = {name: summarise(calls) for name, calls in steps.items()}
    for name, s in summaries.items():
        floor, why = MINIMUM.get(name, MINIMUM.get(name.replace("_no_token", ""), (1, "")))
        results.append(entry(f"ddb_calls.{name}", s["dynamodb_calls"], floor,
                             "DynamoDB requests", LABELS.get(name, name),
                             minimum_why=why, **{k: v for k, v in s.items()}))
    results.append(entry("ddb_calls.bulk_approval", round(bulk["dynamodb_calls"] / BULK_APPROVAL, 2),
                         1, "DynamoDB requests per registration",
                         f"bulk approval of {BULK_APPROVAL} (POST /admin/registrations/bulk-approve)",
                         minimum_why="as approval; the registrations are read together (one "
                                     "BatchGetItem per 100), so each costs its transaction "
                                     "and its mail's sent mark",
                         **{k: v for k, v in bulk.items()}))
    trainee = per_trainee(summaries)
    results.append(entry("ddb_calls.per_trainee_edition", trainee["requests"], trainee["floor"],
                         "DynamoDB requests",
                         "one trainee's edition: measured operations x PER_TRAINEE volumes",
                         read_units=trainee["read_units"], write_units=trainee["write_units"],
                         volumes=PER_TRAINEE))
    results.append(entry("ddb_calls.per_request_overhead", dev_edition["dynamodb_calls"],
                         max(prod_edition["dynamodb_calls"], 1), "DynamoDB requests",
                         "GET /editions/current: test/dev stage (dev clock + edition read "
                         "per request) vs prod-like (cached)",
                         prod_like=prod_edition, dev_stage=dev_edition))
    return results
