"""The app through chalice's test client (stage "test": the real routes, authorizer and
view boundary), with helpers that sign people up. Used by the tests and `make bench`."""
from __future__ import annotations

import json as _json
import uuid
from typing import Any

PASSWORD = "Passw0rd!x"


def unique_email(tag: str = "u") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


class AppClient:
    def __init__(self, client: Any, deps: Any) -> None:
        self.c = client
        self.deps = deps
        self.totp_secrets: dict[str, str] = {}  # staff e-mail -> TOTP secret
        self._totp_steps: dict[str, int] = {}  # staff e-mail -> the last 30 s step used

    def call(self, method: str, path: str, token: str | None = None, json: Any = None,
             body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        if json is not None:
            body = _json.dumps(json, ensure_ascii=False).encode()
            h.setdefault("Content-Type", "application/json")
        resp = getattr(self.c.http, method.lower())(path, headers=h, body=body)
        resp.data = _json.loads(resp.body) if resp.body and resp.headers.get(
            "Content-Type", "").startswith("application/json") else None
        return resp

    def get(self, path: str, token: str | None = None, **kw: Any) -> Any:
        return self.call("GET", path, token, **kw)

    def post(self, path: str, token: str | None = None, json: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, token, json=json, **kw)

    def signup(self, email: str | None = None, name: str = "张三", phone: str = "13800138000",
               **extra: Any) -> tuple[str, str]:
        """Sign up and log in; returns (email, id_token)."""
        email = email or unique_email()
        r = self.post("/auth/signup", json={"email": email, "password": PASSWORD, "name": name,
                                             "phone": phone, **extra})
        assert r.status_code == 201, r.body
        return email, self.login(email)

    def login(self, email: str, password: str = PASSWORD) -> str:
        body = {"email": email, "password": password}
        if email in self.totp_secrets:
            body["totp"] = self.totp(email)
        r = self.post("/auth/login", json=body)
        assert r.status_code == 200, r.body
        return str(r.data["id_token"])

    def staff(self, role: str) -> str:
        """A staff member with `role` (a Cognito group), enrolled in TOTP (its secret kept in
        `self.totp_secrets`), logged in with a code (issue 14: staff MFA)."""
        from chalicelib.identity import accounts, mfa
        email = unique_email(role)
        profile = accounts.sign_up(self.deps, email=email, password=PASSWORD, name=f"{role}员",
                                   phone=None, kind="staff", unit_name=None, credit_code=None,
                                   now=self.deps.now(), group=role)
        secret = mfa.new_secret()
        mfa.seed_enrolled(self.deps, str(profile["user_id"]), secret, self.deps.now())
        self.totp_secrets[email] = secret
        return self.login(email)

    def totp(self, email: str) -> str:
        """A code of the staff account's secret not used yet (the platform accepts each
        30 s step once; within its window the next step's code is valid too). Never the
        previous step's: a sign-in that reaches the server after the next 30 s boundary
        (a loaded machine) would find it out of the window (MFA_INVALID)."""
        import time

        import pyotp
        secret = self.totp_secrets[email]
        used = self._totp_steps.get(email, -1)
        while True:
            step = int(time.time()) // 30
            chosen = next((s for s in (step, step + 1) if s > used), None)
            if chosen is not None:
                self._totp_steps[email] = chosen
                return str(pyotp.TOTP(secret).at(chosen * 30))
            time.sleep(1)

    def register(self, token: str, unit_name: str = "国家图书馆", **extra: Any) -> Any:
        return self.post("/registrations", token, json={
            "unit_name": unit_name, "job_title": "馆员", "region": "北京", **extra})
