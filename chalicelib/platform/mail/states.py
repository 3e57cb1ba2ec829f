"""A mail's state: recorded (pending) until the provider accepted it (sent)."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


class MailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"


MAIL_STATUS = StateMachine.of("mail.status", MailStatus, {
    MailStatus.PENDING: {MailStatus.SENT},
    MailStatus.SENT: set(),
}, {MailStatus.PENDING: "待发送", MailStatus.SENT: "已发送"})
