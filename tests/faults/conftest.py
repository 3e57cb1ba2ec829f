"""The fault tests reuse the payments fixtures (sandbox keys, Deps with the keys installed)."""
from tests.billing.conftest import keys, pdeps  # noqa: F401 - fixtures
