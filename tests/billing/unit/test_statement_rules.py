"""Bank statements and notifications finance must see (issue 15, item 6), on the in-memory
twin: a serial repeated inside a statement is one line; a serial finance already confirmed
by hand is `already_credited`, not new money; a name inside a longer name does not tie; a
bad row refuses the whole statement (400 naming every bad row) and writes nothing; a
provider transaction that already paid another order is flagged."""
from __future__ import annotations

import pytest

from chalicelib.billing import orders, payments, reconciliation
from chalicelib.billing.reconciliation import LineRef, OrderRef, match_lines
from chalicelib.platform.errors import ValidationError
from tests.billing.unit.conftest import NOW, World

HEAD = "交易日期,收入金额,对方户名,对方账号,附言,交易流水号\n"


def _bank_order(world: World, name: str = "王芳", unit: str = "首都图书馆") -> dict:
    reg = world.registration(name=name, unit=unit)
    return orders.create_order(world.deps, reg.user_sub, reg.registration_id, "bank_transfer",
                               False, NOW)


def test_a_serial_repeated_in_one_statement_is_reported_once(world: World) -> None:
    order = _bank_order(world)
    csv = (HEAD + "2026-04-06,490.00,王芳,6222,在职培训+首都图书馆+王芳,B0001\n"
           "2026-04-06,490.00,王芳,6222,在职培训+首都图书馆+王芳,b 0001\n").encode()
    result = reconciliation.import_statement(world.deps, csv, "text/csv", "fin", NOW)
    assert [m["order_id"] for m in result["matches"]] == [order["order_id"]]
    assert result["ambiguous"] == [] and result["imported"] == 1 and result["known"] == 0
    [dup] = result["duplicates"]
    assert (dup["bank_serial"], dup["rows"]) == ("B0001", [2, 3])


def test_a_serial_confirmed_by_hand_is_already_credited(world: World) -> None:
    order = _bank_order(world)
    payments.confirm_transfer(world.deps, order["order_id"], None, "b0002", 49000, "fin", NOW)
    _bank_order(world)  # another 王芳 of 首都图书馆, still open, same amount
    csv = (HEAD + "2026-04-06,490.00,王芳,6222,在职培训+首都图书馆+王芳,B0002\n").encode()
    result = reconciliation.import_statement(world.deps, csv, "text/csv", "fin", NOW)
    assert result["matches"] == [] and result["unmatched"] == [] and result["ambiguous"] == []
    assert [(a["bank_serial"], a["order_id"]) for a in result["already_credited"]] == [
        ("B0002", order["order_id"])]


def test_a_name_inside_a_longer_name_does_not_tie() -> None:
    refs = [OrderRef("SHORT", 49000, "individual", "闻晓", "国家图书馆"),
            OrderRef("LONG", 49000, "individual", "闻晓宇", "国家图书馆")]

    def one(memo: str, payer: str = "") -> dict:
        return match_lines([LineRef("L1", 49000, memo, payer)], refs)
    assert [m["order_id"] for m in one("在职培训+国家图书馆+闻晓宇")["matches"]] == ["LONG"]
    assert [m["order_id"] for m in one("在职培训+国家图书馆+闻晓")["matches"]] == ["SHORT"]
    # the payer's own name is an exact token too: then both are written, a person decides
    both = one("在职培训+国家图书馆+闻晓宇", payer="闻晓")
    assert both["matches"] == [] and {c["order_id"] for c in both["ambiguous"][0]["candidates"]} == {
        "SHORT", "LONG"}


def test_a_bad_row_refuses_the_whole_statement(world: World) -> None:
    order = _bank_order(world)
    csv = (HEAD + "2026-04-06,490.00,王芳,6222,在职培训+首都图书馆+王芳,B0003\n"
           "2026-04-06,4９0元x,李四,6223,在职培训,B0004\n"
           "2026-04-06,-10.00,手续费,,,B0005\n"
           "2026-04-06,100.00,赵六,6224,在职培训,\n"
           "合计,590.00,,,,\n"
           "2026-04-06,200.00,钱七,6225,在职培训,B0003\n").encode()
    with pytest.raises(ValidationError) as exc:
        reconciliation.import_statement(world.deps, csv, "text/csv", "fin", NOW)
    assert exc.value.status == 400 and exc.value.details["lines"] == [3, 5, 7]
    assert "3、5、7" in exc.value.message
    assert world.repo.lines([reconciliation.line_id_for("B0003")]) == {}  # nothing written
    # the good rows alone import
    good = (HEAD + "2026-04-06,490.00,王芳,6222,在职培训+首都图书馆+王芳,B0003\n"
            "2026-04-06,-10.00,手续费,,,B0005\n合计,490.00,,,,\n").encode()
    result = reconciliation.import_statement(world.deps, good, "text/csv", "fin", NOW)
    assert [m["order_id"] for m in result["matches"]] == [order["order_id"]] and result["imported"] == 1


def test_a_transaction_that_paid_another_order_is_flagged(world: World) -> None:
    first = world.registration()
    second = world.registration(name="王五")
    o1 = orders.create_order(world.deps, first.user_sub, first.registration_id, "alipay", False, NOW)
    o2 = orders.create_order(world.deps, second.user_sub, second.registration_id, "alipay", False, NOW)

    def notify(order: dict) -> dict:
        return payments.apply_payment(world.deps, channel="alipay", order_id=order["order_id"],
                                      txn_id="2026TRADE1", amount_fen=49000, payer=None,
                                      actor="provider:alipay", now=NOW, raw={"trade_no": "2026TRADE1"})
    assert notify(o1)["result"] == "credited"
    assert notify(o1)["result"] == "already"  # a replay of the same notification: no flag
    assert world.repo.page_open_notifications(10, None)[0] == []
    assert notify(o2)["result"] == "txn_reused"
    [note] = world.repo.page_open_notifications(10, None)[0]
    assert (note.problem, note.out_trade_no, note.provider_txn_id) == (
        "txn_reused", o2["order_id"], "2026TRADE1")
    assert o1["order_id"] in note.detail
    assert world.reg(second.registration_id).payment_status == "unpaid"
