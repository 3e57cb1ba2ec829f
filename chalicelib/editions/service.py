"""The edition as data: seeding from the JSON files, reading the current one, admin edits."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.editions import public
from chalicelib.platform.clock import SHANGHAI, iso
from chalicelib.editions.errors import EditionConflictError, EditionNotFoundError
from chalicelib.editions.repository import EditionRepository
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import ValidationError

if TYPE_CHECKING:
    from chalicelib.editions.edition import Edition
    from chalicelib.editions.members_repository import Member, MemberRepository

# The Edition model (and pydantic) are imported inside the functions that build it: the
# public GET /editions/current answers from the stored public document (editions/public.py)
# and loads neither; nor the roster's repository (`_roster()`, the admin's screens').

DATA_DIR = Path(__file__).resolve().parent / "data"  # one JSON document per edition
repo = EditionRepository()
# How long a process may keep the current edition in memory (prod): edits show within it.
CACHE_SECONDS_PROD = 30.0


def load_seed(edition_id: str) -> Edition:
    from chalicelib.editions.edition import Edition
    return Edition.model_validate_json((DATA_DIR / f"{edition_id}.json").read_text("utf-8"))


def parse_edition(data: Any) -> Edition:
    import pydantic

    from chalicelib.editions.edition import Edition
    try:
        return Edition.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first.get("loc", ())) or "edition"
        msg = str(first.get("msg", "")).removeprefix("Value error, ")
        raise ValidationError(f"届次数据无效（{name}）：{msg}", field=name) from exc


def seed_edition(edition: Edition, now: datetime, make_current: bool = True) -> bool:
    """Create the edition unless it exists (idempotent); returns True when created."""
    created = repo.seed(edition.edition_id, edition.model_dump(mode="json"), now,
                        public=public.written(edition))
    if make_current and repo.current_id() is None:
        repo.set_current(edition.edition_id)
    return created


def get_edition(deps: Deps, edition_id: str) -> Edition:
    cache = deps._edition_cache
    ttl = 0.0 if deps.settings.is_dev else CACHE_SECONDS_PROD
    hit = cache.get(edition_id)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]  # type: ignore[no-any-return]
    item = repo.get(edition_id)
    if item is None:
        raise EditionNotFoundError(edition_id)
    return _cache_edition(deps, edition_id, item.document)


def _cache_edition(deps: Deps, edition_id: str, document: Any) -> Edition:
    from chalicelib.editions.edition import Edition
    edition = Edition.model_validate(document)
    deps._edition_cache[edition_id] = (time.monotonic(), edition)
    return edition


def current_edition_id(deps: Deps) -> str:
    edition_id = repo.current_id()
    if not edition_id:
        raise EditionNotFoundError()
    return edition_id


def get_current(deps: Deps) -> Edition:
    return get_edition(deps, _current_id(deps))


def _current_id(deps: Deps) -> str:
    """The current edition's id: from the process's cache for CACHE_SECONDS_PROD in prod,
    read each time in dev/test."""
    cache = deps._edition_cache
    if not deps.settings.is_dev and "current_id" in cache and \
            time.monotonic() - cache["current_id"][0] < CACHE_SECONDS_PROD:
        return str(cache["current_id"][1])
    edition_id = current_edition_id(deps)
    cache["current_id"] = (time.monotonic(), edition_id)
    return edition_id


def current_public_view(deps: Deps, now: datetime) -> dict[str, Any]:
    """GET /editions/current: the current edition's public answer at `now`, from the
    public document stored with it (no model built; cached as the edition is). An item
    saved before the public document existed (or in an older format) has its document
    built into the model once, as before, and the public document made from it."""
    edition_id = _current_id(deps)
    cache = deps._edition_cache
    key = f"public#{edition_id}"
    ttl = 0.0 if deps.settings.is_dev else CACHE_SECONDS_PROD
    hit = cache.get(key)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1].view(now)  # type: ignore[no-any-return]
    item = repo.get(edition_id)
    if item is None:
        raise EditionNotFoundError(edition_id)
    stored = public.read(item.public_document)
    if stored is None:  # saved by an older release: the model, as before
        edition = _cache_edition(deps, edition_id, item.document)
        stored = public.read(public.written(edition))
        if stored is None:
            return edition.public_view(now)
    cache[key] = (time.monotonic(), stored)
    return stored.view(now)


WINDOW_NAMES = ("registration", "refund", "learning", "questionnaire", "certificate")


def beijing_input(data: Any) -> Any:
    """The windows' times as an admin types them: a time without an offset is Beijing time
    (`2026-04-03T00:00` = 00:00 in Beijing), and `24:00` is the end of that day (the
    notice's "4月10日 24:00" = the exclusive bound 4月11日 00:00). Times with an offset
    pass as they are; anything unreadable is left for the model to refuse by name."""
    if not isinstance(data, dict) or not isinstance(data.get("windows"), dict):
        return data
    windows = {}
    for name, window in data["windows"].items():
        if isinstance(window, dict):
            window = {k: (_beijing(v) if k in ("opens", "closes") else v)
                      for k, v in window.items()}
        windows[name] = window
    return {**data, "windows": windows}


_END_OF_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]24:00(?::00)?(?:\+08:00)?$")


def _beijing(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    end_of_day = _END_OF_DAY.match(text)
    if end_of_day:
        text = end_of_day.group(1) + "T00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SHANGHAI)
    if end_of_day:
        parsed += timedelta(days=1)
    return parsed.isoformat()


def admin_view(deps: Deps, edition_id: str) -> dict[str, Any]:
    """The edition's full document as the admin's form reads it: the windows' times in
    Beijing time (`+08:00`, never UTC `Z`), and the stored version to save against."""
    edition = get_edition(deps, edition_id)
    item = repo.get(edition_id, consistent_read=True)
    doc = edition.model_dump(mode="json")
    for name in WINDOW_NAMES:
        window = getattr(edition.windows, name)
        doc["windows"][name] = {
            k: getattr(window, k).astimezone(SHANGHAI).isoformat()
            for k in ("opens", "closes") if getattr(window, k) is not None}
    doc["version"] = int(item.version) if item is not None else 1
    return doc


def save_edition(deps: Deps, data: Any, actor: str, now: datetime, *, create: bool,
                 edition_id: str | None = None, expected_version: int | None = None,
                 make_current: bool = False) -> dict[str, Any]:
    """Create or replace an edition after validating it (windows in the notice's order;
    times without an offset read as Beijing time: `beijing_input`). A document read from
    `admin_view` carries its `version`: it is the version saved against unless the request
    names one, so a read-modify-write cannot silently undo someone else's edit."""
    if isinstance(data, dict) and "version" in data:
        data = dict(data)
        read_version = data.pop("version")
        if expected_version is None and not create and isinstance(read_version, int):
            expected_version = read_version
    edition = parse_edition(beijing_input(data))
    if edition_id is not None and edition.edition_id != edition_id:
        raise ValidationError("edition_id 与路径不一致", field="edition_id")
    document = edition.model_dump(mode="json")
    answer = public.written(edition)  # what GET /editions/current answers, stored with it
    if create:
        version = 1
        saved = repo.create(edition.edition_id, document, actor, now, public=answer)
    else:
        current = repo.get(edition.edition_id, consistent_read=True)
        if current is None:
            raise EditionNotFoundError(edition.edition_id)
        expected = expected_version if expected_version is not None else int(current.version)
        version = expected + 1
        saved = repo.replace(edition.edition_id, document, expected, actor, now,
                             public=answer)
    if not saved:
        raise EditionConflictError()
    if make_current:
        repo.set_current(edition.edition_id)
    deps._edition_cache.clear()
    return {"edition_id": edition.edition_id, "version": version,
            "current": make_current or repo.current_id() == edition.edition_id}


def seed_all(now: datetime) -> list[str]:
    from chalicelib.editions.edition import Edition
    created = []
    for path in sorted(DATA_DIR.glob("*.json")):
        edition = Edition.model_validate(json.loads(path.read_text("utf-8")))
        if seed_edition(edition, now):
            created.append(edition.edition_id)
    _roster().backfill_lookups()  # a new stack: marks the roster's lookup items ready
    return created


# --- the admin's roster screen: list and search -------------------------------------------
SEARCH_SCAN_PAGES = 20  # a name search reads at most this many scan pages per answer


@cache
def _roster() -> MemberRepository:
    from chalicelib.editions.members_repository import MemberRepository
    return MemberRepository()


def member_view(m: Member) -> dict[str, Any]:
    return {"member_no": m.member_no, "name": m.name, "email": m.email_norm,
            "phone": m.phone_norm, "dues_year": int(m.dues_year),
            "approved_at": iso(m.approved_at), "updated_at": iso(m.updated_at)}


def list_members(q: str | None, limit: int, token: str | None
                 ) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the roster, or the rows matching `q`: an e-mail or a mobile number exactly
    (through their indexes: one Query), otherwise a name or member number containing it
    (scan pages read until `limit` rows are found or SEARCH_SCAN_PAGES pages are read; the
    token goes on from there). The roster is the association's few thousand rows and this
    is the admin's own screen: the only Scan, and never on a trainee's path."""
    from chalicelib.platform.text import normalise_email, normalise_phone
    q = (q or "").strip()
    if q and "@" in q:
        return [member_view(m) for m in _roster().find(normalise_email(q), None)], None
    if q and len(normalise_phone(q)) == 11 and not re.search(r"[^\d\s+()-]", q):
        return [member_view(m) for m in _roster().find(None, normalise_phone(q))], None
    found: list[Member] = []
    for _ in range(SEARCH_SCAN_PAGES if q else 1):
        items, token = _roster().page(limit - len(found), token, q or None)
        found.extend(items)
        if token is None or len(found) >= limit:
            break
    return [member_view(m) for m in found], token


# --- the roster's import template ---------------------------------------------------------
TEMPLATE_HEADER = ("姓名", "邮箱", "手机号", "会员号", "会费年度", "审批时间")
TEMPLATE_NOTES = (
    ("姓名", "必填", "张三"),
    ("邮箱", "邮箱和手机号至少填一项；与学员账号中已验证的邮箱相同才算本人", "zhangsan@example.com"),
    ("手机号", "11 位手机号；与学员账号中已验证的手机号相同才算本人", "13800138000"),
    ("会员号", "必填，不可重复；同一会员号再次导入会更新该行", "M2026-0001"),
    ("会费年度", "已缴纳会费的年度，如 2026", "2026"),
    ("审批时间", "入会申请审批通过的时间（北京时间），如 2026-03-01 09:00；未审批的留空", "2026-03-01 09:00"),
)


def roster_template_xlsx() -> tuple[bytes, str]:
    """The members-roster template: sheet 1 is what the import reads (the header only, as
    text columns so Excel keeps leading zeros and long numbers); sheet 2 explains each
    column with an example (kept off sheet 1, so an example is never imported)."""
    from io import BytesIO

    from openpyxl import Workbook  # heavy: only when the template is asked for
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "会员名册"
    sheet.append(list(TEMPLATE_HEADER))
    for i, width in enumerate((12, 28, 16, 16, 10, 20)):
        letter = "ABCDEF"[i]
        sheet.column_dimensions[letter].width = width
        sheet.column_dimensions[letter].number_format = "@"
        sheet[f"{letter}1"].font = Font(bold=True)
    sheet.freeze_panes = "A2"
    notes = book.create_sheet("填写说明")
    notes.append(["列", "说明", "示例"])
    for row in TEMPLATE_NOTES:
        notes.append(list(row))
    notes.append([])
    notes.append(["导入时只读取第一个工作表“会员名册”；出错时提示的行号与 Excel 左侧行号一致（表头为第 1 行）。"])
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 10, 60
    notes.column_dimensions["C"].width = 22
    buf = BytesIO()
    book.save(buf)
    return buf.getvalue(), "会员名册导入模板.xlsx"
