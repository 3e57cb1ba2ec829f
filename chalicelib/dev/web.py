"""The static web front end, served by the dev stage (`make run`) next to the API.

In production the same `web/` folder is uploaded to S3 behind CloudFront; this blueprint is
registered only inside app.py's `if dev_routes_enabled():` block. The file set is flat
(Chalice has no greedy routes): `/` redirects to `/web/index.html`, `/web/{name}` serves one
file of `web/`. These are files, not JSON: they are declared with plain `bp.route` and listed
in WEB_ROUTES so the OpenAPI completeness check can skip them."""
from __future__ import annotations

import re
from pathlib import Path

from chalice import Blueprint, Response

bp = Blueprint(__name__)

WEB_DIR = Path(__file__).resolve().parent.parent.parent / "web"
WEB_ROUTES = ["/", "/web", "/web/{name}", "/web/vendor/{name}", "/verify.html", "/favicon.ico"]
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]+\.[a-z]{2,4}$")
# Vendored libraries keep their published names (hls.light.min.js, echarts.min.js)
_SAFE_VENDOR_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|LICENSE)$")


def _not_found() -> Response:
    return Response(body='{"Code":"NOT_FOUND","Message":"页面不存在"}', status_code=404,
                    headers={"Content-Type": "application/json; charset=utf-8"})


@bp.route("/", methods=["GET"])
def root() -> Response:
    return Response(body="", status_code=302, headers={"Location": "/web/index.html"})


@bp.route("/web", methods=["GET"])
def web_root() -> Response:
    return Response(body="", status_code=302, headers={"Location": "/web/index.html"})


@bp.route("/favicon.ico", methods=["GET"])
def favicon() -> Response:
    """Browsers ask for it on every page (e.g. the sandbox cashier): nothing, not an error."""
    return Response(body="", status_code=204, headers={"Cache-Control": "max-age=86400"})


@bp.route("/verify.html", methods=["GET"])
def verify_page() -> Response:
    """The certificate's QR code points at {PUBLIC_BASE_URL}/verify.html?no=...: locally the
    site lives under /web/, so keep the query and go there."""
    from urllib.parse import urlencode
    request = bp.current_request
    params: dict[str, str] = dict((request.query_params if request else None) or {})
    query = f"?{urlencode(dict(params))}" if params else ""
    return Response(body="", status_code=302, headers={"Location": f"/web/verify.html{query}"})


@bp.route("/web/{name}", methods=["GET"])
def web_file(name: str) -> Response:
    """One file of web/ by its plain name (no folders, no dot-dot: the name is checked)."""
    if not _SAFE_NAME.match(name or ""):
        return _not_found()
    return _serve(WEB_DIR / name)


@bp.route("/web/vendor/{name}", methods=["GET"])
def vendor_file(name: str) -> Response:
    """One vendored library file of web/vendor/ (devtools/vendor_web.py puts them there)."""
    if not _SAFE_VENDOR_NAME.match(name or ""):
        return _not_found()
    return _serve(WEB_DIR / "vendor" / name)


def _serve(path: Path) -> Response:
    ctype = CONTENT_TYPES.get(path.suffix, "text/plain; charset=utf-8" if path.suffix == ".LICENSE" else None)
    if ctype is None or not path.is_file():
        return _not_found()
    return Response(body=path.read_text(encoding="utf-8"), status_code=200,
                    headers={"Content-Type": ctype, "Cache-Control": "no-cache",
                             "X-Content-Type-Options": "nosniff"})
