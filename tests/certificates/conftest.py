"""The certificates tests use the learning tests' trainees (paid, enrolled, finished)."""
from tests.learning.conftest import enrolled, finished, trainee  # noqa: F401 - fixtures
