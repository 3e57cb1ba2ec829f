"""moto models Cognito's CUSTOM_AUTH flow only by name: `InitiateAuth(CUSTOM_AUTH)` answers
nothing, `AdminInitiateAuth` refuses the flow, and no Lambda trigger ever runs. This patch
makes moto's Cognito backend do what Cognito documents
(https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-authentication-flow.html):
`[Admin]InitiateAuth(CUSTOM_AUTH)` and `[Admin]RespondToAuthChallenge(CUSTOM_CHALLENGE)` run
the pool's trigger chain (DefineAuthChallenge -> CreateAuthChallenge -> VerifyAuthChallenge-
Response, with Cognito's event shapes), and moto issues its own tokens once Define says
`issueTokens`. The triggers are the pool's LambdaConfig ARNs; every ARN is served in this
process by the app's trigger Lambda (chalicelib.identity.custom_auth.handler, the function
the ARN names in AWS). So the app's code is the same boto3 calls as on AWS; only the
embedded AWS is extended.

What it also models, as Cognito does: the client must allow ALLOW_CUSTOM_AUTH; a pool
without the triggers refuses the flow; a disabled user is refused; an unknown user runs the
triggers with `userNotFound` when the client prevents user-existence errors (otherwise
UserNotFoundException); each challenge round gets a new session (the old one is gone),
valid SESSION_TTL_S; a failed sequence is NotAuthorizedException."""
from __future__ import annotations

import importlib
import threading
import time
import uuid
from typing import Any, Callable

SESSION_TTL_S = 180  # Cognito's default AuthSessionValidity (3 minutes)
HANDLER = "chalicelib.identity.custom_auth:handler"
TRIGGERS = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")

_applied = False
_lock = threading.Lock()
_sessions: dict[str, dict[str, Any]] = {}
_handler: dict[str, Callable[..., dict[str, Any]]] = {}
events: list[dict[str, Any]] = []  # the last events sent to the triggers (tests read them)


def _lambda(arn: str) -> Callable[..., dict[str, Any]]:
    """The function an ARN of the pool's LambdaConfig names (here: the app's trigger Lambda)."""
    if "fn" not in _handler:
        module, name = HANDLER.split(":")
        _handler["fn"] = getattr(importlib.import_module(module), name)
    return _handler["fn"]


def _invoke(pool: Any, client: Any, user: Any, trigger: str, source: str,
            request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    from moto.cognitoidp.exceptions import NotAuthorizedError
    arn = (pool.extended_config.get("LambdaConfig") or {}).get(trigger)
    if not arn:
        raise NotAuthorizedError("Custom auth lambda trigger is not configured for the user pool.")
    event = {"version": "1", "triggerSource": source, "region": pool.region,
             "userPoolId": pool.id, "userName": user.username if user else None,
             "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client.id},
             "request": request, "response": response}
    events.append({"triggerSource": source, "event": _copy(event)})
    del events[:-50]
    out = _lambda(arn)(event, None)
    return dict(out.get("response") or {})


def _copy(value: Any) -> Any:
    import copy
    return copy.deepcopy(value)


def _attributes(user: Any) -> dict[str, str]:
    from moto.cognitoidp.utils import flatten_attrs
    attrs = dict(flatten_attrs(user.attributes)) if user else {}
    if user:
        attrs["cognito:user_status"] = str(getattr(user.status, "value", user.status))
    return attrs


def _allows_custom_auth(client: Any) -> bool:
    flows = client.extended_config.get("ExplicitAuthFlows") or []
    return "ALLOW_CUSTOM_AUTH" in flows or "CUSTOM_AUTH_FLOW_ONLY" in flows


def _next(pool: Any, client: Any, user: Any, username: str, history: list[dict[str, Any]],
          user_not_found: bool) -> dict[str, Any]:
    """Ask Define what comes next: tokens, failure, or a new challenge (then Create)."""
    from moto.cognitoidp.exceptions import NotAuthorizedError
    attrs = _attributes(user)
    define = _invoke(pool, client, user, "DefineAuthChallenge", "DefineAuthChallenge_Authentication",
                     {"userAttributes": attrs, "session": _copy(history), "clientMetadata": {},
                      "userNotFound": user_not_found},
                     {"challengeName": None, "issueTokens": False, "failAuthentication": False})
    if define.get("issueTokens") and not define.get("failAuthentication"):
        if user is None:  # Cognito issues nothing for a user that does not exist
            raise NotAuthorizedError("Incorrect username or password.")
        return pool.backend._log_user_in(pool, client, username)  # type: ignore[no-any-return]
    if define.get("failAuthentication") or define.get("challengeName") != "CUSTOM_CHALLENGE":
        raise NotAuthorizedError("Incorrect username or password.")
    create = _invoke(pool, client, user, "CreateAuthChallenge", "CreateAuthChallenge_Authentication",
                     {"userAttributes": attrs, "challengeName": "CUSTOM_CHALLENGE",
                      "session": _copy(history), "clientMetadata": {},
                      "userNotFound": user_not_found},
                     {"publicChallengeParameters": {}, "privateChallengeParameters": {},
                      "challengeMetadata": None})
    session = str(uuid.uuid4()) + str(uuid.uuid4())
    with _lock:
        _sessions[session] = {"pool": pool, "client_id": client.id, "username": username,
                              "history": history, "expires": time.monotonic() + SESSION_TTL_S,
                              "private": dict(create.get("privateChallengeParameters") or {}),
                              "metadata": create.get("challengeMetadata")}
    public = {str(k): str(v) for k, v in (create.get("publicChallengeParameters") or {}).items()}
    return {"ChallengeName": "CUSTOM_CHALLENGE", "Session": session,
            "ChallengeParameters": {**public, "USERNAME": user.username if user else username}}


def _start(pool: Any, client: Any, auth_parameters: dict[str, str] | None) -> dict[str, Any]:
    from moto.cognitoidp.exceptions import InvalidParameterException, NotAuthorizedError, UserNotFoundError
    if not _allows_custom_auth(client):
        raise InvalidParameterException("CUSTOM_AUTH flow is not enabled for this client.")
    username = (auth_parameters or {}).get("USERNAME")
    if not username:
        raise InvalidParameterException("Missing required parameter USERNAME")
    user = pool._get_user(username)
    if user is None and client.extended_config.get("PreventUserExistenceErrors") != "ENABLED":
        raise UserNotFoundError("User does not exist.")
    if user is not None and not user.enabled:
        raise NotAuthorizedError("User is disabled.")
    # PreventUserExistenceErrors ENABLED: the triggers run with userNotFound (Cognito's rule)
    return _next(pool, client, user, username, [], user is None)


def _answer(session: str, client_id: str, responses: dict[str, str] | None) -> dict[str, Any]:
    from moto.cognitoidp.exceptions import NotAuthorizedError
    with _lock:
        state = _sessions.pop(session, None)  # a session is used once, right or wrong
    if state is None or state["expires"] < time.monotonic() or state["client_id"] != client_id:
        raise NotAuthorizedError("Invalid session for the user, session is expired.")
    pool = state["pool"]
    client = pool.clients[client_id]
    user = pool._get_user(state["username"])
    if user is not None and not user.enabled:
        raise NotAuthorizedError("User is disabled.")
    verify = _invoke(pool, client, user, "VerifyAuthChallengeResponse",
                     "VerifyAuthChallengeResponse_Authentication",
                     {"userAttributes": _attributes(user),
                      "privateChallengeParameters": state["private"],
                      "challengeAnswer": (responses or {}).get("ANSWER", ""),
                      "clientMetadata": {}, "userNotFound": user is None},
                     {"answerCorrect": False})
    history = [*state["history"], {"challengeName": "CUSTOM_CHALLENGE",
                                   "challengeResult": bool(verify.get("answerCorrect")),
                                   "challengeMetadata": state["metadata"]}]
    return _next(pool, client, user, state["username"], history, user is None)


def install() -> None:
    """Patch moto's Cognito backend (once per process)."""
    global _applied
    if _applied:
        return
    from moto.cognitoidp.exceptions import ResourceNotFoundError
    from moto.cognitoidp.models import CognitoIdpBackend
    admin_initiate = CognitoIdpBackend.admin_initiate_auth
    initiate = CognitoIdpBackend.initiate_auth
    respond = CognitoIdpBackend.respond_to_auth_challenge

    def admin_initiate_auth(self: Any, user_pool_id: str, client_id: str, auth_flow: str,
                            auth_parameters: dict[str, str]) -> dict[str, Any]:
        if auth_flow != "CUSTOM_AUTH":
            return admin_initiate(self, user_pool_id, client_id, auth_flow, auth_parameters)
        pool = self.describe_user_pool(user_pool_id)
        client = pool.clients.get(client_id)
        if not client:
            raise ResourceNotFoundError(client_id)
        return _start(pool, client, auth_parameters)

    def initiate_auth(self: Any, client_id: str, auth_flow: str,
                      auth_parameters: dict[str, str]) -> dict[str, Any]:
        if auth_flow != "CUSTOM_AUTH":
            return initiate(self, client_id, auth_flow, auth_parameters)
        pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
        if pool is None:
            raise ResourceNotFoundError(client_id)
        return _start(pool, pool.clients[client_id], auth_parameters)

    def respond_to_auth_challenge(self: Any, session: str, client_id: str, challenge_name: str,
                                  challenge_responses: dict[str, str]) -> dict[str, Any]:
        if challenge_name != "CUSTOM_CHALLENGE":
            return respond(self, session, client_id, challenge_name, challenge_responses)
        return _answer(session, client_id, challenge_responses)

    CognitoIdpBackend.admin_initiate_auth = admin_initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.initiate_auth = initiate_auth  # type: ignore[method-assign]
    CognitoIdpBackend.respond_to_auth_challenge = respond_to_auth_challenge  # type: ignore[method-assign]
    _applied = True


def main() -> None:
    """`python -m devtools.moto_custom_auth -H 127.0.0.1 -p 5001` (make run): moto's server
    with DynamoDB atomic per request and Cognito's custom authentication."""
    from devtools.moto_atomic import make_dynamodb_atomic
    make_dynamodb_atomic()
    install()
    from moto.server import main as moto_main
    moto_main()


if __name__ == "__main__":
    main()
