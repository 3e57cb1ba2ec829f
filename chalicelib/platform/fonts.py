"""Where the CJK font is. Installed by the project's own set-up (Debian's fonts-noto-cjk,
see devtools/system-packages.txt) and copied into chalicelib/fonts/ when the Lambda
package is built; no font binary is committed. Imported only where a PDF is made.

Fonts chosen per document (`cjk_font_for`, `add_cjk_font`), the smallest that holds every
character it prints (fpdf2 parses the whole font and subsets it for every PDF, so its size
is the cost):
- the level-1 font (`LEVEL1_FONT_NAME`): GB 2312's 3,755 level-1 hanzi and its symbols,
  ASCII, Latin-1, punctuation, full-width forms (1.0 MB);
- the common-character font (`COMMON_FONT_NAME`): the same with GB 2312's 3,008 level-2
  hanzi (1.9 MB); both built at set-up by devtools/build_font_subset.py into
  chalicelib/fonts/, never committed;
- the full Simplified Chinese face of the 19 MB collection, for a document holding any
  character outside GB 2312 (喆, 堃, 玥 ...), and wherever the built fonts are absent.
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
LEVEL1_FONT_NAME = "NotoSansSC-level1-v1.otf"
LEVEL2_ROWS = range(0xD8, 0xF8)  # GB 2312 rows 56-87 (EUC-CN lead bytes): level-2 hanzi


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


def built_fonts() -> list[Path]:
    """The built fonts present, smallest first (none with FONT_PATH set)."""
    if os.environ.get("FONT_PATH"):
        return []
    return [p for p in (BUNDLED / LEVEL1_FONT_NAME, BUNDLED / COMMON_FONT_NAME) if p.exists()]


def level1_codepoints() -> frozenset[int]:
    """What the level-1 font is built to hold: the common set less the level-2 hanzi."""
    level2: set[int] = set()
    for hi in LEVEL2_ROWS:
        for lo in range(0xA1, 0xFF):
            try:
                level2.update(ord(c) for c in bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return common_codepoints() - level2


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
    """The font file and face for a document printing `texts`: the smallest built font that
    holds every character, else the full face (so a rare name still prints)."""
    wanted = {ord(c) for text in texts for c in text if c.isprintable() and not c.isspace()}
    for built in built_fonts():
        if wanted <= _covered(built):
            return built, 0
    path = cjk_font_path()
    return path, cjk_face_index(path)


def add_cjk_font(pdf: Any, family: str, *texts: str) -> Path:
    """`pdf.add_font(family, ...)` with the font `cjk_font_for(*texts)` picks; pass every
    string the document will print. Returns the font file used."""
    path, face = cjk_font_for(*texts)
    pdf.add_font(family, "", str(path), collection_font_number=face)
    return path
