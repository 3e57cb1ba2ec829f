"""Cold start of two trees in one run (prod stage, alternating with the bare app):

    .venv/bin/python -m bench.cold_start_compare BEFORE_TREE [AFTER_TREE] [--rounds 7]

A tree is a directory holding app.py and chalicelib/. The embedded AWS is seeded by this
tree's code, so the other tree must read the same data: for issue 18's before/after the
before tree was this tree with app.py and platform/{deps,mail/ses,store/base,cognito}.py as
they were before commit fe43dfa (`git show fe43dfa~1:<path>`)."""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench import harness
from bench.cold_start import APP_CHILD, BARE_APP, ROOT, _child


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start_compare")
    parser.add_argument("before")
    parser.add_argument("after", nargs="?", default=str(ROOT))
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    harness.setup_env()
    try:
        harness.fresh_stack(harness.parse_at("2026-04-05T10:00:00+08:00"))
        rows: dict[str, list[float]] = {"before": [], "after": [], "bare": []}
        last: dict[str, dict] = {}
        with tempfile.TemporaryDirectory() as bare:
            Path(bare, "app.py").write_text(BARE_APP, "utf-8")
            trees = {"before": args.before, "after": args.after, "bare": bare}
            for _ in range(args.rounds):
                for name, tree in trees.items():
                    last[name] = _child(APP_CHILD, tree, "/editions/current", "prod")
                    rows[name].append(last[name]["cpu_s"])
        bare_s = statistics.median(rows["bare"])
        for name, values in rows.items():
            med = statistics.median(values)
            print(f"{name:7s} CPU {med:.3f} s ({med / bare_s:.2f}x bare)  own modules "
                  f"{len(last[name]['own'])}, all modules {last[name]['modules']}, "
                  f"heavy {last[name]['loaded']}")
    finally:
        harness.stop_env()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
