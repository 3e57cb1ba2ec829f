"""The embedded AWS for tests and the bench, written once: moto's server in this process
(DynamoDB made atomic per request, as real DynamoDB is), the environment the app reads,
and fresh tables and buckets under a prefix, built from the same definitions as
`make run` and infra/."""
from __future__ import annotations

import logging
import os
import socket
from typing import Any

_state: dict[str, Any] = {}


def app_environment(prefix: str, pool: str, log_level: str = "WARNING") -> dict[str, str]:
    """The variables the app reads in the test stage (moto's endpoint is added by start)."""
    return {
        "APP_STAGE": "test", "AWS_REGION": "ap-southeast-1", "AWS_DEFAULT_REGION": "ap-southeast-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_PREFIX": prefix, "BUCKET_PREFIX": prefix, "USER_POOL_NAME": pool,
        "MAIL_SENDER": "noreply@lsc.example.org", "POWERTOOLS_LOG_LEVEL": log_level,
        "LOG_LEVEL": log_level if log_level != "WARNING" else "INFO",
        "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true",
    }


def set_environment(env: dict[str, str]) -> None:
    os.environ.update(env)
    for var in ("AWS_PROFILE", "USER_POOL_ID", "USER_POOL_CLIENT_ID"):
        os.environ.pop(var, None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start() -> str:
    """moto's server on a free port (once per process) and the Cognito pool; the endpoint."""
    if "endpoint" in _state:
        return str(_state["endpoint"])
    from moto.server import ThreadedMotoServer

    from devtools.moto_atomic import make_dynamodb_atomic
    from devtools.moto_custom_auth import install as install_custom_auth
    make_dynamodb_atomic()
    install_custom_auth()  # Cognito's CUSTOM_AUTH triggers (login by SMS code)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    from chalicelib.platform.settings import load_settings
    from devtools.bootstrap import create_user_pool
    create_user_pool(load_settings())
    _state.update(endpoint=endpoint, server=server)
    return endpoint


def stop() -> None:
    server = _state.pop("server", None)
    _state.pop("endpoint", None)
    if server is not None:
        server.stop()


def fresh_stack(prefix: str) -> Any:
    """Fresh tables and buckets under `prefix`, the editions seeded; returns the app's Deps."""
    from chalicelib.platform.deps import get_deps, reset_deps
    from chalicelib.platform.settings import load_settings
    from devtools.bootstrap import create_resources, seed
    os.environ["TABLE_PREFIX"] = prefix
    os.environ["BUCKET_PREFIX"] = prefix
    reset_deps()
    settings = load_settings()
    create_resources(settings)
    seed(settings, staff=False)
    return get_deps()
