"""Checkov suppressions, written next to the resource they concern, each with its reason."""
from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import IAspect
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct


def skip(construct: IConstruct | Any, *checks: tuple[str, str]) -> None:
    """Add `Metadata.checkov.skip` entries (id, reason) to a CloudFormation resource.
    `construct` is an L2 construct (its default child is used) or a CfnResource."""
    cfn = getattr(construct, "node", None) and construct.node.default_child or construct
    if cfn is None:
        cfn = construct
    existing = cfn.get_metadata("checkov") or {"skip": []}
    ids = {s["id"] for s in existing["skip"]}
    for check_id, reason in checks:
        if check_id not in ids:
            existing["skip"].append({"id": check_id, "comment": reason})
    cfn.add_metadata("checkov", existing)


def lint_ignore(cfn: Any, *rules: str) -> None:
    """cfn-lint's resource-level ignore (Metadata.cfn-lint.config.ignore_checks)."""
    existing = cfn.get_metadata("cfn-lint") or {"config": {"ignore_checks": []}}
    existing["config"]["ignore_checks"] = sorted({*existing["config"]["ignore_checks"], *rules})
    cfn.add_metadata("cfn-lint", existing)


@jsii.implements(IAspect)
class CdkInternalFunctions:
    """CDK's own helper functions (the BucketDeployment that publishes web/) are not ours
    to reshape; their findings are suppressed here, each with its reason."""

    def visit(self, node: IConstruct) -> None:
        if "Custom::CDKBucketDeployment" not in node.node.path:
            return
        if isinstance(node, lambda_.CfnFunction):
            skip(node,
                 ("CKV_AWS_116", "CloudFormation custom resource: invoked synchronously once "
                                 "per deploy; a failure fails the deploy"),
                 ("CKV_AWS_117", "CDK's deploy-time helper copies assets between S3 buckets"),
                 ("CKV_AWS_115", "runs once per deploy"),
                 ("CKV_AWS_173", "its environment holds no secrets"))
            lint_ignore(node, "W3005")  # CDK's own DependsOn on its role
        elif isinstance(node, iam.CfnPolicy):
            skip(node, ("CKV_AWS_111", "CDK's BucketDeployment policy: writes only to the web "
                                       "bucket and reads the CDK asset bucket"))
