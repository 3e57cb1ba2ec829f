"""Crediting watched time, as plain rules (no storage, no clock: `now` is an argument).

Credit is by coverage. The progress item keeps `watched`: the seconds of the video already
credited, as sorted, merged [start, end) ranges (a few ranges for any real viewer; bounded
by MAX_INTERVALS). The player reports its position every HEARTBEAT_INTERVAL_S seconds; a
report at `position` credits

    credit = min(uncovered seconds of the stretch it claims, budget)

where `budget` is the real time since the previous accepted report (whole seconds, at most
MAX_CREDIT_S; the sub-second remainder is carried to the next report, so a player reporting
every 30.6 s loses nothing to rounding) and the stretch is:
- moving on from `cursor` (where the last accepted report left off) at about 1x
  (position - cursor <= budget + SLACK_S): [cursor, position), credited from its start, so
  rounding never leaves a one-second hole;
- moving on faster than real time (played fast, or a jump ahead): the `budget` uncovered
  seconds just before `position` (the viewer is there now and has been playing up to it);
  the rest of the stretch stays uncovered, hence creditable when watched later at 1x
  (when the ranges would exceed MAX_INTERVALS the credit is placed at the start of the
  stretch instead, next to what the previous report credited, so 2x adds no range);
- moving back (a seek back, or an earlier report arriving late): [position - budget,
  position), of which only what is not yet covered counts.
Hence: never more than the real time that passed; each second at most once (credited_s is
the length of `watched`, unless more than MAX_INTERVALS ranges would be needed: then the
smallest hole is closed uncredited, which no player reaches); a jump, 2x or a seek back
forfeits nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.platform.errors import ValidationError
from chalicelib.registration.states import PaymentStatus, RegistrationStatus

HEARTBEAT_INTERVAL_S = 30
MIN_INTERVAL_S = 5  # a report sooner than this after the last accepted one credits nothing
MAX_CREDIT_S = 2 * HEARTBEAT_INTERVAL_S  # one lost report is made up; more is not
SLACK_S = 2  # a 1x stretch may exceed real time by the player's rounding and network jitter
MAX_INTERVALS = 64  # ranges kept on a progress item (its size, and the token's, stay small)
MAX_TEXT_ANSWER = 2000
TOKEN_VERSION = "v2"

Interval = tuple[int, int]


@dataclass(frozen=True)
class ProgressState:
    """What the conditional update compares: the stored values as the server last saw them."""
    last_at_ms: int  # app-clock time of the last accepted report (minus the carried remainder)
    high_water_s: int  # furthest position reported (resume point)
    credited_s: int  # seconds credited: the length of `watched`
    cursor_s: int = 0  # where the last accepted report left the crediting
    watched: tuple[Interval, ...] = ()  # credited seconds: sorted, merged [start, end)


@dataclass(frozen=True)
class Credit:
    credit_s: int
    new: ProgressState | None  # None: nothing to write (no credit, state unchanged)


def clamp_position(position_s: float, duration_s: int) -> int:
    """Whole seconds inside the video."""
    return max(0, min(int(position_s), duration_s))


def covered_s(watched: tuple[Interval, ...]) -> int:
    return sum(end - start for start, end in watched)


def gaps_in(watched: tuple[Interval, ...], start: int, end: int) -> list[Interval]:
    """The uncovered parts of [start, end), in order."""
    gaps: list[Interval] = []
    at = start
    for a, b in watched:
        if b <= at:
            continue
        if a >= end:
            break
        if a > at:
            gaps.append((at, a))
        at = max(at, b)
        if at >= end:
            break
    if at < end:
        gaps.append((at, end))
    return gaps


def merge(watched: tuple[Interval, ...], added: list[Interval]) -> tuple[Interval, ...]:
    out: list[list[int]] = []
    for a, b in sorted([*watched, *added]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


def _take_first(gaps: list[Interval], amount: int) -> list[Interval]:
    taken: list[Interval] = []
    for a, b in gaps:
        if amount <= 0:
            break
        n = min(b - a, amount)
        taken.append((a, a + n))
        amount -= n
    return taken


def _take_last(gaps: list[Interval], amount: int) -> list[Interval]:
    taken: list[Interval] = []
    for a, b in reversed(gaps):
        if amount <= 0:
            break
        n = min(b - a, amount)
        taken.insert(0, (b - n, b))
        amount -= n
    return taken


def credit_for(state: ProgressState, position_s: int, now_ms: int) -> Credit:
    elapsed_ms = now_ms - state.last_at_ms
    if elapsed_ms < MIN_INTERVAL_S * 1000:
        return Credit(0, None)
    real_s = elapsed_ms // 1000
    budget = min(real_s, MAX_CREDIT_S)
    cursor = state.cursor_s
    if position_s < cursor:  # moved back: only what could have been watched since
        taken = _take_first(gaps_in(state.watched, max(0, position_s - budget), position_s),
                            budget)
        new_cursor = position_s
    elif position_s - cursor <= budget + SLACK_S:  # about 1x
        gaps = gaps_in(state.watched, cursor, position_s)
        taken = _take_first(gaps, budget)
        new_cursor = position_s if taken == gaps else taken[-1][1]
    else:  # faster than real time: the seconds just before the position
        gaps = gaps_in(state.watched, cursor, position_s)
        taken = _take_last(gaps, budget)
        new_cursor = position_s
        if len(merge(state.watched, taken)) > MAX_INTERVALS:
            taken = _take_first(gaps, budget)
            new_cursor = taken[-1][1] if taken else position_s
    credit = covered_s(tuple(taken))
    watched = merge(state.watched, taken)
    while len(watched) > MAX_INTERVALS:  # unreachable for a player; keeps the item bounded
        i = min(range(len(watched) - 1), key=lambda k: watched[k + 1][0] - watched[k][1])
        watched = (*watched[:i], (watched[i][0], watched[i + 1][1]), *watched[i + 2:])
    if credit == 0:  # a repeat, a late report, a rewatch of credited seconds: no write
        return Credit(0, None)
    high_water = max(state.high_water_s, position_s)
    # the whole budget used: carry the sub-second remainder; otherwise unused time is gone
    last_at = now_ms - elapsed_ms % 1000 if credit == real_s else now_ms
    return Credit(credit, replace(state, last_at_ms=last_at, high_water_s=high_water,
                                  credited_s=state.credited_s + credit, cursor_s=new_cursor,
                                  watched=watched))


def session_stamp(session_id: str, course_id: str) -> str:
    """What a play session writes on the progress item of its course, and what a
    heartbeat's write expects: the session and the course it was opened for (a session
    id reused on another course is not that course's session)."""
    return f"{session_id}#{course_id}"


def is_completed(credited_s: int, required_s: int) -> bool:
    """学习完: credited time reached the required share of the video."""
    return credited_s >= required_s


def unmet_payment(reg: Any) -> list[str]:
    """Why a registration (anything with `status` and `payment_status`, or None) may not
    learn: [] when approved and paid. "refunding" is not paid: the money is on its way back."""
    if reg is None:
        return ["not_registered"]
    unmet = []
    if reg.status != RegistrationStatus.APPROVED:
        unmet.append("not_approved")
    if reg.payment_status == PaymentStatus.REFUNDED:
        unmet.append("refunded")
    elif reg.payment_status != PaymentStatus.PAID:
        unmet.append("not_paid")
    return unmet


def format_watched(watched: tuple[Interval, ...]) -> str:
    """The stored form: "0-30,3000-3060" ("" for nothing yet; 6 bytes for a whole video)."""
    return ",".join(f"{a}-{b}" for a, b in watched)


def parse_watched(text: str | None) -> tuple[Interval, ...] | None:
    """None when malformed (not sorted, overlapping, empty ranges, too many)."""
    if not text:
        return ()
    out: list[Interval] = []
    for part in text.split(","):
        bounds = part.split("-")
        if len(bounds) != 2 or not all(b.isdigit() and len(b) <= 9 for b in bounds):
            return None
        a, b = int(bounds[0]), int(bounds[1])
        if a >= b or (out and a <= out[-1][1]):
            return None
        out.append((a, b))
    return tuple(out) if len(out) <= MAX_INTERVALS else None


def encode_token(state: ProgressState) -> str:
    """The state the server answered with; the player sends it back with its next report
    so the update can be conditional on it without a read. It needs no signature: the
    update only succeeds when it equals what is stored."""
    return (f"{TOKEN_VERSION}.{state.last_at_ms}.{state.high_water_s}.{state.credited_s}"
            f".{state.cursor_s}.{format_watched(state.watched)}")


def decode_token(token: str | None) -> ProgressState | None:
    """None for a missing, malformed or older token (the server then reads the item first)."""
    if not token:
        return None
    parts = token.split(".")
    if len(parts) != 6 or parts[0] != TOKEN_VERSION:
        return None
    try:
        values = [int(p) for p in parts[1:5]]
    except ValueError:
        return None
    if any(v < 0 or v > 10**15 for v in values):
        return None
    watched = parse_watched(parts[5])
    if watched is None:
        return None
    last_at_ms, high_water_s, credited_s, cursor_s = values
    return ProgressState(last_at_ms, high_water_s, credited_s, cursor_s, watched)


def validate_answers(questions: list[Any], answers: dict[str, Any]) -> dict[str, Any]:
    """Answers to the survey: every required question answered, ratings integers 1..5,
    texts at most MAX_TEXT_ANSWER characters, no unknown question. Returns the cleaned
    answers (empty optional texts dropped)."""
    by_id = {q.question_id: q for q in questions}
    for qid in answers:
        if qid not in by_id:
            raise ValidationError(f"问卷中没有题目 {qid}", field=f"answers.{qid}")
    clean: dict[str, Any] = {}
    for q in questions:
        value = answers.get(q.question_id)
        field = f"answers.{q.question_id}"
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if q.required:
                raise ValidationError(f"请回答：{q.text}", field=field)
            continue
        if q.type == "rating":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise ValidationError(f"“{q.text}”须为 1 到 5 的整数评分", field=field)
        else:
            if not isinstance(value, str):
                raise ValidationError(f"“{q.text}”须为文字", field=field)
            if len(value) > MAX_TEXT_ANSWER:
                raise ValidationError(f"“{q.text}”不能超过 {MAX_TEXT_ANSWER} 字", field=field)
        clean[q.question_id] = value
    return clean
