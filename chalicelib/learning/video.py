"""Signed streaming URLs for course videos. Videos are private objects; a trainee gets a
link that works for a few minutes and plays inline (never as a download).

Two signers, chosen per edition (`Edition.video_delivery`):
- `S3VideoSigner` (default, and locally on moto): an S3 presigned GET with
  `Content-Disposition: inline`;
- `CloudFrontVideoSigner` (production at scale): a CloudFront signed URL with a canned
  policy, signed with the distribution's key pair; the private key is read once per
  process from Secrets Manager."""
from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlsplit

from chalicelib.platform.aws import client
from chalicelib.platform.clock import system_now
from chalicelib.platform.storage import storage
from chalicelib.editions.edition import Edition, VideoDelivery

VIDEOS_BUCKET = "videos"
CONTENT_TYPES = {".mp4": "video/mp4", ".webm": "video/webm", ".m3u8": "application/vnd.apple.mpegurl",
                 ".ts": "video/mp2t", ".m4s": "video/iso.segment"}


class VideoSigner(Protocol):
    def sign(self, key: str, expires_s: int, now: datetime) -> dict[str, Any]:
        """{"url", "expires_at"}"""

    def sign_segments(self, prefix: str, names: list[str], expires_s: int) -> dict[str, str]:
        """Short-lived URLs of the HLS segments `prefix + name` (name -> URL)."""


def content_type(key: str) -> str:
    for suffix, ctype in CONTENT_TYPES.items():
        if key.lower().endswith(suffix):
            return ctype
    return "application/octet-stream"


class S3VideoSigner:
    def __init__(self, deps: Any) -> None:
        self._storage = storage(deps)
        self._region = deps.settings.region

    def sign(self, key: str, expires_s: int, now: datetime) -> dict[str, Any]:
        return self._storage.presigned_get(VIDEOS_BUCKET, key, expires_s, now, inline=True,
                                           content_type=content_type(key))

    def sign_segments(self, prefix: str, names: list[str], expires_s: int) -> dict[str, str]:
        """The first URL from the SDK (its endpoint, addressing, credentials and date); the
        others signed the same way by hand (AWS SigV4 query signing: one HMAC per segment
        with the signing key derived once), since a 90-minute video has ~900 segments and
        the SDK takes ~1 ms a URL. tests/learning/test_hls.py holds every URL equal to the
        SDK's own at the same instant."""
        if not names:
            return {}
        first = self._storage.presigned_get(VIDEOS_BUCKET, prefix + names[0], expires_s,
                                            system_now())["url"]
        signer = _QuerySigner.from_presigned(first, names[0], self._secret_key())
        if signer is None or not all(_PLAIN_NAME.match(n) for n in names):
            return {name: self._storage.presigned_get(VIDEOS_BUCKET, prefix + name, expires_s,
                                                      system_now())["url"] for name in names}
        return {names[0]: first, **{name: signer.url(name) for name in names[1:]}}

    @staticmethod
    def _secret_key() -> str | None:
        import boto3
        credentials = boto3.session.Session().get_credentials()
        return credentials.get_frozen_credentials().secret_key if credentials else None


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


class _QuerySigner:
    """SigV4 query signing of GETs that differ from a presigned URL only in the last path
    segment: same host, date, scope, expiry and (session) token."""

    def __init__(self, scheme_host: str, base_path: str, host: str, query: list[tuple[str, str]],
                 amz_date: str, scope: str, key: bytes) -> None:
        self._scheme_host, self._base_path, self._host = scheme_host, base_path, host
        self._query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                               for k, v in sorted(query))
        self._amz_date, self._scope, self._key = amz_date, scope, key

    @classmethod
    def from_presigned(cls, url: str, name: str, secret: str | None) -> "_QuerySigner | None":
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if k != "X-Amz-Signature"]
        fields = dict(query)
        if (secret is None or not parts.path.endswith("/" + name)
                or fields.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256"
                or fields.get("X-Amz-SignedHeaders") != "host"):
            return None
        scope = fields["X-Amz-Credential"].split("/", 1)[1]
        day, region, service, _terminator = scope.split("/")
        key = f"AWS4{secret}".encode()
        for part in (day, region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        return cls(f"{parts.scheme}://{parts.netloc}", parts.path[:-len(name)], parts.netloc,
                   query, fields["X-Amz-Date"], scope, key)

    def url(self, name: str) -> str:
        path = self._base_path + name
        canonical = f"GET\n{path}\n{self._query}\nhost:{self._host}\n\nhost\nUNSIGNED-PAYLOAD"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", self._amz_date, self._scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        signature = hmac.new(self._key, to_sign.encode(), hashlib.sha256).hexdigest()
        return f"{self._scheme_host}{path}?{self._query}&X-Amz-Signature={signature}"


class CloudFrontVideoSigner:
    """CloudFront canned-policy signed URLs (RSA-SHA1, as CloudFront's trusted key groups
    require). The expiry is real time: CloudFront checks it against its own clock, while
    `now` (the app clock) only dates the `expires_at` the client sees."""

    def __init__(self, domain: str, key_pair_id: str, private_key_pem: bytes,
                 real_now: Any = None) -> None:
        from cryptography.hazmat.primitives import serialization
        self._domain = domain.rstrip("/")
        if not self._domain.startswith("https://"):
            self._domain = "https://" + self._domain
        self._key_pair_id = key_pair_id
        self._key = serialization.load_pem_private_key(private_key_pem, password=None)
        self._real_now = real_now or system_now  # real time, from the clock module

    def _rsa_sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        return self._key.sign(message, padding.PKCS1v15(), hashes.SHA1())  # type: ignore[union-attr, call-arg, arg-type]  # noqa: S303 - CloudFront's canned policy signature is RSA-SHA1

    def sign(self, key: str, expires_s: int, now: datetime) -> dict[str, Any]:
        from botocore.signers import CloudFrontSigner
        signer = CloudFrontSigner(self._key_pair_id, self._rsa_sign)
        url = f"{self._domain}/{quote(key)}"
        expires = self._real_now() + timedelta(seconds=expires_s)
        return {"url": signer.generate_presigned_url(url, date_less_than=expires),
                "expires_at": now + timedelta(seconds=expires_s)}


    def sign_segments(self, prefix: str, names: list[str], expires_s: int) -> dict[str, str]:
        """One custom policy for the whole prefix (`<prefix>*`), signed once: the same
        query string on every segment (a 90-minute video has ~900 segments)."""
        from botocore.signers import CloudFrontSigner
        signer = CloudFrontSigner(self._key_pair_id, self._rsa_sign)
        base = f"{self._domain}/{quote(prefix)}"
        expires = self._real_now() + timedelta(seconds=expires_s)
        policy = signer.build_policy(base + "*", date_less_than=expires)
        query = signer.generate_presigned_url(base, policy=policy).split("?", 1)[1]
        return {name: f"{base}{quote(name)}?{query}" for name in names}


def _secret_pem(deps: Any, secret_id: str) -> bytes:
    value = client(deps.settings, "secretsmanager").get_secret_value(SecretId=secret_id)
    return (value.get("SecretString") or "").encode() or bytes(value["SecretBinary"])


def video_signer(deps: Any, edition: Edition) -> VideoSigner:
    """The edition's signer, built once per process and configuration."""
    conf = edition.video_delivery or VideoDelivery()
    if conf.signer == "cloudfront":
        assert conf.cloudfront_domain and conf.key_pair_id and conf.private_key_secret
        domain, key_pair_id, secret = conf.cloudfront_domain, conf.key_pair_id, conf.private_key_secret
        return deps.adapter(  # type: ignore[no-any-return]
            f"video:cloudfront:{domain}:{key_pair_id}:{secret}",
            lambda d: CloudFrontVideoSigner(domain, key_pair_id, _secret_pem(d, secret)))
    return deps.adapter("video:s3", S3VideoSigner)  # type: ignore[no-any-return]


def url_ttl_s(edition: Edition) -> int:
    return (edition.video_delivery or VideoDelivery()).url_ttl_s
