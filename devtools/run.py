"""`make run`: the whole platform locally. Starts moto's server (the embedded AWS) on
127.0.0.1, creates and seeds every resource, prints the dev accounts, then serves the
Chalice app with Chalice's own local server (`chalice local --stage dev`)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"moto server did not start on port {port}")


def dev_environment(moto_port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "APP_STAGE": "dev", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_REGION": env.get("AWS_REGION", "ap-southeast-1"),
        "AWS_DEFAULT_REGION": env.get("AWS_REGION", "ap-southeast-1"),
        "AWS_ACCESS_KEY_ID": "dev", "AWS_SECRET_ACCESS_KEY": "dev",
        "TABLE_PREFIX": "lsc-dev-", "BUCKET_PREFIX": "lsc-dev-", "USER_POOL_NAME": "lsc-dev-users",
        "MAIL_SENDER": "noreply@dev.local", "DEV_KEYS_DIR": str(ROOT / ".dev" / "keys"),
    })
    env.pop("AWS_PROFILE", None)
    return env


def start_moto(port: int, env: dict[str, str]) -> subprocess.Popen:
    log = open(ROOT / ".dev" / "moto.log", "ab")  # noqa: SIM115 - lives as long as moto
    return subprocess.Popen([sys.executable, "-m", "devtools.moto_custom_auth", "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT)


def bootstrap(env: dict[str, str]) -> None:
    """Runs in this process with the dev environment: the same code the tests use."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    from chalicelib.platform.settings import load_settings
    from devtools.bootstrap import DEV_PASSWORD, STAFF, create_resources, seed
    settings = load_settings()
    create_resources(settings)
    result = seed(settings)
    from devtools import hooks
    for line in hooks.after_seed(settings):
        print(line)
    print(f"Editions seeded: {result['editions'] or 'already there'}")
    print("Dev accounts (password " + DEV_PASSWORD + "; staff sign in with a TOTP too):")
    for email, name, role in STAFF:
        print(f"  {role:9s} {email}  ({name})  TOTP secret {result['staff_totp'].get(email, '?')}")
    print(f"  TOTP secrets kept in {Path(settings.dev_keys_dir) / 'staff-totp.json'}; a code now: "
          ".venv/bin/python -c \"import pyotp;print(pyotp.TOTP('<secret>').now())\"")


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    moto_port = int(os.environ.get("MOTO_PORT", "5001"))
    (ROOT / ".dev").mkdir(exist_ok=True)
    env = dev_environment(moto_port)
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")  # links in mails, pay pages
    moto = start_moto(moto_port, env)
    try:
        wait_for_port(moto_port)
        bootstrap(env)
        print(f"Embedded AWS (moto): http://127.0.0.1:{moto_port}")
        print(f"Platform: http://127.0.0.1:{port}/  (API docs: /openapi.json)")
        sys.stdout.flush()
        chalice = subprocess.Popen(
            [str(Path(sys.executable).parent / "chalice"), "local", "--stage", "dev",
             "--host", "127.0.0.1", "--port", str(port),
             # tests set DEV_NO_AUTORELOAD=1: a restart mid-test (someone saved a file) breaks it
             *(["--no-autoreload"] if os.environ.get("DEV_NO_AUTORELOAD") else [])],
            cwd=ROOT, env=env)
        signal.signal(signal.SIGTERM, lambda *_: chalice.terminate())
        chalice.wait()
    finally:
        moto.terminate()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
