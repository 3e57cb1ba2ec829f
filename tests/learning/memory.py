"""In-memory twins of learning's repositories (Chalice's todo sample: `InMemoryTodoDB` beside
`DynamoDBTodo`): the same methods and the same conditions, dicts inside, so the service
rules are tested in milliseconds. Items are kept as DynamoDB would hold them (the model's
`serialize()`), so an unknown state or a wrong type raises here as it would on a real write.
moto (tests/learning/test_*.py) proves the real conditions, transactions and races.

`InMemoryRegistrations` stands in for what learning and certificates use of the
registration feature: `registration.queries` (reads) and `registration.transitions`
(require_paid, mark_enrolled)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.learning.repository import PROGRESS_PER_TRANSACTION, CourseMedia, Progress, QuestionnaireResponse
from chalicelib.learning.rules import ProgressState, format_watched
from chalicelib.learning.states import ResponseCertificateState
from chalicelib.platform.paging import decode_token, encode_token
from chalicelib.registration.repository import Registration
from chalicelib.registration.states import PaymentStatus, RegistrationStatus


class InMemoryRegistrations:
    """registration.queries' reads and registration.transitions' conditions, on dicts."""

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def add(self, reg: Registration) -> Registration:
        self.items[reg.registration_id] = reg.serialize()
        return reg

    def update(self, registration_id: str, **fields: Any) -> None:
        reg = self.get_registration(registration_id)
        assert reg is not None
        for name, value in fields.items():
            setattr(reg, name, value)
        self.add(reg)

    # registration.queries
    def get_registration(self, registration_id: str) -> Registration | None:
        item = self.items.get(registration_id)
        return Registration.from_raw_data(item) if item is not None else None

    def registrations_of_user(self, user_sub: str) -> list[Registration]:
        mine = [Registration.from_raw_data(i) for i in self.items.values()]
        return sorted((r for r in mine if r.user_sub == user_sub),
                      key=lambda r: r.submitted_at, reverse=True)

    def live_registration_id(self, edition_id: str, user_sub: str) -> str | None:
        for reg in self.registrations_of_user(user_sub):
            if reg.edition_id == edition_id and reg.status in (RegistrationStatus.PENDING,
                                                                RegistrationStatus.APPROVED):
                return reg.registration_id  # type: ignore[no-any-return]
        return None

    # registration.transitions' conditions
    def is_paid(self, registration_id: str) -> bool:
        reg = self.get_registration(registration_id)
        return reg is not None and reg.status == RegistrationStatus.APPROVED \
            and reg.payment_status == PaymentStatus.PAID

    def mark_enrolled(self, registration_id: str, now: datetime) -> bool:
        reg = self.get_registration(registration_id)
        if reg is None or not self.is_paid(registration_id) or reg.enrolled_at is not None:
            return False
        self.update(registration_id, enrolled_at=now, version=int(reg.version or 1) + 1)
        return True


class InMemoryProgressRepository:
    """ProgressRepository's twin. `calls` records each storage operation the real one would
    make ("GetItem", "Query", "UpdateItem", "TransactWriteItems", "PutItem")."""

    def __init__(self, registrations: InMemoryRegistrations) -> None:
        self.registrations = registrations
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.audit: list[tuple[str, str, str]] = []
        self.calls: list[str] = []
        self.session_items: set[str] = set()  # the per-trainee session items (uniques)

    def _load(self, key: tuple[str, str]) -> Progress | None:
        item = self.items.get(key)
        return Progress.from_raw_data(item) if item is not None else None

    def enrol(self, registration_id: str, items: list[Progress], actor: str,
              now: datetime) -> bool:
        self.calls.append("TransactWriteItems")
        first, rest = items[:PROGRESS_PER_TRANSACTION], items[PROGRESS_PER_TRANSACTION:]
        if any((i.learner, i.course_id) in self.items for i in first):
            return False  # the transaction's does-not-exist condition on a progress item
        if not self.registrations.mark_enrolled(registration_id, now):
            return False
        for item in first:
            self.items[(item.learner, item.course_id)] = item.serialize()
        self.audit.append((f"registration#{registration_id}", "learning.enrolled", actor))
        self.ensure(rest)
        return True

    def ensure(self, items: list[Progress]) -> None:
        for item in items:
            self.calls.append("PutItem")
            self.items.setdefault((item.learner, item.course_id), item.serialize())

    def get(self, learner: str, course_id: str) -> Progress | None:
        self.calls.append("GetItem")
        return self._load((learner, course_id))

    def list(self, learner: str, consistent: bool = True) -> list[Progress]:
        self.calls.append("Query")
        return [p for p in (self._load(k) for k in sorted(self.items) if k[0] == learner) if p]

    def open_session(self, learner: str, course_id: str, stamp: str, now_ms: int,
                     holders: dict[str, str]) -> bool:
        self.calls.append("TransactWriteItems")
        key = (learner, course_id)
        played = self._load(key)
        if played is None or played.session_id != holders.get(course_id):
            return False  # vanished, or another play moved the session meanwhile
        for other, seen in holders.items():
            item = self._load((learner, other))
            if item is None or item.session_id != seen:
                return False
        if not holders:
            if learner in self.session_items:
                return False  # the per-trainee session item exists: a first play won
            self.session_items.add(learner)
        for other in holders:
            if other != course_id:
                item = self._load((learner, other))
                assert item is not None
                item.session_id = None
                self.items[(learner, other)] = item.serialize()
        played.session_id, played.last_at_ms = stamp, now_ms
        self.items[key] = played.serialize()
        return True

    def credit(self, learner: str, course_id: str, seen: ProgressState, new: ProgressState,
               session_id: str, now: datetime, completes: bool) -> Progress | None:
        self.calls.append("UpdateItem")
        item = self._load((learner, course_id))
        if item is None or item.state() != seen or item.session_id != session_id:
            return None  # the condition: the stored state is still `seen`, the session current
        item.last_at_ms, item.high_water_s, item.credited_s = \
            new.last_at_ms, new.high_water_s, new.credited_s
        item.cursor_s, item.watched = new.cursor_s, format_watched(new.watched)
        if completes and item.completed_at is None:
            item.completed_at = now
        self.items[(learner, course_id)] = item.serialize()
        return self._load((learner, course_id))


class InMemoryMediaRepository:
    """MediaRepository's twin: the course media items, and the one-request read of a
    progress item (from the progress twin) with a media item."""

    PENDING = ("pending_source", "pending_version", "pending_key_hex", "pending_job",
               "pending_prefix", "claimed_at")

    def __init__(self, progress: InMemoryProgressRepository) -> None:
        self.progress = progress
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.audit: list[tuple[str, str, str]] = []
        self.calls: list[str] = []

    def _load(self, key: tuple[str, str]) -> CourseMedia | None:
        item = self.items.get(key)
        return CourseMedia.from_raw_data(item) if item is not None else None

    def _store(self, item: CourseMedia) -> None:
        self.items[(item.edition_id, item.course_id)] = item.serialize()

    def get(self, edition_id: str, course_id: str) -> CourseMedia | None:
        self.calls.append("GetItem")
        return self._load((edition_id, course_id))

    def of_edition(self, edition_id: str) -> list[CourseMedia]:
        self.calls.append("Query")
        return [m for m in (self._load(k) for k in sorted(self.items) if k[0] == edition_id) if m]

    def session_and_media(self, learner: str, edition_id: str, course_id: str
                          ) -> tuple[Progress | None, CourseMedia | None]:
        self.calls.append("TransactGetItems")
        return self.progress._load((learner, course_id)), self._load((edition_id, course_id))

    def queue(self, edition_id: str, course_id: str, source_key: str, version: str,
              actor: str, now: datetime) -> None:
        item = self._load((edition_id, course_id)) or CourseMedia(edition_id=edition_id,
                                                                  course_id=course_id)
        item.pending_source, item.pending_version = source_key, version
        item.pending_key_hex = item.pending_job = item.error = None
        item.pending_prefix = item.claimed_at = None
        item.queued_at = item.updated_at = now
        self._store(item)
        self.audit.append((f"course#{edition_id}#{course_id}", "learning.video_queued", actor))

    def _claimant(self, media: CourseMedia) -> CourseMedia | None:
        """The condition: the same pending version, claimed with the key `media` holds."""
        item = self._load((media.edition_id, media.course_id))
        if item is None or item.pending_version is None \
                or item.pending_version != media.pending_version \
                or item.pending_key_hex != media.pending_key_hex:
            return None
        return item

    def claim(self, media: CourseMedia, key_hex: str, prefix: str, now: datetime,
              stale_before: datetime) -> bool:
        item = self._load((media.edition_id, media.course_id))
        if item is None or item.pending_version is None \
                or item.pending_version != media.pending_version:
            return False
        if item.pending_key_hex and not (item.claimed_at and item.claimed_at < stale_before):
            return False  # held by another packaging
        item.pending_key_hex, item.pending_prefix, item.claimed_at = key_hex, prefix, now
        item.pending_job, item.updated_at = None, now
        self._store(item)
        return True

    def job_submitted(self, media: CourseMedia, job_id: str, now: datetime) -> bool:
        item = self._claimant(media)
        if item is None:
            return False
        item.pending_job, item.updated_at = job_id, now
        self._store(item)
        return True

    def publish(self, media: CourseMedia, hls_prefix: str, playlist_name: str,
                duration_s: int, actor: str, now: datetime) -> bool:
        item = self._claimant(media)
        if item is None:
            return False
        item.hls_prefix, item.playlist_name, item.key_hex = hls_prefix, playlist_name, \
            media.pending_key_hex
        item.duration_s, item.packaged_at, item.updated_at = duration_s, now, now
        for name in self.PENDING:
            setattr(item, name, None)
        self._store(item)
        self.audit.append((f"course#{media.edition_id}#{media.course_id}",
                           "learning.video_published", actor))
        return True

    def failed(self, media: CourseMedia, reason: str, now: datetime) -> bool:
        item = self._claimant(media)
        if item is None:
            return False
        for name in self.PENDING:
            setattr(item, name, None)
        item.error, item.updated_at = reason[:500], now
        self._store(item)
        return True


class InMemoryQuestionnaireRepository:
    """QuestionnaireRepository's twin, plus the twin of learning.transitions (what the
    certificates' twin writes on a response inside its 'transaction')."""

    def __init__(self, registrations: InMemoryRegistrations) -> None:
        self.registrations = registrations
        self.items: dict[str, dict[str, Any]] = {}
        self.audit: list[tuple[str, str, str]] = []

    def _load(self, registration_id: str) -> QuestionnaireResponse | None:
        item = self.items.get(registration_id)
        return QuestionnaireResponse.from_raw_data(item) if item is not None else None

    def _store(self, response: QuestionnaireResponse) -> None:
        self.items[response.registration_id] = response.serialize()

    def submit(self, response: QuestionnaireResponse, actor: str, now: datetime) -> bool:
        return self.submit_once(response, actor, now) == "submitted"

    def submit_once(self, response: QuestionnaireResponse, actor: str, now: datetime) -> str:
        if response.registration_id in self.items:
            return "duplicate"
        if not self.registrations.is_paid(response.registration_id):
            return "refused"
        if not response.certificate_no and not response.certificate_state:
            response.awaiting_certificate = response.edition_id
        self._store(response)
        self.audit.append((f"registration#{response.registration_id}",
                           "questionnaire.submitted", actor))
        return "submitted"

    def get(self, registration_id: str) -> QuestionnaireResponse | None:
        return self._load(registration_id)

    def all_of_edition(self, edition_id: str) -> list[QuestionnaireResponse]:
        items = [r for r in (self._load(k) for k in self.items) if r and r.edition_id == edition_id]
        return sorted(items, key=lambda r: r.submitted_at)

    def page(self, edition_id: str, limit: int, token: str | None
             ) -> tuple[list[QuestionnaireResponse], str | None]:
        everything = self.all_of_edition(edition_id)
        start = int((decode_token(token) or {}).get("i", 0))
        more = start + limit < len(everything)
        return everything[start:start + limit], encode_token({"i": start + limit}) if more else None

    def page_awaiting(self, edition_id: str, limit: int, token: str | None
                      ) -> tuple[list[QuestionnaireResponse], str | None]:
        # keyed like DynamoDB's index: after the last one seen, so removals do not shift it
        after = (decode_token(token) or {}).get("after")
        waiting = [r for r in self.all_of_edition(edition_id)
                   if r.awaiting_certificate == edition_id
                   and (after is None or [r.submitted_at.isoformat(), r.registration_id] > after)]
        # only what the index projects: its keys, the table's key and the INCLUDE list
        kept = {"registration_id", "awaiting_certificate", "submitted_at",
                *QuestionnaireResponse.awaiting.Meta.projection.non_key_attributes}
        page = [QuestionnaireResponse.from_raw_data(
            {k: v for k, v in self.items[r.registration_id].items() if k in kept})
            for r in waiting[:limit]]
        last = page[-1] if page and len(waiting) > limit else None
        return page, (encode_token({"after": [last.submitted_at.isoformat(), last.registration_id]})
                      if last is not None else None)

    def backfill_awaiting(self, edition_id: str, limit: int, token: str | None
                          ) -> tuple[int, int, str | None]:
        items, next_token = self.page(edition_id, limit, token)
        marked = 0
        for item in items:
            if not (item.certificate_no or item.certificate_state or item.awaiting_certificate):
                item.awaiting_certificate = edition_id
                self._store(item)
                marked += 1
        return len(items), marked, next_token

    # learning.transitions, as conditions plus writes
    def certificate_open(self, registration_id: str) -> bool:
        response = self._load(registration_id)
        return response is not None and not response.certificate_no \
            and not response.certificate_state

    def record_certificate(self, registration_id: str, certificate_no: str) -> None:
        response = self._load(registration_id)
        assert response is not None and self.certificate_open(registration_id)
        response.certificate_no = certificate_no
        response.certificate_state = ResponseCertificateState.ISSUED.value
        response.awaiting_certificate = None
        self._store(response)

    def record_expired(self, registration_id: str) -> None:
        response = self._load(registration_id)
        assert response is not None and self.certificate_open(registration_id)
        response.certificate_state = ResponseCertificateState.EXPIRED.value
        response.awaiting_certificate = None
        self._store(response)
