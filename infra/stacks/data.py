"""DynamoDB tables, built from chalicelib/platform/store/tables.table_specs(): the same definitions
the local stack (moto) and the tests create, so the three cannot drift."""
from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from chalicelib.platform.store.tables import table_specs

_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER,
          "B": dynamodb.AttributeType.BINARY}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
                "INCLUDE": dynamodb.ProjectionType.INCLUDE}


def logical_id(base_name: str) -> str:
    return "Table" + "".join(p[:1].upper() + p[1:] for p in base_name.replace("-", "_").split("_"))


def _key(schema: list[dict[str, str]], types: dict[str, str], kind: str) -> dynamodb.Attribute | None:
    name = next((k["AttributeName"] for k in schema if k["KeyType"] == kind), None)
    return None if name is None else dynamodb.Attribute(name=name, type=_TYPES[types[name]])


def build_tables(scope: Construct, table_prefix: str, key: kms.IKey) -> dict[str, dynamodb.Table]:
    """One table per spec: on-demand, point-in-time recovery, deletion protection, encrypted
    with the platform key, TTL where the model has a TTLAttribute; kept on stack deletion."""
    tables: dict[str, dynamodb.Table] = {}
    for spec in table_specs():
        types = {a["AttributeName"]: a["AttributeType"] for a in spec["attribute_definitions"]}
        table = dynamodb.Table(
            scope, logical_id(spec["base_name"]),
            table_name=f"{table_prefix}{spec['base_name']}",
            partition_key=_key(spec["key_schema"], types, "HASH"),  # type: ignore[arg-type]
            sort_key=_key(spec["key_schema"], types, "RANGE"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            deletion_protection=True,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            time_to_live_attribute=spec["ttl_attribute"] or None,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for gsi in spec["global_secondary_indexes"]:
            projection: dict[str, Any] = gsi.get("Projection") or {"ProjectionType": "ALL"}
            table.add_global_secondary_index(
                index_name=gsi["IndexName"],
                partition_key=_key(gsi["KeySchema"], types, "HASH"),  # type: ignore[arg-type]
                sort_key=_key(gsi["KeySchema"], types, "RANGE"),
                projection_type=_PROJECTIONS[projection["ProjectionType"]],
                non_key_attributes=projection.get("NonKeyAttributes"),
            )
        tables[spec["base_name"]] = table
    return tables
