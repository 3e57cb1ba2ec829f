"""Front-end libraries from the npm registry, copied into web/vendor/ (never committed).

web/vendor.json names each package, its pinned version and the files the page loads
(`{"package": {"version": "x.y.z", "files": {"path/in/package": "name-in-web/vendor"}}}`).
The tarball is checked against the registry's sha512 integrity before anything is copied;
a stamp skips the work when nothing changed. Run by `make run`, `make test` and the bench.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "web" / "vendor.json"
TARGET = ROOT / "web" / "vendor"
STAMP = TARGET / ".stamp"
REGISTRY = "https://registry.npmjs.org"


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as answer:  # noqa: S310 (fixed https registry)
        return answer.read()


def _package(name: str, version: str, files: dict[str, str]) -> None:
    meta = json.loads(_fetch(f"{REGISTRY}/{name}/{version}"))
    tarball = _fetch(meta["dist"]["tarball"])
    algo, _, expected = meta["dist"]["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algo, tarball).digest()).decode() != expected:
        raise SystemExit(f"{name}@{version}: tarball does not match the registry's integrity")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        for inside, outside in files.items():
            member = tar.extractfile(f"package/{inside}")
            if member is None:
                raise SystemExit(f"{name}@{version}: no file {inside}")
            (TARGET / outside).write_bytes(member.read())


def main() -> int:
    manifest = MANIFEST.read_bytes()
    digest = hashlib.sha256(manifest).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for name, spec in json.loads(manifest).items():
        print(f"vendoring {name}@{spec['version']}", file=sys.stderr)
        _package(name, spec["version"], spec["files"])
    STAMP.write_text(digest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
