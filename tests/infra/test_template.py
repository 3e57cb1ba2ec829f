"""CDK assertion tests on the synthesised production template: each property issue 7 asks
of the deployment, checked against the single sources it is built from."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.infra.conftest import ACCOUNT, REGION, resources

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _by_name(template: dict[str, Any], kind: str, prop: str) -> dict[str, dict[str, Any]]:
    return {json.dumps(v["Properties"].get(prop)).strip('"'): v
            for v in resources(template, kind).values()}


def _functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources(template, "AWS::Serverless::Function")


# --- DynamoDB ------------------------------------------------------------------------------
def test_every_table_spec_is_deployed_with_its_keys_indexes_and_ttl(template, assertions):
    from chalicelib.platform.store.tables import table_specs
    # Given the one source of table definitions
    specs = table_specs()
    tables = _by_name(template, "AWS::DynamoDB::Table", "TableName")
    # Then each spec is a table of that name, and no table comes from elsewhere
    assert set(tables) == {f"lsc-prod-{s['base_name']}" for s in specs}
    for spec in specs:
        props = tables[f"lsc-prod-{spec['base_name']}"]["Properties"]
        assert sorted(map(json.dumps, props["KeySchema"])) == sorted(map(json.dumps, [
            {"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in spec["key_schema"]]))
        assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == \
            {(a["AttributeName"], a["AttributeType"]) for a in spec["attribute_definitions"]}
        deployed = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
        assert set(deployed) == {g["IndexName"] for g in spec["global_secondary_indexes"]}
        for gsi in spec["global_secondary_indexes"]:
            assert {(k["AttributeName"], k["KeyType"]) for k in deployed[gsi["IndexName"]]["KeySchema"]} \
                == {(k["AttributeName"], k["KeyType"]) for k in gsi["KeySchema"]}
            assert deployed[gsi["IndexName"]]["Projection"]["ProjectionType"] == \
                gsi["Projection"]["ProjectionType"]
        if spec["ttl_attribute"]:
            assert props["TimeToLiveSpecification"] == {"AttributeName": spec["ttl_attribute"],
                                                        "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props


def test_tables_are_on_demand_recoverable_protected_encrypted_and_retained(template, assertions):
    assertions.all_resources_properties("AWS::DynamoDB::Table", {
        "BillingMode": "PAY_PER_REQUEST",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "DeletionProtectionEnabled": True,
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS",
                             "KMSMasterKeyId": Match.any_value()},
    })
    for table in resources(template, "AWS::DynamoDB::Table").values():
        assert table["DeletionPolicy"] == "Retain"


# --- S3 --------------------------------------------------------------------------------------
def test_private_buckets_are_locked_down(template, assertions):
    from chalicelib.platform.resources import BUCKETS
    buckets = _by_name(template, "AWS::S3::Bucket", "BucketName")
    prefix = f"lsc-prod-{ACCOUNT}-{REGION}-"
    for base in BUCKETS:
        props = buckets[prefix + base]["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True}
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any(r.get("AbortIncompleteMultipartUpload") for r in rules)
        assert any(r.get("NoncurrentVersionExpiration") for r in rules)
        assert props["LoggingConfiguration"]["DestinationBucketName"]
    # Every bucket (private ones, web, logs) refuses plain HTTP.
    policies = resources(template, "AWS::S3::BucketPolicy")
    assert len(policies) >= len(BUCKETS) + 2
    for policy in policies.values():
        deny = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
                if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in deny)


def test_evidence_buckets_archive_and_never_expire_current_objects(template):
    buckets = _by_name(template, "AWS::S3::Bucket", "BucketName")
    for base in ("certificates", "invoices", "vouchers"):
        rules = buckets[f"lsc-prod-{ACCOUNT}-{REGION}-{base}"]["Properties"][
            "LifecycleConfiguration"]["Rules"]
        assert any(r.get("Transitions") for r in rules)
        assert not any("ExpirationInDays" in r for r in rules)


# --- web + CloudFront --------------------------------------------------------------------------
def test_web_is_served_through_cloudfront_with_origin_access_control(template, assertions):
    assertions.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    (dist,) = resources(template, "AWS::CloudFront::Distribution").values()
    config = dist["Properties"]["DistributionConfig"]
    s3_origins = [o for o in config["Origins"] if "S3OriginConfig" in o]
    assert len(s3_origins) == 1 and s3_origins[0]["OriginAccessControlId"]
    assert s3_origins[0]["S3OriginConfig"].get("OriginAccessIdentity", "") == ""
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    paths = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert set(paths) == {"/api/*", "/webhooks/*"}
    for behavior in paths.values():
        assert behavior["ViewerProtocolPolicy"] == "https-only"
        assert "POST" in behavior["AllowedMethods"]
    webhook_origin = next(o for o in config["Origins"] if o["Id"] == paths["/webhooks/*"]["TargetOriginId"])
    assert webhook_origin["OriginPath"] == "/api"  # /webhooks/x → the stage's /webhooks/x
    # The web bucket's policy lets only this distribution's CloudFront read it.
    statements = [s for p in resources(template, "AWS::S3::BucketPolicy").values()
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    oac = [s for s in statements if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}]
    assert oac and all("AWS:SourceArn" in json.dumps(s["Condition"]) for s in oac)


def test_web_is_published_with_a_config_js_pointing_at_the_api(template, assertions):
    assertions.resource_count_is("Custom::CDKBucketDeployment", 1)
    (publish,) = resources(template, "Custom::CDKBucketDeployment").values()
    assert len(publish["Properties"]["SourceObjectKeys"]) == 2  # web/ + the generated config.js
    assert publish["Properties"]["DistributionPaths"] == ["/*"]


# --- Cognito ---------------------------------------------------------------------------------
def test_user_pool_has_the_groups_and_password_policy_of_the_local_stack(template, assertions):
    from chalicelib.platform.resources import GROUPS, PASSWORD_POLICY
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["UserPoolName"] == "lsc-prod-users"
    policy = pool["Properties"]["Policies"]["PasswordPolicy"]
    for key, value in PASSWORD_POLICY.items():
        assert policy[key] == value, key
    assert pool["Properties"]["UsernameAttributes"] == ["email"]
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    # Default: Cognito's own sender until the SES domain is verified (lsc:cognitoMailViaSes)
    assert pool["Properties"].get("EmailConfiguration", {}).get("EmailSendingAccount") != "DEVELOPER"
    groups = {g["Properties"]["GroupName"] for g in resources(template, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(GROUPS)
    assertions.has_resource_properties("AWS::Cognito::UserPoolClient", {"GenerateSecret": False})
    # Passwords only through the platform's IAM-signed admin flow: calling Cognito directly
    # with a staff password yields no token that skips the TOTP (issue 14); the local pool
    # is created with the same flows (devtools/bootstrap.py).
    from chalicelib.platform.resources import CLIENT_AUTH_FLOWS
    (client,) = resources(template, "AWS::Cognito::UserPoolClient").values()
    assert set(client["Properties"]["ExplicitAuthFlows"]) == set(CLIENT_AUTH_FLOWS)


# --- SES, secrets ----------------------------------------------------------------------------
def test_ses_sending_identity_and_payment_secrets(template, assertions):
    from chalicelib.billing.states import ONLINE
    assertions.has_resource_properties("AWS::SES::EmailIdentity", {"EmailIdentity": "lsc.example.org"})
    secrets = _by_name(template, "AWS::SecretsManager::Secret", "Name")
    # the payment providers' keys, the tax provider's (诺诺) and the SMS service's AccessKey
    assert set(secrets) == {f"/lsc/prod/payments/{c}" for c in ONLINE} | {
        "/lsc/prod/payments/nuonuo", "/lsc/prod/sms/aliyun"}
    for secret in secrets.values():
        assert secret["Properties"]["SecretString"] == "{}"  # a placeholder: set by hand
        assert secret["Properties"]["KmsKeyId"]
        assert secret["DeletionPolicy"] == "Retain"


# --- the Chalice app -------------------------------------------------------------------------
def _settings_variables() -> set[str]:
    source = (ROOT / "chalicelib" / "platform" / "settings.py").read_text()
    names = set(re.findall(r'_env\("([A-Z_]+)"', source))
    # Lambda provides the region; the moto endpoint and dev keys exist only outside prod.
    return names - {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "DEV_KEYS_DIR"}


def test_every_function_gets_every_setting_the_app_reads(template):
    wanted = _settings_variables()
    assert {"TABLE_PREFIX", "BUCKET_PREFIX", "USER_POOL_ID", "PUBLIC_BASE_URL"} <= wanted
    functions = _functions(template)
    assert functions
    for lid, fn in functions.items():
        env = fn["Properties"]["Environment"]["Variables"]
        assert wanted <= set(env), (lid, wanted - set(env))
        assert env["APP_STAGE"] == "prod" and env["TABLE_PREFIX"] == "lsc-prod-"
        assert env["BUCKET_PREFIX"] == f"lsc-prod-{ACCOUNT}-{REGION}-"
        assert env["PAYMENT_SECRETS_PREFIX"] == "/lsc/prod/payments/"
        assert "AWS_ENDPOINT_URL" not in env
        assert fn["Properties"]["Tracing"] == "Active"
        assert fn["Properties"]["Layers"], "dependencies come in Chalice's managed layer"
    kinds = {fn["Properties"]["Handler"]: fn["Properties"] for fn in functions.values()}
    assert kinds["app.app"]["Timeout"] <= 29  # API Gateway's integration limit
    assert kinds["app.app"]["MemorySize"] >= 512


def test_api_has_no_dev_routes_and_uses_the_jwt_authorizer(template):
    (api,) = resources(template, "AWS::Serverless::Api").values()
    paths = api["Properties"]["DefinitionBody"]["paths"]
    assert "/registrations" in paths and "/health" in paths
    assert not [p for p in paths if p.split("/")[1] in ("dev", "web")]
    secured = [p for p, ops in paths.items() for op in ops.values()
               if isinstance(op, dict) and {"jwt_authorizer": []} in op.get("security", [])]
    assert "/registrations" in secured and "/health" not in secured
    assert api["Properties"]["StageName"] == "api"
    assert api["Properties"]["EndpointConfiguration"] == "REGIONAL"
    assert api["Properties"]["TracingEnabled"] is True
    assert api["Properties"]["AccessLogSetting"]["DestinationArn"]


def test_gateway_responses_answer_in_the_api_error_shape(template):
    (api,) = resources(template, "AWS::Serverless::Api").values()
    responses = api["Properties"]["GatewayResponses"]
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == 401
    assert json.loads(unauthorized["ResponseTemplates"]["application/json"]) == {
        "Code": "UNAUTHORIZED", "Message": "请先登录"}
    for kind, response in responses.items():
        body = json.loads(response["ResponseTemplates"]["application/json"])
        assert set(body) == {"Code", "Message"} and body["Code"].isupper(), kind


def test_every_schedule_of_the_app_is_deployed(template):
    from app import app as chalice_app
    schedules = {s.name: s.schedule_expression for s in chalice_app.event_sources
                 if hasattr(s, "schedule_expression")}
    deployed = {}
    for fn in _functions(template).values():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "Schedule":
                deployed[fn["Properties"]["Handler"].split(".")[-1]] = event["Properties"]["Schedule"]
    assert len(deployed) == len(schedules)
    for expression in schedules.values():
        text = expression if isinstance(expression, str) else expression.to_string()
        assert text in deployed.values()


# --- IAM -------------------------------------------------------------------------------------
def _role_statements(template: dict[str, Any], role_lid: str) -> list[dict[str, Any]]:
    """Every statement granted to the role: its inline policies and the managed policies CDK
    adds when an inline policy would pass IAM's 10 KB limit (the overflow)."""
    out = []
    policies = {**resources(template, "AWS::IAM::Policy"), **resources(template, "AWS::IAM::ManagedPolicy")}
    for policy in policies.values():
        if {"Ref": role_lid} in policy["Properties"].get("Roles", []):
            out.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return out


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    acts: set[str] = set()
    for s in statements:
        a = s["Action"]
        acts.update([a] if isinstance(a, str) else a)
    return acts


def _function_roles(template: dict[str, Any]) -> dict[str, str]:
    """Function handler → logical id of its role."""
    return {fn["Properties"]["Handler"]: fn["Properties"]["Role"]["Fn::GetAtt"][0]
            for fn in _functions(template).values()}


def test_each_kind_of_function_has_its_own_least_privilege_role(template):
    roles = _function_roles(template)
    api_role = roles.pop("app.app")
    auth_role = roles.pop("chalicelib.platform.http.jwt_authorizer")
    assert api_role != auth_role and all(r not in (api_role, auth_role) for r in roles.values())
    api, auth = _role_statements(template, api_role), _role_statements(template, auth_role)
    # The authorizer verifies JWTs against public keys: logs and traces only.
    assert not [a for a in _actions(auth) if a.split(":")[0] in ("dynamodb", "s3", "secretsmanager",
                                                                  "cognito-idp", "ses", "kms")]
    assert "cognito-idp:AdminAddUserToGroup" in _actions(api)
    for job_role in set(roles.values()):
        assert not [a for a in _actions(_role_statements(template, job_role)) if a.startswith("cognito-idp")]


def test_no_role_can_scan_or_use_wildcard_actions(template):
    policies = {**resources(template, "AWS::IAM::Policy"), **resources(template, "AWS::IAM::ManagedPolicy")}
    for policy in policies.values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            acts = _actions([statement])
            assert "dynamodb:Scan" not in acts
            assert not [a for a in acts if a == "*" or a.endswith(":*")], acts


def test_data_access_names_each_table_and_its_indexes(template):
    roles = _function_roles(template)
    statements = _role_statements(template, roles["app.app"])
    (dynamo,) = [s for s in statements if "dynamodb:Query" in _actions([s])]
    text = json.dumps(dynamo["Resource"])
    for lid in resources(template, "AWS::DynamoDB::Table"):
        assert text.count(f'"{lid}"') == 2, lid  # the table and its /index/*
    (ses,) = [s for s in statements if "ses:SendEmail" in _actions([s])]
    assert ses["Condition"] == {"StringEquals": {"ses:FromAddress": "noreply@lsc.example.org"}}


# --- alarms and dashboard ----------------------------------------------------------------------
def _alarms(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]


def test_alarms_cover_lambda_dynamodb_webhooks_and_jobs(template, assertions):
    alarms = _alarms(template)
    for lid in _functions(template):
        for metric in ("Errors", "Throttles"):
            assert [a for a in alarms if a.get("MetricName") == metric
                    and a["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": lid}}]], (lid, metric)
    throttle_alarms = [a for a in alarms if "ReadThrottleEvents" in json.dumps(a.get("Metrics", []))]
    assert len(throttle_alarms) == len(resources(template, "AWS::DynamoDB::Table"))
    for metric in ("WebhookFailed", "WebhookRejected"):
        assert [a for a in alarms if a.get("MetricName") == metric and a["Namespace"] == "LscTraining"]
    (jobs,) = [a for a in alarms if a.get("MetricName") == "JobRunCompleted"]
    assert jobs["TreatMissingData"] == "breaching"
    assert jobs["ComparisonOperator"] == "LessThanThreshold"
    assert [a for a in alarms if a.get("MetricName") == "JobRunFailed"]
    for alarm in alarms:
        assert alarm["AlarmActions"], "every alarm notifies the topic"
    assertions.resource_count_is("AWS::CloudWatch::Dashboard", 1)
