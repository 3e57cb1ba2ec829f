"""The table definitions, from one source: the PynamoDB models. The local stack, the tests
and infra/ all create tables from `table_specs()`, so they cannot drift."""
from __future__ import annotations

import importlib
from typing import Any

from chalicelib.platform.store.base import registered_models

# Every module that defines models; importing them registers their tables.
MODEL_MODULES = (
    "chalicelib.platform.store.kv",
    "chalicelib.platform.store.uniques",
    "chalicelib.platform.store.throttle",
    "chalicelib.identity.repository",
    "chalicelib.identity.unit_repository",
    "chalicelib.identity.mfa_repository",
    "chalicelib.editions.members_repository",
    "chalicelib.editions.repository",
    "chalicelib.registration.repository",
    "chalicelib.platform.store.audit",
    "chalicelib.platform.mail.repository",
    "chalicelib.billing.repository",
    "chalicelib.invoicing.repository",
    "chalicelib.jobs.repository",
    "chalicelib.learning.repository",
    "chalicelib.certificates.repository",
)

# Tables not owned by a PynamoDB model (Powertools idempotency keeps its own records).
EXTRA_TABLES: list[dict[str, Any]] = [
    {
        "base_name": "idempotency",
        "key_schema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "attribute_definitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "global_secondary_indexes": [],
        "ttl_attribute": "expiration",
    },
]


def load_models() -> None:
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a module that exists but fails to import is a bug
                raise


def _camel(d: Any) -> Any:
    """PynamoDB's schema uses snake_case keys; CreateTable and CloudFormation use CamelCase."""
    if isinstance(d, list):
        return [_camel(x) for x in d]
    if isinstance(d, dict):
        return {"".join(p[:1].upper() + p[1:] for p in k.split("_")): _camel(v)
                for k, v in d.items()}
    return d


def table_specs() -> list[dict[str, Any]]:
    """One spec per table: base name, keys, attributes, GSIs and TTL attribute."""
    load_models()
    specs = []
    for model in registered_models():
        schema = model._get_schema()
        ttl = next((name for name, attr in model.get_attributes().items()
                    if type(attr).__name__ == "TTLAttribute"), None)
        specs.append({
            "base_name": model.Meta.base_name,  # type: ignore[attr-defined]
            "key_schema": _camel(schema["key_schema"]),
            "attribute_definitions": _camel(schema["attribute_definitions"]),
            "global_secondary_indexes": [
                {k: v for k, v in g.items() if k in ("IndexName", "KeySchema", "Projection")}
                for g in _camel(schema["global_secondary_indexes"])],
            "ttl_attribute": ttl,
        })
    specs.extend(EXTRA_TABLES)
    return specs


def create_tables(client: Any, prefix: str) -> list[str]:
    """Create every table (on-demand) with a boto3 DynamoDB client; existing ones are kept."""
    existing = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for spec in table_specs():
        name = prefix + spec["base_name"]
        if name in existing:
            continue
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": spec["key_schema"],
            "AttributeDefinitions": spec["attribute_definitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if spec["global_secondary_indexes"]:
            kwargs["GlobalSecondaryIndexes"] = spec["global_secondary_indexes"]
        client.create_table(**kwargs)
        if spec["ttl_attribute"]:
            client.update_time_to_live(TableName=name, TimeToLiveSpecification={
                "Enabled": True, "AttributeName": spec["ttl_attribute"]})
        created.append(name)
    return created
