"""The staff's XLSX exports (finance opens them in Excel): registrations, payments, refunds,
invoices and certificates of one edition. Each reads through the features' queries, page
by page (bounded memory: openpyxl's write-only workbook streams rows to a temporary file),
and every cell a person typed goes through `platform.spreadsheets.safe_cell`.

Conventions (the same in every sheet):
- Chinese column headers, the first row frozen;
- amounts in 元 as numbers (fen / 100, exact Decimal) formatted `0.00`, so Excel sums them;
- times as real Excel date-times in Beijing time (the header says 北京时间), formatted
  `yyyy-mm-dd hh:mm`, so they sort and filter as dates;
- states by their Chinese label (the same tables the web's labels come from).
openpyxl is imported only when an export is made (cold start)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from io import BytesIO
from typing import Any, Callable, Iterable, Sequence

from chalicelib.billing import queries as billing
from chalicelib.billing.states import CHANNEL_LABELS, PAYMENT_DISPOSITION, REFUND_STATUS, PaymentDisposition, RefundStatus
from chalicelib.certificates import queries as certificates
from chalicelib.certificates.states import STATUS as CERT_STATUS
from chalicelib.editions import service as editions
from chalicelib.invoicing import queries as invoicing
from chalicelib.invoicing.states import BUYER, KIND as INVOICE_KIND, STATUS as INVOICE_STATUS
from chalicelib.learning import queries as learning
from chalicelib.platform.clock import SHANGHAI
from chalicelib.platform.deps import Deps
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.spreadsheets import safe_cell
from chalicelib.registration import queries as registrations
from chalicelib.registration.states import PAYMENT_STATUS, STATUS as REG_STATUS, TIER, RegistrationStatus

PAGE = 200  # items per query page: memory holds one page (and its looked-up orders)
TIME_FORMAT = "yyyy-mm-dd hh:mm"
YUAN_FORMAT = "0.00"
REFUND_KINDS = {"request": "学员申请", "duplicate": "重复交费（自动退回）",
                "unapproved": "报名未通过（自动退回）", "late": "逾期到账（自动退回）"}
ORDER_KINDS = {"individual": "个人", "group": "集体"}

PageFn = Callable[[str | None], tuple[Sequence[Any], str | None]]


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text (safe_cell), yuan (fen -> 元), time (Beijing), number
    width: int = 16


@dataclass(frozen=True)
class Export:
    name: str  # the route's name: /admin/exports/{name}
    title: str  # the sheet's and the file's Chinese name
    columns: tuple[Column, ...]
    phases: Callable[[str], list[PageFn]]  # the edition's page queries, in order
    rows: Callable[[Sequence[Any]], Iterable[list[Any]]]  # one page -> its rows


def _label(machine: Any, value: Any) -> str | None:
    return machine.label(value) if value is not None and machine.knows(str(value)) else value


def _yes(value: Any) -> str:
    return "是" if value else "否"


# --- registrations ----------------------------------------------------------------------
REGISTRATION_COLUMNS = (
    Column("报名编号", width=22), Column("姓名", width=12), Column("单位", width=28),
    Column("职务", width=14), Column("地区", width=10), Column("手机号", width=14),
    Column("邮箱", width=26), Column("会员类别", width=10), Column("应交费用（元）", "yuan", 14),
    Column("报名状态", width=10), Column("交费状态", width=10),
    Column("提交时间（北京时间）", "time", 18), Column("审核时间（北京时间）", "time", 18),
    Column("驳回原因", width=24), Column("交费时间（北京时间）", "time", 18),
    Column("交费订单号", width=22), Column("退费时间（北京时间）", "time", 18),
)


def _per_state(page: Callable[..., tuple[Sequence[Any], str | None]], edition_id: str,
               states: Iterable[str]) -> list[PageFn]:
    """One phase per state: `page(edition_id, state, PAGE, token)` (PAGE read at call time)."""
    def phase(state: str) -> PageFn:
        return lambda token: page(edition_id, state, PAGE, token)
    return [phase(s) for s in states]


def _registration_phases(edition_id: str) -> list[PageFn]:
    return _per_state(registrations.page_by_status, edition_id, [s.value for s in RegistrationStatus])


def _registration_rows(page: Sequence[Any]) -> Iterable[list[Any]]:
    for r in page:
        yield [r.registration_id, r.name, r.unit_name, r.job_title, r.region, r.phone, r.email,
               _label(TIER, r.tier), r.fee_fen, _label(REG_STATUS, r.status),
               _label(PAYMENT_STATUS, r.payment_status), r.submitted_at, r.reviewed_at,
               r.reject_reason, r.paid_at, r.paid_order_id, r.refunded_at]


# --- payments ---------------------------------------------------------------------------
PAYMENT_COLUMNS = (
    Column("交易编号", width=22), Column("订单号", width=22), Column("渠道", width=10),
    Column("渠道流水号 / 银行流水号", width=30), Column("到账金额（元）", "yuan", 14),
    Column("入账情况", width=20), Column("到账时间（北京时间）", "time", 18),
    Column("付款人", width=16), Column("单位", width=28), Column("订单类型", width=10),
    Column("报名人数", "number", 10), Column("公务卡", width=8), Column("对方户名", width=20),
    Column("对方账号", width=24), Column("经办", width=16),
)


def _payment_phases(edition_id: str) -> list[PageFn]:
    return _per_state(billing.page_payments, edition_id, [d.value for d in PaymentDisposition])


def _payment_rows(page: Sequence[Any]) -> Iterable[list[Any]]:
    orders = billing.get_orders([p.order_id for p in page])
    for p in page:
        o = orders.get(p.order_id)
        payer = p.payer or {}
        yield [p.payment_id, p.order_id, CHANNEL_LABELS.get(p.channel, p.channel),
               p.provider_txn_id, p.amount_fen, _label(PAYMENT_DISPOSITION, p.disposition),
               p.received_at, o.payer_name if o else None, o.unit_name if o else None,
               ORDER_KINDS.get(o.kind, o.kind) if o else None,
               len(p.registration_ids or []), _yes(o.official_card) if o else None,
               payer.get("payer_name"), payer.get("payer_account"), p.actor]


# --- refunds ----------------------------------------------------------------------------
REFUND_COLUMNS = (
    Column("退款编号", width=22), Column("订单号", width=22), Column("报名编号", width=22),
    Column("渠道", width=10), Column("退款金额（元）", "yuan", 14),
    Column("原交费金额（元）", "yuan", 14), Column("类型", width=18), Column("状态", width=10),
    Column("原因", width=30), Column("付款人", width=16), Column("单位", width=28),
    Column("申请时间（北京时间）", "time", 18), Column("完成时间（北京时间）", "time", 18),
    Column("退款流水号", width=26), Column("失败原因", width=24),
)


def _refund_phases(edition_id: str) -> list[PageFn]:
    return _per_state(billing.page_refunds, edition_id, [s.value for s in RefundStatus])


def _refund_rows(page: Sequence[Any]) -> Iterable[list[Any]]:
    orders = billing.get_orders([f.order_id for f in page])
    for f in page:
        o = orders.get(f.order_id)
        yield [f.refund_id, f.order_id, f.registration_id,
               CHANNEL_LABELS.get(f.channel, f.channel), f.amount_fen, f.payment_amount_fen,
               REFUND_KINDS.get(f.kind, f.kind), _label(REFUND_STATUS, f.status), f.reason,
               o.payer_name if o else None, o.unit_name if o else None, f.requested_at,
               f.completed_at, f.provider_refund_id or f.bank_serial, f.failure]


# --- invoices ---------------------------------------------------------------------------
INVOICE_COLUMNS = (
    Column("发票编号", width=18), Column("发票号码", width=24), Column("种类", width=10),
    Column("状态", width=10), Column("订单号", width=22), Column("购买方类型", width=10),
    Column("抬头", width=28), Column("纳税人识别号", width=22), Column("项目", width=24),
    Column("数量", "number", 8), Column("金额（元）", "yuan", 14), Column("渠道", width=10),
    Column("公务卡", width=8), Column("交费时间（北京时间）", "time", 18),
    Column("开票时间（北京时间）", "time", 18), Column("红冲的原发票", width=18),
    Column("红冲时间（北京时间）", "time", 18), Column("红冲原因", width=24),
)


def _invoice_phases(edition_id: str) -> list[PageFn]:
    return [lambda token: invoicing.page_of_edition(edition_id, PAGE, token)]


def _invoice_rows(page: Sequence[Any]) -> Iterable[list[Any]]:
    for i in page:
        yield [i.invoice_no, i.external_no, _label(INVOICE_KIND, i.kind),
               _label(INVOICE_STATUS, i.status), i.order_id, _label(BUYER, i.buyer_type),
               i.title, i.credit_code, i.item, i.quantity, i.amount_fen,
               CHANNEL_LABELS.get(i.channel or "", i.channel), _yes(i.official_card),
               i.paid_at, i.issued_at, i.reverses_no, i.reversed_at, i.reason]


# --- certificates -----------------------------------------------------------------------
CERTIFICATE_COLUMNS = (
    Column("证书编号", width=20), Column("姓名", width=12), Column("单位", width=28),
    Column("报名编号", width=22), Column("学时", "number", 8), Column("状态", width=10),
    Column("发证时间（北京时间）", "time", 18), Column("撤销时间（北京时间）", "time", 18),
    Column("撤销原因", width=24),
)


def _certificate_phases(edition_id: str) -> list[PageFn]:
    return [lambda token: learning.page_responses(edition_id, PAGE, token)]


def _certificate_rows(page: Sequence[Any]) -> Iterable[list[Any]]:
    certs = certificates.get_certificates([r.certificate_no for r in page if r.certificate_no])
    for r in page:
        c = certs.get(r.certificate_no or "")
        if c is None:
            continue  # a response whose certificate was not issued (or expired unclaimed)
        yield [c.certificate_no, c.holder_name, c.unit_name, c.registration_id, c.hours,
               _label(CERT_STATUS, c.status), c.issued_at, c.revoked_at, c.revoke_reason]


EXPORTS: dict[str, Export] = {e.name: e for e in (
    Export("registrations", "报名名单", REGISTRATION_COLUMNS, _registration_phases,
           _registration_rows),
    Export("payments", "交费记录", PAYMENT_COLUMNS, _payment_phases, _payment_rows),
    Export("refunds", "退费记录", REFUND_COLUMNS, _refund_phases, _refund_rows),
    Export("invoices", "发票记录", INVOICE_COLUMNS, _invoice_phases, _invoice_rows),
    Export("certificates", "证书发放", CERTIFICATE_COLUMNS, _certificate_phases,
           _certificate_rows),
)}
NAMES = tuple(EXPORTS)


def _value(kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if kind == "yuan":
        return Decimal(int(value)) / 100
    if kind == "time":  # Excel has no time zones: the Beijing wall-clock time, naive
        return value.astimezone(SHANGHAI).replace(tzinfo=None) if isinstance(value, datetime) else safe_cell(str(value))
    if kind == "number":
        return value if isinstance(value, (int, float, Decimal)) else safe_cell(str(value))
    return safe_cell(value if isinstance(value, str) else str(value))


def export_xlsx(deps: Deps, name: str, edition_id: str | None, now: datetime
                ) -> tuple[bytes, str, str]:
    """(workbook bytes, Chinese file name, ASCII fallback name) of the export `name` for the
    edition (default: the current one), every page of every phase."""
    spec = EXPORTS.get(name)
    if spec is None:
        raise NotFoundError(f"没有这种导出：{name}", code="EXPORT_NOT_FOUND")
    edition = editions.get_edition(deps, edition_id) if edition_id else editions.get_current(deps)
    from openpyxl import Workbook  # heavy: only when an export is made
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(spec.title)
    for i, col in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = col.width
    sheet.freeze_panes = "A2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F0F2F5")
    header = []
    for col in spec.columns:
        cell = WriteOnlyCell(sheet, value=col.header)
        cell.font, cell.fill, cell.alignment = bold, fill, Alignment(vertical="center")
        header.append(cell)
    sheet.append(header)
    count = 0
    for phase in spec.phases(edition.edition_id):
        token: str | None = None
        while True:
            items, token = phase(token)
            for raw in spec.rows(items):
                row = []
                for col, value in zip(spec.columns, raw, strict=True):
                    cell = WriteOnlyCell(sheet, value=_value(col.kind, value))
                    if col.kind == "yuan":
                        cell.number_format = YUAN_FORMAT
                    elif col.kind == "time":
                        cell.number_format = TIME_FORMAT
                    row.append(cell)
                sheet.append(row)
                count += 1
            if token is None:
                break
    buf = BytesIO()
    book.save(buf)
    stamp = now.astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    return (buf.getvalue(), f"{spec.title}-{edition.edition_id}-{stamp}.xlsx",
            f"{spec.name}-{edition.edition_id}-{stamp}.xlsx")

