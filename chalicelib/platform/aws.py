"""boto3 clients configured from settings: the moto endpoint in dev, nothing in prod."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.platform.settings import Settings

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3,
                 read_timeout=10, signature_version=None)


@lru_cache(maxsize=32)
def _client(service: str, region: str, endpoint: str | None) -> Any:
    config = _CONFIG
    if service == "s3":  # path-style so presigned URLs work against moto on 127.0.0.1
        config = _CONFIG.merge(Config(s3={"addressing_style": "path"},
                                      signature_version="s3v4"))
    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint,
                                          config=config)


def client(settings: Settings, service: str) -> Any:
    return _client(service, settings.region, settings.endpoint_url)
