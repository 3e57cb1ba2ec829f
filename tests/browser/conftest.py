"""Browser tests: the stack `make run` starts (moto server + `chalice local`), driven by
Debian's Chromium through Playwright. One stack per xdist worker (session fixture), its
process group killed at the end. Screenshots go to test-artifacts/screenshots/."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
AXE_REPORTS = ROOT / "test-artifacts" / "axe"
AXE = ROOT / "web" / "vendor" / "axe.min.js"  # vendored by devtools.vendor_web (web/vendor.json)
AXE_BLOCKING = ("serious", "critical")
# AXE_GATE=report records the violations (test-artifacts/axe/) without failing: for a local
# walk past another area's known violation. The default, and make test, is the gate.
AXE_GATE = os.environ.get("AXE_GATE", "fail")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# How long a step may wait for the page: CI is a loaded 2-core machine where a browser, the
# stack and the other worker share the cores, so a step that takes 1 s here may take 20.
ACTION_TIMEOUT_MS = 30_000
PASSWORD = "Passw0rd!x"
DEV_PASSWORD = "DevPassw0rd!"

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Stack:
    """The running platform over HTTP: base URL and a small JSON client for set-up steps."""

    def __init__(self, base: str, log_path: Path | None = None) -> None:
        self.base = base
        self.log_path = log_path  # the stack's output, shown when a test fails

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             raw: bytes | None = None, ctype: str = "application/json") -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - local stack
                text = resp.read().decode()
                status = resp.status
        except urllib.error.HTTPError as exc:
            text = exc.read().decode()
            status = exc.code
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def ok(self, method: str, path: str, body: Any = None, token: str | None = None, **kw: Any) -> Any:
        status, data = self.call(method, path, body, token, **kw)
        assert 200 <= status < 300, f"{method} {path} -> {status} {data}"
        return data

    def fetch(self, url: str) -> bytes:
        """The bytes behind a short-lived link (a presigned URL to the embedded S3)."""
        with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - local stack
            return bytes(resp.read())

    def login(self, email: str, password: str = PASSWORD) -> str:
        body = {"email": email, "password": password}
        if email.endswith("@dev.local") and self._totp_secret(email):
            body["totp"] = self.totp(email)  # a dev staff account: its TOTP too
        return str(self.ok("POST", "/auth/login", body)["id_token"])

    @staticmethod
    def _totp_secret(email: str) -> str | None:
        secrets_file = ROOT / ".dev" / "keys" / "staff-totp.json"
        return json.loads(secrets_file.read_text()).get(email) if secrets_file.exists() else None

    def totp(self, email: str) -> str:
        """A dev staff account's code for a step this stack has not used yet (the platform
        accepts each 30 s step once per account, the next step's code too: two sign-ins in
        a window go at once; then wait for the next step)."""
        import pyotp
        secret = self._totp_secret(email)
        assert secret, f"no TOTP secret for {email} in .dev/keys/staff-totp.json"
        used = self.__dict__.setdefault("_totp_steps", set())
        while True:
            step = int(time.time()) // 30
            newest = max(used, default=-1)
            # never the previous step: a sign-in reaching the server after the next 30 s
            # boundary (a loaded machine) would find it outside the window
            chosen = next((s for s in (step, step + 1) if s > newest), None)
            if chosen is not None:
                used.add(chosen)
                return str(pyotp.TOTP(secret).at(chosen * 30))
            time.sleep(1)

    def staff(self, role: str) -> str:
        """The dev staff account's token (admin/reviewer/finance@dev.local), logged in once
        per stack with a TOTP code when the stack seeded the accounts enrolled (staff MFA:
        the secrets are in .dev/keys/staff-totp.json; each 30 s step is accepted once)."""
        tokens = self.__dict__.setdefault("_staff_tokens", {})
        if role not in tokens:
            email = f"{role}@dev.local"
            body: dict[str, Any] = {"email": email, "password": DEV_PASSWORD}
            if self._totp_secret(email):
                body["totp"] = self.totp(email)
            tokens[role] = str(self.ok("POST", "/auth/login", body)["id_token"])
        return str(tokens[role])

    def set_clock(self, iso: str) -> None:
        self.ok("POST", "/dev/clock", {"now": iso})

    def advance_clock(self, seconds: float) -> None:
        """Move the dev clock `seconds` on from where it is now. The clock flows from the
        moment it was set, so a fixed instant set after a slow stretch of a test may lie
        before the last heartbeat, which then credits nothing."""
        from datetime import datetime, timedelta
        now = datetime.fromisoformat(self.ok("GET", "/dev/clock")["now"])
        self.set_clock((now + timedelta(seconds=seconds)).isoformat())

    def shorten_courses(self, seconds: int = 120) -> None:
        """Admin edits the edition so each video lasts `seconds` (the 2026 videos are 90 min:
        earning them report by report would take minutes of test time)."""
        admin = self.staff("admin")
        doc = self.ok("GET", "/admin/editions/2026", token=admin)
        doc.pop("version", None)
        for course in doc["courses"]:
            course["duration_s"] = seconds
        self.ok("PUT", "/admin/editions/2026", {"edition": doc}, token=admin)

    def trainee(self, name: str = "李玥", tag: str = "trainee") -> tuple[str, str]:
        """A new personal account through the API: (e-mail, id_token)."""
        email = unique_email(tag)
        self.ok("POST", "/auth/signup", {"email": email, "password": PASSWORD, "name": name,
                                         "phone": "13800138000"})
        return email, self.login(email)

    def paid_trainee(self, name: str = "李玥") -> tuple[str, str, str]:
        """Registered (2026-04-05), approved and paid through the Alipay sandbox:
        (e-mail, id_token, registration id). Leaves the clock at 2026-04-05 10:00."""
        self.set_clock("2026-04-05T10:00:00+08:00")
        email, token = self.trainee(name)
        reg = self.ok("POST", "/registrations", {"unit_name": "国家图书馆", "job_title": "馆员",
                                                 "region": "北京"}, token=token)
        rid = reg["registration_id"]
        self.ok("POST", f"/admin/registrations/{rid}/approve", token=self.staff("reviewer"))
        order = self.ok("POST", "/orders", {"registration_id": rid, "channel": "alipay"}, token=token)
        self.call("POST", f"/dev/pay/{order['order_id']}", raw=b"", ctype="application/x-www-form-urlencoded")
        deadline = time.monotonic() + 20
        while self.ok("GET", "/registrations/mine", token=token)["registrations"][-1]["payment_status"] != "paid":
            assert time.monotonic() < deadline, "the sandbox payment was not processed"
            time.sleep(0.3)
        return email, token, rid

    def certified_trainee(self, name: str = "李玥") -> tuple[str, str, str]:
        """Paid, every course 学习完 (2-minute videos), questionnaire submitted and the
        certificate issued (downloaded on 2026-06-02): (e-mail, id_token, certificate no).
        Leaves the clock at 2026-06-02 09:00."""
        self.shorten_courses(120)
        email, token, _ = self.paid_trainee(name)
        self.set_clock("2026-04-13T08:00:00+08:00")
        self.ok("POST", "/learning/enroll", {}, token=token)
        watch_all_courses(self, token)
        self.set_clock("2026-04-21T09:00:00+08:00")
        questions = self.ok("GET", "/questionnaire", token=token)["questions"]
        answers = {q["question_id"]: 5 if q["type"] == "rating" else "很好" for q in questions}
        self.ok("POST", "/questionnaire/responses", {"answers": answers}, token=token)
        self.set_clock("2026-06-02T09:00:00+08:00")
        self.ok("GET", "/certificates/mine/download", token=token)
        number = self.ok("GET", "/certificates/mine", token=token)["certificate_no"]
        assert number, "the certificate was not issued"
        return email, token, str(number)

    def has_route(self, method: str, path: str) -> bool:
        doc = self.ok("GET", "/openapi.json")
        return method.lower() in doc.get("paths", {}).get(path, {})


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    port, moto_port = _free_port(), _free_port()
    env = {**os.environ, "PORT": str(port), "MOTO_PORT": str(moto_port), "PYTHONUNBUFFERED": "1",
           "DEV_NO_AUTORELOAD": "1", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    for var in ("APP_STAGE", "AWS_ENDPOINT_URL", "TABLE_PREFIX", "BUCKET_PREFIX", "USER_POOL_NAME"):
        env.pop(var, None)  # the root conftest set these for in-process tests
    (ROOT / ".dev").mkdir(exist_ok=True)
    log_path = ROOT / ".dev" / f"browser-stack-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "devtools.run"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the stack exited: {log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not answer /health: {log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield Stack(base, log_path)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is missing (make test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# Console errors the browser logs for an API answer the test provoked on purpose (a 4xx the
# page shows as a message). Anything else on the console as an error fails the test.
EXPECTED_HTTP = re.compile(r"Failed to load resource: the server responded with a status of (4\d\d)")


class Page:
    """A Playwright page plus the console errors it collected and a screenshot helper."""

    def __init__(self, page: Any, base: str) -> None:
        self.p = page
        self.base = base
        self.errors: list[str] = []
        self.http_errors: list[str] = []
        self.allowed_http = 0
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        if EXPECTED_HTTP.search(msg.text):
            self.http_errors.append(f"{msg.text} ({msg.location.get('url', '')})")
        else:
            self.errors.append(msg.text)

    def expect_http_error(self, n: int = 1) -> None:
        """The next action provokes n API refusals on purpose (shown to the user)."""
        self.allowed_http += n

    def goto(self, hash_path: str) -> None:
        """Open a page of the app (re-rendered even when it is the page already shown)."""
        url = f"{self.base}/web/index.html{hash_path}"
        if self.p.url == url:
            self.p.reload()
        else:
            self.p.goto(url)
        self.settled()

    def settled(self) -> None:
        """Wait until the app has rendered the route now in the address bar. A hash change
        renders after the navigation returns, so until then the previous page is still on
        screen: a step taken on it (a typed serial, a click) would land on a page about
        to be replaced."""
        self.p.wait_for_function(
            "() => { const m = document.getElementById('main');"
            " return !!m && m.dataset.route === location.hash && !m.hasAttribute('aria-busy'); }")

    def sign_in(self, stack: Stack, token: str) -> None:
        """Signed in as the token's account (the session the login page would store), then
        the app opened at its landing page."""
        me = stack.ok("GET", "/me", token=token)
        session = {"token": token, "email": me["email"], "name": me.get("name"),
                   "roles": me.get("roles") or [], "kind": me.get("kind")}
        self.p.goto(f"{self.base}/web/index.html#/")
        self.p.evaluate("(s) => localStorage.setItem('lsc.session', JSON.stringify(s))", session)
        self.p.reload()
        self.settled()

    def shot(self, name: str, *, accessible: bool = True) -> None:
        """A full-page screenshot under test-artifacts/screenshots/, and (unless told not
        to, as the failure screenshots are) the accessibility gate on the same page."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.p.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        if accessible:
            self.assert_accessible(name)

    def axe(self) -> list[dict[str, Any]]:
        """axe-core's violations on the page as it is now (WCAG 2.x A/AA and best
        practices), each with its impact, rule, help text and the first offending nodes."""
        if not AXE.exists():
            raise AssertionError(f"{AXE} is missing: run `.venv/bin/python -m devtools.vendor_web`")
        if not self.p.evaluate("() => typeof window.axe === 'object'"):
            self.p.add_script_tag(content=AXE.read_text())
        return list(self.p.evaluate("""async () => {
            const result = await window.axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "),
                    html: n.html.slice(0, 160), summary: n.failureSummary })),
            }));
        }"""))

    def assert_accessible(self, name: str = "page") -> None:
        """Zero serious or critical axe-core violations; every violation found (any impact)
        is written to test-artifacts/axe/<name>.json for the record."""
        violations = self.axe()
        AXE_REPORTS.mkdir(parents=True, exist_ok=True)
        (AXE_REPORTS / f"{name}.json").write_text(json.dumps(
            {"url": self.p.url, "violations": violations}, ensure_ascii=False, indent=1))
        blocking = [v for v in violations if v["impact"] in AXE_BLOCKING]
        if AXE_GATE == "report":
            return
        assert not blocking, f"axe-core on {name} ({self.p.url}): " + "; ".join(
            f"{v['impact']} {v['id']} ({v['help']}): {[n['target'] for n in v['nodes']]}" for v in blocking)

    def assert_fits(self) -> None:
        """Readable at the viewport's width (nothing makes the page scroll sideways), and
        every control has a name a screen reader can say."""
        width = self.p.evaluate("document.documentElement.scrollWidth")
        viewport = self.p.viewport_size["width"]
        assert width <= viewport, f"page is {width}px wide at a {viewport}px viewport"
        unnamed = self.p.evaluate("""() => [...document.querySelectorAll(
              "input:not([type=hidden]), select, textarea, button, a[href]")]
            .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
              && !(el.tagName === "BUTTON" || el.tagName === "A" ? el.textContent.trim() : ""))
            .map((el) => el.outerHTML.slice(0, 120))""")
        assert unnamed == [], f"controls without a label: {unnamed}"

    def flash_text(self) -> str:
        """The message the page shows at the top (a refusal, a success), for failure reports."""
        try:
            return str(self.p.evaluate("document.getElementById('flash')?.innerText || ''"))
        except Exception:  # noqa: BLE001 - the page may be gone
            return ""

    def check_console(self) -> None:
        assert not self.errors, f"console errors: {self.errors}"
        assert len(self.http_errors) <= self.allowed_http, f"unexpected API errors: {self.http_errors}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.call_failed = report.failed
        stack = item.funcargs.get("stack") if report.failed else None
        if isinstance(stack, Stack) and stack.log_path and stack.log_path.exists():
            # what the server did while the test waited (requests, tracebacks)
            tail = stack.log_path.read_text(errors="replace").splitlines()[-60:]
            report.sections.append(("stack log (last 60 lines)", "\n".join(tail)))


@pytest.fixture
def new_page(browser: Any, stack: Stack, request: Any) -> Iterator[Any]:
    """Factory: a fresh context (own storage) per actor, phone-sized unless told otherwise.
    A failing test leaves a screenshot of each of its pages (FAILED-<test>-<n>.png)."""
    pages: list[Page] = []
    contexts: list[Any] = []

    def make(width: int = 360, height: int = 780) -> Page:
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.base)
        ctx.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(ctx)
        page = Page(ctx.new_page(), stack.base)
        pages.append(page)
        return page

    yield make
    if getattr(request.node, "call_failed", False):
        for i, page in enumerate(pages):
            try:
                page.shot(f"FAILED-{request.node.name}-{i}", accessible=False)
            except Exception:  # noqa: BLE001 - best effort
                pass
        for page in pages:
            print(f"console errors: {page.errors}; API errors: {page.http_errors}; "
                  f"message shown: {page.flash_text()!r}")
    try:
        for page in pages:
            page.check_console()
    finally:
        for ctx in contexts:
            ctx.close()


def unique_email(tag: str) -> str:
    return f"{tag}-{uuid.uuid4().hex[:8]}@example.com"


def watch_all_courses(stack: Stack, token: str) -> None:
    """Watch the courses one after the other, as one trainee can (a newer play session
    supersedes the older: parallel reports would answer 409 SESSION_SUPERSEDED): open each
    course's play session, then report a minute of watching per application minute until
    it reaches its required time. Heartbeats credit at most the time that passed, so the
    dev clock moves one minute on between reports."""
    courses = stack.ok("GET", "/learning/courses", token=token)["courses"]
    reports = 0
    for course in courses:
        if course["completed"]:
            continue
        cid = course["course_id"]
        stack.advance_clock(60)
        link = stack.ok("GET", f"/learning/courses/{cid}/play", token=token)
        position, hb_token, completed = link["position_s"], link["token"], link["completed"]
        while not completed:
            reports += 1
            assert reports < 400, (cid, position)
            stack.advance_clock(60)
            body = {"position_s": position + 60, "token": hb_token, "session_id": link["session_id"]}
            answer = stack.ok("POST", f"/learning/courses/{cid}/heartbeat", body, token=token)
            position, hb_token, completed = answer["position_s"], answer["token"], answer["completed"]
    assert stack.ok("GET", "/learning/courses", token=token)["all_completed"]
