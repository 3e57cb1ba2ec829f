"""One-off migration (issue 18): give the members roster's rows written before the lookup
items existed their lookup items (`member#email:<e>`, `member#phone:<p>` in the members
table), then mark the table ready, so pricing reads a person's roster rows in one
BatchGetItem instead of two index Queries. Until it has run, pricing queries the indexes as
before (nothing is priced wrong in between). Idempotent; safe while admins import.

    TABLE_PREFIX=lsc-prod- AWS_REGION=ap-southeast-1 APP_STAGE=prod \\
        .venv/bin/python -m devtools.backfill_member_lookups [--again]

(the stage's settings, as the Lambda reads them; AWS credentials of the target account).
New stacks need nothing: the editions' seeding marks an empty roster ready."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--again", action="store_true",
                        help="walk every row even if the table is already marked ready")
    args = parser.parse_args(argv)
    from chalicelib.editions.members_repository import MemberRepository
    from chalicelib.platform.settings import load_settings
    from chalicelib.platform.store import base
    settings = load_settings()
    base.bind(settings)
    out = MemberRepository().backfill_lookups(again=args.again)
    print(f"{settings.table_name('members')}: {out['rows']} rows read, "
          f"{out['written']} lookup items written; ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
