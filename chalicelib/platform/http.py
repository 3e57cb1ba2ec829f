"""The view boundary, written once: authentication verdict, roles, JSON/body parsing into
typed models, error mapping to {"Code","Message"}, response serialisation, and the
OpenAPI registry every route declares itself into.

A route may name its models by import string ("chalicelib.editions.models:MembersIn")
instead of the class: the module is imported by the first request to that route (or by
anything reading the RouteSpec), so a cold start builds only the models of the route it
serves. The boundary imports pydantic and platform.schemas on first use too: it needs
neither for a route without a body or query model (GET /editions/current)."""
from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import TYPE_CHECKING, Any, Callable, Iterable

from chalice import AuthResponse, Blueprint, Chalice, Response

from chalicelib.platform.clock import iso, monotonic
from chalicelib.platform.errors import AppError, ForbiddenError, PayloadTooLargeError, RetryLaterError, UnauthorizedError, UnsupportedMediaTypeError, ValidationError
from chalicelib.platform.observability import logger
from chalicelib.platform.store.faults import NETWORK_ERRORS, STORAGE_ERRORS, is_transient
from chalicelib.platform.deps import Deps, get_deps
from chalicelib.platform import sessions

if TYPE_CHECKING:
    import pydantic

MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # objects/arrays inside each other: no request needs more
PUBLIC: tuple[str, ...] = ()
ANY_SIGNED_IN = ("trainee", "unit", "reviewer", "finance", "admin")

TOKEN_MESSAGES = {
    "expired": ("TOKEN_EXPIRED", "登录已过期，请重新登录"),
    "malformed": ("TOKEN_INVALID", "登录令牌格式错误，请重新登录"),
    "bad_algorithm": ("TOKEN_INVALID", "登录令牌无效，请重新登录"),
    "unknown_key": ("TOKEN_INVALID", "登录令牌无效，请重新登录"),
    "invalid_signature": ("TOKEN_INVALID", "登录令牌无效，请重新登录"),
    "wrong_client": ("TOKEN_INVALID", "登录令牌不属于本平台，请重新登录"),
    "foreign_pool": ("TOKEN_INVALID", "登录令牌不属于本平台，请重新登录"),
    "wrong_token_use": ("TOKEN_INVALID", "请使用登录返回的 id_token"),
    "missing": ("UNAUTHORIZED", "请先登录"),
}
SESSION_ENDED = ("SESSION_ENDED", "登录已失效（账号已退出、停用或注销），请重新登录")
IDENTITY_UNAVAILABLE = "unavailable"  # the verdict when the pool's keys cannot be fetched

auth_blueprint = Blueprint(__name__)


@auth_blueprint.authorizer(ttl_seconds=0)
def jwt_authorizer(auth_request: Any) -> AuthResponse:
    """Verifies the Cognito JWT (signature against the pool's JWKS, expiry, issuer, client,
    token use). Its verdict travels in the context; the view boundary turns a bad verdict
    into a 401 that names the problem, so every route answers in the API's error format."""
    token = (auth_request.token or "").strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    from chalicelib.platform.cognito import TokenError, roles_from_claims  # routes with roles only
    try:
        claims = get_deps().identity.verify(token)
    except TokenError as exc:
        logger.info("token rejected", extra={"reason": exc.reason})
        return AuthResponse(routes=["*"], principal_id="anonymous",
                            context={"auth_error": exc.reason})
    except NETWORK_ERRORS + STORAGE_ERRORS as exc:  # the identity provider is unreachable
        logger.warning("identity unavailable", extra={"error": repr(exc)[:300]})
        return AuthResponse(routes=["*"], principal_id="anonymous",
                            context={"auth_error": IDENTITY_UNAVAILABLE})
    return AuthResponse(routes=["*"], principal_id=claims["sub"], context={
        "sub": claims["sub"], "email": claims.get("email", ""),
        "roles": ",".join(roles_from_claims(claims)), "iat": str(claims.get("iat", ""))})


@dataclass
class Principal:
    sub: str
    email: str
    roles: list[str]
    issued_at: int | None = None  # the token's iat (epoch seconds)

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


@dataclass
class Ctx:
    deps: Deps
    now: datetime
    principal: Principal | None
    request: Any
    body: Any = None
    query: Any = None

    @property
    def user(self) -> Principal:
        assert self.principal is not None
        return self.principal

    @property
    def client_ip(self) -> str:
        return client_ip(self.request)


def client_ip(request: Any) -> str:
    """The caller's address as API Gateway saw it (the request context, never a header a
    client can write)."""
    identity = ((getattr(request, "context", None) or {}).get("identity") or {})
    return str(identity.get("sourceIp") or "unknown")


def resolve_model(declared: Any) -> Any:
    """A route's model as declared: the class itself, a JSON schema dict, None, or an
    import string "package.module:Name" (imported now)."""
    if not isinstance(declared, str):
        return declared
    module, sep, name = declared.partition(":")
    if not sep or not module or not name:
        raise ValueError(f"a model reference is 'package.module:Name', not {declared!r}")
    return getattr(importlib.import_module(module), name)


@dataclass
class RouteSpec:
    """What a route declares. `body`, `query` and `response` read as the models themselves
    (an import-string declaration is resolved on first read, then kept)."""
    path: str
    method: str
    summary: str
    roles: tuple[str, ...]
    declared_body: Any = None
    declared_query: Any = None
    declared_response: Any = None
    status: int = 200
    content_types: tuple[str, ...] = ("application/json",)
    tags: tuple[str, ...] = ()
    errors: tuple[int, ...] = ()
    media_type: str = "application/json"  # of the success response (files: their type)
    _resolved: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def _model(self, kind: str) -> Any:
        if kind not in self._resolved:
            self._resolved[kind] = resolve_model(getattr(self, f"declared_{kind}"))
        return self._resolved[kind]

    @property
    def body(self) -> Any:
        return self._model("body")

    @property
    def query(self) -> type[pydantic.BaseModel] | None:
        return self._model("query")  # type: ignore[no-any-return]

    @property
    def response(self) -> Any:
        return self._model("response")


@dataclass
class Registry:
    routes: list[RouteSpec] = field(default_factory=list)


REGISTRY = Registry()


def _principal(request: Any) -> Principal | None:
    ctx = (request.context or {}).get("authorizer") or {}
    if ctx.get("auth_error") == IDENTITY_UNAVAILABLE:
        raise RetryLaterError("身份认证服务暂不可用，请稍后重试")
    if ctx.get("auth_error"):
        code, message = TOKEN_MESSAGES.get(ctx["auth_error"], TOKEN_MESSAGES["invalid_signature"])
        raise UnauthorizedError(message, code=code)
    if not ctx.get("sub"):
        return None
    iat = str(ctx.get("iat") or "")
    return Principal(sub=ctx["sub"], email=ctx.get("email", ""),
                     roles=[r for r in ctx.get("roles", "").split(",") if r],
                     issued_at=int(iat) if iat.isdigit() else None)


def _field_name(loc: Iterable[Any]) -> str:
    return ".".join(str(p) for p in loc) or "body"


def _validation_error(exc: pydantic.ValidationError, where: str) -> ValidationError:
    from chalicelib.platform.schemas import field_label
    first = exc.errors()[0]
    name = _field_name(first.get("loc", ()))
    label = field_label(name)
    kind = first.get("type", "")
    if kind == "missing":
        text = f"缺少必填字段：{label}"
    elif kind == "extra_forbidden":
        text = f"不支持的字段：{label}"
    elif kind.startswith("string_too_long") or kind == "too_long":
        text = f"字段过长：{label}"
    elif kind.startswith("string_too_short") or kind == "too_short":
        text = f"字段不能为空：{label}"
    elif kind == "unsafe_text":
        text = f"{label}{first.get('msg', '')}"
    else:
        text = f"字段 {label} 无效：{_reason(kind, first)}"
    return ValidationError(text, field=name if where == "body" else f"{where}.{name}")


# pydantic's own reasons, said in Chinese (its English never reaches a trainee)
_REASONS = {
    "string_type": "须为文本", "int_type": "须为整数", "int_parsing": "须为整数",
    "int_from_float": "须为整数", "float_type": "须为数字", "float_parsing": "须为数字",
    "finite_number": "须为有限的数字", "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false", "list_type": "须为列表", "dict_type": "须为对象",
    "model_type": "须为对象", "model_attributes_type": "须为对象", "set_type": "须为列表",
    "string_pattern_mismatch": "格式不正确", "value_error": "取值无效",
    "date_parsing": "日期格式不正确（例如 2026-04-10）", "date_type": "日期格式不正确（例如 2026-04-10）",
    "date_from_datetime_parsing": "日期格式不正确（例如 2026-04-10）",
    "datetime_parsing": "时间格式不正确（例如 2026-04-10T15:30:00+08:00）",
    "datetime_type": "时间格式不正确（例如 2026-04-10T15:30:00+08:00）",
    "datetime_from_date_parsing": "时间格式不正确（例如 2026-04-10T15:30:00+08:00）",
    "url_parsing": "网址格式不正确", "url_type": "网址格式不正确", "url_scheme": "网址格式不正确",
    "uuid_parsing": "格式不正确", "decimal_parsing": "须为数字", "decimal_type": "须为数字",
    "multiple_of": "数值不符合要求", "dict_keys": "键名无效", "frozen_set_type": "须为列表",
    "union_tag_invalid": "取值无效", "arguments_type": "格式不正确",
}


def _has_cjk(text: str) -> bool:
    """Whether a CJK ideograph (U+4E00-U+9FFF) is in `text`. Not a regex: compiling the
    character class "[\u4e00-\u9fff]" takes re ~14 ms, paid by every cold start for an
    error path."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _reason(kind: str, error: Any) -> str:
    ctx = error.get("ctx") or {}
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = ctx.get({"greater_than_equal": "ge", "greater_than": "gt",
                         "less_than_equal": "le", "less_than": "lt"}[kind])
        word = {"greater_than_equal": "不能小于", "greater_than": "须大于",
                "less_than_equal": "不能大于", "less_than": "须小于"}[kind]
        return f"{word} {bound}"
    if kind in ("enum", "literal_error"):
        return f"只能是 {ctx.get('expected', '允许的取值之一')}"
    if kind in _REASONS:
        return _REASONS[kind]
    # our own validators speak Chinese ("Value error, 手机号格式不正确"); anything else does not
    msg = str(error.get("msg", "")).removeprefix("Value error, ")
    return msg if _has_cjk(msg) else "格式不正确"


def _too_deep(raw: bytes, limit: int) -> bool:
    """Whether arrays/objects nest deeper than `limit` (strings skipped), checked before the
    parser recurses into them."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def parse_json(request: Any) -> Any:
    raw = request.raw_body or b""
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLargeError(f"请求体不能超过 {MAX_JSON_BYTES // 1024} KB")
    if not raw.strip():
        raise ValidationError("请求体不能为空，需要 JSON 对象", field="body")
    if _too_deep(raw, MAX_JSON_DEPTH):
        raise ValidationError(f"请求体嵌套过深（最多 {MAX_JSON_DEPTH} 层）", field="body",
                              code="MALFORMED_JSON")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValidationError("请求体不是有效的 JSON", field="body", code="MALFORMED_JSON") from exc


def _refuse_unsafe_strings(data: Any, path: str = "") -> None:
    """Every string of a JSON body, whatever its model: no control (line breaks and tabs
    aside) or bidi characters, so no free-text field stores what breaks an export or
    reorders a certificate."""
    from chalicelib.platform.schemas import field_label, unsafe_text
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if unsafe_text(str(key)):
                raise ValidationError(f"字段名无效：{where!r}", field="body")
            _refuse_unsafe_strings(value, where)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _refuse_unsafe_strings(value, f"{path}.{i}" if path else str(i))
    elif isinstance(data, str):
        why = unsafe_text(data)
        if why:
            raise ValidationError(f"{field_label(path)}不能包含{why}", field=path)


def _parse_body(request: Any, model: Any) -> Any:
    import pydantic
    data = parse_json(request)
    if not isinstance(data, dict):
        raise ValidationError("请求体必须是 JSON 对象", field="body")
    _refuse_unsafe_strings(data)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _validation_error(exc, "body") from exc


def _parse_query(request: Any, model: Any) -> Any:
    import pydantic
    params = dict(request.query_params or {})
    try:
        return model.model_validate(params)
    except pydantic.ValidationError as exc:
        raise _validation_error(exc, "query") from exc


def _default(o: Any) -> Any:
    if isinstance(o, datetime):
        return iso(o)
    pydantic = sys.modules.get("pydantic")  # not loaded yet: `o` is no model
    if pydantic is not None and isinstance(o, pydantic.BaseModel):
        return o.model_dump(mode="json")
    if hasattr(o, "value"):  # enums
        return o.value
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, default=_default, separators=(",", ":"))
    return Response(body=body, status_code=status,
                    headers={"Content-Type": "application/json; charset=utf-8",
                             "Cache-Control": "no-store", **(headers or {})})


def error_response(exc: AppError) -> Response:
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
    return json_response(exc.body(), exc.status, headers)


def run_view(fn: Callable[[], Any]) -> Response:
    """Run a view body and map every failure once: AppError -> its status; transient AWS
    faults -> 503 RETRY_LATER (a retry helps); anything else -> logged 500."""
    try:
        return fn()  # type: ignore[no-any-return]
    except AppError as exc:
        return error_response(exc)
    except STORAGE_ERRORS + NETWORK_ERRORS as exc:
        if is_transient(exc):  # unreachable, timed out or throttled: no traceback per request
            logger.warning("transient dependency fault", extra={"error": repr(exc)[:300]})
            return error_response(RetryLaterError())
        logger.exception("storage error")
        return json_response({"Code": "INTERNAL_ERROR", "Message": "系统内部错误，请稍后重试"}, 500)


def route(bp: Blueprint | Chalice, path: str, method: str = "GET", *, summary: str,
          roles: tuple[str, ...] = PUBLIC, body: Any = None,
          query: type[pydantic.BaseModel] | str | None = None, response: Any = None,
          status: int = 200, content_types: tuple[str, ...] = ("application/json",),
          raw: bool = False, tags: tuple[str, ...] = (), errors: tuple[int, ...] = (),
          media_type: str = "application/json") -> Callable:
    """Declare a JSON route. The view gets a Ctx (deps, now, principal, body, query) and the
    path parameters; it returns data (serialised with `status`) or a chalice Response.
    `roles`: empty = public; otherwise the caller needs one of them. `raw=True` leaves the
    body unparsed (providers' webhooks, file uploads). `media_type`: of a success answer
    that is a file, not JSON. `body`, `query`, `response`: the model, or its import string
    "package.module:Name" (resolved by the route's first request: module docstring)."""
    if body is not None or raw:  # the boundary (or the gateway) refuses big or mistyped bodies
        errors = tuple(sorted({*errors, 413, 415}))
    spec = RouteSpec(path=path, method=method, summary=summary, roles=roles,
                     declared_body=body, declared_query=query, declared_response=response,
                     status=status,
                     content_types=content_types, tags=tags, errors=errors, media_type=media_type)
    REGISTRY.routes.append(spec)

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def view(**params: Any) -> Response:
            def call() -> Response:
                request = bp.current_request
                principal = _principal(request) if roles else None
                deps = get_deps()
                if roles:
                    if principal is None:
                        raise UnauthorizedError()
                    if not principal.has(*roles):
                        raise ForbiddenError()
                ctx = Ctx(deps=deps, now=deps.now(), principal=principal, request=request)
                if query is not None:
                    ctx.query = _parse_query(request, spec.query)
                if body is not None and not raw:
                    _require_json(request)
                    ctx.body = _parse_body(request, spec.body)
                # erased, disabled or signed out since the token was issued: checked after
                # the request's own checks (which touch no storage), right before the view
                if principal is not None and not sessions.token_allowed(principal.sub,
                                                                        principal.issued_at):
                    raise UnauthorizedError(SESSION_ENDED[1], code=SESSION_ENDED[0])
                result = fn(ctx, **params)
                if isinstance(result, Response):
                    return result
                return json_response(result, status)
            request_context = getattr(bp.current_request, "context", None) or {}
            lambda_context = getattr(bp, "lambda_context", None)
            logger.append_keys(
                request_id=request_context.get("requestId")
                or getattr(lambda_context, "aws_request_id", None), route=f"{method} {path}")
            started = monotonic()
            response = run_view(call)
            logger.info("request served", extra={
                "status": response.status_code,
                "duration_ms": round((monotonic() - started) * 1000, 1)})
            return response

        kwargs: dict[str, Any] = {"methods": [method], "content_types": list(content_types)}
        if roles:
            kwargs["authorizer"] = jwt_authorizer
        bp.route(path, **kwargs)(view)
        return view
    return decorator


def _require_json(request: Any) -> None:
    ctype = (request.headers.get("content-type") or "application/json").split(";")[0].strip()
    if ctype != "application/json":
        raise UnsupportedMediaTypeError("请求体须为 application/json")
