"""The CUSTOM_AUTH trigger handlers (chalicelib/identity/custom_auth.py) against Cognito's
documented event shapes: the fixtures below are written from the developer guide's pages
("Define/Create/Verify Auth challenge Lambda trigger"), not from our output, and the
outputs and moto's emulated events are validated with AWS Lambda Powertools' own Cognito
models (aws_lambda_powertools.utilities.parser.models), which we did not write."""
from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import unique_email

SUB = "8f0c5e6a-2b1d-4c3e-9a7b-0d1e2f3a4b5c"
COMMON = {"version": "1", "region": "ap-southeast-1", "userPoolId": "ap-southeast-1_EXAMPLE",
          "userName": SUB, "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown",
                                             "clientId": "1example23456789"}}
ATTRS = {"sub": SUB, "email_verified": "true", "cognito:user_status": "CONFIRMED",
         "email": "someone@example.com"}
DEFINE = {**COMMON, "triggerSource": "DefineAuthChallenge_Authentication",
          "request": {"userAttributes": ATTRS, "session": [], "clientMetadata": {},
                      "userNotFound": False},
          "response": {"challengeName": None, "issueTokens": False, "failAuthentication": False}}
CREATE = {**COMMON, "triggerSource": "CreateAuthChallenge_Authentication",
          "request": {"userAttributes": ATTRS, "challengeName": "CUSTOM_CHALLENGE", "session": [],
                      "clientMetadata": {}, "userNotFound": False},
          "response": {"publicChallengeParameters": {}, "privateChallengeParameters": {},
                       "challengeMetadata": None}}
VERIFY = {**COMMON, "triggerSource": "VerifyAuthChallengeResponse_Authentication",
          "request": {"userAttributes": ATTRS, "privateChallengeParameters": {"sub": SUB},
                      "challengeAnswer": "", "clientMetadata": {}, "userNotFound": False},
          "response": {"answerCorrect": False}}


def _result(name: str, ok: bool) -> dict[str, Any]:
    return {"challengeName": name, "challengeResult": ok, "challengeMetadata": "PLATFORM_NONCE"}


def _define(session: list[dict[str, Any]], **request: Any) -> dict[str, Any]:
    from chalicelib.identity.custom_auth import handler
    event = copy.deepcopy(DEFINE)
    event["request"].update(session=session, **request)
    return handler(event)["response"]  # type: ignore[no-any-return]


def test_define_starts_with_one_custom_challenge() -> None:
    from aws_lambda_powertools.utilities.parser.models import CognitoDefineAuthChallengeTriggerModel

    from chalicelib.identity.custom_auth import handler
    out = handler(copy.deepcopy(DEFINE))
    assert out["response"] == {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False,
                               "failAuthentication": False}
    CognitoDefineAuthChallengeTriggerModel.model_validate(out)  # AWS's shape, as Powertools has it


def test_define_issues_tokens_only_after_a_right_answer() -> None:
    assert _define([_result("CUSTOM_CHALLENGE", True)])["issueTokens"] is True
    after_wrong = _define([_result("CUSTOM_CHALLENGE", False), _result("CUSTOM_CHALLENGE", True)])
    assert after_wrong["issueTokens"] is True and after_wrong["failAuthentication"] is False


def test_define_fails_after_three_wrong_answers() -> None:
    two = _define([_result("CUSTOM_CHALLENGE", False)] * 2)
    assert (two["challengeName"], two["issueTokens"], two["failAuthentication"]) == (
        "CUSTOM_CHALLENGE", False, False)
    three = _define([_result("CUSTOM_CHALLENGE", False)] * 3)
    assert (three["issueTokens"], three["failAuthentication"]) == (False, True)
    assert "challengeName" not in three


@pytest.mark.parametrize("session", [
    [_result("SRP_A", True)],
    [_result("SRP_A", True), _result("PASSWORD_VERIFIER", True)],
    [_result("PASSWORD_VERIFIER", True), _result("CUSTOM_CHALLENGE", True)],
])
def test_define_refuses_any_other_kind_of_challenge(session: list[dict[str, Any]]) -> None:
    out = _define(session)
    assert (out["issueTokens"], out["failAuthentication"]) == (False, True)


def test_define_gives_an_unknown_user_the_same_challenge_and_never_tokens() -> None:
    # (the developer guide: with PreventUserExistenceErrors the function should behave alike
    # for users that do not exist, so a caller cannot tell them apart)
    assert _define([], userNotFound=True) == _define([])
    assert _define([_result("CUSTOM_CHALLENGE", False)] * 2, userNotFound=True)["challengeName"] \
        == "CUSTOM_CHALLENGE"
    for session in ([_result("CUSTOM_CHALLENGE", True)], [_result("CUSTOM_CHALLENGE", False)] * 3):
        out = _define(session, userNotFound=True)
        assert (out["issueTokens"], out["failAuthentication"]) == (False, True)


def test_create_shows_nothing_secret_and_names_whose_challenge_it_is() -> None:
    from aws_lambda_powertools.utilities.parser.models import CognitoCreateAuthChallengeTriggerModel

    from chalicelib.identity.custom_auth import handler
    out = handler(copy.deepcopy(CREATE))
    CognitoCreateAuthChallengeTriggerModel.model_validate(out)
    assert out["response"]["privateChallengeParameters"] == {"sub": SUB}
    assert out["response"]["publicChallengeParameters"] == {"method": "platform_nonce", "attempt": "1"}
    assert out["response"]["challengeMetadata"] == "PLATFORM_NONCE"


def _verify(answer: str, deps: Any, **request: Any) -> bool:
    from aws_lambda_powertools.utilities.parser.models import CognitoVerifyAuthChallengeTriggerModel

    from chalicelib.identity.custom_auth import handler
    event = copy.deepcopy(VERIFY)
    event["request"].update(challengeAnswer=answer, **request)
    out = handler(event, now=deps.now)
    CognitoVerifyAuthChallengeTriggerModel.model_validate(out)
    return bool(out["response"]["answerCorrect"])


def test_verify_accepts_the_pending_nonce_once(deps: Any, clock: Any) -> None:
    from chalicelib.identity.custom_auth import issue_nonce
    nonce = issue_nonce(SUB, deps.now())
    assert _verify("x" + nonce, deps) is False
    assert _verify(nonce, deps) is True
    assert _verify(nonce, deps) is False  # used


def test_verify_refuses_after_three_wrong_answers_and_when_expired(deps: Any, clock: Any) -> None:
    from chalicelib.identity.custom_auth import issue_nonce
    nonce = issue_nonce(SUB, deps.now())
    for wrong in ("a", "b", "c"):
        assert _verify(wrong, deps) is False
    assert _verify(nonce, deps) is False
    nonce = issue_nonce(SUB, deps.now())
    clock.advance(seconds=60)
    assert _verify(nonce, deps) is False


def test_verify_refuses_another_accounts_nonce_and_mismatched_parameters(deps: Any, clock: Any) -> None:
    from chalicelib.identity.custom_auth import issue_nonce
    other = issue_nonce("another-sub", deps.now())
    assert _verify(other, deps) is False
    mine = issue_nonce(SUB, deps.now())
    assert _verify(mine, deps, privateChallengeParameters={"sub": "another-sub"}) is False
    assert _verify(mine, deps, userNotFound=True) is False
    assert _verify(mine, deps) is True


def test_the_handler_refuses_other_triggers() -> None:
    from chalicelib.identity.custom_auth import handler
    with pytest.raises(ValueError):
        handler({**COMMON, "triggerSource": "PreSignUp_SignUp", "request": {}, "response": {}})


# --- moto's emulation of the trigger chain (devtools/moto_custom_auth.py) -------------------
def _verified_account(api: Any, clock: Any, phone: str) -> str:
    email, token = api.signup(unique_email("trg"), phone=phone)
    api.post("/me/phone/code", token)
    code = api.get(f"/dev/sms?to={phone}").data["sms"][0]["code"]
    assert api.post("/me/phone/verify", token, json={"code": code}).status_code == 200
    return email


def test_the_emulated_events_have_cognitos_shapes(api: Any, clock: Any) -> None:
    from aws_lambda_powertools.utilities.parser import models

    from devtools import moto_custom_auth
    _verified_account(api, clock, "13600001111")
    clock.advance(seconds=61)
    api.post("/auth/login/sms/code", json={"phone": "13600001111"})
    code = api.get("/dev/sms?to=13600001111").data["sms"][0]["code"]
    del moto_custom_auth.events[:]
    assert api.post("/auth/login/sms", json={"phone": "13600001111", "code": code}).status_code == 200
    sources = [e["triggerSource"] for e in moto_custom_auth.events]
    # Cognito's order: Define, Create, (the answer) Verify, Define -> issueTokens
    assert sources == ["DefineAuthChallenge_Authentication", "CreateAuthChallenge_Authentication",
                       "VerifyAuthChallengeResponse_Authentication",
                       "DefineAuthChallenge_Authentication"]
    define1, create, verify, define2 = (e["event"] for e in moto_custom_auth.events)
    models.CognitoDefineAuthChallengeTriggerModel.model_validate(define1)
    models.CognitoCreateAuthChallengeTriggerModel.model_validate(create)
    models.CognitoVerifyAuthChallengeTriggerModel.model_validate(verify)
    # (Powertools 3.37's ChallengeResult model omits CUSTOM_CHALLENGE, which the developer
    # guide lists, so the second Define's session is checked against the guide by hand.)
    assert define2["request"]["session"] == [{"challengeName": "CUSTOM_CHALLENGE",
                                               "challengeResult": True,
                                               "challengeMetadata": "PLATFORM_NONCE"}]
    assert define1["userName"] == verify["userName"] and define1["request"]["userAttributes"]["sub"]


def _cognito(deps: Any) -> Any:
    from chalicelib.platform.aws import client
    return client(deps.settings, "cognito-idp")


def test_a_caller_of_cognito_itself_cannot_answer_the_challenge(api: Any, clock: Any, deps: Any) -> None:
    # Given a client of the public InitiateAuth (no IAM, no SMS code)
    email = _verified_account(api, clock, "13600002222")
    cognito, client_id = _cognito(deps), deps.identity.client_id
    out = cognito.initiate_auth(ClientId=client_id, AuthFlow="CUSTOM_AUTH",
                                AuthParameters={"USERNAME": email})
    assert out["ChallengeName"] == "CUSTOM_CHALLENGE" and "AuthenticationResult" not in out
    # When it guesses three times, each round is a new challenge, then the sequence fails
    for guess in ("123456", "000000"):
        out = cognito.respond_to_auth_challenge(ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE",
                                                Session=out["Session"],
                                                ChallengeResponses={"USERNAME": email, "ANSWER": guess})
        assert out["ChallengeName"] == "CUSTOM_CHALLENGE" and "AuthenticationResult" not in out
    with pytest.raises(ClientError) as failed:
        cognito.respond_to_auth_challenge(ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE",
                                          Session=out["Session"],
                                          ChallengeResponses={"USERNAME": email, "ANSWER": "x"})
    assert failed.value.response["Error"]["Code"] == "NotAuthorizedException"
    # And a session once answered cannot be answered again
    with pytest.raises(ClientError) as reused:
        cognito.respond_to_auth_challenge(ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE",
                                          Session=out["Session"],
                                          ChallengeResponses={"USERNAME": email, "ANSWER": "x"})
    assert reused.value.response["Error"]["Code"] == "NotAuthorizedException"


def test_an_unknown_email_meets_the_same_challenge_as_a_known_one(api: Any, clock: Any,
                                                                  deps: Any) -> None:
    known = _verified_account(api, clock, "13600005555")
    cognito, client_id = _cognito(deps), deps.identity.client_id
    answers = []
    for email in (known, unique_email("nobody")):
        out = cognito.initiate_auth(ClientId=client_id, AuthFlow="CUSTOM_AUTH",
                                    AuthParameters={"USERNAME": email})
        answers.append((out["ChallengeName"], sorted(out["ChallengeParameters"]),
                        out["ChallengeParameters"]["method"]))
        for _ in range(2):
            out = cognito.respond_to_auth_challenge(
                ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE", Session=out["Session"],
                ChallengeResponses={"USERNAME": email, "ANSWER": "guess"})
        with pytest.raises(ClientError) as failed:
            cognito.respond_to_auth_challenge(
                ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE", Session=out["Session"],
                ChallengeResponses={"USERNAME": email, "ANSWER": "guess"})
        answers.append(failed.value.response["Error"]["Code"])
    assert answers[0] == answers[2] and answers[1] == answers[3] == "NotAuthorizedException"


def test_a_client_without_allow_custom_auth_is_refused(deps: Any) -> None:
    cognito = _cognito(deps)
    other = cognito.create_user_pool_client(UserPoolId=deps.identity.pool_id, ClientName="no-custom",
                                            ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"])
    with pytest.raises(ClientError) as refused:
        cognito.initiate_auth(ClientId=other["UserPoolClient"]["ClientId"], AuthFlow="CUSTOM_AUTH",
                              AuthParameters={"USERNAME": "someone@example.com"})
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"


def test_an_expired_nonce_gets_no_tokens(api: Any, clock: Any, deps: Any) -> None:
    # The platform's own call with a nonce that has expired: Cognito's answer is a refusal
    from chalicelib.identity import accounts
    from chalicelib.identity.custom_auth import issue_nonce
    from chalicelib.platform.errors import UnauthorizedError
    email = _verified_account(api, clock, "13600003333")
    account = accounts.find_by_email(email)
    assert account is not None
    nonce = issue_nonce(account.user_sub, deps.now() - timedelta(seconds=61))
    with pytest.raises(UnauthorizedError) as refused:
        deps.identity.login_custom(email, nonce)
    assert refused.value.code == "SMS_LOGIN_FAILED"
    assert deps.identity.login_custom(email, issue_nonce(account.user_sub, deps.now()))["id_token"]


def test_the_flow_and_the_emulated_answers_match_cognitos_service_model(api: Any, clock: Any,
                                                                         deps: Any) -> None:
    """botocore's model of the Cognito API (AWS's, not ours): the flow, challenge and client
    flow names exist, and what moto's emulation answers has the operations' output shapes."""
    import botocore.session
    model = botocore.session.get_session().get_service_model("cognito-idp")
    assert "CUSTOM_AUTH" in model.shape_for("AuthFlowType").enum
    assert "CUSTOM_CHALLENGE" in model.shape_for("ChallengeNameType").enum
    assert "ALLOW_CUSTOM_AUTH" in model.shape_for("ExplicitAuthFlowsType").enum
    lambda_config = model.shape_for("LambdaConfigType").members
    assert {"DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse"} <= set(lambda_config)
    email = _verified_account(api, clock, "13600004444")
    cognito, client_id = _cognito(deps), deps.identity.client_id
    out = cognito.admin_initiate_auth(UserPoolId=deps.identity.pool_id, ClientId=client_id,
                                      AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": email})
    initiate = set(model.operation_model("AdminInitiateAuth").output_shape.members)
    assert set(out) - {"ResponseMetadata"} <= initiate
    assert out["ChallengeName"] in model.shape_for("ChallengeNameType").enum
    assert out["ChallengeParameters"]["USERNAME"]
    out = cognito.admin_respond_to_auth_challenge(
        UserPoolId=deps.identity.pool_id, ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE",
        Session=out["Session"], ChallengeResponses={"USERNAME": email, "ANSWER": "wrong"})
    respond = set(model.operation_model("AdminRespondToAuthChallenge").output_shape.members)
    assert set(out) - {"ResponseMetadata"} <= respond and out["ChallengeName"] == "CUSTOM_CHALLENGE"
    result = set(model.shape_for("AuthenticationResultType").members)
    from chalicelib.identity import accounts
    from chalicelib.identity.custom_auth import issue_nonce
    account = accounts.find_by_email(email)
    assert account is not None
    out = cognito.admin_respond_to_auth_challenge(
        UserPoolId=deps.identity.pool_id, ClientId=client_id, ChallengeName="CUSTOM_CHALLENGE",
        Session=out["Session"],
        ChallengeResponses={"USERNAME": email, "ANSWER": issue_nonce(account.user_sub, deps.now())})
    assert set(out["AuthenticationResult"]) <= result and out["AuthenticationResult"]["IdToken"]
