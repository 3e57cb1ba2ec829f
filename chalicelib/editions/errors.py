"""Editions' errors: one class per code, raised wherever that refusal happens (the codes
and messages are the API's; the web and the tests rely on them)."""
from __future__ import annotations

from chalicelib.platform.errors import ConflictError, NotFoundError


class EditionNotFoundError(NotFoundError):
    """No such edition (named), or no current one (none named)."""
    code = "EDITION_NOT_FOUND"
    message = "当前没有开放的培训届次"

    def __init__(self, edition_id: str | None = None) -> None:
        super().__init__(f"届次 {edition_id} 不存在" if edition_id else None)


class EditionConflictError(ConflictError):
    """Optimistic concurrency: created twice, or edited by someone else meanwhile."""
    code = "EDITION_CONFLICT"
    message = "届次已存在或已被他人修改，请刷新后重试"
