"""Extra local set-up steps that features add (sandbox payment keys, sample videos):
every module `devtools/setup_*.py` with `run(settings) -> list[str]` runs after seeding,
in name order, and returns lines to print. No central list to edit per feature."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from chalicelib.platform.settings import Settings


def after_seed(settings: Settings) -> list[str]:
    lines: list[str] = []
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if info.name.startswith("setup_"):
            module = importlib.import_module(f"devtools.{info.name}")
            lines.extend(module.run(settings))
    return lines
