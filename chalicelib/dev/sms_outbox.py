"""Dev and test stages only: the SMS "sent" to phones, kept in the kv table (newest last,
at most KEEP) so every local process and the tests can read them at GET /dev/sms."""
from __future__ import annotations

from typing import Any

from chalicelib.identity.sms import message
from chalicelib.platform.clock import iso, system_now
from chalicelib.platform.store.kv import get_value, put_value

KEY = "dev-sms-outbox"
KEEP = 200


class DevSmsOutbox:
    def __init__(self, deps: Any) -> None:
        self.deps = deps

    def send_code(self, phone: str, code: str, purpose: str) -> None:
        sent = list(get_value(KEY, []) or [])
        sent.append({"to": phone, "text": message(code, purpose), "code": code,
                     "purpose": purpose, "at": iso(self.deps.now() if self.deps else system_now())})
        put_value(KEY, sent[-KEEP:])


def list_sms(to: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first; `to`: only those sent to this number."""
    sent = list(reversed(get_value(KEY, []) or []))
    if to:
        sent = [m for m in sent if m["to"] == to]
    return sent[:limit]
