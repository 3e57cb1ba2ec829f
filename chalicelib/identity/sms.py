"""Sending SMS codes, behind one small interface. Which sender a process gets is decided
by the stage, never by data: prod always gets Alibaba Cloud SMS (sms_aliyun.py, the
official SDK, registered sign name and template); the dev and test stages get the outbox
that `chalicelib.dev.install()` registered here (readable at GET /dev/sms)."""
from __future__ import annotations

from typing import Any, Callable, Protocol

PURPOSE_TEXT = {  # what the message says the code is for (dev outbox; prod: the template)
    "phone": "验证手机号",
    "reset": "重置密码",
    "login": "登录",
}


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str, purpose: str) -> None:
        """Send `code` to the mainland mobile `phone` (11 digits); raise on failure."""


SenderFactory = Callable[[Any], SmsSender]
_DEV_FACTORY: dict[str, SenderFactory] = {}


def register_dev_sender(factory: SenderFactory) -> None:
    """The dev and test stages put their outbox here; a prod process never uses it."""
    _DEV_FACTORY["sender"] = factory


def message(code: str, purpose: str) -> str:
    """The text of a code message (the prod template says the same)."""
    return (f"【中国图书馆学会】您正在{PURPOSE_TEXT.get(purpose, '验证身份')}，验证码 {code}，"
            "5 分钟内有效。如非本人操作，请忽略本短信。")


def sender(deps: Any) -> SmsSender:
    """The per-process SMS sender of this stage."""
    def build(d: Any) -> SmsSender:
        if not d.settings.is_dev:
            from chalicelib.identity.sms_aliyun import AliyunSms  # the SDK: off the cold start
            return AliyunSms(d.settings)
        factory = _DEV_FACTORY.get("sender")
        if factory is None:  # a dev or test process never sends a real SMS
            raise RuntimeError(f"no SMS outbox in the {d.settings.stage} stage: "
                               "call chalicelib.dev.install() at start-up")
        return factory(d)
    return deps.adapter("sms", build)  # type: ignore[no-any-return]
