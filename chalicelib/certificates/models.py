"""Certificates' request and response models: the routes validate into the first and
answer with the second, and the OpenAPI document is built from both. The state fields
take their enums from the state tables (states.py)."""
from __future__ import annotations

from typing import Annotated

from pydantic import WithJsonSchema

from chalicelib.certificates.states import MINE_STATE, STATUS, CertificateStatus, MineState
from chalicelib.learning.models import Number
from chalicelib.platform.schemas import Body, LinkOut, LongText, Out

MineStateField = Annotated[MineState, WithJsonSchema(MINE_STATE.schema())]
StatusField = Annotated[CertificateStatus, WithJsonSchema(STATUS.schema())]


class RevokeIn(Body):
    reason: LongText


class WindowOut(Out):
    opens: str | None
    closes: str | None


class CertificateMineOut(Out):
    """The trainee's certificate: eligibility (with what is unmet, as codes and as text)
    and its state."""
    edition_id: str
    eligible: bool
    unmet: list[str]
    unmet_text: list[str]
    state: MineStateField
    certificate_no: str | None
    issued_at: str | None
    hours: Number
    download_open: bool
    window: WindowOut


class CertificateLinkOut(LinkOut):
    """A short-lived link to the certificate's PDF."""
    certificate_no: str
    issued_at: str


class VerifyOut(Out):
    """Public verification: genuine or not, with the holder's name partly masked."""
    genuine: bool
    status: StatusField
    certificate_no: str
    holder_name: str
    hours: Number
    edition: str
    edition_id: str
    issued_at: str
    revoked_at: str | None
    revoke_reason: str | None
    message: str
