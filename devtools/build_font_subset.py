"""Builds the PDFs' common-character fonts (chalicelib/fonts/, gitignored, never committed)
from Debian's fonts-noto-cjk: the Simplified Chinese face cut down to GB 2312's 6,763
hanzi (and, smaller, to its 3,755 level-1 hanzi) and its symbols, ASCII, Latin-1, general
punctuation, CJK symbols and full-width forms, with desubroutinized outlines and no layout
tables (fpdf2 draws without shaping).

A document whose every character is in it embeds from this 1.9 MB font instead of the
19 MB collection (chalicelib/platform/fonts.py decides per document; a rare character such
as 喆, 堃 or 玥 sends that document to the full face). Run by devtools/system_deps.sh at
set-up (make test / run / bench); quick when the font is already built.

    .venv/bin/python -m devtools.build_font_subset [--force]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.platform.fonts import (  # noqa: E402 - after the path (run as a script too)
    COMMON_FONT_NAME,
    LEVEL1_FONT_NAME,
    SC_FACE_INDEX,
    SYSTEM_FONT,
    common_codepoints,
    level1_codepoints,
)

TARGET = ROOT / "chalicelib" / "fonts" / COMMON_FONT_NAME
TARGETS = ((ROOT / "chalicelib" / "fonts" / LEVEL1_FONT_NAME, level1_codepoints),
           (TARGET, common_codepoints))
DROP = ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG", "JSTF", "MATH"]


def build(source: Path = SYSTEM_FONT, target: Path = TARGET,
          codepoints: Any = common_codepoints) -> Path:
    from fontTools import subset, ttLib

    font = ttLib.TTFont(str(source), fontNumber=SC_FACE_INDEX, lazy=True, recalcTimestamp=False)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[],
                             name_IDs=["*"], name_languages=["*"], desubroutinize=True,
                             glyph_names=False)
    options.drop_tables += DROP
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints()))
    subsetter.subset(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    font.save(str(partial))
    partial.replace(target)  # never a half-written font under the real name
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.build_font_subset")
    parser.add_argument("--force", action="store_true", help="rebuild even if present")
    args = parser.parse_args(argv)
    todo = [(t, c) for t, c in TARGETS if args.force or not t.exists()]
    if not todo:
        return 0
    if not SYSTEM_FONT.exists():
        print(f"warning: {SYSTEM_FONT} missing (fonts-noto-cjk): no common-character fonts; "
              "PDFs use the full font", file=sys.stderr)
        return 0
    for target, codepoints in todo:
        t0 = time.perf_counter()
        build(target=target, codepoints=codepoints)
        print(f"built {target.relative_to(ROOT)} ({target.stat().st_size:,} bytes) in "
              f"{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
