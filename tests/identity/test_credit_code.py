"""统一社会信用代码 (GB 32100-2015): the check character decides."""
from chalicelib.identity.credit_code import normalise_credit_code


def test_credit_code_check_character():
    assert normalise_credit_code("91110000600037341L") == "91110000600037341L"
    assert normalise_credit_code("91110000600037341X") is None  # wrong check character
    assert normalise_credit_code("9111000060003734") is None  # too short
    assert normalise_credit_code("") is None
