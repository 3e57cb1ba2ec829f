"""The page names each field as the server's messages do (chalicelib/platform/schemas.py
FIELD_LABELS, which a refused request quotes: "缺少必填字段：单位名称"), so the
page's own check and the server's answer speak of the same field by the same name."""
from __future__ import annotations

import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "web"
FIELD = re.compile(r'field\(\s*"([^"]+)"\s*,\s*"([a-z_]+)"')
CHECKED = ("trainee.js",)  # the trainee pages this half owns


def test_form_labels_are_the_servers_field_names(api):
    from chalicelib.platform.schemas import FIELD_LABELS  # filled by every feature at import

    seen = []
    for name in CHECKED:
        for label, field in FIELD.findall((WEB / name).read_text()):
            server = FIELD_LABELS.get(field)
            if server is None:
                continue  # a page-only field, never named by the API
            assert label == server, f"{name}: {field} is 「{label}」 in the page, 「{server}」 in the API"
            seen.append(field)
    assert {"unit_name", "job_title", "region", "phone", "email", "name"} <= set(seen)


def test_the_server_names_a_missing_registration_field_as_the_page_does(api):
    token = api.signup()[1]
    r = api.post("/registrations", token, json={"job_title": "馆员", "region": "北京"})
    assert r.status_code == 400
    assert r.data["Message"] == "缺少必填字段：单位名称" and r.data["field"] == "unit_name"
    assert 'field("单位名称", "unit_name"' in (WEB / "trainee.js").read_text()
