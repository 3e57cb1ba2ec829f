"""The Chalice application: blueprints (routes) and schedules only."""
from __future__ import annotations

from typing import Any

from chalice import Chalice, Cron

from chalicelib.routes import admin, core, invoices, jobs, learning, payments, refunds, registrations
from chalicelib.routes.http import Ctx, auth_blueprint, route
from chalicelib.settings import dev_routes_enabled

app = Chalice(app_name="lsc-training")
app.api.binary_types.extend([
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream", "application/pdf", "image/png", "image/jpeg"])

app.register_blueprint(auth_blueprint)
app.register_blueprint(core.bp)
app.register_blueprint(registrations.bp)
app.register_blueprint(admin.bp)
app.register_blueprint(payments.bp)
app.register_blueprint(refunds.bp)
app.register_blueprint(invoices.bp)
app.register_blueprint(learning.bp)
app.register_blueprint(jobs.bp)
from chalicelib.routes import reports; app.register_blueprint(reports.bp)  # noqa: E402,E702 - reports for the web
from chalicelib.routes import privacy; app.register_blueprint(privacy.bp)  # noqa: E402,E702 - personal data

if dev_routes_enabled():  # never registered in a deployed stage
    from chalicelib.routes import dev, web
    app.register_blueprint(dev.bp)
    from chalicelib.routes import dev_pay; app.register_blueprint(dev_pay.bp)  # noqa: E702 - sandbox cashier
    from chalicelib.routes import dev_jobs
    app.register_blueprint(dev_jobs.bp)  # POST /dev/jobs/run
    app.register_blueprint(web.bp)  # the static web/ front end (prod: S3 + CloudFront)


@route(app, "/openapi.json", summary="本 API 的 OpenAPI 3 文档", tags=("core",))
def openapi(ctx: Ctx) -> dict[str, Any]:
    from chalicelib.openapi import build_document
    return build_document()


# --- Scheduled jobs (EventBridge, cron in UTC) --------------------------------------------
# (see chalicelib/jobs/: the edition's calendar decides what is due, not a cron line per date)


@app.schedule(Cron("0/15", "*", "*", "*", "?", "*"), name="scheduled-jobs",
              description="Every 15 minutes: run what the editions' calendars made due")
def scheduled_jobs(event: Any) -> dict[str, Any]:
    from chalicelib.jobs import on_schedule
    return on_schedule(event.context)
