"""Issue 16, a property-based pass over the boundary pieces (no storage, fast): whatever a
client sends, the parser, the text rules, the table reader and the export guard either
answer with an AppError (a 4xx) or give back something safe."""
from __future__ import annotations

import json
import re
import unicodedata
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from chalicelib.platform.errors import AppError
from chalicelib.platform.http import MAX_JSON_DEPTH, parse_json
from chalicelib.platform.schemas import normalise_text
from chalicelib.platform.spreadsheets import XLSX, Limits, read_rows, safe_cell

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CELL_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# text that leans on the characters the rules are about
TRICKY = st.text(alphabet=st.sampled_from(
    list("赵六 a=+-@\t\r\n\x00\x07\x1b\x7f\x85\u3000\u00a0\u200b\u200c\u200d\ufeff\u2060"
         "\u202a\u202e\u2066\u2069e\u0301")) | st.characters(), max_size=40)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(TRICKY)
def test_normalised_text_is_refused_or_safe(value: str) -> None:
    try:
        out = normalise_text(value)
    except PydanticCustomError:
        return
    assert not UNSAFE.search(out)
    assert "\u3000" not in out and out == out.strip()
    assert out == unicodedata.normalize("NFC", out)
    assert not value.strip() or out.strip("\u200b\u200c\u200d\ufeff\u2060 ")


def _json_like() -> st.SearchStrategy[object]:
    leaf = st.none() | st.booleans() | st.integers() | st.floats() | TRICKY
    return st.recursive(leaf, lambda kids: st.lists(kids, max_size=3)
                        | st.dictionaries(TRICKY, kids, max_size=3), max_leaves=20)


@FAST
@given(st.one_of(st.binary(max_size=200), _json_like().map(lambda v: json.dumps(v).encode()),
                 st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * n),
                 st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n)))
def test_parse_json_answers_data_or_an_app_error(raw: bytes) -> None:
    try:
        parse_json(SimpleNamespace(raw_body=raw))
    except AppError as exc:
        assert exc.status in (400, 413)


@FAST
@given(st.integers(MAX_JSON_DEPTH + 1, 5000))
def test_any_nesting_past_the_limit_is_malformed_json(depth: int) -> None:
    try:
        parse_json(SimpleNamespace(raw_body=b"[" * depth + b"]" * depth))
    except AppError as exc:
        assert exc.code == "MALFORMED_JSON"
    else:
        raise AssertionError("accepted")


@FAST
@given(st.binary(max_size=400) | st.lists(st.lists(TRICKY, max_size=5), max_size=8).map(
    lambda rows: "\n".join(",".join(json.dumps(c) for c in r) for r in rows).encode()),
    st.sampled_from(["text/csv", XLSX, "", "application/octet-stream"]))
def test_read_rows_answers_bounded_rows_or_an_app_error(raw: bytes, ctype: str) -> None:
    limits = Limits(rows=5, columns=4, cell_chars=10)
    try:
        rows = read_rows(raw, ctype, limits=limits)
    except AppError as exc:
        assert 400 <= exc.status < 500
        return
    assert len(rows) <= 5
    assert all(len(r) <= 4 and all(isinstance(c, str) and len(c) <= 10 for c in r)
               for r in rows)


@FAST
@given(TRICKY)
def test_safe_cell_is_inert_and_openpyxl_takes_it(value: str) -> None:
    from openpyxl import Workbook
    out = safe_cell(value)
    assert not CELL_UNSAFE.search(out)  # tabs and line breaks inside a cell are text
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    cell = Workbook().active["A1"]
    cell.value = out  # raises IllegalCharacterError for what the guard let through
    assert cell.data_type != "f"
