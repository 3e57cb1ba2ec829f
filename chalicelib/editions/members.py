"""The members roster and what it says about one person for one edition."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.editions.edition import Edition
from chalicelib.editions.members_repository import LOOKUP_PREFIX, Member, MemberRepository
from chalicelib.platform.clock import iso, parse_instant
from chalicelib.platform.errors import ValidationError
from chalicelib.platform.spreadsheets import as_dicts, read_rows
from chalicelib.platform.text import normalise_email, normalise_phone

repo = MemberRepository()
MAX_ROWS = 5000
LINE_KEY = "_line"  # an imported row's file row number (header = 1; skipped blank rows count)
BAD_HEADER = "表头不正确：需要 姓名、邮箱、手机号、会员号、会费年度、审批时间"
# Accepted column headers (CSV/XLSX), English or Chinese.
HEADERS = {
    "name": "name", "姓名": "name",
    "email": "email", "邮箱": "email", "电子邮箱": "email",
    "phone": "phone", "手机": "phone", "手机号": "phone", "手机号码": "phone",
    "member_no": "member_no", "会员号": "member_no", "会员编号": "member_no",
    "dues_year": "dues_year", "会费年度": "dues_year", "缴费年度": "dues_year",
    "approved_at": "approved_at", "审批时间": "approved_at", "入会审批时间": "approved_at",
}


def _line(raw: dict[str, Any], index: int) -> str:
    """Where a row is, as the admin sees it: a file's row by the number Excel shows beside
    it (the header is row 1, blank rows count, as the bank statement import counts); a row
    sent as JSON by its position in `members` (第 1 条)."""
    line = raw.get(LINE_KEY)
    return f"第 {line} 行（表头为第 1 行）" if line else f"第 {index + 1} 条"


def _row(raw: dict[str, Any], index: int) -> Member:
    def text(key: str) -> str:
        value = raw.get(key)
        return "" if value is None else str(value).strip()
    member_no = text("member_no")
    name = text("name")
    where = f"members[{index}]"
    if not member_no or len(member_no) > 64:
        raise ValidationError(f"{_line(raw, index)}：会员号缺失或过长", field=f"{where}.member_no")
    if member_no.lower().startswith(LOOKUP_PREFIX):  # the roster's lookup items' keys
        raise ValidationError(f"{_line(raw, index)}：会员号不能以 {LOOKUP_PREFIX} 开头",
                              field=f"{where}.member_no")
    if not name or len(name) > 64:
        raise ValidationError(f"{_line(raw, index)}：姓名缺失或过长", field=f"{where}.name")
    email = normalise_email(text("email")) or None
    phone = normalise_phone(text("phone")) or None
    if email is None and phone is None:
        raise ValidationError(f"{_line(raw, index)}：邮箱和手机号至少填写一项", field=f"{where}.email")
    if email and ("@" not in email or len(email) > 254):
        raise ValidationError(f"{_line(raw, index)}：邮箱格式不正确", field=f"{where}.email")
    try:
        dues_year = int(str(raw.get("dues_year") or "").strip().split(".")[0])
    except ValueError as exc:
        raise ValidationError(f"{_line(raw, index)}：会费年度应为年份，如 2026",
                              field=f"{where}.dues_year") from exc
    if not 2000 <= dues_year <= 2100:
        raise ValidationError(f"{_line(raw, index)}：会费年度超出范围", field=f"{where}.dues_year")
    approved_raw = text("approved_at")
    approved_at = None
    if approved_raw:  # a spreadsheet's date cell reads as "2026-03-01 09:00:00" (Beijing time)
        try:
            approved_at = parse_instant(approved_raw.replace("/", "-"))
        except ValueError as exc:
            raise ValidationError(f"{_line(raw, index)}：审批时间格式不正确（例 2026-03-01 09:00，北京时间）",
                                  field=f"{where}.approved_at") from exc
    return Member(member_no=member_no, name=name, email_norm=email, phone_norm=phone,
                  dues_year=dues_year, approved_at=approved_at)


def upsert_members(rows: list[dict[str, Any]], actor: str, now: datetime) -> dict[str, Any]:
    """Validate every row first (all or nothing), then write them, each with an audit entry."""
    if not rows:
        raise ValidationError("members 不能为空", field="members")
    if len(rows) > MAX_ROWS:
        raise ValidationError(f"一次最多导入 {MAX_ROWS} 行", field="members")
    parsed = [_row(r, i) for i, r in enumerate(rows)]
    seen: set[str] = set()
    for i, m in enumerate(parsed):
        if m.member_no in seen:
            raise ValidationError(f"{_line(rows[i], i)}：会员号 {m.member_no} 重复", field=f"members[{i}].member_no")
        seen.add(m.member_no)
    return {"upserted": repo.upsert_many(parsed, actor, now)}


def parse_roster(content: bytes, content_type: str) -> list[dict[str, Any]]:
    """CSV (UTF-8, with or without BOM, or GBK as Excel saves it) or XLSX to row dicts
    keyed by field name; rows without any value are left out."""
    header, rows = as_dicts(read_rows(content, content_type, field="file",
                                       undecodable="无法识别文件编码，请另存为 UTF-8 CSV 或 XLSX"))
    if not any(h in HEADERS for h in header):
        raise ValidationError(BAD_HEADER, field="file")
    out = []
    for line, row in enumerate(rows, start=2):  # the header is row 1
        mapped: dict[str, Any] = {HEADERS[k]: v for k, v in row.items() if k in HEADERS}
        if any(v not in (None, "") for v in mapped.values()):
            out.append({**mapped, LINE_KEY: line})
    return out


def find_rows(email: str | None, phone_norm: str | None) -> list[Member]:
    return repo.find(normalise_email(email) if email else None, phone_norm)


UNVERIFIED_PHONE_NOTE = "验证手机后可确认会员身份"
UNVERIFIED_EMAIL_NOTE = "验证邮箱后可确认会员身份"


def membership_status(email: str | None, phone_norm: str | None, edition: Edition,
                      at: datetime, *, email_verified: bool = False,
                      phone_verified: bool = False) -> dict[str, Any]:
    """Member for this edition = a roster row reached through the account's **verified**
    e-mail or mobile, with the edition's dues year paid and the application approved
    strictly before `at`. A row reached only through an unverified contact point prices
    as non-member and shows nothing of the row (only that verifying may help)."""
    # Both contact points' rows in one read; only the verified ones' rows count.
    by_email, by_phone = repo.lookup(normalise_email(email) if email else None, phone_norm)
    rows = list({m.member_no: m for m in (by_email if email_verified else [])
                 + (by_phone if phone_verified else [])}.values())
    year = edition.membership_dues_year
    qualifying = [m for m in rows if m.dues_year == year and m.approved_at is not None
                  and m.approved_at < at]
    if qualifying:
        m = qualifying[0]
        return {"is_member": True, "tier": "member", "member_no": m.member_no, "dues_year": year,
                "approved_at": iso(m.approved_at), "note": f"已缴纳 {year} 年度会费的个人会员",
                "verification_needed": None}
    needed = None
    if any(m.dues_year == year for m in rows):
        note = f"已登记 {year} 年度会费，但入会申请尚未审批通过"
    elif rows:
        note = f"会员名册中有您的记录，但未缴纳 {year} 年度会费"
    else:
        note = "非会员（会员名册中没有与您的邮箱或手机号相符的记录）"
        if phone_norm and not phone_verified and by_phone:
            note, needed = UNVERIFIED_PHONE_NOTE, "phone"
        elif email and not email_verified and by_email:
            note, needed = UNVERIFIED_EMAIL_NOTE, "email"
    return {"is_member": False, "tier": "non_member", "member_no": rows[0].member_no if rows else None,
            "dues_year": year, "approved_at": None, "note": note, "verification_needed": needed}
