"""The edition as data: windows to the second, validation in the notice's order."""
import json
from datetime import timedelta

import pytest
from pydantic import ValidationError as PydanticError

from chalicelib.editions.edition import Edition, invoice_deadline
from chalicelib.platform.errors import WindowClosedError
from chalicelib.editions.service import DATA_DIR, load_seed
from tests.conftest import at

SECOND = timedelta(seconds=1)


@pytest.fixture(scope="module")
def edition() -> Edition:
    return load_seed("2026")


def seed_doc() -> dict:
    return json.loads((DATA_DIR / "2026.json").read_text("utf-8"))


@pytest.mark.parametrize("window,opens,closes", [
    ("registration", "2026-04-03T00:00:00+08:00", "2026-04-11T00:00:00+08:00"),
    ("learning", "2026-04-13T00:00:00+08:00", "2026-06-13T00:00:00+08:00"),
    ("questionnaire", "2026-04-20T00:00:00+08:00", "2026-06-13T00:00:00+08:00"),
    ("certificate", "2026-06-01T00:00:00+08:00", "2026-07-01T00:00:00+08:00"),
])
def test_each_window_at_its_first_and_last_second(edition, window, opens, closes):
    w = edition.window(window)
    assert not w.is_open(at(opens) - SECOND)
    assert w.is_open(at(opens))
    assert w.is_open(at(closes) - SECOND)
    assert not w.is_open(at(closes))


def test_refund_window_closes_at_course_start(edition):
    w = edition.window("refund")
    assert w.is_open(at("2026-04-12T23:59:59+08:00"))
    assert not w.is_open(at("2026-04-13T00:00:00+08:00"))


def test_payment_window_runs_to_the_end_of_learning(edition):
    assert edition.window("payment").closes == at("2026-06-13T00:00:00+08:00")


def test_closed_window_error_names_the_window_and_its_closing_time(edition):
    with pytest.raises(WindowClosedError) as info:
        edition.require_open("registration", at("2026-04-11T00:00:00+08:00"))
    body = info.value.body()
    assert body["Code"] == "WINDOW_CLOSED"
    assert body["window"] == "registration"
    assert body["closes_at"] == "2026-04-11T00:00:00+08:00"
    assert "报名" in body["Message"] and "2026年4月10日 24:00" in body["Message"]  # the notice's day, not the bound


def test_not_yet_open_window_says_when_it_opens(edition):
    with pytest.raises(WindowClosedError) as info:
        edition.require_open("registration", at("2026-04-02T23:59:59+08:00"))
    assert info.value.code == "WINDOW_NOT_OPEN"
    assert "2026年4月3日 00:00" in info.value.message


def test_fees_are_integer_fen(edition):
    assert edition.fee_for(True) == 40000 and edition.fee_for(False) == 49000


def test_ten_courses_make_thirty_hours(edition):
    assert len(edition.courses) == 10
    assert sum(c.hours for c in edition.courses) == edition.certificate_hours == 30


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d["windows"]["registration"].update(closes="2026-04-02T00:00:00+08:00"), "报名"),
    (lambda d: d["windows"]["learning"].update(opens="2026-04-10T00:00:00+08:00"), "报名必须在在线学习开始前截止"),
    (lambda d: d["windows"]["questionnaire"].update(opens="2026-04-12T00:00:00+08:00"), "问卷"),
    (lambda d: d["windows"]["questionnaire"].update(closes="2026-06-14T00:00:00+08:00"), "问卷"),
    (lambda d: d["windows"]["certificate"].update(opens="2026-04-01T00:00:00+08:00"), "证书"),
    (lambda d: d["windows"]["registration"].update(opens="2026-04-03T00:00:00"), "时区"),
    (lambda d: d["courses"].append(dict(d["courses"][0])), "课程编号不能重复"),
    (lambda d: d["fees"].update(member_fen=-1), "greater than 0"),
])
def test_invalid_editions_are_refused_with_a_reason(mutate, needle):
    doc = seed_doc()
    mutate(doc)
    with pytest.raises(PydanticError) as info:
        Edition.model_validate(doc)
    assert needle in str(info.value)


def test_next_years_edition_is_just_data():
    doc = seed_doc()
    doc["edition_id"] = "2027"
    for w in doc["windows"].values():
        for k in ("opens", "closes"):
            if k in w:
                w[k] = w[k].replace("2026", "2027")
    edition = Edition.model_validate(doc)
    assert edition.window("registration").is_open(at("2027-04-05T12:00:00+08:00"))
    assert not edition.window("registration").is_open(at("2026-04-05T12:00:00+08:00"))


@pytest.mark.parametrize("paid,last_open", [
    ("2026-01-31T10:00:00+08:00", "2026-02-28T23:59:59+08:00"),
    ("2028-01-31T10:00:00+08:00", "2028-02-29T23:59:59+08:00"),
    ("2026-04-13T23:30:00+08:00", "2026-05-13T23:59:59+08:00"),
    ("2026-12-15T08:00:00+08:00", "2027-01-15T23:59:59+08:00"),
])
def test_invoice_deadline_is_the_end_of_the_same_day_a_month_later(paid, last_open):
    deadline = invoice_deadline(at(paid), 1)
    assert deadline - SECOND == at(last_open)
