"""Create every AWS resource the app needs on the embedded AWS (moto) and seed it: the same
table definitions infra/ deploys, the buckets, the Cognito pool with its groups, the SES
identity, the editions, and the dev staff accounts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.platform.aws import client
from chalicelib.platform.clock import system_now
from chalicelib.platform.resources import BUCKETS, GROUPS, PASSWORD_POLICY
from chalicelib.platform.settings import Settings
from chalicelib.platform.store.tables import create_tables

DEV_PASSWORD = "DevPassw0rd!"
STAFF = (("admin@dev.local", "平台管理员", "admin"),
         ("reviewer@dev.local", "报名审核员", "reviewer"),
         ("finance@dev.local", "财务人员", "finance"))


@dataclass
class Stack:
    user_pool_id: str
    client_id: str


def create_user_pool(settings: Settings) -> Stack:
    cognito = client(settings, "cognito-idp")
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    pool = next((p for p in pools if p["Name"] == settings.user_pool_name), None)
    if pool is None:
        pool = cognito.create_user_pool(
            PoolName=settings.user_pool_name, UsernameAttributes=["email"],
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": dict(PASSWORD_POLICY)})["UserPool"]
        for group in GROUPS:
            cognito.create_group(UserPoolId=pool["Id"], GroupName=group)
        cognito.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName="web", GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    clients = cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=10)
    return Stack(user_pool_id=pool["Id"], client_id=clients["UserPoolClients"][0]["ClientId"])


def create_resources(settings: Settings) -> Stack:
    create_tables(client(settings, "dynamodb"), settings.table_prefix)
    s3 = client(settings, "s3")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for base in BUCKETS:
        name = settings.bucket_name(base)
        if name not in existing:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={
                "LocationConstraint": settings.region})
    client(settings, "ses").verify_email_identity(EmailAddress=settings.mail_sender)
    return create_user_pool(settings)


def seed(settings: Settings, staff: bool = True) -> dict[str, Any]:
    """Seed the editions and the staff accounts (idempotent)."""
    from chalicelib.platform.errors import ConflictError
    from chalicelib.identity import accounts
    from chalicelib.editions import service as editions
    from chalicelib.platform.deps import get_deps
    deps = get_deps()
    now = system_now()
    created = editions.seed_all(now)
    seeded = []
    if staff:
        for email, name, group in STAFF:
            try:
                accounts.sign_up(deps, email=email, password=DEV_PASSWORD, name=name, phone=None,
                                 kind="staff", unit_name=None, credit_code=None, now=now,
                                 group=group)
                seeded.append(email)
            except ConflictError:
                pass
    return {"editions": created, "staff": seeded}
