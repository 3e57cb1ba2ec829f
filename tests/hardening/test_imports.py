"""Issue 16, bounded imports: row, column and cell limits, and an XLSX that would expand
past the cap refused before openpyxl opens it."""
from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import pytest

from chalicelib.platform.errors import ValidationError
from chalicelib.platform.spreadsheets import XLSX, Limits, read_rows

SHEET = "xl/worksheets/sheet1.xml"


def small_xlsx(rows: list[list[Any]]) -> bytes:
    import openpyxl
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def exploding_xlsx(row_count: int = 2_000_000) -> bytes:
    """A real workbook whose first sheet is swapped for `row_count` rows: a few hundred KB
    that expand to ~50 MB of XML."""
    base = zipfile.ZipFile(io.BytesIO(small_xlsx([["会员号", "姓名"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as bomb:
        for item in base.infolist():
            if item.filename != SHEET:
                bomb.writestr(item, base.read(item.filename))
        with bomb.open(SHEET, "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                        b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            chunk = b"<row><c><v>1</v></c></row>" * 10_000  # rows without numbers: counted
            for _ in range(row_count // 10_000):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return exploding_xlsx()


def test_an_exploding_xlsx_is_refused_fast(bomb: bytes) -> None:
    assert len(bomb) < 1_000_000
    started = time.monotonic()
    with pytest.raises(ValidationError) as info:
        read_rows(bomb, XLSX, field="file")
    assert time.monotonic() - started < 2.0
    assert info.value.details["field"] == "file" and "解压后" in info.value.message


def test_the_roster_import_refuses_an_exploding_xlsx_with_a_400(api: Any, bomb: bytes) -> None:
    started = time.monotonic()
    r = api.call("POST", "/admin/members/import", api.staff("admin"), body=bomb,
                 headers={"Content-Type": XLSX})
    assert time.monotonic() - started < 5.0
    assert r.status_code in (400, 413), r.body[:300]
    assert r.status_code != 500


def test_rows_past_the_limit_are_refused_in_xlsx_and_csv() -> None:
    rows = [["a", "b"]] * 11
    with pytest.raises(ValidationError, match="超过 10 行"):
        read_rows(small_xlsx(rows), XLSX, limits=Limits(rows=10))
    csv_text = "\n".join("a,b" for _ in range(11)).encode()
    with pytest.raises(ValidationError, match="超过 10 行"):
        read_rows(csv_text, "text/csv", limits=Limits(rows=10))
    assert len(read_rows(csv_text, "text/csv", limits=Limits(rows=11))) == 11


def test_a_huge_cell_or_too_many_columns_is_a_400_naming_the_line() -> None:
    big = ("交易日期,收入金额\n2026-04-05,1\n2026-04-05," + "9" * 128 * 1024 + "\n").encode()
    with pytest.raises(ValidationError) as info:
        read_rows(big, "text/csv", field="body", what="银行流水")
    assert info.value.details == {"field": "body", "line": 3}
    wide = (",".join(["x"] * 65) + "\n").encode()
    with pytest.raises(ValidationError, match="第 1 行超过 64 列"):
        read_rows(wide, "text/csv")
    assert read_rows((",".join(["x"] * 3 + [""] * 100) + "\n").encode(), "text/csv") == [["x"] * 3]


def test_a_field_past_csvs_own_limit_is_a_400_not_a_500() -> None:
    with pytest.raises(ValidationError, match="格式错误"):
        read_rows(b'a,"' + b"x" * 200_000 + b'"\n', "text/csv")
