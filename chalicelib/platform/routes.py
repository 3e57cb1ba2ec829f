"""The platform's own routes: health and the OpenAPI document."""
from __future__ import annotations

from typing import Any, Callable

from chalice import Blueprint

from chalicelib.platform.errors import RetryLaterError
from chalicelib.platform.http import Ctx, route
from chalicelib.platform.observability import logger
from chalicelib.platform.schemas import Ok
from chalicelib.platform.store.kv import get_value

bp = Blueprint(__name__)


PARTS = {"storage": "存储", "identity": "身份认证"}


@route(bp, "/health", summary="存储与身份认证均可达时返回 ok；否则 503 并指明不可用的部分",
       response=Ok, tags=("core",), errors=(503,))
def health(ctx: Ctx) -> dict[str, Any]:
    checks: dict[str, Callable[[], Any]] = {
        "storage": lambda: get_value("health"),  # one read: storage is reachable
        "identity": ctx.deps.identity.check,  # the pool's keys can be fetched
    }
    failing = []
    for part, check in checks.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - whatever the fault, the part is down
            logger.warning("health check failed", extra={"part": part, "error": repr(exc)[:300]})
            failing.append(part)
    if failing:
        names = "、".join(PARTS[p] for p in failing)
        raise RetryLaterError(f"{names}暂不可用，请稍后重试", code="RETRY_LATER",
                              unavailable=failing)
    return {"status": "ok"}


@route(bp, "/openapi.json", summary="本 API 的 OpenAPI 3 文档", tags=("core",))
def openapi(ctx: Ctx) -> dict[str, Any]:
    from chalicelib.platform.openapi import build_document  # every route's models: only here
    return build_document()
