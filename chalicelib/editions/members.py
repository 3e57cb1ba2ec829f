"""The members roster and what it says about one person for one edition."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Iterable

from chalicelib.platform.clock import iso, parse_instant
from chalicelib.editions.edition import Edition
from chalicelib.platform.text import normalise_email, normalise_phone
from chalicelib.platform.errors import ValidationError
from chalicelib.platform.store.audit import audit_entry
from chalicelib.platform.store.base import transaction
from chalicelib.editions.members_repository import Member

MAX_ROWS = 5000
# Accepted column headers (CSV/XLSX), English or Chinese.
HEADERS = {
    "name": "name", "姓名": "name",
    "email": "email", "邮箱": "email", "电子邮箱": "email",
    "phone": "phone", "手机": "phone", "手机号": "phone", "手机号码": "phone",
    "member_no": "member_no", "会员号": "member_no", "会员编号": "member_no",
    "dues_year": "dues_year", "会费年度": "dues_year", "缴费年度": "dues_year",
    "approved_at": "approved_at", "审批时间": "approved_at", "入会审批时间": "approved_at",
}


def _row(raw: dict[str, Any], index: int) -> Member:
    def text(key: str) -> str:
        value = raw.get(key)
        return "" if value is None else str(value).strip()
    member_no = text("member_no")
    name = text("name")
    where = f"members[{index}]"
    if not member_no or len(member_no) > 64:
        raise ValidationError(f"第 {index + 1} 行：会员号缺失或过长", field=f"{where}.member_no")
    if not name or len(name) > 64:
        raise ValidationError(f"第 {index + 1} 行：姓名缺失或过长", field=f"{where}.name")
    email = normalise_email(text("email")) or None
    phone = normalise_phone(text("phone")) or None
    if email is None and phone is None:
        raise ValidationError(f"第 {index + 1} 行：邮箱和手机号至少填写一项", field=f"{where}.email")
    if email and ("@" not in email or len(email) > 254):
        raise ValidationError(f"第 {index + 1} 行：邮箱格式不正确", field=f"{where}.email")
    try:
        dues_year = int(str(raw.get("dues_year") or "").strip().split(".")[0])
    except ValueError as exc:
        raise ValidationError(f"第 {index + 1} 行：会费年度应为年份，如 2026",
                              field=f"{where}.dues_year") from exc
    if not 2000 <= dues_year <= 2100:
        raise ValidationError(f"第 {index + 1} 行：会费年度超出范围", field=f"{where}.dues_year")
    approved_raw = raw.get("approved_at")
    approved_at = None
    if isinstance(approved_raw, datetime):
        approved_at = parse_instant(approved_raw.isoformat())
    elif approved_raw not in (None, ""):
        try:
            approved_at = parse_instant(str(approved_raw).strip().replace("/", "-"))
        except ValueError as exc:
            raise ValidationError(f"第 {index + 1} 行：审批时间格式不正确（例 2026-03-01T09:00:00+08:00）",
                                  field=f"{where}.approved_at") from exc
    return Member(member_no=member_no, name=name, email_norm=email, phone_norm=phone,
                  dues_year=dues_year, approved_at=approved_at)


def upsert_members(rows: list[dict[str, Any]], actor: str, now: datetime) -> dict[str, Any]:
    """Validate every row first (all or nothing), then write them with an audit entry each
    batch of 50 (DynamoDB transactions hold 100 items)."""
    if not rows:
        raise ValidationError("members 不能为空", field="members")
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"一次最多导入 {MAX_ROWS} 行", field="members")
    parsed = [_row(r, i) for i, r in enumerate(rows)]
    seen: set[str] = set()
    for i, m in enumerate(parsed):
        if m.member_no in seen:
            raise ValidationError(f"第 {i + 1} 行：会员号 {m.member_no} 重复", field=f"members[{i}].member_no")
        seen.add(m.member_no)
    for start in range(0, len(parsed), 50):
        chunk = parsed[start:start + 50]
        with transaction() as tx:
            for m in chunk:
                m.updated_at = now
                tx.save(m)
                tx.save(audit_entry(f"member#{m.member_no}", "member.upserted", actor, now,
                                    {"dues_year": m.dues_year}))
    return {"upserted": len(parsed)}


def parse_roster(content: bytes, content_type: str) -> list[dict[str, Any]]:
    """CSV (UTF-8, with or without BOM, or GBK as Excel saves it) or XLSX to row dicts."""
    if content_type.endswith("sheet") or content[:2] == b"PK":
        rows = _xlsx_rows(content)
    else:
        rows = _csv_rows(content)
    out = []
    for row in rows:
        mapped = {HEADERS[k.strip()]: v for k, v in row.items()
                  if k and k.strip() in HEADERS}
        if any(v not in (None, "") for v in mapped.values()):
            out.append(mapped)
    return out


def _csv_rows(content: bytes) -> Iterable[dict[str, Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError("无法识别文件编码，请另存为 UTF-8 CSV 或 XLSX", field="file")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not any(f and f.strip() in HEADERS for f in reader.fieldnames):
        raise ValidationError("表头不正确：需要 姓名、邮箱、手机号、会员号、会费年度、审批时间", field="file")
    return list(reader)


def _xlsx_rows(content: bytes) -> Iterable[dict[str, Any]]:
    import openpyxl  # heavy: only when an XLSX arrives
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ValidationError("无法读取 XLSX 文件", field="file") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if not header or not any(h and str(h).strip() in HEADERS for h in header):
        raise ValidationError("表头不正确：需要 姓名、邮箱、手机号、会员号、会费年度、审批时间", field="file")
    names = [str(h).strip() if h is not None else "" for h in header]
    return [dict(zip(names, r, strict=False)) for r in rows]


def find_rows(email: str | None, phone_norm: str | None) -> list[Member]:
    rows: dict[str, Member] = {}
    if email:
        rows.update({m.member_no: m for m in Member.by_email.query(normalise_email(email))})
    if phone_norm:
        rows.update({m.member_no: m for m in Member.by_phone.query(phone_norm)})
    return list(rows.values())


def membership_status(email: str | None, phone_norm: str | None, edition: Edition,
                      at: datetime) -> dict[str, Any]:
    """Member for this edition = a roster row (same e-mail or mobile) with the edition's dues
    year paid and the application approved strictly before `at`."""
    rows = find_rows(email, phone_norm)
    year = edition.membership_dues_year
    qualifying = [m for m in rows if m.dues_year == year and m.approved_at is not None
                  and m.approved_at < at]
    if qualifying:
        m = qualifying[0]
        return {"is_member": True, "tier": "member", "member_no": m.member_no, "dues_year": year,
                "approved_at": iso(m.approved_at), "note": f"已缴纳 {year} 年度会费的个人会员"}
    if any(m.dues_year == year for m in rows):
        note = f"已登记 {year} 年度会费，但入会申请尚未审批通过"
    elif rows:
        note = f"会员名册中有您的记录，但未缴纳 {year} 年度会费"
    else:
        note = "非会员（会员名册中没有与您的邮箱或手机号相符的记录）"
    return {"is_member": False, "tier": "non_member", "member_no": rows[0].member_no if rows else None,
            "dues_year": year, "approved_at": None, "note": note}
