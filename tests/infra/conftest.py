"""The synthesised production template, made once per test session (and cached by a hash
of its inputs under .dev/infra-synth, shared by the xdist workers through a file lock)."""
from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
if str(INFRA) not in sys.path:
    sys.path.insert(0, str(INFRA))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

ACCOUNT = "123456789012"
REGION = "ap-southeast-1"


@pytest.fixture(scope="session")
def template_path() -> Path:
    from synth import cached_synth
    return cached_synth("prod")


@pytest.fixture(scope="session")
def template(template_path: Path) -> dict[str, Any]:
    return json.loads(template_path.read_text())


@pytest.fixture(scope="session")
def assertions(template: dict[str, Any]) -> Any:
    """aws_cdk.assertions.Template over the synthesised JSON."""
    from aws_cdk.assertions import Template
    return Template.from_json(template)


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def pytest_collection_finish(session: Any) -> None:
    """When synthesis-based infra tests are selected, start the (cached) synthesis in the
    background at once, so it overlaps the other tests instead of stalling a worker later."""
    if session.config.option.collectonly:
        return
    if not any(item.nodeid.startswith("tests/infra/") and item.get_closest_marker("slow")
               for item in session.items):
        return

    def warm() -> None:
        try:
            from synth import cached_synth
            cached_synth("prod")
        except Exception:  # noqa: S110 (the fixture synthesises again and reports the error)
            pass

    threading.Thread(target=warm, name="infra-synth", daemon=True).start()
