"""Payment providers behind one interface. The core (billing/payments.py) knows no
provider: it asks an adapter for a pay link, hands it a raw notification to verify, and
asks it to refund. Adapters are built lazily per process (`provider(deps, channel)`), so
the crypto imports stay off the cold-start path of routes that never pay.

Which adapter a channel gets is decided by the stage, never by a field in the keys: a
deployed (prod) process always gets the real adapter (alipay.py, wechatpay.py); the dev and
test stages get the simulators that `chalicelib.dev.install()` registered here
(`register_provider_factory`), which speak the same protocol with sandbox keys."""
from __future__ import annotations

from typing import Any, Callable

from chalicelib.billing.providers.keys import load_keys
from chalicelib.billing.providers.protocol import Notification, PayRequest, Provider, ProviderError, RefundRequest, RefundResult, SignatureError

__all__ = ["Notification", "PayRequest", "Provider", "ProviderError", "RefundRequest",
           "RefundResult", "SignatureError", "provider", "real_provider",
           "register_provider_factory"]

# (deps, keys) -> the adapter of one channel: what the dev stage registers.
ProviderFactory = Callable[[Any, dict[str, Any]], Provider]
_FACTORIES: dict[str, ProviderFactory] = {}


def register_provider_factory(channel: str, factory: ProviderFactory) -> None:
    """The dev and test stages put their simulators here (`chalicelib.dev.install()`); they
    are used only while the stage is dev or test. A prod process gets the real adapters."""
    _FACTORIES[channel] = factory


def real_provider(channel: str, keys: dict[str, Any]) -> Provider:
    """The adapter that talks to the provider itself (imported when first built: the
    crypto library stays off the cold start of routes that never pay)."""
    if channel == "alipay":
        from chalicelib.billing.providers.alipay import Alipay
        return Alipay(keys)
    if channel == "wechatpay":
        from chalicelib.billing.providers.wechatpay import WechatPay
        return WechatPay(keys)
    raise ValueError(f"unknown channel {channel}")


def provider(deps: Any, channel: str) -> Provider:
    """The per-process adapter for `channel` (alipay | wechatpay): the real adapter in a
    deployed stage; in the dev and test stages the simulator `chalicelib.dev.install()`
    registered (none registered there is a start-up mistake, never a call to the provider)."""
    def build(d: Any) -> Provider:
        keys = load_keys(d, channel)
        if not d.settings.is_dev:
            return real_provider(channel, keys)
        factory = _FACTORIES.get(channel)
        if factory is None:  # a dev or test process never talks to a provider itself
            raise RuntimeError(f"no {channel} simulator in the {d.settings.stage} stage: "
                               "call chalicelib.dev.install() at start-up")
        return factory(d, keys)
    return deps.adapter(f"provider:{channel}", build)  # type: ignore[no-any-return]
