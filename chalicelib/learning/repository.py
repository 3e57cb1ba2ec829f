"""Learning records: progress per trainee and course, and questionnaire responses. The
only code of the learning feature that touches DynamoDB; private to chalicelib.learning
(other features read through `learning.queries` and write through `learning.transitions`).

Keys were chosen so the hot path needs no lookup: a progress item is addressed by
`<edition>#<user sub>` + course id, both known from the request (the caller's Cognito sub
and the cached current edition).

A questionnaire response also records what became of the certificate eligibility it
stands for: `certificate_no` and `certificate_state` (states.RESPONSE_CERTIFICATE_STATE).
Learning owns the item, its schema and that state table; the certificates feature is the
only writer of the two fields, through `learning.transitions` inside its own issue and
expiry transactions."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactGet

from chalicelib.learning.rules import ProgressState, format_watched, parse_watched
from chalicelib.learning.states import RESPONSE_CERTIFICATE_STATE
from chalicelib.platform.store.attributes import StateAttribute
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import committed, connection, decode_token, encode_token, is_condition_failure, register, save_if_absent, transaction
from chalicelib.platform.store.uniques import Unique
from chalicelib.registration import transitions as registration

# A transaction holds at most 100 items: the registration, its audit entry, and courses.
PROGRESS_PER_TRANSACTION = 90


def learner_key(edition_id: str, user_sub: str) -> str:
    return f"{edition_id}#{user_sub}"


def session_key(learner: str) -> str:
    """The per-trainee session item (uniques table), created by the trainee's first play:
    what two first plays racing both write, so one of them loses and reads again."""
    return f"play-session#{learner}"


@register
class Progress(Model):
    """One trainee's progress in one course; created for every course at enrolment, so
    its existence means "enrolled"."""
    class Meta:
        table_name = "learning_progress"

    learner = UnicodeAttribute(hash_key=True)  # "<edition>#<user sub>"
    course_id = UnicodeAttribute(range_key=True)
    edition_id = UnicodeAttribute()
    user_sub = UnicodeAttribute()
    registration_id = UnicodeAttribute()
    last_at_ms = NumberAttribute()  # app-clock time of the last accepted report (epoch ms)
    high_water_s = NumberAttribute()  # furthest position reported (the resume point)
    credited_s = NumberAttribute()  # the length of `watched`
    cursor_s = NumberAttribute(null=True)  # where the last accepted report left the crediting
    watched = UnicodeAttribute(null=True)  # credited seconds, "0-30,3000-3060" (rules.py)
    required_s = NumberAttribute()
    enrolled_at = UTCDateTimeAttribute()
    completed_at = UTCDateTimeAttribute(null=True)
    # the trainee's current play session and its course (rules.session_stamp), on the item
    # of the course it was opened for only (a newer /play takes it off), so the
    # heartbeat's one conditional write checks it
    session_id = UnicodeAttribute(null=True)

    def state(self) -> ProgressState:
        return ProgressState(int(self.last_at_ms), int(self.high_water_s), int(self.credited_s),
                             int(self.cursor_s or 0), parse_watched(self.watched) or ())


@register
class CourseMedia(Model):
    """A course's video as data: the packaged, playable HLS version (its prefix in the
    videos bucket, its AES-128 key, the duration read from the media) and, while a newer
    upload waits for or is in packaging, the pending one. The key never leaves the platform
    except through the key route, to the trainee's active play session."""
    class Meta:
        table_name = "course_media"

    edition_id = UnicodeAttribute(hash_key=True)
    course_id = UnicodeAttribute(range_key=True)
    hls_prefix = UnicodeAttribute(null=True)  # "<edition>/<course>/hls/<version>/"
    playlist_name = UnicodeAttribute(null=True)  # the media playlist under the prefix
    key_hex = UnicodeAttribute(null=True)  # the 16-byte key of that version, hex
    duration_s = NumberAttribute(null=True)
    packaged_at = UTCDateTimeAttribute(null=True)
    pending_source = UnicodeAttribute(null=True)  # uploaded source waiting for packaging
    pending_version = UnicodeAttribute(null=True)
    pending_key_hex = UnicodeAttribute(null=True)  # the key the running packaging uses
    pending_prefix = UnicodeAttribute(null=True)  # where that packaging writes (per claim)
    claimed_at = UTCDateTimeAttribute(null=True)  # when that packaging claimed the upload
    pending_job = UnicodeAttribute(null=True)  # MediaConvert job id (prod)
    queued_at = UTCDateTimeAttribute(null=True)
    error = UnicodeAttribute(null=True)  # why the last packaging failed
    updated_at = UTCDateTimeAttribute()


class ResponsesByEdition(GlobalSecondaryIndex["QuestionnaireResponse"]):
    """Every response of an edition, in submission order: export and the certificate jobs."""
    class Meta:
        index_name = "by_edition"
        projection = AllProjection()

    edition_id = UnicodeAttribute(hash_key=True)
    submitted_at = UTCDateTimeAttribute(range_key=True)


class ResponsesAwaitingCertificate(GlobalSecondaryIndex["QuestionnaireResponse"]):
    """Sparse: only the responses whose certificate eligibility is still open (neither
    issued nor expired), by edition, in submission order: what the certificate jobs walk.
    `awaiting_certificate` (the edition id) is set when the response is written and removed
    in the same write that records the issue or the expiry (learning.transitions). Carries
    what the mail needs, not the answers."""
    class Meta:
        index_name = "awaiting_certificate"
        projection = IncludeProjection(["edition_id", "user_sub", "name", "email",
                                        "certificate_no", "certificate_state"])

    awaiting_certificate = UnicodeAttribute(hash_key=True)
    submitted_at = UTCDateTimeAttribute(range_key=True)


@register
class QuestionnaireResponse(Model):
    """One per registration. Only possible after every course is 学习完, so it is also the
    record of certificate eligibility: `certificate_no` once issued, `certificate_state`
    "issued" or "expired" (the download window passed without a download)."""
    class Meta:
        table_name = "questionnaire_responses"

    registration_id = UnicodeAttribute(hash_key=True)
    edition_id = UnicodeAttribute()
    user_sub = UnicodeAttribute()
    name = UnicodeAttribute()
    unit_name = UnicodeAttribute()
    email = UnicodeAttribute()
    answers = JSONAttribute()
    submitted_at = UTCDateTimeAttribute()
    certificate_no = UnicodeAttribute(null=True)
    certificate_state = StateAttribute(RESPONSE_CERTIFICATE_STATE, null=True)
    # the edition id while the eligibility is open (the sparse index's key); see above
    awaiting_certificate = UnicodeAttribute(null=True)

    by_edition = ResponsesByEdition()
    awaiting = ResponsesAwaitingCertificate()


class ProgressRepository:
    def enrol(self, registration_id: str, items: list[Progress], actor: str,
              now: datetime) -> bool:
        """Mark the registration enrolled and create its progress items; False when it is no
        longer approved and paid or is already enrolled."""
        first, rest = items[:PROGRESS_PER_TRANSACTION], items[PROGRESS_PER_TRANSACTION:]

        def write(tx: Any) -> None:
            registration.mark_enrolled(tx, registration_id, now)
            for item in first:
                tx.save(item, condition=Progress.learner.does_not_exist())
            tx.save(audit_entry(f"registration#{registration_id}", "learning.enrolled",
                                actor, now, {"courses": len(items)}))
        if not committed(write):
            return False
        self.ensure(rest)
        return True

    def ensure(self, items: list[Progress]) -> None:
        """Create progress items that are missing (idempotent; editions with >90 courses)."""
        for item in items:
            save_if_absent(item, Progress.learner)

    def get(self, learner: str, course_id: str) -> Progress | None:
        try:
            return Progress.get(learner, course_id, consistent_read=True)
        except DoesNotExist:
            return None

    def list(self, learner: str, consistent: bool = True) -> list[Progress]:
        return list(Progress.query(learner, consistent_read=consistent))

    def open_session(self, learner: str, course_id: str, stamp: str, now_ms: int,
                     holders: Mapping[str, str]) -> bool:
        """A play session becomes the trainee's only one: stamped on the played course's
        item (whose real-time budget restarts now), and taken off every item that held the
        previous one (`holders`: course id -> the stamp seen there, as `list` read them), in
        one transaction whose conditions are what was seen. Concurrent plays: each lists the
        item holding the current session, so their transactions share it and the second
        one's condition fails (False: read again and retry). With no holder yet (the first
        play) the per-trainee session item is created instead, with the same effect. A
        play of the course that holds the session writes that one item (2 WRU); a play of
        another course or the first play, two (4 WRU). False also when the item vanished."""
        others = sorted(c for c in holders if c != course_id)
        seen = holders.get(course_id)

        def write(tx: Any) -> None:
            tx.update(Progress(learner=learner, course_id=course_id), actions=[
                Progress.session_id.set(stamp), Progress.last_at_ms.set(now_ms)],
                condition=Progress.learner.exists() & (
                    (Progress.session_id == seen) if seen else Progress.session_id.does_not_exist()))
            for other in others[:PROGRESS_PER_TRANSACTION - 1]:
                tx.update(Progress(learner=learner, course_id=other),
                          actions=[Progress.session_id.remove()],
                          condition=Progress.session_id == holders[other])
            if not holders:
                tx.save(Unique(key=session_key(learner), owner=learner,
                               created_at=datetime.fromtimestamp(now_ms / 1000, UTC)),
                        condition=Unique.key.does_not_exist())
        if not committed(write):
            return False
        for other in others[PROGRESS_PER_TRANSACTION - 1:]:  # stamps of the former design
            try:  # (on every course), past one transaction's size: cleared one by one
                Progress(learner=learner, course_id=other).update(
                    actions=[Progress.session_id.remove()],
                    condition=Progress.session_id == holders[other])
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise
        return True

    def credit(self, learner: str, course_id: str, seen: ProgressState, new: ProgressState,
               session_id: str, now: datetime, completes: bool) -> Progress | None:
        """The heartbeat's one write: succeeds only when the stored state is still `seen`
        and `session_id` is still the trainee's play session (the service checked the
        learning window against the edition). Returns the item as stored after the write
        (ALL_NEW: no read), or None when the condition failed."""
        item = Progress(learner=learner, course_id=course_id)
        actions: list[Any] = [Progress.last_at_ms.set(new.last_at_ms),
                              Progress.high_water_s.set(new.high_water_s),
                              Progress.credited_s.set(new.credited_s),
                              Progress.cursor_s.set(new.cursor_s),
                              Progress.watched.set(format_watched(new.watched))]
        if completes:
            actions.append(Progress.completed_at.set(Progress.completed_at | now))
        condition = ((Progress.last_at_ms == seen.last_at_ms)
                     & (Progress.high_water_s == seen.high_water_s)
                     & (Progress.credited_s == seen.credited_s)
                     & _same(Progress.cursor_s, seen.cursor_s, 0)
                     & _same(Progress.watched, format_watched(seen.watched), "")
                     & (Progress.session_id == session_id))
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return item


class MediaRepository:
    def get(self, edition_id: str, course_id: str) -> CourseMedia | None:
        try:
            return CourseMedia.get(edition_id, course_id, consistent_read=True)
        except DoesNotExist:
            return None

    def of_edition(self, edition_id: str) -> list[CourseMedia]:
        """Every course's media of an edition (one Query: an edition has tens of courses)."""
        return list(CourseMedia.query(edition_id, consistent_read=True))

    def session_and_media(self, learner: str, edition_id: str, course_id: str
                          ) -> tuple[Progress | None, CourseMedia | None]:
        """The trainee's progress item (its play session) and the course's media, in ONE
        request (TransactGetItems: both consistent)."""
        with TransactGet(connection=connection()) as tg:
            progress = tg.get(Progress, learner, course_id)
            media = tg.get(CourseMedia, edition_id, course_id)
        return _found(progress), _found(media)

    def queue(self, edition_id: str, course_id: str, source_key: str, version: str,
              actor: str, now: datetime) -> None:
        """An uploaded source becomes the one waiting for packaging (a newer upload replaces
        an older one still waiting; the playable version stays until the new one is ready)."""
        item = CourseMedia(edition_id=edition_id, course_id=course_id)

        def write(tx: Any) -> None:
            tx.update(item, actions=[
                CourseMedia.pending_source.set(source_key),
                CourseMedia.pending_version.set(version),
                CourseMedia.pending_key_hex.remove(), CourseMedia.pending_job.remove(),
                CourseMedia.pending_prefix.remove(), CourseMedia.claimed_at.remove(),
                CourseMedia.error.remove(), CourseMedia.queued_at.set(now),
                CourseMedia.updated_at.set(now)])
            tx.save(audit_entry(f"course#{edition_id}#{course_id}", "learning.video_queued",
                                actor, now, {"source": source_key, "version": version}))
        if not committed(write):
            raise RuntimeError("queueing a video lost its transaction")

    def claim(self, media: CourseMedia, key_hex: str, prefix: str, now: datetime,
              stale_before: datetime) -> bool:
        """One packaging at a time per pending upload: it claims the upload with its key and
        output prefix. False when a newer upload replaced it or another packaging holds it
        (a claim older than `stale_before` is taken over: its packager died)."""
        unclaimed = CourseMedia.pending_key_hex.does_not_exist() | (
            CourseMedia.claimed_at < stale_before)
        return _conditional_update(media, [
            CourseMedia.pending_key_hex.set(key_hex), CourseMedia.pending_prefix.set(prefix),
            CourseMedia.claimed_at.set(now), CourseMedia.pending_job.remove(),
            CourseMedia.updated_at.set(now)],
            (CourseMedia.pending_version == media.pending_version) & unclaimed)

    def job_submitted(self, media: CourseMedia, job_id: str, now: datetime) -> bool:
        """The claimant's MediaConvert job, recorded (False: the claim was lost)."""
        return _conditional_update(media, [
            CourseMedia.pending_job.set(job_id), CourseMedia.updated_at.set(now)],
            _is_claimant(media))

    def publish(self, media: CourseMedia, hls_prefix: str, playlist_name: str,
                duration_s: int, actor: str, now: datetime) -> bool:
        """The packaged pending version becomes the playable one (its key with it)."""
        version = media.pending_version

        def write(tx: Any) -> None:
            tx.update(CourseMedia(edition_id=media.edition_id, course_id=media.course_id),
                      actions=[CourseMedia.hls_prefix.set(hls_prefix),
                               CourseMedia.playlist_name.set(playlist_name),
                               CourseMedia.key_hex.set(media.pending_key_hex),
                               CourseMedia.duration_s.set(duration_s),
                               CourseMedia.packaged_at.set(now),
                               CourseMedia.pending_source.remove(),
                               CourseMedia.pending_version.remove(),
                               CourseMedia.pending_key_hex.remove(),
                               CourseMedia.pending_job.remove(),
                               CourseMedia.pending_prefix.remove(),
                               CourseMedia.claimed_at.remove(),
                               CourseMedia.updated_at.set(now)],
                      condition=_is_claimant(media))
            tx.save(audit_entry(f"course#{media.edition_id}#{media.course_id}",
                                "learning.video_published", actor, now,
                                {"version": version, "duration_s": duration_s}))
        return committed(write)

    def failed(self, media: CourseMedia, reason: str, now: datetime) -> bool:
        """The pending version could not be packaged: it is dropped, the reason kept."""
        return _conditional_update(media, [
            CourseMedia.pending_source.remove(), CourseMedia.pending_version.remove(),
            CourseMedia.pending_key_hex.remove(), CourseMedia.pending_job.remove(),
            CourseMedia.pending_prefix.remove(), CourseMedia.claimed_at.remove(),
            CourseMedia.error.set(reason[:500]), CourseMedia.updated_at.set(now)],
            _is_claimant(media))


def _is_claimant(media: CourseMedia) -> Any:
    """The pending upload is still the one `media` saw, claimed with the key it holds (no
    key: not claimed)."""
    same = CourseMedia.pending_version == media.pending_version
    if media.pending_key_hex:
        return same & (CourseMedia.pending_key_hex == media.pending_key_hex)
    return same & CourseMedia.pending_key_hex.does_not_exist()


def _found(future: Any) -> Any:
    try:
        return future.get()
    except DoesNotExist:
        return None


def _conditional_update(media: CourseMedia, actions: list[Any], condition: Any) -> bool:
    try:
        CourseMedia(edition_id=media.edition_id, course_id=media.course_id).update(
            actions=actions, condition=condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def _same(attribute: Any, value: Any, initial: Any) -> Any:
    """attribute == value; an item written before the attribute existed holds `initial`."""
    if value == initial:
        return (attribute == value) | attribute.does_not_exist()
    return attribute == value


class QuestionnaireRepository:
    def submit(self, response: QuestionnaireResponse, actor: str, now: datetime) -> bool:
        """One response per registration, and only while it is approved and paid."""
        return self.submit_once(response, actor, now) == "submitted"

    def submit_once(self, response: QuestionnaireResponse, actor: str, now: datetime) -> str:
        """`submit`, telling why it was refused without reading first: "submitted",
        "duplicate" (a response exists: the response item's condition failed; its
        cancellation reason carries the stored item, ReturnValuesOnConditionCheckFailure
        ALL_OLD, the only item of the transaction asking for it) or "refused" (the
        registration is no longer approved and paid)."""
        if not response.certificate_no and not response.certificate_state:
            response.awaiting_certificate = response.edition_id  # the sparse index's key
        try:
            with transaction() as tx:
                tx.save(response,
                        condition=QuestionnaireResponse.registration_id.does_not_exist(),
                        return_values="ALL_OLD")
                registration.require_paid(tx, response.registration_id)
                tx.save(audit_entry(f"registration#{response.registration_id}",
                                    "questionnaire.submitted", actor, now,
                                    {"answers": len(response.answers)}))
        except TransactWriteError as exc:
            if not is_condition_failure(exc):
                raise
            stored = [r for r in exc.cancellation_reasons or [] if r is not None and r.raw_item
                      and r.code == "ConditionalCheckFailed"]
            return "duplicate" if stored else "refused"
        return "submitted"

    def get(self, registration_id: str) -> QuestionnaireResponse | None:
        try:
            return QuestionnaireResponse.get(registration_id, consistent_read=True)
        except DoesNotExist:
            return None

    def page(self, edition_id: str, limit: int, token: str | None
             ) -> tuple[list[QuestionnaireResponse], str | None]:
        result = QuestionnaireResponse.by_edition.query(
            edition_id, limit=limit, last_evaluated_key=decode_token(token))
        items = list(result)
        return items, encode_token(result.last_evaluated_key)

    def all_of_edition(self, edition_id: str) -> list[QuestionnaireResponse]:
        return list(QuestionnaireResponse.by_edition.query(edition_id))

    def page_awaiting(self, edition_id: str, limit: int, token: str | None
                      ) -> tuple[list[QuestionnaireResponse], str | None]:
        """A page of the edition's responses whose certificate is neither issued nor expired
        (the sparse index: the others are never read). Eventually consistent: a response
        issued a moment ago may still show, so callers keep their own conditions."""
        result = QuestionnaireResponse.awaiting.query(
            edition_id, limit=limit, last_evaluated_key=decode_token(token))
        items = list(result)
        return items, encode_token(result.last_evaluated_key)

    def backfill_awaiting(self, edition_id: str, limit: int, token: str | None
                          ) -> tuple[int, int, str | None]:
        """The migration of responses written before the sparse index: one page of the
        edition's responses (all of them, by_edition); each still open and unmarked gets
        `awaiting_certificate` (a conditional write: one issued or expired meanwhile, or
        marked already, is left alone). Answers (seen, marked, next token); repeating it
        marks nothing twice."""
        items, next_token = self.page(edition_id, limit, token)
        marked = 0
        for item in items:
            if item.certificate_no or item.certificate_state or item.awaiting_certificate:
                continue
            try:
                item.update(actions=[QuestionnaireResponse.awaiting_certificate.set(edition_id)],
                            condition=QuestionnaireResponse.registration_id.exists()
                            & QuestionnaireResponse.certificate_no.does_not_exist()
                            & QuestionnaireResponse.certificate_state.does_not_exist()
                            & QuestionnaireResponse.awaiting_certificate.does_not_exist())
                marked += 1
            except UpdateError as exc:
                if not is_condition_failure(exc):
                    raise
        return len(items), marked, next_token


def mark_once(key: str, owner: str, now: datetime, action: str, actor: str,
              data: dict[str, Any] | None = None) -> bool:
    """A job's one-time record (e.g. learning closed for an edition): True the first time."""
    def write(tx: Any) -> None:
        tx.save(Unique(key=key, owner=owner, created_at=now),
                condition=Unique.key.does_not_exist())
        tx.save(audit_entry(f"edition#{owner}", action, actor, now, data))
    return committed(write)
