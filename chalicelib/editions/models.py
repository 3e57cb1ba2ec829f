"""Editions' request models and response schemas (the routes validate into the first;
the OpenAPI document is built from both)."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from chalicelib.platform.schemas import Body, Out, PageOut, PageQuery, Phone, Text


class MemberRow(Body):
    name: Text
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: Phone | None = None
    member_no: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    dues_year: int = Field(ge=2000, le=2100)
    approved_at: str | None = Field(default=None, max_length=40)


class MembersIn(Body):
    members: list[MemberRow] = Field(min_length=1, max_length=5000)


class MembersQuery(PageQuery):
    """The roster screen: a page of rows, or those matching `q` (an e-mail or mobile
    number exactly; otherwise a name or member number containing it)."""
    q: str | None = Field(default=None, max_length=64)


class MemberOut(Out):
    member_no: str
    name: str
    email: str | None
    phone: str | None
    dues_year: int
    approved_at: str | None
    updated_at: str | None


class MembersOut(PageOut):
    members: list[MemberOut]


class EditionWriteIn(BaseModel):
    """The edition document itself (validated by editions.edition.Edition) and options."""
    model_config = ConfigDict(extra="forbid")
    edition: dict
    make_current: bool = False
    expected_version: int | None = Field(default=None, ge=1)


class UpsertedOut(BaseModel):
    upserted: int


class EditionSavedOut(BaseModel):
    edition_id: str
    version: int
    current: bool


EDITION_OUT = {"type": "object", "required": ["edition_id", "windows", "fees", "courses"],
               "properties": {"edition_id": {"type": "string"}, "title": {"type": "string"},
                              "windows": {"type": "object"}, "fees": {"type": "object"},
                              "courses": {"type": "array", "items": {"type": "object"}},
                              "bank_account": {"type": "object"},
                              "contacts": {"type": "array"}}}
