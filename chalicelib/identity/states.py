"""Identity's states. A unit account's verification (单位认证): the one table its store
conditions, response schemas and the web's labels come from. A unit is `pending` from sign-up until staff
(admin or finance) check its credit code and authorization letter: `verified`, or
`rejected` with a reason; a rejected unit may upload a new letter (back to `pending`)."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


class UnitStatus(StrEnum):
    PENDING = "pending"  # waiting for staff; sees no trainee data
    VERIFIED = "verified"  # may see and group the registrations linked to it
    REJECTED = "rejected"  # with a reason the unit sees; a new letter resubmits


UNIT_STATUS = StateMachine.of("unit.status", UnitStatus, {
    UnitStatus.PENDING: {UnitStatus.VERIFIED, UnitStatus.REJECTED},
    UnitStatus.REJECTED: {UnitStatus.PENDING},
    UnitStatus.VERIFIED: set(),
}, {
    UnitStatus.PENDING: "待审核", UnitStatus.VERIFIED: "已认证", UnitStatus.REJECTED: "未通过",
})

# What the unit reads about its own status (the web shows it as is).
EXPLANATIONS = {
    UnitStatus.PENDING: ("单位账号正在等待平台工作人员审核。请上传加盖公章的单位介绍信或授权书"
                         "（PDF 或图片），工作人员核对统一社会信用代码与授权书后开通。"
                         "审核通过前，本账号看不到任何学员信息，也不能集体交费。"),
    UnitStatus.VERIFIED: ("单位账号已认证。本单位学员在报名时选择本单位，或接受本单位的邀请后，"
                          "其报名会出现在这里，可为其集体交费。"),
    UnitStatus.REJECTED: ("单位账号未通过审核，原因见下。请按原因重新上传单位介绍信或授权书，"
                          "上传后将重新进入审核。"),
}


class MfaStatus(StrEnum):
    """A staff account's TOTP (identity/mfa.py)."""
    PENDING = "pending"  # a secret was shown at the first sign-in; no code proved it yet
    ENROLLED = "enrolled"  # every sign-in needs a fresh code


MFA_STATUS = StateMachine.of("staff_mfa.status", MfaStatus, {
    MfaStatus.PENDING: {MfaStatus.ENROLLED},
    MfaStatus.ENROLLED: set(),
}, {MfaStatus.PENDING: "待绑定", MfaStatus.ENROLLED: "已绑定"})
