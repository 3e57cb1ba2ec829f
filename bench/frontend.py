"""Benchmark 7: the front end's first page load in headless Chromium (Debian's, through
Playwright) on localhost: bytes transferred and time to interactive, cold cache.

The app (API + web/ files, as `make run` serves them) runs in this process on chalice's
local server against the bench's moto. Floors, measured in the same run:
- bytes: the same responses' bodies gzip-compressed (what the page would cost with standard
  compression, e.g. CloudFront's, which the dev server does not do);
- time to interactive: a bare page (one HTML document, no CSS, no script) from a plain
  local HTTP server, in the same browser.
Time to interactive here = the later of DOMContentLoaded and the end of the last network
response the first render needed (scripts, styles and its API calls), from navigation start."""
from __future__ import annotations

import gzip
import http.server
import socket
import statistics
import tempfile
import threading
from pathlib import Path
from typing import Any

from bench.harness import entry, fresh_stack, parse_at

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
BARE = "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>bare</title><p>在职培训</p>"

TTI_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const last = res.reduce((m, r) => Math.max(m, r.responseEnd), 0);
  return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, last_resource: last,
          resources: res.length, tti: Math.max(nav.domContentLoadedEventEnd, last)};
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_app() -> tuple[str, Any]:
    import functools

    from chalice.config import Config
    from chalice.local import ChaliceRequestHandler, create_local_server

    from app import app

    class Quiet(ChaliceRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    port = _free_port()
    config = Config(chalice_stage="test")
    local = create_local_server(app, config, "127.0.0.1", port)
    local.server.RequestHandlerClass = functools.partial(Quiet, app_object=app, config=config)
    threading.Thread(target=local.server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", local


def _serve_bare(root: str) -> tuple[str, Any]:
    Path(root, "bare.html").write_text(BARE, "utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=root, **kw)

        def log_message(self, *args: Any) -> None:
            pass

    port = _free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}/bare.html", server


def _load(browser: Any, url: str) -> dict[str, Any]:
    """One cold load in a fresh context: bytes on the wire and the timing."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    wire: dict[str, float] = {}
    urls: dict[str, str] = {}
    cdp.on("Network.responseReceived", lambda e: urls.__setitem__(e["requestId"], e["response"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: wire.__setitem__(e["requestId"], float(e["encodedDataLength"])))
    bodies: dict[str, bytes] = {}

    def keep(resp: Any) -> None:
        try:
            bodies[resp.url] = resp.body()
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            bodies.setdefault(resp.url, b"")

    page.on("response", keep)
    page.goto(url, wait_until="networkidle")
    timing = page.evaluate(TTI_JS)
    context.close()
    gz = sum(len(gzip.compress(b, 9)) + 200 for b in bodies.values())  # +~200 B of headers
    return {"bytes": sum(wire.values()), "requests": len(wire), "gzip_floor_bytes": gz,
            "urls": sorted({u.split("?")[0] for u in urls.values()}), **timing}


def run(quick: bool = False) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright
    fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    base, app_server = _serve_app()
    runs = 1 if quick else 5
    with tempfile.TemporaryDirectory() as root:
        bare_url, bare_server = _serve_bare(root)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                try:
                    _load(browser, f"{base}/web/index.html")  # warm the server, not the cache
                    pages = [_load(browser, f"{base}/web/index.html") for _ in range(runs)]
                    bares = [_load(browser, bare_url) for _ in range(runs)]
                finally:
                    browser.close()
        finally:
            bare_server.shutdown()
            app_server.server.shutdown()
    first = pages[-1]
    tti = statistics.median(p["tti"] for p in pages)
    bare_tti = statistics.median(b["tti"] for b in bares)
    return [
        entry("frontend.first_load_bytes", first["bytes"], first["gzip_floor_bytes"], "bytes",
              f"{first['requests']} requests on the wire (uncompressed dev server) vs the same "
              "bodies gzip-compressed", requests=first["requests"], urls=first["urls"]),
        entry("frontend.time_to_interactive", tti / 1000, bare_tti / 1000, "s (median)",
              f"/web/index.html cold, {runs} loads, vs a bare HTML page",
              dcl_ms=round(statistics.median(p["dcl"] for p in pages), 1),
              load_ms=round(statistics.median(p["load"] for p in pages), 1),
              runs_ms=[round(p["tti"], 1) for p in pages]),
    ]
