"""Certificates: eligibility and state, issue once inside the window (first and last
second), two racing first downloads, the PDF's content, and public verification."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.platform.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError, WindowClosedError
from chalicelib.certificates import service as certificates
from tests.conftest import at
from tests.learning.conftest import CERT_CLOSES, CERT_OPENS, paid_trainee, set_payment

LAST_SECOND = at("2026-06-30T23:59:59+08:00")


def stored_pdf(deps: Any, certificate_no: str) -> bytes:
    from chalicelib.platform.storage import storage
    return storage(deps).get_object("certificates", f"2026/{certificate_no}.pdf")


def test_mine_lists_unmet_conditions(deps: Any, clock: Any, enrolled: Any) -> None:
    out = certificates.mine(deps, enrolled.user_sub, clock.now())
    assert out["eligible"] is False and out["state"] == "not_eligible"
    assert out["unmet"] == ["courses_incomplete", "questionnaire_missing"]
    unpaid = paid_trainee()
    set_payment(unpaid.registration_id, "approved", "unpaid")
    assert certificates.mine(deps, unpaid.user_sub, clock.now())["unmet"][0] == "not_paid"


def test_not_eligible_cannot_download(deps: Any, clock: Any, enrolled: Any) -> None:
    clock.set(CERT_OPENS)
    with pytest.raises(ForbiddenError) as err:
        certificates.download(deps, enrolled.user_sub, clock.now())
    assert err.value.code == "NOT_ELIGIBLE"


def test_window_first_second_issues_and_pdf_holds_the_facts(deps: Any, clock: Any,
                                                           finished: Any) -> None:
    from pypdf import PdfReader
    # Given an eligible trainee one second before the window
    clock.set(at("2026-05-31T23:59:59+08:00"))
    assert certificates.mine(deps, finished.user_sub, clock.now())["state"] == "eligible"
    with pytest.raises(WindowClosedError) as err:
        certificates.download(deps, finished.user_sub, clock.now())
    assert err.value.code == "WINDOW_NOT_OPEN"
    # When the window opens
    clock.set(CERT_OPENS)
    link = certificates.download(deps, finished.user_sub, clock.now())
    # Then a short-lived link to a stored PDF naming the holder, 30 学时 and the number
    no = link["certificate_no"]
    assert "X-Amz-Expires=300" in link["url"] and link["expires_at"] > clock.now()
    pdf = stored_pdf(deps, no)
    assert pdf.startswith(b"%PDF") and len(pdf) < 120_000
    reader = PdfReader(BytesIO(pdf))
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    text = page.extract_text().replace("\x00", "").replace(" ", "")
    assert finished.name in text and "30学时" in text and no in text
    mine = certificates.mine(deps, finished.user_sub, clock.now())
    assert mine["state"] == "issued" and mine["certificate_no"] == no


def test_rare_characters_are_embedded(deps: Any, clock: Any, enrolled: Any) -> None:
    from pypdf import PdfReader

    from chalicelib.learning import questionnaire
    from tests.learning.conftest import answers_for, complete_courses
    rare = paid_trainee("王喆堃玥")
    from chalicelib.learning import service as learning
    learning.enroll(deps, rare.user_sub, clock.now())
    complete_courses(deps, rare)
    clock.set(at("2026-05-20T10:00:00+08:00"))
    questionnaire.submit(deps, rare.user_sub, answers_for(deps), clock.now())
    clock.set(CERT_OPENS)
    no = certificates.download(deps, rare.user_sub, clock.now())["certificate_no"]
    text = PdfReader(BytesIO(stored_pdf(deps, no))).pages[0].extract_text().replace("\x00", "")
    assert "王喆堃玥" in text.replace(" ", "")


def test_last_second_then_closed_without_reissue(deps: Any, clock: Any, finished: Any) -> None:
    clock.set(LAST_SECOND)
    first = certificates.download(deps, finished.user_sub, clock.now())
    again = certificates.download(deps, finished.user_sub, clock.now())
    assert again["certificate_no"] == first["certificate_no"]  # never regenerated
    clock.set(CERT_CLOSES)
    with pytest.raises(WindowClosedError) as err:
        certificates.download(deps, finished.user_sub, clock.now())
    assert err.value.code == "WINDOW_CLOSED" and "证书下载已于" in err.value.message
    assert "不补发" in err.value.body()["Message"]


def test_unused_eligibility_expires(deps: Any, clock: Any, finished: Any) -> None:
    clock.set(CERT_CLOSES)
    assert certificates.mine(deps, finished.user_sub, clock.now())["state"] == "expired"
    with pytest.raises(WindowClosedError):
        certificates.download(deps, finished.user_sub, clock.now())


def test_two_concurrent_first_downloads_issue_one(deps: Any, clock: Any, finished: Any) -> None:
    from chalicelib.platform.store.audit import history
    clock.set(CERT_OPENS)
    now = clock.now()
    with ThreadPoolExecutor(2) as pool:
        links = list(pool.map(lambda _: certificates.download(deps, finished.user_sub, now),
                              range(2)))
    nos = {link["certificate_no"] for link in links}
    assert len(nos) == 1
    no = nos.pop()
    assert [e.action for e in history(f"certificate#{no}")] == ["certificate.issued"]


def test_refunded_after_eligibility_cannot_download(deps: Any, clock: Any, finished: Any) -> None:
    set_payment(finished.registration_id, "approved", "refunded")
    clock.set(CERT_OPENS)
    with pytest.raises(ForbiddenError) as err:
        certificates.download(deps, finished.user_sub, clock.now())
    assert err.value.code == "REFUNDED"


def test_verify_genuine_revoked_and_made_up(deps: Any, clock: Any, finished: Any) -> None:
    from chalicelib.certificates.numbers import new_certificate_no
    clock.set(CERT_OPENS)
    link = certificates.download(deps, finished.user_sub, clock.now())
    no = link["certificate_no"]
    # genuine, typed carelessly (lower case, no hyphens)
    out = certificates.verify(deps, no.lower().replace("-", ""))
    assert out["genuine"] is True and out["status"] == "issued"
    assert out["holder_name"] == "李*" and out["hours"] == 30
    assert out["edition"] == "2026年图书馆员在职专业培训" and out["issued_at"].startswith("2026-06-01")
    # revoked by an admin, with a reason
    certificates.revoke(deps, no, "信息有误", "admin-sub", clock.now())
    out = certificates.verify(deps, no)
    assert out["genuine"] is False and out["status"] == "revoked"
    assert out["revoke_reason"] == "信息有误"
    with pytest.raises(ConflictError):
        certificates.revoke(deps, no, "again", "admin-sub", clock.now())
    with pytest.raises(ConflictError) as err:
        certificates.download(deps, finished.user_sub, clock.now())
    assert err.value.code == "CERTIFICATE_REVOKED"
    # a well-formed number that was never issued
    with pytest.raises(NotFoundError) as nf:
        certificates.verify(deps, new_certificate_no("2026"))
    assert nf.value.details["genuine"] is False
    # a typo (wrong check character) is refused before any lookup
    bad = no[:-1] + ("0" if no[-1] != "0" else "1")
    with pytest.raises(ValidationError) as ve:
        certificates.verify(deps, bad)
    assert ve.value.code == "CERTIFICATE_NO_INVALID"


def test_qr_code_points_at_verification_page(deps: Any, clock: Any, finished: Any) -> None:
    from chalicelib.editions import service as editions
    edition = editions.get_current(deps)
    url = certificates.verify_url(deps, edition, "2026-AAAA-BBBB-CCCC-DDDDE")
    parsed = urlparse(url)
    assert parsed.path == "/verify.html"
    assert parse_qs(parsed.query)["no"] == ["2026-AAAA-BBBB-CCCC-DDDDE"]
