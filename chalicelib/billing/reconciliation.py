"""Bank statement reconciliation for finance: parse a CSV/XLSX export with the usual Chinese
headers, keep each credit line once (its id derives from the bank serial, so a re-import
merges), and propose matches against the open bank-transfer orders with a pure, indexed
matcher. Finance confirms each match (POST /admin/orders/{id}/confirm-transfer)."""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.billing.repository import StatementLine, line_queue, repository
from chalicelib.billing.states import Channel, LineStatus, OrderKind, OrderStatus, memo_key
from chalicelib.editions import service as editions
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import PayloadTooLargeError, ValidationError
from chalicelib.platform.money import parse_yuan
from chalicelib.platform.spreadsheets import read_rows
from chalicelib.platform.text import normalise_name

MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 20_000
HEADERS = {
    "date": ("交易日期", "记账日期", "日期", "交易时间"),
    "amount": ("收入金额", "贷方金额", "贷方发生额", "收入", "贷方", "入账金额"),
    "payer": ("对方户名", "付款人名称", "对方名称", "付款人", "对方单位"),
    "account": ("对方账号", "付款人账号", "对方账户"),
    "memo": ("附言", "摘要", "用途", "备注", "交易附言"),
    "serial": ("交易流水号", "流水号", "银行流水号", "交易序号", "凭证号"),
}
PREFIXES = ("在职培训", "在职培训费", "培训费")


# --- parsing --------------------------------------------------------------------------------
def _header_map(row: list[str]) -> dict[str, int] | None:
    cells = [normalise_name(c) for c in row]
    found: dict[str, int] = {}
    for name, aliases in HEADERS.items():
        for alias in aliases:
            if alias in cells:
                found.setdefault(name, cells.index(alias))
                break
    memo_cols = [i for i, c in enumerate(cells) if c in HEADERS["memo"]]
    if "amount" in found and "serial" in found:
        found["memo_cols"] = memo_cols  # type: ignore[assignment]
        return found
    return None


def line_id_for(serial: str) -> str:
    digest = hashlib.sha256(serial.encode()).digest()
    return "L" + base64.b32encode(digest).decode()[:14]


@dataclass(frozen=True)
class Statement:
    """The credit lines of a statement, each bank serial once, and the serials that came
    more than once (with the row numbers where they stood)."""
    lines: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]


TOTAL_WORDS = ("合计", "总计", "小计", "本页合计", "累计")


def read_statement(raw: bytes, content_type: str) -> Statement:
    """Parse a whole statement or refuse it whole: a row that looks like a credit but
    cannot be read (an amount that is not money, money without a serial, a serial repeated
    with another amount or payer) makes a 400 that names every such row number (the row as
    the spreadsheet numbers it, the header row included); nothing is kept then."""
    if len(raw) > MAX_BYTES:
        raise PayloadTooLargeError(f"银行流水文件不能超过 {MAX_BYTES // 1024 // 1024} MB")
    if not raw.strip():
        raise ValidationError("请上传银行流水文件", field="body")
    rows = read_rows(raw, content_type, field="body", what="银行流水")
    header = None
    start = 0
    for i, row in enumerate(rows[:30]):
        header = _header_map(row)
        if header:
            start = i + 1
            break
    if header is None:
        raise ValidationError("未找到表头：需要“交易流水号”与“收入金额/贷方金额”等列", field="body")
    memo_cols: list[int] = header.pop("memo_cols")  # type: ignore[assignment]

    def cell(row: list[str], name: str) -> str:
        idx = header.get(name)
        return row[idx].strip() if idx is not None and idx < len(row) and row[idx] else ""
    lines: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    repeats: dict[str, list[int]] = {}
    bad: list[tuple[int, str]] = []
    for number, row in enumerate(rows[start:], start=start + 1):
        serial = "".join(cell(row, "serial").split()).upper()
        amount_text = cell(row, "amount")
        if not amount_text:
            continue  # debits (their own column) and blank rows
        amount = parse_yuan(amount_text, allow_negative=True)
        if amount is None:
            bad.append((number, f"金额“{amount_text[:20]}”无法识别"))
            continue
        if amount <= 0:
            continue  # fees and reversals written as negative credits
        if not serial:
            if any(word in c for c in row for word in TOTAL_WORDS):
                continue  # a totals row
            bad.append((number, "缺少交易流水号"))
            continue
        if len(serial) > 64:
            bad.append((number, "交易流水号过长"))
            continue
        memo = " ".join(row[i].strip() for i in memo_cols if i < len(row) and row[i] and row[i].strip())
        line = {"line_id": line_id_for(serial), "bank_serial": serial, "amount_fen": amount,
                "payer_name": cell(row, "payer"), "payer_account": cell(row, "account"),
                "memo": memo, "trade_date": cell(row, "date")}
        if serial in first_row:
            kept = next(x for x in lines if x["bank_serial"] == serial)
            if (kept["amount_fen"], kept["payer_name"]) != (amount, line["payer_name"]):
                bad.append((number, f"交易流水号 {serial} 与第 {first_row[serial]} 行重复且内容不同"))
            else:
                repeats.setdefault(serial, [first_row[serial]]).append(number)
            continue
        first_row[serial] = number
        lines.append(line)
        if len(lines) > MAX_LINES:
            raise ValidationError(f"一次最多导入 {MAX_LINES} 行", field="body")
    if bad:
        numbers = [n for n, _ in bad]
        shown = "、".join(str(n) for n in numbers[:50]) + ("等" if len(numbers) > 50 else "")
        raise ValidationError(f"银行流水第 {shown} 行有误，整份流水未导入", field="body",
                              code="STATEMENT_LINES_INVALID", lines=numbers,
                              problems=[{"line": n, "problem": why} for n, why in bad[:200]])
    duplicates = [{"line_id": line_id_for(serial), "bank_serial": serial, "rows": numbers}
                  for serial, numbers in repeats.items()]
    return Statement(lines=lines, duplicates=duplicates)


def parse_statement(raw: bytes, content_type: str) -> list[dict[str, Any]]:
    """Credit lines of a statement: serial, amount (fen), payer, account, memo, date."""
    return read_statement(raw, content_type).lines


# --- the matcher (pure) --------------------------------------------------------------------
@dataclass(frozen=True)
class OrderRef:
    order_id: str
    amount_fen: int
    kind: str  # individual | group
    person: str  # normalised name ("" for a group)
    unit: str  # normalised unit name


@dataclass(frozen=True)
class LineRef:
    line_id: str
    amount_fen: int
    memo: str
    payer_name: str


def _strip_prefix(text: str) -> str:
    for prefix in PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def _is_abbreviation(short: str, full: str) -> bool:
    """国图 ~ 国家图书馆, 北大图书馆 ~ 北京大学图书馆: in order, same first character."""
    if len(short) < 2 or not full or short[0] != full[0] or len(short) > len(full):
        return False
    it = iter(full)
    return all(ch in it for ch in short)


def _unit_score(rest: str, payer: str, unit: str) -> int:
    if not unit:
        return 0
    if unit in rest or (payer and payer == unit):
        return 2
    if (rest and _is_abbreviation(rest, unit)) or (payer and _is_abbreviation(payer, unit)):
        return 1
    return 0


def _only_inside_longer(name: str, text: str, names: set[str]) -> bool:
    """Every occurrence of `name` in `text` lies inside an occurrence of a longer name of
    `names` (a name token is exact when it is not just part of another person's name)."""
    longer = [n for n in names if len(n) > len(name) and name in n]
    if not longer:
        return False
    covered: set[int] = set()
    for n in longer:
        i = text.find(n)
        while i >= 0:
            covered.update(range(i, i + len(n)))
            i = text.find(n, i + 1)
    i = text.find(name)
    while i >= 0:
        if not set(range(i, i + len(name))) <= covered:
            return False
        i = text.find(name, i + 1)
    return True


class Matcher:
    """Indexes the open orders once (by name and by amount for groups), then matches lines
    in about O(memo length) each."""

    def __init__(self, orders: list[OrderRef]) -> None:
        self.by_person: dict[str, list[OrderRef]] = {}
        self.groups_by_amount: dict[int, list[OrderRef]] = {}
        lengths = set()
        for o in orders:
            if o.kind == OrderKind.GROUP.value:
                self.groups_by_amount.setdefault(o.amount_fen, []).append(o)
            elif o.person:
                self.by_person.setdefault(o.person, []).append(o)
                lengths.add(len(o.person))
        self.name_lengths = sorted(lengths)

    def candidates(self, line: LineRef) -> list[tuple[int, OrderRef, str]]:
        text = _strip_prefix(memo_key(line.memo))
        payer = memo_key(line.payer_name)
        found: dict[str, tuple[int, OrderRef, str]] = {}
        names = set()
        for n in self.name_lengths:
            for i in range(0, max(0, len(text) - n) + 1):
                names.add(text[i:i + n])
        if payer:
            names.add(payer)
        priced = {n for n in names
                  if any(o.amount_fen == line.amount_fen for o in self.by_person.get(n, ()))}
        for name in priced:
            # 闻晓 inside 闻晓宇: not the name written, unless it also stands on its own
            exact = name == payer or not _only_inside_longer(name, text, priced)
            for o in self.by_person.get(name, ()):
                if o.amount_fen != line.amount_fen:
                    continue
                rest = text.replace(name, "", 1)
                unit = _unit_score(rest, payer if payer != name else "", o.unit)
                score = 10 + unit if exact else unit
                found[o.order_id] = max(found.get(o.order_id, (0, o, "")), (score, o, "name"),
                                        key=lambda t: t[0])
        for o in self.groups_by_amount.get(line.amount_fen, ()):
            score = _unit_score(text, payer, o.unit)
            if score:
                found[o.order_id] = (5 + score, o, "unit")
        return sorted(found.values(), key=lambda t: -t[0])

    def match(self, lines: list[LineRef]) -> dict[str, list[dict[str, Any]]]:
        matches, ambiguous, unmatched = [], [], []
        for line in lines:
            cands = self.candidates(line)
            if not cands:
                unmatched.append({"line_id": line.line_id, "amount_fen": line.amount_fen,
                                  "memo": line.memo, "payer_name": line.payer_name})
                continue
            best = cands[0][0]
            top = [c for c in cands if c[0] == best]
            strong = (best >= 11) or (best >= 6 and top[0][2] == "unit")
            if len(top) == 1 and strong:
                matches.append({"line_id": line.line_id, "order_id": top[0][1].order_id,
                                "confidence": "high" if best in (12, 7) else "medium"})
            else:
                ambiguous.append({"line_id": line.line_id, "amount_fen": line.amount_fen,
                                  "memo": line.memo, "payer_name": line.payer_name,
                                  "candidates": [{"order_id": c[1].order_id, "score": c[0]}
                                                 for c in cands[:5]]})
        # One line never pays two orders; two lines proposed for one order need a human.
        seen: dict[str, int] = {}
        for m in matches:
            seen[m["order_id"]] = seen.get(m["order_id"], 0) + 1
        clash = [m for m in matches if seen[m["order_id"]] > 1]
        if clash:
            matches = [m for m in matches if seen[m["order_id"]] == 1]
            ambiguous.extend({"line_id": m["line_id"], "candidates": [
                {"order_id": m["order_id"], "score": None}], "reason": "same_order_twice"}
                for m in clash)
        return {"matches": matches, "ambiguous": ambiguous, "unmatched": unmatched}


def match_lines(lines: list[LineRef], orders: list[OrderRef]) -> dict[str, list[dict[str, Any]]]:
    """Pure: sort statement lines into confident matches, ambiguous ones and unmatched."""
    return Matcher(orders).match(lines)


# --- the import ------------------------------------------------------------------------------
def _as_printed(line: dict[str, Any] | None) -> dict[str, Any]:
    if line is None:
        return {}
    return {"bank_serial": line["bank_serial"], "trade_date": line.get("trade_date"),
            "payer_name": line.get("payer_name") or "", "payer_account": line.get("payer_account"),
            "amount_fen": line["amount_fen"], "memo": line.get("memo") or ""}


def import_statement(deps: Deps, raw: bytes, content_type: str, actor: str,
                     now: datetime) -> dict[str, Any]:
    """Keep the statement's credit lines (once per bank serial) and propose matches for the
    lines not yet used; lines already credited (through a statement line or a serial
    finance confirmed by hand) are reported, never matched again; a serial repeated inside
    the statement is one line, listed in `duplicates`. A bad row refuses the whole
    statement before anything is written."""
    store = repository(deps)
    edition = editions.get_current(deps)
    statement = read_statement(raw, content_type)
    parsed = statement.lines
    existing = store.lines([p["line_id"] for p in parsed])
    # serials finance already confirmed by hand (confirm-transfer with bank_serial)
    by_hand = store.payments_of_txns(Channel.BANK_TRANSFER.value,
                                     [p["bank_serial"] for p in parsed])
    new = 0
    lines: list[LineRef] = []
    already: list[dict[str, Any]] = []
    for p in parsed:
        known = existing.get(p["line_id"])
        if known is None:
            item = StatementLine(edition_id=edition.edition_id, status=LineStatus.NEW.value,
                                 imported_at=now, imported_by=actor,
                                 edition_status=line_queue(edition.edition_id, LineStatus.NEW), **p)
            if store.save_line_if_new(item):
                new += 1
            else:
                known = store.get_line(p["line_id"])
        if known is not None and known.status != LineStatus.NEW.value:
            already.append({"line_id": known.line_id, "bank_serial": known.bank_serial,
                            "order_id": known.order_id})
            continue
        payment_id = by_hand.get(p["bank_serial"])
        if payment_id is not None:
            payment = store.get_payment(payment_id)
            already.append({"line_id": p["line_id"], "bank_serial": p["bank_serial"],
                            "order_id": payment.order_id if payment is not None else None})
            continue
        lines.append(LineRef(line_id=p["line_id"], amount_fen=p["amount_fen"], memo=p["memo"],
                             payer_name=p["payer_name"]))
    orders = [OrderRef(order_id=o.order_id, amount_fen=int(o.amount_fen), kind=o.kind,
                       person=memo_key(o.payer_name) if o.kind == OrderKind.INDIVIDUAL.value else "",
                       unit=memo_key(o.unit_name))
              for o in store.orders_in_queue(edition.edition_id, OrderStatus.OPEN,
                                             Channel.BANK_TRANSFER.value)]
    result: dict[str, Any] = dict(match_lines(lines, orders))
    # Finance reads each line as the bank printed it (交易流水号, date, payer, payer account),
    # not by our internal line id.
    bank = {p["line_id"]: p for p in parsed}
    for key in ("matches", "ambiguous", "unmatched"):
        result[key] = [{**item, **_as_printed(bank.get(item["line_id"]))} for item in result[key]]
    result.update({"imported": new, "known": len(parsed) - new, "already_credited": already,
                   "duplicates": statement.duplicates})
    return result
