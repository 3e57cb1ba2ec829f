"""The Chalice application: blueprints (routes) and schedules only."""
from __future__ import annotations

from typing import Any

from chalice import Chalice, Cron

from chalicelib.platform import routing
from chalicelib.platform.http import auth_blueprint, jwt_authorizer
from chalicelib.platform.settings import dev_routes_enabled

app = Chalice(app_name="lsc-training")
app.api.binary_types.extend([
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/octet-stream", "application/pdf", "image/png", "image/jpeg"])

app.register_blueprint(auth_blueprint)  # the JWT authorizer the routes declare
# Every feature's blueprint, by module: registered from the route manifest and each
# imported by the first request that needs it (chalicelib/platform/routing.py), so
# a cold start loads the one feature it serves. A new blueprint: add its module.
ROUTE_MODULES = (
    "chalicelib.platform.routes",
    "chalicelib.identity.routes",
    "chalicelib.privacy.routes",
    "chalicelib.editions.routes",
    "chalicelib.registration.routes",
    "chalicelib.billing.routes",
    "chalicelib.billing.refund_routes",
    "chalicelib.invoicing.routes",
    "chalicelib.learning.routes",
    "chalicelib.certificates.routes",
    "chalicelib.jobs.routes",
    "chalicelib.reports.routes",
    "chalicelib.identity.unit_routes",
    "chalicelib.identity.mfa_routes",
)
routing.register(app, ROUTE_MODULES, {"jwt_authorizer": jwt_authorizer},
                 lazy=not dev_routes_enabled(),  # prod; dev/test import all (tests read REGISTRY)
                 load_all_paths=("/openapi.json",))  # that document lists every route

if dev_routes_enabled():  # the stage decides, never a field in data; never in a deployed stage
    import chalicelib.dev
    from chalicelib.dev import cashier_routes, jobs_routes, routes as dev_routes, sms_routes, tax_routes, web
    chalicelib.dev.install()  # the payment simulators take the providers' place
    app.register_blueprint(dev_routes.bp)  # the dev clock and mailbox
    app.register_blueprint(cashier_routes.bp)  # the sandbox cashier
    app.register_blueprint(jobs_routes.bp)  # POST /dev/jobs/run
    app.register_blueprint(sms_routes.bp)  # GET /dev/sms: the SMS codes sent
    app.register_blueprint(tax_routes.bp)  # /dev/tax/open/v1/services: the 诺诺 simulator
    app.register_blueprint(web.bp)  # the static web/ front end (prod: S3 + CloudFront)


# --- Scheduled jobs (EventBridge, cron in UTC) --------------------------------------------
# (see chalicelib/jobs/: the edition's calendar decides what is due, not a cron line per date)


@app.schedule(Cron("0/15", "*", "*", "*", "?", "*"), name="scheduled-jobs",
              description="Every 15 minutes: run what the editions' calendars made due")
def scheduled_jobs(event: Any) -> dict[str, Any]:
    from chalicelib.jobs.service import on_schedule  # here: API cold starts never load the runner
    return on_schedule(event.context)


# --- Cognito's custom authentication (login by SMS code) ------------------------------------
@app.lambda_function(name="auth_challenge")
def auth_challenge(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The user pool's Define/Create/VerifyAuthChallengeResponse triggers (infra wires them)."""
    from chalicelib.identity.custom_auth import handler  # here: off the API's cold start
    return handler(event, context)
