"""The static front end (web/) in a private S3 bucket behind CloudFront with origin access
control. The same distribution forwards /api/* to the API (the web calls it same-origin,
so no CORS) and /webhooks/* to the API's webhook routes, so PUBLIC_BASE_URL is one name for
the site, the payment notifications and the links in mails and certificates."""
from __future__ import annotations

import re
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from stacks.checks import skip

ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = ROOT / "web"
API_STAGE_PATH = "/api"  # the Chalice API Gateway stage
API_BASE = "/api"  # what the browser prefixes to API paths (web/config.js API_BASE)


def config_js(source: str, api_base: str) -> str:
    """web/config.js with API_BASE set for this deployment; every other setting kept."""
    text, count = re.subn(r'export const API_BASE = [^;]*;', f'export const API_BASE = "{api_base}";',
                          source)
    if count != 1:
        raise ValueError("web/config.js must declare `export const API_BASE = ...;` once")
    return text


class Web(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, api_domain: str,
                 logs: s3.IBucket, domain_name: str | None, certificate_arn: str | None) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self, "Bucket", block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED, enforce_ssl=True, versioned=True,
            server_access_logs_bucket=logs, server_access_logs_prefix="web/",
            lifecycle_rules=[s3.LifecycleRule(id="tidy", noncurrent_version_expiration=Duration.days(30),
                                              abort_incomplete_multipart_upload_after=Duration.days(1))],
            removal_policy=RemovalPolicy.RETAIN)
        skip(self.bucket,
             ("CKV_AWS_145", "public static files; SSE-S3 is enough and CloudFront's OAC "
                             "reads them without a KMS grant"),
             ("CKV_AWS_144", "the site is rebuilt from git on every deploy; no replication"))

        api_settings = dict(
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER)
        api_origin = origins.HttpOrigin(api_domain, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY)
        webhook_origin = origins.HttpOrigin(api_domain, origin_path=API_STAGE_PATH,
                                            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY)
        certificate = (acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
                       if certificate_arn else None)
        self.distribution = cloudfront.Distribution(
            self, "Distribution",
            comment="LSC in-service training: web + API",
            default_root_object="index.html",
            domain_names=[domain_name] if domain_name and certificate else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,  # includes edges near China
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True, log_bucket=logs, log_file_prefix="cloudfront/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS),
            additional_behaviors={
                f"{API_BASE}/*": cloudfront.BehaviorOptions(origin=api_origin, **api_settings),
                "/webhooks/*": cloudfront.BehaviorOptions(origin=webhook_origin, **api_settings),
            })
        skip(self.distribution,
             ("CKV_AWS_68", "WAF is optional (docs/deploy.md); API Gateway throttles"),
             ("CKV_AWS_310", "one origin per path; an S3 failover origin adds nothing for a "
                             "site rebuilt from git"),
             ("CKV_AWS_174", "TLSv1.2_2021 is set; the check does not see it without an alias"),
             ("CKV2_AWS_47", "WAF (and its Log4j rule set) is optional: no Java anywhere"),
             ("CKV2_AWS_42", "a custom certificate is used when lsc:domainName is set"),
             ("CKV2_AWS_32", "the SECURITY_HEADERS managed policy is attached to the site"))

        config = config_js((WEB_DIR / "config.js").read_text("utf-8"), API_BASE)
        self.deployment = s3deploy.BucketDeployment(
            self, "Publish", destination_bucket=self.bucket,
            sources=[s3deploy.Source.asset(str(WEB_DIR), exclude=["config.js"]),
                     s3deploy.Source.data("config.js", config)],
            distribution=self.distribution, distribution_paths=["/*"], prune=True,
            memory_limit=256)

    @property
    def url(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}"
