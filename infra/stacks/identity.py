"""The Cognito user pool: e-mail sign-in, the password policy and the groups (= roles) from
chalicelib/platform/resources.py, and the web client (no secret, ADMIN_USER_PASSWORD_AUTH through the platform + refresh)."""
from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from chalicelib.platform.resources import GROUPS, PASSWORD_POLICY


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
