"""Outside check of the tax-provider simulator in `make run`: nuonuo-sdk's own client (a
dev dependency, not our code), with the dev credentials in .dev/keys/nuonuo.json, issues a
数电票 at the running stack's /dev/tax/open/v1/services, follows it to issued and downloads
its PDF. The SDK accepts only https://…/open/v1/services, so its requests to the simulated
host are carried to http://<stack>/dev/tax/… by a requests transport adapter (the bytes and
the signature are the SDK's own).

    .venv/bin/python -m devtools.tax_sdk_check [--base http://127.0.0.1:8000]
"""
from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

HOST = "tax-simulator.dev.local"


def main(argv: list[str] | None = None) -> int:
    import requests
    from nuonuo import Nuonuo
    from nuonuo.documents import download_document

    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--base", default="http://127.0.0.1:8000")
    args.add_argument("--keys", default=".dev/keys/nuonuo.json")
    opts = args.parse_args(argv)
    creds = json.loads(Path(opts.keys).read_text("utf-8"))

    class ToStack(requests.adapters.HTTPAdapter):
        def send(self, request: requests.PreparedRequest, **kw: Any) -> requests.Response:  # type: ignore[override]
            request.url = (request.url or "").replace(f"https://{HOST}/", f"{opts.base}/dev/tax/", 1)
            return super().send(request, **kw)

    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> Any:
        return ToStack() if url.startswith(f"https://{HOST}/") else original(self, url)

    requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
    try:
        return _check(creds, Nuonuo, download_document)
    finally:
        requests.Session.get_adapter = original  # type: ignore[method-assign]


def _check(creds: dict[str, Any], Nuonuo: Any, download_document: Any) -> int:  # noqa: N803 - the SDK's class
    order_no = "CHK" + uuid.uuid4().hex[:12].upper()
    order = {"buyerName": "张三", "salerTaxNum": creds["tax_num"], "orderNo": order_no,
             "invoiceDate": datetime.now().strftime("%Y-%m-%d %H:%M:%S"), "clerk": "财务",
             "pushMode": "-1", "invoiceType": "1", "invoiceLine": "pc",
             "invoiceDetail": [{"goodsName": "培训费", "goodsCode": "3070201020000000000",
                                "withTaxFlag": "1", "num": "1", "price": "490.00",
                                "taxIncludedAmount": "490.00", "taxRate": "0.06",
                                "invoiceLineProperty": "0"}]}
    with Nuonuo(creds["app_key"], creds["app_secret"], access_token=creds["access_token"],
                tax_number=creds["tax_num"], base_url=f"https://{HOST}/open/v1/services") as sdk:
        accepted = sdk.nst.issue(order)
        print("requestBillingNew:", accepted)
        if accepted.get("code") != "E0000":
            return 1
        item: dict[str, Any] = {}
        for _ in range(3):
            item = sdk.nst.query(order_nos=[order_no])["result"][0]
            print("queryInvoiceResult:", item.get("status"), item.get("statusMsg"))
            if item.get("status") == "2":
                break
        number = str(item.get("allElectronicInvoiceNumber") or "")
        pdf = download_document(item["pdfUrl"], allowed_hosts={HOST}, kind="pdf")
        ok = len(number) == 20 and number.isdigit() and pdf.data.startswith(b"%PDF-")
        print(f"数电票号码 {number}; PDF {len(pdf.data)} bytes; {'OK' if ok else 'FAILED'}")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
