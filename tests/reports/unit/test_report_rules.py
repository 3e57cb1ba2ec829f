"""The report's counting, given what the features' queries answer (fakes, no moto): the
funnel, registrations per Beijing day, income by channel, a unit's pickable staff and the
open transfers; then the service's gathering with the queries faked."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace as R
from typing import Any

import pytest

from chalicelib.platform.clock import parse_instant
from chalicelib.reports import rules, service as reports

DAY1 = parse_instant("2026-04-05T23:59:59+08:00")
DAY2 = DAY1 + timedelta(seconds=1)  # 2026-04-06 00:00 Beijing (still 04-05 in UTC)


def reg(status: str, payment: str = "unpaid", at: datetime = DAY1, sub: str = "s", **kw: Any) -> R:
    fields = dict(registration_id=f"R-{sub}", user_sub=sub, status=status, payment_status=payment,
                  submitted_at=at, name=sub, email=f"{sub}@example.com", job_title="馆员",
                  fee_fen=49000, tier="member", open_order_id=None)
    fields.update(kw)
    return R(**fields)


def order(fen: int, **kw: Any) -> R:
    fields = dict(order_id="O", kind="individual", amount_fen=fen, memo=None, unit_name="国家图书馆",
                  payer_name="甲", registration_ids=["R1"], created_at=DAY1, review_due_at=None,
                  voucher_key=None, member_list_key=None)
    fields.update(kw)
    return R(**fields)


BY_STATUS = {
    "pending": [reg("pending", sub="p", at=DAY2)],
    "approved": [reg("approved", "paid", sub="a1"), reg("approved", "paid", sub="a2"),
                 reg("approved", "unpaid", sub="a3"), reg("approved", "refunding", sub="a4")],
    "rejected": [reg("rejected", sub="r")],
    "withdrawn": [],
}


def test_the_funnel_counts_each_step():
    responses = [R(certificate_no="LSC-2026-000001"), R(certificate_no=None)]
    steps = {row["step"]: row["count"] for row in rules.funnel(BY_STATUS, 1, responses)}
    assert steps == {"registered": 6, "approved": 4, "paid": 2, "courses_done": 1,
                     "questionnaire": 2, "certificate": 1}
    assert [row["label"] for row in rules.funnel(BY_STATUS, 1, responses)][:3] == ["报名", "审核通过", "已交费"]


def test_registrations_are_counted_on_their_beijing_day():
    rows = rules.registrations_per_day([reg("pending", at=DAY1), reg("pending", at=DAY2),
                                        reg("pending", at=DAY2 + timedelta(hours=5))])
    assert rows == [{"date": "2026-04-05", "count": 1}, {"date": "2026-04-06", "count": 2}]


def refund(fen: int, channel: str = "alipay", status: str = "done", kind: str = "request") -> R:
    return R(amount_fen=fen, channel=channel, status=status, kind=kind)


def test_income_lists_every_channel_gross_refunds_and_net():
    # Given two credited alipay orders (one refunded since), a group transfer whose member
    # got a share back, a refund still at the provider and a duplicate payment sent back
    income = rules.income_by_channel(
        {"alipay": [order(49000), order(40000)], "bank_transfer": [order(147000)]},
        [refund(49000), refund(49000, "bank_transfer"), refund(40000, status="processing"),
         refund(49000, "wechatpay", kind="duplicate")])
    assert [i["channel"] for i in income] == ["alipay", "wechatpay", "bank_transfer"]
    # Then gross counts what was credited, net takes off what went back
    assert income[0] == {"channel": "alipay", "label": "支付宝", "orders": 2, "gross_fen": 89000,
                         "refunded_orders": 1, "refunded_fen": 49000, "refunding_fen": 40000,
                         "net_fen": 40000, "amount_fen": 40000}
    assert income[2]["gross_fen"] == 147000 and income[2]["net_fen"] == 98000
    # And money no order took (the duplicate) is neither income nor an income refund
    assert income[1]["gross_fen"] == 0 and income[1]["refunded_fen"] == 0


def test_a_unit_sees_who_can_join_and_why_not():
    rows = rules.unit_rows([
        reg("approved", sub="ok", at=DAY2),
        reg("pending", sub="pending", at=DAY1),
        reg("approved", "paid", sub="paid"),
        reg("approved", sub="held", open_order_id="O9"),
        reg("withdrawn", sub="gone"), reg("rejected", sub="no")])
    assert [r["name"] for r in rows] == ["pending", "paid", "held", "ok"]  # oldest first, live only
    why = {r["name"]: (r["payable"], r["problem"], r["problem_text"]) for r in rows}
    assert why["ok"] == (True, None, None)
    assert why["pending"] == (False, "NOT_APPROVED", "报名尚未审核通过")
    assert why["paid"] == (False, "ALREADY_PAID", "已交费")
    assert why["held"] == (False, "IN_OTHER_ORDER", "已在其他未支付订单中")


def test_open_transfers_oldest_first_of_the_kind_asked():
    orders = [order(147000, order_id="G", kind="group", created_at=DAY2, voucher_key="v",
                    registration_ids=["R1", "R2", "R3"]),
              order(49000, order_id="I", created_at=DAY1, memo="在职培训+国家图书馆+甲")]
    rows = rules.open_transfer_rows(orders, None)
    assert [r["order_id"] for r in rows] == ["I", "G"]
    assert rows[1]["members"] == 3 and rows[1]["voucher_uploaded"] is True
    assert rows[0]["created_at"] == "2026-04-05T23:59:59+08:00" and rows[0]["review_due_at"] is None
    assert [r["order_id"] for r in rules.open_transfer_rows(orders, "group")] == ["G"]


class Fakes:
    """The queries the report reads, answering from dicts."""

    def __init__(self) -> None:
        self.edition = R(edition_id="2026", title="2026 年在职培训", courses=[1, 2])
        self.paid = {"alipay": [order(49000)], "wechatpay": [order(49000), order(49000)]}
        self.refunded = {"bank_transfer": [order(49000)]}
        self.refunds = {"done": [refund(49000, "bank_transfer")],
                        "requested": [refund(49000, "wechatpay", status="requested")]}
        self.done = {"a1"}

    def get_current(self, deps: Any) -> R:
        return self.edition

    def get_edition(self, deps: Any, edition_id: str) -> R:
        assert edition_id == "2026"
        return self.edition

    def all_by_status(self, edition_id: str, status: str) -> list[R]:
        return list(BY_STATUS[status])

    def orders_in_queue(self, edition_id: str, status: str, channel: str) -> list[R]:
        return list({"paid": self.paid, "refunded": self.refunded}.get(status, {}).get(channel, []))

    def page_refunds(self, edition_id: str, status: str, limit: int, token: str | None
                     ) -> tuple[list[R], str | None]:
        items = self.refunds.get(status, [])
        start = int(token or 0)  # pages of one: the service must follow the tokens
        more = start + 1 < len(items)
        return items[start:start + 1], str(start + 1) if more else None

    def all_courses_done(self, edition_id: str, user_sub: str, course_count: int) -> bool:
        assert course_count == 2
        return user_sub in self.done

    def responses_of_edition(self, edition_id: str) -> list[R]:
        return [R(certificate_no=None)]


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    f = Fakes()
    for name in ("editions", "registrations", "billing", "learning"):
        monkeypatch.setattr(reports, name, f)
    return f


def test_the_summary_puts_the_queries_answers_together(fakes):
    out = reports.summary(None, None, DAY1)  # type: ignore[arg-type]
    assert out["edition_id"] == "2026" and out["generated_at"] == "2026-04-05T23:59:59+08:00"
    assert out["by_status"] == {"pending": 1, "approved": 4, "rejected": 1, "withdrawn": 0}
    assert {r["step"]: r["count"] for r in out["funnel"]}["courses_done"] == 1
    # gross: the three paid orders and the refunded transfer; net: less the refund done
    assert out["gross_total_fen"] == 4 * 49000
    assert out["refunded_total_fen"] == 49000 and out["refunding_total_fen"] == 49000
    assert out["net_total_fen"] == out["income_total_fen"] == 3 * 49000
    assert out["registrations_per_day"] == [{"date": "2026-04-05", "count": 5},
                                            {"date": "2026-04-06", "count": 1}]
    from chalicelib.reports.models import SummaryOut
    SummaryOut.model_validate(out)  # the route's typed answer accepts it
