"""The static front end as the dev stage serves it (the report routes it relies on: tests/reports)."""
from __future__ import annotations


def test_root_redirects_to_the_app(api):
    r = api.get("/")
    assert r.status_code == 302 and r.headers["Location"] == "/web/index.html"


def test_files_are_served_with_their_type(api):
    html = api.get("/web/index.html")
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert '<html lang="zh-CN">' in html.body.decode()
    js = api.get("/web/app.js")
    assert js.headers["Content-Type"].startswith("text/javascript")
    assert api.get("/web/app.css").headers["Content-Type"].startswith("text/css")


def test_unknown_or_unsafe_names_are_404(api):
    for name in ("nope.html", "..%2Fapp.py", ".env", "app.py", "README"):
        r = api.get(f"/web/{name}")
        assert r.status_code == 404, name
        assert r.data["Code"] == "NOT_FOUND"


def test_certificate_qr_link_reaches_the_verify_page(api):
    r = api.get("/verify.html?no=LSC-2026-000001")
    assert r.status_code == 302
    assert r.headers["Location"] == "/web/verify.html?no=LSC-2026-000001"


def test_favicon_is_no_content(api):
    assert api.get("/favicon.ico").status_code == 204


def test_web_routes_are_listed_for_the_openapi_check(api):
    from chalicelib.dev.web import WEB_ROUTES
    doc = api.get("/openapi.json").data
    assert set(WEB_ROUTES) == {"/", "/web", "/web/{name}", "/web/vendor/{name}", "/verify.html", "/favicon.ico"}
    assert not set(WEB_ROUTES) & set(doc["paths"])  # files, not part of the JSON contract


def test_vendored_libraries_are_served_by_their_published_names(api):
    # web/vendor/ is filled by `make web-vendor` (devtools/vendor_web.py) from web/vendor.json
    import json
    from pathlib import Path

    manifest = json.loads((Path(__file__).resolve().parents[2] / "web" / "vendor.json").read_text())
    for spec in manifest.values():
        for name in spec["files"].values():
            r = api.get(f"/web/vendor/{name}")
            assert r.status_code == 200, name
    for name in ("..%2F..%2Fapp.py", "x.py", "vendor.json", ".stamp"):
        assert api.get(f"/web/vendor/{name}").status_code == 404, name
