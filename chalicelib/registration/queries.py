"""What other features may read about registrations: small named read-only functions.
Services and routes of other features import this module (and `transitions` for writes
inside their own transactions), never `registration.repository`."""
from __future__ import annotations

from chalicelib.registration.repository import Registration, RegistrationRepository

__all__ = ["Registration", "get_registration", "get_registrations", "page_by_status",
           "all_by_status", "registrations_of_user", "live_registration_id", "by_unit",
           "by_email", "linked_to_unit"]

_repo = RegistrationRepository()


def get_registration(registration_id: str) -> Registration | None:
    """One registration, read consistently; None when there is no such id."""
    return _repo.get(registration_id)


def get_registrations(registration_ids: list[str], consistent_read: bool = False
                      ) -> list[Registration]:
    """Several registrations at once (unknown ids are left out; order not kept)."""
    return _repo.get_many(registration_ids, consistent_read=consistent_read)


def page_by_status(edition_id: str, status: str, limit: int,
                   token: str | None) -> tuple[list[Registration], str | None]:
    """One page of an edition's registrations in `status`, oldest first, and the token of
    the next page (None when there is no more)."""
    return _repo.list_by_status(edition_id, status, limit, token)


def all_by_status(edition_id: str, status: str) -> list[Registration]:
    """Every registration of an edition in `status` (reports; jobs page instead)."""
    return _repo.all_by_status(edition_id, status)


def registrations_of_user(user_sub: str) -> list[Registration]:
    """A person's registrations over all editions, newest first."""
    return _repo.list_mine(user_sub)


def live_registration_id(edition_id: str, user_sub: str) -> str | None:
    """The id of the person's live (pending or approved) registration for the edition."""
    return _repo.live_registration_id(edition_id, user_sub)


def by_unit(edition_id: str, unit_norm: str) -> list[Registration]:
    """An edition's registrations under a unit name (normalised: `platform.text.normalise_name`)."""
    return _repo.list_by_unit(edition_id, unit_norm)


def by_email(edition_id: str, email: str) -> list[Registration]:
    """An edition's registrations with this e-mail (normalised: `platform.text.normalise_email`)."""
    return _repo.find_by_email(edition_id, email)


def linked_to_unit(edition_id: str, unit_id: str) -> list[Registration]:
    """An edition's registrations their trainees linked to the unit account `unit_id`."""
    return _repo.list_linked(edition_id, unit_id)
