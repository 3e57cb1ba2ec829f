"""The report routes the web front end relies on, through the HTTP API (chalice test
client, real tokens): the admin's summary, a unit's own registrations, finance's open
bank transfers."""
from __future__ import annotations

from tests.identity.unit_helpers import link, verified_unit


def test_report_summary_counts_the_funnel(api):
    # Given two registrations, one approved
    _, t1 = api.signup(name="甲")
    _, t2 = api.signup(name="乙")
    r1 = api.register(t1).data
    api.register(t2)
    reviewer = api.staff("reviewer")
    api.post(f"/admin/registrations/{r1['registration_id']}/approve", reviewer)
    # When the admin asks for the report
    r = api.get("/admin/reports/summary", api.staff("admin"))
    # Then the funnel and the daily counts say so
    assert r.status_code == 200, r.body
    funnel = {row["step"]: row["count"] for row in r.data["funnel"]}
    assert funnel == {"registered": 2, "approved": 1, "paid": 0, "courses_done": 0,
                      "questionnaire": 0, "certificate": 0}
    assert r.data["registrations_per_day"] == [{"date": "2026-04-05", "count": 2}]
    assert {i["channel"] for i in r.data["income_by_channel"]} == {"alipay", "wechatpay", "bank_transfer"}
    assert r.data["income_total_fen"] == 0


def test_report_is_admin_only(api):
    assert api.get("/admin/reports/summary", api.staff("reviewer")).status_code == 403


def test_unit_sees_its_staff_and_who_can_join_a_group_order(api):
    # Given a unit account and two staff registered under its name (one with full-width
    # characters and spaces), one approved
    # (verified by staff, and linked by both trainees: issue 14)
    _, unit, unit_id = verified_unit(api, unit_name="湖北省图书馆", credit_code="91110000717803011R")
    _, a = api.signup(name="甲")
    _, b = api.signup(name="乙")
    ra = api.register(a, unit_name="湖北省图书馆").data
    rb = api.register(b, unit_name="湖北省 图书馆").data
    link(api, a, ra["registration_id"], unit_id)
    link(api, b, rb["registration_id"], unit_id)
    api.post(f"/admin/registrations/{ra['registration_id']}/approve", api.staff("reviewer"))
    # When the unit lists its staff
    r = api.get("/unit/registrations", unit)
    # Then both are there; only the approved one can be picked, the other says why
    assert r.status_code == 200, r.body
    rows = {row["name"]: row for row in r.data["registrations"]}
    assert rows["甲"]["payable"] is True
    assert rows["乙"]["payable"] is False and rows["乙"]["problem_text"] == "报名尚未审核通过"
    # And a trainee may not use the route
    assert api.get("/unit/registrations", a).status_code == 403


def test_open_transfers_list_bank_orders_for_finance(api):
    _, t = api.signup(name="丙")
    reg = api.register(t).data
    api.post(f"/admin/registrations/{reg['registration_id']}/approve", api.staff("reviewer"))
    order = api.post("/orders", t, json={"registration_id": reg["registration_id"],
                                         "channel": "bank_transfer"}).data
    r = api.get("/admin/transfers/open?kind=individual", api.staff("finance"))
    assert r.status_code == 200, r.body
    assert [o["order_id"] for o in r.data["orders"]] == [order["order_id"]]
    assert r.data["orders"][0]["memo"] == "在职培训+国家图书馆+丙"
    assert api.get("/admin/transfers/open?kind=nope", api.staff("finance")).status_code == 400


def test_report_names_gross_and_net_income_from_orders_and_refunds(api):
    # Given two credited Alipay orders, one refunded in full, and a bank refund still pending
    from datetime import UTC, datetime

    from chalicelib.billing.repository import Order, Refund, order_queue
    from chalicelib.platform.store.base import new_id
    at = datetime(2026, 4, 8, tzinfo=UTC)

    def order(status: str, channel: str = "alipay") -> str:
        oid = new_id("O")
        Order(order_id=oid, edition_id="2026", kind="individual", channel=channel, owner_sub="s",
              registration_ids=["R1"], amount_fen=49000, status=status, unit_name="馆",
              payer_name="甲", created_at=at, paid_at=at, payment_id=new_id("P"),
              queue=order_queue("2026", status, channel)).save()
        return oid

    def refund(oid: str, status: str, channel: str = "alipay") -> None:
        Refund(refund_id=new_id("F"), payment_id="P", order_id=oid, edition_id="2026",
               registration_id=None, channel=channel, provider_txn_id="T", amount_fen=49000,
               payment_amount_fen=49000, kind="request", status=status, reason="不去了",
               requested_by="s", requested_at=at, queue=f"2026#{status}").save()
    order("paid")
    refund(order("refunded"), "done")
    refund(order("refunding", "bank_transfer"), "requested", "bank_transfer")
    # When the admin asks for the report
    r = api.get("/admin/reports/summary", api.staff("admin"))
    # Then gross counts every credited order and net takes off the refund done
    assert r.status_code == 200, r.body
    alipay = next(i for i in r.data["income_by_channel"] if i["channel"] == "alipay")
    assert (alipay["gross_fen"], alipay["refunded_fen"], alipay["net_fen"]) == (98000, 49000, 49000)
    assert r.data["gross_total_fen"] == 147000 and r.data["refunding_total_fen"] == 49000
    assert r.data["net_total_fen"] == r.data["income_total_fen"] == 98000
