"""Reading an uploaded table (CSV in UTF-8 or GB18030, or the first sheet of an XLSX) into
rows of text cells: the one reader behind the roster import and the bank statements; and
`safe_cell`, the one guard every exported cell goes through."""
from __future__ import annotations

import csv
import io
import re
from typing import Any

from chalicelib.platform.errors import UnsupportedMediaTypeError, ValidationError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a spreadsheet would run or choke on: a leading = + - @ (a formula, also after a tab or
# a carriage return), and control characters (openpyxl refuses them: IllegalCharacterError).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream")


def read_rows(raw: bytes, content_type: str, *, field: str = "file", what: str = "文件",
              undecodable: str | None = None) -> list[list[str]]:
    """Every row as a list of stripped strings ("" for an empty cell). An XLSX is told by
    its type or its zip signature; anything else must be CSV. `undecodable`: the message
    for a CSV in neither UTF-8 nor GB18030 (each import words it for its own users)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == XLSX or raw[:2] == b"PK":
        return _xlsx_rows(raw, field)
    if ctype and ctype not in CSV_TYPES:
        raise UnsupportedMediaTypeError(f"{what}须为 CSV（text/csv）或 XLSX")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(undecodable or f"{what}编码无法识别，请另存为 UTF-8 CSV 或 XLSX",
                              field=field)
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _xlsx_rows(raw: bytes, field: str) -> list[list[str]]:
    from openpyxl import load_workbook  # heavy: only when an XLSX arrives
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        return [["" if v is None else str(v).strip() for v in row]
                for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # openpyxl raises many types for a broken file: the client's problem
        raise ValidationError("无法读取 XLSX 文件", field=field) from exc


def as_dicts(rows: list[list[str]]) -> tuple[list[str], list[dict[str, str]]]:
    """(header, rows keyed by header) from rows whose first row is the header."""
    if not rows:
        return [], []
    header = [h.strip() for h in rows[0]]
    return header, [dict(zip(header, r, strict=False)) for r in rows[1:]]


def safe_cell(value: Any) -> Any:
    """A cell for an export (XLSX or CSV) that can neither break the file nor run: control
    and bidi characters dropped, a text that would start a formula made text with a leading
    apostrophe. Numbers, dates and None pass as they are."""
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text
