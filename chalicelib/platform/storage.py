"""Private S3 buckets (certificates, invoices, vouchers, videos): put, get, and short-lived
presigned links. Bucket names come from settings (`bucket_name(base)`)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from chalicelib.platform.aws import client
from chalicelib.platform.settings import Settings


class ObjectStorage:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._s3 = client(settings, "s3")

    def bucket(self, base: str) -> str:
        return self._settings.bucket_name(base)

    def put_object(self, base: str, key: str, data: bytes, content_type: str,
                   metadata: dict[str, str] | None = None) -> None:
        self._s3.put_object(Bucket=self.bucket(base), Key=key, Body=data,
                            ContentType=content_type, Metadata=metadata or {},
                            ServerSideEncryption="AES256")

    def get_object(self, base: str, key: str) -> bytes:
        return bytes(self._s3.get_object(Bucket=self.bucket(base), Key=key)["Body"].read())

    def exists(self, base: str, key: str) -> bool:
        from botocore.exceptions import ClientError
        try:
            self._s3.head_object(Bucket=self.bucket(base), Key=key)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete_object(self, base: str, key: str) -> None:
        """Remove the object (erasure); an object already gone is no error."""
        self._s3.delete_object(Bucket=self.bucket(base), Key=key)

    def presigned_get(self, base: str, key: str, expires_s: int, now: datetime,
                      filename: str | None = None, inline: bool = False,
                      content_type: str | None = None) -> dict[str, Any]:
        """{"url", "expires_at"}: a link valid for `expires_s` seconds. `now` is the app
        clock, used only for the expires_at the client sees; S3 signs with real time."""
        params: dict[str, Any] = {"Bucket": self.bucket(base), "Key": key}
        if filename or inline:
            kind = "inline" if inline else "attachment"
            disposition = kind if not filename else \
                f"{kind}; filename*=UTF-8''{quote(filename)}"
            params["ResponseContentDisposition"] = disposition
        if content_type:
            params["ResponseContentType"] = content_type
        url = self._s3.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)
        return {"url": url, "expires_at": now + timedelta(seconds=expires_s)}

    def presigned_post(self, base: str, key: str, content_types: list[str], max_bytes: int,
                       expires_s: int, now: datetime) -> dict[str, Any]:
        """A browser upload straight to S3 with its type and size limited by the policy."""
        conditions: list[Any] = [["content-length-range", 1, max_bytes]]
        fields: dict[str, str] = {}
        if len(content_types) == 1:  # the policy pins the one declared type
            conditions.append({"Content-Type": content_types[0]})
            fields["Content-Type"] = content_types[0]
        else:
            conditions.append(["starts-with", "$Content-Type", ""])
        post = self._s3.generate_presigned_post(
            Bucket=self.bucket(base), Key=key, Fields=fields or None, Conditions=conditions,
            ExpiresIn=expires_s)
        return {"url": post["url"], "fields": post["fields"], "key": key,
                "allowed_types": content_types, "max_bytes": max_bytes,
                "expires_at": now + timedelta(seconds=expires_s)}


def storage(deps: Any) -> ObjectStorage:
    """The per-process storage adapter (built on first use)."""
    return deps.adapter("storage", lambda d: ObjectStorage(d.settings))  # type: ignore[no-any-return]
