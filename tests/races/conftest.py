"""The races reuse the payments fixtures (sandbox keys, Deps with the keys installed)."""
from tests.billing.conftest import foreign_keys, keys, pdeps  # noqa: F401 - fixtures
