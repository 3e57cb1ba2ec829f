"""Create every AWS resource the app needs on the embedded AWS (moto) and seed it: the same
table definitions infra/ deploys, the buckets, the Cognito pool with its groups, the SES
identity, the editions, and the dev staff accounts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.platform.aws import client
from chalicelib.platform.clock import system_now
from chalicelib.platform.resources import BUCKETS, CLIENT_AUTH_FLOWS, CUSTOM_AUTH_TRIGGERS, GROUPS, PASSWORD_POLICY
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
            Policies={"PasswordPolicy": dict(PASSWORD_POLICY)},
            # login by SMS code: the app's trigger Lambda (moto runs it in-process:
            # devtools/moto_custom_auth.py)
            LambdaConfig={t: f"arn:aws:lambda:{settings.region}:123456789012:function:"
                             f"{settings.user_pool_name}-auth-challenge" for t in CUSTOM_AUTH_TRIGGERS},
        )["UserPool"]
        for group in GROUPS:
            cognito.create_group(UserPoolId=pool["Id"], GroupName=group)
        cognito.create_user_pool_client(  # Cognito's default client reads these (moto: none)
            UserPoolId=pool["Id"], ClientName="web", GenerateSecret=False,
            ExplicitAuthFlows=list(CLIENT_AUTH_FLOWS), PreventUserExistenceErrors="ENABLED",
            ReadAttributes=["email", "email_verified", "name"])
    clients = cognito.list_user_pool_clients(UserPoolId=pool["Id"], MaxResults=10)
    return Stack(user_pool_id=pool["Id"], client_id=clients["UserPoolClients"][0]["ClientId"])


def ensure_mfa_key(settings: Settings) -> None:
    """The KMS key that seals the staff TOTP secrets (settings.mfa_key_id, an alias)."""
    kms = client(settings, "kms")
    aliases = {a["AliasName"] for a in kms.list_aliases(Limit=100).get("Aliases", [])}
    if settings.mfa_key_id not in aliases:
        key = kms.create_key(Description="staff TOTP secrets")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=settings.mfa_key_id, TargetKeyId=key)


def create_resources(settings: Settings) -> Stack:
    create_tables(client(settings, "dynamodb"), settings.table_prefix)
    ensure_mfa_key(settings)
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
    totp: dict[str, str] = {}
    if staff:
        from chalicelib.identity import mfa
        totp = staff_totp_secrets(settings)
        for email, name, group in STAFF:
            try:
                profile = accounts.sign_up(deps, email=email, password=DEV_PASSWORD, name=name,
                                           phone=None, kind="staff", unit_name=None,
                                           credit_code=None, now=now, group=group)
                seeded.append(email)
            except ConflictError:
                continue
            # seeded enrolled: the secret is kept in .dev/keys/staff-totp.json (dev only)
            mfa.seed_enrolled(deps, str(profile["user_id"]), totp[email], now)
    return {"editions": created, "staff": seeded, "staff_totp": totp}


def staff_totp_secrets(settings: Settings) -> dict[str, str]:
    """The dev staff accounts' TOTP secrets: `.dev/keys/staff-totp.json`, made once and kept
    across runs (an authenticator app set up once keeps working). Dev/test stage only."""
    import json
    import os
    from pathlib import Path

    from chalicelib.identity import mfa
    assert settings.is_dev, "dev staff secrets exist only in the dev and test stages"
    path = Path(settings.dev_keys_dir) / "staff-totp.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = {email: mfa.new_secret() for email, _, _ in STAFF}
    try:  # created once, atomically: parallel stacks (browser workers) agree on the secrets
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        kept = json.loads(path.read_text() or "{}")
        if all(email in kept for email, _, _ in STAFF):
            return {email: str(kept[email]) for email, _, _ in STAFF}
        path.write_text(json.dumps({**fresh, **kept}, indent=2))
        return {**fresh, **kept}
    with os.fdopen(fd, "w") as f:
        json.dump(fresh, f, indent=2)
    return fresh
