"""The pure parts of infra/: web config, gateway responses, function classification,
the synthesis cache key. Fast: no synthesis."""
from __future__ import annotations

import json

import pytest

import tests.infra.conftest  # noqa: F401  (puts infra/ on sys.path)


def test_config_js_sets_the_api_base_and_keeps_the_rest():
    from stacks.web import WEB_DIR, config_js
    source = (WEB_DIR / "config.js").read_text("utf-8")
    out = config_js(source, "/api")
    assert 'export const API_BASE = "/api";' in out
    assert out.replace('"/api"', '""') == source.replace(
        source[source.index("export const API_BASE"):source.index(";", source.index("export const API_BASE"))],
        'export const API_BASE = ""')
    with pytest.raises(ValueError):
        config_js("export const OTHER = 1;", "/api")


def test_gateway_responses_are_json_in_the_contract_shape():
    from stacks.api import gateway_responses
    responses = gateway_responses()
    body = json.loads(responses["UNAUTHORIZED"]["ResponseTemplates"]["application/json"])
    assert body == {"Code": "UNAUTHORIZED", "Message": "请先登录"}
    assert responses["ACCESS_DENIED"]["StatusCode"] == 403
    assert "StatusCode" not in responses["DEFAULT_4XX"]  # keeps the gateway's own status


def test_functions_are_classified_by_handler_and_authorizer_reference():
    from stacks.api import classify
    sam = {"Resources": {
        "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.app"}},
        "JwtAuthorizer": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "x.auth"}},
        "ScheduledJobs": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.jobs"}},
        "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {"DefinitionBody": {
            "securityDefinitions": {"a": {"x-amazon-apigateway-authorizer": {"authorizerUri": {
                "Fn::Sub": "arn:...:functions/${JwtAuthorizer.Arn}/invocations"}}}}}}},
    }}
    assert classify(sam) == {"APIHandler": "api", "JwtAuthorizer": "authorizer", "ScheduledJobs": "jobs"}


def test_synth_cache_key_follows_inputs_and_context():
    from synth import inputs_hash
    assert inputs_hash("prod", {}) == inputs_hash("prod", {})
    assert inputs_hash("prod", {}) != inputs_hash("prod", {"lsc:domainName": "x.example.org"})
    assert inputs_hash("prod", {}) != inputs_hash("dev", {})


def test_user_pool_mails_through_ses_only_when_asked():
    # Given the user pool construct alone in a bare stack (no Chalice packaging)
    import aws_cdk as cdk
    from aws_cdk.assertions import Template
    from stacks.identity import build_user_pool
    app = cdk.App()
    with_ses = cdk.Stack(app, "WithSes", env=cdk.Environment(account="123456789012", region="ap-southeast-1"))
    build_user_pool(with_ses, "p", "noreply@lsc.example.org", "ap-southeast-1")
    without = cdk.Stack(app, "Without", env=cdk.Environment(account="123456789012", region="ap-southeast-1"))
    build_user_pool(without, "p", None, None)
    # Then only the first sends from our address through SES
    email = Template.from_stack(with_ses).find_resources("AWS::Cognito::UserPool")
    (pool,) = email.values()
    assert pool["Properties"]["EmailConfiguration"]["EmailSendingAccount"] == "DEVELOPER"
    assert pool["Properties"]["EmailConfiguration"]["From"] == "noreply@lsc.example.org"
    (plain,) = Template.from_stack(without).find_resources("AWS::Cognito::UserPool").values()
    assert plain["Properties"].get("EmailConfiguration", {}).get("EmailSendingAccount") != "DEVELOPER"


def test_video_distribution_serves_only_signed_urls_from_the_private_bucket(tmp_path):
    # Given a public key file and the videos bucket in a bare stack
    import aws_cdk as cdk
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_s3 as s3
    from aws_cdk.assertions import Match, Template
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from stacks.video import VideoDelivery
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "video.pub.pem").write_bytes(pem)
    stack = cdk.Stack(cdk.App(), "V", env=cdk.Environment(account="123456789012", region="ap-southeast-1"))
    bucket = s3.Bucket(stack, "Videos")
    logs = s3.Bucket(stack, "Logs", object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED)
    # When the video delivery is added
    VideoDelivery(stack, "Video", bucket=bucket, logs=logs, public_key_file=str(tmp_path / "video.pub.pem"),
                  secret_name="/lsc/prod/video/cloudfront-private-key", key=kms.Key(stack, "K"))
    template = Template.from_stack(stack)
    # Then the distribution requires the key group's signatures and reads through OAC
    template.has_resource_properties("AWS::CloudFront::Distribution", {"DistributionConfig": Match.object_like({
        "DefaultCacheBehavior": Match.object_like({"TrustedKeyGroups": [Match.any_value()],
                                                   "ViewerProtocolPolicy": "https-only"}),
        "Origins": [Match.object_like({"OriginAccessControlId": Match.any_value()})]})})
    template.has_resource_properties("AWS::CloudFront::PublicKey", {"PublicKeyConfig": Match.object_like(
        {"EncodedKey": pem.decode()})})
    template.has_resource_properties("AWS::SecretsManager::Secret",
                                     {"Name": "/lsc/prod/video/cloudfront-private-key"})
