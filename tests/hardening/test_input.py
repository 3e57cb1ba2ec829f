"""Issue 16, bad input at the boundary: deep JSON, unsafe text, Chinese field names."""
import json

import pytest

from chalicelib.platform.schemas import field_label
from tests.conftest import PASSWORD, unique_email
from tests.logs import app_log

DEEP = ("[" * 1000 + "]" * 1000).encode()


@pytest.mark.parametrize("path", ["/auth/login", "/auth/signup"])
def test_deeply_nested_json_is_a_400_malformed_json(api, path):
    r = api.call("POST", path, body=DEEP, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.body
    assert r.data["Code"] == "MALFORMED_JSON"


def test_deep_json_inside_an_object_and_inside_strings(api):
    nested = b'{"email": ' + b"[" * 200 + b"]" * 200 + b"}"
    r = api.call("POST", "/auth/login", body=nested, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.data["Code"] == "MALFORMED_JSON"
    # brackets inside a string are text, not depth
    harmless = json.dumps({"email": "[" * 500 + "@example.com", "password": "x"}).encode()
    r = api.call("POST", "/auth/login", body=harmless, headers={"Content-Type": "application/json"})
    assert r.status_code != 500 and r.data["Code"] != "MALFORMED_JSON"


@pytest.mark.parametrize("name,why", [
    ("赵\x07六\u202e", "控制字符"),
    ("赵六\u202e", "文字方向控制符"),
    ("\u2066赵六\u2069", "文字方向控制符"),
    ("\u200b\u200c\ufeff", "不可见字符"),
    ("赵\n六", "控制字符"),
])
def test_a_registration_name_with_unsafe_characters_is_refused_and_nothing_written(api, name, why):
    _, token = api.signup()
    r = api.post("/registrations", token, json={"unit_name": "国家图书馆", "job_title": "馆员",
                                                "region": "北京", "name": name})
    assert r.status_code == 400, r.body
    assert r.data["field"] == "name"
    assert "姓名" in r.data["Message"] and why in r.data["Message"]
    assert api.get("/registrations/mine", token).data["registrations"] == []


def test_a_signup_name_with_a_control_character_is_refused(api):
    r = api.post("/auth/signup", json={"email": unique_email(), "password": PASSWORD,
                                        "name": "赵\x07六"})
    assert r.status_code == 400 and r.data["field"] == "name" and "姓名" in r.data["Message"]


def test_text_is_normalised_nfc_and_full_width_spaces(api):
    _, token = api.signup()
    r = api.post("/registrations", token, json={"unit_name": "\u3000国家\u3000图书馆\u3000",
                                                "job_title": "Cafe\u0301", "region": "北京"})
    assert r.status_code == 201, r.body
    mine = api.get("/registrations/mine", token).data["registrations"][0]
    assert mine["unit_name"] == "国家 图书馆"
    assert mine["job_title"] == "Caf\u00e9"


def test_any_free_text_field_refuses_control_characters(api):
    """A field without the shared Text type (the login e-mail) is guarded at the boundary."""
    r = api.post("/auth/login", json={"email": "a\x07@example.com", "password": "x"})
    assert r.status_code == 400 and r.data["field"] == "email"
    assert "邮箱" in r.data["Message"]


def test_missing_field_message_names_the_field_in_chinese(api):
    r = api.post("/auth/login", json={"password": "x"})
    assert r.status_code == 400 and r.data["field"] == "email"
    assert r.data["Message"] == "缺少必填字段：邮箱"  # Chinese only: `field` names the path


def test_field_labels_for_nested_and_unknown_fields():
    assert field_label("members.0.email") == "第 1 项的邮箱"
    assert field_label("unit_name") == "单位名称"
    assert field_label("zzz") == "zzz"


def test_deep_json_and_a_storage_outage_log_no_traceback(api, monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    from tests.hardening.test_dependencies import failing
    _, token = api.signup()
    with app_log("INFO") as sink:
        for _ in range(3):
            r = api.call("POST", "/auth/login", body=DEEP, headers={"Content-Type": "application/json"})
            assert r.status_code == 400
        failing(monkeypatch, "dynamodb", EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
        assert api.get("/registrations/mine", token).status_code == 503
    out = sink.getvalue()
    assert "request served" in out
    assert "Traceback" not in out and "RecursionError" not in out and '"exception"' not in out


@pytest.mark.parametrize("reason", ["\u200b\u200b", "不想\x07参加", "退款\u202e"])
def test_a_refund_reason_obeys_the_same_text_rules(api, reason) -> None:
    """A refund reason is free text too: invisible-only, control or bidi characters are a
    400 naming 原因, before anything about the order is looked at."""
    _, token = api.signup()
    r = api.post("/refunds", token, json={"order_id": "O0000000000", "reason": reason})
    assert r.status_code == 400, r.body
    assert r.data["field"] == "reason" and "原因" in r.data["Message"]
