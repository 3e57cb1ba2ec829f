"""The certificate twin keeps the real repository's promises (tests/certificates/memory.py
against DynamoDB on moto): one certificate per registration, only while paid and while the
response's eligibility is open; expiry once; revocation once; the PDF stored once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.certificates.repository import Certificate, CertificateRepository
from chalicelib.learning.repository import QuestionnaireRepository
from tests.certificates.memory import InMemoryCertificateRepository
from tests.learning.memory import InMemoryQuestionnaireRepository, InMemoryRegistrations
from tests.learning.test_repository_contract import T0, registration, response


@dataclass
class World:
    certificates: Any
    responses: Any
    add_registration: Any


@pytest.fixture(params=["memory", "dynamodb"])
def world(request: pytest.FixtureRequest) -> World:
    if request.param == "memory":
        regs = InMemoryRegistrations()
        responses = InMemoryQuestionnaireRepository(regs)
        return World(InMemoryCertificateRepository(responses, regs), responses, regs.add)
    request.getfixturevalue("deps")  # fresh tables on the embedded AWS
    return World(CertificateRepository(), QuestionnaireRepository(), lambda reg: reg.save())


def certificate(no: str, rid: str) -> Certificate:
    return Certificate(certificate_no=no, edition_id="2026", edition_title="2026年图书馆员在职专业培训",
                       registration_id=rid, user_sub=f"sub-{rid}", holder_name="李玥",
                       unit_name="国家图书馆", hours=30, learning_from=T0,
                       learning_to=T0 + timedelta(days=60), issued_at=T0, status="issued",
                       pdf_key=f"2026/{no}.pdf", pdf_state="pending")


def eligible(world: World, rid: str) -> None:
    world.add_registration(registration(rid))
    assert world.responses.submit(response(rid), f"sub-{rid}", T0)


def test_one_certificate_per_registration_and_none_without_a_response(world: World) -> None:
    world.add_registration(registration("R0"))
    assert not world.certificates.issue(certificate("N0", "R0"), "sub-R0", T0)  # no response yet
    eligible(world, "R1")
    assert world.certificates.issue(certificate("N1", "R1"), "sub-R1", T0)
    assert not world.certificates.issue(certificate("N2", "R1"), "sub-R1", T0)  # a second number
    assert world.certificates.get("N2") is None
    stored = world.responses.get("R1")
    assert (stored.certificate_no, stored.certificate_state) == ("N1", "issued")
    assert not world.certificates.expire("R1", "system", T0)  # issued: nothing to expire


def test_expiry_once_and_then_no_issue(world: World) -> None:
    eligible(world, "R1")
    assert world.certificates.expire("R1", "system", T0)
    assert not world.certificates.expire("R1", "system", T0)
    assert world.responses.get("R1").certificate_state == "expired"
    assert not world.certificates.issue(certificate("N1", "R1"), "sub-R1", T0)


def test_pdf_stored_once_and_revocation_once(world: World) -> None:
    eligible(world, "R1")
    world.certificates.issue(certificate("N1", "R1"), "sub-R1", T0)
    cert = world.certificates.get("N1")
    world.certificates.mark_stored(cert, 1234)
    world.certificates.mark_stored(world.certificates.get("N1"), 9999)  # a second render
    assert (world.certificates.get("N1").pdf_state, world.certificates.get("N1").pdf_bytes) == ("stored", 1234)
    assert world.certificates.revoke(world.certificates.get("N1"), "信息有误", "admin", T0)
    assert not world.certificates.revoke(world.certificates.get("N1"), "再次", "admin", T0)
    assert world.certificates.get("N1").status == "revoked"
