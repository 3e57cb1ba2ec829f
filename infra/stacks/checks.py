"""Checkov suppressions, written next to the resource they concern, each with its reason."""
from __future__ import annotations

from typing import Any

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
