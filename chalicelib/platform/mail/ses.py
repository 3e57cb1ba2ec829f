"""Sending mail through SES. Behind this class so SMTP can replace it in a region
without SES."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.platform.aws import client
from chalicelib.platform.settings import Settings


class MailSendError(Exception):
    """The provider did not take the mail (throttled, unreachable, refused): retry later."""


class SesMailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Any = None  # built on the first mail: no cold start pays for it
        self._sender = settings.mail_sender

    @property
    def _ses(self) -> Any:
        if self._client is None:
            self._client = client(self._settings, "ses")
        return self._client

    def send(self, to_addr: str, subject: str, body: str) -> str:
        try:
            out = self._ses.send_email(
                Source=self._sender, Destination={"ToAddresses": [to_addr]},
                Message={"Subject": {"Data": subject, "Charset": "UTF-8"},
                         "Body": {"Text": {"Data": body, "Charset": "UTF-8"}}})
        except (ClientError, BotoCoreError, OSError) as exc:
            raise MailSendError(type(exc).__name__) from exc
        return str(out["MessageId"])
