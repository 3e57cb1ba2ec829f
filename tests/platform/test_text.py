import pytest

from chalicelib.platform.text import mask_name, normalise_email, normalise_name, normalise_phone
from chalicelib.platform.observability import mask


def test_unit_names_compare_after_full_width_and_spaces():
    assert normalise_name("国家 图书馆（总馆）") == normalise_name("国家图书馆(总馆)")
    assert normalise_name("ＡＢＣ 图书馆") == normalise_name("abc图书馆")
    assert normalise_name("国家图书馆") != normalise_name("首都图书馆")


def test_phone_and_email_normalisation():
    assert normalise_phone("+86 138-0013-8000") == "13800138000"
    assert normalise_phone("１３８００１３８０００") == "13800138000"
    assert normalise_email("  Li@Example.COM ") == "li@example.com"


@pytest.mark.parametrize("name,masked", [("李", "李"), ("李玥", "李*"), ("王喆堃", "王*堃"),
                                         ("欧阳娜娜", "欧**娜")])
def test_public_names_are_masked(name, masked):
    assert mask_name(name) == masked


def test_logs_never_carry_phone_email_or_token():
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
    out = mask({"msg": f"user li@example.com phone 13800138000 Bearer {token}",
                "nested": ["+86 139 1234 5678"]})
    text = str(out)
    assert "li@example.com" not in text and "13800138000" not in text
    assert token not in text and "13912345678" not in text.replace(" ", "")
