"""Course videos in production.

`VideoPackaging`: the role AWS Elemental MediaConvert packages uploads with
(chalicelib/learning/packaging.MediaConvertPackager: HLS, 6-second segments, AES-128 with
a static key the platform keeps): it reads `uploads/*` of the private videos bucket and
writes `*/hls/*`; `grant_submit(fn)` lets the API/jobs Lambda create and read jobs and pass
the role. Its ARN goes into the Lambda environment as MEDIACONVERT_ROLE_ARN.

`VideoDelivery` (optional, CloudFront delivery; chalicelib/learning/video.py's
CloudFrontVideoSigner): a distribution in front of the private videos bucket (origin
access control) that serves only URLs signed with the key group's key; the HLS segments of
a playlist share one custom-policy signature for their prefix (`<prefix>*`). hls.js fetches
segments with XHR from the web origin, hence the CORS response headers. Made when
`lsc:videoPublicKeyFile` names the public half of the signing key pair; the private half
goes into the secret by hand, and the edition's `video_delivery` names the outputs.
Without it, segments are S3 presigned GETs, and the videos bucket needs a CORS rule for
GET (segments) and POST (the admin's presigned upload) from the web origin."""
from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, RemovalPolicy, SecretValue, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
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
                # hls.js loads segments by XHR from the web origin; the URL's signature is
                # what grants access, the CORS answer only lets the page read the bytes
                response_headers_policy=cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS,
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


class VideoPackaging(Construct):
    """The MediaConvert role (uploads in, encrypted HLS out) and the grant to submit jobs."""

    def __init__(self, scope: Construct, construct_id: str, *, bucket: s3.IBucket,
                 key: kms.IKey | None = None) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(self, "MediaConvertRole",
                             assumed_by=iam.ServicePrincipal("mediaconvert.amazonaws.com"),
                             description="LSC: package uploaded course videos as encrypted HLS")
        bucket.grant_read(self.role, "uploads/*")
        bucket.grant_put(self.role, "*/hls/*")
        if key is not None:
            key.grant_encrypt_decrypt(self.role)
        CfnOutput(scope, "MediaConvertRoleArn", value=self.role.role_arn)

    def grant_submit(self, grantee: iam.IGrantable) -> None:
        """CreateJob on the account's default queue, GetJob on its jobs, and PassRole of
        exactly this role."""
        stack = Stack.of(self)
        queue = stack.format_arn(service="mediaconvert", resource="queues", resource_name="Default")
        jobs = stack.format_arn(service="mediaconvert", resource="jobs", resource_name="*")
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["mediaconvert:CreateJob"], resources=[queue]))
        grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(
            actions=["mediaconvert:GetJob"], resources=[jobs]))
        self.role.grant_pass_role(grantee.grant_principal)
