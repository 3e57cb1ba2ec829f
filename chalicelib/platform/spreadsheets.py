"""Reading an uploaded table (CSV in UTF-8 or GB18030, or the first sheet of an XLSX) into
rows of text cells: the one reader behind the roster import and the bank statements; and
`safe_cell`, the one guard every exported cell goes through."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any, Iterator

from chalicelib.platform.errors import UnsupportedMediaTypeError, ValidationError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a spreadsheet would run or choke on: a leading = + - @ (a formula, also after a tab or
# a carriage return), and control characters (openpyxl refuses them: IllegalCharacterError).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/octet-stream")


# What one upload may hold: enough for a year's roster or a month's statement, and small
# enough that refusing a bigger (or a zip-bomb) file takes milliseconds, not a minute.
MAX_ROWS = 20_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 1_000
MAX_UNCOMPRESSED = 40 * 1024 * 1024  # bytes, all members of an XLSX together


@dataclass(frozen=True)
class Limits:
    rows: int = MAX_ROWS
    columns: int = MAX_COLUMNS
    cell_chars: int = MAX_CELL_CHARS
    uncompressed: int = MAX_UNCOMPRESSED


def read_rows(raw: bytes, content_type: str, *, field: str = "file", what: str = "文件",
              undecodable: str | None = None, limits: Limits | None = None) -> list[list[str]]:
    """Every row as a list of stripped strings ("" for an empty cell). An XLSX is told by
    its type or its zip signature; anything else must be CSV. `undecodable`: the message
    for a CSV in neither UTF-8 nor GB18030 (each import words it for its own users).
    Reading stops with a 400 at the first row, column or cell past `limits` (and an XLSX
    whose members would expand past the cap is refused before it is opened)."""
    limits = limits or Limits()
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype == XLSX or raw[:2] == b"PK":
        return _bounded(_xlsx_rows(raw, field, what, limits), field, what, limits)
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
    try:
        return _bounded(([cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))),
                        field, what, limits)
    except csv.Error as exc:  # a field past csv's own limit, a NUL byte: the client's file
        raise ValidationError(f"{what}格式错误：{exc}", field=field) from exc


def _bounded(rows: Iterator[list[str]], field: str, what: str,
             limits: Limits) -> list[list[str]]:
    out: list[list[str]] = []
    for line, row in enumerate(rows, start=1):
        if line > limits.rows:
            raise ValidationError(f"{what}超过 {limits.rows} 行，请拆分后上传", field=field,
                                  limit_rows=limits.rows)
        if len(row) > limits.columns:
            while row and not row[-1]:
                row.pop()  # trailing empty cells (an XLSX's formatted columns) count for nothing
            if len(row) > limits.columns:
                raise ValidationError(f"{what}第 {line} 行超过 {limits.columns} 列", field=field,
                                      line=line)
        for cell in row:
            if len(cell) > limits.cell_chars:
                raise ValidationError(
                    f"{what}第 {line} 行有单元格超过 {limits.cell_chars} 个字符", field=field,
                    line=line)
        out.append(row)
    return out


def _xlsx_rows(raw: bytes, field: str, what: str, limits: Limits) -> Iterator[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ValidationError("无法读取 XLSX 文件", field=field) from exc
    if expanded > limits.uncompressed:
        raise ValidationError(
            f"{what}解压后超过 {limits.uncompressed // (1024 * 1024)} MB，请拆分后上传",
            field=field)
    from openpyxl import load_workbook  # heavy: only when an XLSX arrives
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file: the client's problem
        raise ValidationError("无法读取 XLSX 文件", field=field) from exc
    try:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - a broken sheet is the client's problem
                raise ValidationError("无法读取 XLSX 文件", field=field) from exc
            yield ["" if v is None else str(v).strip() for v in row]
    finally:
        book.close()


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
