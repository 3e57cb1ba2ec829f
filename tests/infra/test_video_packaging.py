"""infra/stacks/video.py (issue 13): the MediaConvert role reads only uploads and writes only
the HLS prefixes; a Lambda granted submission may create/read jobs and pass exactly that
role; the CloudFront distribution answers CORS for hls.js's segment requests."""
from __future__ import annotations


def test_mediaconvert_role_reads_uploads_writes_hls_and_is_passed_only_by_grant(tmp_path):
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_s3 as s3
    from aws_cdk.assertions import Match, Template
    from stacks.video import VideoPackaging
    stack = cdk.Stack(cdk.App(), "P", env=cdk.Environment(account="123456789012", region="ap-southeast-1"))
    bucket = s3.Bucket(stack, "Videos")
    fn_role = iam.Role(stack, "Fn", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    # When the packaging role is made and the function granted submission
    packaging = VideoPackaging(stack, "Packaging", bucket=bucket)
    packaging.grant_submit(fn_role)
    template = Template.from_stack(stack)
    # Then MediaConvert assumes the role, which reads uploads/* and writes */hls/*
    template.has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": Match.object_like({
        "Statement": [Match.object_like({"Principal": {"Service": "mediaconvert.amazonaws.com"}})]})})
    policies = template.find_resources("AWS::IAM::Policy")
    text = str(policies)
    assert "uploads/*" in text and "*/hls/*" in text
    # And the function may create and read jobs and pass the role, nothing broader
    assert "mediaconvert:CreateJob" in text and "mediaconvert:GetJob" in text
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    mc = [s for s in statements if str(s["Action"]).startswith("mediaconvert:")]
    assert mc and all(s["Resource"] != "*" for s in mc)  # the default queue, its jobs
    assert "queues/Default" in str(mc) and "jobs/*" in str(mc)
    pass_role = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
                 if s["Action"] == "iam:PassRole"]
    assert len(pass_role) == 1 and pass_role[0]["Resource"] != "*"
    template.has_output("MediaConvertRoleArn", {})


def test_video_distribution_answers_cors_for_segment_requests(tmp_path):
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
    logs = s3.Bucket(stack, "Logs", object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED)
    VideoDelivery(stack, "Video", bucket=s3.Bucket(stack, "Videos"), logs=logs,
                  public_key_file=str(tmp_path / "video.pub.pem"),
                  secret_name="/lsc/prod/video/cloudfront-private-key", key=kms.Key(stack, "K"))
    Template.from_stack(stack).has_resource_properties("AWS::CloudFront::Distribution", {
        "DistributionConfig": Match.object_like({"DefaultCacheBehavior": Match.object_like({
            "ResponseHeadersPolicyId": Match.any_value(), "TrustedKeyGroups": [Match.any_value()]})})})
