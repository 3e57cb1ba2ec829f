"""Login by SMS code in the deployment (issue 14): the user pool's three challenge triggers
are the app's `auth_challenge` function, Cognito may invoke it, the web client allows the
CUSTOM_AUTH flow, the API may answer the challenge, and the trigger's role reaches only the
codes table (no Cognito, no pool id: the pool names the function, so nothing may name the pool)."""
from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra.conftest import resources

pytestmark = pytest.mark.slow
TRIGGERS = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse")


def _trigger(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [(lid, fn) for lid, fn in resources(template, "AWS::Serverless::Function").items()
                if fn["Properties"]["Handler"] == "app.auth_challenge"]
    return found


def test_the_pool_runs_the_apps_trigger_for_the_three_challenges(template: dict[str, Any]) -> None:
    lid, _fn = _trigger(template)
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    config = pool["Properties"]["LambdaConfig"]
    assert {k: config[k] for k in TRIGGERS} == {k: {"Fn::GetAtt": [lid, "Arn"]} for k in TRIGGERS}
    (pool_lid,) = resources(template, "AWS::Cognito::UserPool")
    permissions = [p["Properties"] for p in resources(template, "AWS::Lambda::Permission").values()
                   if p["Properties"]["Principal"] == "cognito-idp.amazonaws.com"]
    assert permissions == [{"Action": "lambda:InvokeFunction",
                            "FunctionName": {"Fn::GetAtt": [lid, "Arn"]},
                            "Principal": "cognito-idp.amazonaws.com",
                            "SourceArn": {"Fn::GetAtt": [pool_lid, "Arn"]}}]


def test_the_client_allows_custom_auth_and_the_api_may_answer(template: dict[str, Any]) -> None:
    (client,) = resources(template, "AWS::Cognito::UserPoolClient").values()
    assert "ALLOW_CUSTOM_AUTH" in client["Properties"]["ExplicitAuthFlows"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in client["Properties"]["ExplicitAuthFlows"]
    api_role = next(fn["Properties"]["Role"]["Fn::GetAtt"][0]
                    for fn in resources(template, "AWS::Serverless::Function").values()
                    if fn["Properties"]["Handler"] == "app.app")
    actions = _actions(template, api_role)
    assert {"cognito-idp:AdminInitiateAuth", "cognito-idp:AdminRespondToAuthChallenge",
            "cognito-idp:AdminListGroupsForUser"} <= actions


def _statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    policies = {**resources(template, "AWS::IAM::Policy"),  # and CDK's overflow into managed ones
                **resources(template, "AWS::IAM::ManagedPolicy")}
    for policy in policies.values():
        if {"Ref": role} in policy["Properties"].get("Roles", []):
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def _actions(template: dict[str, Any], role: str) -> set[str]:
    acts: set[str] = set()
    for s in _statements(template, role):
        acts.update([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    return acts


def test_the_trigger_reaches_only_the_codes_table_and_names_no_pool(template: dict[str, Any]) -> None:
    _lid, fn = _trigger(template)
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    actions = _actions(template, role)
    assert {a.split(":")[0] for a in actions} <= {"dynamodb", "kms", "logs", "xray"}
    assert actions & {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} == {
        "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    (dynamo,) = [s for s in _statements(template, role) if "dynamodb:GetItem" in s["Action"]]
    tables = {lid: t["Properties"]["TableName"] for lid, t in resources(template, "AWS::DynamoDB::Table").items()}
    named = {lid for lid in tables if lid in json.dumps(dynamo["Resource"])}
    assert {tables[lid] for lid in named} == {"lsc-prod-codes"}
    env = fn["Properties"]["Environment"]["Variables"]
    assert env["USER_POOL_ID"] == "" and env["USER_POOL_CLIENT_ID"] == ""
    assert "UserPool" not in json.dumps(fn["Properties"])
    assert fn["Properties"]["Timeout"] <= 5  # Cognito waits 5 s for a trigger
