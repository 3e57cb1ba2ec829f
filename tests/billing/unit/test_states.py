"""Billing's state tables: the moves, the labels, the schemas derived from them, a store
that refuses a state the tables do not know, and code that names states only through the
tables. No AWS needed."""
from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import pytest

from chalicelib.billing.models import OrderOut, PaymentSummary, RefundOut, RefundQuery
from chalicelib.billing.repository import Order, Payment, ProviderNotification, Refund, StatementLine, order_queue
from chalicelib.billing.states import LINE_STATUS, MACHINES, NOTIFICATION_FLAG, ORDER_STATUS, PAYMENT_DISPOSITION, REFUND_STATUS, LineStatus, NotificationFlag, OrderStatus, PaymentDisposition, RefundStatus
from chalicelib.platform.states import StateMachine

ROOT = Path(__file__).resolve().parents[3]
CODE = [*sorted((ROOT / "chalicelib" / "billing").rglob("*.py")),
        *sorted((ROOT / "chalicelib" / "dev").glob("sandbox*.py"))]
T0 = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)
ENUMS: dict[str, type[StrEnum]] = {
    "OrderStatus": OrderStatus, "RefundStatus": RefundStatus,
    "PaymentDisposition": PaymentDisposition, "LineStatus": LineStatus,
    "NotificationFlag": NotificationFlag}
MACHINE_OF = {OrderStatus: ORDER_STATUS, RefundStatus: REFUND_STATUS,
              PaymentDisposition: PAYMENT_DISPOSITION, LineStatus: LINE_STATUS,
              NotificationFlag: NOTIFICATION_FLAG}
# The record fields that hold a state, and the machine each is bound to.
STATE_FIELDS = [(Order, "status", ORDER_STATUS), (Refund, "status", REFUND_STATUS),
                (Payment, "disposition", PAYMENT_DISPOSITION),
                (StatementLine, "status", LINE_STATUS),
                (ProviderNotification, "flag", NOTIFICATION_FLAG)]


def test_order_moves_what_the_store_expects() -> None:
    assert sorted(ORDER_STATUS.sources(OrderStatus.PAID)) == ["closed", "open"]
    assert sorted(ORDER_STATUS.sources(OrderStatus.CLOSED)) == ["open", "reserving"]
    assert ORDER_STATUS.sources(OrderStatus.OPEN) == ["reserving"]
    assert ORDER_STATUS.sources(OrderStatus.REFUNDING) == ["paid"]
    assert ORDER_STATUS.sources(OrderStatus.REFUNDED) == ["refunding"]
    assert not ORDER_STATUS.can_move(OrderStatus.REFUNDED, OrderStatus.PAID)
    assert ORDER_STATUS.final == {OrderStatus.REFUNDED}


def test_refund_moves_what_the_store_expects() -> None:
    assert sorted(REFUND_STATUS.sources(RefundStatus.DONE)) == ["failed", "processing", "requested"]
    assert sorted(REFUND_STATUS.sources(RefundStatus.FAILED)) == ["processing", "requested"]
    assert REFUND_STATUS.sources(RefundStatus.PROCESSING) == ["requested"]
    assert REFUND_STATUS.final == {RefundStatus.DONE}
    assert LINE_STATUS.sources(LineStatus.USED) == ["new"]


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_state_has_a_chinese_label_and_is_reachable(machine: StateMachine) -> None:  # type: ignore[type-arg]
    assert all(re.search(r"[\u4e00-\u9fff]", machine.label(s)) for s in machine.values())
    starts = {s for s in machine.states if not machine.sources(s)}
    reached, todo = set(starts), list(starts)
    while todo:
        for nxt in machine.moves[todo.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    assert reached == set(machine.states), f"{machine.name}: no way into {set(machine.states) - reached}"


def test_the_states_the_web_shows_keep_their_words() -> None:
    assert [ORDER_STATUS.label(s) for s in ("open", "closed", "refunded")] == ["待支付", "已关闭", "已退费"]
    assert ORDER_STATUS.label("refunding") == "退费中"  # not the English word any more
    assert [REFUND_STATUS.label(s) for s in ("requested", "processing", "done", "failed")] == [
        "已申请", "处理中", "已完成", "失败"]


def test_response_and_query_schemas_come_from_the_tables() -> None:
    assert OrderOut.model_json_schema()["properties"]["status"]["enum"] == ORDER_STATUS.values()
    assert "reserving" in ORDER_STATUS.values() and "refunding" in ORDER_STATUS.values()
    assert RefundOut.model_json_schema()["properties"]["status"]["enum"] == REFUND_STATUS.values()
    assert PaymentSummary.model_json_schema()["properties"]["disposition"]["enum"] == \
        PAYMENT_DISPOSITION.values()
    assert RefundQuery.model_json_schema()["properties"]["status"]["enum"] == REFUND_STATUS.values()


def _order(**overrides: object) -> Order:
    fields = dict(order_id="O1", edition_id="2026", kind="individual", channel="alipay",
                  owner_sub="u1", registration_ids=["R1"], amount_fen=49000, status="open",
                  unit_name="国家图书馆", payer_name="李玥", created_at=T0,
                  queue="2026#open#alipay")
    return Order(**{**fields, **overrides})


@pytest.mark.parametrize("model,field,machine", STATE_FIELDS, ids=lambda v: getattr(v, "__name__", v))
def test_every_state_field_is_bound_to_its_table(model, field, machine) -> None:
    assert getattr(model, field).machine is machine


@pytest.mark.parametrize("value", ["pending", "cancelled", "Paid", "refund"])
def test_writing_an_unknown_order_state_raises(value: str) -> None:
    assert _order(status="refunding").serialize()["status"] == {"S": "refunding"}
    with pytest.raises(ValueError, match="unknown state"):
        _order(status=value).serialize()


def test_writing_or_comparing_other_unknown_states_raises() -> None:
    refund = Refund(refund_id="F1", payment_id="P1", order_id="O1", edition_id="2026",
                    channel="alipay", provider_txn_id="T", amount_fen=1, payment_amount_fen=1,
                    kind="request", status="complete", reason="x", requested_by="u",
                    requested_at=T0, queue="2026#requested")
    with pytest.raises(ValueError, match="unknown state"):
        refund.serialize()
    with pytest.raises(ValueError, match="unknown state"):
        Order.status.is_in("open", "payed")
    with pytest.raises(ValueError, match="unknown state"):
        StatementLine.status == "matched"  # noqa: B015 - building the condition is the test
    with pytest.raises(ValueError):
        order_queue("2026", "pending", "alipay")  # a queue key names a state too


def _code() -> list[tuple[Path, ast.AST]]:
    return [(path, ast.parse(path.read_text("utf-8"))) for path in CODE]


def test_every_state_the_code_names_is_in_its_table() -> None:
    named: dict[type[StrEnum], set[str]] = {e: set() for e in ENUMS.values()}
    for path, tree in _code():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id in ENUMS and node.attr.isupper():
                enum = ENUMS[node.value.id]
                assert node.attr in enum.__members__, f"{path.name}: {node.value.id}.{node.attr}"
                named[enum].add(enum[node.attr].value)
    for enum, values in named.items():
        assert values <= set(MACHINE_OF[enum].values())
    # the code reaches every order and refund state by name
    assert named[OrderStatus] == set(ORDER_STATUS.values())
    assert named[RefundStatus] == set(REFUND_STATUS.values())


STATE_NAMES = {"status", "disposition", "flag", "payment_status"}


def test_no_state_is_compared_or_written_as_a_string_literal() -> None:
    """`order.status == "open"`, `Order.status.set("paid")`, `status="new"`: each must go
    through the tables (an enum member), so a renamed or unknown state cannot hide."""
    found = []
    for path, tree in _code():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                names = [s for s in sides if isinstance(s, ast.Attribute) and s.attr in STATE_NAMES]
                literals = [s for s in sides if isinstance(s, ast.Constant) and isinstance(s.value, str)]
                literals += [e for s in sides if isinstance(s, (ast.Tuple, ast.List, ast.Set))
                             for e in s.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                if names and literals:
                    found.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("set", "is_in") \
                    and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in STATE_NAMES \
                    and any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args):
                found.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.keyword) and node.arg in STATE_NAMES \
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found.append(f"{path.name}:{node.lineno}")
    assert not found, f"state string literals: {found}"
