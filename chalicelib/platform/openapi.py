"""The OpenAPI 3 document, built from the routes' own declarations (routes/http.py)."""
from __future__ import annotations

import re
from typing import Any

import pydantic

from chalicelib.platform.http import REGISTRY

ERROR_SCHEMA = {"type": "object", "required": ["Code", "Message"],
                "properties": {"Code": {"type": "string"}, "Message": {"type": "string"}}}


def _schema(model: Any, components: dict[str, Any]) -> dict[str, Any]:
    if model is None:
        return {"type": "object"}
    if isinstance(model, dict):
        return model
    if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            components[name] = sub
        components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}
    raise TypeError(f"unsupported schema: {model!r}")


def build_document(title: str = "中国图书馆学会在职培训平台 API", version: str = "1.0") -> dict[str, Any]:
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for spec in REGISTRY.routes:
        op: dict[str, Any] = {"summary": spec.summary, "operationId": _op_id(spec.method, spec.path),
                              "tags": list(spec.tags) or ["misc"], "responses": {}}
        params = [{"name": n, "in": "path", "required": True,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 64}}
                  for n in re.findall(r"{(\w+)}", spec.path)]
        if spec.query is not None:
            qschema = spec.query.model_json_schema()
            for name, prop in qschema.get("properties", {}).items():
                params.append({"name": name, "in": "query",
                               "required": name in qschema.get("required", []),
                               "schema": _nullable_to_plain(prop)})
        if params:
            op["parameters"] = params
        if spec.body is not None:
            content = {ct: {"schema": _schema(spec.body, components)} for ct in spec.content_types}
            op["requestBody"] = {"required": True, "content": content}
        op["responses"][str(spec.status)] = {
            "description": "成功",
            "content": {spec.media_type: {"schema": _schema(spec.response, components)}}}
        errors = {400, *spec.errors}
        if spec.roles:
            op["security"] = [{"bearer": []}]
            errors |= {401, 403}
        for status in sorted(errors):
            op["responses"][str(status)] = {
                "description": "错误", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}
        paths.setdefault(spec.path, {})[spec.method.lower()] = op
    return {"openapi": "3.1.0", "info": {"title": title, "version": version},
            "paths": paths,
            "components": {"schemas": components, "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}}


def _nullable_to_plain(prop: dict[str, Any]) -> dict[str, Any]:
    """Query parameters: `anyOf [X, null]` becomes X (absent means null)."""
    drop = {"anyOf", "title"} | ({"default"} if prop.get("default") is None else set())
    if "anyOf" in prop:
        options = [p for p in prop["anyOf"] if p.get("type") != "null"]
        if len(options) == 1:
            return {**options[0], **{k: v for k, v in prop.items() if k not in drop}}
    return {k: v for k, v in prop.items() if k not in drop}


def _op_id(method: str, path: str) -> str:
    words = re.sub(r"[{}]", "", path).strip("/").replace("/", "_").replace("-", "_")
    return f"{method.lower()}_{words or 'root'}"
