"""统一社会信用代码 (GB 32100-2015), checked by python-stdnum's implementation."""
from __future__ import annotations

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError


def normalise_credit_code(value: str) -> str | None:
    """The compact upper-case code when valid (check character included), else None."""
    try:
        return str(uscc.validate(value))
    except StdnumError:
        return None
