"""Offline synthesis, shared by `make synth` and the tests.

    python infra/synth.py [--stage prod] [--out infra/cdk.out] [-c key=value ...]

Before `python infra/app.py` runs (in a subprocess, so Chalice's import of app.py and the
jsii node process stay out of the caller), it
  * copies the CJK font into chalicelib/fonts/ (gitignored) so the Lambda package has it,
    and builds the common-character fonts and the route manifest if set-up has not;
  * restores Chalice's dependency layer (.chalice/deployments/managed-layer-*.zip, keyed by
    requirements.txt) from ~/.cache/lsc-training/chalice, and saves new ones there after, so
    a fresh clone on the same machine does not download the Lambda wheels again.
`cached_synth()` also keeps whole cloud assemblies under .dev/infra-synth/<hash of inputs>,
guarded by a file lock, so parallel test workers synthesise once."""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FONT_SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_TARGET = ROOT / "chalicelib" / "fonts" / FONT_SOURCE.name
DEPLOYMENTS = ROOT / ".chalice" / "deployments"
LAYER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lsc-training" / "chalice"
SYNTH_CACHE = ROOT / ".dev" / "infra-synth"
# Everything the template is made from: the app, its config and requirements, web/, infra/.
INPUTS = ("app.py", "requirements.txt", ".chalice/config.json", "chalicelib", "web", "infra/app.py",
          "infra/stacks", "infra/cdk.json", "infra/synth.py")


def ensure_font() -> bool:
    """The Lambda package carries the CJK font (chalicelib/platform/fonts.py looks there)."""
    if FONT_TARGET.exists():
        return True
    if not FONT_SOURCE.exists():
        print(f"warning: {FONT_SOURCE} missing (fonts-noto-cjk); PDFs will fail in Lambda",
              file=sys.stderr)
        return False
    FONT_TARGET.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FONT_SOURCE, FONT_TARGET)
    return True


def prepare_package() -> None:
    """What the Lambda package carries besides the code, built here if set-up has not:
    the common-character fonts (the certificate's fast path) and the route manifest (the
    prod app registers routes without importing every module). Both are idempotent."""
    env = {k: v for k, v in os.environ.items() if k not in ("APP_STAGE", "AWS_ENDPOINT_URL")}
    for module, extra in (("devtools.build_font_subset", {}), ("devtools.route_manifest", {"APP_STAGE": "prod"})):
        done = subprocess.run([sys.executable, "-m", module], cwd=ROOT, env={**env, **extra},
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"warning: {module} failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
    # The package ships chalicelib's bytecode (chalice copies __pycache__ with the sources): a
    # Lambda cannot write .pyc files, so without them every cold start compiles what it
    # imports. checked-hash, because a zip keeps mtimes to 2 s, which would make timestamp
    # pycs look stale (bench/cold_start.py measures the app compiled the same way).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode",
                    "checked-hash", "chalicelib"], cwd=ROOT, env=env, check=False)


def restore_layers() -> None:
    DEPLOYMENTS.mkdir(parents=True, exist_ok=True)
    for cached in LAYER_CACHE.glob("managed-layer-*.zip"):
        target = DEPLOYMENTS / cached.name
        if not target.exists():
            shutil.copyfile(cached, target)


def save_layers() -> None:
    LAYER_CACHE.mkdir(parents=True, exist_ok=True)
    for built in DEPLOYMENTS.glob("managed-layer-*.zip"):
        target = LAYER_CACHE / built.name
        if not target.exists():
            shutil.copyfile(built, target)


def tidy() -> None:
    """Chalice's construct leaves a package copy per run in infra/chalice.out (the assembly
    has its own), and one app zip per source version in .chalice/deployments: keep the
    newest app zip only."""
    shutil.rmtree(HERE / "chalice.out", ignore_errors=True)
    apps = sorted(DEPLOYMENTS.glob("appcode-*.zip"), key=lambda p: p.stat().st_mtime)
    for old in apps[:-1]:
        old.unlink(missing_ok=True)


def inputs_hash(stage: str, context: dict[str, str]) -> str:
    h = hashlib.sha256(json.dumps([stage, sorted(context.items())]).encode())
    for name in INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            if "__pycache__" in f.parts or f.suffix in (".pyc", ".ttc"):
                continue
            h.update(str(f.relative_to(ROOT)).encode())
            h.update(f.read_bytes() if f.exists() else b"")
    return h.hexdigest()[:20]


def synth(out: Path, stage: str = "prod", context: dict[str, str] | None = None) -> Path:
    """Synthesise the stage into `out`; returns the template's path."""
    ensure_font()
    prepare_package()
    restore_layers()
    env = dict(os.environ, CDK_OUTDIR=str(out), STAGE=stage,
               JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1")
    cdk_json = json.loads((HERE / "cdk.json").read_text())
    env["CDK_CONTEXT_JSON"] = json.dumps({**cdk_json.get("context", {}), **(context or {})})
    # Never the moto endpoint or a test's settings; offline: the dummy account.
    for var in ("AWS_ENDPOINT_URL", "CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION", "APP_STAGE",
                "TABLE_PREFIX", "BUCKET_PREFIX", "USER_POOL_NAME", "USER_POOL_ID",
                "USER_POOL_CLIENT_ID", "MAIL_SENDER", "PUBLIC_BASE_URL"):
        env.pop(var, None)
    started = time.monotonic()
    try:
        subprocess.run([sys.executable, str(HERE / "app.py")], cwd=HERE, env=env, check=True)  # noqa: S603 (our own script)
    finally:
        tidy()
    save_layers()
    print(f"synthesised {stage} in {time.monotonic() - started:.1f}s → {out}", file=sys.stderr)
    return out / f"{stage}.template.json"


def cached_synth(stage: str = "prod", context: dict[str, str] | None = None) -> Path:
    """Like synth(), reusing an assembly made from the same inputs (tests)."""
    context = context or {}
    SYNTH_CACHE.mkdir(parents=True, exist_ok=True)
    key = inputs_hash(stage, context)
    final = SYNTH_CACHE / key
    with open(SYNTH_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        template = final / f"{stage}.template.json"
        if not template.exists():
            for old in SYNTH_CACHE.iterdir():  # keep the cache to one assembly
                if old.is_dir() and not old.name.endswith(".tmp"):
                    shutil.rmtree(old, ignore_errors=True)
            tmp = SYNTH_CACHE / f"{key}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                synth(tmp, stage, context)
                tmp.rename(final)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default=os.environ.get("STAGE", "prod"))
    parser.add_argument("--out", default=str(HERE / "cdk.out"))
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--prepare", action="store_true",
                        help="only copy the font and restore the layer cache (before cdk deploy)")
    parser.add_argument("--save-layers", action="store_true", help="only save the layer cache")
    args = parser.parse_args()
    if args.prepare or args.save_layers:
        if args.prepare:
            ensure_font()
            prepare_package()
            restore_layers()
        else:
            save_layers()
            tidy()
        return
    context = dict(kv.split("=", 1) for kv in args.context)
    out = Path(args.out)
    SYNTH_CACHE.mkdir(parents=True, exist_ok=True)
    with open(SYNTH_CACHE / ".lock", "w") as lock:  # one synthesis at a time (shared dirs)
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(out, ignore_errors=True)
        print(synth(out, args.stage, context))


if __name__ == "__main__":
    main()
