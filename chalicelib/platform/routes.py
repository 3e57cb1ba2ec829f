"""The platform's own routes: health and the OpenAPI document."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.platform.http import Ctx, route
from chalicelib.platform.schemas import Ok
from chalicelib.platform.store.kv import get_value

bp = Blueprint(__name__)


@route(bp, "/health", summary="存储可达时返回 ok", response=Ok, tags=("core",))
def health(ctx: Ctx) -> dict[str, Any]:
    get_value("health")  # one read: storage is reachable
    return {"status": "ok"}


@route(bp, "/openapi.json", summary="本 API 的 OpenAPI 3 文档", tags=("core",))
def openapi(ctx: Ctx) -> dict[str, Any]:
    from chalicelib.platform.openapi import build_document  # every route's models: only here
    return build_document()
