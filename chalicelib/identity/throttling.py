"""How often a person, an account or an address may try: sign-in, sign-up, SMS and reset
codes (counters in platform/store/throttle.py; 429 TOO_MANY_ATTEMPTS with Retry-After).
Per-address limits are generous (a library's staff sign up from one office address);
per-account and per-phone limits are tight. The WAF (infra/stacks/waf.py) stops floods
before they reach the application."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.platform.store.throttle import Limit

# sign-in: failures counted; past the limit even the right password waits for the window
LOGIN_FAILURES_PER_ACCOUNT = Limit("login:account", 10, 15 * 60)
LOGIN_FAILURES_PER_IP = Limit("login:ip", 100, 15 * 60)
# sign-up: every attempt counted
SIGNUP_BURST_PER_IP = Limit("signup:ip:burst", 10, 60)
SIGNUP_PER_IP = Limit("signup:ip", 100, 60 * 60)
SIGNUP_PER_EMAIL = Limit("signup:email", 3, 60 * 60)  # also bounds "already registered" mails
# codes sent (SMS or mail): one a minute, five an hour per phone or e-mail
CODE_GAP_PER_TARGET = Limit("code:target:gap", 1, 60)
CODE_PER_TARGET = Limit("code:target", 5, 60 * 60)
CODE_PER_IP = Limit("code:ip", 30, 60 * 60)
# codes checked (each code also has its own few tries)
VERIFY_PER_ACCOUNT = Limit("verify:account", 10, 15 * 60)
VERIFY_PER_IP = Limit("verify:ip", 100, 15 * 60)

# `chalice local` (the dev stage of `make run` and the browser tests) reports every caller as
# 127.0.0.1, so one address stands for everybody there: its per-address limits are this much
# higher. The test stage (in-process tests) and prod keep the limits above.
DEV_ADDRESS_FACTOR = 100


def address_limit(deps: Any, limit: Limit) -> Limit:
    """`limit` as it applies to a client address in this stage."""
    if getattr(deps.settings, "stage", None) == "dev":
        return replace(limit, limit=limit.limit * DEV_ADDRESS_FACTOR)
    return limit
