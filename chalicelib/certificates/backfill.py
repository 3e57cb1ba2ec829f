"""The one-off migration for the certificate jobs' sparse index (docs/deploy.md,
"Migrations"): responses written before it get `awaiting_certificate` when their certificate
is neither issued nor expired. Run against a stage with its AWS credentials:

    APP_STAGE=prod AWS_PROFILE=<profile> .venv/bin/python -m chalicelib.certificates.backfill 2026

It reads every response of the edition once and writes only the unmarked open ones
(conditional, so it is safe while the app runs and a repeat marks nothing)."""
from __future__ import annotations

import json
import sys

from chalicelib.learning.questionnaire import backfill_awaiting_certificate
from chalicelib.platform.deps import get_deps


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m chalicelib.certificates.backfill <edition_id>", file=sys.stderr)
        return 2
    get_deps()  # binds the tables of the stage the environment names
    print(json.dumps({"edition_id": argv[0], **backfill_awaiting_certificate(argv[0])}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
