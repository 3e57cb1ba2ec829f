"""The Chalice app through Chalice's own CDK construct (`chalice package` → SAM), wired to
the stage's resources: environment from settings' variables, one IAM role per kind of
function with explicit resource ARNs, the API Gateway stage (regional, tracing, access log,
throttling) and gateway responses in the API's {"Code","Message"} shape."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from chalice.cdk import Chalice
from constructs import Construct

from stacks.checks import skip

ROOT = Path(__file__).resolve().parents[2]

# The table/index actions the store uses (PynamoDB gets, puts, updates, deletes, queries,
# batches and transactions). No Scan: the house rule, enforced here as well.
TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
                 "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                 "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"]
OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject"]
# platform/cognito.py: sign-up, confirm and login are public Cognito APIs; these need IAM.
COGNITO_ACTIONS = ["cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminDeleteUser",
                   "cognito-idp:AdminInitiateAuth",  # login: the admin password flow (issue 14)
                   # sessions that end, password reset by the platform's code (issue 14)
                   "cognito-idp:AdminUserGlobalSignOut", "cognito-idp:AdminDisableUser",
                   "cognito-idp:AdminSetUserPassword",
                   # login by SMS code: CUSTOM_AUTH answered by the platform (issue 14)
                   "cognito-idp:AdminRespondToAuthChallenge", "cognito-idp:AdminListGroupsForUser"]

# API Gateway's own answers (no Lambda involved) in the API contract's error shape.
GATEWAY_RESPONSES = {
    "UNAUTHORIZED": (401, "UNAUTHORIZED", "请先登录"),
    "ACCESS_DENIED": (403, "FORBIDDEN", "您没有执行此操作的权限"),
    "MISSING_AUTHENTICATION_TOKEN": (404, "NOT_FOUND", "未找到该资源"),
    "THROTTLED": (429, "THROTTLED", "请求过于频繁，请稍后重试"),
    "REQUEST_TOO_LARGE": (413, "PAYLOAD_TOO_LARGE", "请求体过大"),
    "DEFAULT_4XX": (None, "BAD_REQUEST", "请求无效"),
    "DEFAULT_5XX": (None, "SERVICE_UNAVAILABLE", "服务暂时不可用，请稍后重试"),
}

FUNCTION_KINDS = ("api", "authorizer", "jobs", "trigger")
# The user pool's challenge triggers (app.auth_challenge): only the codes table (the nonce),
# and no pool id in its environment (the pool names the function: no cycle).
TRIGGER_HANDLER = "app.auth_challenge"
TRIGGER_TABLES = ("codes",)


@dataclass
class AppResources:
    tables: dict[str, dynamodb.Table]
    buckets: dict[str, s3.Bucket]
    key: kms.IKey
    secret_arns: list[str]
    user_pool_arn: str
    ses_identity_arn: str
    mail_sender: str


def _json_template(code: str, message: str) -> str:
    return json.dumps({"Code": code, "Message": message}, ensure_ascii=False)


def gateway_responses() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, (status, code, message) in GATEWAY_RESPONSES.items():
        response: dict[str, Any] = {
            "ResponseParameters": {"Headers": {"Content-Type": "'application/json; charset=utf-8'"}},
            "ResponseTemplates": {"application/json": _json_template(code, message)},
        }
        if status:
            response["StatusCode"] = status
        out[kind] = response
    return out


def classify(sam: dict[str, Any]) -> dict[str, str]:
    """Logical id → kind of every function in Chalice's SAM template: the API handler
    (`app.app`), the authorizers the REST API's security definitions point at, and the rest
    (schedules and any other event handler) as jobs."""
    text = json.dumps(sam.get("Resources", {}).get("RestAPI", {}))
    authorizers = set(re.findall(r"\$\{(\w+)\.Arn\}", text))
    kinds = {}
    for lid, res in sam["Resources"].items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        if res["Properties"].get("Handler") == "app.app":
            kinds[lid] = "api"
        elif res["Properties"].get("Handler") == TRIGGER_HANDLER:
            kinds[lid] = "trigger"
        elif lid in authorizers:
            kinds[lid] = "authorizer"
        else:
            kinds[lid] = "jobs"
    return kinds


class ChaliceApi(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str,
                 environment: dict[str, str], res: AppResources, api_memory_mb: int,
                 jobs_memory_mb: int, api_timeout_s: int, jobs_timeout_s: int) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.roles = {kind: self._role(kind, stack) for kind in FUNCTION_KINDS}
        self._grant_data(self.roles["api"], res)
        self._grant_data(self.roles["jobs"], res)
        self._grant_trigger(self.roles["trigger"], res)
        self.roles["api"].add_to_policy(iam.PolicyStatement(
            actions=COGNITO_ACTIONS, resources=[res.user_pool_arn]))

        stage_config = {
            "api_gateway_stage": "api",
            "api_gateway_endpoint_type": "REGIONAL",  # CloudFront is in front
            "manage_iam_role": False,
            "iam_role_arn": self.roles["jobs"].role_arn,  # replaced per function below
            "automatic_layer": True,  # dependencies in a layer cached by requirements.txt
            "xray": True,
            "lambda_memory_size": jobs_memory_mb,
            "lambda_timeout": jobs_timeout_s,
            "environment_variables": environment,
            "tags": {"project": "lsc-training", "stage": stage},
        }
        # The construct names the chalice stage after its scope (the stack, whose id is
        # the stage), so .chalice/config.json's stage section applies under our overrides.
        self.chalice = Chalice(stack, "Chalice", source_dir=str(ROOT), stage_config=stage_config)
        sam_path = Path(self.chalice._sam_package_dir) / "sam.json"
        self.sam = json.loads(sam_path.read_text())
        self.function_kinds = classify(self.sam)
        for lid, kind in self.function_kinds.items():
            fn = self.chalice.get_resource(lid)
            fn.add_override("Properties.Role", self.roles[kind].role_arn)
            # (Chalice's per-function "lambda_functions" settings are read from
            # .chalice/config.json only, not from stage_config: set them here.)
            if kind == "api":  # API Gateway gives up after 29 s; so does the function
                fn.add_override("Properties.MemorySize", api_memory_mb)
                fn.add_override("Properties.Timeout", api_timeout_s)
            elif kind == "trigger":  # Cognito waits 5 s for a trigger
                fn.add_override("Properties.MemorySize", 512)
                fn.add_override("Properties.Timeout", 5)
                for name in ("USER_POOL_ID", "USER_POOL_CLIENT_ID"):
                    fn.add_override(f"Properties.Environment.Variables.{name}", "")
            elif kind == "authorizer":
                fn.add_override("Properties.MemorySize", 512)
                fn.add_override("Properties.Timeout", 10)
            self._function_checks(fn, kind)
        self.rest_api = self.chalice.get_resource("RestAPI")
        self._configure_stage(stack)

    # --- IAM ------------------------------------------------------------------------
    def _role(self, kind: str, stack: Stack) -> iam.Role:
        role = iam.Role(self, f"{kind.capitalize()}Role",
                        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"lsc {kind} Lambda functions")
        # Function names are generated as <stack>-<logical id>-<suffix>.
        log_arn = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws/lambda/{stack.stack_name}-*"
        role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_arn, f"{log_arn}:*"]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]))
        skip(role, ("CKV_AWS_111", "X-Ray's PutTraceSegments has no resource-level permissions"))
        return role

    def _grant_trigger(self, role: iam.Role, res: AppResources) -> None:
        """The challenge triggers read and use up the platform's nonce: the codes table."""
        role.add_to_policy(iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            resources=[res.tables[name].table_arn for name in TRIGGER_TABLES]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
            resources=[res.key.key_arn]))

    def _grant_data(self, role: iam.Role, res: AppResources) -> None:
        table_arns = [t.table_arn for t in res.tables.values()]
        role.add_to_policy(iam.PolicyStatement(
            actions=TABLE_ACTIONS,
            resources=[*table_arns, *(f"{arn}/index/*" for arn in table_arns)]))
        role.add_to_policy(iam.PolicyStatement(
            actions=OBJECT_ACTIONS, resources=[b.arn_for_objects("*") for b in res.buckets.values()]))
        role.add_to_policy(iam.PolicyStatement(  # HeadObject answers 404 (not 403) with it
            actions=["s3:ListBucket"], resources=[b.bucket_arn for b in res.buckets.values()]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["secretsmanager:GetSecretValue"], resources=res.secret_arns))
        role.add_to_policy(iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
            resources=[res.key.key_arn]))
        role.add_to_policy(iam.PolicyStatement(
            actions=["ses:SendEmail", "ses:SendRawEmail"], resources=[res.ses_identity_arn],
            conditions={"StringEquals": {"ses:FromAddress": res.mail_sender}}))

    def _function_checks(self, fn: Any, kind: str) -> None:
        skip(fn,
             ("CKV_AWS_117", "no VPC: the functions reach only AWS APIs and the payment "
                             "providers; a VPC would add NAT cost and cold-start time"),
             ("CKV_AWS_173", "the environment holds names and ids, no secrets (provider keys "
                             "are read from Secrets Manager at run time)"),
             ("CKV_AWS_116", "API and authorizer are invoked synchronously; the jobs are "
                             "idempotent, re-run every 15 minutes, and a missing run alarms"),
             ("CKV_AWS_115", "no reserved concurrency: the registration-morning peak needs "
                             "the account's whole pool; throttles alarm instead"))

    # --- API Gateway stage ------------------------------------------------------------
    def _configure_stage(self, stack: Stack) -> None:
        access_logs = logs.LogGroup(self, "AccessLog", retention=logs.RetentionDays.ONE_YEAR)
        skip(access_logs, ("CKV_AWS_158", "access logs hold no secrets; the default "
                                          "CloudWatch encryption applies"))
        # API Gateway writes access logs through the account-level CloudWatch role.
        gw_role = iam.Role(self, "ApiGatewayLogsRole",
                           assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
                           managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(
                               "service-role/AmazonAPIGatewayPushToCloudWatchLogs")])
        account = apigw.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=gw_role.role_arn)
        self.rest_api.node.add_dependency(account)  # the logs role is set first
        fmt = json.dumps({"requestId": "$context.requestId", "ip": "$context.identity.sourceIp",
                          "time": "$context.requestTime", "method": "$context.httpMethod",
                          "path": "$context.resourcePath", "status": "$context.status",
                          "latency": "$context.responseLatency",
                          "error": "$context.error.responseType"})
        self.rest_api.add_override("Properties.TracingEnabled", True)
        self.rest_api.add_override("Properties.AccessLogSetting", {
            "DestinationArn": access_logs.log_group_arn, "Format": fmt})
        self.rest_api.add_override("Properties.MethodSettings", [{
            "ResourcePath": "/*", "HttpMethod": "*", "MetricsEnabled": True,
            "LoggingLevel": "ERROR", "ThrottlingBurstLimit": 2000, "ThrottlingRateLimit": 1000}])
        self.rest_api.add_override("Properties.GatewayResponses", gateway_responses())
        skip(self.rest_api,
             ("CKV_AWS_120", "responses are per user; caching would serve one user's data to "
                             "another"),
             ("CKV_AWS_59", "public routes (/health, /editions/current, /auth/*, /verify, "
                            "webhooks) are public by contract; the rest use the JWT authorizer"),
             ("CKV2_AWS_29", "WAF is optional (docs/deploy.md); the gateway throttles"),
             ("CKV2_AWS_51", "clients authenticate with Cognito JWTs, not TLS certificates"))
