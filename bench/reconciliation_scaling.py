"""Benchmark 5: reconciliation of 10,000 bank statement lines against 50,000 open orders
(bench/reconciliation.py, the payments engineer's harness: its data set and the pure
matcher), and how the time grows with each: lines fixed while orders grow, orders fixed
while lines grow; the growth is reported as the log-log slope (1.0 = linear).

The floor is the least any matcher must do on the same data: index the orders in a dict by
the normalised memo key and look every line's normalised memo up once (exact matches only;
the real matcher also resolves abbreviations, missing separators and ambiguity)."""
from __future__ import annotations

import math
import time
from typing import Any

from bench.harness import entry


def _floor_s(orders: list[Any], lines: list[Any]) -> float:
    from chalicelib.billing.states import memo_key
    t0 = time.perf_counter()
    prefix = memo_key("在职培训")
    index: dict[tuple[str, int], list[str]] = {}
    for o in orders:
        index.setdefault((prefix + o.unit + o.person, o.amount_fen), []).append(o.order_id)
    hits = sum(1 for line in lines if index.get((memo_key(line.memo), line.amount_fen)))
    elapsed = time.perf_counter() - t0
    assert hits > 0, "the floor's exact lookup found nothing: the data set changed shape"
    return elapsed


def _match_s(orders: list[Any], lines: list[Any]) -> tuple[float, dict[str, Any]]:
    from chalicelib.billing.reconciliation import Matcher
    t0 = time.perf_counter()
    result = Matcher(orders).match(lines)
    return time.perf_counter() - t0, result


def _slope(points: list[tuple[int, float]]) -> float | None:
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(max(t, 1e-6)) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den, 2) if den else None


def run(quick: bool = False) -> list[dict[str, Any]]:
    from bench import reconciliation
    n_orders, n_lines = (2_000, 400) if quick else (50_000, 10_000)
    orders, lines, expected = reconciliation.dataset(n_orders, n_lines)
    elapsed, result = _match_s(orders, lines)
    floor = _floor_s(orders, lines)
    wrong = sum(1 for m in result["matches"] if expected.get(m["line_id"]) != m["order_id"])
    headline = reconciliation.run() if not quick else {}
    by_orders, by_lines = [], []
    for frac in (0.25, 0.5, 1.0):
        o, ls, _ = reconciliation.dataset(int(n_orders * frac), n_lines, seed=11)
        by_orders.append((len(o), _match_s(o, ls)[0]))
        o, ls, _ = reconciliation.dataset(n_orders, int(n_lines * frac), seed=11)
        by_lines.append((len(ls), _match_s(o, ls)[0]))
    return [entry("reconciliation", elapsed, floor, "s",
                  f"{n_lines} lines x {n_orders} orders: Matcher vs exact dict lookup",
                  matches=len(result["matches"]), ambiguous=len(result["ambiguous"]),
                  unmatched=len(result["unmatched"]), wrong_matches=wrong,
                  harness_run=headline,
                  growth_with_orders={"points_s": [(n, round(t, 3)) for n, t in by_orders],
                                      "loglog_slope": _slope(by_orders)},
                  growth_with_lines={"points_s": [(n, round(t, 3)) for n, t in by_lines],
                                     "loglog_slope": _slope(by_lines)})]
