"""The field types and base models every feature's request and response models share;
each feature keeps its own models (e.g. chalicelib/billing/models.py)."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema, model_serializer
from pydantic_core import PydanticCustomError

from chalicelib.platform.clock import iso

# The Chinese name of a request field, for the messages of a refused request ("缺少必填字段：
# 邮箱"). Platform names the common ones; a feature adds its own with label_fields.
FIELD_LABELS: dict[str, str] = {
    "body": "请求体", "name": "姓名", "unit_name": "单位名称", "job_title": "职务",
    "region": "地区", "reason": "原因", "title": "发票抬头", "email": "邮箱", "phone": "手机号",
    "password": "密码", "credit_code": "统一社会信用代码", "kind": "账号类型", "code": "验证码",
    "totp": "动态口令", "member_no": "会员编号", "dues_year": "会费年度",
    "approved_at": "入会批准时间", "members": "成员", "registration_id": "报名编号",
    "order_id": "订单编号", "channel": "支付方式", "official_card": "公务卡",
    "line_id": "流水行编号", "bank_serial": "交易流水号", "amount_fen": "金额（分）",
    "answers": "问卷答案", "position_s": "播放位置（秒）", "session_id": "播放会话",
    "edition_id": "年度编号", "limit": "每页条数", "next_token": "分页令牌",
    "status": "状态", "confirm": "确认", "fee_fen": "费用（分）",
}


def label_fields(**labels: str) -> None:
    """A feature names its own request fields in Chinese (once, at import)."""
    FIELD_LABELS.update(labels)


def field_label(path: str) -> str:
    """"unit_name" -> "单位名称"; "members.0.email" -> "第 1 项的邮箱" (people read the message;
    the answer's `field` keeps the path for programs); an unknown field shows its name."""
    parts = [p for p in path.split(".") if p]
    names = [p for p in parts if not p.isdigit()]
    label = FIELD_LABELS.get(names[-1]) if names else None
    if label is None:
        return path
    items = [p for p in parts if p.isdigit()]
    return f"第 {int(items[-1]) + 1} 项的{label}" if items else label


# Characters no free text may hold: C0/C1 controls (a line break only in long text) and the
# bidi embeddings, overrides and isolates that reorder what a page or a certificate shows.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = "\u200b\u200c\u200d\ufeff\u2060"
_FORBIDDEN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_FORBIDDEN_BLOCK = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")


def unsafe_text(value: str, *, multiline: bool = True) -> str | None:
    """Why a text may not be stored ("控制字符", "文字方向控制符"), or None when it may."""
    bad = (_FORBIDDEN_BLOCK if multiline else _FORBIDDEN_LINE).search(value)
    if bad is None:
        return None
    return "文字方向控制符" if bad.group() in _BIDI else "控制字符"


def normalise_text(value: str, *, multiline: bool = False) -> str:
    """NFC, full-width (and other odd) spaces to a plain space, trimmed; refuses control and
    bidi characters and a text of invisible characters only (PydanticCustomError, which the
    boundary words with the field's Chinese name)."""
    text = unicodedata.normalize("NFC", value).replace("\u3000", " ").replace("\u00a0", " ")
    why = unsafe_text(text, multiline=multiline)
    if why:
        raise PydanticCustomError("unsafe_text", "不能包含{why}", {"why": why})
    text = text.strip()
    if value.strip() and not text.strip(_INVISIBLE + " "):
        raise PydanticCustomError("unsafe_text", "不能只包含不可见字符", {"why": "不可见字符"})
    return text


def _line(value: Any) -> Any:
    return normalise_text(value) if isinstance(value, str) else value


def _block(value: Any) -> Any:
    return normalise_text(value, multiline=True) if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_line),
                 StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongText = Annotated[str, BeforeValidator(_block),
                     StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=20,
                                         pattern=r"^[0-9+\- ()]+$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Ok(BaseModel):
    status: str


class Out(BaseModel):
    """A response model: what it declares is exactly what the client gets."""
    model_config = ConfigDict(extra="forbid")


# A time the API shows in Asia/Shanghai ("2026-04-05T10:05:00+08:00").
Instant = Annotated[datetime, PlainSerializer(iso, return_type=str), WithJsonSchema({"type": "string"})]


class LinkOut(Out):
    """A short-lived link to a stored file (API.md: `{"url", "expires_at"}`)."""
    url: str
    expires_at: Instant


class PresignedPostOut(Out):
    """A presigned S3 POST form: send `fields` and then the file (`file`) to `url` as
    multipart before `expires_at`; the bucket refuses other types and larger files."""
    url: str
    fields: dict[str, str]
    key: str
    allowed_types: list[str]
    max_bytes: int
    expires_at: Instant


class SparseOut(Out):
    """A response whose fields declared with a None default are left out while None."""

    @model_serializer(mode="wrap")
    def _without_empty_extras(self, handler: Any) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        for name, info in type(self).model_fields.items():
            if info.default is None and out.get(name) is None:
                out.pop(name, None)
        return out


class PageOut(SparseOut):
    """The one list shape: a subclass declares the list field; `next_token` is there only
    when there is more."""
    next_token: str | None = None



class PageQuery(BaseModel):
    """The query of a paged list: how many, and where the previous page stopped."""
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(default=50, ge=1, le=200)
    next_token: str | None = Field(default=None, max_length=2000)
