"""The Chalice application: blueprints (routes) and schedules only."""
from __future__ import annotations

from typing import Any

from chalice import Chalice, Cron

from chalicelib.editions import routes as admin
from chalicelib.identity import routes as core, privacy_routes as privacy
from chalicelib.invoicing import routes as invoices
from chalicelib.jobs import routes as jobs
from chalicelib.learning import routes as learning
from chalicelib.billing import routes as payments, refund_routes as refunds
from chalicelib.registration import routes as registrations
from chalicelib.reports import routes as reports
from chalicelib.platform.http import Ctx, auth_blueprint, route
from chalicelib.platform.settings import dev_routes_enabled

app = Chalice(app_name="lsc-training")
app.api.binary_types.extend([
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream", "application/pdf", "image/png", "image/jpeg"])

for blueprint in (auth_blueprint, core.bp, registrations.bp, admin.bp, payments.bp, refunds.bp,
                  invoices.bp, learning.bp, jobs.bp, reports.bp, privacy.bp):
    app.register_blueprint(blueprint)

if dev_routes_enabled():  # never registered in a deployed stage
    from chalicelib.dev import routes as dev, jobs_routes as dev_jobs, cashier_routes as dev_pay, web
    app.register_blueprint(dev.bp)  # the dev clock and mailbox
    app.register_blueprint(dev_pay.bp)  # the sandbox cashier
    app.register_blueprint(dev_jobs.bp)  # POST /dev/jobs/run
    app.register_blueprint(web.bp)  # the static web/ front end (prod: S3 + CloudFront)


@route(app, "/openapi.json", summary="本 API 的 OpenAPI 3 文档", tags=("core",))
def openapi(ctx: Ctx) -> dict[str, Any]:
    from chalicelib.platform.openapi import build_document
    return build_document()


# --- Scheduled jobs (EventBridge, cron in UTC) --------------------------------------------
# (see chalicelib/jobs/: the edition's calendar decides what is due, not a cron line per date)


@app.schedule(Cron("0/15", "*", "*", "*", "?", "*"), name="scheduled-jobs",
              description="Every 15 minutes: run what the editions' calendars made due")
def scheduled_jobs(event: Any) -> dict[str, Any]:
    from chalicelib.jobs.service import on_schedule  # here: API cold starts never load the runner
    return on_schedule(event.context)
