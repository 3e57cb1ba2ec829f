"""The certificate mail reads no registration when the response came after the refund
window's close (certificates/jobs._contact). That rests on facts of other features' code;
these tests pin them, so a change that adds a way for a paid, approved registration to stop
being so, or for its name or e-mail to change, fails here and points at the job.
(Through the API: tests/certificates/test_certificate_mail_contact.py.)"""
from __future__ import annotations

import re
from pathlib import Path

from chalicelib.registration.states import PAYMENT_STATUS, STATUS, PaymentStatus, RegistrationStatus

ROOT = Path(__file__).resolve().parents[3]
CODE = ROOT / "chalicelib"


def callers(pattern: str) -> set[str]:
    """The modules of chalicelib calling `pattern` (a definition is not a call)."""
    found = set()
    for path in CODE.rglob("*.py"):
        text = path.read_text("utf-8")
        if re.search(rf"(?<!def ){pattern}", text):
            found.add(str(path.relative_to(ROOT)))
    return found


def test_a_paid_registration_leaves_paid_only_by_a_recorded_refund() -> None:
    assert PAYMENT_STATUS.sources(PaymentStatus.REFUNDING) == [PaymentStatus.PAID]
    assert [s for s in PaymentStatus if PaymentStatus.PAID in PAYMENT_STATUS.sources(s)] == \
        [PaymentStatus.REFUNDING]
    # approved goes only to withdrawn, and the withdrawal's condition is "unpaid"
    assert [s for s in RegistrationStatus if RegistrationStatus.APPROVED in STATUS.sources(s)] == \
        [RegistrationStatus.WITHDRAWN]
    source = (CODE / "registration/repository.py").read_text("utf-8")
    withdraw = source[source.index("    def withdraw("):source.index("    def link_unit(")]
    assert "Registration.payment_status == PaymentStatus.UNPAID.value" in withdraw


def functions_calling(path: Path, pattern: str) -> set[str]:
    """The top-level functions of a module whose body calls `pattern`."""
    text = path.read_text("utf-8")
    found = set()
    for block in re.split(r"\n(?=def )", text):
        name = re.match(r"def (\w+)", block)
        if name and re.search(pattern, block):
            found.add(name.group(1))
    return found


def test_the_only_refund_of_a_paid_approved_registration_is_the_trainee_s_request() -> None:
    assert callers(r"mark_refunding\(") == {"chalicelib/billing/repository.py"}
    assert callers(r"\.create_refund\(") == {"chalicelib/billing/refunds.py"}
    refunds = CODE / "billing/refunds.py"
    calling = functions_calling(refunds, r"\.create_refund\(")
    assert "request_refund" in calling
    # an automatic refund of a registration, if one exists, is for an unapproved one only
    assert calling <= {"request_refund", "refund_credited_payment"}, calling
    source = refunds.read_text("utf-8")
    request = source[source.index("def request_refund("):]
    request = request[:request.index("\ndef ")]
    assert 'edition.require_open("refund", now' in request  # refused after the close
    assert "RegistrationStatus.APPROVED" in request
    if "refund_credited_payment" in calling:
        for path in CODE.rglob("*.py"):
            for line in path.read_text("utf-8").splitlines():
                if "refund_credited_payment(" in line and "def " not in line \
                        and "import" not in line:
                    assert "UNAPPROVED" in line, (path, line)


def test_a_registration_s_name_and_e_mail_change_only_by_erasure() -> None:
    assert callers(r"Registration\.email\.set\(") == {"chalicelib/registration/repository.py"}
    assert callers(r"Registration\.name\.set\(") == {"chalicelib/registration/repository.py"}
    source = (CODE / "registration/repository.py").read_text("utf-8")
    assert source.count("Registration.email.set(") == 1  # in scrub_person
    assert callers(r"\.erase_person\(") == {"chalicelib/privacy/service.py"}
    privacy = (CODE / "privacy/service.py").read_text("utf-8")
    assert "in_training" in privacy and "ERASURE_BLOCKED" in privacy
