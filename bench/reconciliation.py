"""Benchmark: match 10,000 bank statement lines against 50,000 open orders with the pure
matcher (chalicelib/billing/reconciliation.py). `run() -> dict` (wired into `make bench`)."""
from __future__ import annotations

import random
import time
from typing import Any

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国志宏文斌春燕晶琳玥"
PROVINCES = "北京上海天津重庆河北山西辽宁吉林江苏浙江安徽福建江西山东河南湖北湖南广东海南四川贵州云南陕西甘肃青海"


def _names(rng: random.Random, n: int) -> list[str]:
    out: set[str] = set()
    while len(out) < n:
        out.add(rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))))
    return list(out)


def _units(rng: random.Random, n: int) -> list[str]:
    provinces = [PROVINCES[i:i + 2] for i in range(0, len(PROVINCES), 2)]
    kinds = ["省图书馆", "市图书馆", "大学图书馆", "师范大学图书馆", "区图书馆", "县图书馆", "少年儿童图书馆"]
    units = {f"{rng.choice(provinces)}{rng.choice(provinces)}{rng.choice(kinds)}" for _ in range(n * 3)}
    return sorted(units)[:n]


def dataset(n_orders: int = 50_000, n_lines: int = 10_000, seed: int = 7
            ) -> tuple[list[Any], list[Any], dict[str, str]]:
    from chalicelib.billing.states import memo_key
    from chalicelib.billing.reconciliation import LineRef, OrderRef
    rng = random.Random(seed)
    units = _units(rng, 2_000)
    people = _names(rng, 30_000)
    orders, raw = [], []
    for i in range(n_orders):
        if i % 50 == 0:
            unit = rng.choice(units)
            amount = 40_000 * rng.randint(2, 30) + 9_000 * rng.randint(0, 5)
            orders.append(OrderRef(f"G{i:09d}", amount, "group", "", memo_key(unit)))
            raw.append((unit, "", amount))
        else:
            unit, person = rng.choice(units), rng.choice(people)
            amount = rng.choice((40_000, 49_000))
            orders.append(OrderRef(f"O{i:09d}", amount, "individual", memo_key(person), memo_key(unit)))
            raw.append((unit, person, amount))
    lines, expected = [], {}
    for j in range(n_lines):
        k = rng.randrange(n_orders)
        unit, person, amount = raw[k]
        style = j % 5
        if style == 0:
            memo = f"在职培训+{unit}+{person}" if person else f"在职培训+{unit}"
        elif style == 1:  # full-width plus and spaces
            memo = f"在职培训＋ {unit} ＋{person}"
        elif style == 2:  # no plus at all
            memo = f"在职培训{unit}{person}"
        elif style == 3:  # abbreviated unit name
            memo = f"在职培训+{unit[:2]}{unit[-3:]}+{person}"
        else:  # someone else's money (unmatched)
            memo, amount = f"货款{j}", 12_345
        if style != 4:
            expected[f"L{j:09d}"] = orders[k].order_id
        lines.append(LineRef(f"L{j:09d}", amount, memo, person or unit))
    return orders, lines, expected


def run() -> dict[str, Any]:
    from chalicelib.billing.reconciliation import Matcher
    orders, lines, expected = dataset()
    t0 = time.perf_counter()
    matcher = Matcher(orders)
    t1 = time.perf_counter()
    result = matcher.match(lines)
    t2 = time.perf_counter()
    return {"name": "reconciliation", "orders": len(orders), "lines": len(lines),
            "index_s": round(t1 - t0, 3), "match_s": round(t2 - t1, 3),
            "total_s": round(t2 - t0, 3), "matches": len(result["matches"]),
            "wrong_matches": sum(1 for m in result["matches"] if expected.get(m["line_id"]) != m["order_id"]),
            "ambiguous": len(result["ambiguous"]), "unmatched": len(result["unmatched"])}


if __name__ == "__main__":
    print(run())
