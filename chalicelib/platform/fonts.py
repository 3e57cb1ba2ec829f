"""Where the CJK font is. Installed by the project's own set-up (Debian's fonts-noto-cjk,
see devtools/system-packages.txt) and copied into chalicelib/fonts/ when the Lambda
package is built; no font binary is committed. Imported only where a PDF is made."""
from __future__ import annotations

import os
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent.parent / "fonts"
CANDIDATES = (
    BUNDLED / "NotoSansCJK-Regular.ttc",
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
# Faces inside NotoSansCJK-Regular.ttc: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK. Simplified Chinese.
SC_FACE_INDEX = 2


class FontMissingError(RuntimeError):
    pass


def cjk_font_path() -> Path:
    """The CJK font file (FONT_PATH overrides, for a deployment that ships another)."""
    override = os.environ.get("FONT_PATH")
    if override:
        return Path(override)
    for path in CANDIDATES:
        if path.exists():
            return path
    raise FontMissingError("CJK font not found: run `make run`/`make test` (installs fonts-noto-cjk)")


def cjk_face_index(path: Path) -> int:
    return SC_FACE_INDEX if path.suffix.lower() == ".ttc" else 0
