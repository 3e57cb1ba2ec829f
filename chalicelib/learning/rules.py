"""Crediting watched time, as plain rules (no storage, no clock: `now` is an argument).

The player reports its position every HEARTBEAT_INTERVAL_S seconds. A report credits
    credit = min(position - high_water, now - last_at, MAX_CREDIT_S)
where `high_water` is the furthest position ever reported and `last_at` the application
time of the last accepted report. Hence:
- never more than the real time that passed since the last accepted report;
- never the same stretch twice (only positions beyond the high-water mark count);
- repeated and out-of-order reports (position <= high-water) credit nothing;
- a jump ahead is capped by real time and MAX_CREDIT_S; the skipped part is forfeit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.platform.errors import ValidationError
from chalicelib.registration.states import PaymentStatus, RegistrationStatus

HEARTBEAT_INTERVAL_S = 30
MIN_INTERVAL_S = 5  # a report sooner than this after the last accepted one credits nothing
MAX_CREDIT_S = 2 * HEARTBEAT_INTERVAL_S  # one lost report is made up; more is not
MAX_TEXT_ANSWER = 2000
TOKEN_VERSION = "v1"


@dataclass(frozen=True)
class ProgressState:
    """What the conditional update compares: the stored values as the server last saw them."""
    last_at_ms: int
    high_water_s: int
    credited_s: int


@dataclass(frozen=True)
class Credit:
    credit_s: int
    new: ProgressState | None  # None: nothing to write (no credit, state unchanged)


def clamp_position(position_s: float, duration_s: int) -> int:
    """Whole seconds inside the video."""
    return max(0, min(int(position_s), duration_s))


def credit_for(state: ProgressState, position_s: int, now_ms: int) -> Credit:
    advance = position_s - state.high_water_s
    elapsed_s = (now_ms - state.last_at_ms) // 1000
    if advance <= 0 or elapsed_s < MIN_INTERVAL_S:
        return Credit(0, None)
    credit = min(advance, elapsed_s, MAX_CREDIT_S)
    return Credit(credit, ProgressState(last_at_ms=now_ms, high_water_s=position_s,
                                        credited_s=state.credited_s + credit))


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


def encode_token(state: ProgressState) -> str:
    """The state the server answered with; the player sends it back with its next report
    so the update can be conditional on it without a read. It needs no signature: the
    update only succeeds when it equals what is stored."""
    return f"{TOKEN_VERSION}.{state.last_at_ms}.{state.high_water_s}.{state.credited_s}"


def decode_token(token: str | None) -> ProgressState | None:
    """None for a missing or malformed token (the server then reads the item first)."""
    if not token:
        return None
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != TOKEN_VERSION:
        return None
    try:
        values = [int(p) for p in parts[1:]]
    except ValueError:
        return None
    if any(v < 0 or v > 10**15 for v in values):
        return None
    return ProgressState(*values)


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
