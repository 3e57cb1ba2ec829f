"""The tax-provider simulator (dev and test stages only): 诺诺开放平台 / 诺税通 SaaS as its
published protocol describes it, so that our client and nuonuo-sdk's own client both work
against it (tests/invoicing/test_nuonuo_oracle.py).

It checks what 诺诺 checks: the public query parameters (senid: 32 letters or digits;
nonce: an 8-digit positive integer; timestamp: seconds, within 10 minutes of real time;
appkey), the headers (X-Nuonuo-Sign: Base64 HMAC-SHA1 over `a=services&l=v1&p=open&k=…&i=
…&n=…&t=…&f=<body>`; accessToken; userTax; method) and the business fields, and answers the
envelopes `{"code", "describe", "result"}`. An order is issued on the second result query
(the first says 开票中); the 数电票 number has 20 digits; its PDF says 模拟 on its face.

It can be told to fail (`POST /dev/tax/fail`): `issue` — the next N orders fail at the tax
bureau once (status 22, then reInvoice issues them); `http` — the answers to the next N
calls are lost (HTTP 502 *after* the call was processed, the case that must be queried and
never re-submitted blindly). State lives in the kv table (dev: moto), so it survives a
restart of `make run` and each test gets its own."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from datetime import UTC, datetime
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

from chalicelib.invoicing import nuonuo
from chalicelib.invoicing.issuer import NuonuoIssuer
from chalicelib.platform.clock import shanghai, system_now
from chalicelib.platform.store.kv import get_value, put_value

HOST = "tax-simulator.dev.local"  # what the dev credentials' base_url names
FILES = "/files/"
KEY = "dev.tax"
SIGN_FAILED = ("070601", "签名校验失败")
TOKEN_INVALID = ("070301", "accessToken 无效或已过期")
BAD_PARAMS = ("070101", "公共参数错误")
UNKNOWN_METHOD = ("070201", "接口不存在或无权限")
STATUS_MSG = {"20": "开票中", "2": "开票完成（最终状态）", "22": "开票失败", "24": "开票成功签章失败"}


def _env(code: str, describe: str, result: Any = None) -> dict[str, Any]:
    return {"code": code, "describe": describe, "result": result}


def _load(name: str, default: Any = None) -> Any:
    return get_value(f"{KEY}.{name}", default)


def _save(name: str, value: Any) -> None:
    put_value(f"{KEY}.{name}", value)


def _next(name: str) -> int:
    n = int(_load(f"counter#{name}", 0) or 0) + 1
    _save(f"counter#{name}", n)
    return n


def fail_modes() -> dict[str, int]:
    return dict(_load("fail", {}) or {})


def set_fail_modes(issue: int = 0, http: int = 0) -> dict[str, int]:
    modes = {"issue": max(int(issue), 0), "http": max(int(http), 0)}
    _save("fail", modes)
    return modes


def _take(mode: str) -> bool:
    modes = fail_modes()
    if modes.get(mode, 0) > 0:
        modes[mode] -= 1
        _save("fail", modes)
        return True
    return False


def _amount(text: Any) -> int | None:
    """Fen from a decimal string with at most two decimals."""
    if not isinstance(text, str) or not re.fullmatch(r"-?\d{1,12}(\.\d{1,2})?", text):
        return None
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((frac + "00")[:2]))


class TaxSimulator:
    """`now`: the application's clock, for the dates the bureau prints (the signature's
    timestamp is checked against real time: the clients put real time in it)."""

    def __init__(self, creds: Mapping[str, Any],
                 now: Callable[[], datetime] = system_now) -> None:
        self._now = now
        self.app_key = str(creds["app_key"])
        self._secret = str(creds["app_secret"])
        self._token = str(creds["access_token"])
        self.tax_num = str(creds["tax_num"])
        self.base = f"https://{HOST}"

    # --- the protocol ---------------------------------------------------------------------
    def handle(self, query: Mapping[str, str], headers: Mapping[str, str],
               body: bytes) -> tuple[int, dict[str, Any]]:
        """One POST to /open/v1/services: (HTTP status, envelope)."""
        h = {k.lower(): v for k, v in headers.items()}
        senid, nonce = query.get("senid", ""), query.get("nonce", "")
        timestamp, appkey = query.get("timestamp", ""), query.get("appkey", "")
        if not (re.fullmatch(r"[A-Za-z0-9]{32}", senid) and re.fullmatch(r"[1-9]\d{7}", nonce)
                and re.fullmatch(r"\d{10}", timestamp)):
            return 200, _env(*BAD_PARAMS)
        if appkey != self.app_key:
            return 200, _env(BAD_PARAMS[0], "appKey 不存在")
        if abs(system_now().timestamp() - int(timestamp)) > 600:  # real time, as the client signs
            return 200, _env(BAD_PARAMS[0], "timestamp 已过期")
        try:
            content = body.decode("utf-8")
        except UnicodeDecodeError:
            return 200, _env(BAD_PARAMS[0], "请求体须为 UTF-8")
        message = (f"a=services&l=v1&p=open&k={appkey}&i={senid}&n={nonce}&t={timestamp}"
                   f"&f={content}")
        expected = base64.b64encode(hmac.new(self._secret.encode(), message.encode(),
                                             hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, h.get("x-nuonuo-sign", "")):
            return 200, _env(*SIGN_FAILED)
        if not hmac.compare_digest(self._token, h.get("accesstoken", "")):
            return 200, _env(*TOKEN_INVALID)
        if h.get("usertax", "") not in ("", self.tax_num):
            return 200, _env(TOKEN_INVALID[0], "userTax 与授权税号不符")
        try:
            data = json.loads(content)
        except ValueError:
            return 200, _env("E9000", "请求报文不是合法 JSON")
        if not isinstance(data, dict):
            return 200, _env("E9000", "请求报文须为 JSON 对象")
        handler = {
            nuonuo.ISSUE: self._issue, nuonuo.QUERY: self._query, nuonuo.RETRY: self._retry,
            nuonuo.RED_CONFIRM: self._red_confirm, nuonuo.RED_CONFIRM_QUERY: self._red_query,
            nuonuo.FAST_RED: self._fast_red,
        }.get(h.get("method", ""))
        if handler is None:
            return 200, _env(*UNKNOWN_METHOD)
        answer = handler(data)
        if _take("http"):  # processed, but the answer is lost on the way back
            return 502, _env("", "Bad Gateway")
        return 200, answer

    # --- orders -----------------------------------------------------------------------------
    def _order(self, order_no: str) -> dict[str, Any] | None:
        value = _load(f"order#{order_no}")
        return dict(value) if value else None

    def _put(self, order: dict[str, Any]) -> None:
        _save(f"order#{order['orderNo']}", order)

    def _issue(self, data: dict[str, Any]) -> dict[str, Any]:
        order = data.get("order")
        if not isinstance(order, dict):
            return _env("E9100", "order 不能为空")
        problem = self._check_order(order)
        if problem:
            return _env("E9105", problem)
        if self._order(order["orderNo"]) is not None:
            return _env("E9106", "订单编号或流水号不能重复")
        line = order["invoiceDetail"][0]
        serial = self._now().strftime("%y%m%d%H%M%S") + f"{_next('serial'):08d}"
        self._put({"orderNo": order["orderNo"], "serialNo": serial, "kind": "blue",
                   "status": "20", "polls": 0, "fail_once": _take("issue"),
                   "buyerName": order["buyerName"], "buyerTaxNum": order.get("buyerTaxNum", ""),
                   "salerTaxNum": order["salerTaxNum"], "invoiceLine": order["invoiceLine"],
                   "goodsName": line["goodsName"], "goodsCode": line["goodsCode"],
                   "num": line.get("num", "1"), "taxRate": line["taxRate"],
                   "amount": line["taxIncludedAmount"], "remark": order.get("remark", ""),
                   "clerk": order.get("clerk", "")})
        _save(f"serial#{serial}", order["orderNo"])
        return _env("E0000", "开票提交成功", {"invoiceSerialNum": serial})

    def _check_order(self, order: dict[str, Any]) -> str | None:
        """The fields 诺税通 refuses (E9105 with the reason), the ones this platform sends."""
        order_no = order.get("orderNo")
        if not isinstance(order_no, str) or not 0 < len(order_no) <= 20:
            return "orderNo 不能为空，长度不超过 20"
        if not str(order.get("buyerName") or "").strip():
            return "购方名称不能为空"
        if order.get("salerTaxNum") != self.tax_num:
            return "销方税号与授权税号不一致"
        if order.get("buyerTaxNum") and not re.fullmatch(r"[0-9A-Z]{15,20}", order["buyerTaxNum"]):
            return "购方税号格式有误"
        try:
            datetime.strptime(str(order.get("invoiceDate")), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            return "invoiceDate 格式须为 yyyy-MM-dd HH:mm:ss"
        if order.get("invoiceType") != "1" or order.get("invoiceLine") not in ("pc", "bs"):
            return "invoiceType 须为 1（蓝票），invoiceLine 须为 pc 或 bs"
        lines = order.get("invoiceDetail")
        if not isinstance(lines, list) or len(lines) != 1 or not isinstance(lines[0], dict):
            return "invoiceDetail 须为一行明细"
        line = lines[0]
        if not str(line.get("goodsName") or "").strip():
            return "商品名称不能为空"
        if not re.fullmatch(r"\d{19}", str(line.get("goodsCode") or "")):
            return "商品编码须为 19 位税收分类编码"
        if line.get("withTaxFlag") != "1" or not re.fullmatch(r"0(\.\d{1,3})?", str(line.get("taxRate"))):
            return "含税标志或税率有误"
        total, price = _amount(line.get("taxIncludedAmount")), _amount(line.get("price"))
        num = str(line.get("num") or "")
        if total is None or total <= 0 or price is None or not num.isdigit() or price * int(num) != total:
            return "单价 × 数量 与含税金额不符"
        return None

    def _issue_now(self, order: dict[str, Any]) -> None:
        now = self._now()  # the bureau's date follows the app's clock (the dev clock)
        order["status"] = "2"
        order["invoiceTime"] = int(now.timestamp() * 1000)
        order["number"] = f"{shanghai(now):%y}11" + f"{_next('number'):016d}"
        _save(f"number#{order['number']}", order["orderNo"])
        if order.get("kind") == "red":
            blue = self._order(order["blueOrderNo"])
            if blue is not None:
                blue["reversed"] = True
                self._put(blue)

    def _result(self, order: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = {"orderNo": order["orderNo"], "serialNo": order["serialNo"],
                                "status": order["status"],
                                "statusMsg": STATUS_MSG.get(order["status"], ""),
                                "payerName": order["buyerName"], "payerTaxNo": order["buyerTaxNum"],
                                "salerTaxNum": order["salerTaxNum"], "orderAmount": order["amount"],
                                "invoiceKind": "数电普票" if order["invoiceLine"] == "pc" else "数电专票"}
        if order["status"] == "22":
            item["failCause"] = "模拟：税务数字账户繁忙，请稍后重试"
        if order["status"] == "2":
            item.update({"allElectronicInvoiceNumber": order["number"], "invoiceNo": order["number"],
                         "invoiceTime": order["invoiceTime"],
                         "pdfUrl": f"{self.base}{FILES}{order['serialNo']}.pdf",
                         "ofdUrl": f"{self.base}{FILES}{order['serialNo']}.ofd",
                         "xmlUrl": f"{self.base}{FILES}{order['serialNo']}.xml"})
        return item

    def _query(self, data: dict[str, Any]) -> dict[str, Any]:
        orders, serials = data.get("orderNos") or [], data.get("serialNos") or []
        if bool(orders) == bool(serials) or not isinstance(orders or serials, list) \
                or len(orders or serials) > 50:
            return _env("E9200", "orderNos 与 serialNos 须且只能传一个，最多 50 个")
        numbers = orders or [_load(f"serial#{s}") for s in serials]
        out = []
        for order_no in numbers:
            order = self._order(str(order_no)) if order_no else None
            if order is None:
                continue
            if order["status"] == "20":
                order["polls"] = int(order.get("polls", 0)) + 1
                if order.get("fail_once") and order["polls"] >= 1:
                    order["status"], order["fail_once"] = "22", False
                elif order["polls"] >= 2:
                    self._issue_now(order)
                self._put(order)
            out.append(self._result(order))
        return _env("E0000", "查询成功", out)

    def _retry(self, data: dict[str, Any]) -> dict[str, Any]:
        order_no = data.get("orderno") or _load(f"serial#{data.get('fpqqlsh')}")
        order = self._order(str(order_no)) if order_no else None
        if order is None:
            return _env("E9601", "订单不存在")
        if order["status"] == "2":
            return _env("E9602", "发票已生成，无需再重试开票")
        if order["status"] == "20":
            return _env("E9603", "开票中（重试中），请耐心等待开票结果")
        order["status"], order["polls"] = "20", 0
        self._put(order)
        return _env("E0000", "重试开票提交成功")

    # --- red letter: 红字确认单, then 快捷红冲 -------------------------------------------
    def _blue_by_number(self, number: Any) -> dict[str, Any] | None:
        order_no = _load(f"number#{number}") if number else None
        order = self._order(str(order_no)) if order_no else None
        return order if order is not None and order.get("kind") == "blue" else None

    def _red_confirm(self, data: dict[str, Any]) -> dict[str, Any]:
        bill_id = str(data.get("billId") or f"B{_next('bill'):012d}")
        if _load(f"bill#{bill_id}"):
            return _env("E9701", "红字确认单申请号已存在")
        if data.get("applySource") != "0" or data.get("sellerTaxNo") != self.tax_num:
            return _env("E9702", "仅支持销方申请，销方税号须为授权税号")
        if str(data.get("redReason")) not in ("1", "2", "3", "4"):
            return _env("E9703", "冲红原因有误")
        blue = self._blue_by_number(data.get("blueElecInvoiceNumber"))
        if blue is None or blue["status"] != "2":
            return _env("E9704", "对应蓝字数电票不存在或未开具")
        if blue.get("reversed") or blue.get("billId"):
            return _env("E9705", "该蓝字发票已申请红冲")
        blue["billId"] = bill_id
        self._put(blue)
        bill = {"billId": bill_id, "billNo": f"{_next('billno'):020d}",
                "billUuid": secrets.token_hex(16), "billStatus": "01",  # 无需确认 (seller, 普票)
                "blueInvoiceNumber": blue["number"], "blueOrderNo": blue["orderNo"],
                "redReason": str(data["redReason"]), "buyerName": blue["buyerName"],
                "sellerTaxNo": self.tax_num}
        _save(f"bill#{bill_id}", bill)
        return _env("E0000", "红字确认单申请成功", bill_id)

    def _red_query(self, data: dict[str, Any]) -> dict[str, Any]:
        bill = _load(f"bill#{data.get('billId')}") if data.get("billId") else None
        if data.get("identity") not in ("0", "1"):
            return _env("E9710", "identity 须为 0 或 1")
        items = [bill] if bill else []
        return _env("E0000", "查询成功", {"total": len(items), "list": items})

    def _fast_red(self, data: dict[str, Any]) -> dict[str, Any]:
        order_no = data.get("orderNo")
        if not isinstance(order_no, str) or not 0 < len(order_no) <= 20:
            return _env("E9801", "orderNo 不能为空，长度不超过 20")
        if self._order(order_no) is not None:
            return _env("E9106", "订单编号或流水号不能重复")
        if data.get("taxNum") != self.tax_num:
            return _env("E9802", "销方税号与授权税号不一致")
        blue = self._blue_by_number(data.get("elecInvoiceNumber"))
        bill = _load(f"bill#{blue.get('billId')}") if blue and blue.get("billId") else None
        if blue is None or bill is None or bill.get("billNo") != data.get("billNo") \
                or bill.get("billUuid") != data.get("billUuid"):
            return _env("E9803", "红字确认单与蓝字发票不符")
        if blue.get("reversed"):
            return _env("E9804", "该蓝字发票已红冲")
        serial = self._now().strftime("%y%m%d%H%M%S") + f"{_next('serial'):08d}"
        red = {**{k: blue[k] for k in ("buyerName", "buyerTaxNum", "salerTaxNum", "invoiceLine",
                                        "goodsName", "goodsCode", "taxRate", "clerk")},
               "num": "-" + str(blue["num"]),  # a red invoice's quantity is negative
               "orderNo": order_no, "serialNo": serial, "kind": "red", "status": "20",
               "polls": 0, "fail_once": _take("issue"), "amount": "-" + blue["amount"],
               "blueOrderNo": blue["orderNo"], "blueNumber": blue["number"],
               "remark": f"对应正数发票号码：{blue['number']}"}
        self._put(red)
        _save(f"serial#{serial}", order_no)
        return _env("E0000", "红冲提交成功", {"invoiceSerialNum": serial})

    # --- documents --------------------------------------------------------------------------
    def document(self, name: str) -> tuple[int, bytes, str]:
        """GET <base>/files/<serial>.<pdf|xml>: (status, body, content type)."""
        serial, _, ext = name.partition(".")
        order_no = _load(f"serial#{serial}") if re.fullmatch(r"\d{20}", serial) else None
        order = self._order(str(order_no)) if order_no else None
        if order is None or order["status"] != "2" or ext not in ("pdf", "ofd", "xml"):
            return 404, b"", "text/plain"
        if ext == "xml":
            return 200, render_xml(order).encode("utf-8"), "application/xml"
        if ext == "ofd":
            return 200, render_ofd(order), "application/ofd"
        return 200, render_pdf(order), "application/pdf"


def render_xml(order: dict[str, Any]) -> str:
    from xml.sax.saxutils import escape
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><EInvoice simulated=\"true\">"
            f"<InvoiceNumber>{order['number']}</InvoiceNumber>"
            f"<BuyerName>{escape(order['buyerName'])}</BuyerName>"
            f"<BuyerTaxNum>{escape(order['buyerTaxNum'])}</BuyerTaxNum>"
            f"<SellerTaxNum>{order['salerTaxNum']}</SellerTaxNum>"
            f"<Item>{escape(order['goodsName'])}</Item><Amount>{order['amount']}</Amount>"
            "</EInvoice>")


def render_ofd(order: dict[str, Any]) -> bytes:
    """A minimal OFD container (GB/T 33190 is a zip with OFD.xml at its root) carrying the
    invoice's data, marked simulated: enough for a client to store and recognise it."""
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                   "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\" Version=\"1.0\" DocType=\"OFD\">"
                   "<ofd:DocBody><ofd:DocInfo><ofd:Title>模拟数电票</ofd:Title></ofd:DocInfo>"
                   "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        z.writestr("Doc_0/Document.xml", render_xml(order))
    return buf.getvalue()


def render_pdf(order: dict[str, Any]) -> bytes:
    """The simulated 数电票: laid out like one, with 模拟 across its face."""
    from fpdf import FPDF

    from chalicelib.platform.fonts import cjk_face_index, cjk_font_path

    path = cjk_font_path()
    red = order.get("kind") == "red"
    pdf = FPDF(orientation="L", unit="mm", format=(140, 240))
    pdf.set_auto_page_break(False)
    pdf.set_title(f"模拟数电票 {order['number']}")
    pdf.set_creator("诺诺开放平台模拟器（开发环境）")
    pdf.add_font("cjk", fname=str(path), collection_font_number=cjk_face_index(path))
    pdf.add_page()
    # 模拟, large and pale, across the page
    pdf.set_text_color(240, 200, 200)
    pdf.set_font("cjk", size=110)
    with pdf.rotation(18, x=120, y=70):
        pdf.set_xy(40, 45)
        pdf.cell(160, 50, "模拟", align="C")
    ink = (160, 40, 40) if red else (140, 80, 30)
    pdf.set_text_color(*ink)
    pdf.set_draw_color(*ink)
    pdf.set_font("cjk", size=16)
    pdf.set_xy(10, 8)
    pdf.cell(220, 9, "电子发票（普通发票）" + ("  红字" if red else ""), align="C")
    pdf.set_font("cjk", size=9)
    pdf.set_xy(10, 17)
    pdf.cell(220, 5, "【模拟】开发环境的模拟票据，不是真实发票，不具法律效力", align="C")
    pdf.set_text_color(40, 40, 40)
    issued = datetime.fromtimestamp(int(order["invoiceTime"]) / 1000, UTC)
    pdf.set_xy(160, 24)
    pdf.cell(70, 5, f"发票号码：{order['number']}")
    pdf.set_xy(160, 29)
    pdf.cell(70, 5, f"开票日期：{shanghai(issued):%Y年%m月%d日}")
    pdf.rect(10, 36, 220, 84)
    pdf.line(120, 36, 120, 56)
    pdf.set_xy(13, 38)
    pdf.multi_cell(105, 5.5, f"购买方信息\n名称：{order['buyerName']}\n"
                             f"统一社会信用代码/纳税人识别号：{order['buyerTaxNum'] or ''}")
    pdf.set_xy(123, 38)
    pdf.multi_cell(105, 5.5, f"销售方信息\n纳税人识别号：{order['salerTaxNum']}")
    pdf.line(10, 56, 230, 56)
    pdf.set_xy(13, 58)
    for text, width in (("项目名称", 80), ("数量", 20), ("税率", 20), ("价税合计（元）", 40)):
        pdf.cell(width, 6, text)
    pdf.set_xy(13, 66)
    pdf.set_font("cjk", size=11)
    pdf.cell(80, 7, f"*非学历教育服务*{order['goodsName']}")
    pdf.cell(20, 7, str(order["num"]))
    pdf.cell(20, 7, f"{float(order['taxRate']) * 100:g}%")
    pdf.cell(40, 7, str(order["amount"]))
    pdf.set_font("cjk", size=9)
    pdf.line(10, 100, 230, 100)
    pdf.set_xy(13, 102)
    pdf.multi_cell(214, 5, f"备注：{order.get('remark') or ''}")
    pdf.set_xy(13, 124)
    pdf.cell(100, 5, f"开票人：{order.get('clerk') or ''}")
    return bytes(pdf.output())


class SimulatorTransport:
    """nuonuo.Transport, answered in the same process (a dev server cannot call itself)."""

    def __init__(self, simulator: TaxSimulator) -> None:
        self.simulator = simulator

    def post(self, url: str, headers: Mapping[str, str], body: bytes,
             timeout_s: float) -> tuple[int, bytes]:
        parts = urlsplit(url)
        if parts.path != nuonuo.SERVICES_PATH:
            return 404, b""
        status, envelope = self.simulator.handle(dict(parse_qsl(parts.query)), headers, body)
        return status, json.dumps(envelope, ensure_ascii=False).encode("utf-8")

    def get(self, url: str, timeout_s: float) -> tuple[int, bytes]:
        parts = urlsplit(url)
        if parts.hostname != HOST or not parts.path.startswith(FILES):
            return 404, b""
        status, body, _ = self.simulator.document(parts.path[len(FILES):])
        return status, body


def simulated_issuer(deps: Any, creds: dict[str, Any]) -> NuonuoIssuer:
    """What the dev and test stages issue with: our real adapter and client, over the
    simulator's transport."""
    client = nuonuo.NuonuoClient(creds["app_key"], creds["app_secret"], creds["access_token"],
                                 creds["tax_num"], base_url=f"https://{HOST}{nuonuo.SERVICES_PATH}",
                                 transport=SimulatorTransport(TaxSimulator(creds, deps.now)))
    return NuonuoIssuer(client, frozenset({HOST}))
