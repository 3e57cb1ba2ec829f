"""What differs between deployments: read once from CDK context (cdk.json or `-c key=value`),
with defaults that let `make synth` run offline with no account."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DUMMY_ACCOUNT = "123456789012"  # offline synthesis only; a deploy uses the caller's account
DEFAULT_REGION = "ap-southeast-1"  # Cognito user pools + SES + CloudFront: see docs/deploy.md


@dataclass(frozen=True)
class StageConfig:
    stage: str
    account: str
    region: str
    mail_domain: str
    mail_sender: str
    domain_name: str | None  # the site's own name (CloudFront alias), e.g. peixun.example.org
    certificate_arn: str | None  # ACM certificate in us-east-1 for domain_name
    public_base_url: str | None  # overrides https://<domain_name>
    alarm_email: str | None
    video_public_key_file: str | None = None  # enables CloudFront video delivery
    cognito_mail_via_ses: bool = False  # true once the SES domain is verified (docs/deploy.md)
    log_level: str = "INFO"
    api_memory_mb: int = 1024
    jobs_memory_mb: int = 1024
    api_timeout_s: int = 29  # API Gateway's own limit
    jobs_timeout_s: int = 300

    @property
    def stack_name(self) -> str:
        return f"lsc-{self.stage}"

    @property
    def table_prefix(self) -> str:  # .chalice/config.json's TABLE_PREFIX has the same shape
        return f"lsc-{self.stage}-"

    @property
    def user_pool_name(self) -> str:
        return f"lsc-{self.stage}-users"

    @property
    def video_key_secret_name(self) -> str:
        return f"/lsc/{self.stage}/video/cloudfront-private-key"

    @property
    def payment_secrets_prefix(self) -> str:
        return f"/lsc/{self.stage}/payments/"


def _ctx(get: Any, key: str, default: Any = None) -> Any:
    value = get(f"lsc:{key}")
    return default if value in (None, "") else value


def load_config(get: Any, stage: str, account: str | None, region: str | None) -> StageConfig:
    """`get` is app.node.try_get_context."""
    mail_domain = _ctx(get, "mailDomain", "lsc.example.org")
    return StageConfig(
        stage=stage,
        account=account or DUMMY_ACCOUNT,
        region=region or _ctx(get, "region", DEFAULT_REGION),
        mail_domain=mail_domain,
        mail_sender=_ctx(get, "mailSender", f"noreply@{mail_domain}"),
        domain_name=_ctx(get, "domainName"),
        certificate_arn=_ctx(get, "certificateArn"),
        public_base_url=_ctx(get, "publicBaseUrl"),
        alarm_email=_ctx(get, "alarmEmail"),
        video_public_key_file=_ctx(get, "videoPublicKeyFile"),
        cognito_mail_via_ses=str(_ctx(get, "cognitoMailViaSes", "false")).lower() == "true",
        log_level=_ctx(get, "logLevel", "INFO"),
    )
