"""boto3 clients configured from settings: the moto endpoint in dev, nothing in prod."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.platform.settings import Settings

# Sized so a request ends well inside API Gateway's 29 s even when a dependency hangs: at
# worst (1 + RETRIES) x (CONNECT + READ) plus standard mode's backoff (< 1 s for one retry).
CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 5
RETRIES = 1  # botocore's max_attempts counts retries: the call and one retry (throttling too)
# The embedded AWS (moto, dev and tests) can stall for seconds on a loaded machine: locally
# reads wait longer and throttling-free retries stay as botocore's default.
EMBEDDED_READ_TIMEOUT_S = 60
EMBEDDED_RETRIES = 2


def config_for(endpoint: str | None) -> Config:
    """The client configuration: tight on AWS (endpoint None), patient on the embedded AWS."""
    local = endpoint is not None
    return Config(retries={"max_attempts": EMBEDDED_RETRIES if local else RETRIES, "mode": "standard"},
                  connect_timeout=CONNECT_TIMEOUT_S,
                  read_timeout=EMBEDDED_READ_TIMEOUT_S if local else READ_TIMEOUT_S,
                  signature_version=None)


@lru_cache(maxsize=32)
def _client(service: str, region: str, endpoint: str | None) -> Any:
    config = config_for(endpoint)
    if service == "s3":  # path-style so presigned URLs work against moto on 127.0.0.1
        config = config.merge(Config(s3={"addressing_style": "path"},
                                      signature_version="s3v4"))
    return boto3.session.Session().client(service, region_name=region, endpoint_url=endpoint,
                                          config=config)


def client(settings: Settings, service: str) -> Any:
    return _client(service, settings.region, settings.endpoint_url)
