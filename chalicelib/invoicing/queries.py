"""What other features may read of invoicing: small named read-only functions (reports'
exports). Invoicing's repository stays private to invoicing."""
from __future__ import annotations

from chalicelib.invoicing.repository import Invoice, InvoiceRepository

__all__ = ["Invoice", "page_of_edition"]

_repo = InvoiceRepository()


def page_of_edition(edition_id: str, limit: int, token: str | None
                    ) -> tuple[list[Invoice], str | None]:
    """One page of an edition's invoices (blue and red), newest first; the next page's
    token, or None when there is no more."""
    return _repo.list_by_edition(edition_id, limit, token)
