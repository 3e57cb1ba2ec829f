"""Writes chalicelib/route_manifest.json (gitignored) if it is missing or stale: every
route module's paths, methods, content types and authorizer, so the prod app registers
them without importing them (chalicelib/platform/routing.py). Run by
devtools/system_deps.sh at set-up, and to be run before the Lambda is packaged; any import
of app.py in a writable tree rewrites a stale one too.

    .venv/bin/python -m devtools.route_manifest
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    os.environ.setdefault("APP_STAGE", "prod")  # the dev routes are not in the manifest
    from app import ROUTE_MODULES  # registers; writes the manifest if it was stale
    from chalicelib.platform import routing
    manifest = routing.read_manifest(ROUTE_MODULES)
    if manifest is None:
        print(f"warning: {routing.MANIFEST} could not be written", file=sys.stderr)
        return 1
    count = sum(len(v) for v in manifest["modules"].values())
    print(f"{routing.MANIFEST.relative_to(ROOT)}: {count} routes in {len(ROUTE_MODULES)} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
