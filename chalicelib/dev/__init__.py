"""Dev and test stages only: the dev routes, the sandbox cashier and payment simulators.
Nothing outside this package imports it; app.py (and the tests) call `install()` when the
stage is dev or test."""
from __future__ import annotations

from chalicelib.billing.providers import register_provider_factory
from chalicelib.dev.sandbox_providers import SandboxAlipay, SandboxWechatPay
from chalicelib.dev.sms_outbox import DevSmsOutbox
from chalicelib.dev.tax_simulator import simulated_issuer
from chalicelib.identity.sms import register_dev_sender
from chalicelib.invoicing.issuer import register_issuer_factory


def install() -> None:
    """Put the payment simulators in billing's provider registry (billing uses them only
    while the stage is dev or test; a prod process always gets the real adapters)."""
    register_provider_factory("alipay", SandboxAlipay)
    register_provider_factory("wechatpay", SandboxWechatPay)
    register_dev_sender(DevSmsOutbox)  # SMS codes go to GET /dev/sms, never to a phone
    register_issuer_factory("nuonuo", simulated_issuer)  # e-invoices: the 诺诺 simulator
