"""Issue 16 through the bank-statement import: hostile amounts and a huge field are a 400
and write nothing (the reader's limits and money.parse_yuan)."""
from __future__ import annotations

from typing import Any

import pytest

HEAD = "交易日期,贷方金额,对方户名,对方账号,用途,交易流水号\n"
GOOD = "2026-04-07,490.00,赵敏,6222,在职培训 首都图书馆 赵敏,HX-{n}\n"


@pytest.mark.parametrize("bad_line", [
    "2026-04-07,1e309,某人,6223,在职培训,HX-BAD\n",
    "2026-04-07,inf,某人,6223,在职培训,HX-BAD\n",
    "2026-04-07,NaN,某人,6223,在职培训,HX-BAD\n",
    "2026-04-07,1e30,某人,6223,在职培训,HX-BAD\n",
    "2026-04-07,1000000000000000000000000000000.00,某人,6223,在职培训,HX-BAD\n",
    "2026-04-07,490.00,某人,6223," + "x" * 128 * 1024 + ",HX-BAD\n",
], ids=["1e309", "inf", "nan", "1e30", "huge", "128KB"])
def test_a_hostile_statement_line_is_a_400_and_nothing_is_written(api: Any, bad_line: str) -> None:
    from chalicelib.billing.reconciliation import line_id_for
    from chalicelib.billing.repository import StatementLine
    body = (HEAD + GOOD.format(n=1) + bad_line + GOOD.format(n=2)).encode()
    r = api.call("POST", "/admin/bank-statements", api.staff("finance"), body=body,
                 headers={"Content-Type": "text/csv"})
    assert r.status_code == 400, r.body[:300]
    assert StatementLine.count(line_id_for("HX-1")) == 0
