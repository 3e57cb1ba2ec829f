"""Benchmark 1: cold start. A fresh interpreter imports the app and serves its first request
(a direct handler invocation with an API Gateway proxy event, as Lambda does), against a
bare Chalice app that imports boto3 and serves one route making one DynamoDB GetItem (the
floor). Both talk to the same moto; runs alternate; medians are compared.

The app runs in the prod stage, as the Lambda does (no dev routes, no simulators, no dev
clock): the children reach moto through botocore's own per-service endpoint variables
(AWS_ENDPOINT_URL_DYNAMODB ...), which the app's settings do not read, so the prod stage's
refusal of AWS_ENDPOINT_URL still holds. The test stage (what `make run` and the tests
load) is a second row. The same child reports which heavy libraries and how many of the
app's own modules the first request loaded (the import list). The tree's bytecode is
compiled first (as the Lambda package carries it), and the prod row also counts one app and
one bare cold start's instructions under valgrind (load-independent; see `instructions`)."""
from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import entry, fresh_stack, parse_at

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("fpdf", "fontTools", "openpyxl", "segno", "PIL", "cryptography", "jwt", "pydantic",
         "aws_lambda_powertools", "moto", "werkzeug")
# Must stay off the first request's path (STYLE.md): only the routes that use them load them.
MUST_NOT_LOAD = ("fpdf", "fontTools", "openpyxl", "segno", "PIL", "moto")

_EVENT = {
    "resource": "{path}", "path": "{path}", "httpMethod": "GET",
    "headers": {"Host": "localhost", "Accept": "application/json"},
    "multiValueHeaders": {}, "queryStringParameters": None,
    "multiValueQueryStringParameters": None, "pathParameters": None,
    "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "{path}", "httpMethod": "GET", "stage": "api",
                       "requestId": "bench", "path": "/api{path}",
                       "identity": {"sourceIp": "127.0.0.1"}},
}

APP_CHILD = r'''
import json, resource, sys, time
t0 = time.perf_counter()
from app import app
t1 = time.perf_counter()
event = json.loads(sys.argv[1])
class Ctx:
    function_name = "bench"; memory_limit_in_mb = 512; aws_request_id = "bench"
    invoked_function_arn = "arn:aws:lambda:ap-southeast-1:000000000000:function:bench"
    def get_remaining_time_in_millis(self): return 30000
resp = app(event, Ctx())
t2 = time.perf_counter()
assert resp["statusCode"] == 200, resp
heavy = json.loads(sys.argv[2])
use = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"import_s": t1 - t0, "request_s": t2 - t1, "total_s": t2 - t0,
                  "cpu_s": use.ru_utime + use.ru_stime,
                  "loaded": sorted(m for m in heavy if m in sys.modules),
                  "modules": len(sys.modules),
                  "own": sorted(m for m in sys.modules if m.startswith("chalicelib."))}))
'''

BARE_APP = r'''
import boto3
from chalice import Chalice
app = Chalice(app_name="bare")
_ddb = {}

@app.route("/editions/current")
def current():
    import os
    if "c" not in _ddb:  # the endpoint: AWS_ENDPOINT_URL_DYNAMODB (botocore reads it)
        _ddb["c"] = boto3.client("dynamodb")
    item = _ddb["c"].get_item(TableName=os.environ["TABLE_PREFIX"] + "kv",
                              Key={"key": {"S": "current_edition"}})
    return {"edition_id": item.get("Item", {}).get("value", {}).get("S")}
'''


def _event(path: str) -> str:
    return json.dumps(_EVENT).replace("{path}", path)


SERVICES = ("DYNAMODB", "S3", "SES", "COGNITO_IDP", "SECRETSMANAGER", "STS")


def child_env(cwd: str, stage: str = "prod") -> dict[str, str]:
    """The child's environment: the stage, and moto as each service's endpoint."""
    env = dict(os.environ)
    endpoint = env.pop("AWS_ENDPOINT_URL")
    if stage == "prod":
        env.update({f"AWS_ENDPOINT_URL_{name}": endpoint for name in SERVICES})
        env.update(APP_STAGE="prod", USER_POOL_ID="ap-southeast-1_bench",
                   USER_POOL_CLIENT_ID="bench")
    else:
        env.update(AWS_ENDPOINT_URL=endpoint, APP_STAGE=stage,
                   AWS_ENDPOINT_URL_DYNAMODB=endpoint)
    env["PYTHONPATH"] = cwd
    return env


def _child(code: str, cwd: str, path: str, stage: str = "prod") -> dict[str, Any]:
    env = child_env(cwd, stage)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    out = subprocess.run([sys.executable, "-c", code, _event(path), json.dumps(HEAVY)],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"cold-start child failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def instructions(pairs: list[tuple[str, str]], stage: str = "prod") -> list[int | None]:
    """Instructions each (code's tree, label) child executes for its cold start, counted by
    valgrind's callgrind (Ir; all children at once, ~1 min). CPU time swings with the load
    of a shared machine (the same tree: 0.44-0.57 s in three runs); the instruction count
    does not (fixed hash seed; a few 0.1% from garbage-collector timing). None without
    valgrind."""
    if shutil.which("valgrind") is None:
        return [None for _ in pairs]
    with tempfile.TemporaryDirectory() as out:
        procs = []
        for i, (cwd, _label) in enumerate(pairs):
            env = child_env(cwd, stage)
            env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
            procs.append(subprocess.Popen(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.{i}",
                 sys.executable, "-c", APP_CHILD, _event("/editions/current"), json.dumps(HEAVY)],
                cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        counts: list[int | None] = []
        for proc in procs:
            _out, err = proc.communicate(timeout=1200)
            found = re.search(r"Collected : (\d+)", err)
            counts.append(int(found.group(1)) if proc.returncode == 0 and found else None)
        return counts


def compile_bytecode(tree: str) -> None:
    """The app's own modules compiled, as the Lambda package carries them (site-packages
    has its bytecode from pip already). The children run with PYTHONDONTWRITEBYTECODE, as a
    Lambda (read-only) does: without this, every module edited since its last .pyc would be
    compiled again by every child, and the figure would depend on which files were touched
    last (measured: ~0.13 G of 1.96 G instructions under valgrind). Checked-hash pycs: a
    source edited later is seen by its hash, so a stale pyc is never used."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "--invalidation-mode",
                    "checked-hash", "chalicelib", "app.py"], cwd=tree, capture_output=True,
                   timeout=300, check=False)


def import_profile(cwd: str, top: int = 12) -> list[tuple[str, float]]:
    """Import self-time of `import app`, summed per top-level package (-X importtime)."""
    env = child_env(cwd)
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app"], cwd=cwd,
                         env=env, capture_output=True, text=True, timeout=120, check=False)
    totals: dict[str, float] = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        own, _cumulative, name = line.removeprefix("import time:").split("|")
        try:
            seconds = int(own.strip()) / 1e6
        except ValueError:
            continue
        package = name.strip().split(".")[0]
        totals[package] = totals.get(package, 0.0) + seconds
    return sorted(totals.items(), key=lambda kv: -kv[1])[:top]


def _round(stage: str, root: str, bare_dir: str, runs: int) -> dict[str, Any]:
    app, bare = [], []
    for _ in range(runs):
        app.append(_child(APP_CHILD, root, "/editions/current", stage))
        bare.append(_child(APP_CHILD, bare_dir, "/editions/current", stage))
    return {"app": app, "bare": bare}


def _entry(name: str, got: dict[str, Any], note: str, profile: Any = None,
           counted: list[int | None] | None = None) -> dict[str, Any]:
    app, bare = got["app"], got["bare"]
    med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
    last = app[-1]
    own = last["own"]
    features = sorted({m.split(".")[1] for m in own if m.count(".") >= 1})
    return entry(name, med(app, "cpu_s"), med(bare, "cpu_s"), "CPU s (median)", note,
                 runs=len(app), goal_ratio=1.3,
                 app_cpu_s=[round(r["cpu_s"], 3) for r in app],
                 bare_cpu_s=[round(r["cpu_s"], 3) for r in bare],
                 app_wall_s=round(med(app, "total_s"), 3),
                 bare_wall_s=round(med(bare, "total_s"), 3),
                 app_import_s=round(med(app, "import_s"), 3),
                 app_first_request_s=round(med(app, "request_s"), 3),
                 modules_loaded=last["modules"], bare_modules_loaded=bare[-1]["modules"],
                 own_modules_loaded=len(own), own_packages_loaded=features,
                 own_modules=own, loaded_after_first_request=last["loaded"],
                 heavy_loaded=[m for m in last["loaded"] if m in MUST_NOT_LOAD],
                 **({"import_profile_s": profile} if profile is not None else {}),
                 **_instruction_details(counted))


def _instruction_details(counted: list[int | None] | None) -> dict[str, Any]:
    if not counted or None in counted:
        return {}
    app, bare = counted
    assert app is not None and bare is not None
    return {"app_instructions_g": round(app / 1e9, 3), "bare_instructions_g": round(bare / 1e9, 3),
            "instructions_ratio": round(app / bare, 3)}


def run(quick: bool = False, root: str | None = None) -> list[dict[str, Any]]:
    """`root`: the tree whose app.py to measure (default: this one; the before/after
    figures ran it on a `git archive` of the older commit)."""
    fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    runs = 1 if quick else 5
    tree = root or str(ROOT)
    # The Lambda package ships the route manifest (chalicelib/platform/routing.py): make sure
    # it is current here too, or the first child would measure the eager fallback.
    subprocess.run([sys.executable, "-m", "devtools.route_manifest"], cwd=tree,
                   env=child_env(tree), capture_output=True, timeout=120, check=False)
    compile_bytecode(tree)
    with tempfile.TemporaryDirectory() as bare_dir:
        Path(bare_dir, "app.py").write_text(BARE_APP, "utf-8")
        prod = _round("prod", tree, bare_dir, runs)
        test = _round("test", tree, bare_dir, 1 if quick else 3)
        counted = None if quick else instructions([(tree, "app"), (bare_dir, "bare")])
    profile = None if quick else [(n, round(s, 3)) for n, s in import_profile(tree)]
    return [
        _entry("cold_start", prod, "prod stage, as the Lambda: whole process CPU time "
               "(interpreter start, import app, first request GET /editions/current) vs a "
               "bare Chalice+boto3 app with one GetItem; CPU time because wall time swings "
               "with the machine's load; goal <= 1.3x; instructions_ratio: the same under "
               "valgrind, which the load does not move", profile, counted),
        _entry("cold_start.test_stage", test, "the same in the test stage (dev routes, the "
               "payment simulators and the dev clock read: what make run and the tests load)"),
    ]
