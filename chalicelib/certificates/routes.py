"""Routes of the certificate and its public verification. Each: parse -> one service call
-> typed output model. PDFs, fonts and QR codes are imported by the service only when a
certificate is made."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.certificates import service as certificates
from chalicelib.certificates.models import CertificateLinkOut, CertificateMineOut, RevokeIn, VerifyOut
from chalicelib.platform.http import Ctx, route

bp = Blueprint(__name__)
TRAINEE = ("trainee",)
ADMIN = ("admin",)


@route(bp, "/certificates/mine", summary="本人证书：领取条件与状态", roles=TRAINEE,
       response=CertificateMineOut, tags=("certificate",))
def certificate_mine(ctx: Ctx) -> CertificateMineOut:
    return CertificateMineOut.model_validate(certificates.mine(ctx.deps, ctx.user.sub, ctx.now))


@route(bp, "/certificates/mine/download", summary="下载证书（首次下载时颁发，仅在下载期内）",
       roles=TRAINEE, response=CertificateLinkOut, tags=("certificate",), errors=(409,))
def certificate_download(ctx: Ctx) -> CertificateLinkOut:
    return CertificateLinkOut.model_validate(
        certificates.download(ctx.deps, ctx.user.sub, ctx.now))


@route(bp, "/verify/{certificate_no}", summary="证书查验（公开）：真伪、持证人（部分隐藏）、学时",
       response=VerifyOut, tags=("certificate",), errors=(404,))
def verify(ctx: Ctx, certificate_no: str) -> VerifyOut:
    return VerifyOut.model_validate(certificates.verify(ctx.deps, certificate_no))


@route(bp, "/admin/certificates/{certificate_no}/revoke", "POST", summary="撤销证书（须填写原因）",
       roles=ADMIN, body=RevokeIn, response=VerifyOut, tags=("certificate",),
       errors=(404, 409))
def revoke(ctx: Ctx, certificate_no: str) -> VerifyOut:
    return VerifyOut.model_validate(
        certificates.revoke(ctx.deps, certificate_no, ctx.body.reason, ctx.user.sub, ctx.now))
