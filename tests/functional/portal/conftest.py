"""Fixtures of the portal pages' tests."""

from tests.metering_fixtures import media_in_tmp  # noqa: F401 - fixture
