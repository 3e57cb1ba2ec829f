"""The Chalice application: blueprints (routes) and schedules only."""
from __future__ import annotations

from typing import Any

from chalice import Chalice, Cron

from chalicelib.billing import refund_routes, routes as billing_routes
from chalicelib.certificates import routes as certificate_routes
from chalicelib.editions import routes as edition_routes
from chalicelib.identity import routes as identity_routes, unit_routes
from chalicelib.invoicing import routes as invoice_routes
from chalicelib.jobs import routes as job_routes
from chalicelib.learning import routes as learning_routes
from chalicelib.platform import routes as platform_routes
from chalicelib.platform.http import auth_blueprint
from chalicelib.platform.settings import dev_routes_enabled
from chalicelib.privacy import routes as privacy_routes
from chalicelib.registration import routes as registration_routes
from chalicelib.reports import routes as report_routes

app = Chalice(app_name="lsc-training")
app.api.binary_types.extend([
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream", "application/pdf", "image/png", "image/jpeg"])

app.register_blueprint(auth_blueprint)  # the JWT authorizer the routes declare
for module in (platform_routes, identity_routes, privacy_routes, edition_routes,
               registration_routes, billing_routes, refund_routes, invoice_routes, learning_routes,
               certificate_routes, job_routes, report_routes, unit_routes):
    app.register_blueprint(module.bp)

if dev_routes_enabled():  # the stage decides, never a field in data; never in a deployed stage
    import chalicelib.dev
    from chalicelib.dev import cashier_routes, jobs_routes, routes as dev_routes, web
    chalicelib.dev.install()  # the payment simulators take the providers' place
    app.register_blueprint(dev_routes.bp)  # the dev clock and mailbox
    app.register_blueprint(cashier_routes.bp)  # the sandbox cashier
    app.register_blueprint(jobs_routes.bp)  # POST /dev/jobs/run
    app.register_blueprint(web.bp)  # the static web/ front end (prod: S3 + CloudFront)


# --- Scheduled jobs (EventBridge, cron in UTC) --------------------------------------------
# (see chalicelib/jobs/: the edition's calendar decides what is due, not a cron line per date)


@app.schedule(Cron("0/15", "*", "*", "*", "?", "*"), name="scheduled-jobs",
              description="Every 15 minutes: run what the editions' calendars made due")
def scheduled_jobs(event: Any) -> dict[str, Any]:
    from chalicelib.jobs.service import on_schedule  # here: API cold starts never load the runner
    return on_schedule(event.context)
