"""The API stage sits behind a web ACL with rate-based rules per address on /auth/*, the
webhooks and everything (issue 14, item 5)."""
from __future__ import annotations

from typing import Any


def _resources(template: Any, kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_the_api_stage_has_rate_rules_on_auth_and_webhooks(template: Any) -> None:
    [acl] = _resources(template, "AWS::WAFv2::WebACL").values()
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL" and "Allow" in props["DefaultAction"]
    rules = {r["Name"]: r for r in props["Rules"]}
    assert set(rules) == {"known-bad-inputs", "auth-per-ip", "webhooks-per-ip", "all-per-ip"}
    for name, prefix in (("auth-per-ip", "/auth/"), ("webhooks-per-ip", "/webhooks/")):
        rate = rules[name]["Statement"]["RateBasedStatement"]
        assert rate["AggregateKeyType"] == "IP" and rate["EvaluationWindowSec"] == 300
        match = rate["ScopeDownStatement"]["ByteMatchStatement"]
        assert (match["SearchString"], match["PositionalConstraint"]) == (prefix, "STARTS_WITH")
        assert "Block" in rules[name]["Action"]
    [assoc] = _resources(template, "AWS::WAFv2::WebACLAssociation").values()
    arn = assoc["Properties"]["ResourceArn"]["Fn::Sub"]
    assert arn[0].endswith("/restapis/${Api}/stages/${Stage}")
    assert arn[1]["Stage"] == {"Ref": "RestAPI.Stage"}  # SAM's generated stage (api)


def test_functions_can_read_the_sms_secret(template: Any) -> None:
    secrets = [v for v in _resources(template, "AWS::SecretsManager::Secret").values()
               if v["Properties"].get("Name") == "/lsc/prod/sms/aliyun"]
    assert len(secrets) == 1
