"""Optional CloudFront delivery of the course videos (chalicelib/learning/video.py's
CloudFrontVideoSigner): a distribution in front of the private videos bucket (origin access
control) that serves only URLs signed with the key group's key. Made when
`lsc:videoPublicKeyFile` names the public half of the signing key pair; the private half
goes into the secret by hand, and the edition's `video_delivery` names the outputs."""
from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, RemovalPolicy, SecretValue
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from stacks.checks import skip


class VideoDelivery(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, bucket: s3.IBucket,
                 logs: s3.IBucket, public_key_file: str, secret_name: str, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        pem = Path(public_key_file).read_text()
        public_key = cloudfront.PublicKey(self, "PublicKey", encoded_key=pem,
                                          comment="LSC video URL signing")
        key_group = cloudfront.KeyGroup(self, "KeyGroup", items=[public_key])
        self.secret = secretsmanager.Secret(
            self, "PrivateKey", secret_name=secret_name,
            description="PEM private key matching the video distribution's public key (set by hand)",
            secret_string_value=SecretValue.unsafe_plain_text("-"),  # placeholder, no key
            encryption_key=key, removal_policy=RemovalPolicy.RETAIN)
        skip(self.secret, ("CKV2_AWS_57", "a CloudFront signing key is rotated by adding a new "
                                          "public key to the key group, by hand"))
        self.distribution = cloudfront.Distribution(
            self, "Distribution", comment="LSC course videos (signed URLs only)",
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            price_class=cloudfront.PriceClass.PRICE_CLASS_ALL,
            enable_logging=True, log_bucket=logs, log_file_prefix="cloudfront-videos/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                trusted_key_groups=[key_group]))
        skip(self.distribution,
             ("CKV_AWS_68", "signed URLs only; WAF is optional (docs/deploy.md)"),
             ("CKV_AWS_310", "one private origin; no failover needed for streaming"),
             ("CKV_AWS_174", "TLSv1.2_2021 is set; the check does not see it without an alias"),
             ("CKV2_AWS_47", "WAF (and its Log4j rule set) is optional: no Java anywhere"),
             ("CKV2_AWS_42", "served on the CloudFront domain; signed URLs carry no cookies"),
             ("CKV2_AWS_32", "video bytes only; the site's pages carry the security headers"))
        CfnOutput(scope, "VideoCloudFrontDomain", value=self.distribution.distribution_domain_name)
        CfnOutput(scope, "VideoKeyPairId", value=public_key.public_key_id)
        CfnOutput(scope, "VideoPrivateKeySecret", value=secret_name)
