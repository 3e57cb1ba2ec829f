"""Bank statement reconciliation: the pure matcher (full-width, spaces, missing '+',
abbreviated units), the import (CSV and XLSX, re-import credits nothing twice, one line
never pays two orders) and a modest timing sanity check."""
from __future__ import annotations

import io
import time
from typing import Any

import pytest

from chalicelib.platform.errors import ConflictError
from chalicelib.billing.reconciliation import LineRef, OrderRef, match_lines, parse_statement
from tests.billing.conftest import approved_registration, get_reg

ORDERS = [OrderRef("O1", 49000, "individual", "李玥", "国家图书馆"),
          OrderRef("O2", 40000, "individual", "王五", "上海图书馆"),
          OrderRef("O3", 40000, "individual", "张伟", "首都图书馆"),
          OrderRef("O4", 40000, "individual", "张伟", "天津图书馆"),
          OrderRef("G1", 129000, "group", "", "北京大学图书馆")]


def _one(memo: str, amount: int, payer: str = "") -> dict[str, Any]:
    result = match_lines([LineRef("L1", amount, memo, payer)], ORDERS)
    return {k: v for k, v in result.items() if v}


def test_matcher_tolerates_how_people_write_memos() -> None:
    assert _one("在职培训+国家图书馆+李玥", 49000)["matches"][0]["order_id"] == "O1"
    assert _one("在职培训＋国家 图书馆＋李　玥", 49000)["matches"][0]["confidence"] == "high"
    assert _one("在职培训国家图书馆李玥", 49000)["matches"][0]["order_id"] == "O1"
    assert _one("在职培训+上图+王五", 40000)["matches"] == [
        {"line_id": "L1", "order_id": "O2", "confidence": "medium"}]
    # A group: the unit pays, memo 在职培训+单位名称 (here abbreviated), amount the sum
    assert _one("在职培训 北大图书馆", 129000, payer="北京大学")["matches"][0]["order_id"] == "G1"


def test_matcher_is_careful() -> None:
    # Two 张伟 with the same amount and no unit: a person must decide
    amb = _one("在职培训张伟", 40000)["ambiguous"][0]
    assert {c["order_id"] for c in amb["candidates"]} == {"O3", "O4"}
    # The unit tells them apart
    assert _one("在职培训+天津图书馆+张伟", 40000)["matches"][0]["order_id"] == "O4"
    # Right name, wrong amount: not a match
    assert "unmatched" in _one("在职培训+国家图书馆+李玥", 40000)
    assert "unmatched" in _one("货款", 49000)
    # Two lines for the same order: neither is confident
    two = match_lines([LineRef("A", 49000, "在职培训+国家图书馆+李玥", ""),
                       LineRef("B", 49000, "在职培训+国家图书馆+李玥", "")], ORDERS)
    assert two["matches"] == [] and {a["line_id"] for a in two["ambiguous"]} == {"A", "B"}


def test_matching_timing_sanity() -> None:
    from bench.reconciliation import dataset
    from chalicelib.billing.reconciliation import Matcher
    orders, lines, expected = dataset(n_orders=10_000, n_lines=2_000, seed=3)
    started = time.perf_counter()
    result = Matcher(orders).match(lines)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, elapsed  # the full 10k x 50k runs in ~1 s: bench/reconciliation.py
    assert all(expected[m["line_id"]] == m["order_id"] for m in result["matches"])
    assert len(result["matches"]) > 0.6 * len(expected)


CSV = ("交易日期,收入金额,支出金额,对方户名,对方账号,附言,交易流水号\n"
       "2026-04-07,\"490.00\",,李玥,6222000011112222,在职培训＋国家 图书馆＋李玥,SER001\n"
       "2026-04-07,400.00,,王五,6222000033334444,在职培训上图王五,SER002\n"
       "2026-04-08,123.00,,某公司,1100,货款,SER003\n"
       "2026-04-08,,50.00,中国图书馆学会,1,手续费,SER004\n")


def test_statement_import_reimport_and_confirm(pdeps: Any, clock: Any) -> None:
    from chalicelib.billing import orders, payments, reconciliation
    from chalicelib.registration.repository import Registration
    now = clock.now()
    acc1, rid1 = approved_registration(pdeps, now, name="李玥", unit_name="国家图书馆")
    acc2, rid2 = approved_registration(pdeps, now, name="王五", unit_name="上海图书馆")
    Registration(registration_id=rid2).update(actions=[Registration.fee_fen.set(40000)])
    o1 = orders.create_order(pdeps, acc1.user_sub, rid1, "bank_transfer", False, now)
    o2 = orders.create_order(pdeps, acc2.user_sub, rid2, "bank_transfer", False, now)
    assert o2["amount_fen"] == 40000
    first = reconciliation.import_statement(pdeps, CSV.encode("gb18030"), "text/csv", "fin", now)
    assert first["imported"] == 3 and first["known"] == 0
    by_order = {m["order_id"]: m for m in first["matches"]}
    assert set(by_order) == {o1["order_id"], o2["order_id"]}
    assert [u["amount_fen"] for u in first["unmatched"]] == [12300]
    # Finance confirms the first line
    line1 = by_order[o1["order_id"]]["line_id"]
    assert payments.confirm_transfer(pdeps, o1["order_id"], line1, None, None, "fin", now)["status"] == "paid"
    assert get_reg(rid1).payment_status == "paid"
    # The same statement again: nothing new, the used line is reported and not proposed
    again = reconciliation.import_statement(pdeps, CSV.encode(), "text/csv", "fin", now)
    assert again["imported"] == 0 and again["known"] == 3
    assert [a["line_id"] for a in again["already_credited"]] == [line1]
    assert [m["order_id"] for m in again["matches"]] == [o2["order_id"]]
    # One line never pays two orders
    with pytest.raises(ConflictError) as exc:
        payments.confirm_transfer(pdeps, o2["order_id"], line1, None, None, "fin", now)
    assert exc.value.code == "LINE_USED"
    # Nor does its serial typed by hand
    with pytest.raises(ConflictError) as exc:
        payments.confirm_transfer(pdeps, o2["order_id"], None, "ser001", 40000, "fin", now)
    assert exc.value.code == "BANK_SERIAL_USED"
    assert get_reg(rid2).payment_status == "unpaid"


def test_xlsx_with_other_headers() -> None:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["北京银行 账户明细"])
    ws.append(["记账日期", "贷方金额", "借方金额", "对方名称", "摘要", "用途", "流水号"])
    ws.append(["2026-04-07", 490, None, "李玥", "转账", "在职培训+国家图书馆+李玥", "X-9"])
    buf = io.BytesIO()
    wb.save(buf)
    [line] = parse_statement(buf.getvalue(),
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert (line["amount_fen"], line["bank_serial"], line["payer_name"]) == (49000, "X-9", "李玥")
    assert "在职培训+国家图书馆+李玥" in line["memo"]


def test_statement_through_the_api_duplicates_by_hand_and_bad_rows(api: Any, pdeps: Any,
                                                                   clock: Any) -> None:
    """POST /admin/bank-statements keeps its shape; a serial repeated in the file is one line
    (`duplicates`), a serial finance confirmed by hand is `already_credited`, and a bad row
    refuses the file with a 400 naming the row, nothing kept."""
    from chalicelib.billing import orders, payments
    from chalicelib.billing.reconciliation import line_id_for
    from chalicelib.billing.repository import StatementLine
    now = clock.now()
    acc1, rid1 = approved_registration(pdeps, now, name="李玥", unit_name="国家图书馆")
    acc2, rid2 = approved_registration(pdeps, now, name="赵敏", unit_name="首都图书馆")
    o1 = orders.create_order(pdeps, acc1.user_sub, rid1, "bank_transfer", False, now)
    o2 = orders.create_order(pdeps, acc2.user_sub, rid2, "bank_transfer", False, now)
    payments.confirm_transfer(pdeps, o1["order_id"], None, "hand-01", 49000, "fin", now)
    finance = api.staff("finance")
    head = "交易日期,贷方金额,对方户名,对方账号,用途,交易流水号\n"
    bad = (head + "2026-04-07,490.00,赵敏,6222,在职培训 首都图书馆 赵敏,B-90\n"
           "2026-04-07,四百,某人,6223,在职培训,B-91\n").encode()
    r = api.call("POST", "/admin/bank-statements", finance, body=bad, headers={"Content-Type": "text/csv"})
    assert r.status_code == 400 and r.data["lines"] == [3] and "第 3 行" in r.data["Message"]
    assert StatementLine.count(line_id_for("B-90")) == 0
    good = (head + "2026-04-07,490.00,李玥,6222,在职培训 国家图书馆 李玥,HAND-01\n"
            "2026-04-07,490.00,赵敏,6222,在职培训 首都图书馆 赵敏,B-90\n"
            "2026-04-07,490.00,赵敏,6222,在职培训 首都图书馆 赵敏,B-90\n").encode()
    r = api.call("POST", "/admin/bank-statements", finance, body=good, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.body
    assert [m["order_id"] for m in r.data["matches"]] == [o2["order_id"]]
    assert r.data["ambiguous"] == [] and r.data["unmatched"] == []
    assert [(a["bank_serial"], a["order_id"]) for a in r.data["already_credited"]] == [
        ("HAND-01", o1["order_id"])]
    assert [(d["bank_serial"], d["rows"]) for d in r.data["duplicates"]] == [("B-90", [3, 4])]


def test_lines_are_shown_as_the_bank_printed_them(pdeps: Any, clock: Any) -> None:
    """Finance compares a proposal with the bank's own line: 交易流水号, date, payer and the
    payer's account come with every match, ambiguous and unmatched line (the response
    model takes them), not just our internal line id."""
    from chalicelib.billing import orders, reconciliation
    from chalicelib.billing.models import StatementOut
    now = clock.now()
    acc1, rid1 = approved_registration(pdeps, now, name="李玥", unit_name="国家图书馆")
    o1 = orders.create_order(pdeps, acc1.user_sub, rid1, "bank_transfer", False, now)
    result = reconciliation.import_statement(pdeps, CSV.encode(), "text/csv", "fin", now)
    out = StatementOut.model_validate(result).model_dump()
    [match] = [m for m in out["matches"] if m["order_id"] == o1["order_id"]]
    assert (match["bank_serial"], match["trade_date"], match["payer_name"], match["payer_account"],
            match["amount_fen"]) == ("SER001", "2026-04-07", "李玥", "6222000011112222", 49000)
    [foreign] = [u for u in out["unmatched"] if u["amount_fen"] == 12300]
    assert (foreign["bank_serial"], foreign["trade_date"], foreign["payer_account"]) == ("SER003", "2026-04-08", "1100")
