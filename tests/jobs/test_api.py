"""POST /dev/jobs/run runs what is due at the dev clock through the EventBridge entry
point; GET /admin/jobs shows the runs to admins only."""
from __future__ import annotations

from chalicelib.platform.clock import parse_instant


def test_dev_run_and_admin_listing(api, clock):
    clock.set(parse_instant("2026-04-11T00:00:00+08:00"))
    r = api.post("/dev/jobs/run", body=b"")
    assert r.status_code == 200, r.body
    jobs = {x["job"]: x for x in r.data["ran"]}
    assert jobs["close_registration"]["status"] == "done"
    assert r.data["now"] == "2026-04-11T00:00:00+08:00"
    # the same instant again: the dated job is not run a second time
    r = api.post("/dev/jobs/run", body=b"")
    assert "close_registration" not in {x["job"] for x in r.data["ran"]}
    admin = api.staff("admin")
    r = api.get("/admin/jobs?limit=50", admin)
    assert r.status_code == 200
    runs = {x["job"]: x for x in r.data["runs"]}
    assert runs["close_registration"]["status"] == "done"
    assert runs["close_registration"]["due_at"] == "2026-04-11T00:00:00+08:00"
    assert runs["close_registration"]["label"].startswith("报名截止")
    last = {j["job"]: j["last_run"] for j in r.data["jobs"]}
    assert last["close_registration"]["due_at"] == "2026-04-11T00:00:00+08:00"
    assert last["expire_certificates"] is None and last["retry_mail"]["edition_id"] == "-"
    assert api.get("/admin/jobs", api.staff("finance")).status_code == 403
    assert api.get("/admin/jobs?limit=0", admin).status_code == 400


def test_the_scheduled_function_is_wired(api, clock):
    """The function EventBridge invokes runs the same runner (a fake Lambda context)."""
    import app as application

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 300_000

    clock.set(parse_instant("2026-06-13T00:00:01+08:00"))
    handler = application.scheduled_jobs
    event = {"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "1", "time": "2026-06-12T16:00:01Z", "region": "ap-southeast-1",
             "resources": [], "detail": {}}
    report = handler(event, Context())
    jobs = {x["job"]: x for x in report["ran"]}
    assert jobs["close_learning"]["status"] == "done"
