"""AWS WAF in front of the API stage: rate-based rules per client address on the sign-in and
sign-up routes (/auth/*), on the providers' webhooks, and on everything, so floods stop
before they reach a Lambda. The application's own counters (platform/store/throttle.py)
still limit per account and phone; these rules only bound what one address can send."""
from __future__ import annotations

from aws_cdk import Fn
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

WINDOW_S = 300  # WAF evaluates rate-based rules over this window
# requests per address per WINDOW_S (a library office shares one address: generous)
AUTH_LIMIT = 300
WEBHOOK_LIMIT = 1000
ALL_LIMIT = 5000


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True)


def _path_starts(prefix: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH", search_string=prefix,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(
                priority=0, type="LOWERCASE")]))


def _rate_rule(name: str, priority: int, limit: int,
               scope: wafv2.CfnWebACL.StatementProperty | None) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority, action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                aggregate_key_type="IP", limit=limit, evaluation_window_sec=WINDOW_S,
                scope_down_statement=scope)),
        visibility_config=_visibility(name))


class ApiFirewall(Construct):
    """A regional web ACL with the rate rules, associated with the API Gateway stage."""

    def __init__(self, scope: Construct, construct_id: str, *, rest_api: object) -> None:
        super().__init__(scope, construct_id)
        known_bad = wafv2.CfnWebACL.RuleProperty(  # AWS's set: Log4j/JNDI probes and the like
            name="known-bad-inputs", priority=0,
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name="AWSManagedRulesKnownBadInputsRuleSet")),
            visibility_config=_visibility("known-bad-inputs"))
        self.acl = wafv2.CfnWebACL(
            self, "Acl", scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("lsc-api"),
            rules=[known_bad,
                   _rate_rule("auth-per-ip", 1, AUTH_LIMIT, _path_starts("/auth/")),
                   _rate_rule("webhooks-per-ip", 2, WEBHOOK_LIMIT, _path_starts("/webhooks/")),
                   _rate_rule("all-per-ip", 3, ALL_LIMIT, None)])
        # "<api>.Stage" is SAM's reference to the stage it generates: the association waits
        # for the stage itself, not only for the API.
        stage_ref = Fn.ref(f"{rest_api.logical_id}.Stage")  # type: ignore[attr-defined]
        stage_arn = Fn.sub("arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/"
                           "${Api}/stages/${Stage}", {"Api": rest_api.ref, "Stage": stage_ref})  # type: ignore[attr-defined]
        wafv2.CfnWebACLAssociation(self, "Association", resource_arn=stage_arn,
                                   web_acl_arn=self.acl.attr_arn)
