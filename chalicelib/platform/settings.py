"""The one place that reads the environment. Typed, checked at cold start."""
from __future__ import annotations

import os
from dataclasses import dataclass

# A region with both Cognito user pools and SES (see README, "Region").
DEFAULT_REGION = "ap-southeast-1"
STAGES = ("dev", "test", "prod")


class SettingsError(RuntimeError):
    """The environment is missing or has a wrong value; raised at cold start."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    endpoint_url: str | None  # moto in dev/test, None on AWS
    table_prefix: str
    bucket_prefix: str
    user_pool_name: str
    user_pool_id: str | None  # None: looked up by name (dev, where moto makes ids)
    user_pool_client_id: str | None
    mail_sender: str
    public_base_url: str
    log_level: str
    payment_secrets_prefix: str
    dev_keys_dir: str
    mediaconvert_role_arn: str | None = None  # prod: the role MediaConvert packages videos with
    # Alibaba Cloud SMS (identity/sms_aliyun.py): registered sign name, template, AccessKey secret
    sms_sign_name: str = "中国图书馆学会"
    sms_template_code: str = ""
    sms_secret_name: str = ""
    # Staff TOTP secrets are sealed with this KMS key (identity/mfa_repository.py)
    mfa_key_id: str = "alias/lsc-staff-mfa"

    @property
    def is_dev(self) -> bool:
        """Dev and test stages run on moto; they get the dev clock and dev routes."""
        return self.stage in ("dev", "test")

    def table_name(self, base: str) -> str:
        return f"{self.table_prefix}{base}"

    def bucket_name(self, base: str) -> str:
        return f"{self.bucket_prefix}{base}"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def load_settings() -> Settings:
    """Read and check the environment (not cached: tests change it)."""
    stage = _env("APP_STAGE")
    if stage not in STAGES:  # fails closed: an unset stage is an error, never dev
        raise SettingsError(f"APP_STAGE must be one of {STAGES}, got {stage!r}")
    endpoint = _env("AWS_ENDPOINT_URL")
    if stage == "prod" and endpoint:
        raise SettingsError("AWS_ENDPOINT_URL must not be set in prod")
    if stage != "prod" and not endpoint:
        raise SettingsError("AWS_ENDPOINT_URL (the moto server) is required outside prod")
    return Settings(
        stage=stage,
        region=_env("AWS_REGION", _env("AWS_DEFAULT_REGION", DEFAULT_REGION)) or DEFAULT_REGION,
        endpoint_url=endpoint,
        table_prefix=_env("TABLE_PREFIX", f"lsc-{stage}-") or "",
        bucket_prefix=_env("BUCKET_PREFIX", f"lsc-{stage}-") or "",
        user_pool_name=_env("USER_POOL_NAME", f"lsc-{stage}-users") or "",
        user_pool_id=_env("USER_POOL_ID"),
        user_pool_client_id=_env("USER_POOL_CLIENT_ID"),
        mail_sender=_env("MAIL_SENDER", "noreply@lsc.example.org") or "",
        public_base_url=(_env("PUBLIC_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/"),
        log_level=_env("LOG_LEVEL", "INFO") or "INFO",
        payment_secrets_prefix=_env("PAYMENT_SECRETS_PREFIX", f"/lsc/{stage}/payments/") or "",
        dev_keys_dir=_env("DEV_KEYS_DIR", ".dev/keys") or ".dev/keys",
        mediaconvert_role_arn=_env("MEDIACONVERT_ROLE_ARN"),
        sms_sign_name=_env("SMS_SIGN_NAME", "中国图书馆学会") or "",
        sms_template_code=_env("SMS_TEMPLATE_CODE", "") or "",
        sms_secret_name=_env("SMS_SECRET_NAME", f"/lsc/{stage}/sms/aliyun") or "",
        mfa_key_id=_env("MFA_KMS_KEY_ID", f"alias/lsc-{stage}-staff-mfa") or "",
    )


def dev_routes_enabled() -> bool:
    """Read once at import of app.py: the dev routes (and the payment simulators) exist only
    when the stage says dev or test explicitly; anything else (unset included, which
    load_settings refuses outright) gets none of them."""
    return _env("APP_STAGE") in ("dev", "test")
