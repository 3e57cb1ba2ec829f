"""Certificate states, each one table: the stored certificate's status and its PDF's
bookkeeping, and the state a trainee sees on /certificates/mine. The models' state
attributes, the store's conditions, the response schemas and the web's labels come from
these."""
from __future__ import annotations

from enum import StrEnum

from chalicelib.platform.states import StateMachine


class CertificateStatus(StrEnum):
    ISSUED = "issued"
    REVOKED = "revoked"  # by an admin, with a reason; verification says so from then on


STATUS = StateMachine.of("certificate.status", CertificateStatus, {
    CertificateStatus.ISSUED: {CertificateStatus.REVOKED},
    CertificateStatus.REVOKED: set(),
}, {CertificateStatus.ISSUED: "有效", CertificateStatus.REVOKED: "已撤销"})


class PdfState(StrEnum):
    PENDING = "pending"  # issued; the PDF is being made (by the issuing request)
    STORED = "stored"  # the PDF is in the bucket and never made again


PDF_STATE = StateMachine.of("certificate.pdf_state", PdfState, {
    PdfState.PENDING: {PdfState.STORED},
    PdfState.STORED: set(),
}, {PdfState.PENDING: "生成中", PdfState.STORED: "已生成"})


class MineState(StrEnum):
    """What /certificates/mine answers: derived from the registration, the questionnaire
    response, the certificate and the download window (never stored)."""
    NOT_ELIGIBLE = "not_eligible"
    ELIGIBLE = "eligible"
    ISSUED = "issued"
    REVOKED = "revoked"
    EXPIRED = "expired"


MINE_STATE = StateMachine.of("certificate.mine_state", MineState, {
    # A refund (or a revoked approval) takes the eligibility away again.
    MineState.NOT_ELIGIBLE: {MineState.ELIGIBLE},
    MineState.ELIGIBLE: {MineState.ISSUED, MineState.EXPIRED, MineState.NOT_ELIGIBLE},
    MineState.ISSUED: {MineState.REVOKED},
    MineState.REVOKED: set(),
    MineState.EXPIRED: set(),
}, {MineState.NOT_ELIGIBLE: "未满足领取条件", MineState.ELIGIBLE: "可领取",
    MineState.ISSUED: "已颁发", MineState.REVOKED: "已撤销", MineState.EXPIRED: "已过期"})
