"""The field types and base models every feature's request and response models share;
each feature keeps its own models (e.g. chalicelib/billing/models.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema, model_serializer

from chalicelib.platform.clock import iso

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
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
