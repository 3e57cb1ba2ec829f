"""The stage is read once and fails closed: nothing unset or misspelt ever means dev."""
from __future__ import annotations

import pytest

from chalicelib.platform.settings import SettingsError, dev_routes_enabled, load_settings


@pytest.mark.parametrize("stage", [None, "", "Dev", "development", "staging"])
def test_an_unset_or_unknown_stage_is_an_error_not_dev(monkeypatch, stage) -> None:
    if stage is None:
        monkeypatch.delenv("APP_STAGE", raising=False)
    else:
        monkeypatch.setenv("APP_STAGE", stage)
    with pytest.raises(SettingsError):
        load_settings()
    assert dev_routes_enabled() is False  # no dev routes, no simulators


def test_prod_refuses_an_embedded_aws_endpoint(monkeypatch) -> None:
    monkeypatch.setenv("APP_STAGE", "prod")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5001")
    with pytest.raises(SettingsError):
        load_settings()


@pytest.mark.parametrize("stage", ["dev", "test"])
def test_dev_and_test_are_named_explicitly(monkeypatch, stage) -> None:
    monkeypatch.setenv("APP_STAGE", stage)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5001")
    assert load_settings().is_dev and dev_routes_enabled()
