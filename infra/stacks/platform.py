"""One stage of the platform in one stack: data, storage, identity, mail, secrets, the
Chalice app (API + schedules), the web front end and the alarms."""
from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Annotations, Aspects, Aws, CfnOutput, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from constructs import Construct

from chalicelib.billing.states import ONLINE
from stacks.api import AppResources, ChaliceApi
from stacks.checks import CdkInternalFunctions, skip
from stacks.config import StageConfig
from stacks.data import build_tables
from stacks.identity import build_user_pool, wire_custom_auth
from stacks.monitoring import Monitoring
from stacks.storage import build_buckets
from stacks.waf import ApiFirewall
from stacks.web import Web

ROOT = Path(__file__).resolve().parents[2]
UNCONFIGURED_URL = "https://unconfigured.invalid"


class PlatformStack(Stack):
    def __init__(self, scope: Construct, cfg: StageConfig, **kwargs: object) -> None:
        # The stack's id is the stage: Chalice's construct takes its stage name from it.
        super().__init__(scope, cfg.stage, stack_name=cfg.stack_name,
                         description=f"LSC in-service training platform ({cfg.stage})", **kwargs)
        self.cfg = cfg
        self.key = kms.Key(self, "DataKey", alias=f"alias/lsc-{cfg.stage}-data", enable_key_rotation=True,
                           description="LSC tables, payment secrets and alarm topic",
                           removal_policy=RemovalPolicy.RETAIN)
        self.key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"]))

        self.tables = build_tables(self, cfg.table_prefix, self.key)
        # Bucket names carry the account and region: S3 names are global.
        self.bucket_prefix = f"lsc-{cfg.stage}-{cfg.account}-{cfg.region}-"
        self.buckets, self.logs_bucket = build_buckets(self, self.bucket_prefix)

        self.mail_identity = ses.EmailIdentity(self, "MailIdentity",
                                               identity=ses.Identity.domain(cfg.mail_domain))
        self.ses_identity_arn = (f"arn:{Aws.PARTITION}:ses:{Aws.REGION}:{Aws.ACCOUNT_ID}:"
                                 f"identity/{cfg.mail_domain}")
        # Cognito can send through SES only once the domain is verified (DKIM records in
        # DNS after the first deploy); until then it uses its own sender (50 mails a day).
        self.user_pool, self.user_pool_client = build_user_pool(
            self, cfg.user_pool_name, cfg.mail_sender if cfg.cognito_mail_via_ses else None,
            cfg.region)
        if not cfg.cognito_mail_via_ses:
            Annotations.of(self).add_warning_v2(
                "lsc:cognitoMailViaSes", "Cognito sends its verification mails itself (50 a "
                "day) until lsc:cognitoMailViaSes=true, after the SES domain is verified")

        self.secrets = {}
        for channel in ONLINE:
            secret = secretsmanager.Secret(
                self, f"PaymentKeys{channel.capitalize()}",
                secret_name=f"{cfg.payment_secrets_prefix}{channel}",
                description=f"{channel} merchant keys (JSON; see chalicelib/billing/providers/keys.py). "
                            "Set by hand before go-live: docs/deploy.md",
                secret_string_value=SecretValue.unsafe_plain_text("{}"),  # placeholder, no secret
                encryption_key=self.key, removal_policy=RemovalPolicy.RETAIN)
            skip(secret, ("CKV2_AWS_57", "provider keys are issued by Alipay/WeChat Pay and "
                                         "rotated by hand in their consoles, then here"))
            self.secrets[channel] = secret
        # 诺诺开放平台 (e-invoices): app key, secret, access token, seller tax number (JSON; see
        # chalicelib/invoicing/credentials.py), under the same prefix the app reads.
        tax = secretsmanager.Secret(
            self, "TaxProviderKeys", secret_name=f"{cfg.payment_secrets_prefix}nuonuo",
            description="诺诺开放平台 credentials (JSON; see chalicelib/invoicing/credentials.py). "
                        "Set by hand before go-live: docs/jobs-and-invoices.md",
            secret_string_value=SecretValue.unsafe_plain_text("{}"),  # placeholder, no secret
            encryption_key=self.key, removal_policy=RemovalPolicy.RETAIN)
        skip(tax, ("CKV2_AWS_57", "the app key and token are issued in the 诺诺 console and "
                                  "renewed by hand there, then here"))
        self.secrets["nuonuo"] = tax

        # Alibaba Cloud SMS AccessKey (identity/sms_aliyun.py): {"access_key_id", "access_key_secret"}
        sms_secret_name = f"/lsc/{cfg.stage}/sms/aliyun"
        self.sms_secret = secretsmanager.Secret(
            self, "SmsKeys", secret_name=sms_secret_name,
            description="Alibaba Cloud SMS AccessKey (JSON; see chalicelib/identity/sms_aliyun.py). "
                        "Set by hand before go-live: docs/identity.md",
            secret_string_value=SecretValue.unsafe_plain_text("{}"),  # placeholder, no secret
            encryption_key=self.key, removal_policy=RemovalPolicy.RETAIN)
        skip(self.sms_secret, ("CKV2_AWS_57", "the AccessKey is issued in the Alibaba Cloud "
                                              "console and rotated by hand there, then here"))

        # Optional: course videos through CloudFront signed URLs (the edition chooses).
        self.video = None
        secret_arns = [s.secret_arn for s in self.secrets.values()] + [self.sms_secret.secret_arn]
        if cfg.video_public_key_file:
            from stacks.video import VideoDelivery
            self.video = VideoDelivery(self, "Video", bucket=self.buckets["videos"],
                                       logs=self.logs_bucket,
                                       public_key_file=cfg.video_public_key_file,
                                       secret_name=cfg.video_key_secret_name, key=self.key)
            secret_arns.append(self.video.secret.secret_arn)

        # Course videos packaged as encrypted HLS by MediaConvert (learning/packaging.py)
        from stacks.video import VideoPackaging
        self.video_packaging = VideoPackaging(self, "VideoPackaging", bucket=self.buckets["videos"])

        self.public_base_url = cfg.public_base_url or (
            f"https://{cfg.domain_name}" if cfg.domain_name else UNCONFIGURED_URL)
        if self.public_base_url == UNCONFIGURED_URL:
            Annotations.of(self).add_warning_v2(
                "lsc:publicBaseUrl", "PUBLIC_BASE_URL is not configured: set lsc:domainName "
                "(+ lsc:certificateArn) or lsc:publicBaseUrl (the WebUrl output) and deploy again")

        environment = {
            "APP_STAGE": cfg.stage,
            "TABLE_PREFIX": cfg.table_prefix,
            "BUCKET_PREFIX": self.bucket_prefix,
            "USER_POOL_NAME": cfg.user_pool_name,
            "USER_POOL_ID": self.user_pool.user_pool_id,
            "USER_POOL_CLIENT_ID": self.user_pool_client.user_pool_client_id,
            "MAIL_SENDER": cfg.mail_sender,
            "PUBLIC_BASE_URL": self.public_base_url,
            "PAYMENT_SECRETS_PREFIX": cfg.payment_secrets_prefix,
            "LOG_LEVEL": cfg.log_level,
            # SMS sign name and template as registered with Alibaba Cloud (docs/identity.md)
            "SMS_SIGN_NAME": self.node.try_get_context("lsc:smsSignName") or "中国图书馆学会",
            "SMS_TEMPLATE_CODE": self.node.try_get_context("lsc:smsTemplateCode") or "",
            "SMS_SECRET_NAME": sms_secret_name,
            # staff TOTP secrets are sealed with the platform's data key (identity/mfa.py)
            "MFA_KMS_KEY_ID": self.key.key_arn,
            "MEDIACONVERT_ROLE_ARN": self.video_packaging.role.role_arn,
        }
        self.api = ChaliceApi(
            self, "Api", stage=cfg.stage, environment=environment,
            res=AppResources(tables=self.tables, buckets=self.buckets, key=self.key,
                             secret_arns=secret_arns,
                             user_pool_arn=self.user_pool.user_pool_arn,
                             ses_identity_arn=self.ses_identity_arn, mail_sender=cfg.mail_sender),
            api_memory_mb=cfg.api_memory_mb, jobs_memory_mb=cfg.jobs_memory_mb,
            api_timeout_s=cfg.api_timeout_s, jobs_timeout_s=cfg.jobs_timeout_s)
        # login by SMS code: the pool's challenge triggers are the app's auth_challenge
        (trigger,) = [lid for lid, kind in self.api.function_kinds.items() if kind == "trigger"]
        wire_custom_auth(self, self.user_pool, self.api.chalice.get_resource(trigger))
        # rate-based rules per address on /auth/*, the webhooks and everything (issue 14)
        self.firewall = ApiFirewall(self, "Firewall", rest_api=self.api.rest_api)
        rest_api_id = self.api.rest_api.ref
        api_domain = f"{rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"

        self.web = Web(self, "Web", api_domain=api_domain, logs=self.logs_bucket,
                       domain_name=cfg.domain_name, certificate_arn=cfg.certificate_arn)
        self.video_packaging.grant_submit(self.api.roles["jobs"])  # the package_videos step
        # hls.js fetches the signed segments by XHR; admins upload videos by presigned POST.
        self.buckets["videos"].add_cors_rule(
            allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.POST],
            allowed_origins=[self.public_base_url, self.web.url], allowed_headers=["*"], max_age=3000)
        # Browsers upload payment vouchers straight to S3 with a presigned POST.
        self.buckets["vouchers"].add_cors_rule(
            allowed_methods=[s3.HttpMethods.POST], allowed_origins=[self.public_base_url, self.web.url],
            allowed_headers=["*"], max_age=3000)

        app_name = json.loads((ROOT / ".chalice" / "config.json").read_text())["app_name"]
        self.monitoring = Monitoring(
            self, "Monitoring", key=self.key,
            functions={lid: (kind, self.api.chalice.get_resource(lid))
                       for lid, kind in self.api.function_kinds.items()},
            tables=self.tables, api_name=app_name, api_stage="api", alarm_email=cfg.alarm_email)

        Aspects.of(self).add(CdkInternalFunctions())

        CfnOutput(self, "WebUrl", value=self.web.url)
        CfnOutput(self, "PublicBaseUrl", value=self.public_base_url)
        CfnOutput(self, "ApiUrl", value=f"https://{api_domain}/api/")
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        CfnOutput(self, "WebBucket", value=self.web.bucket.bucket_name)
        CfnOutput(self, "DistributionId", value=self.web.distribution.distribution_id)
        CfnOutput(self, "AlarmTopic", value=self.monitoring.topic.topic_arn)
        for i, record in enumerate(self.mail_identity.dkim_records):
            CfnOutput(self, f"DkimCname{i + 1}", value=f"{record.name} CNAME {record.value}")
