"""Where the CJK font is. Installed by the project's own set-up (Debian's fonts-noto-cjk,
see devtools/system-packages.txt) and copied into chalicelib/fonts/ when the Lambda
package is built; no font binary is committed. Imported only where a PDF is made.

Two fonts, chosen per document (`cjk_font_for`, `add_cjk_font`):
- the common-character font (`COMMON_FONT_NAME`, built at set-up by
  devtools/build_font_subset.py into chalicelib/fonts/): GB 2312's hanzi and symbols,
  ASCII, Latin-1, punctuation, full-width forms; 1.9 MB, so fpdf2 parses and subsets it
  in a few tens of ms;
- the full Simplified Chinese face of the 19 MB collection, for a document holding any
  character outside that set (喆, 堃, 玥 ...), and wherever the common font is absent.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).resolve().parent.parent / "fonts"
SYSTEM_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CANDIDATES = (
    BUNDLED / "NotoSansCJK-Regular.ttc",
    SYSTEM_FONT,
)
# Faces inside NotoSansCJK-Regular.ttc: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK. Simplified Chinese.
SC_FACE_INDEX = 2
# The version is in the name: a change of the character set builds a new file.
COMMON_FONT_NAME = "NotoSansSC-common-v1.otf"


class FontMissingError(RuntimeError):
    pass


def cjk_font_path() -> Path:
    """The full CJK font file (FONT_PATH overrides, for a deployment that ships another).
    Covers every character; `cjk_font_for` picks the small common font when it suffices."""
    override = os.environ.get("FONT_PATH")
    if override:
        return Path(override)
    for path in CANDIDATES:
        if path.exists():
            return path
    raise FontMissingError("CJK font not found: run `make run`/`make test` (installs fonts-noto-cjk)")


def cjk_face_index(path: Path) -> int:
    return SC_FACE_INDEX if path.suffix.lower() == ".ttc" else 0


def common_font_path() -> Path | None:
    """The common-character font, if the set-up built it (and no FONT_PATH overrides)."""
    if os.environ.get("FONT_PATH"):
        return None
    path = BUNDLED / COMMON_FONT_NAME
    return path if path.exists() else None


def common_codepoints() -> frozenset[int]:
    """What the common-character font is built to hold (devtools/build_font_subset.py)."""
    chars: set[int] = set()
    for hi in range(0xA1, 0xF8):  # GB 2312: rows 1-9 symbols, 16-87 hanzi (EUC-CN bytes)
        for lo in range(0xA1, 0xFF):
            try:
                chars.update(ord(c) for c in bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    chars.update(range(0x20, 0x7F))  # ASCII
    chars.update(range(0xA0, 0x100))  # Latin-1 (¥ · × ÷ ...)
    chars.update(range(0x2000, 0x2070))  # general punctuation (— … ‘’ “” ※ ...)
    chars.update(range(0x2100, 0x2200))  # letterlike symbols, number forms (№ ℃ Ⅻ ...)
    chars.update(range(0x3000, 0x3040))  # CJK symbols and punctuation
    chars.update(range(0xFF00, 0xFFF0))  # full-width forms
    return frozenset(chars)


@lru_cache(maxsize=4)
def _covered(path: Path) -> frozenset[int]:
    """The characters a font really has (its cmap), read once per process."""
    from fontTools import ttLib

    font = ttLib.TTFont(str(path), lazy=True, fontNumber=cjk_face_index(path))
    try:
        return frozenset(font.getBestCmap() or ())
    finally:
        font.close()


def missing_from_common(*texts: str) -> set[str]:
    """The characters of `texts` the common font lacks (all of them if it is absent)."""
    wanted = {c for text in texts for c in text if c.isprintable() and not c.isspace()}
    common = common_font_path()
    if common is None:
        return wanted
    covered = _covered(common)
    return {c for c in wanted if ord(c) not in covered}


def cjk_font_for(*texts: str) -> tuple[Path, int]:
    """The font file and face for a document printing `texts`: the common font when it holds
    every character, else the full face (so a rare name still prints)."""
    common = common_font_path()
    if common is not None and not missing_from_common(*texts):
        return common, 0
    path = cjk_font_path()
    return path, cjk_face_index(path)


def add_cjk_font(pdf: Any, family: str, *texts: str) -> Path:
    """`pdf.add_font(family, ...)` with the font `cjk_font_for(*texts)` picks; pass every
    string the document will print. Returns the font file used."""
    path, face = cjk_font_for(*texts)
    pdf.add_font(family, "", str(path), collection_font_number=face)
    return path
