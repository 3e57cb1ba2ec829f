"""`python -m bench` (= `make bench`): runs every benchmark in one process, prints a table and
writes bench/results.json (one entry per benchmark: figure, floor, ratio).

    python -m bench                 # everything, full sizes (a few minutes)
    python -m bench --quick         # tiny sizes (the smoke test uses this)
    python -m bench --only cold_start,dynamo_calls
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

MODULES = ("cold_start", "dynamo_calls", "throughput", "certificates", "reconciliation_scaling",
           "jobs_at_scale", "frontend")
RESULTS = Path(__file__).resolve().parent / "results.json"


def run_all(names: tuple[str, ...] = MODULES, quick: bool = False,
            out: Path | None = RESULTS) -> dict[str, Any]:
    from bench import harness
    harness.setup_env()
    entries: list[dict[str, Any]] = []
    failures: dict[str, str] = {}
    started = time.perf_counter()
    try:
        for name in names:
            t0 = time.perf_counter()
            try:
                module = importlib.import_module(f"bench.{name}")
                produced = module.run(quick=quick)
            except Exception:  # noqa: BLE001 - one broken benchmark must not hide the rest
                failures[name] = traceback.format_exc(limit=8)
                print(f"[bench] {name} FAILED\n{failures[name]}", file=sys.stderr)
                continue
            for e in produced:
                e.setdefault("benchmark", name)
            entries.extend(produced)
            print(f"[bench] {name}: {len(produced)} entries in {time.perf_counter() - t0:.1f} s",
                  file=sys.stderr)
    finally:
        harness.stop_env()
    report = {"quick": quick, "seconds": round(time.perf_counter() - started, 1),
              "results": entries, "failures": failures}
    if out is not None:
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), "utf-8")
    return report


def table(entries: list[dict[str, Any]]) -> str:
    rows = [("benchmark", "figure", "floor", "ratio", "unit")]
    for e in entries:
        rows.append((e["name"], _fmt(e["figure"]), _fmt(e["floor"]),
                     "-" if e.get("ratio") is None else f"{e['ratio']:.2f}", e.get("unit", "")))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(c.ljust(widths[i]) if i in (0, 4) else c.rjust(widths[i])
                               for i, c in enumerate(r)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--only", default="", help="comma-separated benchmark modules")
    args = parser.parse_args(argv)
    names = tuple(n for n in args.only.split(",") if n) or MODULES
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(MODULES)}")
    report = run_all(names, quick=args.quick)
    print(table(report["results"]))
    print(f"\n{len(report['results'])} results in {report['seconds']} s -> {RESULTS}")
    if report["failures"]:
        print(f"FAILED: {', '.join(report['failures'])}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
