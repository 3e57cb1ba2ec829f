"""Cognito's custom authentication (CUSTOM_AUTH) for login by SMS code: the three Lambda
triggers, taking and returning Cognito's documented events (Define / Create / Verify Auth
Challenge; https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-challenges.html).

The design: **no SMS code ever travels to Cognito.** The platform sends and checks the SMS
code itself (identity/sms_login.py: single-use, expiring, hashed, throttled). Only then does
it issue a one-time *nonce* for the account (32 random bytes, stored hashed in the codes
table, valid NONCE_TTL_S, MAX_WRONG_ANSWERS tries), start `AdminInitiateAuth(CUSTOM_AUTH)`
(IAM-signed, server side) and answer the one CUSTOM_CHALLENGE with that nonce. The Verify
trigger redeems the nonce; the tokens are Cognito's own. Anyone calling Cognito's public
`InitiateAuth(CUSTOM_AUTH)` directly meets a challenge they cannot answer (no nonce is
pending, or one they cannot guess), and the Define trigger fails the session after
MAX_WRONG_ANSWERS wrong answers.

`handler` is the Lambda entry point (app.py's `auth_challenge`), dispatching on
`triggerSource`; locally devtools/moto_custom_auth.py calls it from moto's Cognito.
The answer (the nonce) is never logged."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Callable

from chalicelib.identity import codes
from chalicelib.identity.errors import CodeInvalidError

CHALLENGE = "CUSTOM_CHALLENGE"
CHALLENGE_METADATA = "PLATFORM_NONCE"  # what the session's ChallengeResult records
MAX_WRONG_ANSWERS = 3
NONCE_PURPOSE = "login-nonce"
NONCE_TTL_S = 60  # the platform answers within the same request
DEFINE = "DefineAuthChallenge_Authentication"
CREATE = "CreateAuthChallenge_Authentication"
VERIFY = "VerifyAuthChallengeResponse_Authentication"


def issue_nonce(user_sub: str, now: datetime) -> str:
    """The answer the platform gives to the account's next challenge (single use)."""
    return codes.issue(NONCE_PURPOSE, user_sub, user_sub, now, ttl_s=NONCE_TTL_S,
                       secret=secrets.token_urlsafe(32))


def define_auth_challenge(event: dict[str, Any]) -> dict[str, Any]:
    """The sequence: one CUSTOM_CHALLENGE; tokens once it was answered right; failure for any
    other kind of challenge or after MAX_WRONG_ANSWERS wrong answers. An unknown user
    (`userNotFound`, the client preventing user-existence errors) meets the same challenge,
    which no answer passes: a caller of Cognito learns nothing about which e-mails exist."""
    request = event.get("request") or {}
    response = event.setdefault("response", {})
    session = list(request.get("session") or [])
    response.update(issueTokens=False, failAuthentication=False)
    response.pop("challengeName", None)
    if any(s.get("challengeName") != CHALLENGE for s in session):
        response["failAuthentication"] = True
    elif session and session[-1].get("challengeResult") is True:
        if request.get("userNotFound"):
            response["failAuthentication"] = True
        else:
            response["issueTokens"] = True
    elif sum(1 for s in session if s.get("challengeResult") is not True) >= MAX_WRONG_ANSWERS:
        response["failAuthentication"] = True
    else:
        response["challengeName"] = CHALLENGE
    return event


def create_auth_challenge(event: dict[str, Any]) -> dict[str, Any]:
    """The challenge: nothing secret for the client to see (the answer is the platform's
    nonce, checked against the store, so the private parameters carry only whose it is)."""
    request = event.get("request") or {}
    response = event.setdefault("response", {})
    if request.get("challengeName") != CHALLENGE:  # Define asks only for this one
        response.update(publicChallengeParameters={}, privateChallengeParameters={},
                        challengeMetadata="UNSUPPORTED")
        return event
    attempt = len(request.get("session") or []) + 1
    response["publicChallengeParameters"] = {"method": "platform_nonce", "attempt": str(attempt)}
    response["privateChallengeParameters"] = {
        "sub": str((request.get("userAttributes") or {}).get("sub", ""))}
    response["challengeMetadata"] = CHALLENGE_METADATA
    return event


def verify_auth_challenge_response(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Right when the answer is the account's pending nonce (used up by this check)."""
    request = event.get("request") or {}
    response = event.setdefault("response", {})
    response["answerCorrect"] = False
    sub = str((request.get("userAttributes") or {}).get("sub", ""))
    private = request.get("privateChallengeParameters") or {}
    answer = request.get("challengeAnswer")
    if request.get("userNotFound") or not sub or private.get("sub") != sub \
            or not isinstance(answer, str) or not answer:
        return event
    try:
        target = codes.redeem(NONCE_PURPOSE, sub, answer, now,
                              max_attempts=MAX_WRONG_ANSWERS, digits=False)
    except CodeInvalidError:
        return event
    response["answerCorrect"] = target == sub
    return event


def handler(event: dict[str, Any], context: Any = None, *,
            now: Callable[[], datetime] | None = None) -> dict[str, Any]:
    """The Lambda of the three triggers: dispatch on `triggerSource`."""
    source = event.get("triggerSource")
    if source == DEFINE:
        return define_auth_challenge(event)
    if source == CREATE:
        return create_auth_challenge(event)
    if source == VERIFY:
        if now is None:
            from chalicelib.platform.deps import get_deps
            now = get_deps().now
        return verify_auth_challenge_response(event, now())
    raise ValueError(f"not a custom-auth trigger: {source!r}")
