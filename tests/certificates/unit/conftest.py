"""The unit tier of certificates: learning's in-memory world plus the certificate twin
(tests/certificates/memory.py), an in-memory bucket, a stand-in PDF and mail outbox."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from tests.certificates.memory import InMemoryCertificateRepository
from tests.learning.unit.conftest import Trainee, World, world  # noqa: F401 - the fixture

LEARNING_OPENS = datetime.fromisoformat("2026-04-13T00:00:00+08:00")
QUESTIONNAIRE_DAY = datetime.fromisoformat("2026-05-20T10:00:00+08:00")


class MemoryBucket:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str,
                   metadata: dict[str, str] | None = None) -> None:
        self.objects[(bucket, key)] = data

    def get_object(self, bucket: str, key: str) -> bytes:
        return self.objects[(bucket, key)]

    def presigned_get(self, bucket: str, key: str, expires_s: int, now: datetime,
                      **kwargs: Any) -> dict[str, Any]:
        return {"url": f"https://{bucket}.example/{key}?X-Amz-Expires={expires_s}",
                "expires_at": now + timedelta(seconds=expires_s)}


@dataclass
class Outbox:
    sent: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)
    batches: dict[tuple[str, str | None], str | None] = field(default_factory=dict)

    def queue_mail(self, deps: Any, mail_id: str, to_addr: str, template: str,
                   params: dict[str, Any], now: datetime, required: bool = False) -> bool:
        if mail_id in self.sent:
            return False  # at most once per mail id, like the outbox
        self.sent[mail_id] = (to_addr, template, params)
        return True

    def queue_batch(self, deps: Any, series: str, start: str | None, end: str | None,
                    template: str, params: dict[str, Any],
                    mails: list[tuple[str, str, dict[str, Any]]], now: datetime
                    ) -> tuple[int, str | None, bool]:
        """Once per page start, like the outbox: a page recorded before goes on from the
        end it recorded; each mail at most once per key."""
        key = (series, start)
        if key in self.batches:
            return 0, self.batches[key], False
        self.batches[key] = end
        fresh = [(k, to, own) for k, to, own in mails if k not in self.sent]
        for k, to, own in fresh:
            self.sent[k] = (to, template, {**params, **own})
        return len(fresh), end, True


@dataclass
class CertificateWorld:
    learning: World
    certs: InMemoryCertificateRepository
    bucket: MemoryBucket
    outbox: Outbox
    rendered: list[str] = field(default_factory=list)

    def finished(self, name: str = "李玥") -> Trainee:
        """Enrolled, every course 学习完, the questionnaire submitted."""
        from chalicelib.learning import questionnaire, service as learning
        w = self.learning
        t = w.trainee(name)
        learning.enroll(w.deps, t.user_sub, LEARNING_OPENS)
        w.complete(t)
        questionnaire.submit(w.deps, t.user_sub, w.answers(), QUESTIONNAIRE_DAY)
        return t


@pytest.fixture
def certs(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[CertificateWorld]:  # noqa: F811
    from chalicelib.certificates import jobs, service
    cw = CertificateWorld(world, InMemoryCertificateRepository(world.responses, world.registrations),
                          MemoryBucket(), Outbox())
    monkeypatch.setattr(service, "certs", cw.certs)
    monkeypatch.setattr(jobs, "certs", cw.certs)
    monkeypatch.setattr(jobs, "registrations", world.registrations)
    monkeypatch.setattr(jobs, "mail", SimpleNamespace(queue_mail=cw.outbox.queue_mail,
                                                   queue_batch=cw.outbox.queue_batch))
    monkeypatch.setattr(service, "storage", lambda deps: cw.bucket)

    def render(deps: Any, edition: Any, cert: Any) -> bytes:
        cw.rendered.append(cert.certificate_no)
        return b"%PDF-1.4 " + cert.certificate_no.encode()
    monkeypatch.setattr(service, "render_pdf", render)
    yield cw
