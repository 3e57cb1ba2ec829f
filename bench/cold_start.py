"""Benchmark 1: cold start. A fresh interpreter imports the app and serves its first request
(a direct handler invocation with an API Gateway proxy event, as Lambda does), against a
bare Chalice app that imports boto3 and serves one route making one DynamoDB GetItem (the
floor). Both talk to the same moto; runs alternate; medians are compared. The same child
reports which heavy libraries were loaded by then (they should not be)."""
from __future__ import annotations

import json
import os
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
                  "modules": len(sys.modules)}))
'''

BARE_APP = r'''
import boto3
from chalice import Chalice
app = Chalice(app_name="bare")
_ddb = {}

@app.route("/editions/current")
def current():
    import os
    if "c" not in _ddb:
        _ddb["c"] = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    item = _ddb["c"].get_item(TableName=os.environ["TABLE_PREFIX"] + "kv",
                              Key={"key": {"S": "current_edition"}})
    return {"edition_id": item.get("Item", {}).get("value", {}).get("S")}
'''


def _event(path: str) -> str:
    return json.dumps(_EVENT).replace("{path}", path)


def _child(code: str, cwd: str, path: str) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = cwd
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    out = subprocess.run([sys.executable, "-c", code, _event(path), json.dumps(HEAVY)],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    if out.returncode != 0:
        raise RuntimeError(f"cold-start child failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def import_profile(cwd: str, top: int = 12) -> list[tuple[str, float]]:
    """Import self-time of `import app`, summed per top-level package (-X importtime)."""
    env = dict(os.environ, PYTHONPATH=cwd)
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


def run(quick: bool = False) -> list[dict[str, Any]]:
    fresh_stack(parse_at("2026-04-05T10:00:00+08:00"))
    runs = 1 if quick else 5
    app_times, bare_times, app_import, app_request, loaded = [], [], [], [], []
    app_wall: list[float] = []
    bare_wall: list[float] = []
    with tempfile.TemporaryDirectory() as bare_dir:
        Path(bare_dir, "app.py").write_text(BARE_APP, "utf-8")
        for _ in range(runs):
            a = _child(APP_CHILD, str(ROOT), "/editions/current")
            b = _child(APP_CHILD, bare_dir, "/editions/current")
            app_times.append(a["cpu_s"])
            app_wall.append(a["total_s"])
            bare_wall.append(b["total_s"])
            app_import.append(a["import_s"])
            app_request.append(a["request_s"])
            bare_times.append(b["cpu_s"])
            loaded = a["loaded"]
    profile = [] if quick else import_profile(str(ROOT))
    app_med, bare_med = statistics.median(app_times), statistics.median(bare_times)
    bad = [m for m in loaded if m in MUST_NOT_LOAD]
    return [entry("cold_start", app_med, bare_med, "CPU s (median)",
                  "whole process CPU time (interpreter start, import app, first request "
                  "GET /editions/current) vs a bare Chalice+boto3 app with one GetItem; CPU "
                  "time because wall time swings with the machine's load",
                  runs=runs, app_cpu_s=[round(x, 3) for x in app_times],
                  bare_cpu_s=[round(x, 3) for x in bare_times],
                  app_wall_s=round(statistics.median(app_wall), 3),
                  bare_wall_s=round(statistics.median(bare_wall), 3),
                  app_import_s=round(statistics.median(app_import), 3),
                  app_first_request_s=round(statistics.median(app_request), 3),
                  loaded_after_first_request=loaded, heavy_loaded=bad,
                  import_profile_s=[(n, round(s, 3)) for n, s in profile])]
