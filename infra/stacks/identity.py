"""The Cognito user pool: e-mail sign-in, the password policy and the groups (= roles) from
chalicelib/platform/resources.py, and the web client (no secret, ADMIN_USER_PASSWORD_AUTH through the platform + refresh)."""
from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from chalicelib.platform.resources import CUSTOM_AUTH_TRIGGERS, GROUPS, PASSWORD_POLICY


def build_user_pool(scope: Construct, pool_name: str, sender: str | None,
                    ses_region: str | None) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
    policy = PASSWORD_POLICY
    email = (cognito.UserPoolEmail.with_ses(from_email=sender, ses_region=ses_region)
             if sender and ses_region else None)
    pool = cognito.UserPool(
        scope, "UserPool", user_pool_name=pool_name,
        self_sign_up_enabled=True,
        sign_in_aliases=cognito.SignInAliases(email=True),
        auto_verify=cognito.AutoVerifiedAttrs(email=True),
        standard_attributes=cognito.StandardAttributes(
            email=cognito.StandardAttribute(required=True, mutable=True),
            fullname=cognito.StandardAttribute(required=False, mutable=True)),
        password_policy=cognito.PasswordPolicy(
            min_length=int(policy["MinimumLength"]),
            require_uppercase=bool(policy["RequireUppercase"]),
            require_lowercase=bool(policy["RequireLowercase"]),
            require_digits=bool(policy["RequireNumbers"]),
            require_symbols=bool(policy["RequireSymbols"]),
            temp_password_validity=Duration.days(3)),
        account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
        email=email,
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN)
    for group in GROUPS:
        cognito.CfnUserPoolGroup(scope, f"Group{group.capitalize()}", user_pool_id=pool.user_pool_id,
                                 group_name=group)
    client = pool.add_client(
        "WebClient", user_pool_client_name="web", generate_secret=False,
        # passwords only through the platform's IAM-signed admin flow (staff TOTP cannot be
        # skipped by calling Cognito directly); refresh tokens are always allowed
        # CUSTOM_AUTH: login by SMS code, answered by the platform with a one-time nonce
        # (chalicelib/identity/custom_auth.py); a direct caller cannot answer it
        auth_flows=cognito.AuthFlow(admin_user_password=True, custom=True),
        prevent_user_existence_errors=True,
        id_token_validity=Duration.hours(1), access_token_validity=Duration.hours(1),
        refresh_token_validity=Duration.days(30))
    return pool, client


def wire_custom_auth(scope: Construct, pool: cognito.UserPool, function: Any) -> None:
    """Login by SMS code: the pool's Define/Create/VerifyAuthChallengeResponse triggers are
    the app's `auth_challenge` function (Chalice's SAM resource), which Cognito may invoke.
    (The function's environment holds no pool id, so the pool can name it: no cycle.)"""
    arn = Token.as_string(function.get_att("Arn"))
    cfn_pool = pool.node.default_child
    assert isinstance(cfn_pool, cognito.CfnUserPool)
    cfn_pool.add_property_override("LambdaConfig", {t: arn for t in CUSTOM_AUTH_TRIGGERS})
    lambda_.CfnPermission(scope, "AuthChallengeInvokedByCognito", action="lambda:InvokeFunction",
                          function_name=arn, principal="cognito-idp.amazonaws.com",
                          source_arn=pool.user_pool_arn)
